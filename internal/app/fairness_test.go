package app_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/testkit"
)

// The fairness jobs, with the injected clock, each run by two instances at
// once where "exactly once" is the point.

var beibei = testkit.Monday0800.Location()

func on(day, hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, beibei)
	if err != nil {
		panic(err)
	}
	return t
}

type slotInfo struct {
	ID         int64  `json:"id"`
	Start      string `json:"start"`
	Quota      int    `json:"quota"`
	Booked     int    `json:"booked"`
	Remaining  int    `json:"remaining"`
	Status     string `json:"status"`
	HeldBack   int    `json:"held_back"`
	ReleasesAt string `json:"releases_at"`
}

func slotAt(t *testing.T, ta *testkit.TestApp, venue, day, hhmm string) slotInfo {
	t.Helper()
	var slots []slotInfo
	ta.Do(t, nil, "GET", "/api/v1/venues/"+venue+"/slots?date="+day, nil).JSON(t, &slots)
	for _, s := range slots {
		if strings.Contains(s.Start, "T"+hhmm+":00") {
			return s
		}
	}
	t.Fatalf("no %s slot at %s %s in %+v", venue, day, hhmm, slots)
	return slotInfo{}
}

func bookOne(t *testing.T, ta *testkit.TestApp, slotID int64, phone string, ids ...string) testkit.Response {
	t.Helper()
	var vs []map[string]string
	for _, id := range ids {
		vs = append(vs, map[string]string{"name": "游客" + id[len(id)-2:], "id_type": "passport", "id_number": id})
	}
	return ta.Do(t, nil, "POST", "/api/v1/bookings", map[string]any{"slot_id": slotID, "phone": phone, "visitors": vs})
}

// twice runs fn on two instances at the same moment.
func twice(a, b *testkit.TestApp, fn func(*testkit.TestApp)) {
	var wg sync.WaitGroup
	for _, x := range []*testkit.TestApp{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); fn(x) }()
	}
	wg.Wait()
}

