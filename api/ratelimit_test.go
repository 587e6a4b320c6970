package api_test

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dunglas/httpsfv"

	"slotgate/domain"
	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// Per-client request limits through HTTP: a bot against the crowd, the
// client's address and whom to believe about it, the RateLimit headers,
// the lookup limit, and the in-process fallback while Redis is away.

// rlParty is a booking body for one visitor with a phone of its own, so
// that only the limit by client address can refuse it.
func rlParty(slotID int64, phone, id string) map[string]any {
	return map[string]any{"slot_id": slotID, "phone": phone, "visitors": []map[string]string{
		{"name": "访客" + id[len(id)-3:], "id_type": "passport", "id_number": id}}}
}

// rlApp starts an instance with the request limits on, configured further
// by configure.
func rlApp(t *testing.T, mode testkit.Mode, configure func(*app.Config), opts ...testkit.Options) *testkit.TestApp {
	t.Helper()
	var o testkit.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Configure = func(c *app.Config) {
		c.RateLimits = "on"
		if configure != nil {
			configure(c)
		}
	}
	return testkit.StartApp(t, mode, o)
}

// rlBigSlot is tomorrow's first library slot with room for the whole crowd,
// set in the store and taken up by the capacity gate.
func rlBigSlot(t *testing.T, ta *testkit.TestApp, quota int) int64 {
	t.Helper()
	s := slots(t, ta, "beibei-library", "2026-03-03")[0]
	ta.SQL(t, `UPDATE slots SET quota = ? WHERE id = ?`, quota, s.ID)
	if _, _, err := ta.Reconcile.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s.ID
}

// rlNets parses CIDRs for Config.TrustedProxies.
func rlNets(t *testing.T, cidrs ...string) []*net.IPNet {
	t.Helper()
	var out []*net.IPNet
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// rlSent is one answer to a request and when the request went out.
type rlSent struct {
	at  time.Time
	res testkit.Response
}

// TestBotIsLimitedOthersAreNot: one address sends 1,000 booking attempts as
// fast as it can (well within a minute) while 100 other addresses send 5
// each, interleaved with it, all through a trusted proxy that names the
// client in X-Forwarded-For. The bot gets exactly its burst at once, then
// only what the rate refills during the run, and 429s with Retry-After and
// the RateLimit fields for the rest; nobody else is ever limited.
func TestBotIsLimitedOthersAreNot(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := rlApp(t, mode, func(c *app.Config) { c.TrustedProxies = rlNets(t, "127.0.0.1/32") })
			limit := ta.Config.BookingLimits.ByClient
			if limit != domain.DefaultBookingLimits().ByClient {
				t.Fatalf("the test instance does not run the default client limit: %v", limit)
			}
			slotID := rlBigSlot(t, ta, 2000)
			client := testkit.Client()

			const botAttempts, others, each = 1000, 100, 5
			bot := make([]rlSent, botAttempts)
			crowd := make([][]testkit.Response, others)
			for i := range crowd {
				crowd[i] = make([]testkit.Response, each)
			}
			var wg sync.WaitGroup
			start := time.Now()
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range bot {
					bot[i].at = time.Now()
					bot[i].res = ta.Do(t, client, "POST", "/api/v1/bookings",
						rlParty(slotID, fmt.Sprintf("137%08d", i), fmt.Sprintf("R%08d", i)), "X-Forwarded-For", "192.0.2.66")
				}
			}()
			// The others' attempts go round the addresses, so that each
			// address's five are spread over the bot's run.
			jobs := make(chan [2]int)
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range jobs {
						addr, k := j[0], j[1]
						crowd[addr][k] = ta.Do(t, client, "POST", "/api/v1/bookings",
							rlParty(slotID, fmt.Sprintf("135%04d%04d", addr, k), fmt.Sprintf("S%04d%04d", addr, k)),
							"X-Forwarded-For", fmt.Sprintf("198.51.%d.%d", 100+addr/50, 1+addr%50))
					}
				}()
			}
			for k := range each {
				for addr := range others {
					jobs <- [2]int{addr, k}
				}
			}
			close(jobs)
			wg.Wait()
			elapsed := time.Since(start)
			if elapsed > time.Minute {
				// Still a valid test of the limit (the refills below follow
				// the time taken), but no longer of 1,000 attempts a minute.
				t.Logf("the run took %v on this machine: slower than 1,000 attempts a minute", elapsed)
			}

			// The others: never limited, all booked.
			for addr, answers := range crowd {
				for k, res := range answers {
					if res.Status != http.StatusCreated {
						t.Fatalf("address %d, attempt %d: %d %s; no one but the bot may be refused", addr, k, res.Status, res.Body)
					}
				}
			}

			// The bot: its burst at once, then the rate, then 429s.
			interval := limit.Interval()
			for i, s := range bot[:limit.Burst] {
				if s.res.Status != http.StatusCreated {
					t.Fatalf("bot attempt %d, within the burst of %d: %d %s", i, limit.Burst, s.res.Status, s.res.Body)
				}
			}
			if next := bot[limit.Burst]; next.at.Sub(bot[0].at) < interval && next.res.Status != http.StatusTooManyRequests {
				t.Fatalf("bot attempt %d, right after its burst: %d %s", limit.Burst, next.res.Status, next.res.Body)
			}
			botRun := bot[botAttempts-1].at.Sub(bot[0].at)
			refills := int(botRun/interval) + 1
			booked, limited := 0, 0
			for i, s := range bot {
				switch s.res.Status {
				case http.StatusCreated:
					booked++
				case http.StatusTooManyRequests:
					limited++
					rlWant429(t, fmt.Sprint("bot attempt ", i), s.res, limit)
				default:
					t.Fatalf("bot attempt %d: %d %s", i, s.res.Status, s.res.Body)
				}
			}
			if booked < limit.Burst || booked > limit.Burst+refills {
				t.Fatalf("the bot booked %d times in %v: want its burst %d plus at most %d refilled at one per %v",
					booked, botRun, limit.Burst, refills, interval)
			}
			t.Logf("%s: bot %d booked, %d limited in %v; %d others booked; whole run %v",
				mode.Name, booked, limited, botRun, others*each, elapsed)
			var left []slotOut
			ta.Do(t, nil, "GET", "/api/v1/venues/beibei-library/slots?date=2026-03-03", nil).JSON(t, &left)
			if left[0].Booked != booked+others*each {
				t.Fatalf("the slot holds %d people, want %d booked by bot and crowd", left[0].Booked, booked+others*each)
			}
		})
	}
}

