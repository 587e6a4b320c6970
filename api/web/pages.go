// Package web holds the visitor's pages: venues, a venue's days and slots,
// the booking and standby forms, the confirmation and its printable form,
// cancelling, and looking a booking up. Each handler parses, calls the
// same use case as the JSON API, and renders a template from templates/
// on the shared page layer (package pages).
package web

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"slotgate/api"
	"slotgate/api/pages"
	"slotgate/domain"
)

// The visitor's pages are server-rendered from the templates in templates/,
// embedded in the binary: no build step, nothing fetched from elsewhere.
// They work without JavaScript; static/app.js only makes them nicer
// (live places, adding a visitor row, ID check-digit feedback).
//
//go:embed templates static
var pageFiles embed.FS

// server answers the visitor's pages with the use cases the API has.
type server struct {
	api.Deps
}

// Register adds the visitor's pages to e, and the answer to a path no
// route has. They carry CSRF protection and the language cookie; the JSON
// API under /api/v1 carries neither.
func Register(e *echo.Echo, d api.Deps) {
	s := &server{Deps: d}
	mw := []echo.MiddlewareFunc{s.pageFrame, pages.FormCSRF()}
	e.GET("/", s.homePage, mw...)
	e.GET("/venues/:slug", s.venuePage, mw...)
	e.GET("/book/:slot", s.bookingForm, mw...)
	e.POST("/book/:slot", s.bookingSubmit, mw...)
	e.GET("/book/:slot/standby", s.standbyForm, mw...)
	e.POST("/book/:slot/standby", s.standbySubmit, mw...)
	// Pages that read or cancel by code count like the API's routes.
	byCode := append(mw, s.LimitLookups)
	e.GET("/standby/:token", s.standbyPage, byCode...)
	e.POST("/standby/:token/withdraw", s.withdrawSubmit, byCode...)
	e.GET("/bookings/:code", s.bookingPage, byCode...)
	e.GET("/bookings/:code/print", s.bookingPrintPage, byCode...)
	e.GET("/bookings/:code/cancel", s.cancelPage, byCode...)
	e.POST("/bookings/:code/cancel", s.cancelSubmit, byCode...)
	e.GET("/lookup", s.lookupPage, mw...)
	// By number and phone: a form post, so that the phone stays out of
	// addresses and histories; limited like every lookup.
	e.POST("/lookup/number", s.lookupNumberSubmit, byCode...)
	s.registerMinePages(e, mw)
	e.GET("/assets/:name", visitorPages.ServeAsset)
	e.RouteNotFound("/*", s.pageNotFound)
}

// errNoPage is a path no page answers.
var errNoPage = errors.New("no such page")

// pageFrame wraps every page: security headers, the language switch, and
// an HTML page for any error or panic, so that a visitor never sees JSON,
// a stack trace or a blank page.
func (s *server) pageFrame(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		// Page addresses hold booking codes, which are as good as the booking.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set(echo.HeaderCacheControl, "no-store")
		h.Add(echo.HeaderVary, "Accept-Language")
		pages.KeepLang(c)
		defer func() {
			if r := recover(); r != nil {
				s.Log.ErrorContext(c.Request().Context(), "panic", "route", c.Path(), "err", r, "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}
			if err != nil && !c.Response().Committed {
				err = s.renderFailure(c, err)
			}
		}()
		return next(c)
	}
}

// pageNotFound answers a path no route has: an HTML page for people, the
// usual problem+json for the API and for clients that do not want HTML.
func (s *server) pageNotFound(c echo.Context) error {
	r := c.Request()
	if strings.HasPrefix(r.URL.Path, "/api/") || !strings.Contains(r.Header.Get(echo.HeaderAccept), "text/html") {
		// Echo lets this catch-all outrank its own 405, so it is given
		// back here where a route answers the path by another method.
		if allow := allowedMethods(c.Echo(), r); len(allow) > 0 {
			c.Response().Header().Set(echo.HeaderAllow, strings.Join(allow, ", "))
			return echo.ErrMethodNotAllowed
		}
		return echo.ErrNotFound
	}
	return s.pageFrame(func(echo.Context) error { return errNoPage })(c)
}

// allowedMethods lists the methods that a route other than the catch-all
// answers at r's path.
func allowedMethods(e *echo.Echo, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		ctx := e.NewContext(r, nil)
		e.Router().Find(m, echo.GetPath(r), ctx)
		if p := ctx.Path(); p != "" && p != "/*" {
			allow = append(allow, m)
		}
	}
	return allow
}

