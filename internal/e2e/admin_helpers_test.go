package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"slotgate/internal/testkit"
)

// signIn opens path signed out, which leads to the staff sign-in page,
// signs in there, and returns on the page the sign-in led to.
func (b *tab) signIn(path, username, password string) {
	b.t.Helper()
	b.open(path)
	if p := b.path(); !strings.HasPrefix(p, "/staff/login") {
		b.t.Fatalf("%s signed out led to %s, not to the sign-in page", path, p)
	}
	b.fill("#username", username)
	b.fill("#password", password)
	if st := b.follow(`form button[type="submit"]`); st != http.StatusOK {
		b.t.Fatalf("signing in as %s ended on a %d: %s", username, st, b.text("body"))
	}
}

// waitFor polls the JavaScript condition js until it holds, or fails
// saying what it waited for.
func (b *tab) waitFor(what, js string, d time.Duration) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(d))); err != nil {
		b.t.Fatalf("waiting until %s: %v", what, err)
	}
}

// click presses a button that stays on the page (its script answers).
func (b *tab) click(css string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

// bookAt books people (each a name and a passport number) into a slot
// through the API at 08:00 on the test's Monday, whatever the clock says
// now, and returns the booking's code.
func bookAt(t *testing.T, ta *testkit.TestApp, slotID int64, people ...[2]string) string {
	t.Helper()
	saved := ta.Clock.Now()
	ta.Clock.Set(testkit.Monday0800)
	defer ta.Clock.Set(saved)
	var visitors []map[string]string
	for _, p := range people {
		visitors = append(visitors, map[string]string{"name": p[0], "id_type": "passport", "id_number": p[1]})
	}
	res := ta.Do(t, nil, "POST", "/api/v1/bookings", map[string]any{"slot_id": slotID, "phone": "13800138000", "visitors": visitors})
	if res.Status != http.StatusCreated {
		t.Fatalf("book slot %d: %d %s", slotID, res.Status, res.Body)
	}
	var out struct {
		Code string `json:"code"`
	}
	res.JSON(t, &out)
	return out.Code
}

// at is a moment of the test's Monday in Beibei, "08:40".
func at(t *testing.T, hhmm string) time.Time {
	t.Helper()
	d, err := time.Parse("15:04", hhmm)
	if err != nil {
		t.Fatal(err)
	}
	m := testkit.Monday0800
	return time.Date(m.Year(), m.Month(), m.Day(), d.Hour(), d.Minute(), 0, 0, m.Location())
}
