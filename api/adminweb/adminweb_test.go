package adminweb_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/testkit"
)

// The admin pages through HTTP: who may open them, where a sign-in leads,
// what each page shows, and that none shows a full ID or phone number.

// adminPages are every admin page, as a signed-in admin opens them.
var adminPages = []string{
	"/admin",
	"/admin/new-venue",
	"/admin/venues/jinyun-mountain",
	"/admin/venues/jinyun-mountain/days/2026-03-02",
	"/admin/venues/beibei-museum/days/2026-03-02",
	"/admin/users",
	"/admin/audit",
	"/admin/live",
}

// adminClient keeps cookies and does not follow redirects.
type adminClient struct {
	t      *testing.T
	ta     *testkit.TestApp
	client *http.Client
}

func newAdminClient(t *testing.T, ta *testkit.TestApp) *adminClient {
	jar, _ := cookiejar.New(nil)
	return &adminClient{t: t, ta: ta, client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (a *adminClient) get(path string) testkit.Response {
	a.t.Helper()
	return a.ta.Do(a.t, a.client, "GET", path, nil, "Accept", "text/html", "Accept-Language", "zh-CN")
}

var loginCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in through the staff sign-in form, opened at login (which
// may carry ?next=), and returns the answer to the form's post.
func (a *adminClient) signIn(login, username, password string) testkit.Response {
	a.t.Helper()
	page := a.get(login)
	m := loginCSRF.FindSubmatch(page.Body)
	if page.Status != http.StatusOK || m == nil {
		a.t.Fatalf("sign-in page %s: %d %s", login, page.Status, page.Body)
	}
	return a.post(page, username, password)
}

var loginNext = regexp.MustCompile(`name="next" value="([^"]*)"`)

// post sends the sign-in form of page as a browser would, hidden fields and all.
func (a *adminClient) post(page testkit.Response, username, password string) testkit.Response {
	a.t.Helper()
	m := loginCSRF.FindSubmatch(page.Body)
	if m == nil {
		a.t.Fatalf("no sign-in form: %s", page.Body)
	}
	form := url.Values{"csrf": {string(m[1])}, "username": {username}, "password": {password}}
	if n := loginNext.FindSubmatch(page.Body); n != nil {
		form.Set("next", html.UnescapeString(string(n[1])))
	}
	return a.ta.Do(a.t, a.client, "POST", "/staff/login", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
}

// csrf is the CSRF cookie the pages' script sends back in X-CSRF-Token.
func (a *adminClient) csrf() string {
	u, _ := url.Parse(a.ta.URL)
	for _, k := range a.client.Jar.Cookies(u) {
		if k.Name == "slotgate_csrf" {
			return k.Value
		}
	}
	a.t.Fatal("no CSRF cookie")
	return ""
}

// api calls the JSON API as the pages' script does: session cookie and CSRF header.
func (a *adminClient) api(method, path string, body any) testkit.Response {
	a.t.Helper()
	return a.ta.Do(a.t, a.client, method, path, body, "X-CSRF-Token", a.csrf())
}

func adminApp(t *testing.T) (*testkit.TestApp, *adminClient) {
	t.Helper()
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	admin := newAdminClient(t, ta)
	if res := admin.signIn("/staff/login?next=/admin", "admin", testkit.AdminPassword); res.Status != http.StatusSeeOther {
		t.Fatalf("admin sign-in: %d %s", res.Status, res.Body)
	}
	return ta, admin
}

var (
	scriptTag  = regexp.MustCompile(`<script[^>]*>`)
	inlineAttr = regexp.MustCompile(`\s(?:style|on[a-z]+)=`)
)

// inlineCode is what a 'self'-only CSP would block in page: a script
// written in the page, a style attribute, an event handler attribute.
func inlineCode(page []byte) string {
	for _, tag := range scriptTag.FindAll(page, -1) {
		if !strings.Contains(string(tag), " src=") && !strings.Contains(string(tag), `type="application/json"`) {
			return string(tag)
		}
	}
	return string(inlineAttr.Find(page))
}

func TestAdminPageAccess(t *testing.T) {
	t.Parallel()
	ta, admin := adminApp(t)
	ta.AddStaff(t, "north", domain.RoleStaff, "jinyun-mountain")
	staff := newAdminClient(t, ta)
	if res := staff.signIn("/staff/login", "north", testkit.StaffPassword); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/staff/scan" {
		t.Fatalf("staff sign-in: %d %s", res.Status, res.Header.Get("Location"))
	}
	anonymous := newAdminClient(t, ta)
	for _, p := range adminPages {
		res := anonymous.get(p)
		if want := "/staff/login?next=" + url.QueryEscape(p); res.Status != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("%s signed out: %d to %q, want 303 to %q", p, res.Status, res.Header.Get("Location"), want)
		}
		res = staff.get(p)
		wantPage(t, res, http.StatusForbidden, "没有权限", "管理页面仅限管理员使用", `href="/staff/scan"`)
		res = admin.get(p)
		wantPage(t, res, http.StatusOK)
		h := res.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") ||
			strings.Contains(csp, "unsafe") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", p, h)
		}
		if m := inlineCode(res.Body); m != "" {
			t.Errorf("%s has inline code the CSP would block: %s", p, m)
		}
	}
	// The language rides along to the sign-in page.
	if res := anonymous.get("/admin/live?lang=en"); res.Header.Get("Location") != "/staff/login?next=%2Fadmin%2Flive%3Flang%3Den&lang=en" {
		t.Errorf("signed out in English: %q", res.Header.Get("Location"))
	}
	// Unknown venues and days are pages too, not JSON.
	for _, p := range []string{"/admin/venues/nowhere", "/admin/venues/nowhere/days/2026-03-03", "/admin/venues/jinyun-mountain/days/3-3"} {
		wantPage(t, admin.get(p), http.StatusNotFound, "没有这个场馆、日期或页面")
	}
	// The day picker without a script leads to the day's address.
	if res := admin.get("/admin/venues/jinyun-mountain/days?date=2026-03-05"); res.Status != http.StatusSeeOther ||
		res.Header.Get("Location") != "/admin/venues/jinyun-mountain/days/2026-03-05" {
		t.Errorf("day picker: %d %q", res.Status, res.Header.Get("Location"))
	}
	for _, a := range []struct{ path, ctype string }{
		{"/admin/assets/admin.js", "javascript"}, {"/admin/assets/live.js", "javascript"}, {"/admin/assets/admin.css", "text/css"},
	} {
		res := anonymous.get(a.path)
		if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), a.ctype) {
			t.Errorf("%s: %d %s", a.path, res.Status, res.Header.Get("Content-Type"))
		}
	}
	if res := anonymous.get("/admin/assets/layout.html"); res.Status != http.StatusNotFound {
		t.Errorf("a template is served as an asset: %d", res.Status)
	}
	// A signed-out session is signed out on the pages too.
	if res := admin.api("POST", "/api/v1/auth/logout", nil); res.Status != http.StatusNoContent {
		t.Fatalf("sign out: %d %s", res.Status, res.Body)
	}
	if res := admin.get("/admin"); res.Status != http.StatusSeeOther {
		t.Errorf("after signing out: %d", res.Status)
	}
}

