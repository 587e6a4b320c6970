package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// pageIDs are the ID numbers the page tests book with; no page may ever
// show one of them in full.
var pageIDs = []string{resident("50010919900307123"), resident("11010519491231002"), "E12345678", "E98765432", "G55501234"}

// pageBrowser is a test client that keeps cookies and does not follow
// redirects, so that a test sees each 303 and where it leads.
type pageBrowser struct {
	t      *testing.T
	ta     *testkit.TestApp
	client *http.Client
	lang   string
	pages  *[]string // every HTML body seen, checked for full ID numbers
}

func newPageBrowser(t *testing.T, ta *testkit.TestApp, pages *[]string) *pageBrowser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &pageBrowser{t: t, ta: ta, client: c, pages: pages}
}

func (b *pageBrowser) do(method, path string, form url.Values, header ...string) testkit.Response {
	b.t.Helper()
	h := append([]string{"Accept", "text/html"}, header...)
	if b.lang != "" {
		h = append(h, "Accept-Language", b.lang)
	}
	var body any
	if form != nil {
		body = form.Encode()
		h = append(h, "Content-Type", "application/x-www-form-urlencoded")
	}
	res := b.ta.Do(b.t, b.client, method, path, body, h...)
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		*b.pages = append(*b.pages, string(res.Body))
	}
	return res
}

func (b *pageBrowser) get(path string) testkit.Response { return b.do("GET", path, nil) }

var hiddenInput = regexp.MustCompile(`name="(_csrf|idem)" value="([^"]*)"`)

// formFields reads a rendered form's hidden fields.
func formFields(t *testing.T, res testkit.Response) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(string(res.Body), -1) {
		v.Set(m[1], m[2])
	}
	if v.Get("_csrf") == "" {
		t.Fatalf("form without a CSRF token: %s", res.Body)
	}
	return v
}

// party fills a booking form for people with the given ID numbers.
func party(base url.Values, phone string, ids ...string) url.Values {
	f := url.Values{}
	for k, v := range base {
		f[k] = v
	}
	f.Set("phone", phone)
	for i, id := range ids {
		typ := "passport"
		if len(id) == 18 {
			typ = "resident_id"
		}
		f.Set(fmt.Sprintf("visitors[%d].name", i), fmt.Sprintf("游客%d", i+1))
		f.Set(fmt.Sprintf("visitors[%d].id_type", i), typ)
		f.Set(fmt.Sprintf("visitors[%d].id_number", i), id)
	}
	return f
}

var keptID = regexp.MustCompile(`name="visitors\[\d+\]\.id_number" value="[^"]*"`)

func noFullIDs(t *testing.T, pages []string) {
	t.Helper()
	if len(pages) == 0 {
		t.Fatal("no pages were checked")
	}
	for _, p := range pages {
		// A refused form keeps the numbers that were right in their own inputs.
		p = keptID.ReplaceAllString(p, "")
		for _, id := range pageIDs {
			if strings.Contains(p, id) {
				t.Fatalf("a page shows the full ID number %s: %s", id, p)
			}
		}
	}
}

func pageSlot(t *testing.T, ta *testkit.TestApp, venue, date string, i int) slotOut {
	t.Helper()
	return slots(t, ta, venue, date)[i]
}

