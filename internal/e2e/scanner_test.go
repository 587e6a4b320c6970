package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"slotgate/domain"
	"slotgate/internal/testkit"
)

// TestScannerPage is a gate on a phone, or a handheld scanner typing into
// it: staff sign in, name the gate, and a code typed with Enter admits the
// party in green with its names; the same code again is refused in red
// with when and where it was first used.
func TestScannerPage(t *testing.T) {
	ta, _ := startApp(t)
	ta.AddStaff(t, "north", domain.RoleStaff, "jinyun-mountain")
	slot := slotAt(t, ta, "jinyun-mountain", "2026-03-02", "09:00")
	code := bookAt(t, ta, slot, [2]string{"张三", "E55501234"}, [2]string{"李四", "E55505678"})
	ta.Clock.Set(at(t, "08:40")) // the 09:00 slot admits from 08:30

	b := newBrowser(t, ta)
	b.signIn("/staff/scan", "north", testkit.StaffPassword)
	if p := b.path(); p != "/staff/scan" {
		t.Fatalf("signed in on %s, want the scanner: %s", p, b.text("body"))
	}
	b.fill("#gate", "北门")
	// The scanner types into the field that has the focus, then Enter.
	if id := b.eval("document.activeElement.id"); id != "code" {
		t.Fatalf("the focus is on %q, want the code field", id)
	}
	b.do(chromedp.SendKeys(chromedp.ID("code"), code+kb.Enter))
	b.waitFor("the scan is answered in green", `document.getElementById("result").classList.contains("green")`, 10*time.Second)
	if got := b.text("#result-title"); got != "准予入场 · 2 人" {
		t.Fatalf("green title %q", got)
	}
	b.see("入口 北门", "张三", "李四", domain.MaskID("E55501234"))
	b.noFullID("E55501234", "E55505678")
	b.screenshot("scanner-admitted", false)

	// The field is empty and focused again, ready for the next code.
	if v := b.eval(`document.getElementById("code").value + "|" + document.activeElement.id`); v != "|code" {
		t.Fatalf("after a scan the field holds and focus is %q", v)
	}
	b.do(chromedp.SendKeys(chromedp.ID("code"), code+kb.Enter))
	b.waitFor("the second scan is answered in red", `document.getElementById("result").classList.contains("red")`, 10*time.Second)
	if got := b.text("#result-title"); got != "已入场" {
		t.Fatalf("red title %q", got)
	}
	if got := b.text("#result-detail"); !strings.Contains(got, "08:40") || !strings.Contains(got, "北门") {
		t.Fatalf("the refusal does not say when and where: %q", got)
	}
	b.see("张三", "李四")
	b.screenshot("scanner-refused", false)
}
