package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// TestSlotUnderWay: a slot stays bookable after its start until its end
// less the venue's policy (default 15 minutes; 0 means until the end).
func TestSlotUnderWay(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			ta.Clock.Set(at("10:20:00"))
			ten := slots(t, ta, "jinyun-mountain", "2026-03-02")[3]
			if !strings.Contains(ten.Start, "T10:00:00") || ten.Status != "open" {
				t.Fatalf("10:00 slot at 10:20: %+v", ten)
			}
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(ten.ID, "U10000001")); res.Status != 201 {
				t.Fatalf("book the slot under way: %d %s", res.Status, res.Body)
			}
			ta.Clock.Set(at("10:45:00"))
			if got := slots(t, ta, "jinyun-mountain", "2026-03-02")[3]; got.Status != "past" {
				t.Fatalf("10:00 slot at 10:45: %+v", got)
			}
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(ten.ID, "U10000002")); res.Status != 409 || res.Code() != "slot_closed" {
				t.Fatalf("book 15 minutes before the end: %d %s", res.Status, res.Body)
			}
			// Until the end.
			admin := ta.Login(t, "admin", testkit.AdminPassword)
			res := ta.Do(t, nil, "PUT", "/api/v1/admin/venues/jinyun-mountain", map[string]any{"booking_closes_minutes_before_end": 0, "reason": "test"}, "Authorization", admin)
			if res.Status != 200 || !strings.Contains(string(res.Body), `"booking_closes_minutes_before_end":0`) {
				t.Fatalf("policy: %d %s", res.Status, res.Body)
			}
			ta.Clock.Set(at("10:59:00"))
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(ten.ID, "U10000003")); res.Status != 201 {
				t.Fatalf("book at 10:59 with the policy at 0: %d %s", res.Status, res.Body)
			}
			ta.Clock.Set(at("11:00:00"))
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(ten.ID, "U10000004")); res.Code() != "slot_closed" {
				t.Fatalf("book at the end: %d %s", res.Status, res.Body)
			}
			for _, bad := range []any{-1, 61} {
				res := ta.Do(t, nil, "PUT", "/api/v1/admin/venues/jinyun-mountain", map[string]any{"booking_closes_minutes_before_end": bad}, "Authorization", admin)
				if res.Status != 422 || !strings.Contains(string(res.Body), "booking_closes_minutes_before_end") {
					t.Fatalf("policy %v: %d %s", bad, res.Status, res.Body)
				}
			}
		})
	}
}

// TestReleaseTime: the last day of the window opens at the release time;
// days past the window say when they open, and refuse bookings until then.
func TestReleaseTime(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			admin := ta.Login(t, "admin", testkit.AdminPassword)
			res := ta.Do(t, nil, "PUT", "/api/v1/admin/venues/beibei-library", map[string]any{"release_time": "08:30"}, "Authorization", admin)
			if res.Status != 200 || !strings.Contains(string(res.Body), `"release_time":"08:30"`) {
				t.Fatalf("release time: %d %s", res.Status, res.Body)
			}
			if res := ta.Do(t, nil, "PUT", "/api/v1/admin/venues/beibei-library", map[string]any{"release_time": "25:00"}, "Authorization", admin); res.Status != 422 {
				t.Fatalf("bad release time: %d %s", res.Status, res.Body)
			}
			ta.Clock.Set(at("08:29:00"))
			var got []struct {
				ID      int64  `json:"id"`
				Status  string `json:"status"`
				OpensAt string `json:"opens_at"`
			}
			ta.Do(t, nil, "GET", "/api/v1/venues/beibei-library/slots?date=2026-03-09", nil).JSON(t, &got)
			if got[0].Status != "not_yet_open" || got[0].OpensAt != "2026-03-02T08:30:00+08:00" {
				t.Fatalf("last day before its release: %+v", got[0])
			}
			res = ta.Do(t, nil, "POST", "/api/v1/bookings", body(got[0].ID, "R10000001"), "Accept-Language", "en")
			if res.Status != 409 || res.Code() != "slot_closed" || !strings.Contains(string(res.Body), `"opens_at":"2026-03-02T08:30:00+08:00"`) ||
				!strings.Contains(string(res.Body), "opens on 03-02 08:30") {
				t.Fatalf("book before the release: %d %s", res.Status, res.Body)
			}
			var venue struct {
				Bookable struct{ To string } `json:"bookable"`
			}
			ta.Do(t, nil, "GET", "/api/v1/venues/beibei-library", nil).JSON(t, &venue)
			if venue.Bookable.To != "2026-03-08" {
				t.Fatalf("bookable to %s before the release", venue.Bookable.To)
			}
			ta.Clock.Set(at("08:30:00"))
			got = nil
			ta.Do(t, nil, "GET", "/api/v1/venues/beibei-library/slots?date=2026-03-09", nil).JSON(t, &got)
			if got[0].Status != "open" || got[0].OpensAt != "" {
				t.Fatalf("last day at its release: %+v", got[0])
			}
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(got[0].ID, "R10000001")); res.Status != 201 {
				t.Fatalf("book at the release: %d %s", res.Status, res.Body)
			}
			ta.Do(t, nil, "GET", "/api/v1/venues/beibei-library/slots?date=2026-03-10", nil).JSON(t, &got)
			if got[0].Status != "not_yet_open" || got[0].OpensAt != "2026-03-03T08:30:00+08:00" {
				t.Fatalf("the day after: %+v", got[0])
			}
		})
	}
}

