package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"slotgate/domain"
	"slotgate/internal/testkit"
)

// TestDeskFindsABookingByPhone: staff of the venue open the desk, type a
// phone as the visitor says it, and find the one booking with its persons
// and their status; they cancel one person at the visitor's request.
func TestDeskFindsABookingByPhone(t *testing.T) {
	ta, _ := startApp(t)
	ta.AddStaff(t, "north", domain.RoleStaff, "jinyun-mountain")
	slot := slotAt(t, ta, "jinyun-mountain", "2026-03-02", "11:00")
	card := residentID("50010919900307123")
	number := bookParty(t, ta, slot, "13912345678", [3]string{"张三", "resident_id", card}, [3]string{"李四", "passport", "E55501234"})
	bookParty(t, ta, slot, "13800138000", [3]string{"王五", "passport", "E55505678"})
	ta.Clock.Set(at(t, "10:30"))

	b := newBrowser(t, ta)
	b.signIn("/admin/desk", "north", testkit.StaffPassword)
	if p := b.path(); p != "/admin/desk" {
		t.Fatalf("staff at the desk landed on %s: %s", p, b.text("body"))
	}
	if got := b.count(".desk-booking"); got != 2 {
		t.Fatalf("the day's list has %d bookings, want 2", got)
	}
	b.fill("#desk-q", "139 1234 5678")
	b.follow(`.desk-search button[type="submit"]`)
	if got := b.count(".desk-booking"); got != 1 {
		t.Fatalf("the search by phone found %d bookings: %s", got, b.text("main"))
	}
	b.see("No. "+number, "张三", "李四", domain.MaskID(card), "未入场", "139****5678")
	b.noFullID(card, "E55501234", "13912345678")
	b.screenshot("desk-search", true)

	// The visitor's friend cannot come: cancel Li Si, with a reason.
	b.eval(`window.confirm = () => true; window.prompt = () => "朋友临时有事"; "ok"`)
	b.click(`.desk-booking tr[data-position="2"] .cancel-one`)
	// The page reloads after the answer: poll across the reload.
	deadline := time.Now().Add(15 * time.Second)
	for {
		done, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`!!document.querySelector('.desk-booking tr.p-cancelled[data-position="2"]')`))
		if err == nil && done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page never showed Li Si cancelled: %v %s", err, b.text("main"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.see("已取消")
	b.screenshot("desk-cancelled-one", false)

	// An admin reads who did it in the audit log.
	var entries []struct{ Username, Kind, Reason string }
	ta.Do(t, nil, "GET", "/api/v1/admin/audit?kind=desk_cancel", nil, "Authorization", ta.Login(t, "admin", testkit.AdminPassword)).JSON(t, &entries)
	if len(entries) != 1 || entries[0].Username != "north" || entries[0].Reason != "朋友临时有事" {
		t.Fatalf("the desk cancellation in the audit log: %+v", entries)
	}
}

// TestReportsPageDrawsCharts: the reports page draws its daily chart and
// its origins chart as SVG from a known day, with the totals.
func TestReportsPageDrawsCharts(t *testing.T) {
	ta, _ := startApp(t)
	ta.AddStaff(t, "north", domain.RoleStaff, "jinyun-mountain")
	slot := slotAt(t, ta, "jinyun-mountain", "2026-03-02", "09:00")
	bookParty(t, ta, slot, "13912345678", [3]string{"张三", "resident_id", residentID("50010919900307123")},
		[3]string{"李四", "resident_id", residentID("11010519850101002")}, [3]string{"John", "passport", "E55501234"})
	bookParty(t, ta, slot, "13800138000", [3]string{"王五", "resident_id", residentID("51010719800505404")})
	ta.Clock.Set(at(t, "08:40"))
	admin := ta.Login(t, "admin", testkit.AdminPassword)
	for _, id := range []string{residentID("50010919900307123"), residentID("11010519850101002"), "E55501234"} {
		if res := ta.Do(t, nil, "POST", "/api/v1/admissions", map[string]any{"id_number": id, "gate": "North", "venue": "jinyun-mountain"},
			"Authorization", admin); res.Status != 200 {
			t.Fatalf("admit %s: %d %s", id, res.Status, res.Body)
		}
	}

	b := newBrowser(t, ta)
	q := url.Values{"venue": {"jinyun-mountain"}, "from": {"2026-02-24"}, "to": {"2026-03-08"}}
	b.signIn("/admin/reports?"+q.Encode(), "admin", testkit.AdminPassword)
	if got := b.count("#daily-chart rect.admitted"); got < 1 {
		t.Fatalf("the daily chart has %d admitted bars", got)
	}
	if got := b.count("#origin-chart rect.origin"); got != 4 {
		t.Fatalf("the origins chart has %d bars, want 4 (重庆市, 北京市, 护照, 四川省)", got)
	}
	b.see("重庆市", "北京市", "护照", "四川省")
	if got := b.text("#totals"); !strings.Contains(got, "预约 4") || !strings.Contains(got, "入场 3") {
		t.Fatalf("totals: %q", got)
	}
	// The admitted bar of the day is three people high of the four booked.
	h := b.eval(`(() => { const bars = [...document.querySelectorAll("#daily-chart rect")].filter(r => r.querySelector("title").textContent.startsWith("2026-03-02"));
		return bars.map(r => r.getAttribute("class") + ":" + r.getAttribute("height")).join(","); })()`)
	if !strings.Contains(h, "booked:") || !strings.Contains(h, "admitted:") {
		t.Fatalf("the day's bars: %q", h)
	}
	b.screenshot("admin-reports", true)

	// The calendar of the museum, with a Monday opened.
	if res := ta.Do(t, nil, "PUT", "/api/v1/admin/venues/beibei-museum/days/2026-03-09",
		map[string]any{"open": true, "hours": map[string]string{"open": "10:00", "close": "16:00"}, "reason": "清明节"}, "Authorization", admin); res.Status != 200 {
		t.Fatalf("open a Monday: %d %s", res.Status, res.Body)
	}
	b.open("/admin/venues/beibei-museum/calendar?month=2026-03")
	if got := b.text(`#month td[data-date="2026-03-09"]`); !strings.Contains(got, "特别开放") {
		t.Fatalf("the opened Monday reads %q", got)
	}
	if got := b.text(`#month td[data-date="2026-03-16"]`); !strings.Contains(got, "例行闭馆") {
		t.Fatalf("a weekly closed Monday reads %q", got)
	}
	b.screenshot("admin-calendar", true)
}
