package api_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// The gate, through HTTP: sign-in, who may do what, the admission rules,
// races at two gates, occupancy and flow, walk-ins, offline scanners.

var shanghai = testkit.Monday0800.Location()

func at(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", "2026-03-02 "+hhmm, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// gateApp starts an instance with staff at the mountain ("north"), staff at
// the library ("librarian") and the admin.
func gateApp(t *testing.T, mode testkit.Mode, configure ...func(*app.Config)) (*testkit.TestApp, map[string]string) {
	t.Helper()
	opts := testkit.Options{}
	if len(configure) > 0 {
		opts.Configure = configure[0]
	}
	ta := testkit.StartApp(t, mode, opts)
	ta.AddStaff(t, "north", domain.RoleStaff, "jinyun-mountain")
	ta.AddStaff(t, "librarian", domain.RoleStaff, "beibei-library")
	return ta, map[string]string{
		"north":     ta.Login(t, "north", testkit.StaffPassword),
		"librarian": ta.Login(t, "librarian", testkit.StaffPassword),
		"admin":     ta.Login(t, "admin", testkit.AdminPassword),
	}
}

var passportSeq atomic.Int64

// book makes a booking of n people in the venue's slot starting at hhmm
// today (Monday), with the clock at 08:00, and returns it.
func book(t *testing.T, ta *testkit.TestApp, venue, hhmm string, n int) bookingOut {
	t.Helper()
	var slotID int64
	for _, s := range slots(t, ta, venue, "2026-03-02") {
		if strings.Contains(s.Start, "T"+hhmm+":00+08:00") {
			slotID = s.ID
		}
	}
	if slotID == 0 {
		t.Fatalf("no %s slot at %s", venue, hhmm)
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("G%08d", passportSeq.Add(1))
	}
	saved := ta.Clock.Now()
	ta.Clock.Set(at("08:00:00"))
	defer ta.Clock.Set(saved)
	res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(slotID, ids...))
	if res.Status != 201 {
		t.Fatalf("book %s %s: %d %s", venue, hhmm, res.Status, res.Body)
	}
	var b bookingOut
	res.JSON(t, &b)
	return b
}

func admit(t *testing.T, ta *testkit.TestApp, auth, code, gate string, extra ...string) testkit.Response {
	t.Helper()
	req := map[string]string{"code": code, "gate": gate, "venue": "jinyun-mountain"}
	for i := 0; i+1 < len(extra); i += 2 {
		req[extra[i]] = extra[i+1]
	}
	return ta.Do(t, nil, "POST", "/api/v1/admissions", req, "Authorization", auth)
}

type admittedOut struct {
	Result    string     `json:"result"`
	Booking   bookingOut `json:"booking"`
	Occupancy struct {
		Inside   int `json:"inside"`
		Capacity int `json:"capacity"`
	} `json:"occupancy"`
	Gate     string `json:"gate"`
	Replayed bool   `json:"replayed"`
}