// pageQuota sets a slot's quota as an admin would, and brings the
// capacity gate in line at once instead of at the next reconciliation.
func pageQuota(t *testing.T, ta *testkit.TestApp, slotID int64, quota int) {
	t.Helper()
	setQuota(t, ta, slotID, quota)
	if _, _, err := ta.Reconcile.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func bookingCount(t *testing.T, ta *testkit.TestApp) int {
	t.Helper()
	var n int
	if err := ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM bookings`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// inEveryMode runs test on the embedded defaults and, where configured,
// on MariaDB with Redis, in parallel.
func inEveryMode(t *testing.T, test func(*testing.T, testkit.Mode)) {
	t.Parallel()
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			test(t, mode)
		})
	}
}

// TestPageRoutes asks for every page and checks its status, language and
// security headers, and that unknown paths still answer the API's way.
func TestPageRoutes(t *testing.T) {
	t.Parallel()
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	var pages []string
	b := newPageBrowser(t, ta, &pages)
	started := pageSlot(t, ta, "jinyun-mountain", "2026-03-02", 0).ID // 07:00; it is 08:00
	open := pageSlot(t, ta, "jinyun-mountain", "2026-03-03", 2).ID

	cases := []struct {
		path   string
		status int
		texts  []string
	}{
		{"/", 200, []string{`<html lang="zh-CN">`, "选择场馆", "缙云山", "北碚博物馆", "今天 · 3月2日 周一", "明天 · 3月3日 周二", "每周一闭馆", "闭馆"}},
		{"/venues/jinyun-mountain", 200, []string{"缙云山", "选择日期", "剩余 600 / 600", `href="/book/`, "已截止"}},
		// The museum is closed on Mondays: its page opens on Tuesday and marks Monday.
		{"/venues/beibei-museum", 200, []string{`aria-current="date" data-date="2026-03-03"`, `class="day closed" aria-disabled="true"`}},
		{"/venues/beibei-museum?date=2026-03-02", 200, []string{"本馆 2026年3月2日（周一） 闭馆", "下一个开放日：3月3日 周二"}},
		{"/venues/jinyun-mountain?date=2026-3-3", 422, []string{"日期格式应为 YYYY-MM-DD"}},
		// The day after the window shows when it opens, with no booking.
		{"/venues/jinyun-mountain?date=2026-03-10", 200, []string{"03-03 00:00 开放预约", "未开放", `class="day soon sel"`}},
		{"/venues/jinyun-mountain?date=2026-03-11", 422, []string{"不在可预约日期范围内"}},
		{"/venues/nowhere", 404, []string{"未找到", "请检查预约码或链接是否完整。"}},
		{fmt.Sprintf("/book/%d", open), 200, []string{"填写预约信息", "参观者 1", "居民身份证", `name="visitors[0].id_number"`, "该时段剩余 600 个名额"}},
		{fmt.Sprintf("/book/%d?n=3", open), 200, []string{`name="visitors[2].name"`}},
		{fmt.Sprintf("/book/%d?n=9", open), 200, []string{`name="visitors[4].name"`}},
		{fmt.Sprintf("/book/%d", started), 409, []string{"该时段不可预约", "选择其他时段"}},
		{"/book/99999999", 404, []string{"未找到"}},
		{"/book/abc", 404, []string{"没有这个页面"}},
		{"/bookings/not-a-code", 404, []string{"未找到"}},
		{"/bookings/not-a-code/cancel", 404, []string{"未找到"}},
		{"/lookup", 200, []string{"查询我的预约", `name="code"`}},
		{"/lookup?code=", 422, []string{"必填"}},
		{"/lookup?code=garbage", 404, []string{"没有找到这个预约码对应的预约"}},
		{"/nothing-here", 404, []string{"没有这个页面"}},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			res := b.get(c.path)
			wantPage(t, res, c.status, c.texts...)
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("CSP %q", csp)
			}
			if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("headers %v", res.Header)
			}
		})
	}

	// The English switch sets a cookie that later pages follow; Accept-Language works alone.
	res := b.get("/?lang=en")
	wantPage(t, res, 200, `<html lang="en">`, "Choose a venue", "Closed on Mondays", `href="/?lang=zh"`)
	if !strings.Contains(res.Header.Get("Set-Cookie"), "slotgate_lang=en") || !strings.Contains(res.Header.Get("Set-Cookie"), "SameSite=Lax") {
		t.Errorf("language cookie: %q", res.Header.Get("Set-Cookie"))
	}
	wantPage(t, b.get("/venues/beibei-museum?date=2026-03-02"), 200, "The venue is closed on Monday 2 March 2026")
	wantPage(t, b.get("/?lang=zh"), 200, "选择场馆")
	en := newPageBrowser(t, ta, &pages)
	en.lang = "en-GB,en;q=0.9"
	wantPage(t, en.get(fmt.Sprintf("/book/%d", started)), 409, "This time slot cannot be booked", "Choose another time")

	// Assets are served with their type; the API is untouched by the pages.
	for path, ctype := range map[string]string{"/assets/app.css": "text/css", "/assets/app.js": "text/javascript", "/assets/icon.svg": "image/svg+xml"} {
		res := ta.Do(t, nil, "GET", path, nil)
		if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %q", path, res.Status, res.Header.Get("Content-Type"))
		}
	}
	if res := ta.Do(t, nil, "GET", "/assets/nothing.js", nil); res.Status != 404 {
		t.Errorf("unknown asset: %d", res.Status)
	}
	// Paths under /api/ answer problem+json whatever the client accepts.
	for _, path := range []string{"/api/v1/nothing", "/api/v2/venues"} {
		if res := ta.Do(t, nil, "GET", path, nil, "Accept", "text/html"); res.Status < 400 || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("unknown API route %s: %d %v", path, res.Status, res.Header)
		}
	}
	if res := ta.Do(t, nil, "PUT", "/api/v1/bookings", nil, "Accept", "text/html"); res.Status != 405 || res.Header.Get("Allow") != "GET, HEAD, POST" ||
		res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("wrong API method: %d %v %s", res.Status, res.Header, res.Body)
	}
	if res := ta.Do(t, nil, "DELETE", "/api/v1/venues/jinyun-mountain", nil); res.Status != 405 || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("wrong API method on a route with a parameter: %d %v %s", res.Status, res.Header, res.Body)
	}
	if res := ta.Do(t, nil, "GET", "/nothing-here", nil); res.Status != 404 || res.Code() != "not_found" {
		t.Errorf("unknown path without Accept: text/html: %d %s", res.Status, res.Body)
	}
	if res := ta.Do(t, nil, "GET", "/api/v1/venues", nil); res.Status != 200 || res.Header.Get("Set-Cookie") != "" {
		t.Errorf("API answer sets cookies: %v", res.Header)
	}
}