// TestAdminPageSignInNext: a sign-in leads back to the admin or staff page
// that asked for it, and never to another site.
func TestAdminPageSignInNext(t *testing.T) {
	t.Parallel()
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	for _, c := range []struct{ next, want string }{
		{"/admin", "/admin"},
		{"/admin/live?lang=en", "/admin/live?lang=en"},
		{"/admin/venues/jinyun-mountain/days/2026-03-03", "/admin/venues/jinyun-mountain/days/2026-03-03"},
		{"/staff/scan", "/staff/scan"},
		{"", "/staff/scan"},
		{"https://evil.example/admin", "/staff/scan"},
		{"//evil.example/admin", "/staff/scan"},
		{"/\\evil.example/admin", "/staff/scan"},
		{"/\t/evil.example", "/staff/scan"},
		{"/admin\r\nSet-Cookie: x=1", "/staff/scan"},
		{"/administrator", "/staff/scan"},
		{"/venues/jinyun-mountain", "/staff/scan"},
		{"javascript:alert(1)", "/staff/scan"},
	} {
		a := newAdminClient(t, ta)
		login := "/staff/login"
		if c.next != "" {
			login += "?next=" + url.QueryEscape(c.next)
		}
		res := a.signIn(login, "admin", testkit.AdminPassword)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != c.want {
			t.Errorf("next %q: %d to %q, want %q", c.next, res.Status, res.Header.Get("Location"), c.want)
		}
		// The next sign-in without ?next= goes to the scanner again.
		if res := a.signIn("/staff/login", "admin", testkit.AdminPassword); res.Header.Get("Location") != "/staff/scan" {
			t.Errorf("after next %q, a plain sign-in leads to %q", c.next, res.Header.Get("Location"))
		}
	}
	// A wrong password keeps where to go for the second try.
	a := newAdminClient(t, ta)
	wrong := a.signIn("/staff/login?next=%2Fadmin%2Fusers", "admin", "wrong password")
	if wrong.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", wrong.Status)
	}
	if res := a.post(wrong, "admin", testkit.AdminPassword); res.Header.Get("Location") != "/admin/users" {
		t.Errorf("after a wrong password the sign-in leads to %q", res.Header.Get("Location"))
	}
}

