package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"slotgate/internal/testkit"
)

// The holiday calendar, the desk and the reports, through HTTP.

// TestHolidayCalendar: a Monday opened for the museum gets bookable slots
// with its own hours; a day closed ahead cancels its bookings and tells
// each visitor; days before today cannot change; both are listed.
func TestHolidayCalendar(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			admin := tokens["admin"]
			monday := "2026-03-09"
			if got := slots(t, ta, "beibei-museum", monday); len(got) != 0 {
				t.Fatalf("the museum is closed on Mondays, yet %d slots", len(got))
			}
			res := ta.Do(t, nil, "PUT", "/api/v1/admin/venues/beibei-museum/days/"+monday,
				map[string]any{"open": true, "hours": map[string]string{"open": "10:00", "close": "16:00"}, "reason": "清明节"},
				"Authorization", admin)
			if res.Status != 200 || !strings.Contains(string(res.Body), `"slots_created":6`) {
				t.Fatalf("open a Monday: %d %s", res.Status, res.Body)
			}
			opened := slots(t, ta, "beibei-museum", monday)
			if len(opened) != 6 || !strings.Contains(opened[0].Start, "T10:00:00+08:00") {
				t.Fatalf("the opened Monday: %+v", opened)
			}
			b := bookPersons(t, ta, opened[0].ID, "E55000001")
			if b.Status != "confirmed" {
				t.Fatalf("booking on the opened Monday: %+v", b)
			}

			// A day closed ahead: its bookings are cancelled and told.
			thursday := "2026-03-05"
			lib := bookPersons(t, ta, slots(t, ta, "beibei-library", thursday)[1].ID, "E55000002", "E55000003")
			if res := ta.Do(t, nil, "PUT", "/api/v1/admin/venues/beibei-library/days/"+thursday, map[string]any{"open": false},
				"Authorization", admin); res.Status != 422 {
				t.Fatalf("a closure without a reason: %d %s", res.Status, res.Body)
			}
			res = ta.Do(t, nil, "PUT", "/api/v1/admin/venues/beibei-library/days/"+thursday,
				map[string]any{"open": false, "reason": "水管检修"}, "Authorization", admin)
			if res.Status != 200 || !strings.Contains(string(res.Body), `"bookings_cancelled":1`) ||
				!strings.Contains(string(res.Body), `"people_notified":2`) {
				t.Fatalf("close a day ahead: %d %s", res.Status, res.Body)
			}
			var after personsOut
			ta.Do(t, nil, "GET", "/api/v1/bookings/"+lib.Code, nil).JSON(t, &after)
			var notices int
			ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM outbox WHERE booking_id = ? AND kind = 'closure'`, lib.ID).Scan(&notices)
			if after.Status != "cancelled" || notices != 1 {
				t.Fatalf("the closed day's booking: %s, %d notices", after.Status, notices)
			}
			for _, s := range slots(t, ta, "beibei-library", thursday) {
				if s.Status != "closed" {
					t.Fatalf("a slot of the closed day is %s", s.Status)
				}
			}
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(slots(t, ta, "beibei-library", thursday)[2].ID, "E55000004")); res.Status != 409 {
				t.Fatalf("booking on the closed day: %d %s", res.Status, res.Body)
			}

			if res := ta.Do(t, nil, "PUT", "/api/v1/admin/venues/beibei-library/days/2026-03-01",
				map[string]any{"open": false, "reason": "too late"}, "Authorization", admin); res.Status != 422 {
				t.Fatalf("a day before today: %d %s", res.Status, res.Body)
			}
			var days []struct {
				Date   string `json:"date"`
				Open   bool   `json:"open"`
				Reason string `json:"reason"`
				Hours  *struct {
					Open, Close string
				} `json:"hours"`
			}
			ta.Do(t, nil, "GET", "/api/v1/admin/venues/beibei-museum/days?from=2026-03-01&to=2026-03-31", nil, "Authorization", admin).JSON(t, &days)
			if len(days) != 1 || days[0].Date != monday || !days[0].Open || days[0].Hours == nil || days[0].Hours.Open != "10:00" {
				t.Fatalf("museum days: %+v", days)
			}
			days = nil
			ta.Do(t, nil, "GET", "/api/v1/admin/venues/beibei-library/days", nil, "Authorization", admin).JSON(t, &days)
			if len(days) != 1 || days[0].Date != thursday || days[0].Open || days[0].Reason != "水管检修" {
				t.Fatalf("library days: %+v", days)
			}
		})
	}
}

type deskBooking struct {
	ID       int64  `json:"id"`
	Number   string `json:"number"`
	Code     string `json:"code"`
	Status   string `json:"status"`
	Visitors []struct {
		Position int    `json:"position"`
		Name     string `json:"name"`
		IDMasked string `json:"id_masked"`
		Status   string `json:"status"`
	} `json:"visitors"`
}

// TestDeskSearch: the desk finds a booking of the day by phone (typed any
// way), booking number, name or ID number, as staff of the venue and as
// admin; staff of another venue are refused; no answer holds a full ID
// number or a code. A person cancelled at the desk is audited by name.
func TestDeskSearch(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			date := "2026-03-03"
			slot := slotAt(t, ta, "jinyun-mountain", date, "10:00")
			card := resident("50010919900307301")
			req := body(slot, card, "E44000001")
			req["phone"] = "13912345678"
			req["visitors"].([]map[string]string)[0]["name"] = "王小明"
			res := ta.Do(t, nil, "POST", "/api/v1/bookings", req)
			if res.Status != 201 {
				t.Fatalf("book: %d %s", res.Status, res.Body)
			}
			var target personsOut
			res.JSON(t, &target)
			other := bookPersons(t, ta, slot, "E44000002")
			bookPersons(t, ta, slotAt(t, ta, "jinyun-mountain", "2026-03-04", "10:00"), card) // another day: never found

			search := func(who, q string) (int, []deskBooking, string) {
				res := ta.Do(t, nil, "GET", "/api/v1/admin/bookings?venue=jinyun-mountain&date="+date+"&q="+url.QueryEscape(q), nil,
					"Authorization", tokens[who])
				var out []deskBooking
				if res.Status == 200 {
					res.JSON(t, &out)
				}
				return res.Status, out, string(res.Body)
			}
			for _, who := range []string{"north", "admin"} {
				for _, q := range []string{"139 1234 5678", "+86 139-1234-5678", target.Number, "王小明", "小明", card, strings.ToLower(card)} {
					status, found, text := search(who, q)
					if status != 200 || len(found) != 1 || found[0].ID != target.ID || len(found[0].Visitors) != 2 {
						t.Fatalf("%s searching %q: %d %s", who, q, status, text)
					}
					if strings.Contains(text, card) || strings.Contains(text, "E44000001") || strings.Contains(text, target.Code) ||
						strings.Contains(text, "13912345678") {
						t.Fatalf("%s searching %q: the answer holds a full ID, phone or code: %s", who, q, text)
					}
				}
				if status, found, _ := search(who, ""); status != 200 || len(found) != 2 {
					t.Fatalf("%s listing the day: %d, %d bookings", who, status, len(found))
				}
				if status, found, _ := search(who, "13700000000"); status != 200 || len(found) != 0 {
					t.Fatalf("%s searching a phone with no booking: %d %+v", who, status, found)
				}
			}
			if status, _, _ := search("librarian", "王小明"); status != 403 {
				t.Fatalf("staff of another venue: %d", status)
			}

			// At the desk, a visitor asks to cancel one person of the party.
			res = ta.Do(t, nil, "POST", fmt.Sprintf("/api/v1/admin/bookings/%d/cancel", target.ID),
				map[string]any{"visitors": []int{2}, "reason": "家人临时有事"}, "Authorization", tokens["north"])
			var cancelled deskBooking
			res.JSON(t, &cancelled)
			if res.Status != 200 || cancelled.Status != "confirmed" || cancelled.Visitors[1].Status != "cancelled" || cancelled.Visitors[0].Status != "confirmed" {
				t.Fatalf("cancel one person: %d %s", res.Status, res.Body)
			}
			res = ta.Do(t, nil, "POST", fmt.Sprintf("/api/v1/admin/bookings/%d/cancel", other.ID), map[string]any{}, "Authorization", tokens["librarian"])
			if res.Status != 403 {
				t.Fatalf("cancel by staff of another venue: %d %s", res.Status, res.Body)
			}
			res = ta.Do(t, nil, "POST", fmt.Sprintf("/api/v1/admin/bookings/%d/cancel", other.ID), map[string]any{"reason": "visitor asked"}, "Authorization", tokens["admin"])
			if res.Status != 200 || !strings.Contains(string(res.Body), `"status":"cancelled"`) {
				t.Fatalf("cancel all: %d %s", res.Status, res.Body)
			}
			var entries []struct {
				Username, Kind, Subject, Reason string
			}
			ta.Do(t, nil, "GET", "/api/v1/admin/audit?kind=desk_cancel", nil, "Authorization", tokens["admin"]).JSON(t, &entries)
			if len(entries) != 2 || entries[1].Username != "north" || entries[1].Reason != "家人临时有事" || entries[1].Subject != "booking "+target.Number {
				t.Fatalf("desk cancellations in the audit log: %+v", entries)
			}
		})
	}
}

// TestDeskCancelTellsVisitor: a cancellation at the desk queues a message
// to the booking's phone with the cancellation itself: for a whole booking,
// and for persons of a party (each time, by count, never by name or with
// the staff's reason); a booking without a phone gets none, and a
// visitor's own cancellation none from the desk.
func TestDeskCancelTellsVisitor(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			slot := slotAt(t, ta, "jinyun-mountain", "2026-03-03", "10:00")
			family := bookPersons(t, ta, slot, "E66000001", "E66000002", "E66000003", "E66000004")
			pair := bookPersons(t, ta, slot, "E66000005", "E66000006")
			quiet := bookPersons(t, ta, slot, "E66000007")
			own := bookPersons(t, ta, slot, "E66000008", "E66000009")
			if _, err := ta.Store.DB().Exec(`UPDATE bookings SET phone = '' WHERE id = ?`, quiet.ID); err != nil {
				t.Fatal(err) // as a walk-in registered without a phone
			}
			cancel := func(b personsOut, req map[string]any) {
				t.Helper()
				if res := ta.Do(t, nil, "POST", fmt.Sprintf("/api/v1/admin/bookings/%d/cancel", b.ID), req,
					"Authorization", tokens["north"]); res.Status != 200 {
					t.Fatalf("cancel at the desk: %d %s", res.Status, res.Body)
				}
			}
			type notice struct {
				Phone  string
				ZH, EN string
				Number string
			}
			notices := func(b personsOut) []notice {
				t.Helper()
				rows, err := ta.Store.DB().Query(`SELECT phone, payload FROM outbox WHERE booking_id = ? AND kind = 'desk_cancelled' ORDER BY id`, b.ID)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				var out []notice
				for rows.Next() {
					var n notice
					var payload string
					if err := rows.Scan(&n.Phone, &payload); err != nil {
						t.Fatal(err)
					}
					var text struct{ ZH, EN, Number string }
					if err := json.Unmarshal([]byte(payload), &text); err != nil {
						t.Fatal(err)
					}
					n.ZH, n.EN, n.Number = text.ZH, text.EN, text.Number
					out = append(out, n)
				}
				return out
			}
			told := func(n notice, b personsOut, zh, en string) {
				t.Helper()
				if n.Phone != "13800138000" || n.Number != b.Number || !strings.Contains(n.ZH, b.Number) || !strings.Contains(n.EN, b.Number) ||
					!strings.Contains(n.ZH, "已在服务台取消") || !strings.Contains(n.EN, "cancelled at the desk") ||
					!strings.Contains(n.ZH, zh) || !strings.Contains(n.EN, en) || !strings.Contains(n.ZH, "10:00") {
					t.Fatalf("desk notice for booking %s, want %q and %q: %+v", b.Number, zh, en, n)
				}
				if strings.Contains(n.ZH+n.EN, "访客") || strings.Contains(n.ZH+n.EN, "E6600") || strings.Contains(n.ZH+n.EN, "家人") {
					t.Fatalf("a desk notice names a person, an ID or the staff's reason: %+v", n)
				}
			}

			// Persons of a party, twice: each cancellation is told.
			cancel(family, map[string]any{"visitors": []int{2}, "reason": "家人临时有事"})
			cancel(family, map[string]any{"visitors": []int{3, 4}})
			got := notices(family)
			if len(got) != 2 {
				t.Fatalf("%d desk notices for two cancellations of persons: %+v", len(got), got)
			}
			told(got[0], family, "中 1 人已在服务台取消，其余 3 人", "1 person cancelled at the desk; the booking stands for the other 3 people")
			told(got[1], family, "中 2 人已在服务台取消，其余 1 人", "2 people cancelled at the desk; the booking stands for the other 1 person")

			// A whole booking.
			cancel(pair, map[string]any{"reason": "家人临时有事"})
			if got := notices(pair); len(got) != 1 {
				t.Fatalf("%d desk notices for a cancelled booking", len(got))
			} else {
				told(got[0], pair, "2 人）已在服务台取消", "(booking number "+pair.Number+", 2 people) was cancelled at the desk")
			}

			// No phone, no message; the visitor's own cancellation, none from the desk.
			cancel(quiet, map[string]any{})
			if res := ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+own.Code+"/visitors/2", nil); res.Status != 200 {
				t.Fatalf("the visitor cancels a person: %d %s", res.Status, res.Body)
			}
			if res := ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+own.Code, nil); res.Status != 200 {
				t.Fatalf("the visitor cancels: %d %s", res.Status, res.Body)
			}
			var others int
			ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM outbox WHERE booking_id IN (?, ?) AND kind <> 'booked'`, quiet.ID, own.ID).Scan(&others)
			if others != 0 {
				t.Fatalf("%d messages for a booking without a phone or a visitor's own cancellation", others)
			}
			var b personsOut
			ta.Do(t, nil, "GET", "/api/v1/bookings/"+family.Code, nil).JSON(t, &b)
			if b.Status != "confirmed" || b.PartySize != 1 || b.statuses() != "confirmed,cancelled,cancelled,cancelled" {
				t.Fatalf("the family after the desk: %+v", b)
			}
		})
	}
}

