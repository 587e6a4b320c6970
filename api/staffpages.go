package api

import (
	"crypto/rand"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// The scanner page for staff at the gate: a phone, or a handheld scanner
// that types what it reads followed by Enter. The page signs in with a
// session cookie and talks to the JSON API with the CSRF header.

//go:embed staffweb
var staffWeb embed.FS

var staffTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"t": func(l Lang, zh, en string) string { return text{zh, en}.in(l) },
}).ParseFS(staffWeb, "staffweb/*.html"))

func (s *server) registerStaffPages(e *echo.Echo) {
	assets, _ := fs.Sub(staffWeb, "staffweb")
	e.GET("/staff", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/staff/scan") })
	e.GET("/staff/login", s.staffLoginPage)
	e.POST("/staff/login", s.staffLogin)
	e.POST("/staff/logout", s.staffLogout)
	e.GET("/staff/scan", s.scanPage)
	e.GET("/staff/assets/*", echo.WrapHandler(http.StripPrefix("/staff/assets/", staffAssets(assets))))
	s.registerAdminPages(e)
}

// staffAssets serves the page's script and style, cached for an hour.
func staffAssets(assets fs.FS) http.Handler {
	files := http.FileServer(http.FS(assets))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// staffPageHeaders keep the staff pages out of frames and off other origins.
func staffPageHeaders(c echo.Context) {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "+
		"connect-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set(echo.HeaderCacheControl, "no-store")
}

type staffLoginView struct {
	Lang     Lang
	CSRF     string
	Username string
	Error    string
	// Next is the page to return to after signing in (ours only).
	Next string
}

// csrfToken is the double-submit token of the staff pages: a random value
// in a cookie that the page's form or script sends back.
func csrfToken(c echo.Context) string {
	if k, err := c.Cookie(csrfCookie); err == nil && len(k.Value) >= 20 {
		return k.Value
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: v, Path: "/", Secure: c.IsTLS(), SameSite: http.SameSiteStrictMode})
	return v
}

// localNext is next when it is one of our staff or admin pages, and ""
// otherwise: a sign-in must never lead to another site.
func localNext(next string) string {
	// Browsers drop tabs and line breaks from addresses and read a
	// backslash as a slash, which would turn "/\t/evil" into "//evil".
	if next == "" || len(next) > 1024 || strings.IndexFunc(next, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) >= 0 ||
		strings.HasPrefix(next, "//") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	for _, root := range []string{"/admin", "/staff"} {
		if u.Path == root || strings.HasPrefix(u.Path, root+"/") {
			return next
		}
	}
	return ""
}

func (s *server) staffLoginPage(c echo.Context) error {
	staffPageHeaders(c)
	return s.renderStaff(c, http.StatusOK, "login.html", staffLoginView{Lang: langOf(c), CSRF: csrfToken(c),
		Next: localNext(c.QueryParam("next"))})
}

func (s *server) staffLogin(c echo.Context) error {
	staffPageHeaders(c)
	l := langOf(c)
	view := staffLoginView{Lang: l, CSRF: csrfToken(c), Username: c.FormValue("username"), Next: localNext(c.FormValue("next"))}
	if k, err := c.Cookie(csrfCookie); err != nil || k.Value != c.FormValue("csrf") {
		view.Error = text{"页面已过期，请重新登录。", "The page expired; please sign in again."}.in(l)
		return s.renderStaff(c, http.StatusForbidden, "login.html", view)
	}
	res, err := s.Accounts.SignIn(c.Request().Context(), view.Username, c.FormValue("password"), c.RealIP())
	setRateLimitHeaders(c, res.Limits)
	if err != nil {
		p := problemOf(err, l)
		view.Error = p.Title
		if p.Status == http.StatusUnauthorized {
			view.Error = text{"用户名或密码不正确。", "Wrong username or password."}.in(l)
		} else if p.RetryAfter > 0 {
			view.Error = text{"尝试次数过多，请 %d 秒后再试。", "Too many attempts; try again in %d s."}.format(l, p.RetryAfter)
		}
		return s.renderStaff(c, p.Status, "login.html", view)
	}
	// The lifetime goes as Max-Age, counted by the browser from now, not as
	// a date: a phone whose clock is off (or a test's clock) keeps the cookie.
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: res.Token, Path: "/", HttpOnly: true, Secure: c.IsTLS(),
		SameSite: http.SameSiteStrictMode, MaxAge: max(int(res.Session.ExpiresAt.Sub(s.Clock.Now()).Seconds()), 1)})
	// Back to the page that asked for a sign-in, or to the scanner.
	next := view.Next
	if next == "" {
		next = "/staff/scan"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *server) staffLogout(c echo.Context) error {
	if k, err := c.Cookie(csrfCookie); err == nil && k.Value == c.FormValue("csrf") {
		if sc, err := c.Cookie(sessionCookie); err == nil {
			_ = s.Accounts.SignOut(c.Request().Context(), sc.Value)
		}
		clearStaffCookies(c)
	}
	return c.Redirect(http.StatusSeeOther, "/staff/login")
}

type scanView struct {
	Lang     Lang
	CSRF     string
	Username string
	Venues   []scanVenue
}

type scanVenue struct {
	Slug         string
	Name         string
	MaxPartySize int
}

// scanPage is the scanner; without a session it sends staff to sign in.
func (s *server) scanPage(c echo.Context) error {
	staffPageHeaders(c)
	sc, err := c.Cookie(sessionCookie)
	if err != nil {
		return c.Redirect(http.StatusSeeOther, "/staff/login")
	}
	sess, err := s.Accounts.Authenticate(c.Request().Context(), sc.Value)
	if err != nil {
		return c.Redirect(http.StatusSeeOther, "/staff/login")
	}
	l := langOf(c)
	view := scanView{Lang: l, CSRF: csrfToken(c), Username: sess.User.Username}
	venues, err := s.Catalog.Venues(c.Request().Context())
	if err != nil {
		return err
	}
	for _, v := range venues {
		if sess.User.Serves(v.ID) {
			view.Venues = append(view.Venues, scanVenue{Slug: v.Slug, Name: pickName(v, l), MaxPartySize: v.MaxPartySize})
		}
	}
	return s.renderStaff(c, http.StatusOK, "scan.html", view)
}

func (s *server) renderStaff(c echo.Context, status int, name string, data any) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return staffTemplates.ExecuteTemplate(c.Response(), name, data)
}