// TestPageBookingFlow books a party of three through the form, posts the
// same form again (a double click), reads the confirmation, prints it, and
// cancels it with its confirmation step.
func TestPageBookingFlow(t *testing.T) { inEveryMode(t, pageBookingFlow) }

func pageBookingFlow(t *testing.T, mode testkit.Mode) {
	ta := testkit.StartApp(t, mode, testkit.Options{})
	var pages []string
	b := newPageBrowser(t, ta, &pages)
	s := pageSlot(t, ta, "beibei-library", "2026-03-03", 0)

	form := b.get(fmt.Sprintf("/book/%d?n=3", s.ID))
	wantPage(t, form, 200)
	filled := party(formFields(t, form), "13800138000", pageIDs[0], pageIDs[1], pageIDs[2])
	res := b.do("POST", fmt.Sprintf("/book/%d", s.ID), filled)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/bookings/") {
		t.Fatalf("book: %d %v %s", res.Status, res.Header, res.Body)
	}
	where := res.Header.Get("Location")
	again := b.do("POST", fmt.Sprintf("/book/%d", s.ID), filled)
	if again.Status != http.StatusSeeOther || again.Header.Get("Location") != where {
		t.Fatalf("the same form posted twice: %d %s, want 303 to %s", again.Status, again.Header.Get("Location"), where)
	}
	if n := bookingCount(t, ta); n != 1 {
		t.Fatalf("%d bookings after a double post, want 1", n)
	}
	if got := pageSlot(t, ta, "beibei-library", "2026-03-03", 0); got.Remaining != 117 {
		t.Fatalf("remaining after booking 3: %d", got.Remaining)
	}

	masked := domain.MaskID(pageIDs[0])
	conf := b.get(where)
	wantPage(t, conf, 200, "预约已确认", "北碚图书馆", "2026年3月3日（周二）", "09:00–11:00", "08:30 起可入场",
		"游客1", "游客2", "游客3", masked, "138****8000", `src="data:image/png;base64,`, "居民身份证、护照", where+"/cancel", where+"/print")
	code := strings.TrimPrefix(where, "/bookings/")
	if !strings.Contains(string(conf.Body), `<code id="booking-code">`+code+`</code>`) {
		t.Errorf("the code is not shown in text")
	}
	wantPage(t, b.get(where+"/print"), 200, `class="bare"`, masked, "打印")
	if res := b.get("/lookup?code=" + url.QueryEscape(" "+code+"\n")); res.Status != http.StatusSeeOther || res.Header.Get("Location") != where {
		t.Errorf("lookup: %d %v", res.Status, res.Header)
	}
	if res := b.get("/lookup?code=" + url.QueryEscape("https://example.org"+where)); res.Header.Get("Location") != where {
		t.Errorf("lookup by pasted link: %d %v", res.Status, res.Header)
	}

	ask := b.get(where + "/cancel")
	wantPage(t, ask, 200, "确认取消预约？", "3 个名额将释放")
	res = b.do("POST", where+"/cancel", formFields(t, ask))
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != where {
		t.Fatalf("cancel: %d %v %s", res.Status, res.Header, res.Body)
	}
	wantPage(t, b.get(where), 200, "预约已取消", "已取消", "名额已释放")
	if got := pageSlot(t, ta, "beibei-library", "2026-03-03", 0); got.Remaining != 120 {
		t.Fatalf("remaining after cancel: %d", got.Remaining)
	}
	// Asking to cancel a cancelled booking leads back to it.
	if res := b.get(where + "/cancel"); res.Status != http.StatusSeeOther || res.Header.Get("Location") != where {
		t.Errorf("cancel page of a cancelled booking: %d", res.Status)
	}

	// Once its slot has started a booking cannot be cancelled.
	form = b.get(fmt.Sprintf("/book/%d", s.ID))
	res = b.do("POST", fmt.Sprintf("/book/%d", s.ID), party(formFields(t, form), "13900139000", pageIDs[3]))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("book again: %d %s", res.Status, res.Body)
	}
	later := res.Header.Get("Location")
	ask = b.get(later + "/cancel")
	ta.Clock.Set(time.Date(2026, 3, 3, 9, 5, 0, 0, testkit.Monday0800.Location()))
	wantPage(t, b.do("POST", later+"/cancel", formFields(t, ask)), http.StatusConflict, "该预约不能取消", "返回预约详情")
	wantPage(t, b.get(later+"/cancel"), http.StatusConflict, "该预约不能取消")
	wantPage(t, b.get(later), 200, "时段开始后或入场后不能再取消。")
	noFullIDs(t, pages)
}

