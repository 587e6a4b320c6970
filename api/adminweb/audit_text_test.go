package adminweb

import (
	"slices"
	"testing"

	"slotgate/api"
)

// TestAuditReadable: operators read changed fields by name in their
// language, venue ids as venue names, minutes of the day as times, and
// never internal ids.
func TestAuditReadable(t *testing.T) {
	names := map[int64]string{2: "北碚博物馆", 3: "北碚图书馆"}
	got := auditReadable([]string{"venues: [2] → [2,3]", "Open: 540 → 600", "ID: 7", "quota: 600 → 500", "disabled: true"}, names, api.ZH)
	want := []string{"场馆: 北碚博物馆 → 北碚博物馆、北碚图书馆", "开放时间: 09:00 → 10:00", "配额: 600 → 500", "停用: true"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	en := auditReadable([]string{"venues: null → [3]"}, names, api.EN)
	if !slices.Equal(en, []string{"venues: – → 北碚图书馆"}) {
		t.Fatalf("English: %q", en)
	}
}