// rlWant429 checks a refusal by the client limit: its code, Retry-After
// within one interval, and the RateLimit fields naming what refused it.
func rlWant429(t *testing.T, what string, res testkit.Response, p domain.LimitPolicy) {
	t.Helper()
	if res.Code() != "rate_limited" {
		t.Fatalf("%s: %d %s, want rate_limited", what, res.Status, res.Body)
	}
	ra, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || ra < 1 || time.Duration(ra-1)*time.Second > p.Interval() {
		t.Fatalf("%s: Retry-After %q, want 1 to %v in whole seconds", what, res.Header.Get("Retry-After"), p.Interval())
	}
	w := int(math.Ceil((time.Duration(p.Burst) * p.Interval()).Seconds()))
	policy := fmt.Sprintf("%q;q=%d;w=%d", p.Name, p.Burst, w)
	if !strings.Contains(res.Header.Get("RateLimit-Policy"), policy) {
		t.Fatalf("%s: RateLimit-Policy %q, want %s", what, res.Header.Get("RateLimit-Policy"), policy)
	}
	if !strings.Contains(res.Header.Get("RateLimit"), fmt.Sprintf("%q;r=0;", p.Name)) {
		t.Fatalf("%s: RateLimit %q, want %q with nothing left", what, res.Header.Get("RateLimit"), p.Name)
	}
	rlDraftFields(t, res.Header)
}