// TestAdminPageDayView: the day's slots with their numbers, a quota
// changed through the API as the page's script does, the states, a closed
// weekday, and English.
func TestAdminPageDayView(t *testing.T) {
	t.Parallel()
	ta, admin := adminApp(t)
	tuesday := slots(t, ta, "jinyun-mountain", "2026-03-03")
	day := "/admin/venues/jinyun-mountain/days/2026-03-03"
	wantPage(t, admin.get(day), http.StatusOK, "缙云山", "2026年3月3日（周二）", "07:00–08:00", "17:00–18:00",
		fmt.Sprintf(`id="slot-%d"`, tuesday[2].ID), `value="600"`, "可预约", "整天配额", "关闭范围", `data-page="day"`)

	// The script's call: PUT with the cookie and the CSRF header, a reason.
	if res := admin.api("PUT", fmt.Sprintf("/api/v1/admin/slots/%d/quota", tuesday[2].ID), map[string]any{"quota": 450}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a quota without a reason: %d %s", res.Status, res.Body)
	}
	res := admin.api("PUT", fmt.Sprintf("/api/v1/admin/slots/%d/quota", tuesday[2].ID), map[string]any{"quota": 450, "reason": "步道维修"})
	if res.Status != http.StatusOK {
		t.Fatalf("quota: %d %s", res.Status, res.Body)
	}
	page := string(admin.get(day).Body)
	row := regexp.MustCompile(fmt.Sprintf(`(?s)<tr class="slot st-open" id="slot-%d".*?</tr>`, tuesday[2].ID)).FindString(page)
	if !strings.Contains(row, `value="450"`) || strings.Contains(row, `class="tag manual" hidden`) || !strings.Contains(row, `<td class="num remaining" data-label="剩余">450</td>`) {
		t.Errorf("the changed slot's row: %s", row)
	}
	if !strings.Contains(page, `<td class="quota" data-label="配额">6450</td>`) {
		t.Errorf("the day's total quota is not 6450")
	}

	// Today at 08:00: the 07:00 slot is over and cannot be edited.
	today := string(admin.get("/admin/venues/jinyun-mountain/days/2026-03-02").Body)
	first := regexp.MustCompile(`(?s)<tr class="slot st-past".*?</tr>`).FindString(today)
	if !strings.Contains(first, "07:00–08:00") || !strings.Contains(first, "已结束") || !strings.Contains(first, " disabled") {
		t.Errorf("the slot that is over: %s", first)
	}
	wantPage(t, admin.get("/admin/venues/beibei-museum/days/2026-03-02"), http.StatusOK, "本馆当天按每周规定闭馆")

	en := admin.get(day + "?lang=en")
	wantPage(t, en, http.StatusOK, "Jinyun Mountain", "Tuesday 3 March 2026", "Quota", "Remaining", `lang="en"`)
	if !strings.Contains(en.Header.Get("Set-Cookie"), "slotgate_lang=en") {
		t.Errorf("?lang=en does not stick: %q", en.Header.Get("Set-Cookie"))
	}
	wantPage(t, admin.get("/admin/users"), http.StatusOK, "Staff accounts")
}

