package api

import (
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// authChallenge is the WWW-Authenticate of every 401: the API takes a
// bearer token (or the session cookie with its CSRF header).
const authChallenge = `Bearer realm="slotgate"`

// AnswerHead adds a HEAD route beside every GET route that has none,
// answered by the GET route's own handler (its middleware included);
// net/http drops the body of a HEAD answer and keeps its headers. The
// composition root calls it once every route (the API's and the pages')
// is registered, so that a GET route added anywhere gets its HEAD.
func AnswerHead(e *echo.Echo) {
	has := map[string]bool{}
	for _, r := range e.Routes() {
		has[r.Method+" "+r.Path] = true
	}
	for _, r := range e.Routes() {
		if r.Method != http.MethodGet || has[http.MethodHead+" "+r.Path] {
			continue
		}
		has[http.MethodHead+" "+r.Path] = true
		e.Add(http.MethodHead, r.Path, func(c echo.Context) error {
			e.Router().Find(http.MethodGet, echo.GetPath(c.Request()), c)
			return c.Handler()(c)
		})
	}
}

// allowHead adds HEAD to an Allow field that lists GET, since headAsGet
// answers it.
func allowHead(h http.Header) {
	allow := h.Get(echo.HeaderAllow)
	if allow == "" {
		return
	}
	methods := strings.Split(allow, ",")
	get, head := false, false
	for _, m := range methods {
		switch strings.TrimSpace(m) {
		case http.MethodGet:
			get = true
		case http.MethodHead:
			head = true
		}
	}
	if get && !head {
		h.Set(echo.HeaderAllow, allow+", "+http.MethodHead)
	}
}

// noSniff tells browsers to take every answer for the type it says it is.
func noSniff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderXContentTypeOptions, "nosniff")
		return next(c)
	}
}

// setContentLanguage marks an answer whose text was chosen by the
// request's language: it says which, and that caches must key on
// Accept-Language.
func setContentLanguage(c echo.Context, l Lang) {
	h := c.Response().Header()
	h.Set("Content-Language", string(l))
	for _, v := range h.Values(echo.HeaderVary) {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Accept-Language") {
				return
			}
		}
	}
	h.Add(echo.HeaderVary, "Accept-Language")
}

// requireJSON refuses a request body that says it is not JSON with 415. A
// body without a Content-Type is read as JSON, as it always was.
func requireJSON(c echo.Context) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if ct == "" || ct == echo.MIMEApplicationJSON {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
		return echo.ErrUnsupportedMediaType
	}
	return nil
}

// answerHeaders completes every answer just before its header goes out:
// an HTML answer says the language its text was written in (the
// request's, by ?lang=, the pages' cookie or Accept-Language) unless the
// handler said so itself, and every 401 (the sign-in form's too) carries
// its WWW-Authenticate challenge.
func answerHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		res.Before(func() {
			h := res.Header()
			if strings.HasPrefix(h.Get(echo.HeaderContentType), echo.MIMETextHTML) && h.Get("Content-Language") == "" {
				setContentLanguage(c, LangOf(c))
			}
			if res.Status == http.StatusUnauthorized && h.Get(echo.HeaderWWWAuthenticate) == "" {
				h.Set(echo.HeaderWWWAuthenticate, authChallenge)
			}
		})
		return next(c)
	}
}

// compressible says which answers gzip may compress when asked: the
// pages and their CSS and JS, and the OpenAPI document. The API's other
// JSON is left alone (it is small), as are images, which are compressed
// already, /metrics (promhttp compresses its own), and the health checks.
func compressible(c echo.Context) bool {
	p := c.Request().URL.Path
	switch {
	case p == "/api/v1/openapi.json":
		return true
	case strings.HasPrefix(p, "/api/v1/"), p == "/metrics", p == "/healthz", p == "/readyz":
		return false
	case strings.HasSuffix(p, ".png"), strings.HasSuffix(p, ".jpg"), strings.HasSuffix(p, ".jpeg"), strings.HasSuffix(p, ".ico"):
		return false
	}
	return true
}
