package pages

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"slotgate/api"
)

// The visitor pages' forms carry a CSRF token in this field, which repeats
// this cookie.
const (
	FormCSRFCookie = "slotgate_form"
	FormCSRFField  = "_csrf"
)

// ErrCSRF is a form that did not come from one of our pages.
var ErrCSRF = errors.New("csrf check failed")

// FormCSRF checks every form post: browsers that send Sec-Fetch-Site are
// judged by it, others by a token in a cookie that the form repeats (the
// handler finds it as c.Get("csrf")). The cookie is marked Secure when the
// request came over TLS, so one binary serves both a plain-HTTP laptop run
// and HTTPS behind a proxy. A refusal is ErrCSRF.
func FormCSRF() echo.MiddlewareFunc {
	cfg := middleware.CSRFConfig{
		TokenLookup: "form:" + FormCSRFField, CookieName: FormCSRFCookie, CookiePath: "/",
		CookieMaxAge: 12 * 3600, CookieHTTPOnly: true, CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(error, echo.Context) error { return ErrCSRF },
		// A post from another site is refused outright; one from a sibling
		// subdomain must still show the token.
		AllowSecFetchSiteFunc: func(c echo.Context) (bool, error) {
			if c.Request().Header.Get(echo.HeaderSecFetchSite) == "same-site" {
				return false, nil
			}
			return false, ErrCSRF
		},
	}
	plain := middleware.CSRFWithConfig(cfg)
	cfg.CookieSecure = true
	secure := middleware.CSRFWithConfig(cfg)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		overPlain, overTLS := plain(next), secure(next)
		return func(c echo.Context) error {
			if c.Scheme() == "https" {
				return overTLS(c)
			}
			return overPlain(c)
		}
	}
}

// StaffCSRFToken is the double-submit token of the staff and admin pages:
// a random value in a cookie (api.CSRFCookie) that the page's form or
// script sends back, as the JSON API's X-CSRF-Token header for a session
// cookie.
func StaffCSRFToken(c echo.Context) string {
	if k, err := c.Cookie(api.CSRFCookie); err == nil && len(k.Value) >= 20 {
		return k.Value
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{Name: api.CSRFCookie, Value: v, Path: "/", Secure: api.Secure(c), SameSite: http.SameSiteStrictMode})
	return v
}

// StaffHeaders keep the staff and admin pages out of frames and off other
// origins; the scanner may use the camera's blob: frames.
func StaffHeaders(c echo.Context) {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "+
		"connect-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set(echo.HeaderCacheControl, "no-store")
}
