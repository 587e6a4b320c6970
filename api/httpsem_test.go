package api_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"slotgate/api"
	"slotgate/internal/testkit"
)

// HTTP as RFC 9110 has it: HEAD wherever GET, 405 with Allow, 415 for a
// body that is not JSON, a challenge with every 401, the language of an
// answer whose text follows Accept-Language, and nosniff on JSON.

func varyHas(h http.Header, field string) bool {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), field) {
				return true
			}
		}
	}
	return false
}

// TestHeadWhereverGet: HEAD answers every GET route, API or page, with
// GET's status and headers and no body; it is not answered where GET is
// not.
func TestHeadWhereverGet(t *testing.T) {
	ta, tokens := gateApp(t, testkit.Modes(t)[0])
	code := book(t, ta, "jinyun-mountain", "10:00", 1).Code
	for _, c := range []struct {
		path   string
		header []string
		status int
	}{
		{"/healthz", nil, 200},
		{"/readyz", nil, 200},
		{"/metrics", nil, 200},
		{"/api/v1/venues", nil, 200},
		{"/api/v1/venues/jinyun-mountain/slots?date=2026-03-03", nil, 200},
		{"/api/v1/bookings/" + code, nil, 200},
		{"/api/v1/bookings/" + code + "/qr.png", nil, 200},
		{"/api/v1/openapi.json", nil, 200},
		{"/api/v1/auth/me", []string{"Authorization", tokens["north"]}, 200},
		{"/api/v1/auth/me", nil, 401},
		{"/api/v1/venues/nowhere", nil, 404},
		{"/", nil, 200},
		{"/venues/jinyun-mountain", nil, 200},
		{"/bookings/" + code, nil, 200},
		{"/api/docs", nil, 200},
		{"/problems/sold_out", nil, 200},
		{"/staff/login", nil, 200},
	} {
		get := ta.Do(t, nil, "GET", c.path, nil, c.header...)
		head := ta.Do(t, nil, "HEAD", c.path, nil, c.header...)
		if get.Status != c.status || head.Status != c.status {
			t.Errorf("%s: GET %d, HEAD %d, want %d", c.path, get.Status, head.Status, c.status)
			continue
		}
		if len(head.Body) != 0 {
			t.Errorf("HEAD %s: a body of %d bytes", c.path, len(head.Body))
		}
		if g, h := get.Header.Get("Content-Type"), head.Header.Get("Content-Type"); g != h {
			t.Errorf("HEAD %s: Content-Type %q, GET's %q", c.path, h, g)
		}
		if c.status == 401 && head.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("HEAD %s: 401 without WWW-Authenticate", c.path)
		}
	}
	// HEAD where only POST is served is a wrong method like any other.
	res := ta.Do(t, nil, "HEAD", "/api/v1/auth/login", nil)
	if res.Status != 405 || res.Header.Get("Allow") != "POST" {
		t.Errorf("HEAD on a POST route: %d Allow %q", res.Status, res.Header.Get("Allow"))
	}
}

// TestWrongMethod: 405 method_not_allowed with an Allow field listing the
// route's methods (HEAD with GET), whichever route.
func TestWrongMethod(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	for _, c := range []struct{ method, path, allow string }{
		{"PUT", "/api/v1/bookings", "GET, HEAD, POST"},
		{"GET", "/api/v1/auth/login", "POST"},
		{"POST", "/api/v1/venues", "GET, HEAD"},
		{"PATCH", "/api/v1/bookings/ABC", "GET, HEAD, DELETE"},
		{"DELETE", "/api/v1/openapi.json", "GET, HEAD"},
	} {
		res := ta.Do(t, nil, c.method, c.path, nil)
		allow := map[string]bool{}
		for _, m := range strings.Split(res.Header.Get("Allow"), ",") {
			allow[strings.TrimSpace(m)] = true
		}
		want := map[string]bool{}
		for _, m := range strings.Split(c.allow, ",") {
			want[strings.TrimSpace(m)] = true
		}
		if res.Status != 405 || res.Code() != "method_not_allowed" || len(allow) != len(want) {
			t.Errorf("%s %s: %d %s Allow %q, want 405 method_not_allowed Allow %q", c.method, c.path, res.Status, res.Code(), res.Header.Get("Allow"), c.allow)
			continue
		}
		for m := range want {
			if !allow[m] {
				t.Errorf("%s %s: Allow %q lacks %s", c.method, c.path, res.Header.Get("Allow"), m)
			}
		}
		var p struct{ Type string }
		res.JSON(t, &p)
		if p.Type != "/problems/method_not_allowed" {
			t.Errorf("%s %s: type %q", c.method, c.path, p.Type)
		}
	}
}