// TestPageCSRF: a form post without the page's token, or from another
// site, is refused and changes nothing; the JSON API needs no token.
func TestPageCSRF(t *testing.T) {
	t.Parallel()
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	var pages []string
	b := newPageBrowser(t, ta, &pages)
	s := pageSlot(t, ta, "beibei-library", "2026-03-04", 1)
	form := b.get(fmt.Sprintf("/book/%d", s.ID))
	fields := formFields(t, form)
	if !strings.Contains(form.Header.Get("Set-Cookie"), "slotgate_form=") || !strings.Contains(form.Header.Get("Set-Cookie"), "HttpOnly") ||
		!strings.Contains(form.Header.Get("Set-Cookie"), "SameSite=Lax") {
		t.Errorf("CSRF cookie: %q", form.Header.Get("Set-Cookie"))
	}

	noToken := party(url.Values{"idem": {"k1"}}, "13800138000", pageIDs[2])
	wrong := party(url.Values{"idem": {"k2"}, "_csrf": {"not-the-token"}}, "13800138000", pageIDs[2])
	for name, post := range map[string]func() testkit.Response{
		"no token":    func() testkit.Response { return b.do("POST", fmt.Sprintf("/book/%d", s.ID), noToken) },
		"wrong token": func() testkit.Response { return b.do("POST", fmt.Sprintf("/book/%d", s.ID), wrong) },
		"no cookie": func() testkit.Response {
			return newPageBrowser(t, ta, &pages).do("POST", fmt.Sprintf("/book/%d", s.ID), party(fields, "13800138000", pageIDs[2]))
		},
		"cross-site": func() testkit.Response {
			return b.do("POST", fmt.Sprintf("/book/%d", s.ID), party(fields, "13800138000", pageIDs[2]), "Sec-Fetch-Site", "cross-site")
		},
	} {
		t.Run(name, func(t *testing.T) {
			wantPage(t, post(), http.StatusForbidden, "页面已过期", "刷新页面")
		})
	}
	if n := bookingCount(t, ta); n != 0 {
		t.Fatalf("refused posts made %d bookings", n)
	}
	// The same form with its token books; a same-origin browser needs no cookie.
	if res := b.do("POST", fmt.Sprintf("/book/%d", s.ID), party(fields, "13800138000", pageIDs[2])); res.Status != http.StatusSeeOther {
		t.Fatalf("with the token: %d %s", res.Status, res.Body)
	}
	fresh := newPageBrowser(t, ta, &pages)
	form = fresh.get(fmt.Sprintf("/book/%d", s.ID))
	res := fresh.do("POST", fmt.Sprintf("/book/%d", s.ID), party(url.Values{"idem": {"k3"}}, "13800138000", pageIDs[3]), "Sec-Fetch-Site", "same-origin")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("same-origin post: %d %s", res.Status, res.Body)
	}
	where := res.Header.Get("Location")
	// Cancelling needs the token too.
	wantPage(t, b.do("POST", where+"/cancel", url.Values{}), http.StatusForbidden)
	wantPage(t, b.get(where), 200, "预约已确认")
	// The API has no cookies and needs no token.
	if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, "E77700001")); res.Status != 201 {
		t.Fatalf("API booking: %d %s", res.Status, res.Body)
	}
	noFullIDs(t, pages)
}

