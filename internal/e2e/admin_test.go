package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/testkit"
)

// TestAdminDayViewAndLive is an admin's morning: sign in, lower a slot's
// quota on the day view and see the visitors' page follow; try to go below
// the places booked and freeze the slot instead; then watch the live
// dashboard change, without reloading, when a party comes in at a gate.
func TestAdminDayViewAndLive(t *testing.T) {
	ta, _ := startApp(t)
	nine := slotAt(t, ta, "jinyun-mountain", "2026-03-03", "09:00")
	ten := slotAt(t, ta, "jinyun-mountain", "2026-03-03", "10:00")
	bookAt(t, ta, ten, [2]string{"王五", "E66601234"}, [2]string{"赵六", "E66605678"})
	today := slotAt(t, ta, "jinyun-mountain", "2026-03-02", "09:00")
	code := bookAt(t, ta, today, [2]string{"张三", "E77701234"}, [2]string{"李四", "E77705678"})

	b := newBrowser(t, ta)
	day := "/admin/venues/jinyun-mountain/days/2026-03-03"
	b.signIn(day, "admin", testkit.AdminPassword)
	if p := b.path(); p != day {
		t.Fatalf("the sign-in led to %s, want back to %s", p, day)
	}
	b.see("缙云山", "2026年3月3日（周二）", "09:00–10:00", "17:00–18:00")

	// One slot's quota, changed in place with a reason.
	b.typeIn(fmt.Sprintf("#q-%d", nine), "450")
	b.fill(fmt.Sprintf("#reason-%d", nine), "山顶步道维修，限流")
	b.click(fmt.Sprintf("#edit-%d .save-quota", nine))
	b.waitFor("the quota is saved", fmt.Sprintf(`document.getElementById("slot-%d").dataset.quota === "450" && document.getElementById("edit-%d").hidden`, nine, nine), 10*time.Second)
	if got := b.text(fmt.Sprintf("#slot-%d .remaining", nine)); got != "450" {
		t.Fatalf("remaining after the change: %q", got)
	}
	b.see("已保存")

	// Below the two people booked: refused, with the offer to freeze.
	b.typeIn(fmt.Sprintf("#q-%d", ten), "1")
	b.fill(fmt.Sprintf("#reason-%d", ten), "临时封闭观景台")
	b.click(fmt.Sprintf("#edit-%d .save-quota", ten))
	freeze := fmt.Sprintf("#edit-%d .freeze-quota", ten)
	b.waitFor("the freeze offer shows", fmt.Sprintf(`!document.querySelector(%q).hidden`, freeze), 10*time.Second)
	b.see("已预约 2 人，配额不能低于此数")
	b.click(freeze)
	b.waitFor("the slot is flagged", fmt.Sprintf(`document.getElementById("slot-%d").classList.contains("st-flagged")`, ten), 10*time.Second)
	if got := b.text(fmt.Sprintf("#slot-%d .pill", ten)); got != "超出配额·停售" {
		t.Fatalf("the frozen slot reads %q", got)
	}
	b.noFullID("E66601234", "E66605678", "13800138000")
	b.screenshot("admin-day", true)

	// The visitors see the new quota.
	b.open("/venues/jinyun-mountain?date=2026-03-03")
	b.see("剩余 450 / 450")

	// The dashboard, then a party admitted at the north gate.
	if st := b.open("/admin/live"); st != http.StatusOK {
		t.Fatalf("live dashboard: %d", st)
	}
	mountain := `document.querySelector('.live-card[data-venue="jinyun-mountain"] `
	b.waitFor("the charts are drawn", mountain+`svg.occupancy-chart') !== null`, 10*time.Second)
	before := b.eval(mountain + `svg.occupancy-chart').dataset.inside + "/" + ` + mountain + `svg.minute-chart').dataset.total`)
	if before != "0/0" {
		t.Fatalf("before any admission the mountain's charts read %s (inside/admitted in 3 h)", before)
	}
	b.eval(`(window.stillTheSamePage = true, "marked")`)
	ta.AddStaff(t, "north", domain.RoleStaff, "jinyun-mountain")
	ta.Clock.Set(at(t, "08:40"))
	res := ta.Do(t, nil, "POST", "/api/v1/admissions", map[string]string{"code": code, "gate": "北门", "venue": "jinyun-mountain"},
		"Authorization", ta.Login(t, "north", testkit.StaffPassword))
	if res.Status != http.StatusOK {
		t.Fatalf("admit: %d %s", res.Status, res.Body)
	}
	b.waitFor("the dashboard shows the party inside", mountain+`svg.occupancy-chart').dataset.inside === "2" && `+
		mountain+`svg.minute-chart').dataset.total === "2"`, 15*time.Second)
	if b.eval(`String(window.stillTheSamePage)`) != "true" {
		t.Fatal("the dashboard reloaded the page to change")
	}
	if w, _ := strconv.ParseFloat(b.eval(mountain+`.occ-bar').getAttribute("width")`), 64); w <= 0 {
		t.Fatalf("the occupancy bar has width %v", w)
	}
	if n := b.count(`.live-card[data-venue="jinyun-mountain"] .minute-bar`); n != 1 {
		t.Fatalf("%d bars of admissions, want the one minute", n)
	}
	b.see("今日已入场")
	if got := b.text(`.live-card[data-venue="jinyun-mountain"] [data-field="admitted_today"]`); got != "2" {
		t.Fatalf("admitted today reads %q", got)
	}
	b.noFullID("E77701234", "E77705678", "13800138000")
	b.screenshot("admin-live", true)
}