// TestUnsupportedMediaType: a body declared as anything but JSON on a JSON
// route is 415 unsupported_media_type and changes nothing; JSON with a
// charset, or a +json type, is read.
func TestUnsupportedMediaType(t *testing.T) {
	ta, tokens := gateApp(t, testkit.Modes(t)[0])
	before := countRows(t, ta)
	s := slots(t, ta, "beibei-library", "2026-03-03")[0]
	body := `{"slot_id":` + itoa(s.ID) + `,"phone":"13912345678","visitors":[{"name":"王芳","id_type":"passport","id_number":"E12345678"}]}`
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "not a type"} {
		res := ta.Do(t, nil, "POST", "/api/v1/bookings", []byte(body), "Content-Type", ct)
		if res.Status != 415 || res.Code() != "unsupported_media_type" {
			t.Errorf("booking sent as %q: %d %s", ct, res.Status, res.Body)
		}
	}
	res := ta.Do(t, nil, "POST", "/api/v1/auth/login", []byte(`username=admin&password=x`), "Content-Type", "application/x-www-form-urlencoded")
	if res.Status != 415 || res.Code() != "unsupported_media_type" {
		t.Errorf("sign-in as a form: %d %s", res.Status, res.Body)
	}
	res = ta.Do(t, nil, "POST", "/api/v1/venues/jinyun-mountain/exits", []byte(`{"gate":"A","count":1}`),
		"Content-Type", "text/plain", "Authorization", tokens["north"])
	if res.Status != 415 {
		t.Errorf("exit as text: %d %s", res.Status, res.Body)
	}
	if after := countRows(t, ta); after != before {
		t.Fatalf("refused bodies changed the store: %v -> %v", before, after)
	}
	for _, ct := range []string{"application/json; charset=utf-8", "application/merge-patch+json"} {
		res := ta.Do(t, nil, "POST", "/api/v1/bookings", []byte(body), "Content-Type", ct)
		if res.Status != 201 && res.Code() != "already_booked" {
			t.Errorf("booking sent as %q: %d %s", ct, res.Status, res.Body)
		}
	}
}

