package web_test

import (
	"strings"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/testkit"
)

// TestPagesTellTheTruth: a day closed by an admin shows its reason and no
// places; its bookings say they were cancelled by the closure and why; an
// admitted booking says when and at which gate; English counts one person
// in the singular.
func TestPagesTellTheTruth(t *testing.T) { inEveryMode(t, pagesTellTheTruth) }

func pagesTellTheTruth(t *testing.T, mode testkit.Mode) {
	ta := testkit.StartApp(t, mode, testkit.Options{})
	var pages []string
	b := newPageBrowser(t, ta, &pages)
	ta.AddStaff(t, "north", domain.RoleStaff, "jinyun-mountain")
	admin := ta.Login(t, "admin", testkit.AdminPassword)

	museum := slots(t, ta, "beibei-museum", "2026-03-04")
	res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(museum[0].ID, "T10000001"))
	if res.Status != 201 {
		t.Fatalf("book: %d %s", res.Status, res.Body)
	}
	var closed bookingOut
	res.JSON(t, &closed)
	if res := ta.Do(t, nil, "POST", "/api/v1/admin/venues/beibei-museum/closures",
		map[string]any{"date": "2026-03-04", "reason": "布展闭馆"}, "Authorization", admin); res.Status != 200 {
		t.Fatalf("close: %d %s", res.Status, res.Body)
	}
	page := b.get("/venues/beibei-museum?date=2026-03-04")
	wantPage(t, page, 200, "当天闭馆：布展闭馆")
	if strings.Contains(string(page.Body), "剩余 80 / 80") || strings.Contains(string(page.Body), "剩余 79 / 80") {
		t.Fatalf("a closed day shows places: %s", page.Body)
	}
	wantPage(t, b.get("/bookings/"+closed.Code), 200, "预约已取消", "因场馆闭馆（布展闭馆），该预约已取消")

	// Admitted at the north gate at 09:40.
	mountain := slots(t, ta, "jinyun-mountain", "2026-03-02")
	res = ta.Do(t, nil, "POST", "/api/v1/bookings", body(mountain[3].ID, "T10000002"))
	var in bookingOut
	res.JSON(t, &in)
	ta.Clock.Set(time.Date(2026, 3, 2, 9, 40, 0, 0, testkit.Monday0800.Location()))
	staff := ta.Login(t, "north", testkit.StaffPassword)
	if res := ta.Do(t, nil, "POST", "/api/v1/admissions", map[string]string{"code": in.Code, "gate": "北门", "venue": "jinyun-mountain"},
		"Authorization", staff); res.Status != 200 {
		t.Fatalf("admit: %d %s", res.Status, res.Body)
	}
	wantPage(t, b.get("/bookings/"+in.Code), 200, "已入场", "已于 3月2日 周一 09:40 从 北门 入场")
	b.lang = "en"
	wantPage(t, b.get("/bookings/"+in.Code), 200, "Admitted at Mon 2 Mar 09:40 through 北门", "Visitor (1)")
}