// TestStaffAuthorization tries every staff route as anonymous, as staff of
// another venue, as staff of the venue, and as admin.
func TestStaffAuthorization(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			tokens["anonymous"] = ""
			// Each role's request gets its own booking to admit.
			codes := map[string]string{}
			for _, who := range []string{"anonymous", "librarian", "north", "admin"} {
				codes[who] = book(t, ta, "jinyun-mountain", "09:00", 1).Code
			}
			ta.Clock.Set(at("08:40:00"))
			type route struct {
				name, method, path string
				body               func(who string) any
				want               map[string]int // by role
			}
			venueWide := map[string]int{"anonymous": 401, "librarian": 403, "north": 200, "admin": 200}
			routes := []route{
				{"admit", "POST", "/api/v1/admissions", func(who string) any {
					return map[string]string{"code": codes[who], "gate": "North", "venue": "jinyun-mountain"}
				}, venueWide},
				{"offline upload", "POST", "/api/v1/admissions/offline", func(who string) any {
					return map[string]any{"venue": "jinyun-mountain", "scanner_id": "s-" + who,
						"scans": []map[string]any{{"code": "x", "gate": "North", "nonce": "n1", "scanned_at": at("08:35:00")}}}
				}, venueWide},
				{"walk-in", "POST", "/api/v1/venues/jinyun-mountain/walkins", func(who string) any {
					return map[string]any{"gate": "North", "visitors": []map[string]string{
						{"name": "散客", "id_type": "passport", "id_number": fmt.Sprintf("W%08d", passportSeq.Add(1))}}}
				}, map[string]int{"anonymous": 401, "librarian": 403, "north": 201, "admin": 201}},
				{"exit", "POST", "/api/v1/venues/jinyun-mountain/exits", func(string) any {
					return map[string]any{"gate": "North", "count": 1}
				}, venueWide},
				{"occupancy", "GET", "/api/v1/venues/jinyun-mountain/occupancy", nil, venueWide},
				{"scan keys", "GET", "/api/v1/venues/jinyun-mountain/scan-keys", nil, venueWide},
				{"cancellations", "GET", "/api/v1/venues/jinyun-mountain/cancellations", nil, venueWide},
				{"who am I", "GET", "/api/v1/auth/me", nil, map[string]int{"anonymous": 401, "librarian": 200, "north": 200, "admin": 200}},
				{"decode a frame", "POST", "/api/v1/scans/decode", func(string) any { return "not an image" },
					map[string]int{"anonymous": 401, "librarian": 422, "north": 422, "admin": 422}},
				{"staff list (CSV)", "GET", "/api/v1/venues/jinyun-mountain/bookings.csv?date=2026-03-02", nil, venueWide},
				{"desk search", "GET", "/api/v1/admin/bookings?venue=jinyun-mountain&date=2026-03-02&q=13800138000", nil, venueWide},
			}
			// Admin routes: refused to anonymous and to every staff member.
			adminOnly := func(ok int) map[string]int {
				return map[string]int{"anonymous": 401, "librarian": 403, "north": 403, "admin": ok}
			}
			tuesday := slots(t, ta, "jinyun-mountain", "2026-03-03")
			ta.AddStaff(t, "temp", domain.RoleStaff, "beibei-library")
			routes = append(routes, []route{
				{"create venue", "POST", "/api/v1/admin/venues", func(who string) any {
					return map[string]any{"slug": "hall-" + who, "name": map[string]string{"zh": "展厅", "en": "Hall"}, "kind": "museum",
						"default_quota": 10}
				}, adminOnly(201)},
				{"edit venue", "PUT", "/api/v1/admin/venues/beibei-library", func(string) any {
					return map[string]any{"gate_burst": 12, "reason": "more staff at the door"}
				}, adminOnly(200)},
				{"default quota", "PUT", "/api/v1/admin/venues/beibei-library/default-quota", func(string) any {
					return map[string]any{"quota": 100, "reason": "policy"}
				}, adminOnly(200)},
				{"day quota", "PUT", "/api/v1/admin/venues/jinyun-mountain/days/2026-03-05/quota", func(string) any {
					return map[string]any{"quota": 500, "reason": "event"}
				}, adminOnly(200)},
				{"slot quota", "PUT", fmt.Sprintf("/api/v1/admin/slots/%d/quota", tuesday[8].ID), func(string) any {
					return map[string]any{"quota": 300, "reason": "event"}
				}, adminOnly(200)},
				{"day view", "GET", "/api/v1/admin/venues/jinyun-mountain/days/2026-03-02", nil, adminOnly(200)},
				{"closure", "POST", "/api/v1/admin/venues/beibei-art-gallery/closures", func(string) any {
					return map[string]any{"date": "2026-03-05", "reason": "exhibition change"}
				}, adminOnly(200)},
				{"add user", "POST", "/api/v1/admin/users", func(who string) any {
					return map[string]any{"username": "new-" + who, "password": "long enough password", "role": "staff", "venues": []string{"beibei-museum"}}
				}, adminOnly(201)},
				{"list users", "GET", "/api/v1/admin/users", nil, adminOnly(200)},
				{"edit user", "PUT", "/api/v1/admin/users/temp", func(string) any {
					return map[string]any{"venues": []string{"beibei-museum"}}
				}, adminOnly(200)},
				{"reset password", "POST", "/api/v1/admin/users/temp/password", func(string) any {
					return map[string]any{"password": "another long password"}
				}, adminOnly(204)},
				{"audit log", "GET", "/api/v1/admin/audit", nil, adminOnly(200)},
				{"open a special day", "PUT", "/api/v1/admin/venues/beibei-art-gallery/days/2026-03-09", func(string) any {
					return map[string]any{"open": true, "reason": "public holiday"}
				}, adminOnly(200)},
				{"close a day ahead", "PUT", "/api/v1/admin/venues/beibei-art-gallery/days/2026-03-06", func(string) any {
					return map[string]any{"open": false, "reason": "exhibition change"}
				}, adminOnly(200)},
				{"special days", "GET", "/api/v1/admin/venues/beibei-art-gallery/days?from=2026-03-01&to=2026-03-31", nil, adminOnly(200)},
				{"daily report", "GET", "/api/v1/admin/reports/daily?from=2026-03-01&to=2026-03-02", nil, adminOnly(200)},
				{"origin report", "GET", "/api/v1/admin/reports/origins?venue=jinyun-mountain", nil, adminOnly(200)},
				{"live dashboard", "GET", "/api/v1/admin/live", nil, adminOnly(200)},
				{"sign out", "POST", "/api/v1/auth/logout", nil, map[string]int{"anonymous": 401, "librarian": 204, "north": 204, "admin": 204}},
			}...)
			for _, r := range routes {
				for _, who := range []string{"anonymous", "librarian", "north", "admin"} {
					var b any
					if r.body != nil {
						b = r.body(who)
					}
					var hdr []string
					if tokens[who] != "" {
						hdr = []string{"Authorization", tokens[who]}
					}
					res := ta.Do(t, nil, r.method, r.path, b, hdr...)
					if res.Status != r.want[who] {
						t.Errorf("%s as %s: %d, want %d: %s", r.name, who, res.Status, r.want[who], res.Body)
					}
				}
			}
			// Signed out: the tokens open nothing any more.
			if res := ta.Do(t, nil, "GET", "/api/v1/auth/me", nil, "Authorization", tokens["north"]); res.Status != 401 {
				t.Errorf("after sign-out: %d", res.Status)
			}
		})
	}
}

