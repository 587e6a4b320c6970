package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"slotgate/domain"
)

// The tests run at Monday 2026-03-02 08:00 in Beibei: the booking window
// runs to Monday 2026-03-09, and the museum, gallery and cultural centre
// are closed today.

// doubleClick presses the mouse twice on an element, as an impatient thumb
// does: two clicks, the second before the first page has gone.
func (b *tab) doubleClick(css string) {
	b.t.Helper()
	b.do(chromedp.ScrollIntoView(chromedp.CSS(css)))
	box, err := chromedp.Run(b.ctx, chromedp.Dimensions(chromedp.CSS(css)))
	if err != nil {
		b.t.Fatalf("where is %s: %v", css, err)
	}
	var x, y float64
	for i := 0; i < len(box.Content); i += 2 {
		x += box.Content[i] / 4
		y += box.Content[i+1] / 4
	}
	b.do(chromedp.MouseClickXY(x, y), chromedp.MouseClickXY(x, y, chromedp.ClickCount(2)))
}

// TestBookAndCancel is a visitor's whole journey on a phone: choose a
// venue, a day and a slot, book for three, keep the QR code, look the
// booking up by its code, cancel it, and see the places come back. Then
// the English switch.
func TestBookAndCancel(t *testing.T) {
	ta, logs := startApp(t)
	b := newBrowser(t, ta)
	ids := []string{resident("50010919900307123"), resident("11010519880815234"), "E12345678"}

	if st := b.open("/"); st != 200 {
		t.Fatalf("venue list: %d", st)
	}
	b.see("选择场馆", "缙云山", "北碚博物馆", "北碚图书馆", "北碚区文化馆", "北碚美术馆", "每周一闭馆", "今天 · 3月2日 周一")
	if lang := b.eval("document.documentElement.lang"); lang != "zh-CN" {
		t.Fatalf("page language %q, want zh-CN by default", lang)
	}
	b.screenshot("home", true)

	// A closed day is marked, and the page says where to go instead.
	b.open("/venues/beibei-museum?date=2026-03-02")
	b.see("本馆 2026年3月2日（周一） 闭馆", "下一个开放日：3月3日 周二")
	b.screenshot("venue-closed-day", false)

	// The mountain on Tuesday at 09:00.
	b.open("/")
	b.follow(`a.card-link[href="/venues/jinyun-mountain"]`)
	b.follow(`a.day[data-date="2026-03-03"]`)
	slot := slotAt(t, ta, "jinyun-mountain", "2026-03-03", "09:00")
	b.see("选择时段 · 2026年3月3日（周二）", "09:00–10:00", "剩余 600 / 600")
	b.screenshot("venue", true)
	b.follow(fmt.Sprintf(`li[data-slot="%d"] a.slot-book`, slot))
	b.see("填写预约信息", "缙云山", "09:00–10:00", "该时段剩余 600 个名额")

	// Three people: the script adds the rows in place, keeping the page.
	b.do(chromedp.Click(chromedp.CSS(`a.size-opt[data-n="3"]`)))
	if n := b.count("#visitors [data-row]"); n != 3 {
		t.Fatalf("%d visitor rows after choosing 3", n)
	}
	if p := b.path(); p != fmt.Sprintf("/book/%d?n=3", slot) {
		t.Fatalf("choosing the party size left the page: %s", p)
	}
	for i, name := range []string{"张三", "李四", "Anna Müller"} {
		b.fill(fmt.Sprintf("#v%d-name", i), name)
	}
	b.fill("#v2-type", "passport")

	// The check digit is checked as one types.
	wrong := ids[0][:17] + map[bool]string{true: "1", false: "2"}[ids[0][17] != '1']
	b.typeIn("#v0-id", wrong)
	if got := b.text("#v0-id-err"); got != "身份证号码校验位不正确，请核对" {
		t.Fatalf("feedback on a wrong check digit: %q", got)
	}
	b.typeIn("#v0-id", strings.ToLower(ids[0]))
	if got := b.text("#v0-id-err"); got != "校验位正确" {
		t.Fatalf("feedback on a right number: %q", got)
	}
	b.typeIn("#v1-id", ids[1])
	b.typeIn("#v2-id", ids[2])
	b.typeIn("#phone", "13800138000")
	b.screenshot("book", true)

	// A double click books once.
	b.doubleClick("#submit")
	b.do(chromedp.WaitVisible(chromedp.ID("booking-code")))
	if n := bookings(t, ta); n != 1 {
		t.Fatalf("%d bookings after a double click, want 1", n)
	}

	// The confirmation: QR code, code, where, when, who (masked), what to bring.
	code := b.text("#booking-code")
	if p := b.path(); p != "/bookings/"+code {
		t.Fatalf("confirmation at %s, code %s", p, code)
	}
	b.see("预约已确认", "缙云山", "2026年3月3日（周二）", "09:00–10:00", "08:30 起可入场", "参观者（3 人）",
		"张三", "李四", "Anna Müller", domain.MaskID(ids[0]), domain.MaskID(ids[1]), domain.MaskID(ids[2]),
		"居民身份证、护照", "138****8000", "入场须知")
	b.noFullID(ids...)
	if got := b.pageQR(); got != code {
		t.Fatalf("the QR code says %q, the page %q", got, code)
	}
	if got := remaining(t, ta, "jinyun-mountain", slot, "2026-03-03"); got != 597 {
		t.Fatalf("%d places left after booking three", got)
	}
	b.screenshot("booking", true)

	b.follow("#print-link")
	b.see("缙云山", "09:00–10:00", domain.MaskID(ids[0]), "入场须知")
	b.noFullID(ids...)
	if got := b.pageQR(); got != code {
		t.Fatalf("the printed QR code says %q", got)
	}
	b.screenshot("print", true)

	b.open("/venues/jinyun-mountain?date=2026-03-03")
	b.see("剩余 597 / 600")

	// Look the booking up by its code, and cancel it after confirming.
	b.open("/lookup")
	b.screenshot("lookup", false)
	b.fill("#code", " "+code+" ")
	b.follow("#lookup-submit")
	b.see("预约已确认", "张三")
	b.noFullID(ids...)
	b.follow("#cancel-link")
	b.see("确认取消预约？", "3 个名额将释放给其他人")
	b.screenshot("cancel", false)
	b.follow("#confirm-cancel")
	b.see("预约已取消", "名额已释放")
	b.noFullID(ids...)
	b.screenshot("cancelled", false)
	b.open("/venues/jinyun-mountain?date=2026-03-03")
	b.see("剩余 600 / 600")

	// The places change live while the page is open: another visitor books
	// two, and the page shows it when it next asks (every 15 s, or when
	// it is looked at again, as here).
	res := ta.Do(t, nil, "POST", "/api/v1/bookings", map[string]any{"slot_id": slot, "phone": "13900139000",
		"visitors": []map[string]string{{"name": "甲", "id_type": "passport", "id_number": "E11112222"}, {"name": "乙", "id_type": "passport", "id_number": "E33334444"}}})
	if res.Status != 201 {
		t.Fatalf("another visitor's booking: %d %s", res.Status, res.Body)
	}
	b.eval(`(document.dispatchEvent(new Event("visibilitychange")), "asked")`)
	live := fmt.Sprintf(`document.querySelector('li[data-slot="%d"] .slot-count').textContent === "剩余 598 / 600"`, slot)
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](live, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("the page did not update its places: %v; it shows %q", err, b.text(fmt.Sprintf(`li[data-slot="%d"] .slot-count`, slot)))
	}

	// English by the switch, and it sticks.
	b.follow("#lang-switch")
	b.see("Choose a day", "Jinyun Mountain", "600 of 600 left")
	b.open("/")
	b.see("Choose a venue", "Beibei Museum", "Closed on Mondays", "Today · Mon 2 Mar", "6,000 places left in 10 time slots")
	if lang := b.eval("document.documentElement.lang"); lang != "en" {
		t.Fatalf("page language %q after the switch", lang)
	}
	b.screenshot("home-en", false)
	b.follow("#lang-switch")
	b.see("选择场馆")
	noIDInLogs(t, logs, ids...)
}

