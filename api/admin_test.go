package api_test

import (
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"slotgate/internal/testkit"
)

// TestVenueLifecycle: a new venue gets its slots at once; a changed
// schedule applies to slots not yet booked and reports the booked ones it
// kept; a lowered policy ratio flags a slot left above its quota instead of
// cancelling anything; every change is in the audit log, page by page.
func TestVenueLifecycle(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			admin := ta.Login(t, "admin", testkit.AdminPassword)
			res := ta.Do(t, nil, "POST", "/api/v1/admin/venues", map[string]any{
				"slug": "beibei-hall", "name": map[string]string{"zh": "北碚展览馆", "en": "Beibei Hall"}, "kind": "museum",
				"hours": map[string]string{"open": "09:00", "close": "12:00"}, "slot_minutes": 60,
				"approved_daily_capacity": 600, "policy_ratio_pct": 50, "closed_weekdays": []int{1},
			}, "Authorization", admin)
			if res.Status != 201 {
				t.Fatalf("create: %d %s", res.Status, res.Body)
			}
			tue := slots(t, ta, "beibei-hall", "2026-03-03")
			// 600 approved x 50 % over 3 slots.
			if len(tue) != 3 || tue[0].Quota != 100 || tue[0].Status != "open" {
				t.Fatalf("new venue's Tuesday: %+v", tue)
			}
			if res := ta.Do(t, nil, "POST", "/api/v1/admin/venues", map[string]any{"slug": "beibei-hall", "name": map[string]string{"zh": "x", "en": "x"}, "kind": "museum"},
				"Authorization", admin); res.Status != 409 {
				t.Fatalf("slug taken: %d %s", res.Status, res.Body)
			}
			if res := ta.Do(t, nil, "POST", "/api/v1/admin/venues", map[string]any{"slug": "Bad Slug", "kind": "museum", "slot_minutes": -1},
				"Authorization", admin); res.Status != 422 {
				t.Fatalf("invalid venue: %d %s", res.Status, res.Body)
			}

			// A party books the 11:00 slot of Tuesday; then the hall closes at 11:00.
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(tue[2].ID, "E77000001", "E77000002", "E77000003")); res.Status != 201 {
				t.Fatalf("book: %d %s", res.Status, res.Body)
			}
			res = ta.Do(t, nil, "PUT", "/api/v1/admin/venues/beibei-hall", map[string]any{
				"hours": map[string]string{"open": "09:00", "close": "11:00"}, "reason": "shorter winter hours"}, "Authorization", admin)
			var upd struct {
				Schedule struct {
					Removed int `json:"slots_removed"`
					Kept    []struct {
						ID    int64  `json:"id"`
						Start string `json:"start"`
					} `json:"booked_slots_kept"`
				} `json:"schedule"`
			}
			res.JSON(t, &upd)
			if res.Status != 200 || len(upd.Schedule.Kept) != 1 || upd.Schedule.Kept[0].ID != tue[2].ID || upd.Schedule.Removed < 4 {
				t.Fatalf("schedule change: %d %s", res.Status, res.Body)
			}
			if got := slots(t, ta, "beibei-hall", "2026-03-04"); len(got) != 2 {
				t.Fatalf("Wednesday after the change: %d slots, want 2", len(got))
			}

			// The ratio goes down to 30 %: 600 x 30 % over 2 slots = 90; the
			// kept 11:00 slot (3 booked) stays; none is cancelled.
			res = ta.Do(t, nil, "PUT", "/api/v1/admin/venues/beibei-hall/default-quota", map[string]any{"ratio_pct": 30, "reason": "policy 30%"},
				"Authorization", admin)
			if res.Status != 200 {
				t.Fatalf("ratio: %d %s", res.Status, res.Body)
			}
			after := slots(t, ta, "beibei-hall", "2026-03-03")
			if after[0].Quota != 90 || after[2].Booked != 3 {
				t.Fatalf("after the ratio change: %+v", after)
			}
			// A slot's quota below its bookings: refused, or frozen on request.
			res = ta.Do(t, nil, "PUT", "/api/v1/admin/slots/"+itoa(after[2].ID)+"/quota", map[string]any{"quota": 2, "reason": "fewer guides"}, "Authorization", admin)
			if res.Status != 409 || res.Code() != "below_booked" || !strings.Contains(string(res.Body), "3") {
				t.Fatalf("below booked: %d %s", res.Status, res.Body)
			}
			res = ta.Do(t, nil, "PUT", "/api/v1/admin/slots/"+itoa(after[2].ID)+"/quota", map[string]any{"quota": 2, "reason": "fewer guides", "freeze": true}, "Authorization", admin)
			if res.Status != 200 || !strings.Contains(string(res.Body), `"status":"flagged"`) {
				t.Fatalf("freeze: %d %s", res.Status, res.Body)
			}
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(after[2].ID, "E77000009")); res.Code() != "slot_closed" {
				t.Fatalf("booking a frozen slot: %d %s", res.Status, res.Body)
			}
			var live int
			ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM bookings WHERE status = 'confirmed'`).Scan(&live)
			if live != 1 {
				t.Fatalf("%d bookings stand, want the one", live)
			}

			// The audit log, two entries a page.
			res = ta.Do(t, nil, "GET", "/api/v1/admin/audit?venue=beibei-hall&per_page=2", nil, "Authorization", admin)
			var page []map[string]any
			res.JSON(t, &page)
			if res.Status != 200 || len(page) != 2 || !strings.Contains(res.Header.Get("Link"), `rel="next"`) || res.Header.Get("X-Total-Count") == "" {
				t.Fatalf("audit page: %d %s %v", res.Status, res.Body, res.Header)
			}
			kinds := map[string]bool{}
			for p := 1; p < 100; p++ {
				var entries []map[string]any
				ta.Do(t, nil, "GET", "/api/v1/admin/audit?venue=beibei-hall&per_page=2&page="+itoa(int64(p)), nil, "Authorization", admin).JSON(t, &entries)
				if len(entries) == 0 {
					break
				}
				for _, e := range entries {
					kinds[e["kind"].(string)] = true
				}
			}
			for _, k := range []string{"venue_create", "venue_update", "default_quota", "slot_quota"} {
				if !kinds[k] {
					t.Errorf("audit lacks %s: %v", k, kinds)
				}
			}
			res = ta.Do(t, nil, "GET", "/api/v1/admin/audit?kind=sign_in", nil, "Authorization", admin)
			if !strings.Contains(string(res.Body), `"username":"admin"`) {
				t.Errorf("sign-ins not audited: %s", res.Body)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestStaffListCSV: the list at the entrance has names and masked IDs,
// never a phone or a full ID number.
func TestStaffListCSV(t *testing.T) {
	ta, tokens := gateApp(t, testkit.Modes(t)[0])
	ids := []string{resident("50010919900307123"), "E12345678"}
	s := slots(t, ta, "jinyun-mountain", "2026-03-03")[2]
	if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, ids...)); res.Status != 201 {
		t.Fatal(res.Status)
	}
	res := ta.Do(t, nil, "GET", "/api/v1/venues/jinyun-mountain/bookings.csv?date=2026-03-03", nil, "Authorization", tokens["north"])
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %v", res.Status, res.Header)
	}
	text := strings.TrimPrefix(string(res.Body), "\ufeff")
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "日期" || rows[1][0] != "2026-03-03" || rows[1][7] != "访客1" ||
		rows[1][9] != "5001**********"+ids[0][14:] || rows[1][10] != "confirmed" {
		t.Fatalf("csv rows: %v %v", rows, err)
	}
	for _, secret := range append(ids, "13800138000") {
		if strings.Contains(text, secret) {
			t.Fatalf("the list holds %s", secret)
		}
	}
}
