package web_test

import (
	"testing"

	"slotgate/internal/testkit"
)

// TestDayPickerShowsSpecialDays: the visitor's day picker marks a Monday
// the museum opens for a holiday, and a day closed ahead says why.
func TestDayPickerShowsSpecialDays(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	admin := ta.Login(t, "admin", testkit.AdminPassword)
	for _, req := range []struct {
		path string
		body map[string]any
	}{
		{"/api/v1/admin/venues/beibei-museum/days/2026-03-09", map[string]any{"open": true, "reason": "清明节"}},
		{"/api/v1/admin/venues/beibei-museum/days/2026-03-05", map[string]any{"open": false, "reason": "布展"}},
	} {
		if res := ta.Do(t, nil, "PUT", req.path, req.body, "Authorization", admin); res.Status != 200 {
			t.Fatalf("%s: %d %s", req.path, res.Status, res.Body)
		}
	}
	wantPage(t, ta.Do(t, nil, "GET", "/venues/beibei-museum?date=2026-03-09", nil), 200, "特别开放")
	wantPage(t, ta.Do(t, nil, "GET", "/venues/beibei-museum?date=2026-03-05", nil), 200, "当天闭馆：布展")
}