func TestSignIn(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode, func(c *app.Config) {
				c.RateLimits = "on"
				c.LoginLimits.ByUser = domain.LimitPolicy{Name: "login-user", Quota: 4, Window: time.Minute, Burst: 4}
			})
			res := ta.Do(t, nil, "POST", "/api/v1/auth/login", map[string]string{"username": "north", "password": "wrong password"})
			if res.Status != 401 || res.Code() != "unauthorized" {
				t.Fatalf("wrong password: %d %s", res.Status, res.Body)
			}
			// The title says what went wrong, in the asked language, and the 401
			// carries its challenge.
			var wrong struct{ Title string }
			res.JSON(t, &wrong)
			if wrong.Title != "用户名或密码错误" || res.Header.Get("WWW-Authenticate") != `Bearer realm="slotgate"` {
				t.Fatalf("wrong password: title %q, WWW-Authenticate %q", wrong.Title, res.Header.Get("WWW-Authenticate"))
			}
			if !strings.Contains(res.Header.Get("RateLimit-Policy"), `"login-user";q=4;w=60`) ||
				!strings.Contains(res.Header.Get("RateLimit"), `"login-user";r=`) {
				t.Fatalf("sign-in answers without RateLimit fields: %v", res.Header)
			}
			res = ta.Do(t, nil, "POST", "/api/v1/auth/login", map[string]string{"username": "nobody", "password": "whatever"})
			if res.Status != 401 {
				t.Fatalf("unknown user: %d", res.Status)
			}
			var me struct {
				Username string   `json:"username"`
				Role     string   `json:"role"`
				Venues   []string `json:"venues"`
			}
			ta.Do(t, nil, "GET", "/api/v1/auth/me", nil, "Authorization", tokens["north"]).JSON(t, &me)
			if me.Username != "north" || me.Role != "staff" || len(me.Venues) != 1 || me.Venues[0] != "jinyun-mountain" {
				t.Fatalf("me: %+v", me)
			}
			ta.Do(t, nil, "GET", "/api/v1/auth/me", nil, "Authorization", tokens["admin"]).JSON(t, &me)
			if me.Role != "admin" || len(me.Venues) != 5 {
				t.Fatalf("admin: %+v", me)
			}
			// The account's burst of 4 was spent by the sign-ins above (1 ok,
			// 1 wrong): two more pass, then 429 with Retry-After.
			for i := range 2 {
				if res := ta.Do(t, nil, "POST", "/api/v1/auth/login", map[string]string{"username": "north", "password": "wrong"}); res.Status != 401 {
					t.Fatalf("attempt %d: %d", i, res.Status)
				}
			}
			res = ta.Do(t, nil, "POST", "/api/v1/auth/login", map[string]string{"username": "north", "password": testkit.StaffPassword})
			if res.Status != 429 || res.Header.Get("Retry-After") == "" {
				t.Fatalf("past the account's limit: %d %s", res.Status, res.Body)
			}
			// Sessions end after a working day.
			ta.Clock.Advance(13 * time.Hour)
			if res := ta.Do(t, nil, "GET", "/api/v1/auth/me", nil, "Authorization", tokens["librarian"]); res.Status != 401 {
				t.Fatalf("expired session: %d", res.Status)
			}
		})
	}
}

