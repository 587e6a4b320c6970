package staffweb_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"slotgate/internal/testkit"
)

// TestStaffAssetsServedLikeOthers: the staff pages' script and style are
// served versioned like the other pages' files (kept a year at their
// versioned address), and nothing else: no directory listing, no templates.
func TestStaffAssetsServedLikeOthers(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	for _, path := range []string{"/staff/assets/", "/staff/assets/login.html", "/staff/assets/scan.html", "/staff/assets/..%2fstaffweb.go"} {
		res := ta.Do(t, nil, "GET", path, nil)
		if res.Status != http.StatusNotFound || strings.Contains(string(res.Body), "{{") || strings.Contains(string(res.Body), "<pre>") {
			t.Errorf("GET %s: %d %.200s", path, res.Status, res.Body)
		}
	}
	page := string(ta.Do(t, nil, "GET", "/staff/login", nil).Body)
	css := regexp.MustCompile(`href="(/staff/assets/scan\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(page)
	if css == nil {
		t.Fatalf("the sign-in page does not link a versioned style sheet")
	}
	res := ta.Do(t, nil, "GET", css[1], nil)
	if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("GET %s: %d %q", css[1], res.Status, res.Header.Get("Cache-Control"))
	}
}
