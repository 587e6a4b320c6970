package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"slotgate/domain"
	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// Viewports the pages are looked at in: a phone held upright, and a laptop.
const (
	phoneWidth, phoneHeight     = 390, 844
	desktopWidth, desktopHeight = 1280, 900
)

// chromium finds the system's Chromium, or skips (fails under
// SLOTGATE_TEST_REQUIRE=1) where there is none.
func chromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if testkit.Required() {
		t.Fatal("Chromium is required (SLOTGATE_TEST_REQUIRE=1) but not installed: apt-get install chromium")
	}
	t.Skip("Chromium not installed (apt-get install chromium); skipping browser tests")
	return ""
}

// startApp starts an instance on the embedded defaults with its access
// log on, collecting its logs so that a test can check what they hold.
func startApp(t *testing.T) (*testkit.TestApp, *testkit.LogBuffer) {
	t.Helper()
	logs := &testkit.LogBuffer{}
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{Logs: logs, Configure: func(c *app.Config) { c.AccessLog = true }})
	return ta, logs
}

// noIDInLogs fails if the instance logged any of ids in full.
func noIDInLogs(t *testing.T, logs *testkit.LogBuffer, ids ...string) {
	t.Helper()
	got := logs.String()
	if !strings.Contains(got, "route=/book/:slot") {
		t.Fatalf("the access log did not see the booking form: %s", got)
	}
	for _, id := range ids {
		if strings.Contains(got, id) {
			t.Fatalf("the logs hold the full ID number %s", id)
		}
	}
}

// tab is one browser tab on a test instance.
type tab struct {
	t    *testing.T
	ctx  context.Context
	ta   *testkit.TestApp
	shot string // where screenshots go; "" for nowhere
}

// newBrowser starts a headless Chromium of its own (cookies do not leak
// between tests) and opens a tab at phone size. The flags keep it from
// reaching for the network, which on a closed machine makes it slow.
func newBrowser(t *testing.T, ta *testkit.TestApp) *tab {
	t.Helper()
	return newBrowserFor(t, ta, 90*time.Second)
}

// newBrowserFor is newBrowser for a test that may take up to d.
func newBrowserFor(t *testing.T, ta *testkit.TestApp, d time.Duration) *tab {
	t.Helper()
	exe := chromium(t)
	profile, err := os.MkdirTemp("", "slotgate-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Chromium's helpers may still be writing for a moment after it stops.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.WindowSize(phoneWidth, phoneHeight),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, d)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	b := &tab{t: t, ctx: ctx, ta: ta, shot: screenshotDir(t)}
	b.do(chromedp.EmulateViewport(phoneWidth, phoneHeight))
	return b
}

// screenshotDir is $SLOTGATE_SCREENSHOTS (relative to the repository root,
// two folders up from this package), or a temporary folder.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("SLOTGATE_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// withoutJavaScript turns scripts off in this tab, as a visitor's browser may.
func (b *tab) withoutJavaScript() {
	b.t.Helper()
	b.do(chromedp.Navigate("about:blank"))
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		b.t.Fatalf("disable JavaScript: %v", err)
	}
}

// open loads path and returns the HTTP status the page came with.
func (b *tab) open(path string) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Navigate(b.ta.URL+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return res.Status
}

// follow clicks what leads to another page and waits for it to load.
func (b *tab) follow(css string) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("click %s: %v", css, err)
	}
	return res.Status
}

// submitUnchecked sends form id as a browser without the page's script
// would, and returns the status of the page that comes back.
func (b *tab) submitUnchecked(id string) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`HTMLFormElement.prototype.submit.call(document.getElementById(%q))`, id)))
	if err != nil {
		b.t.Fatalf("submit %s: %v", id, err)
	}
	return res.Status
}

func (b *tab) text(css string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS(css)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", css, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

func (b *tab) eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return s
}

func (b *tab) count(css string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", css)))
	if err != nil {
		b.t.Fatalf("count %s: %v", css, err)
	}
	return n
}

func (b *tab) path() string { return b.eval("location.pathname + location.search") }

// html is the whole page as the browser has it now.
func (b *tab) html() string { return b.eval("document.documentElement.outerHTML") }

// see fails unless the page's visible text holds every one of texts.
func (b *tab) see(texts ...string) {
	b.t.Helper()
	body := b.text("body")
	for _, s := range texts {
		if !strings.Contains(body, s) {
			b.t.Fatalf("page %s lacks %q; it reads: %s", b.path(), s, body)
		}
	}
}

func (b *tab) fill(css, value string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS(css), value))
}

// typeIn types into a field key by key, as a visitor does, so that the
// page's input handlers run.
func (b *tab) typeIn(css, value string) {
	b.t.Helper()
	// SetValue cannot set "" (chromedp reads an empty answer as a failure).
	b.eval(fmt.Sprintf(`(document.querySelector(%q).value = "", "cleared")`, css))
	b.do(chromedp.SendKeys(chromedp.CSS(css), value))
}