// TestRefusals: the form's errors stand next to their fields with the
// cursor on the first; sold-out, started and duplicate bookings get pages
// that say what to do next.
func TestRefusals(t *testing.T) {
	ta, logs := startApp(t)
	b := newBrowser(t, ta)
	open := slotAt(t, ta, "beibei-library", "2026-03-04", "09:00")
	small := slotAt(t, ta, "beibei-library", "2026-03-04", "11:00")
	ids := []string{resident("50010919900307123"), "E12345678", "E87654321"}

	b.open(fmt.Sprintf("/book/%d", open))
	b.fill("#v0-name", "王五")
	wrong := ids[0][:17] + map[bool]string{true: "1", false: "2"}[ids[0][17] != '1']
	b.typeIn("#v0-id", wrong)
	b.typeIn("#phone", "1380013")
	// The page's own check stops the wrong number before the round trip.
	b.do(chromedp.Click(chromedp.CSS("#submit"), chromedp.NodeVisible))
	if p, id := b.path(), b.eval("document.activeElement.id"); !strings.HasPrefix(p, fmt.Sprintf("/book/%d", open)) || id != "v0-id" {
		t.Fatalf("a wrong check digit was sent: at %s, cursor on %q", p, id)
	}
	if got := b.text("#v0-id-err"); got != "身份证号码校验位不正确，请核对" {
		t.Fatalf("the page's check says %q", got)
	}
	// Sent anyway (a browser without the script), the server says the same.
	if st := b.submitUnchecked("book-form"); st != 422 {
		t.Fatalf("a wrong form: %d", st)
	}
	b.see("填写的信息有误", "请修改以下 2 处信息后重新提交", "身份证号码校验位不正确，请核对", "请输入 11 位手机号码", domain.MaskID(wrong))
	if id := b.eval("document.activeElement.id"); id != "v0-id" {
		t.Fatalf("the cursor is on %q, want the first wrong field", id)
	}
	if v := b.eval(`document.getElementById("v0-name").value`); v != "王五" {
		t.Fatalf("the name typed is gone: %q", v)
	}
	b.noFullID(wrong)
	b.screenshot("book-errors", true)

	// Sold out: two places left, three asked for.
	setQuota(t, ta, small, 2)
	b.open(fmt.Sprintf("/book/%d?n=3", small))
	for i, id := range ids {
		b.fill(fmt.Sprintf("#v%d-name", i), fmt.Sprintf("游客%d", i+1))
		if i > 0 {
			b.fill(fmt.Sprintf("#v%d-type", i), "passport")
		}
		b.typeIn(fmt.Sprintf("#v%d-id", i), id)
	}
	b.typeIn("#phone", "13900139000")
	if st := b.follow("#submit"); st != 409 {
		t.Fatalf("three for two places: %d", st)
	}
	b.see("该时段已约满", "仅剩 2 个名额，请减少人数或选择其他时段。", "减少为 2 人重新预约", "选择其他时段", "您填写的姓名已保留", "以下时段仍有名额", "加入候补名单")
	for i := range ids {
		if v := b.eval(fmt.Sprintf(`document.getElementById("v%d-name").value`, i)); v != fmt.Sprintf("游客%d", i+1) {
			t.Fatalf("name %d after sold out: %q", i, v)
		}
	}
	if n := b.count("#alternatives a"); n == 0 {
		t.Fatal("no other times offered")
	}
	b.screenshot("sold-out", true)
	b.follow("#alt-fewer")
	if n := b.count("#visitors [data-row]"); n != 2 {
		t.Fatalf("%d rows on the form for two", n)
	}
	for i, id := range ids[:2] {
		b.fill(fmt.Sprintf("#v%d-name", i), fmt.Sprintf("游客%d", i+1))
		if i > 0 {
			b.fill(fmt.Sprintf("#v%d-type", i), "passport")
		}
		b.typeIn(fmt.Sprintf("#v%d-id", i), id)
	}
	b.typeIn("#phone", "13900139000")
	b.follow("#submit")
	b.see("预约已确认", "参观者（2 人）")

	// Now the slot is full: the day's page says so and offers no booking.
	b.open("/venues/beibei-library?date=2026-03-04")
	b.see("剩余 0 / 2", "已约满")
	if n := b.count(fmt.Sprintf(`li[data-slot="%d"] a.slot-standby[href="/book/%d/standby?n=1"]`, small, small)); n != 1 {
		t.Fatal("a full slot does not lead to its standby list")
	}
	b.screenshot("venue-full-slot", false)
	if n := b.count(fmt.Sprintf(`li[data-slot="%d"] a.slot-book:not([hidden])`, small)); n != 0 {
		t.Fatalf("a full slot offers booking")
	}
	if st := b.open(fmt.Sprintf("/book/%d", small)); st != 409 {
		t.Fatalf("the form of a full slot: %d", st)
	}
	b.see("该时段已约满", "选择其他时段")

	// The same person again that day: the form, the error at that person.
	b.open(fmt.Sprintf("/book/%d?n=2", open))
	b.fill("#v0-name", "游客3")
	b.fill("#v0-type", "passport")
	b.typeIn("#v0-id", ids[2])
	b.fill("#v1-name", "游客2")
	b.fill("#v1-type", "passport")
	b.typeIn("#v1-id", ids[1])
	b.typeIn("#phone", "13700137000")
	if st := b.follow("#submit"); st != 409 {
		t.Fatalf("a second booking that day: %d", st)
	}
	b.see("当天已有预约", "该证件当天已有预约", "查询或取消已有预约")
	if id := b.eval("document.activeElement.id"); id != "v1-id" {
		t.Fatalf("the cursor is on %q, want the second person's number", id)
	}
	b.noFullID(ids...)
	b.screenshot("already-booked", false)

	// A slot whose booking has closed (the hour is over) cannot be booked.
	started := slotAt(t, ta, "jinyun-mountain", "2026-03-02", "07:00")
	if st := b.open(fmt.Sprintf("/book/%d", started)); st != 409 {
		t.Fatalf("a started slot: %d", st)
	}
	b.see("该时段不可预约", "该时段已停止预约", "选择其他时段")
	b.open("/venues/jinyun-mountain?date=2026-03-02")
	b.see("已截止")
	if n := bookings(t, ta); n != 1 {
		t.Fatalf("%d bookings, want the one that fitted", n)
	}
	noIDInLogs(t, logs, append(ids, wrong)...)
}

