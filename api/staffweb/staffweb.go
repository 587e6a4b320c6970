// Package staffweb holds the scanner page for staff at the gate, and the
// staff and admin sign-in. The scanner is a phone, or a handheld scanner
// that types what it reads followed by Enter. The page signs in with a
// session cookie and talks to the JSON API with the CSRF header.
package staffweb

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"slotgate/api"
	"slotgate/api/pages"
)

// The page's templates, script and style.
//
//go:embed *.html *.css *.js *.svg
var staffWeb embed.FS

var staffTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"t": func(l api.Lang, zh, en string) string { return api.Text{zh, en}.In(l) },
}).ParseFS(staffWeb, "*.html"))

// server answers the staff pages with the use cases the API has.
type server struct {
	api.Deps
}

// Register adds the sign-in and scanner pages to e.
func Register(e *echo.Echo, d api.Deps) {
	s := &server{Deps: d}
	e.GET("/staff", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/staff/scan") })
	e.GET("/staff/login", s.staffLoginPage)
	e.POST("/staff/login", s.staffLogin)
	e.POST("/staff/logout", s.staffLogout)
	e.GET("/staff/scan", s.scanPage)
	e.GET("/staff/assets/*", echo.WrapHandler(http.StripPrefix("/staff/assets/", staffAssets(staffWeb))))
}

// staffAssets serves the page's script and style, cached for an hour.
func staffAssets(assets fs.FS) http.Handler {
	files := http.FileServer(http.FS(assets))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

type staffLoginView struct {
	Lang     api.Lang
	CSRF     string
	Username string
	Error    string
	// Next is the page to return to after signing in (ours only).
	Next string
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
	pages.StaffHeaders(c)
	return s.renderStaff(c, http.StatusOK, "login.html", staffLoginView{Lang: api.LangOf(c), CSRF: pages.StaffCSRFToken(c),
		Next: localNext(c.QueryParam("next"))})
}

func (s *server) staffLogin(c echo.Context) error {
	pages.StaffHeaders(c)
	l := api.LangOf(c)
	view := staffLoginView{Lang: l, CSRF: pages.StaffCSRFToken(c), Username: c.FormValue("username"), Next: localNext(c.FormValue("next"))}
	if k, err := c.Cookie(api.CSRFCookie); err != nil || k.Value != c.FormValue("csrf") {
		view.Error = api.Text{"页面已过期，请重新登录。", "The page expired; please sign in again."}.In(l)
		return s.renderStaff(c, http.StatusForbidden, "login.html", view)
	}
	res, err := s.Accounts.SignIn(c.Request().Context(), view.Username, c.FormValue("password"), c.RealIP())
	api.SetRateLimitHeaders(c, res.Limits)
	if err != nil {
		p := api.ProblemOf(err, l)
		view.Error = p.Title
		if p.Status == http.StatusUnauthorized {
			view.Error = api.Text{"用户名或密码不正确。", "Wrong username or password."}.In(l)
		} else if p.RetryAfter > 0 {
			view.Error = api.Text{"尝试次数过多，请 %d 秒后再试。", "Too many attempts; try again in %d s."}.Format(l, p.RetryAfter)
		}
		return s.renderStaff(c, p.Status, "login.html", view)
	}
	// The lifetime goes as Max-Age, counted by the browser from now, not as
	// a date: a phone whose clock is off (or a test's clock) keeps the cookie.
	c.SetCookie(&http.Cookie{Name: api.SessionCookie, Value: res.Token, Path: "/", HttpOnly: true, Secure: c.IsTLS(),
		SameSite: http.SameSiteStrictMode, MaxAge: max(int(res.Session.ExpiresAt.Sub(s.Clock.Now()).Seconds()), 1)})
	// Back to the page that asked for a sign-in, or to the scanner.
	next := view.Next
	if next == "" {
		next = "/staff/scan"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *server) staffLogout(c echo.Context) error {
	if k, err := c.Cookie(api.CSRFCookie); err == nil && k.Value == c.FormValue("csrf") {
		if sc, err := c.Cookie(api.SessionCookie); err == nil {
			_ = s.Accounts.SignOut(c.Request().Context(), sc.Value)
		}
		api.ClearStaffCookies(c)
	}
	return c.Redirect(http.StatusSeeOther, "/staff/login")
}

type scanView struct {
	Lang     api.Lang
	CSRF     string
	Username string
	Venues   []scanVenue
}

type scanVenue struct {
	Slug         string
	Name         string
	MaxPartySize int
	Today        string // the venue's day, for finding a booking by number
}

// scanPage is the scanner; without a session it sends staff to sign in.
func (s *server) scanPage(c echo.Context) error {
	pages.StaffHeaders(c)
	sc, err := c.Cookie(api.SessionCookie)
	if err != nil {
		return c.Redirect(http.StatusSeeOther, "/staff/login")
	}
	sess, err := s.Accounts.Authenticate(c.Request().Context(), sc.Value)
	if err != nil {
		return c.Redirect(http.StatusSeeOther, "/staff/login")
	}
	l := api.LangOf(c)
	view := scanView{Lang: l, CSRF: pages.StaffCSRFToken(c), Username: sess.User.Username}
	venues, err := s.Catalog.Venues(c.Request().Context())
	if err != nil {
		return err
	}
	for _, v := range venues {
		if sess.User.Serves(v.ID) {
			view.Venues = append(view.Venues, scanVenue{Slug: v.Slug, Name: api.PickName(v, l), MaxPartySize: v.MaxPartySize,
				Today: v.Today(s.Clock.Now()).String()})
		}
	}
	return s.renderStaff(c, http.StatusOK, "scan.html", view)
}

func (s *server) renderStaff(c echo.Context, status int, name string, data any) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return staffTemplates.ExecuteTemplate(c.Response(), name, data)
}
