package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"slotgate/domain"
	"slotgate/internal/testkit"
)

// bookParty books a party whose visitors are given as name, ID type and
// number, and returns the booking's number.
func bookParty(t *testing.T, ta *testkit.TestApp, slotID int64, phone string, people ...[3]string) string {
	t.Helper()
	saved := ta.Clock.Now()
	ta.Clock.Set(testkit.Monday0800)
	defer ta.Clock.Set(saved)
	var visitors []map[string]string
	for _, p := range people {
		visitors = append(visitors, map[string]string{"name": p[0], "id_type": p[1], "id_number": p[2]})
	}
	res := ta.Do(t, nil, "POST", "/api/v1/bookings", map[string]any{"slot_id": slotID, "phone": phone, "visitors": visitors})
	if res.Status != http.StatusCreated {
		t.Fatalf("book slot %d: %d %s", slotID, res.Status, res.Body)
	}
	var out struct {
		Number string `json:"number"`
	}
	res.JSON(t, &out)
	return out.Number
}

func residentID(first17 string) string { return first17 + string(domain.ResidentCheckChar(first17)) }

// TestScannerByIDCardAndPartOfAParty: a card reader types an ID number
// and Enter; its one person is admitted and the page says who of the party
// is still outside; staff tick one of them and admit them; the last one
// stays outside. An exit press says what it did, and an exit with nobody
// inside is refused with a message.
func TestScannerByIDCardAndPartOfAParty(t *testing.T) {
	ta, _ := startApp(t)
	ta.AddStaff(t, "north", domain.RoleStaff, "jinyun-mountain")
	slot := slotAt(t, ta, "jinyun-mountain", "2026-03-02", "09:00")
	card := residentID("50010919900307123")
	bookParty(t, ta, slot, "13800138000", [3]string{"张三", "resident_id", card},
		[3]string{"李四", "passport", "E55501234"}, [3]string{"王五", "passport", "E55505678"})
	ta.Clock.Set(at(t, "08:40"))

	b := newBrowser(t, ta)
	b.signIn("/staff/scan", "north", testkit.StaffPassword)
	if n := b.count("h1"); n != 1 {
		t.Fatalf("the scanner page has %d h1", n)
	}
	b.fill("#gate", "北门")
	b.do(chromedp.SendKeys(chromedp.ID("code"), card+kb.Enter))
	b.waitFor("the card is answered in green", `document.getElementById("result").classList.contains("green")`, 10*time.Second)
	if got := b.text("#result-title"); got != "准予入场 · 1 人" {
		t.Fatalf("green title %q", got)
	}
	if got := b.text("#result-outside"); got != "还有 2 人未入场：李四、王五" {
		t.Fatalf("who is still outside: %q", got)
	}
	if got := b.text("#result-party li.now .who"); !strings.Contains(got, "张三") {
		t.Fatalf("the person admitted now: %q", got)
	}
	b.noFullID(card, "E55501234", "E55505678")

	// Li Si has come too; Wang Wu has not: tick Li Si, admit the one chosen.
	if n := b.count("#result-party input:checked"); n != 0 {
		t.Fatalf("%d persons ticked before staff chose", n)
	}
	b.click(`#result-party input[value="2"]`)
	if got := b.text("#admit-chosen"); got != "为选中的 1 人入场" {
		t.Fatalf("the button says %q", got)
	}
	b.screenshot("scanner-choose", false)
	b.eval(`document.getElementById("result").className = "result"`)
	b.click("#admit-chosen")
	b.waitFor("the choice is answered", `/green|red|amber/.test(document.getElementById("result").className)`, 10*time.Second)
	if got := b.text("#result-party li.now .who"); !strings.Contains(got, "李四") {
		t.Fatalf("Li Si is not the one admitted now: %q; %s %s", got, b.text("#result-title"), b.text("#result-detail"))
	}
	if got := b.text("#result-outside"); got != "还有 1 人未入场：王五" {
		t.Fatalf("who is still outside after the second: %q", got)
	}
	if got := b.text("#inside"); got != "2" {
		t.Fatalf("%s inside, want 2", got)
	}
	b.screenshot("scanner-part-of-party", false)

	// The same card again: already in.
	b.do(chromedp.SendKeys(chromedp.ID("code"), card+kb.Enter))
	b.waitFor("the card again is refused", `document.getElementById("result").classList.contains("red")`, 10*time.Second)
	if got := b.text("#result-title"); got != "已入场" {
		t.Fatalf("the card again: %q", got)
	}

	// Exits: two counted out with a message each, the third refused.
	for _, want := range []string{"已登记离场 1 人，馆内 1 人", "已登记离场 1 人，馆内 0 人"} {
		b.click("#exit")
		b.waitFor("the exit is answered", `document.getElementById("exit-note").textContent === "`+want+`"`, 10*time.Second)
	}
	b.click("#exit")
	b.waitFor("the exit past zero is refused", `document.getElementById("exit-note").classList.contains("bad")`, 10*time.Second)
	if got := b.text("#exit-note"); !strings.Contains(got, "馆内现有 0 人") {
		t.Fatalf("the refused exit says %q", got)
	}
	b.screenshot("scanner-exit-refused", false)
}

// TestScannerByNumberChoosingFirst: with "choose who enters first", a typed
// booking number shows the party, everyone ticked, and nobody enters until
// staff press the button for those they keep ticked.
func TestScannerByNumberChoosingFirst(t *testing.T) {
	ta, _ := startApp(t)
	ta.AddStaff(t, "north", domain.RoleStaff, "jinyun-mountain")
	slot := slotAt(t, ta, "jinyun-mountain", "2026-03-02", "09:00")
	number := bookParty(t, ta, slot, "13800138000", [3]string{"赵六", "passport", "E66601234"}, [3]string{"钱七", "passport", "E66605678"})
	ta.Clock.Set(at(t, "08:40"))

	b := newBrowser(t, ta)
	b.signIn("/staff/scan", "north", testkit.StaffPassword)
	b.fill("#gate", "北门")
	b.click("#choose")
	b.do(chromedp.SendKeys(chromedp.ID("code"), number+kb.Enter))
	b.waitFor("the party is shown", `document.querySelectorAll("#result-party input:checked").length === 2`, 10*time.Second)
	if got := b.text("#inside"); got != "0" {
		t.Fatalf("%s inside before anyone was admitted", got)
	}
	b.click(`#result-party input[value="2"]`)
	b.click("#admit-chosen")
	b.waitFor("one is admitted", `document.getElementById("result").classList.contains("green")`, 10*time.Second)
	if got := b.text("#result-outside"); got != "还有 1 人未入场：钱七" {
		t.Fatalf("who is still outside: %q", got)
	}
}