// TestWithoutJavaScript books, looks up, cancels and switches language with
// scripts turned off: plain links and form posts do it all, and a double
// click still books once.
func TestWithoutJavaScript(t *testing.T) {
	ta, _ := startApp(t)
	b := newBrowser(t, ta)
	b.withoutJavaScript()
	ids := []string{resident("50010919920517456"), "E24680135"}

	b.open("/venues/beibei-library")
	b.follow(`a.day[data-date="2026-03-05"]`)
	slot := slotAt(t, ta, "beibei-library", "2026-03-05", "13:00")
	b.follow(fmt.Sprintf(`li[data-slot="%d"] a.slot-book`, slot))
	// Without the script the party size is a link to the form for that many.
	if st := b.follow(`a.size-opt[data-n="2"]`); st != 200 {
		t.Fatalf("form for two: %d", st)
	}
	if p := b.path(); p != fmt.Sprintf("/book/%d?n=2", slot) {
		t.Fatalf("the size link led to %s", p)
	}
	if n := b.count("#visitors [data-row]"); n != 2 {
		t.Fatalf("%d rows", n)
	}
	if n := b.count("#add-visitor:not([hidden]), .remove:not([hidden])"); n != 0 {
		t.Fatal("script-only buttons show without the script")
	}
	b.fill("#v0-name", "赵六")
	b.fill("#v0-id", ids[0])
	b.fill("#v1-name", "John Smith")
	b.fill("#v1-type", "passport")
	b.fill("#v1-id", ids[1])
	b.fill("#phone", "13600136000")
	b.screenshot("book-nojs", false)
	b.doubleClick("#submit")
	b.do(chromedp.WaitVisible(chromedp.ID("booking-code")))
	if n := bookings(t, ta); n != 1 {
		t.Fatalf("%d bookings after a double click without the script, want 1", n)
	}
	code := b.text("#booking-code")
	b.see("预约已确认", "12:30 起可入场", "13:00–15:00", "赵六", "John Smith", domain.MaskID(ids[0]))
	b.noFullID(ids...)
	if got := b.pageQR(); got != code {
		t.Fatalf("QR %q, code %q", got, code)
	}

	b.open("/lookup")
	b.fill("#code", code)
	b.follow("#lookup-submit")
	b.follow("#cancel-link")
	b.follow("#keep-booking")
	b.see("预约已确认")
	b.follow("#cancel-link")
	b.follow("#confirm-cancel")
	b.see("预约已取消")
	if got := remaining(t, ta, "beibei-library", slot, "2026-03-05"); got != 120 {
		t.Fatalf("%d places after cancelling", got)
	}
	b.follow("#lang-switch")
	b.see("Booking cancelled", "Book again")
}
