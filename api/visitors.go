package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// registerVisitors adds the visitor's sign-in by phone and their list of
// bookings ("我的预约").
func (s *server) registerVisitors(v1 *echo.Group) {
	v1.POST("/visitor/sign-in", s.visitorSignIn)
	v1.POST("/visitor/sign-in/verify", s.visitorVerify)
	v1.GET("/visitor/bookings", s.visitorBookings)
}

type visitorSignInBody struct {
	Phone string `json:"phone"`
	OTP   string `json:"otp"`
}

// visitorCodeSentJSON answers a code request: how long the code lives and
// how soon another may be asked for, in seconds.
type visitorCodeSentJSON struct {
	ExpiresIn   int `json:"expires_in"`
	ResendAfter int `json:"resend_after"`
}

// visitorTokenJSON is a visitor token and how long it lasts, in seconds.
type visitorTokenJSON struct {
	Token     string `json:"token"`
	ExpiresIn int    `json:"expires_in"`
}

// visitorSignIn sends a one-time code to the phone: 202, whether or not the
// phone has bookings, so that the answer tells nothing about a number.
func (s *server) visitorSignIn(c echo.Context) error {
	var body visitorSignInBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	limits, err := s.Visitors.RequestCode(c.Request().Context(), body.Phone, c.RealIP())
	SetRateLimitHeaders(c, limits)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, visitorCodeSentJSON{ExpiresIn: int(domain.SignInCodeLifetime.Seconds()),
		ResendAfter: int(domain.SignInResendAfter.Seconds())})
}

func (s *server) visitorVerify(c echo.Context) error {
	var body visitorSignInBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	token, limits, err := s.Visitors.Verify(c.Request().Context(), body.Phone, body.OTP, c.RealIP())
	SetRateLimitHeaders(c, limits)
	if err != nil {
		return visitorAuthFailed(c, err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, visitorTokenJSON{Token: token, ExpiresIn: int(domain.VisitorSessionLength.Seconds())})
}

// visitorBookings lists the bookings of the token's phone, newest first,
// each with its code.
func (s *server) visitorBookings(c echo.Context) error {
	list, err := s.Visitors.Bookings(c.Request().Context(), bearerHeader(c))
	if err != nil {
		return visitorAuthFailed(c, err)
	}
	out := make([]bookingJSON, 0, len(list))
	for _, b := range list {
		j, err := s.bookingOut(c, b)
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, out)
}

// visitorAuthFailed names the scheme on a 401, as every 401 must.
func visitorAuthFailed(c echo.Context, err error) error {
	if domain.CodeOf(err) == domain.CodeUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="slotgate-visitor"`)
	}
	return err
}

// bearerHeader is the token of an Authorization: Bearer header.
func bearerHeader(c echo.Context) string {
	if h := c.Request().Header.Get(echo.HeaderAuthorization); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