type dailyOut struct {
	Date      string `json:"date"`
	Venue     string `json:"venue"`
	Quota     int    `json:"quota"`
	Booked    int    `json:"booked"`
	Admitted  int    `json:"admitted"`
	NoShow    int    `json:"no_show"`
	Cancelled int    `json:"cancelled"`
	WalkIns   int    `json:"walk_ins"`
}

type originOut struct {
	Region   string `json:"region"`
	Name     string `json:"name"`
	Visitors int    `json:"visitors"`
	Booked   int    `json:"booked"`
}

// TestReports: a known day at the mountain (a family of three all in, one
// visitor who never came, a pair of whom one cancelled and one came, a
// walk-in) gives known daily figures and origins, in JSON and CSV, and
// the same after personal data is erased.
func TestReports(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			north, admin := tokens["north"], tokens["admin"]
			slot := slotAt(t, ta, "jinyun-mountain", "2026-03-02", "09:00")
			ta.Clock.Set(at("08:00:00"))
			family := bookPersons(t, ta, slot, resident("50010919900307401"), resident("50023019920101402"), "E33000001")
			bookPersons(t, ta, slot, resident("11010519850101403")) // never comes
			pair := bookPersons(t, ta, slot, resident("51010719800505404"), "E33000002")
			if res := ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+pair.Code+"/visitors/2", nil); res.Status != 200 {
				t.Fatalf("cancel one of the pair: %d %s", res.Status, res.Body)
			}
			ta.Clock.Set(at("08:40:00"))
			for _, code := range []string{family.Code, pair.Code} {
				if res := admitBy(t, ta, north, map[string]any{"code": code}); res.Status != 200 {
					t.Fatalf("admit: %d %s", res.Status, res.Body)
				}
			}
			ta.Clock.Set(at("09:10:00"))
			if res := ta.Do(t, nil, "POST", "/api/v1/venues/jinyun-mountain/walkins", map[string]any{"gate": "North",
				"visitors": []map[string]string{{"name": "散客", "id_type": "hk_macau_permit", "id_number": "H12345678"}}},
				"Authorization", north); res.Status != 201 {
				t.Fatalf("walk-in: %d %s", res.Status, res.Body)
			}
			ta.Clock.Set(at("10:31:00"))
			if _, err := ta.Fairness.MarkNoShows(context.Background()); err != nil {
				t.Fatal(err)
			}
			quota := 0
			for _, s := range slots(t, ta, "jinyun-mountain", "2026-03-02") {
				quota += s.Quota
			}
			wantDaily := dailyOut{Date: "2026-03-02", Venue: "jinyun-mountain", Quota: quota, Booked: 5, Admitted: 5, NoShow: 1, Cancelled: 1, WalkIns: 1}
			wantOrigins := map[string]originOut{
				"50":              {Region: "50", Name: "重庆市", Visitors: 2, Booked: 2},
				"51":              {Region: "51", Name: "四川省", Visitors: 1, Booked: 1},
				"11":              {Region: "11", Name: "北京市", Visitors: 0, Booked: 1},
				"passport":        {Region: "passport", Name: "护照", Visitors: 1, Booked: 1},
				"hk_macau_permit": {Region: "hk_macau_permit", Name: "港澳居民来往内地通行证", Visitors: 1, Booked: 1},
			}
			check := func(when string) {
				t.Helper()
				var daily []dailyOut
				res := ta.Do(t, nil, "GET", "/api/v1/admin/reports/daily?venue=jinyun-mountain&from=2026-03-02&to=2026-03-02", nil, "Authorization", admin)
				res.JSON(t, &daily)
				if res.Status != 200 || len(daily) != 1 || daily[0] != wantDaily {
					t.Fatalf("%s: daily %d %s, want %+v", when, res.Status, res.Body, wantDaily)
				}
				var origins []originOut
				res = ta.Do(t, nil, "GET", "/api/v1/admin/reports/origins?venue=jinyun-mountain&from=2026-03-02&to=2026-03-02", nil, "Authorization", admin)
				res.JSON(t, &origins)
				if res.Status != 200 || len(origins) != len(wantOrigins) || origins[0].Region != "50" {
					t.Fatalf("%s: origins %d %s", when, res.Status, res.Body)
				}
				for _, o := range origins {
					if wantOrigins[o.Region] != o {
						t.Fatalf("%s: origin %+v, want %+v", when, o, wantOrigins[o.Region])
					}
				}
				res = ta.Do(t, nil, "GET", "/api/v1/admin/reports/daily?venue=jinyun-mountain&from=2026-03-02&to=2026-03-02", nil,
					"Authorization", admin, "Accept", "text/csv")
				rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(res.Body), "\ufeff"))).ReadAll()
				if err != nil || len(rows) != 2 || rows[0][0] != "日期" || strings.Join(rows[1], ",") != fmt.Sprintf("2026-03-02,jinyun-mountain,%d,5,5,1,1,1", quota) {
					t.Fatalf("%s: daily CSV %v %v", when, rows, err)
				}
				res = ta.Do(t, nil, "GET", "/api/v1/admin/reports/origins?venue=jinyun-mountain&from=2026-03-02&to=2026-03-02", nil,
					"Authorization", admin, "Accept", "text/csv")
				rows, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(string(res.Body), "\ufeff"))).ReadAll()
				if err != nil || len(rows) != 6 || strings.Join(rows[1], ",") != "50,重庆市,2,2" {
					t.Fatalf("%s: origins CSV %v %v", when, rows, err)
				}
			}
			check("after the day")

			// Two hundred and twenty days on, names, masked IDs and ID hashes are gone; the counts stay.
			ta.Clock.Set(at("10:31:00").Add(220 * 24 * time.Hour))
			if _, err := ta.Fairness.Erase(context.Background()); err != nil {
				t.Fatal(err)
			}
			var left int
			ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM booking_visitors WHERE venue_id = (SELECT id FROM venues WHERE slug = 'jinyun-mountain')
				AND (name <> '' OR id_masked <> '' OR id_hash <> '')`).Scan(&left)
			if left != 0 {
				t.Fatalf("%d persons keep personal data after erasure", left)
			}
			admin, north = ta.Login(t, "admin", testkit.AdminPassword), ta.Login(t, "north", testkit.StaffPassword)
			check("after erasure")
			if res := ta.Do(t, nil, "GET", "/api/v1/admin/reports/daily", nil, "Authorization", north); res.Status != 403 {
				t.Fatalf("reports as staff: %d", res.Status)
			}
		})
	}
}
