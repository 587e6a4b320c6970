package web_test

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"slotgate/internal/testkit"
)

// TestLanguageSwitchFromTheRoute: the language switch is built from the
// route that answered, never from the raw path: a path such as
// //evil.example/phish does not become a link to another site.
func TestLanguageSwitchFromTheRoute(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	for _, path := range []string{"//evil.example/phish", "//evil.example/venues/x", "/venues//evil.example"} {
		res := ta.Do(t, nil, "GET", path, nil)
		if sw := switchOf(string(res.Body)); strings.Contains(sw, `href="//`) || strings.Contains(sw, `href="/\`) || strings.Contains(sw, "//evil") {
			t.Errorf("GET %s: the page repeats the path: %d %s", path, res.Status, switchOf(string(res.Body)))
		}
	}
	// The path exactly as a link would send it (Go's client would rewrite it).
	conn, err := net.Dial("tcp", strings.TrimPrefix(ta.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET //evil.example/phish?lang=zh HTTP/1.1\r\nHost: %s\r\nAccept: text/html\r\nConnection: close\r\n\r\n", strings.TrimPrefix(ta.URL, "http://"))
	raw, _ := io.ReadAll(conn)
	if sw := switchOf(string(raw)); !strings.Contains(sw, `href="/?lang=en"`) {
		t.Errorf("GET //evil.example/phish: %s\n%.300s", sw, raw)
	}
	res := ta.Do(t, nil, "GET", "/venues/jinyun-mountain?date=2026-03-03&lang=en", nil)
	if got := switchOf(string(res.Body)); !strings.Contains(got, `href="/venues/jinyun-mountain?date=2026-03-03&amp;lang=zh"`) {
		t.Errorf("the venue page's switch: %s", got)
	}
	admin := ta.Login(t, "admin", testkit.AdminPassword)
	res = ta.Do(t, nil, "GET", "//evil.example/admin/venues", nil, "Authorization", admin)
	if sw := switchOf(string(res.Body)); strings.Contains(sw, "//evil") {
		t.Errorf("admin pages repeat the path: %s", switchOf(string(res.Body)))
	}
}

func switchOf(body string) string {
	i := strings.Index(body, `id="lang-switch"`)
	if i < 0 {
		return "(no switch)"
	}
	return body[i:min(len(body), i+160)]
}
