package api_test

import (
	"net/http"
	"strings"
	"testing"

	"slotgate/internal/testkit"
)

// TestAuditPageOutOfRange: a page number whose offset would overflow is
// refused with 422 naming the allowed range, not read as page 1.
func TestAuditPageOutOfRange(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	admin := ta.Login(t, "admin", testkit.AdminPassword)
	for _, q := range []string{"page=4611686018427387904", "page=9223372036854775807&per_page=500", "page=0", "per_page=501"} {
		res := ta.Do(t, nil, "GET", "/api/v1/admin/audit?"+q, nil, "Authorization", admin, "Accept-Language", "en")
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), "must be from 1 to") {
			t.Errorf("%s: %d %s", q, res.Status, res.Body)
		}
	}
	if res := ta.Do(t, nil, "GET", "/api/v1/admin/audit?page=2", nil, "Authorization", admin); res.Status != http.StatusOK {
		t.Errorf("page 2: %d %s", res.Status, res.Body)
	}
}