// TestAdminPageVenueForm: the policy form holds the venue's settings under
// the API's field names, and a save answers with the schedule report the
// page shows, booked slots kept included.
func TestAdminPageVenueForm(t *testing.T) {
	t.Parallel()
	ta, admin := adminApp(t)
	wantPage(t, admin.get("/admin/venues/beibei-museum"), http.StatusOK, `data-action="/api/v1/admin/venues/beibei-museum"`,
		`data-method="PUT"`, `name="name.zh" type="text" value="北碚博物馆"`, `name="hours.open" type="text"`, `value="09:00"`,
		`name="closed_weekdays" value="1" checked`, `name="policy_ratio_pct"`, `name="approved_daily_capacity"`, `name="held_back_release"`,
		`name="no_show_strikes"`, `name="gate_burst"`, `name="reason"`)
	wantPage(t, admin.get("/admin/new-venue"), http.StatusOK, `data-action="/api/v1/admin/venues"`, `data-method="POST"`, `name="slug"`)

	evening := slots(t, ta, "beibei-library", "2026-03-04")[5] // 19:00–21:00
	if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(evening.ID, "E31415926")); res.Status != http.StatusCreated {
		t.Fatalf("book: %d %s", res.Status, res.Body)
	}
	res := admin.api("PUT", "/api/v1/admin/venues/beibei-library", map[string]any{"hours": map[string]string{"open": "09:00", "close": "19:00"},
		"name": map[string]string{"zh": "北碚图书馆", "en": "Beibei Library"}, "closed_weekdays": []int{}, "policy_ratio_pct": 50,
		"approved_daily_capacity": 1000, "reason": "冬季开放时间"})
	if res.Status != http.StatusOK {
		t.Fatalf("save: %d %s", res.Status, res.Body)
	}
	var out struct {
		Schedule struct {
			Kept []slotOut `json:"booked_slots_kept"`
		} `json:"schedule"`
	}
	res.JSON(t, &out)
	if len(out.Schedule.Kept) != 1 || out.Schedule.Kept[0].ID != evening.ID {
		t.Errorf("booked slots kept: %+v", out.Schedule.Kept)
	}
	wantPage(t, admin.get("/admin/venues/beibei-library"), http.StatusOK, `name="hours.close" type="text" inputmode="numeric" maxlength="5" placeholder="HH:MM" value="19:00"`,
		`name="policy_ratio_pct" type="number" inputmode="numeric" step="1" min="1" value="50"`)
	wantPage(t, admin.get("/admin"), http.StatusOK, "核定日容量 1000 × 50%，均分到各时段", "每周一闭馆")
}