// TestAdmissionRules: each answer of an admission, at the window's edges.
func TestAdmissionRules(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			north, admin := tokens["north"], tokens["admin"]
			cancelled := book(t, ta, "jinyun-mountain", "09:00", 2)
			if res := ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+cancelled.Code, nil); res.Status != 200 {
				t.Fatal(res.Status)
			}
			library := book(t, ta, "beibei-library", "09:00", 1)
			used := book(t, ta, "jinyun-mountain", "09:00", 3)

			type tc struct {
				name   string
				clock  string
				code   func() string
				auth   string
				status int
				result string
				check  func(t *testing.T, res testkit.Response)
			}
			fresh := func() string { return book(t, ta, "jinyun-mountain", "09:00", 2).Code }
			cases := []tc{
				{"forged code", "08:40:00", func() string { return flip(used.Code, 10) }, north, 422, "invalid_code", nil},
				{"garbage", "08:40:00", func() string { return "hello" }, north, 422, "invalid_code", nil},
				{"cancelled", "08:40:00", func() string { return cancelled.Code }, north, 410, "cancelled", nil},
				{"wrong venue", "08:40:00", func() string { return library.Code }, admin, 409, "wrong_venue", func(t *testing.T, res testkit.Response) {
					if !strings.Contains(string(res.Body), `"venue":"beibei-library"`) {
						t.Errorf("does not say which venue: %s", res.Body)
					}
				}},
				{"a second before the window", "08:29:59", fresh, north, 409, "wrong_time", func(t *testing.T, res testkit.Response) {
					if !strings.Contains(string(res.Body), `"from":"2026-03-02T08:30:00+08:00","to":"2026-03-02T10:00:00+08:00"`) {
						t.Errorf("window missing: %s", res.Body)
					}
				}},
				{"window opens", "08:30:00", fresh, north, 200, "admitted", nil},
				{"last second of the slot", "09:59:59", fresh, north, 200, "admitted", nil},
				{"slot over", "10:00:00", fresh, north, 409, "wrong_time", nil},
				{"first scan", "08:45:00", func() string { return used.Code }, north, 200, "admitted", func(t *testing.T, res testkit.Response) {
					var a admittedOut
					res.JSON(t, &a)
					if a.Booking.PartySize != 3 || len(a.Booking.Visitors) != 3 || !strings.Contains(a.Booking.Visitors[0].IDMasked, "*") ||
						a.Booking.Status != "admitted" || a.Occupancy.Inside < 3 {
						t.Errorf("admitted answer: %s", res.Body)
					}
				}},
				{"second scan", "08:50:00", func() string { return used.Code }, admin, 409, "already_admitted", func(t *testing.T, res testkit.Response) {
					if !strings.Contains(string(res.Body), `"admission":{"at":"2026-03-02T08:45:00+08:00","gate":"North"}`) ||
						!strings.Contains(string(res.Body), "08:45") || !strings.Contains(string(res.Body), `"party_size":3`) {
						t.Errorf("does not say when and where: %s", res.Body)
					}
				}},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					code := c.code()
					ta.Clock.Set(at(c.clock))
					res := admit(t, ta, c.auth, code, "North")
					got := res.Code()
					if res.Status == 200 {
						got = "admitted"
					}
					if res.Status != c.status || got != c.result {
						t.Fatalf("%d %s, want %d %s: %s", res.Status, got, c.status, c.result, res.Body)
					}
					if c.check != nil {
						c.check(t, res)
					}
				})
			}

			// A retried request (same request id) gets the first answer,
			// never "already admitted".
			ta.Clock.Set(at("08:40:00"))
			code := fresh()
			ta.Clock.Set(at("08:40:00"))
			first := admit(t, ta, north, code, "East", "request_id", "req-1")
			again := admit(t, ta, north, code, "East", "request_id", "req-1")
			var a admittedOut
			again.JSON(t, &a)
			if first.Status != 200 || again.Status != 200 || !a.Replayed || a.Gate != "East" {
				t.Fatalf("retry: %d then %d %s", first.Status, again.Status, again.Body)
			}
			if res := admit(t, ta, north, code, "East", "request_id", "req-2"); res.Code() != "already_admitted" {
				t.Fatalf("a new request for a used code: %d %s", res.Status, res.Body)
			}

			// Every attempt is recorded with who, where, when and the result.
			var n, admitted int
			ta.Store.DB().QueryRow(`SELECT COUNT(*), SUM(CASE WHEN result = 'admitted' THEN 1 ELSE 0 END) FROM admission_attempts`).Scan(&n, &admitted)
			if n != len(cases)+2 || admitted != 4 {
				t.Errorf("attempts recorded: %d (%d admitted), want %d (4)", n, admitted, len(cases)+2)
			}
		})
	}
}

