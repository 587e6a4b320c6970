package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"slotgate/internal/testkit"
)

// The standard checkers over every page family, as CI runs them: the Nu
// HTML checker (vnu-jar from npm, on the machine's Java) over each page's
// HTML as served, and axe-core injected into each page in Debian's
// Chromium. Both come from internal/checks (npm ci there). The test runs
// only with SLOTGATE_CHECKS=1 (as .ci/run sets it, in a step of its own),
// and then fails when a tool is missing.

// checkTools finds vnu.jar and axe.min.js.
func checkTools(t *testing.T) (vnu, axe string) {
	t.Helper()
	if os.Getenv("SLOTGATE_CHECKS") != "1" {
		t.Skip("the page checkers run with SLOTGATE_CHECKS=1 (npm ci in internal/checks first)")
	}
	modules := filepath.Join("..", "checks", "node_modules")
	vnu = filepath.Join(modules, "vnu-jar", "build", "dist", "vnu.jar")
	axe = filepath.Join(modules, "axe-core", "axe.min.js")
	for _, f := range []string{vnu, axe} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s is missing: run npm ci in internal/checks", f)
		}
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Fatal("java is needed for the Nu HTML checker")
	}
	return vnu, axe
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// TestPageCheckers: every page family (visitor pages in both languages,
// the booking's pages, the standby page, an error page, the staff sign-in
// and scanner pages, each admin page, the API's docs and a problem page)
// has no Nu HTML checker error and no serious or critical axe-core
// violation.
func TestPageCheckers(t *testing.T) {
	vnuJar, axeJS := checkTools(t)
	axeSource, err := os.ReadFile(axeJS)
	if err != nil {
		t.Fatal(err)
	}
	ta, _ := startApp(t)
	slot := slotAt(t, ta, "jinyun-mountain", "2026-03-03", "10:00")
	code := bookAt(t, ta, slot, [2]string{"王芳", "E12345678"})
	full := slotAt(t, ta, "jinyun-mountain", "2026-03-03", "11:00")
	bookAt(t, ta, full, [2]string{"李雷", "E22345678"})
	setQuota(t, ta, full, 1)
	res := ta.Do(t, nil, "POST", "/api/v1/standby", map[string]any{"slot_id": full, "phone": "13800138001",
		"visitors": []map[string]string{{"name": "韩梅", "id_type": "passport", "id_number": "E32345678"}}})
	if res.Status != http.StatusCreated {
		t.Fatalf("join standby: %d %s", res.Status, res.Body)
	}
	var standby struct{ Token string }
	res.JSON(t, &standby)

	visitor := []string{
		"/", "/?lang=en", "/venues/jinyun-mountain", "/venues/jinyun-mountain?lang=en",
		fmt.Sprintf("/book/%d", slot), fmt.Sprintf("/book/%d/standby", full), "/lookup",
		"/bookings/" + code, "/bookings/" + code + "?lang=en", "/bookings/" + code + "/print", "/bookings/" + code + "/cancel",
		"/standby/" + standby.Token, "/venues/no-such-venue", "/my", "/my?lang=en",
		"/api/docs", "/api/docs?lang=en", "/problems/sold_out", "/problems/rate_limited?lang=en",
		"/staff/login", "/staff/login?lang=en",
	}
	admin := []string{
		"/admin", "/admin?lang=en", "/admin/new-venue", "/admin/venues/jinyun-mountain",
		"/admin/venues/jinyun-mountain/days/2026-03-03", "/admin/venues/jinyun-mountain/days/2026-03-03?lang=en",
		"/admin/users", "/admin/audit", "/admin/live", "/staff/scan",
	}

	b := newBrowserFor(t, ta, 5*time.Minute)
	// The checkers' own script and fetch are not the pages'; their CSP
	// would refuse them.
	if _, err := chromedp.Call(b.ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
		t.Fatalf("bypass CSP: %v", err)
	}
	dir := t.TempDir()
	var files []string
	fileOf := map[string]string{}
	serious := 0
	check := func(path string) {
		t.Helper()
		status := b.open(path)
		if status != http.StatusOK && path != "/venues/no-such-venue" {
			t.Errorf("%s: %d", path, status)
		}
		// The HTML as served, for the Nu checker; fetched by the page, with its cookies.
		src, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch(location.href, {credentials: "same-origin"}).then(r => r.text())`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("fetch %s: %v", path, err)
		}
		f := filepath.Join(dir, fmt.Sprintf("page%02d.html", len(files)))
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		fileOf[f] = path
		// axe-core in the page as the browser built it.
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](string(axeSource)+";0")); err != nil {
			t.Fatalf("inject axe-core into %s: %v", path, err)
		}
		out, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
			`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("axe on %s: %v", path, err)
		}
		var vs []axeViolation
		if err := json.Unmarshal([]byte(out), &vs); err != nil {
			t.Fatalf("axe on %s: %v", path, err)
		}
		for _, v := range vs {
			if v.Impact == "serious" || v.Impact == "critical" {
				serious++
				var where []string
				for _, n := range v.Nodes {
					where = append(where, n.HTML)
				}
				t.Errorf("axe %s on %s: %s (%s), %d elements: %.400s", v.Impact, path, v.ID, v.Help, len(v.Nodes), strings.Join(where, " | "))
			} else {
				t.Logf("axe %s on %s: %s (%s), %d elements", v.Impact, path, v.ID, v.Help, len(v.Nodes))
			}
		}
	}
	for _, p := range visitor {
		check(p)
	}
	b.signIn("/admin", "admin", testkit.AdminPassword)
	for _, p := range admin {
		check(p)
	}

	// The Nu HTML checker over every page at once (one JVM start).
	cmd := exec.Command("java", append([]string{"-jar", vnuJar, "--format", "json", "--exit-zero-always"}, files...)...)
	outJSON, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vnu: %v\n%s", err, outJSON)
	}
	var report struct {
		Messages []struct {
			Type, SubType, URL, Message, Extract string
			LastLine                             int
		}
	}
	if err := json.Unmarshal(outJSON, &report); err != nil {
		t.Fatalf("vnu output: %v\n%.2000s", err, outJSON)
	}
	errs := 0
	fileRe := regexp.MustCompile(`page\d+\.html$`)
	for _, m := range report.Messages {
		page := fileOf[filepath.Join(dir, fileRe.FindString(m.URL))]
		if m.Type == "error" || m.SubType == "fatal" {
			errs++
			t.Errorf("Nu HTML checker on %s, line %d: %s (%q)", page, m.LastLine, m.Message, m.Extract)
		} else {
			t.Logf("Nu HTML checker %s on %s, line %d: %s", m.Type, page, m.LastLine, m.Message)
		}
	}
	t.Logf("%d pages checked: %d Nu HTML checker errors, %d serious or critical axe-core violations", len(files), errs, serious)
}