// TestClientAddressBehindProxies: X-Forwarded-For is believed only from a
// configured proxy, and then only its rightmost untrusted entry, so that a
// client rotating the header is still counted by its real address.
func TestClientAddressBehindProxies(t *testing.T) {
	limit := domain.LimitPolicy{Name: "booking-client", Quota: 3, Window: time.Minute, Burst: 3}
	cases := []struct {
		name    string
		trusted []string
		xff     func(i int) string
		counted string // the address the limit must count
	}{
		{"no proxy trusted, header rotated", nil,
			func(i int) string { return fmt.Sprintf("198.51.100.%d", i+1) }, "127.0.0.1"},
		{"another proxy trusted, header rotated", []string{"10.0.0.0/8"},
			func(i int) string { return fmt.Sprintf("198.51.100.%d", i+1) }, "127.0.0.1"},
		{"the proxy trusted, spoofed entries before the one it added", []string{"127.0.0.1/32"},
			func(i int) string { return fmt.Sprintf("198.51.100.%d, 192.0.2.99", i+1) }, "192.0.2.99"},
	}
	for _, mode := range testkit.Modes(t) {
		for _, tc := range cases {
			t.Run(mode.Name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ta := rlApp(t, mode, func(c *app.Config) {
					c.BookingLimits.ByClient = limit
					c.TrustedProxies = rlNets(t, tc.trusted...)
				})
				s := slots(t, ta, "beibei-library", "2026-03-03")[0]
				for i := range limit.Burst + 2 {
					res := ta.Do(t, nil, "POST", "/api/v1/bookings",
						rlParty(s.ID, fmt.Sprintf("136%08d", i), fmt.Sprintf("X%08d", i)), "X-Forwarded-For", tc.xff(i))
					switch {
					case i < limit.Burst && res.Status != http.StatusCreated:
						t.Fatalf("attempt %d within the burst: %d %s", i, res.Status, res.Body)
					case i >= limit.Burst:
						rlWant429(t, fmt.Sprint("attempt ", i), res, limit)
					}
				}
				ctx := context.Background()
				keys, err := ta.Redis.Client().Keys(ctx, ta.Redis.Prefix+"sg:limit:{booking-client:*").Result()
				if err != nil {
					t.Fatal(err)
				}
				if want := ta.Redis.Prefix + "sg:limit:{booking-client:" + tc.counted + "}"; len(keys) != 1 || keys[0] != want {
					t.Fatalf("client keys %v, want only %s", keys, want)
				}
			})
		}
	}
}

// TestRateLimitHeaders: a booking's answer reports every policy it was
// counted against, once each, with what is left and when it is whole
// again; a 429 adds Retry-After, also in the body.
func TestRateLimitHeaders(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := rlApp(t, mode, nil)
			s := slots(t, ta, "beibei-library", "2026-03-03")[0]
			const phone = "13912340000"
			// Each GCRA as its bucket: the burst, refilled by the steady rate in w s
			// (20 at 1 a second; 5 at one per 180 s).
			wantPolicy := `"booking-client";q=20;w=20, "booking-phone";q=5;w=900, "booking-id";q=5;w=900`
			party := map[string]any{"slot_id": s.ID, "phone": phone, "visitors": []map[string]string{
				{"name": "访客1", "id_type": "passport", "id_number": "Y00000001"},
				{"name": "访客2", "id_type": "passport", "id_number": "Y00000002"}}}
			res := ta.Do(t, nil, "POST", "/api/v1/bookings", party)
			if res.Status != http.StatusCreated {
				t.Fatalf("book: %d %s", res.Status, res.Body)
			}
			if got := res.Header.Get("RateLimit-Policy"); got != wantPolicy {
				t.Fatalf("RateLimit-Policy on a 201:\n got %s\nwant %s", got, wantPolicy)
			}
			// One of 20 at once used, back in 1 s; one of the phone's 5, back in 180 s.
			if got, want := res.Header.Get("RateLimit"), `"booking-client";r=19;t=1, "booking-phone";r=4;t=180, "booking-id";r=4;t=180`; got != want {
				t.Fatalf("RateLimit on a 201:\n got %s\nwant %s", got, want)
			}
			rlDraftFields(t, res.Header)
			if res.Header.Get("Retry-After") != "" {
				t.Fatalf("a 201 with Retry-After %q", res.Header.Get("Retry-After"))
			}
			// The phone's other four, then a refusal by the phone limit.
			for i := range 4 {
				res := ta.Do(t, nil, "POST", "/api/v1/bookings", rlParty(s.ID, phone, fmt.Sprintf("Y%08d", 10+i)))
				if res.Status != http.StatusCreated {
					t.Fatalf("booking %d with the phone: %d %s", i+2, res.Status, res.Body)
				}
			}
			res = ta.Do(t, nil, "POST", "/api/v1/bookings", rlParty(s.ID, phone, "Y00000099"))
			if res.Status != http.StatusTooManyRequests || res.Code() != "rate_limited" {
				t.Fatalf("the phone's sixth booking: %d %s", res.Status, res.Body)
			}
			if got := res.Header.Get("RateLimit-Policy"); got != wantPolicy {
				t.Fatalf("RateLimit-Policy on a 429:\n got %s\nwant %s", got, wantPolicy)
			}
			if got := res.Header.Get("RateLimit"); !strings.Contains(got, `"booking-client";r=`) || !strings.Contains(got, `"booking-phone";r=0;t=`) {
				t.Fatalf("RateLimit on a 429: %s", got)
			}
			rlDraftFields(t, res.Header)
			ra := res.Header.Get("Retry-After")
			if ra != "180" && ra != "179" {
				t.Fatalf("Retry-After %q, want 180 s: one phone booking comes back every 3 minutes", ra)
			}
			var p struct {
				RetryAfter int `json:"retry_after"`
			}
			res.JSON(t, &p)
			if strconv.Itoa(p.RetryAfter) != ra {
				t.Fatalf("retry_after %d in the body, %s in the header", p.RetryAfter, ra)
			}
		})
	}
}