// TestPhoneSpellings: phones as people type them are stored as their 11
// digits; international numbers in E.164; a landline gets its own message.
func TestPhoneSpellings(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			s := slots(t, ta, "beibei-library", "2026-03-03")[0]
			for i, c := range []struct{ in, stored string }{
				{"+86 139 0000 2222", "13900002222"}, {"139-0000-2223", "13900002223"}, {"１３９００００２２２４", "13900002224"},
				{"+44 7700 900123", "+447700900123"},
			} {
				b := body(s.ID, "P1000000"+string(rune('1'+i)))
				b["phone"] = c.in
				res := ta.Do(t, nil, "POST", "/api/v1/bookings", b)
				if res.Status != 201 {
					t.Fatalf("phone %q: %d %s", c.in, res.Status, res.Body)
				}
				var out personsOut
				res.JSON(t, &out)
				var phone string
				ta.Store.DB().QueryRow(`SELECT phone FROM bookings WHERE id = ?`, out.ID).Scan(&phone)
				if phone != c.stored {
					t.Fatalf("phone %q stored as %q", c.in, phone)
				}
			}
			b := body(s.ID, "P20000001")
			b["phone"] = "023-6886-1234"
			res := ta.Do(t, nil, "POST", "/api/v1/bookings", b, "Accept-Language", "en")
			var p problem
			res.JSON(t, &p)
			if res.Status != 422 || len(p.Errors) != 1 || p.Errors[0].Rule != "phone_not_mobile" || !strings.Contains(p.Errors[0].Message, "not a mobile number") {
				t.Fatalf("landline: %d %s", res.Status, res.Body)
			}
		})
	}
}

// webhook receives notifications as an SMS gateway would.
type webhook struct {
	mu   sync.Mutex
	got  []map[string]any
	srv  *httptest.Server
	fail bool
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		w.mu.Lock()
		w.got = append(w.got, m)
		w.mu.Unlock()
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// lastCode is the one-time code last sent to phone.
func (w *webhook) lastCode(t *testing.T, phone string) string {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.got) - 1; i >= 0; i-- {
		if m := w.got[i]; m["kind"] == "sign_in_code" && m["phone"] == phone {
			otp, _ := m["otp"].(string)
			if len(otp) != 6 || strings.Trim(otp, "0123456789") != "" {
				t.Fatalf("sign-in code %q", otp)
			}
			return otp
		}
	}
	t.Fatalf("no sign-in code sent to %s: %v", phone, w.got)
	return ""
}

func signIn(t *testing.T, ta *testkit.TestApp, phone string) testkit.Response {
	t.Helper()
	return ta.Do(t, nil, "POST", "/api/v1/visitor/sign-in", map[string]string{"phone": phone})
}

func verify(t *testing.T, ta *testkit.TestApp, phone, otp string) (string, testkit.Response) {
	t.Helper()
	res := ta.Do(t, nil, "POST", "/api/v1/visitor/sign-in/verify", map[string]string{"phone": phone, "otp": otp})
	var out struct {
		Token string `json:"token"`
	}
	if res.Status == 200 {
		res.JSON(t, &out)
	}
	return out.Token, res
}

