package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// codeCatcher stands in for the SMS gateway: it keeps the sign-in codes
// the webhook sends.
type codeCatcher struct {
	mu    sync.Mutex
	codes map[string]string
}

func catchCodes(t *testing.T) (*codeCatcher, string) {
	c := &codeCatcher{codes: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Kind, Phone, OTP string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		if m.Kind == "sign_in_code" {
			c.mu.Lock()
			c.codes[m.Phone] = m.OTP
			c.mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	return c, srv.URL
}

func (c *codeCatcher) code(t *testing.T, phone string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.codes[phone] == "" {
		t.Fatalf("no code was texted to %s", phone)
	}
	return c.codes[phone]
}

// TestVisitorsAsTheyAre: a family at the gate books the hour under way on
// a phone, typing the phone as they say it; cancels one of the party; then
// finds the booking again by phone and a texted code, in Chinese and in
// English.
func TestVisitorsAsTheyAre(t *testing.T) {
	catcher, hook := catchCodes(t)
	logs := &testkit.LogBuffer{}
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{Logs: logs, Configure: func(c *app.Config) {
		c.AccessLog, c.NotifyWebhook = true, hook
	}})
	b := newBrowser(t, ta)
	ta.Clock.Set(time.Date(2026, 3, 2, 10, 20, 0, 0, testkit.Monday0800.Location()))

	// 10:20 at the mountain gate: the 10:00 hour is still on sale.
	slot := slotAt(t, ta, "jinyun-mountain", "2026-03-02", "10:00")
	b.open("/venues/jinyun-mountain?date=2026-03-02")
	b.see("地址", "参观须知", "10:00–11:00")
	if n := b.count(fmt.Sprintf(`li[data-slot="%d"] a.slot-book:not([hidden])`, slot)); n != 1 {
		t.Fatal("the slot under way is not bookable on the page")
	}
	b.screenshot("venue-under-way", false)
	b.follow(fmt.Sprintf(`li[data-slot="%d"] a.slot-book`, slot))
	b.do(chromedp.Click(chromedp.CSS(`a.size-opt[data-n="2"]`)))
	b.see("取消规则", "爽约")
	if typ := b.eval(`document.getElementById("phone").type + " " + document.getElementById("phone").autocomplete + " " + document.getElementById("phone").maxLength`); typ != "tel tel 32" {
		t.Fatalf("phone field: %s", typ)
	}
	ids := []string{resident("50010919900307123"), "E24681357"}
	b.fill("#v0-name", "刘一")
	b.typeIn("#v0-id", ids[0])
	b.fill("#v1-name", "刘二")
	b.fill("#v1-type", "passport")
	b.typeIn("#v1-id", ids[1])
	b.typeIn("#phone", "+86 139-0000 2222")
	if st := b.follow("#submit"); st != 200 {
		t.Fatalf("book the hour under way: %d", st)
	}
	b.see("预约已确认", "10:00–11:00", "预约号", "参观者（2 人）", "139****2222", "爽约")
	number := b.text("#booking-number")
	if len(number) != 10 {
		t.Fatalf("booking number %q", number)
	}
	b.noFullID(ids...)
	b.screenshot("booking-number", true)

	// One of the party cannot come: cancel that person only. (Cancelling
	// is open until the slot starts: the next hour's booking shows it.)
	next := slotAt(t, ta, "jinyun-mountain", "2026-03-02", "11:00")
	b.open(fmt.Sprintf("/book/%d?n=2", next))
	b.fill("#v0-name", "陈一")
	b.fill("#v0-type", "passport")
	b.typeIn("#v0-id", "E13572468")
	b.fill("#v1-name", "陈二")
	b.fill("#v1-type", "passport")
	b.typeIn("#v1-id", "E97531864")
	b.typeIn("#phone", "13900002222")
	b.follow("#submit")
	b.see("预约已确认", "参观者（2 人）", "取消此人")
	b.screenshot("booking-persons", false)
	before := remaining(t, ta, "jinyun-mountain", next, "2026-03-02")
	b.follow(`#party li:nth-child(2) .person-cancel button`)
	b.see("参观者（1 人）", "陈二", "已取消")
	if got := remaining(t, ta, "jinyun-mountain", next, "2026-03-02"); got != before+1 {
		t.Fatalf("places after one person's cancellation: %d, want %d", got, before+1)
	}
	if n := b.count(".person-cancel"); n != 0 {
		t.Fatal("the last person is offered a person's cancel, not the booking's")
	}
	b.screenshot("person-cancelled", false)

	// The tab is closed; the visitor finds the bookings again by phone.
	b.open("/my")
	b.see("我的预约", "获取验证码")
	b.typeIn("#mine-phone", "139 0000 2222")
	b.follow("#mine-send")
	b.see("已发送 6 位验证码至 139****2222")
	b.typeIn("#otp", catcher.code(t, "13900002222"))
	b.follow("#mine-verify")
	b.see("手机号 139****2222 的预约（最新在前）", "缙云山", number)
	if n := b.count("#mine-list li"); n != 2 {
		t.Fatalf("%d bookings listed, want 2", n)
	}
	b.screenshot("my-bookings", true)
	b.follow("#mine-list li:nth-child(2) a")
	if got := b.text("#booking-number"); got != number {
		t.Fatalf("the list led to %s, want %s", got, number)
	}

	// In English: the list, and a person in the singular.
	b.open("/my?lang=en")
	b.follow("#lang-switch")
	if b.eval("document.documentElement.lang") != "en" {
		b.follow("#lang-switch")
	}
	b.see("My bookings", "newest first", "1 person", "2 people")
	b.screenshot("my-bookings-en", false)
	b.follow("#mine-signout")
	b.see("Text me a code")
	noIDInLogs(t, logs, ids...)
	if got := logs.String(); len(catcher.codes) == 0 || containsAny(got, catcher.code(t, "13900002222")) {
		t.Fatal("a sign-in code is in the logs")
	}
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if x != "" && len(s) >= len(x) && strings.Contains(s, x) {
			return true
		}
	}
	return false
}