// TestUnauthorizedChallenges: every 401 carries WWW-Authenticate: no
// token, a wrong token, a cookie without its CSRF header, and a wrong
// password at sign-in, whose title says so in both languages.
func TestUnauthorizedChallenges(t *testing.T) {
	ta, _ := gateApp(t, testkit.Modes(t)[0])
	for _, c := range []struct {
		method, path string
		body         any
		header       []string
	}{
		{"GET", "/api/v1/auth/me", nil, nil},
		{"GET", "/api/v1/admin/users", nil, []string{"Authorization", "Bearer not-a-token"}},
		{"POST", "/api/v1/venues/jinyun-mountain/exits", map[string]any{"gate": "A", "count": 1}, []string{"Cookie", "slotgate_session=x; slotgate_csrf=y"}},
		{"POST", "/api/v1/auth/login", map[string]string{"username": "north", "password": "wrong"}, nil},
		{"POST", "/api/v1/auth/login", map[string]string{"username": "nobody", "password": "wrong"}, nil},
	} {
		res := ta.Do(t, nil, c.method, c.path, c.body, c.header...)
		if res.Status != 401 || res.Header.Get("WWW-Authenticate") != `Bearer realm="slotgate"` {
			t.Errorf("%s %s: %d WWW-Authenticate %q", c.method, c.path, res.Status, res.Header.Get("WWW-Authenticate"))
		}
	}
	// The staff sign-in form's 401 too.
	page := ta.Do(t, nil, "GET", "/staff/login", nil)
	csrf := ""
	for _, ck := range strings.Split(page.Header.Get("Set-Cookie"), ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(ck), "slotgate_csrf="); ok {
			csrf = v
		}
	}
	form := "username=north&password=wrong&csrf=" + csrf
	res := ta.Do(t, nil, "POST", "/staff/login", []byte(form), "Content-Type", "application/x-www-form-urlencoded", "Cookie", "slotgate_csrf="+csrf)
	if csrf == "" || res.Status != 401 || res.Header.Get("WWW-Authenticate") != `Bearer realm="slotgate"` {
		t.Errorf("sign-in form with a wrong password (csrf %q): %d WWW-Authenticate %q", csrf, res.Status, res.Header.Get("WWW-Authenticate"))
	}
	for lang, want := range map[string]string{"en": "Wrong username or password", "zh-CN": "用户名或密码错误"} {
		res := ta.Do(t, nil, "POST", "/api/v1/auth/login", map[string]string{"username": "north", "password": "wrong"}, "Accept-Language", lang)
		var p struct{ Title, Detail string }
		res.JSON(t, &p)
		if p.Title != want || p.Detail == "" {
			t.Errorf("wrong password in %s: %q / %q", lang, p.Title, p.Detail)
		}
	}
	// A missing session still asks to sign in.
	res = ta.Do(t, nil, "GET", "/api/v1/auth/me", nil, "Accept-Language", "en")
	var p struct{ Title string }
	res.JSON(t, &p)
	if p.Title != "Sign-in required" {
		t.Errorf("no session: title %q", p.Title)
	}
}

// TestLanguageHeaders: answers whose text follows the request's language
// (problems, pages, the API's pages) say which in Content-Language and
// Vary on Accept-Language; JSON answers carry nosniff.
func TestLanguageHeaders(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	for _, c := range []struct {
		path, accept, want string
	}{
		{"/api/v1/venues/nowhere", "en-GB,en;q=0.9", "en"},
		{"/api/v1/venues/nowhere", "zh-CN", "zh"},
		{"/api/v1/venues/nowhere?lang=en", "zh-CN", "en"},
		{"/api/v1/venues/jinyun-mountain/slots?date=nope", "en", "en"},
		{"/", "en", "en"},
		{"/venues/jinyun-mountain", "zh", "zh"},
		{"/staff/login", "en", "en"},
		{"/admin", "en", "en"},
		{"/problems/not_found", "en", "en"},
		{"/problems/not_found", "zh-TW", "zh"},
		{"/api/docs", "en", "en"},
	} {
		res := ta.Do(t, nil, "GET", c.path, nil, "Accept-Language", c.accept, "Accept", "text/html")
		if got := res.Header.Get("Content-Language"); got != c.want || !varyHas(res.Header, "Accept-Language") {
			t.Errorf("GET %s (%s): %d Content-Language %q Vary %q, want %q and Accept-Language", c.path, c.accept, res.Status, got, res.Header.Values("Vary"), c.want)
		}
	}
	for _, path := range []string{"/api/v1/venues", "/api/v1/venues/nowhere", "/healthz", "/api/v1/openapi.json"} {
		res := ta.Do(t, nil, "GET", path, nil)
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", path, res.Header.Get("X-Content-Type-Options"))
		}
	}
}

