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

// headAsGet answers HEAD wherever GET is answered: the request is routed
// and handled as a GET, and net/http drops the body of a HEAD answer while
// keeping its headers (Content-Length included when the body is small).
// It runs before routing (Echo's Pre), so no route needs a HEAD twin.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodHead {
			g := r.WithContext(r.Context())
			g.Method = http.MethodGet
			c.SetRequest(g)
		}
		return next(c)
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
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
		return echo.ErrUnsupportedMediaType
	}
	return nil
}
