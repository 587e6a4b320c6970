package api_test

import (
	"strings"
	"testing"

	"slotgate/internal/testkit"
)

// TestVenueSettingsBounded: settings that drive work (days of slots made
// ahead, slots a day) or read the machine (the time zone "Local") are
// refused with 422, the message naming the allowed range.
func TestVenueSettingsBounded(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	admin := ta.Login(t, "admin", testkit.AdminPassword)
	venue := func(field string, value any) map[string]any {
		v := map[string]any{
			"slug": "beibei-hall", "name": map[string]string{"zh": "北碚展览馆", "en": "Beibei Hall"}, "kind": "museum",
			"hours": map[string]string{"open": "09:00", "close": "12:00"}, "slot_minutes": 60, "default_quota": 10,
		}
		v[field] = value
		return v
	}
	cases := []struct {
		field string
		value any
		says  string
	}{
		{"booking_window_days", 100000, "1 to 366"},
		{"slot_minutes", 1, "5 to 720"},
		{"timezone", "Local", "IANA time zone"},
		{"default_quota", 1 << 40, "0 to 1000000"},
		{"max_party_size", 1000, "1 to 20"},
	}
	for _, c := range cases {
		res := ta.Do(t, nil, "POST", "/api/v1/admin/venues", venue(c.field, c.value), "Authorization", admin, "Accept-Language", "en")
		if res.Status != 422 || !strings.Contains(string(res.Body), `"field":"`+c.field+`"`) || !strings.Contains(string(res.Body), c.says) {
			t.Errorf("%s = %v: %d %s", c.field, c.value, res.Status, res.Body)
		}
	}
	if res := ta.Do(t, nil, "POST", "/api/v1/admin/venues", venue("booking_window_days", 14), "Authorization", admin); res.Status != 201 {
		t.Fatalf("a venue within bounds: %d %s", res.Status, res.Body)
	}
	res := ta.Do(t, nil, "PUT", "/api/v1/admin/venues/beibei-hall", map[string]any{"slot_minutes": 1, "reason": "finer"}, "Authorization", admin, "Accept-Language", "en")
	if res.Status != 422 || !strings.Contains(string(res.Body), "5 to 720") {
		t.Errorf("update to slot_minutes 1: %d %s", res.Status, res.Body)
	}
}