// TestSameCodeAtTwoGates scans one code at two gates at the same instant,
// fifty times: exactly one admission each time.
func TestSameCodeAtTwoGates(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			// Fifty parties in a minute at two gates: more than the default flow.
			ta.SQL(t, `UPDATE venues SET gate_flow_per_minute = 6000, gate_burst = 100 WHERE slug = 'jinyun-mountain'`)
			client := testkit.Client()
			for round := range 50 {
				code := book(t, ta, "jinyun-mountain", "10:00", 1).Code
				ta.Clock.Set(at("09:45:00"))
				var wg sync.WaitGroup
				statuses := make([]int, 2)
				start := make(chan struct{})
				for i, gate := range []string{"North", "South"} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						auth := tokens[map[int]string{0: "north", 1: "admin"}[i]]
						<-start
						res := ta.Do(t, client, "POST", "/api/v1/admissions",
							map[string]string{"code": code, "gate": gate, "venue": "jinyun-mountain"}, "Authorization", auth)
						statuses[i] = res.Status
					}()
				}
				close(start)
				wg.Wait()
				if !(statuses[0] == 200 && statuses[1] == 409) && !(statuses[0] == 409 && statuses[1] == 200) {
					t.Fatalf("round %d: %v, want one 200 and one 409", round, statuses)
				}
			}
			var admissions, inside int
			ta.Store.DB().QueryRow(`SELECT COUNT(*), SUM(party_size) FROM admissions`).Scan(&admissions, &inside)
			var occ struct{ Inside int }
			ta.Do(t, nil, "GET", "/api/v1/venues/jinyun-mountain/occupancy", nil, "Authorization", tokens["admin"]).JSON(t, &occ)
			if admissions != 50 || occ.Inside != 50 {
				t.Fatalf("%d admissions, %d inside; want 50 and 50 (the losers' room given back)", admissions, occ.Inside)
			}
		})
	}
}