// TestAdminPageAuditAndLive: the audit log filtered and paged as the API
// pages it, and the live dashboard's data in the page.
func TestAdminPageAuditAndLive(t *testing.T) {
	t.Parallel()
	_, admin := adminApp(t)
	for d := 3; d <= 7; d++ { // 5 days of 11 slots: 55 entries
		if res := admin.api("PUT", fmt.Sprintf("/api/v1/admin/venues/jinyun-mountain/days/2026-03-%02d/quota", d),
			map[string]any{"quota": 500, "reason": "春季限流"}); res.Status != http.StatusOK {
			t.Fatalf("day quota: %d %s", res.Status, res.Body)
		}
	}
	first := admin.get("/admin/audit?kind=slot_quota&venue=jinyun-mountain")
	wantPage(t, first, http.StatusOK, "共 55 条 · 第 1 / 2 页", "春季限流", "配额: 600 → 500", "时段配额", `rel="next"`,
		"缙云山 2026年3月7日（周六） 17:00–18:00 时段")
	if !strings.Contains(first.Header.Get("Link"), `rel="next"`) || first.Header.Get("X-Total-Count") != "55" {
		t.Errorf("page 1 links: %q, total %q", first.Header.Get("Link"), first.Header.Get("X-Total-Count"))
	}
	if n := strings.Count(string(first.Body), `<tr class="k-slot_quota">`); n != 50 {
		t.Errorf("%d entries on page 1", n)
	}
	second := admin.get("/admin/audit?kind=slot_quota&venue=jinyun-mountain&page=2")
	wantPage(t, second, http.StatusOK, "第 2 / 2 页", `rel="prev"`)
	if n := strings.Count(string(second.Body), `<tr class="k-slot_quota">`); n != 5 {
		t.Errorf("%d entries on page 2", n)
	}
	wantPage(t, admin.get("/admin/audit?kind=sign_in&user=admin"), http.StatusOK, "共 1 条", "登录")
	wantPage(t, admin.get("/admin/audit?from=2026-03-02T09:00"), http.StatusOK, "共 0 条", "没有符合条件的记录")
	wantPage(t, admin.get("/admin/audit?venue=nowhere&from=yesterday"), http.StatusOK, "没有这个场馆", "请按 年-月-日 时:分 填写")

	live := admin.get("/admin/live")
	wantPage(t, live, http.StatusOK, `data-api="/api/v1/admin/live"`, `data-now="2026-03-02T08:00:00&#43;08:00"`,
		`class="live-card" data-venue="jinyun-mountain"`, `class="live-card" data-venue="beibei-art-gallery"`)
	m := regexp.MustCompile(`(?s)<script type="application/json" id="live-data">(.*?)</script>`).FindSubmatch(live.Body)
	if m == nil {
		t.Fatal("no live data in the page")
	}
	var data []struct {
		Venue    string `json:"venue"`
		Capacity int    `json:"capacity"`
		Slots    []any  `json:"slots"`
	}
	if err := json.Unmarshal(m[1], &data); err != nil {
		t.Fatalf("live data: %v: %s", err, m[1])
	}
	if len(data) != 5 || data[0].Venue != "jinyun-mountain" || data[0].Capacity != 2000 || len(data[0].Slots) != 11 {
		t.Errorf("live data: %+v", data)
	}
}

// TestAdminPageNoPersonalData: with bookings, an admission and a no-show
// behind them, no admin page holds a full ID number or a phone number.
func TestAdminPageNoPersonalData(t *testing.T) {
	t.Parallel()
	ta, admin := adminApp(t)
	ta.AddStaff(t, "north", domain.RoleStaff, "jinyun-mountain")
	ids := []string{resident("50010919900307123"), resident("11010519491231002"), "E12345678"}
	nine := slots(t, ta, "jinyun-mountain", "2026-03-02")[2]
	var codes []string
	for _, id := range ids {
		res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(nine.ID, id))
		if res.Status != http.StatusCreated {
			t.Fatalf("book: %d %s", res.Status, res.Body)
		}
		var b bookingOut
		res.JSON(t, &b)
		codes = append(codes, b.Code)
	}
	ta.Clock.Set(testkit.Monday0800.Add(40 * time.Minute))
	if res := ta.Do(t, nil, "POST", "/api/v1/admissions", map[string]string{"code": codes[0], "gate": "北门", "venue": "jinyun-mountain"},
		"Authorization", ta.Login(t, "north", testkit.StaffPassword)); res.Status != http.StatusOK {
		t.Fatalf("admit: %d %s", res.Status, res.Body)
	}
	ta.Clock.Set(testkit.Monday0800.Add(3 * time.Hour)) // the 09:00 slot is over: two no-shows
	pages := append([]string{}, adminPages...)
	pages = append(pages, "/admin/audit?page=1", "/admin/venues/jinyun-mountain/days/2026-03-02?lang=en")
	for _, p := range pages {
		res := admin.get(p)
		wantPage(t, res, http.StatusOK)
		for _, secret := range append(ids, "13800138000") {
			if strings.Contains(string(res.Body), secret) {
				t.Errorf("%s shows %s", p, secret)
			}
		}
	}
	row := regexp.MustCompile(fmt.Sprintf(`(?s)id="slot-%d".*?</tr>`, nine.ID)).FindString(string(admin.get("/admin/venues/jinyun-mountain/days/2026-03-02?lang=zh").Body))
	for _, want := range []string{`data-label="已预约">3<`, `data-label="已入场">1<`, `data-label="爽约">2<`, "已结束"} {
		if !strings.Contains(row, want) {
			t.Errorf("the 09:00 row lacks %s: %s", want, row)
		}
	}
}
