package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// The service never logs a visitor's name, phone number or ID number
// (SPEC, invariant 7). TestLogsHoldNoPersonalData walks every path that
// handles them, through HTTP, with everything logged, and then looks for
// each one in the log. .ci/run checks the logs of the whole test run the
// same way with internal/logcheck; this test makes plain go test check it.

// residentID completes 17 digits with their GB 11643 check character.
func residentID(first17 string) string { return first17 + string(domain.ResidentCheckChar(first17)) }

// residentIDEndingX is a valid resident ID number beginning with first14
// whose check character is X, so that the log is searched for both the
// upper- and the lower-case form a visitor may type.
func residentIDEndingX(first14 string) string {
	for i := range 1000 {
		f := first14 + fmt.Sprintf("%03d", i)
		if domain.ResidentCheckChar(f) == 'X' {
			return f + "X"
		}
	}
	panic("no resident ID ends in X")
}

// logVisitor is one person of the flow, with what must stay out of the log.
type logVisitor struct {
	Name, IDType, ID string
}

func (v logVisitor) body() map[string]string {
	return map[string]string{"name": v.Name, "id_type": v.IDType, "id_number": v.ID}
}

func TestLogsHoldNoPersonalData(t *testing.T) {
	var (
		zhang   = logVisitor{"张三", "resident_id", residentID("11010519900307123")}
		anna    = logVisitor{"Anna Müller", "passport", "E24680135"}
		li      = logVisitor{"李四", "resident_id", residentIDEndingX("50010919920517")}
		liTyped = logVisitor{"李四", "resident_id", strings.ToLower(li.ID)}
		wang    = logVisitor{"王五", "resident_id", residentID("11010519880815234")}
		walkIn  = logVisitor{"散客", "passport", "W12345678"}
		first   = logVisitor{"游客1", "passport", "P7654321"}
		standby = logVisitor{"游客2", "passport", "G87654321"}
		zhao    = logVisitor{"赵六", "passport", "H12345678"}
		late    = logVisitor{"访客9", "passport", "E11112222"}
		// The check digit of li's number is X; one digit changed, it fails.
		badID  = li.ID[:16] + map[bool]string{true: "1", false: "2"}[li.ID[16] != '1'] + li.ID[17:]
		phones = []string{"13812345678", "13987654321", "15011112222", "18622223333", "17733334444", "19944445555", "16655556666"}
	)
	people := []logVisitor{zhang, anna, li, wang, walkIn, first, standby, zhao, late}
	secrets := append([]string{badID, liTyped.ID, "Anna", "Müller"}, phones...)
	for _, p := range people {
		secrets = append(secrets, p.Name, p.ID)
	}

	type run struct {
		mode   testkit.Mode
		format string
	}
	var runs []run
	for _, mode := range testkit.Modes(t) {
		for _, format := range []string{"text", "json"} {
			runs = append(runs, run{mode, format})
		}
	}
	for _, r := range runs {
		t.Run(r.mode.Name+"/"+r.format, func(t *testing.T) {
			t.Parallel()
			logs := &testkit.LogBuffer{}
			var proxy *testkit.CuttingProxy
			ta := testkit.StartApp(t, r.mode, testkit.Options{
				Logs: logs,
				Configure: func(c *app.Config) {
					c.LogFormat = r.format
					c.AccessLog = true
					c.RateLimits = "on"
					c.BookingLimits.ByPhone = domain.LimitPolicy{Name: "booking-phone", Quota: 1, Window: time.Hour, Burst: 1}
				},
				RedisURL: func(rd *testkit.Redis) string {
					addr := rd.Addr()
					proxy = testkit.NewCuttingProxy(t, addr)
					return strings.Replace(rd.URL, addr, proxy.Addr(), 1)
				},
			})
			logFlow(t, ta, proxy, flowPeople{zhang, anna, li, liTyped, wang, walkIn, first, standby, zhao, late, badID, phones})

			got := logs.String()
			// The log must have seen the flow, or its silence proves nothing.
			for _, want := range []string{"/api/v1/bookings", "/api/v1/admissions", "/api/v1/venues/:slug/walkins", "/api/v1/standby",
				"/api/v1/auth/login", "/api/v1/admin/venues/:slug/closures", "notification (log sender)",
				"request limits fall back", "request failed"} {
				if !strings.Contains(got, want) {
					t.Errorf("the log has no %q: the flow did not run as meant", want)
				}
			}
			for _, s := range secrets {
				for _, form := range []string{s, strings.ToUpper(s), strings.Trim(strconv.QuoteToASCII(s), `"`)} {
					if i := strings.Index(got, form); i >= 0 {
						line := got[strings.LastIndexByte(got[:i], '\n')+1:]
						if j := strings.IndexByte(line, '\n'); j >= 0 {
							line = line[:j]
						}
						t.Errorf("the log holds personal data %q in:\n%s", form, line)
					}
				}
			}
		})
	}
}