// rlDraftFields parses RateLimit-Policy and RateLimit as the draft's
// Structured Fields (RFC 9651 lists of strings with parameters) and checks
// that they use only the draft's parameters, that each RateLimit names a
// policy, and that r never exceeds the q of the policy it names.
func rlDraftFields(t *testing.T, h http.Header) {
	t.Helper()
	policies, err := httpsfv.UnmarshalList(h.Values("RateLimit-Policy"))
	if err != nil {
		t.Fatalf("RateLimit-Policy %q is not a Structured Fields list: %v", h.Values("RateLimit-Policy"), err)
	}
	quota := map[string]int64{}
	for _, m := range policies {
		it, ok := m.(httpsfv.Item)
		name, isString := it.Value.(string)
		if !ok || !isString {
			t.Fatalf("RateLimit-Policy member %#v is not a string item", m)
		}
		for _, k := range it.Params.Names() {
			if !slices.Contains([]string{"q", "qu", "w", "pk"}, k) {
				t.Errorf("RateLimit-Policy %q has parameter %q, which the draft does not define", name, k)
			}
		}
		q, okq := it.Params.Get("q")
		w, okw := it.Params.Get("w")
		qi, _ := q.(int64)
		if wi, _ := w.(int64); !okq || !okw || qi < 1 || wi < 1 {
			t.Errorf("RateLimit-Policy %q: q=%v w=%v, want positive integers", name, q, w)
		}
		quota[name] = qi
	}
	states, err := httpsfv.UnmarshalList(h.Values("RateLimit"))
	if err != nil {
		t.Fatalf("RateLimit %q is not a Structured Fields list: %v", h.Values("RateLimit"), err)
	}
	for _, m := range states {
		it, _ := m.(httpsfv.Item)
		name, _ := it.Value.(string)
		q, named := quota[name]
		if !named {
			t.Errorf("RateLimit names %q, which RateLimit-Policy does not", name)
		}
		for _, k := range it.Params.Names() {
			if !slices.Contains([]string{"r", "t", "pk"}, k) {
				t.Errorf("RateLimit %q has parameter %q, which the draft does not define", name, k)
			}
		}
		r, _ := it.Params.Get("r")
		tt, _ := it.Params.Get("t")
		ri, _ := r.(int64)
		if ti, ok := tt.(int64); !ok || ti < 0 {
			t.Errorf("RateLimit %q: t=%v, want a non-negative integer", name, tt)
		}
		if ri < 0 || ri > q {
			t.Errorf("RateLimit %q: r=%d outside 0..q=%d", name, ri, q)
		}
	}
}

// TestLookupLimit: reading, drawing and cancelling a booking by its code
// share one limit per client address; past its burst each is refused, and
// a refused cancellation cancels nothing.
func TestLookupLimit(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			limit := domain.LimitPolicy{Name: "lookup-client", Quota: 3, Window: time.Minute, Burst: 3}
			ta := rlApp(t, mode, func(c *app.Config) { c.LookupLimit = limit })
			s := slots(t, ta, "beibei-library", "2026-03-03")[0]
			res := ta.Do(t, nil, "POST", "/api/v1/bookings", rlParty(s.ID, "13912340001", "Z00000001"))
			var b bookingOut
			res.JSON(t, &b)
			for i, path := range []string{"/api/v1/bookings/" + b.Code, "/api/v1/bookings/" + b.Code + "/qr.png", "/api/v1/bookings/" + b.Code} {
				res := ta.Do(t, nil, "GET", path, nil)
				if res.Status != http.StatusOK {
					t.Fatalf("lookup %d within the burst: %d %s", i, res.Status, res.Body)
				}
				if want := fmt.Sprintf(`"lookup-client";r=%d;t=%d`, 2-i, 20*(i+1)); res.Header.Get("RateLimit") != want {
					t.Fatalf("lookup %d: RateLimit %q, want %q", i, res.Header.Get("RateLimit"), want)
				}
			}
			for _, method := range []string{"GET", "DELETE"} {
				rlWant429(t, method+" past the lookup burst", ta.Do(t, nil, method, "/api/v1/bookings/"+b.Code, nil), limit)
			}
			got, err := ta.Bookings.ByCode(context.Background(), b.Code)
			if err != nil || got.Status != domain.BookingConfirmed {
				t.Fatalf("after a refused cancellation the booking is %+v (%v), want confirmed", got.Status, err)
			}
			// A forwarded-for from an untrusted peer does not make another client.
			if res := ta.Do(t, nil, "GET", "/api/v1/bookings/"+b.Code, nil, "X-Forwarded-For", "192.0.2.1"); res.Status != http.StatusTooManyRequests {
				t.Fatalf("an untrusted forwarded-for escaped the limit: %d", res.Status)
			}
		})
	}
}