// TestOccupancyAndFlow: one out, one in at capacity; the gate's bucket
// refills at its rate; Redis losing the count rebuilds it from the records.
// The flow runs on a clock of the test's, moved by hand, so that no margin
// of wall-clock time decides it (a slow, loaded machine included).
func TestOccupancyAndFlow(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			flow := domain.NewManualClock(time.Date(2026, 3, 2, 0, 40, 0, 0, time.UTC))
			ta, tokens := gateApp(t, mode, func(c *app.Config) { c.GateFlowClock = flow })
			north := tokens["north"]
			ta.SQL(t, `UPDATE venues SET instantaneous_capacity = 5, gate_flow_per_minute = 600, gate_burst = 3 WHERE slug = 'jinyun-mountain'`)
			a, b, c := book(t, ta, "jinyun-mountain", "09:00", 3), book(t, ta, "jinyun-mountain", "09:00", 2), book(t, ta, "jinyun-mountain", "09:00", 1)
			ta.Clock.Set(at("08:40:00"))
			if res := admit(t, ta, north, a.Code, "North"); res.Status != 200 {
				t.Fatalf("A: %d %s", res.Status, res.Body)
			}
			// The burst is spent: B, 2 people, waits 200 ms.
			res := admit(t, ta, north, b.Code, "North")
			if res.Status != 429 || res.Code() != "flow_limited" {
				t.Fatalf("B right after a burst: %d %s", res.Status, res.Body)
			}
			flow.Advance(199 * time.Millisecond)
			if res := admit(t, ta, north, b.Code, "North"); res.Status != 429 || res.Code() != "flow_limited" {
				t.Fatalf("B 1 ms early: %d %s", res.Status, res.Body)
			}
			flow.Advance(time.Millisecond)
			if res := admit(t, ta, north, b.Code, "North"); res.Status != 200 {
				t.Fatalf("B: %d %s", res.Status, res.Body)
			}
			flow.Advance(time.Second)
			res = admit(t, ta, north, c.Code, "North")
			if res.Status != 429 || res.Code() != "flow_limited" || !strings.Contains(string(res.Body), `"must_leave":1`) {
				t.Fatalf("C at capacity: %d %s", res.Status, res.Body)
			}
			exit := func(n int, req string) int {
				var occ struct{ Inside int }
				res := ta.Do(t, nil, "POST", "/api/v1/venues/jinyun-mountain/exits",
					map[string]any{"gate": "North", "count": n, "request_id": req}, "Authorization", north)
				if res.Status != 200 {
					t.Fatalf("exit: %d %s", res.Status, res.Body)
				}
				res.JSON(t, &occ)
				return occ.Inside
			}
			if got := exit(1, "e1"); got != 4 {
				t.Fatalf("after one exit: %d inside", got)
			}
			if got := exit(1, "e1"); got != 4 {
				t.Fatalf("a retried exit counted twice: %d inside", got)
			}
			if res := admit(t, ta, north, c.Code, "North"); res.Status != 200 {
				t.Fatalf("C after an exit: %d %s", res.Status, res.Body)
			}

			// Redis loses the count: it comes back from admissions and exits.
			ta.Redis.Wipe(t)
			var occ struct{ Inside, Capacity int }
			ta.Do(t, nil, "GET", "/api/v1/venues/jinyun-mountain/occupancy", nil, "Authorization", north).JSON(t, &occ)
			if occ.Inside != 5 || occ.Capacity != 5 {
				t.Fatalf("rebuilt occupancy: %+v, want 5 of 5", occ)
			}
			if got := exit(5, ""); got != 0 {
				t.Fatalf("all out: %d", got)
			}

			// The gate's bucket: a burst of 3 people, then one every 100 ms.
			singles := make([]bookingOut, 5)
			for i := range singles {
				singles[i] = book(t, ta, "jinyun-mountain", "09:00", 1)
			}
			ta.Clock.Set(at("08:41:00"))
			flow.Advance(time.Minute)
			for i := range 3 {
				if res := admit(t, ta, north, singles[i].Code, "West"); res.Status != 200 {
					t.Fatalf("within the burst, %d: %d %s", i, res.Status, res.Body)
				}
			}
			res = admit(t, ta, north, singles[3].Code, "West")
			if res.Status != 429 || res.Code() != "flow_limited" || res.Header.Get("Retry-After") != "1" {
				t.Fatalf("past the burst: %d %s %v", res.Status, res.Body, res.Header)
			}
			// Another gate has its own bucket.
			if res := admit(t, ta, north, singles[3].Code, "East"); res.Status != 200 {
				t.Fatalf("another gate: %d %s", res.Status, res.Body)
			}
			flow.Advance(99 * time.Millisecond)
			if res := admit(t, ta, north, singles[4].Code, "West"); res.Status != 429 {
				t.Fatalf("1 ms before one interval: %d %s", res.Status, res.Body)
			}
			flow.Advance(time.Millisecond) // one person's worth refills
			if res := admit(t, ta, north, singles[4].Code, "West"); res.Status != 200 {
				t.Fatalf("after one interval: %d %s", res.Status, res.Body)
			}
		})
	}
}