type flowPeople struct {
	zhang, anna, li, liTyped, wang, walkIn, first, standby, zhao, late logVisitor
	badID                                                              string
	phones                                                             []string
}

// logFlow books, refuses, reads, cancels, admits, registers walk-ins, puts
// a party on a standby list, closes a day, runs the background rounds and
// finally books with Redis gone: every path that sees personal data.
func logFlow(t *testing.T, ta *testkit.TestApp, proxy *testkit.CuttingProxy, p flowPeople) {
	ctx := context.Background()
	loc := testkit.Monday0800.Location()
	slotAt := func(venue, date, hhmm string) int64 {
		t.Helper()
		var out []struct {
			ID    int64
			Start string
		}
		ta.Do(t, nil, "GET", "/api/v1/venues/"+venue+"/slots?date="+date, nil).JSON(t, &out)
		for _, s := range out {
			if strings.Contains(s.Start, "T"+hhmm+":00+08:00") {
				return s.ID
			}
		}
		t.Fatalf("no %s slot on %s at %s", venue, date, hhmm)
		return 0
	}
	party := func(slot int64, phone string, vs ...logVisitor) map[string]any {
		var out []map[string]string
		for _, v := range vs {
			out = append(out, v.body())
		}
		return map[string]any{"slot_id": slot, "phone": phone, "visitors": out}
	}
	expect := func(what string, res testkit.Response, status int) testkit.Response {
		t.Helper()
		if res.Status != status {
			t.Fatalf("%s: %d %s, want %d", what, res.Status, res.Body, status)
		}
		return res
	}
	var code struct{ Code string }

	admin := ta.Login(t, "admin", testkit.AdminPassword)
	expect("add staff", ta.Do(t, nil, "POST", "/api/v1/admin/users", map[string]any{"username": "north",
		"password": testkit.StaffPassword, "role": "staff", "venues": []string{"jinyun-mountain"}}, "Authorization", admin), http.StatusCreated)

	// A party of a resident ID and a passport, for 09:00 today at the mountain.
	nine := slotAt("jinyun-mountain", "2026-03-02", "09:00")
	expect("book", ta.Do(t, nil, "POST", "/api/v1/bookings", party(nine, p.phones[0], p.zhang, p.anna)), http.StatusCreated).JSON(t, &code)
	mountain := code.Code
	// Refusals: a bad check digit, the same person twice a day, the phone's limit.
	bad := p.li
	bad.ID = p.badID
	expect("bad ID", ta.Do(t, nil, "POST", "/api/v1/bookings", party(nine, p.phones[1], bad)), http.StatusUnprocessableEntity)
	ten := slotAt("jinyun-mountain", "2026-03-02", "10:00")
	expect("duplicate", ta.Do(t, nil, "POST", "/api/v1/bookings", party(ten, p.phones[2], p.zhang)), http.StatusConflict)
	expect("phone limit", ta.Do(t, nil, "POST", "/api/v1/bookings", party(ten, p.phones[0], p.wang)), http.StatusTooManyRequests)
	// Read it, draw it; book another (typed in lower case) and cancel it.
	expect("read", ta.Do(t, nil, "GET", "/api/v1/bookings/"+mountain, nil), http.StatusOK)
	expect("qr", ta.Do(t, nil, "GET", "/api/v1/bookings/"+mountain+"/qr.png", nil), http.StatusOK)
	library := slotAt("beibei-library", "2026-03-03", "09:00")
	expect("book li", ta.Do(t, nil, "POST", "/api/v1/bookings", party(library, p.phones[1], p.liTyped)), http.StatusCreated).JSON(t, &code)
	expect("cancel", ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+code.Code, nil), http.StatusOK)

	// Staff sign in, once mistyped, and admit the party at 08:40.
	expect("failed sign-in", ta.Do(t, nil, "POST", "/api/v1/auth/login", map[string]string{"username": "north", "password": "not-the-password"}), http.StatusUnauthorized)
	north := ta.Login(t, "north", testkit.StaffPassword)
	ta.Clock.Set(time.Date(2026, 3, 2, 8, 40, 0, 0, loc))
	expect("admit", ta.Do(t, nil, "POST", "/api/v1/admissions", map[string]string{"code": mountain, "gate": "North", "venue": "jinyun-mountain"},
		"Authorization", north), http.StatusOK)
	expect("walk-in", ta.Do(t, nil, "POST", "/api/v1/venues/jinyun-mountain/walkins",
		map[string]any{"gate": "North", "visitors": []map[string]string{p.walkIn.body()}}, "Authorization", north), http.StatusCreated)
	ta.Clock.Set(testkit.Monday0800)

	// A full slot: one party on its standby list, booked when a place frees.
	eleven := slotAt("beibei-library", "2026-03-03", "11:00")
	ta.SQL(t, `UPDATE slots SET quota = 1 WHERE id = ?`, eleven)
	if _, _, err := ta.Reconcile.Run(ctx); err != nil {
		t.Fatal(err)
	}
	expect("book the last place", ta.Do(t, nil, "POST", "/api/v1/bookings", party(eleven, p.phones[3], p.first)), http.StatusCreated).JSON(t, &code)
	expect("join standby", ta.Do(t, nil, "POST", "/api/v1/standby", party(eleven, p.phones[4], p.standby)), http.StatusCreated)
	expect("cancel for standby", ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+code.Code, nil), http.StatusOK)

	// An admin closes a day that has a booking.
	wednesday := slotAt("beibei-library", "2026-03-04", "09:00")
	expect("book wednesday", ta.Do(t, nil, "POST", "/api/v1/bookings", party(wednesday, p.phones[5], p.zhao)), http.StatusCreated)
	expect("closure", ta.Do(t, nil, "POST", "/api/v1/admin/venues/beibei-library/closures",
		map[string]string{"date": "2026-03-04", "reason": "maintenance"}, "Authorization", admin), http.StatusOK)

	// The background rounds: notifications, no-shows, and 40 days on, erasure.
	for _, at := range []time.Time{testkit.Monday0800, time.Date(2026, 3, 5, 12, 0, 0, 0, loc), time.Date(2026, 4, 15, 12, 0, 0, 0, loc)} {
		ta.Clock.Set(at)
		if _, err := ta.Fairness.Round(ctx); err != nil {
			t.Fatalf("fairness round at %v: %v", at, err)
		}
		if _, _, err := ta.Postman.Round(ctx); err != nil {
			t.Fatalf("outbox round at %v: %v", at, err)
		}
	}

	// Redis gone: the limits fall back, the booking fails with a 503 and
	// its error is logged; none of it may carry the visitor.
	ta.Clock.Set(testkit.Monday0800)
	proxy.Down()
	expect("book without Redis", ta.Do(t, nil, "POST", "/api/v1/bookings", party(library, p.phones[6], p.late)), http.StatusServiceUnavailable)
}