// TestLimitsFallBackWhenRedisIsGone: with Redis out of reach, bookings are
// refused (capacity never falls back) while sign-in attempts are still
// limited, in-process; /readyz, /metrics and the log say so.
func TestLimitsFallBackWhenRedisIsGone(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			var proxy *testkit.CuttingProxy
			logs := &testkit.LogBuffer{}
			ta := rlApp(t, mode, nil, testkit.Options{Logs: logs, RedisURL: func(r *testkit.Redis) string {
				addr := r.Addr()
				proxy = testkit.NewCuttingProxy(t, addr)
				return strings.Replace(r.URL, addr, proxy.Addr(), 1)
			}})
			s := slots(t, ta, "beibei-library", "2026-03-03")[0]
			ready := func() (int, string) {
				res := ta.Do(t, nil, "GET", "/readyz", nil)
				var out struct {
					Parts map[string]string `json:"parts"`
				}
				res.JSON(t, &out)
				return res.Status, out.Parts["rate_limits"]
			}
			gauge := func() string {
				for _, line := range strings.Split(string(ta.Do(t, nil, "GET", "/metrics", nil).Body), "\n") {
					if f := strings.Fields(line); len(f) == 2 && f[0] == "slotgate_rate_limits_fallback" {
						return f[1]
					}
				}
				return "missing"
			}

			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", rlParty(s.ID, "13912340002", "V00000001")); res.Status != http.StatusCreated {
				t.Fatalf("book with Redis up: %d %s", res.Status, res.Body)
			}
			if status, limits := ready(); status != http.StatusOK || limits != "redis" {
				t.Fatalf("/readyz with Redis up: %d rate_limits=%q", status, limits)
			}
			if g := gauge(); g != "0" {
				t.Fatalf("slotgate_rate_limits_fallback %s with Redis up, want 0", g)
			}

			proxy.Down()
			res := ta.Do(t, nil, "POST", "/api/v1/bookings", rlParty(s.ID, "13912340003", "V00000002"))
			if res.Status != http.StatusServiceUnavailable || res.Code() != "unavailable" {
				t.Fatalf("book with Redis gone: %d %s, want 503: capacity never falls back", res.Status, res.Body)
			}
			// login-user-client allows 5 failures at once: the sixth attempt
			// from that address is refused, however right its password, by
			// the in-process count.
			login := ta.Config.LoginLimits.ByUserClient
			for i := range login.Burst {
				res := ta.Do(t, nil, "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "wrong-password"})
				if res.Status != http.StatusUnauthorized {
					t.Fatalf("sign-in attempt %d with Redis gone: %d %s", i, res.Status, res.Body)
				}
			}
			res = ta.Do(t, nil, "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": testkit.AdminPassword})
			if res.Status != http.StatusTooManyRequests || res.Code() != "rate_limited" || res.Header.Get("Retry-After") == "" {
				t.Fatalf("sign-in past the burst with Redis gone: %d %s (Retry-After %q)", res.Status, res.Body, res.Header.Get("Retry-After"))
			}
			if status, limits := ready(); status != http.StatusServiceUnavailable || limits != "in-process fallback" {
				t.Fatalf("/readyz with Redis gone: %d rate_limits=%q", status, limits)
			}
			if g := gauge(); g != "1" {
				t.Fatalf("slotgate_rate_limits_fallback %s with Redis gone, want 1", g)
			}
			if !strings.Contains(logs.String(), "request limits fall back to in-process counting") {
				t.Fatalf("the log does not say the limits fell back:\n%s", logs)
			}
			if n := strings.Count(logs.String(), "request limits fall back"); n != 1 {
				t.Fatalf("the fallback was logged %d times, want once", n)
			}
		})
	}
}