// renderFailure shows the page for an error a page handler did not handle
// itself: a refusal the domain knows, a CSRF failure, or a fault of ours.
func (s *server) renderFailure(c echo.Context, err error) error {
	v := s.newView(c, "")
	pv := problemView{Next: []pageLink{{v.text("next.home"), "/"}, {v.text("nav.lookup"), "/lookup"}}}
	var he *echo.HTTPError
	switch {
	case errors.Is(err, pages.ErrCSRF):
		pv.Status, pv.Title, pv.Detail = http.StatusForbidden, v.text("error.csrf.title"), v.text("error.csrf.detail")
	case errors.Is(err, errNoPage), errors.As(err, &he) && he.Code == http.StatusNotFound:
		pv.Status, pv.Title, pv.Detail = http.StatusNotFound, v.text("error.page.missing"), api.Detail(domain.CodeNotFound, v.Lang)
	case errors.As(err, &he) && he.Code < 500:
		p := api.HTTPProblem(he, v.Lang)
		pv.Status, pv.Title, pv.Detail = p.Status, p.Title, p.Detail
	default:
		p := api.ProblemOf(err, v.Lang)
		pv.fill(p, v)
		if p.Status >= 500 {
			s.Log.ErrorContext(c.Request().Context(), "page failed", "route", c.Path(), "status", p.Status, "err", err)
		}
		if p.Code == "internal" {
			pv.Title, pv.Detail = v.text("error.internal"), v.text("error.internal.detail")
		}
	}
	v.Title, v.Data = pv.Title, pv
	if rerr := s.renderPage(c, pv.Status, "problem", v); rerr != nil {
		s.Log.ErrorContext(c.Request().Context(), "render error page", "err", rerr)
		return c.String(http.StatusInternalServerError, api.Title(domain.CodeUnavailable, v.Lang))
	}
	return nil
}

// pageLink is a labelled address on a page.
type pageLink struct {
	Label string
	URL   string
}

// problemView is a refusal or error page: what happened and what to do next.
type problemView struct {
	Status int
	Code   domain.Code
	Title  string
	About  string // the venue and slot the refusal is about, where there is one
	Detail string
	Retry  string // "try again in N seconds", when the answer says when
	Next   []pageLink
}

// fill takes the words of problem p, as the API would send them, and sets
// Retry-After where p asks for it.
func (pv *problemView) fill(p api.Problem, v *pageView) {
	pv.Status, pv.Code, pv.Title, pv.Detail = p.Status, p.Code, p.Title, p.Detail
	if p.RetryAfter > 0 {
		v.c.Response().Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
		pv.Retry = v.textf("next.retry.in", p.RetryAfter)
	}
}

// pageView is what every page template gets: the request's language, its
// CSRF token, the language switch, and the page's own data.
type pageView struct {
	pages.LangView
	Title     string
	CSRF      string
	SwitchURL string
	Nav       string // the navigation entry of this page: "venues" or "lookup"
	Bare      bool   // the printable page: no header, navigation or footer
	Data      any
	c         echo.Context
}

func (s *server) newView(c echo.Context, nav string) *pageView {
	v := &pageView{LangView: pages.LangView{Lang: api.LangOf(c)}, Nav: nav, c: c}
	if tok, ok := c.Get("csrf").(string); ok {
		v.CSRF = tok
	}
	// The switch leads to the same page in the other language; after a
	// form post that is the form's address, without what was typed.
	var query url.Values
	if c.Request().Method == http.MethodGet {
		query = c.QueryParams()
	}
	v.SwitchURL = pages.SwitchURL(c, query, v.Lang)
	return v
}

// T is the page text key in the page's language; templates fail on an
// unknown key, so a missing text is a failed test, not a blank.
func (v *pageView) T(key string) (string, error) {
	t, ok := pageTexts[key]
	if !ok {
		return "", fmt.Errorf("no page text %q", key)
	}
	return t.In(v.Lang), nil
}

// Tf is T with fmt.Sprintf's arguments. In English a text whose first
// number is 1 takes its singular form, the key with ".one", when it has one.
func (v *pageView) Tf(key string, args ...any) (string, error) {
	if v.Lang == api.EN {
		for _, a := range args {
			if n, ok := a.(int); ok {
				if _, has := pageTexts[key+".one"]; has && n == 1 {
					key += ".one"
				}
				break
			}
		}
	}
	s, err := v.T(key)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(s, args...), nil
}

// text is T for Go code, where the keys are constants.
func (v *pageView) text(key string) string {
	s, err := v.T(key)
	if err != nil {
		panic(err)
	}
	return s
}

func (v *pageView) textf(key string, args ...any) string {
	s, err := v.Tf(key, args...)
	if err != nil {
		panic(err)
	}
	return s
}

// renderPage writes visitor page name with status.
func (s *server) renderPage(c echo.Context, status int, name string, v *pageView) error {
	return visitorPages.Render(c, status, name, v)
}

// visitorPages are the visitor's pages, from templates/ and static/.
var visitorPages = pages.NewSet("visitor", pageFiles, "/assets/", nil)

// formKey is a fresh Idempotency-Key for a rendered booking form: posting
// the same form twice (a double click, a reload) books once.
func formKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "form-" + hex.EncodeToString(b[:])
}