// TestWalkIns registers people at the gate: they take places from the slot
// under way and are inside at once; if they cannot enter, nothing is kept.
func TestWalkIns(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			ta.SQL(t, `UPDATE venues SET instantaneous_capacity = 3 WHERE slug = 'jinyun-mountain'`)
			ta.Clock.Set(at("08:20:00"))
			walkIn := func(n int) testkit.Response {
				var vs []map[string]string
				for range n {
					vs = append(vs, map[string]string{"name": "散客", "id_type": "passport", "id_number": fmt.Sprintf("W%08d", passportSeq.Add(1))})
				}
				return ta.Do(t, nil, "POST", "/api/v1/venues/jinyun-mountain/walkins",
					map[string]any{"gate": "North", "visitors": vs}, "Authorization", tokens["north"])
			}
			res := walkIn(2)
			var a admittedOut
			res.JSON(t, &a)
			if res.Status != 201 || a.Booking.Status != "admitted" || a.Occupancy.Inside != 2 || !strings.Contains(a.Booking.Slot.Start, "T08:00:00") {
				t.Fatalf("walk-in: %d %s", res.Status, res.Body)
			}
			eight := slots(t, ta, "jinyun-mountain", "2026-03-02")[1]
			if eight.Booked != 2 {
				t.Fatalf("the 08:00 slot: %+v, want 2 booked by the walk-in", eight)
			}
			before := countRows(t, ta)
			if res := walkIn(2); res.Status != 429 || res.Code() != "flow_limited" {
				t.Fatalf("walk-in beyond capacity: %d %s", res.Status, res.Body)
			}
			if got := slots(t, ta, "jinyun-mountain", "2026-03-02")[1]; got.Booked != 2 {
				t.Fatalf("a refused walk-in kept its places: %+v", got)
			}
			if after := countRows(t, ta); after[2] != before[2] {
				t.Fatalf("a refused walk-in changed the booked count: %v -> %v", before, after)
			}
			ta.Clock.Set(at("18:30:00"))
			if res := walkIn(1); res.Code() != "slot_closed" {
				t.Fatalf("walk-in after closing: %d %s", res.Status, res.Body)
			}
		})
	}
}