// TestProblemPages: every code the server can answer has a page at its
// problem's type, in both languages, saying what it means and what to
// do; and every problem's type is that page.
func TestProblemPages(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	codes := api.APICodes()
	if len(codes) < 20 {
		t.Fatalf("only %d codes", len(codes))
	}
	// Every Code the domain declares is one the server answers with.
	declared := domainCodes(t)
	for _, c := range declared {
		if !slices.Contains(codes, c) {
			t.Errorf("domain code %q has no status (api statusOf), so no page", c)
		}
	}
	if len(declared) < 20 {
		t.Fatalf("only %d codes declared in package domain", len(declared))
	}
	for _, code := range codes {
		for _, lang := range []string{"zh", "en"} {
			res := ta.Do(t, nil, "GET", "/problems/"+code+"?lang="+lang, nil)
			if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Errorf("/problems/%s (%s): %d %s", code, lang, res.Status, res.Header.Get("Content-Type"))
				continue
			}
			doc, err := html.Parse(strings.NewReader(string(res.Body)))
			if err != nil {
				t.Fatal(err)
			}
			var h2, paras int
			var walk func(*html.Node)
			walk = func(n *html.Node) {
				if n.Type == html.ElementNode && n.Data == "h2" {
					h2++
				}
				if n.Type == html.ElementNode && n.Data == "p" && n.FirstChild != nil && len(strings.TrimSpace(n.FirstChild.Data)) > 4 {
					paras++
				}
				for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
					walk(ch)
				}
			}
			walk(doc)
			body := string(res.Body)
			if h2 < 3 || paras < 3 || !strings.Contains(body, `<html lang="`+lang+`">`) || !strings.Contains(body, code) ||
				!strings.Contains(body, `name="description"`) {
				t.Errorf("/problems/%s (%s): %d sections, %d paragraphs:\n%s", code, lang, h2, paras, body)
			}
		}
	}
	if res := ta.Do(t, nil, "GET", "/problems/no_such_code", nil); res.Status != 404 {
		t.Errorf("/problems/no_such_code: %d", res.Status)
	}
	// A problem's type is its page.
	res := ta.Do(t, nil, "GET", "/api/v1/venues/nowhere", nil)
	var p struct{ Type string }
	res.JSON(t, &p)
	if page := ta.Do(t, nil, "GET", p.Type, nil); p.Type != "/problems/not_found" || page.Status != 200 {
		t.Errorf("a 404's type %q answers %d", p.Type, page.Status)
	}
}

// TestAPIDocsPage: /api/docs lists every operation of the document, its
// parameters, schemas and problem codes, from embedded files only.
func TestAPIDocsPage(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	res := ta.Do(t, nil, "GET", "/api/docs?lang=en", nil)
	if res.Status != 200 {
		t.Fatalf("/api/docs: %d", res.Status)
	}
	page := string(res.Body)
	doc := loadOpenAPI(t, ta.Do(t, nil, "GET", "/api/v1/openapi.json", nil).Body)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !strings.Contains(page, `id="`+op.OperationID+`"`) || !strings.Contains(page, "<code>"+path+"</code>") {
				t.Errorf("/api/docs lacks %s %s (%s)", method, path, op.OperationID)
			}
		}
	}
	for name := range doc.Components.Schemas {
		if !strings.Contains(page, `id="schema-`+name+`"`) {
			t.Errorf("/api/docs lacks schema %s", name)
		}
	}
	for _, want := range []string{`href="/problems/sold_out?lang=en"`, "Idempotency-Key", "bearer", "RateLimit-Policy"} {
		if !strings.Contains(page, want) {
			t.Errorf("/api/docs lacks %q", want)
		}
	}
	// Nothing from another host: every src and href is on this server.
	for _, attr := range []string{`src="http`, `href="http`, `src="//`, `href="//`} {
		if strings.Contains(page, attr) {
			t.Errorf("/api/docs loads from elsewhere: %s", attr)
		}
	}
	if css := ta.Do(t, nil, "GET", "/api/docs/assets/docs.css", nil); css.Status != 200 || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
		t.Errorf("docs.css: %d %s", css.Status, css.Header.Get("Content-Type"))
	}
}

// domainCodes are the values of the constants of type Code that package
// domain declares, read from its source.
func domainCodes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, filepath.Join("..", "domain"), func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
						continue
					}
					for _, v := range vs.Values {
						if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							u, _ := strconv.Unquote(lit.Value)
							out = append(out, u)
						}
					}
				}
			}
		}
	}
	return out
}