func wrongCode(otp string) string {
	return string(rune('0'+(otp[0]-'0'+1)%10)) + otp[1:]
}

// TestVisitorSignIn: a phone, a code by the notification sender, a token,
// and that phone's bookings newest first, never another phone's; codes
// expire after 5 minutes, allow 5 tries, and are never stored or logged.
func TestVisitorSignIn(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			hook := newWebhook(t)
			var logs bytes.Buffer
			ta := testkit.StartApp(t, mode, testkit.Options{Logs: &logs, Configure: func(c *app.Config) { c.NotifyWebhook = hook.srv.URL }})
			s := slots(t, ta, "beibei-library", "2026-03-03")
			mine := []personsOut{}
			for i, id := range []string{"V10000001", "V10000002"} {
				mine = append(mine, bookPersons(t, ta, s[i].ID, id))
				ta.Clock.Advance(time.Minute)
			}
			theirs := body(s[0].ID, "V10000003")
			theirs["phone"] = "13900139000"
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", theirs); res.Status != 201 {
				t.Fatalf("book: %d %s", res.Status, res.Body)
			}

			if res := signIn(t, ta, "+86 138-0013-8000"); res.Status != 202 {
				t.Fatalf("sign in: %d %s", res.Status, res.Body)
			}
			otp := hook.lastCode(t, "13800138000")
			var stored int
			ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM visitor_codes WHERE otp_hash LIKE ?`, "%"+otp+"%").Scan(&stored)
			if stored != 0 {
				t.Fatal("the code is stored as it is")
			}
			_, res := verify(t, ta, "13800138000", wrongCode(otp))
			if res.Status != 401 || res.Code() != "unauthorized" || res.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("wrong code: %d %s %v", res.Status, res.Body, res.Header)
			}
			token, res := verify(t, ta, "13800138000", otp)
			if res.Status != 200 || token == "" {
				t.Fatalf("verify: %d %s", res.Status, res.Body)
			}
			if _, res := verify(t, ta, "13800138000", otp); res.Status != 401 {
				t.Fatalf("a used code again: %d", res.Status)
			}
			list := func(token string) ([]personsOut, testkit.Response) {
				res := ta.Do(t, nil, "GET", "/api/v1/visitor/bookings", nil, "Authorization", "Bearer "+token)
				var out []personsOut
				if res.Status == 200 {
					res.JSON(t, &out)
				}
				return out, res
			}
			got, res := list(token)
			if res.Status != 200 || len(got) != 2 || got[0].ID != mine[1].ID || got[1].ID != mine[0].ID || got[0].Code != mine[1].Code || got[0].Number == "" {
				t.Fatalf("my bookings: %d %s", res.Status, res.Body)
			}
			// The other phone sees its own only.
			signIn(t, ta, "13900139000")
			other, _ := verify(t, ta, "13900139000", hook.lastCode(t, "13900139000"))
			if got, _ := list(other); len(got) != 1 || got[0].ID == mine[0].ID || got[0].ID == mine[1].ID {
				t.Fatalf("the other phone's bookings: %+v", got)
			}
			if _, res := list("not-a-token"); res.Status != 401 || res.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("unknown token: %d %v", res.Status, res.Header)
			}

			// 5 tries, then even the right code is refused.
			ta.Clock.Advance(2 * time.Minute)
			signIn(t, ta, "13800138000")
			otp = hook.lastCode(t, "13800138000")
			for range 5 {
				if _, res := verify(t, ta, "13800138000", wrongCode(otp)); res.Status != 401 {
					t.Fatalf("wrong try: %d", res.Status)
				}
			}
			if _, res := verify(t, ta, "13800138000", otp); res.Status != 401 {
				t.Fatalf("the right code after 5 wrong tries: %d %s", res.Status, res.Body)
			}
			// Asked again at once: refused, with when to ask again.
			if res := signIn(t, ta, "13800138000"); res.Status != 429 || res.Header.Get("Retry-After") == "" {
				t.Fatalf("code asked again at once: %d %s", res.Status, res.Body)
			}
			// 5 minutes and the code is gone.
			ta.Clock.Advance(2 * time.Minute)
			if res := signIn(t, ta, "13800138000"); res.Status != 202 {
				t.Fatalf("sign in again: %d %s", res.Status, res.Body)
			}
			otp = hook.lastCode(t, "13800138000")
			ta.Clock.Advance(5*time.Minute + time.Second)
			if _, res := verify(t, ta, "13800138000", otp); res.Status != 401 {
				t.Fatalf("an expired code: %d %s", res.Status, res.Body)
			}
			// A token lasts a day.
			if _, res := list(token); res.Status != 200 {
				t.Fatalf("token after minutes: %d", res.Status)
			}
			ta.Clock.Advance(24 * time.Hour)
			if _, res := list(token); res.Status != 401 {
				t.Fatalf("token after a day: %d", res.Status)
			}
			if res := signIn(t, ta, "023-6886-1234"); res.Status != 422 {
				t.Fatalf("sign in with a landline: %d %s", res.Status, res.Body)
			}
			for _, m := range hook.got {
				if m["kind"] == "sign_in_code" && strings.Contains(logs.String(), m["otp"].(string)) {
					t.Fatalf("a sign-in code is in the logs")
				}
			}
		})
	}
}

// TestVisitorSignInLimits: code requests are limited per phone and per
// client address.
func TestVisitorSignInLimits(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			hook := newWebhook(t)
			ta := rlApp(t, mode, func(c *app.Config) {
				c.NotifyWebhook = hook.srv.URL
				c.SignInLimits.ByPhone.Quota, c.SignInLimits.ByPhone.Window, c.SignInLimits.ByPhone.Burst = 1, time.Hour, 1
				c.SignInLimits.ByClient.Quota, c.SignInLimits.ByClient.Window, c.SignInLimits.ByClient.Burst = 3, time.Hour, 3
			})
			if res := signIn(t, ta, "13800138000"); res.Status != 202 || res.Header.Get("RateLimit-Policy") == "" {
				t.Fatalf("first: %d %v", res.Status, res.Header)
			}
			ta.Clock.Advance(2 * time.Minute) // past the resend interval: the phone's limit refuses
			if res := signIn(t, ta, "13800138000"); res.Status != 429 || !strings.Contains(string(res.Body), "signin-phone") && res.Header.Get("Retry-After") == "" {
				t.Fatalf("second for one phone: %d %s", res.Status, res.Body)
			}
			for _, p := range []string{"13800138001", "13800138002"} {
				if res := signIn(t, ta, p); res.Status != 202 {
					t.Fatalf("phone %s: %d %s", p, res.Status, res.Body)
				}
			}
			if res := signIn(t, ta, "13800138003"); res.Status != 429 {
				t.Fatalf("past the client's limit: %d %s", res.Status, res.Body)
			}
		})
	}
}

// TestBookedNotification: every new booking queues one "booked" message
// with its number and link, and no ID number.
func TestBookedNotification(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{Configure: func(c *app.Config) { c.PublicURL = "https://yuyue.example.cn/" }})
			s := slots(t, ta, "beibei-library", "2026-03-03")[0]
			id := resident("50010919900307123")
			b := bookPersons(t, ta, s.ID, id, "E50000001")
			var kind, payload string
			var n int
			ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM outbox WHERE booking_id = ?`, b.ID).Scan(&n)
			ta.Store.DB().QueryRow(`SELECT kind, payload FROM outbox WHERE booking_id = ?`, b.ID).Scan(&kind, &payload)
			if n != 1 || kind != "booked" {
				t.Fatalf("outbox: %d %s", n, kind)
			}
			var text struct{ ZH, EN, Number, Link, Code string }
			json.Unmarshal([]byte(payload), &text)
			link := "https://yuyue.example.cn/bookings/" + b.Code
			if text.Number != b.Number || text.Link != link || !strings.Contains(text.ZH, b.Number) || !strings.Contains(text.EN, link) ||
				!strings.Contains(text.EN, "2 people") || !strings.Contains(text.ZH, "北碚图书馆") || !strings.Contains(text.EN, "2026-03-03 09:00–11:00") {
				t.Fatalf("message: %s", payload)
			}
			if strings.Contains(payload, id) || strings.Contains(payload, "E50000001") {
				t.Fatalf("an ID number in the message: %s", payload)
			}
		})
	}
}