// TestAdminAccountsAndPolicy: add a staff account, disable it, give it
// other venues and a new password; then change a venue's hours on its
// policy form, with errors shown next to their fields first, and see the
// booked slot the new hours leave out kept and listed.
func TestAdminAccountsAndPolicy(t *testing.T) {
	ta, _ := startApp(t)
	evening := slotAt(t, ta, "beibei-library", "2026-03-04", "19:00")
	bookAt(t, ta, evening, [2]string{"周七", "E88801234"})

	b := newBrowser(t, ta)
	b.signIn("/admin/users", "admin", testkit.AdminPassword)
	b.see("工作人员账号", "admin", "全部场馆")

	// A form sent empty: each error under its field.
	b.click(`#add-user button[type="submit"]`)
	b.waitFor("the errors show", `document.getElementById("nu-password-err").textContent !== ""`, 10*time.Second)
	b.see("用户名为 2 至 64 位字母、数字或 . _ -", "密码至少 10 位")
	b.fill("#nu-username", "south")
	b.fill("#nu-password", "south-gate-2026")
	b.click(`#add-user input[value="beibei-library"]`)
	// Added, the page shows the list again with it.
	if st := b.follow(`#add-user button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("the list after adding: %d", st)
	}
	b.waitFor("the account is listed", `document.querySelector('tr[data-user="south"]') !== null`, 10*time.Second)
	b.see("已添加账号 south。", "北碚图书馆")
	if res := ta.Do(t, nil, "POST", "/api/v1/auth/login", map[string]string{"username": "south", "password": "south-gate-2026"}); res.Status != http.StatusOK {
		t.Fatalf("the new account cannot sign in: %d", res.Status)
	}

	row := `tr[data-user="south"] `
	b.click(row + "summary")
	b.click(row + ".toggle-user")
	b.waitFor("the account is disabled", `document.querySelector('tr[data-user="south"]').classList.contains("disabled")`, 10*time.Second)
	if res := ta.Do(t, nil, "POST", "/api/v1/auth/login", map[string]string{"username": "south", "password": "south-gate-2026"}); res.Status != http.StatusUnauthorized {
		t.Fatalf("a disabled account signs in: %d", res.Status)
	}
	b.click(row + `input[value="beibei-museum"]`)
	b.click(row + `.user-venues button[type="submit"]`)
	b.waitFor("the venues are saved", `document.querySelector('tr[data-user="south"] .venue-names').textContent === "北碚博物馆、北碚图书馆"`, 10*time.Second)
	b.fill(row+`input[name="password"]`, "short")
	b.click(row + `.user-password button[type="submit"]`)
	b.waitFor("the short password is refused", `document.querySelector('tr[data-user="south"] .user-password .err').textContent !== ""`, 10*time.Second)
	b.fill(row+`input[name="password"]`, "a-longer-password")
	b.click(row + `.user-password button[type="submit"]`)
	b.waitFor("the password is reset", `document.querySelector('tr[data-user="south"] .result-note').textContent.includes("密码已重置")`, 10*time.Second)
	b.screenshot("admin-users", true)

	// The library's policy form: a wrong field, then new hours.
	b.open("/admin/venues/beibei-library")
	b.typeIn("#f-slot-minutes", "0")
	b.click("#save-venue")
	b.waitFor("the error shows by its field", `document.getElementById("f-slot-minutes-err").textContent === "应为 5 至 720"`, 10*time.Second)
	if id := b.eval("document.activeElement.id"); id != "f-slot-minutes" {
		t.Fatalf("the cursor is on %q, want the wrong field", id)
	}
	b.typeIn("#f-slot-minutes", "120")
	b.typeIn("#f-hours-close", "19:00")
	b.typeIn("#f-policy-ratio-pct", "75")
	b.typeIn("#f-approved-daily-capacity", "1000")
	// The second release's visitor information and booking times.
	b.typeIn("#f-release-time", "08:30")
	b.typeIn("#f-booking-closes-minutes-before-end", "20")
	b.typeIn("#f-address-en", "1 Library Road, Beibei")
	b.typeIn("#f-notice-en", "Bags go to the cloakroom.")
	b.fill("#f-reason", "冬季闭馆提前")
	b.click("#save-venue")
	b.waitFor("the schedule report shows", `!document.getElementById("form-result").hidden`, 10*time.Second)
	b.see("已保存。", "以下时段已有预约", "2026-03-04 19:00–21:00，已预约 1 人")
	b.screenshot("admin-venue", true)
	var saved struct {
		ReleaseTime  string `json:"release_time"`
		ClosesBefore int    `json:"booking_closes_minutes_before_end"`
		Address      struct {
			EN string `json:"en"`
		} `json:"address"`
		Notice struct {
			EN string `json:"en"`
		} `json:"notice"`
	}
	ta.Do(t, nil, "GET", "/api/v1/venues/beibei-library", nil).JSON(t, &saved)
	if saved.ReleaseTime != "08:30" || saved.ClosesBefore != 20 || saved.Address.EN != "1 Library Road, Beibei" || saved.Notice.EN != "Bags go to the cloakroom." {
		t.Fatalf("the form's new fields were not saved: %+v", saved)
	}
	b.open("/admin")
	b.see("核定日容量 1000 × 75%，均分到各时段")
}