// TestPageRefusals: each refusal of a booking gets its page with the
// API's words, its status, and a next step; what was typed comes back
// except the ID numbers, which are shown masked.
func TestPageRefusals(t *testing.T) { inEveryMode(t, pageRefusals) }

func pageRefusals(t *testing.T, mode testkit.Mode) {
	var proxy *testkit.CuttingProxy
	logs := &testkit.LogBuffer{}
	ta := testkit.StartApp(t, mode, testkit.Options{
		Logs: logs,
		Configure: func(c *app.Config) {
			c.AccessLog = true
			c.RateLimits = "on"
			c.BookingLimits.ByPhone = domain.LimitPolicy{Name: "booking-phone", Quota: 2, Window: time.Hour, Burst: 2}
		},
		RedisURL: func(r *testkit.Redis) string {
			addr := r.Addr()
			proxy = testkit.NewCuttingProxy(t, addr)
			return strings.Replace(r.URL, addr, proxy.Addr(), 1)
		}})
	var pages []string
	b := newPageBrowser(t, ta, &pages)
	day := slots(t, ta, "jinyun-mountain", "2026-03-05")
	open, small := day[2].ID, day[3].ID
	pageQuota(t, ta, small, 2)
	post := func(slot int64, form url.Values) testkit.Response {
		return b.do("POST", fmt.Sprintf("/book/%d", slot), form)
	}
	fields := func(slot int64) url.Values {
		return formFields(t, b.get(fmt.Sprintf("/book/%d", slot)))
	}

	// Validation: the errors stand next to their fields, the first has the focus.
	bad := pageIDs[0][:17] + map[bool]string{true: "1", false: "2"}[pageIDs[0][17] != '1']
	f := party(fields(open), "12345", bad, pageIDs[2])
	f.Set("visitors[1].name", "")
	res := post(open, f)
	wantPage(t, res, http.StatusUnprocessableEntity, "填写的信息有误", "请输入 11 位手机号码", "身份证号码校验位不正确，请核对",
		`id="v0-id" name="visitors[0].id_number" value=""`, `aria-invalid="true" autofocus`, `href="#v0-id"`, `href="#v1-name"`, `href="#phone"`,
		domain.MaskID(bad), `value="12345"`, `value="游客1"`,
		`name="visitors[1].id_number" value="`+pageIDs[2]+`"`)
	// The wrong number is cleared; the right one stays in its input only.
	if strings.Contains(string(res.Body), bad) || strings.Count(string(res.Body), pageIDs[2]) != 1 {
		t.Fatal("a refused form shows a wrong ID number, or a right one outside its input")
	}
	if strings.Count(string(res.Body), "autofocus") != 1 {
		t.Errorf("want one autofocus, on the first error")
	}
	// In English too, and an empty party says how many people may book.
	b.lang = "en"
	res = post(open, party(fields(open), "13800138000"))
	wantPage(t, res, http.StatusUnprocessableEntity, "Some fields are not valid", "A booking is for 1 to 5 people", `id="size" role="group" aria-labelledby="size-label" aria-describedby="size-hint size-err" tabindex="-1" autofocus`)
	res = post(open, party(fields(open), "", pageIDs[2]))
	wantPage(t, res, http.StatusUnprocessableEntity, "Mobile number is required")
	b.lang = ""

	// Sold out: what is left, and how to book it, in both languages.
	b.lang = "en"
	res = post(small, party(fields(small), "13300133000", pageIDs[2], pageIDs[3], pageIDs[4]))
	wantPage(t, res, http.StatusConflict, "This time slot is fully booked", "Only 2 places left", "Book for 2 people instead", "Choose another time",
		`value="游客1"`, "These times still have places", fmt.Sprintf(`href="/book/%d/standby?n=3"`, small))
	b.lang = ""
	res = post(small, party(fields(small), "13600136000", pageIDs[2], pageIDs[3], pageIDs[4]))
	wantPage(t, res, http.StatusConflict, "该时段已约满", "2026年3月5日（周四）", "10:00–11:00", "仅剩 2 个名额", fmt.Sprintf(`href="/book/%d?n=2"`, small), "选择其他时段",
		"您填写的姓名已保留", fmt.Sprintf(`href="/book/%d?n=3"`, day[4].ID))
	res = post(small, party(fields(small), "13600136000", pageIDs[2], pageIDs[3]))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("book the last two places: %d %s", res.Status, res.Body)
	}
	wantPage(t, b.get(fmt.Sprintf("/book/%d", small)), http.StatusConflict, "该时段已约满")
	wantPage(t, b.get("/venues/jinyun-mountain?date=2026-03-05"), 200, "剩余 0 / 2", "已约满")

	// Already booked that day: the form again, the error at that person's number.
	res = post(open, party(fields(open), "13500135000", pageIDs[4], pageIDs[3]))
	wantPage(t, res, http.StatusConflict, "当天已有预约", "该证件当天已有预约", `href="#v1-id"`, `href="/my"`)

	// Rate limited: the phone has used its two attempts.
	res = post(open, party(fields(open), "13600136000", pageIDs[4]))
	wantPage(t, res, http.StatusTooManyRequests, "操作过于频繁", "秒后再试")
	if res.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}

	// Redis gone: the form comes back with "try again shortly", nothing booked.
	before := bookingCount(t, ta)
	proxy.Down()
	res = post(open, party(fields(open), "13700137000", pageIDs[4]))
	wantPage(t, res, http.StatusServiceUnavailable, "服务暂时不可用", "您的信息未被提交")
	if n := bookingCount(t, ta); n != before {
		t.Fatalf("a refused booking was stored")
	}
	noFullIDs(t, pages)
	if !strings.Contains(logs.String(), "/book/:slot") {
		t.Fatalf("no access log of the form posts: %s", logs)
	}
	noFullIDs(t, []string{logs.String()})
}