// TestOfflineScanners: the public key checks codes without a connection;
// cancelled codes are listed; uploads are recorded as they happened, once,
// and a double admission by two offline scanners is reported.
func TestOfflineScanners(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			north := tokens["north"]
			b := book(t, ta, "jinyun-mountain", "09:00", 2)
			gone := book(t, ta, "jinyun-mountain", "09:00", 1)
			ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+gone.Code, nil)

			var keys struct {
				Algorithm string `json:"algorithm"`
				PublicKey string `json:"public_key"`
			}
			ta.Do(t, nil, "GET", "/api/v1/venues/jinyun-mountain/scan-keys", nil, "Authorization", north).JSON(t, &keys)
			pub, _ := base64.RawURLEncoding.DecodeString(keys.PublicKey)
			raw, _ := base64.RawURLEncoding.DecodeString(b.Code)
			if keys.Algorithm != "Ed25519" || !ed25519.Verify(pub, raw[:len(raw)-64], raw[len(raw)-64:]) {
				t.Fatalf("the published key does not verify a code: %+v", keys)
			}
			var list struct {
				AsOf  string `json:"as_of"`
				Codes []struct {
					Code string `json:"code"`
				} `json:"codes"`
			}
			ta.Do(t, nil, "GET", "/api/v1/venues/jinyun-mountain/cancellations?since=2026-01-01T00:00:00Z", nil, "Authorization", north).JSON(t, &list)
			if len(list.Codes) != 1 || list.Codes[0].Code != gone.Code {
				t.Fatalf("cancelled codes: %+v", list)
			}
			// as_of is the service's time: passed back as since, it lists
			// exactly what was cancelled after it.
			if list.AsOf != ta.Clock.Now().UTC().Format(time.RFC3339) {
				t.Fatalf("as_of %s, the service's clock says %s", list.AsOf, ta.Clock.Now().UTC().Format(time.RFC3339))
			}
			later := book(t, ta, "jinyun-mountain", "09:00", 1)
			ta.Clock.Advance(time.Minute)
			ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+later.Code, nil)
			ta.Do(t, nil, "GET", "/api/v1/venues/jinyun-mountain/cancellations?since="+list.AsOf, nil, "Authorization", north).JSON(t, &list)
			if len(list.Codes) != 1 || list.Codes[0].Code != later.Code {
				t.Fatalf("cancelled since the last as_of: %+v", list)
			}

			ta.Clock.Set(at("08:50:00"))
			upload := func(scanner string, scans ...map[string]any) []map[string]any {
				var out struct {
					Results []map[string]any `json:"results"`
				}
				res := ta.Do(t, nil, "POST", "/api/v1/admissions/offline",
					map[string]any{"venue": "jinyun-mountain", "scanner_id": scanner, "scans": scans}, "Authorization", north)
				if res.Status != 200 {
					t.Fatalf("upload: %d %s", res.Status, res.Body)
				}
				res.JSON(t, &out)
				return out.Results
			}
			scan := func(code, gate, nonce, hhmm string) map[string]any {
				return map[string]any{"code": code, "gate": gate, "nonce": nonce, "scanned_at": at(hhmm)}
			}
			r1 := upload("scanner-1", scan(b.Code, "North", "a", "08:35:00"), scan(gone.Code, "North", "b", "08:36:00"))
			r2 := upload("scanner-2", scan(b.Code, "South", "a", "08:37:00"))
			again := upload("scanner-1", scan(b.Code, "North", "a", "08:35:00"))
			if r1[0]["result"] != "admitted" || r1[1]["result"] != "cancelled" {
				t.Fatalf("first upload: %v", r1)
			}
			first, _ := r2[0]["first_admission"].(map[string]any)
			if r2[0]["result"] != "already_admitted" || first["gate"] != "North" || first["at"] != "2026-03-02T00:35:00Z" {
				t.Fatalf("second scanner's double admission: %v", r2)
			}
			if again[0]["result"] != "admitted" || again[0]["repeat"] != true {
				t.Fatalf("re-upload: %v", again)
			}
			var admittedAt time.Time
			var n int
			ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM admissions`).Scan(&n)
			row := ta.Store.DB().QueryRow(`SELECT admitted_at FROM admissions`)
			if err := row.Scan(&admittedAt); err != nil && mode.DB == "mysql" {
				t.Fatal(err)
			}
			var attempts int
			ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM admission_attempts WHERE offline = 1`).Scan(&attempts)
			if n != 1 || attempts != 3 {
				t.Fatalf("%d admissions and %d offline attempts; want 1 and 3", n, attempts)
			}
			// People let in offline are counted inside.
			var occ struct{ Inside int }
			ta.Do(t, nil, "GET", "/api/v1/venues/jinyun-mountain/occupancy", nil, "Authorization", north).JSON(t, &occ)
			if occ.Inside != 2 {
				t.Fatalf("inside after offline admissions: %d", occ.Inside)
			}
		})
	}
}

// TestRealScanner renders a booking's QR code, reads it with an
// independent decoder (zbarimg) and admits with what it read.
func TestRealScanner(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		if testkit.Required() {
			t.Fatal("zbarimg (Debian's zbar-tools) is required in CI")
		}
		t.Skip("zbarimg not installed")
	}
	ta, tokens := gateApp(t, testkit.Modes(t)[0])
	b := book(t, ta, "jinyun-mountain", "09:00", 2)
	res := ta.Do(t, nil, "GET", b.QRURL, nil)
	file := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(file, res.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zbar, "--raw", "-q", file).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	read := strings.TrimSpace(string(out))
	if read != b.Code {
		t.Fatalf("zbarimg read %q, want %q", read, b.Code)
	}
	ta.Clock.Set(at("08:45:00"))
	if res := admit(t, ta, tokens["north"], read, "North"); res.Status != http.StatusOK {
		t.Fatalf("admit what the scanner read: %d %s", res.Status, res.Body)
	}
}
