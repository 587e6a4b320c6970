package adminweb_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestAdminChangesOwnPassword: the users page offers the signed-in admin a
// form to change their own password, which the page's script sends to the
// API; the new password works from then on. The sign-in page the admin
// pages send to is titled for admins, not gate staff.
func TestAdminChangesOwnPassword(t *testing.T) {
	ta, admin := adminApp(t)
	page := string(admin.get("/admin/users").Body)
	own := regexp.MustCompile(`(?s)<tr class="user[^"]*" data-user="admin".*?</tr>`).FindString(page)
	if !strings.Contains(own, `class="manage-part user-password"`) || !strings.Contains(own, `autocomplete="new-password"`) {
		t.Fatalf("no form to change one's own password:\n%s", own)
	}
	if res := admin.api("POST", "/api/v1/admin/users/admin/password", map[string]string{"password": "a-new-admin-password"}); res.Status != http.StatusNoContent {
		t.Fatalf("change own password: %d %s", res.Status, res.Body)
	}
	again := newAdminClient(t, ta)
	if res := again.signIn("/staff/login?next=/admin/users", "admin", "a-new-admin-password"); res.Status != http.StatusSeeOther {
		t.Fatalf("sign in with the new password: %d %s", res.Status, res.Body)
	}
	login := ta.Do(t, nil, "GET", "/staff/login?next=%2Fadmin%2Fusers&lang=en", nil)
	if !strings.Contains(string(login.Body), "<title>Admin sign-in") || strings.Contains(string(login.Body), "Gate · staff") {
		t.Fatalf("the admin sign-in page: %s", login.Body)
	}
	if staff := ta.Do(t, nil, "GET", "/staff/login?lang=en", nil); !strings.Contains(string(staff.Body), "<title>Staff sign-in") {
		t.Fatalf("the staff sign-in page lost its title: %s", staff.Body)
	}
}