// TestNoShowsRestrictAnID: three missed bookings within 180 days restrict
// the ID for 30 days (403 restricted, naming the day it ends); each booking
// is marked once although two instances run the job; an admin can lift it.
func TestNoShowsRestrictAnID(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			twin := ta.Twin(t)
			ctx := context.Background()
			days := []string{"2026-03-03", "2026-03-04", "2026-03-05"}
			for _, d := range days {
				s := slotAt(t, ta, "jinyun-mountain", d, "09:00")
				if res := bookOne(t, ta, s.ID, "13700000001", "N0000001", "N0000002"); res.Status != 201 {
					t.Fatalf("book %s: %d %s", d, res.Status, res.Body)
				}
			}
			// Someone who comes keeps a clean record.
			s := slotAt(t, ta, "jinyun-mountain", "2026-03-03", "10:00")
			res := bookOne(t, ta, s.ID, "13700000002", "N0000009")
			var kept struct{ Code string }
			res.JSON(t, &kept)
			ta.AddStaff(t, "north", domain.RoleStaff, "jinyun-mountain")
			ta.Clock.Set(on("2026-03-03", "09:50"))
			staff := ta.Login(t, "north", testkit.StaffPassword)
			if res := ta.Do(t, nil, "POST", "/api/v1/admissions", map[string]string{"code": kept.Code, "gate": "North", "venue": "jinyun-mountain"},
				"Authorization", staff); res.Status != 200 {
				t.Fatalf("admit: %d %s", res.Status, res.Body)
			}

			// Friday morning: all three slots are over, with their grace.
			ta.Clock.Set(on("2026-03-06", "08:00"))
			marked := make([]int, 2)
			var mu sync.Mutex
			twice(ta, twin, func(x *testkit.TestApp) {
				n, err := x.Fairness.MarkNoShows(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				marked = append(marked, n)
				mu.Unlock()
			})
			total := 0
			for _, n := range marked {
				total += n
			}
			var noShows, strikes, restrictions int
			db := ta.Store.DB()
			db.QueryRow(`SELECT COUNT(*) FROM bookings WHERE status = 'no_show'`).Scan(&noShows)
			db.QueryRow(`SELECT COUNT(*) FROM no_shows`).Scan(&strikes)
			db.QueryRow(`SELECT COUNT(*) FROM restrictions`).Scan(&restrictions)
			if total != 3 || noShows != 3 || strikes != 6 || restrictions != 2 {
				t.Fatalf("marked %d (%v), %d no-shows, %d strikes, %d restrictions; want 3, 3, 6 (one per person), 2", total, marked, noShows, strikes, restrictions)
			}
			// Again: nothing more.
			if n, _ := twin.Fairness.MarkNoShows(ctx); n != 0 {
				t.Fatalf("a second run marked %d", n)
			}

			next := slotAt(t, ta, "jinyun-mountain", "2026-03-07", "09:00")
			res = bookOne(t, ta, next.ID, "13700000003", "N0000001")
			if res.Status != http.StatusForbidden || res.Code() != "restricted" || !strings.Contains(string(res.Body), `"restricted_until":"2026-04-05"`) {
				t.Fatalf("restricted ID: %d %s", res.Status, res.Body)
			}
			res = ta.Do(t, nil, "POST", "/api/v1/bookings", map[string]any{"slot_id": next.ID, "phone": "13700000003",
				"visitors": []map[string]string{{"name": "x", "id_type": "passport", "id_number": "N0000001"}}}, "Accept-Language", "en")
			if !strings.Contains(string(res.Body), "2026-04-05") || !strings.Contains(string(res.Body), "may book again") {
				t.Fatalf("English restriction: %s", res.Body)
			}
			if res := bookOne(t, ta, next.ID, "13700000004", "N0000009"); res.Status != 201 {
				t.Fatalf("a visitor who came: %d %s", res.Status, res.Body)
			}

			// The admin sees the restriction (masked) and lifts it.
			admin := ta.Login(t, "admin", testkit.AdminPassword)
			var list []struct {
				ID       int64  `json:"id"`
				IDMasked string `json:"id_masked"`
				Until    string `json:"until"`
			}
			ta.Do(t, nil, "GET", "/api/v1/admin/venues/jinyun-mountain/restrictions", nil, "Authorization", admin).JSON(t, &list)
			if len(list) != 2 || list[0].IDMasked != "N0****01" && list[0].IDMasked != "N0****02" || list[0].Until != "2026-04-05" {
				t.Fatalf("restrictions: %+v", list)
			}
			for _, r := range list {
				if res := ta.Do(t, nil, "POST", fmt.Sprintf("/api/v1/admin/restrictions/%d/lift", r.ID), map[string]string{"reason": "documented illness"},
					"Authorization", admin); res.Status != 200 {
					t.Fatalf("lift: %d %s", res.Status, res.Body)
				}
			}
			if res := bookOne(t, ta, next.ID, "13700000003", "N0000001"); res.Status != 201 {
				t.Fatalf("after lifting: %d %s", res.Status, res.Body)
			}
			var audit []map[string]any
			ta.Do(t, nil, "GET", "/api/v1/admin/audit?kind=restriction_lift", nil, "Authorization", admin).JSON(t, &audit)
			if len(audit) != 2 || audit[0]["reason"] != "documented illness" {
				t.Fatalf("audit of lifts: %v", audit)
			}
		})
	}
}

type standbyOut struct {
	Token    string `json:"token"`
	Status   string `json:"status"`
	Position int    `json:"position"`
	Booking  string `json:"booking"`
}

func joinStandby(t *testing.T, ta *testkit.TestApp, slotID int64, phone string, ids ...string) (standbyOut, testkit.Response) {
	t.Helper()
	var vs []map[string]string
	for _, id := range ids {
		vs = append(vs, map[string]string{"name": "候补" + id[len(id)-2:], "id_type": "passport", "id_number": id})
	}
	res := ta.Do(t, nil, "POST", "/api/v1/standby", map[string]any{"slot_id": slotID, "phone": phone, "visitors": vs})
	var out standbyOut
	if res.Status == 201 {
		res.JSON(t, &out)
	}
	return out, res
}