// screenshot saves the whole page as name-phone.png, and with desktop also
// as name-desktop.png, then returns to phone size.
func (b *tab) screenshot(name string, desktop bool) {
	b.t.Helper()
	sizes := []struct {
		suffix string
		w, h   int64
	}{{"phone", phoneWidth, phoneHeight}}
	if desktop {
		sizes = append(sizes, struct {
			suffix string
			w, h   int64
		}{"desktop", desktopWidth, desktopHeight})
	}
	for _, s := range sizes {
		b.do(chromedp.EmulateViewport(s.w, s.h))
		img, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		file := filepath.Join(b.shot, name+"-"+s.suffix+".png")
		if err := os.WriteFile(file, img, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(phoneWidth, phoneHeight))
}

// decodeQR reads the text of the QR code in a PNG.
func decodeQR(t *testing.T, pngData []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatalf("QR image: %v", err)
	}
	return decodeQRImage(t, img)
}

func decodeQRImage(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	// The finder-pattern search misses a code now and then (about one in a
	// few hundred, drawn or not): then the reader tries harder, and last
	// reads the image as the bare code it is.
	var last error
	for _, hints := range []map[gozxing.DecodeHintType]any{
		nil,
		{gozxing.DecodeHintType_TRY_HARDER: true},
		{gozxing.DecodeHintType_PURE_BARCODE: true},
	} {
		res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
		if err == nil {
			return res.GetText()
		}
		last = err
	}
	t.Fatalf("decode QR: %v", last)
	return ""
}

// pageQR decodes the QR code the page shows, twice: from the image the
// page embeds, and from a screenshot of it as the page draws it.
func (b *tab) pageQR() string {
	b.t.Helper()
	src := b.eval(`document.getElementById("qr").getAttribute("src")`)
	data, ok := strings.CutPrefix(src, "data:image/png;base64,")
	if !ok {
		b.t.Fatalf("QR image source %.40q", src)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		b.t.Fatal(err)
	}
	embedded := decodeQR(b.t, raw)
	shot, err := chromedp.Run(b.ctx, chromedp.Screenshot(chromedp.ID("qr"), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("screenshot of the QR code: %v", err)
	}
	if drawn := decodeQR(b.t, shot); drawn != embedded {
		b.t.Fatalf("the QR code as drawn says %q, its image %q", drawn, embedded)
	}
	return embedded
}

// resident makes a valid resident ID number from its first 17 digits.
func resident(first17 string) string { return first17 + string(domain.ResidentCheckChar(first17)) }

// slotAt is the id of a venue's slot starting at hhmm on date.
func slotAt(t *testing.T, ta *testkit.TestApp, venue, date, hhmm string) int64 {
	t.Helper()
	views, err := ta.Catalog.SlotsOn(context.Background(), mustVenue(t, ta, venue), mustDate(t, date))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if v.Start.In(testkit.Monday0800.Location()).Format("15:04") == hhmm {
			return v.ID
		}
	}
	t.Fatalf("no slot of %s at %s on %s", venue, hhmm, date)
	return 0
}

func mustVenue(t *testing.T, ta *testkit.TestApp, slug string) domain.Venue {
	t.Helper()
	v, err := ta.Catalog.Venue(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustDate(t *testing.T, s string) domain.Date {
	t.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// remaining is the places left in a slot, as the API tells them.
func remaining(t *testing.T, ta *testkit.TestApp, venue string, slotID int64, date string) int {
	t.Helper()
	views, err := ta.Catalog.SlotsOn(context.Background(), mustVenue(t, ta, venue), mustDate(t, date))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if v.ID == slotID {
			return v.Remaining
		}
	}
	t.Fatalf("slot %d not on %s", slotID, date)
	return 0
}

// setQuota changes a slot's quota as an admin would, and brings the
// capacity gate in line at once instead of at the next reconciliation.
func setQuota(t *testing.T, ta *testkit.TestApp, slotID int64, quota int) {
	t.Helper()
	if _, err := ta.Store.DB().Exec(`UPDATE slots SET quota = ? WHERE id = ?`, quota, slotID); err != nil {
		t.Fatal(err)
	}
	ta.Catalog.Forget()
	if _, _, err := ta.Reconcile.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func bookings(t *testing.T, ta *testkit.TestApp) int {
	t.Helper()
	var n int
	if err := ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM bookings`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// keptID is a refused form's right ID number, kept in its own input.
var keptID = regexp.MustCompile(`name="visitors\[\d+\]\.id_number" value="[^"]*"`)

// noFullID fails if the page holds any of ids in full, outside the input
// a refused form keeps a right number in.
func (b *tab) noFullID(ids ...string) {
	b.t.Helper()
	page := keptID.ReplaceAllString(b.html(), "")
	for _, id := range ids {
		if strings.Contains(page, id) {
			b.t.Fatalf("page %s shows the full ID number %s", b.path(), id)
		}
	}
}
