package staffweb_test

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// TestCookiesSecureBehindTLSProxy: behind a TLS proxy that the settings
// trust (X-Forwarded-Proto: https from a trusted address), the staff and
// admin cookies are Secure and pages send HSTS; the same header from an
// address not trusted changes nothing.
func TestCookiesSecureBehindTLSProxy(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{Configure: func(c *app.Config) {
			cidr := "127.0.0.1/32"
			if !trusted {
				cidr = "192.0.2.0/24"
			}
			_, n, _ := net.ParseCIDR(cidr)
			c.TrustedProxies = append(c.TrustedProxies, n)
		}})
		form := url.Values{"username": {"admin"}, "password": {testkit.AdminPassword}, "csrf": {"tok"}}
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res := ta.Do(t, noRedirect, "POST", "/staff/login", form.Encode(), "Content-Type", "application/x-www-form-urlencoded",
			"Cookie", "slotgate_csrf=tok", "X-Forwarded-Proto", "https", "X-Forwarded-For", "198.51.100.7")
		if res.Status != 303 {
			t.Fatalf("sign in: %d %s", res.Status, res.Body[strings.Index(string(res.Body), "<form"):])
		}
		var session string
		for _, c := range res.Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "slotgate_session=") {
				session = c
			}
		}
		if secure := strings.Contains(session, "; Secure"); secure != trusted {
			t.Errorf("trusted proxy %v: session cookie %q", trusted, session)
		}
		page := ta.Do(t, nil, "GET", "/staff/login", nil, "X-Forwarded-Proto", "https")
		if hsts := page.Header.Get("Strict-Transport-Security"); (hsts != "") != trusted || (trusted && !strings.Contains(hsts, "max-age=")) {
			t.Errorf("trusted proxy %v: HSTS %q", trusted, hsts)
		}
		for _, c := range page.Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "slotgate_csrf=") && strings.Contains(c, "; Secure") != trusted {
				t.Errorf("trusted proxy %v: CSRF cookie %q", trusted, c)
			}
		}
	}
}