// TestStandby: a full slot's standby list gets freed places before the
// public, earliest parties that fit first, whole; it closes when the
// admission window opens.
func TestStandby(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			ctx := context.Background()
			s := slotAt(t, ta, "beibei-library", "2026-03-03", "11:00")
			ta.SQL(t, `UPDATE slots SET quota = 4 WHERE id = ?`, s.ID)
			ta.Reconcile.Run(ctx)
			if _, res := joinStandby(t, ta, s.ID, "13600000009", "S0000009"); res.Status != 409 || res.Code() != "conflict" {
				t.Fatalf("standby with places free: %d %s", res.Status, res.Body)
			}
			res := bookOne(t, ta, s.ID, "13600000001", "S0000001", "S0000002", "S0000003")
			var first struct{ Code string }
			res.JSON(t, &first)
			bookOne(t, ta, s.ID, "13600000002", "S0000004")
			b, _ := joinStandby(t, ta, s.ID, "13600000003", "S0000011", "S0000012")
			c, _ := joinStandby(t, ta, s.ID, "13600000004", "S0000021", "S0000022", "S0000023", "S0000024")
			d, _ := joinStandby(t, ta, s.ID, "13600000005", "S0000031")
			if b.Position != 1 || c.Position != 2 || d.Position != 3 || b.Status != "waiting" {
				t.Fatalf("queue: %+v %+v %+v", b, c, d)
			}
			if _, res := joinStandby(t, ta, s.ID, "13600000006", "S0000011"); res.Status != 409 {
				t.Fatalf("the same person twice: %d %s", res.Status, res.Body)
			}
			if _, res := joinStandby(t, ta, s.ID, "13600000006", "S0000001"); res.Code() != "already_booked" {
				t.Fatalf("a booked person on the list: %d %s", res.Status, res.Body)
			}

			// Three places freed: B (2) fits, C (4) does not, D (1) does.
			if res := ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+first.Code, nil); res.Status != 200 {
				t.Fatalf("cancel: %d %s", res.Status, res.Body)
			}
			standing := func(token string) standbyOut {
				var out standbyOut
				ta.Do(t, nil, "GET", "/api/v1/standby/"+token, nil).JSON(t, &out)
				return out
			}
			if got := standing(b.Token); got.Status != "booked" || got.Booking == "" {
				t.Fatalf("B: %+v", got)
			}
			if got := standing(d.Token); got.Status != "booked" {
				t.Fatalf("D: %+v", got)
			}
			if got := standing(c.Token); got.Status != "waiting" || got.Position != 1 {
				t.Fatalf("C: %+v", got)
			}
			// The public finds nothing: the freed places went to the list.
			if res := bookOne(t, ta, s.ID, "13600000007", "S0000041"); res.Code() != "sold_out" {
				t.Fatalf("the public after the cancel: %d %s", res.Status, res.Body)
			}
			var notices int
			ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = 'standby_booked'`).Scan(&notices)
			if notices != 2 {
				t.Fatalf("%d standby notifications, want 2", notices)
			}
			counts, _ := ta.Store.SlotCounts(ctx, []int64{s.ID})
			buckets, _ := ta.Gate.Buckets(ctx, []int64{s.ID})
			if counts[0].Booked != 4 || buckets[s.ID].Taken() != 4 {
				t.Fatalf("store %+v, gate %+v: want 4 of 4 in both", counts[0], buckets[s.ID])
			}

			// A raised quota: two instances offer the two new places at once.
			twin := ta.Twin(t)
			admin, _ := ta.Accounts.Authenticate(ctx, loginToken(t, ta))
			e, _ := joinStandby(t, ta, s.ID, "13600000008", "S0000051")
			six := 6
			twice(ta, twin, func(x *testkit.TestApp) {
				if x == ta {
					if _, err := x.Admin.SetSlotQuota(ctx, admin.User, s.ID, domain.QuotaSpec{Quota: &six}, "more guides", false); err != nil {
						t.Error(err)
					}
				} else {
					x.Bookings.SweepStandby(ctx)
				}
			})
			twin.Bookings.SweepStandby(ctx)
			counts, _ = ta.Store.SlotCounts(ctx, []int64{s.ID})
			if got := standing(e.Token); got.Status != "booked" || counts[0].Booked != 5 {
				t.Fatalf("after raising the quota: E %+v, booked %d (want E booked once, 5 of 6)", got, counts[0].Booked)
			}
			if got := standing(c.Token); got.Status != "waiting" {
				t.Fatalf("C still does not fit: %+v", got)
			}

			// Withdrawn, then the list closes when the admission window opens.
			if res := ta.Do(t, nil, "DELETE", "/api/v1/standby/"+c.Token, nil); !strings.Contains(string(res.Body), `"status":"withdrawn"`) {
				t.Fatalf("withdraw: %d %s", res.Status, res.Body)
			}
			f, _ := joinStandby(t, ta, s.ID, "13600000010", "S0000061", "S0000062")
			ta.Clock.Set(on("2026-03-03", "10:30"))
			if _, res := joinStandby(t, ta, s.ID, "13600000011", "S0000071"); res.Code() != "slot_closed" {
				t.Fatalf("joining once the window opened: %d %s", res.Status, res.Body)
			}
			if _, expired, err := ta.Bookings.SweepStandby(ctx); err != nil || expired != 1 {
				t.Fatalf("sweep: %d expired, %v", expired, err)
			}
			if got := standing(f.Token); got.Status != "expired" {
				t.Fatalf("F: %+v", got)
			}
		})
	}
}

// TestHeldBackRelease: a share of each slot opens only the day before at a
// set time; before it, those places cannot be booked; after it, they can,
// and the release happens once although two instances run it.
func TestHeldBackRelease(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			twin := ta.Twin(t)
			ctx := context.Background()
			admin := ta.Login(t, "admin", testkit.AdminPassword)
			addTheatre(t, ta, admin)
			s := slotAt(t, ta, "beibei-theatre", "2026-03-04", "19:00")
			if s.Quota != 10 || s.Remaining != 8 || s.HeldBack != 2 || s.ReleasesAt != "2026-03-03T17:00:00+08:00" {
				t.Fatalf("before the release: %+v", s)
			}
			if page := ta.Do(t, nil, "GET", "/venues/beibei-theatre?date=2026-03-04&lang=en", nil); !strings.Contains(string(page.Body), "2 more places open at") {
				t.Fatalf("the venue page does not say when held-back places open")
			}
			for i := range 8 {
				if res := bookOne(t, ta, s.ID, fmt.Sprintf("1350000%04d", i), fmt.Sprintf("H%07d", i)); res.Status != 201 {
					t.Fatalf("booking %d: %d %s", i, res.Status, res.Body)
				}
			}
			if res := bookOne(t, ta, s.ID, "13500009999", "H0000099"); res.Code() != "sold_out" {
				t.Fatalf("a held-back place before its time: %d %s", res.Status, res.Body)
			}
			// 16:59 the day before: still held (Tuesday's own slot, due on
			// Monday at 17:00, opens now).
			ta.Clock.Set(on("2026-03-03", "16:59"))
			if _, err := ta.Fairness.ReleaseHeldBack(ctx); err != nil {
				t.Fatal(err)
			}
			if got := slotAt(t, ta, "beibei-theatre", "2026-03-04", "19:00"); got.HeldBack != 2 || got.Remaining != 0 {
				t.Fatalf("a minute early: %+v", got)
			}
			ta.Clock.Set(on("2026-03-03", "17:00"))
			released := make(chan int, 2)
			twice(ta, twin, func(x *testkit.TestApp) {
				n, err := x.Fairness.ReleaseHeldBack(ctx)
				if err != nil {
					t.Error(err)
				}
				released <- n
			})
			close(released)
			total := 0
			for n := range released {
				total += n
			}
			if n, _ := ta.Fairness.ReleaseHeldBack(ctx); total != 2 || n != 0 {
				t.Fatalf("released %d places, then %d; want 2 once", total, n)
			}
			for i := range 2 {
				if res := bookOne(t, ta, s.ID, fmt.Sprintf("1351000%04d", i), fmt.Sprintf("H%07d", 100+i)); res.Status != 201 {
					t.Fatalf("a released place: %d %s", res.Status, res.Body)
				}
			}
			if res := bookOne(t, ta, s.ID, "13510009999", "H0000199"); res.Code() != "sold_out" {
				t.Fatalf("past the whole quota: %d %s", res.Status, res.Body)
			}
			counts, _ := ta.Store.SlotCounts(ctx, []int64{s.ID})
			if counts[0].Booked != 10 || counts[0].Quota != 10 {
				t.Fatalf("store: %+v", counts[0])
			}
		})
	}
}

// TestErasure: after the period, no name, masked ID or phone remains for the
// day's bookings; counts are unchanged; the ID hash stays as long as the
// no-show rule needs it.
func TestErasure(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			ctx := context.Background()
			s := slotAt(t, ta, "jinyun-mountain", "2026-03-02", "10:00")
			for i := range 3 {
				if res := bookOne(t, ta, s.ID, fmt.Sprintf("1340000%04d", i), fmt.Sprintf("R%07d", i), fmt.Sprintf("R%07d", 50+i)); res.Status != 201 {
					t.Fatal(res.Status)
				}
			}
			later := slotAt(t, ta, "jinyun-mountain", "2026-03-05", "10:00")
			bookOne(t, ta, later.ID, "13400009999", "R0000999")
			db := ta.Store.DB()
			before := countRows(t, db, s.ID)

			ta.Clock.Set(on("2026-04-01", "03:00")) // 30 days after 2 March, 29 after 3 March: only 2 March is due
			if _, err := ta.Fairness.Erase(ctx); err != nil {
				t.Fatal(err)
			}
			var names, masked, phones, hashes int
			db.QueryRow(`SELECT COUNT(*) FROM booking_visitors WHERE visit_date = '2026-03-02' AND (name <> '' OR id_masked <> '')`).Scan(&names)
			db.QueryRow(`SELECT COUNT(*) FROM booking_visitors WHERE visit_date = '2026-03-05' AND name <> '' AND id_masked <> ''`).Scan(&masked)
			db.QueryRow(`SELECT COUNT(*) FROM bookings WHERE visit_date = '2026-03-02' AND phone <> ''`).Scan(&phones)
			db.QueryRow(`SELECT COUNT(*) FROM booking_visitors WHERE visit_date = '2026-03-02' AND id_hash <> ''`).Scan(&hashes)
			if names != 0 || phones != 0 || masked != 1 || hashes != 6 {
				t.Fatalf("after erasure: %d named/masked, %d phones left on 2 March; %d kept on 5 March; %d hashes", names, phones, masked, hashes)
			}
			if after := countRows(t, db, s.ID); after != before {
				t.Fatalf("counts changed: %v -> %v", before, after)
			}
			// The no-show rule's horizon (180 + 30 days) passes: the hashes go.
			ta.Clock.Set(on("2026-09-28", "03:00")) // 2 March + 210 days
			if _, err := ta.Fairness.Erase(ctx); err != nil {
				t.Fatal(err)
			}
			db.QueryRow(`SELECT COUNT(*) FROM booking_visitors WHERE visit_date = '2026-03-02' AND id_hash <> ''`).Scan(&hashes)
			if hashes != 0 {
				t.Fatalf("%d hashes outlived the no-show rule", hashes)
			}
			if after := countRows(t, db, s.ID); after != before {
				t.Fatalf("counts changed: %v -> %v", before, after)
			}
		})
	}
}

// countRows is what statistics are made of: bookings, people, places.
func countRows(t *testing.T, db *sql.DB, slotID int64) [3]int {
	t.Helper()
	var n [3]int
	db.QueryRow(`SELECT COUNT(*), COALESCE(SUM(party_size), 0) FROM bookings WHERE slot_id = ?`, slotID).Scan(&n[0], &n[1])
	db.QueryRow(`SELECT booked FROM slots WHERE id = ?`, slotID).Scan(&n[2])
	return n
}

// addTheatre adds an evening venue of 10 places a slot, 20% of them held
// back until 17:00 the day before.
func addTheatre(t *testing.T, ta *testkit.TestApp, admin string) {
	t.Helper()
	res := ta.Do(t, nil, "POST", "/api/v1/admin/venues", map[string]any{
		"slug": "beibei-theatre", "name": map[string]string{"zh": "北碚剧场", "en": "Beibei Theatre"}, "kind": "theatre",
		"hours": map[string]string{"open": "19:00", "close": "21:00"}, "slot_minutes": 120, "default_quota": 10,
		"held_back_pct": 20, "held_back_release": "17:00"}, "Authorization", admin)
	if res.Status != 201 {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
}
