package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"slotgate/api"
	"slotgate/domain"
)

type lookupData struct {
	Code        string
	Error       string
	Number      string // the number typed, written back after a refusal
	NumberError string
}

// lookupNumberSubmit finds a booking by its short number and the phone it
// was booked with, the way a visitor reads them off a message or tells
// them at the desk; a number alone finds nothing.
func (s *server) lookupNumberSubmit(c echo.Context) error {
	v := s.newView(c, "lookup")
	v.Title = v.text("lookup.title")
	number := strings.Join(strings.Fields(c.FormValue("number")), "")
	phone := c.FormValue("phone")
	if number == "" || strings.TrimSpace(phone) == "" {
		v.Data = lookupData{Number: number, NumberError: api.RuleText(domain.FieldError{Rule: domain.RuleRequired}, v.Lang)}
		return s.renderPage(c, http.StatusUnprocessableEntity, "lookup", v)
	}
	b, err := s.Bookings.ByNumber(c.Request().Context(), number, phone)
	switch domain.CodeOf(err) {
	case "":
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/bookings/"+s.Bookings.Code(b))
	case domain.CodeNotFound, domain.CodeValidation:
		v.Data = lookupData{Number: number, NumberError: v.text("lookup.notfound.number")}
		return s.renderPage(c, http.StatusNotFound, "lookup", v)
	}
	return err
}

// lookupPage finds a booking by its code (?code=) and goes to it. A pasted
// link to the booking works as well as the code alone.
func (s *server) lookupPage(c echo.Context) error {
	v := s.newView(c, "lookup")
	v.Title = v.text("lookup.title")
	q := c.Request().URL.Query()
	if !q.Has("code") {
		v.Data = lookupData{}
		return s.renderPage(c, http.StatusOK, "lookup", v)
	}
	code := codeFromInput(q.Get("code"))
	if code == "" {
		v.Data = lookupData{Error: api.RuleText(domain.FieldError{Rule: domain.RuleRequired}, v.Lang)}
		return s.renderPage(c, http.StatusUnprocessableEntity, "lookup", v)
	}
	b, err := s.Bookings.ByCode(c.Request().Context(), code)
	switch domain.CodeOf(err) {
	case "":
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/bookings/"+s.Bookings.Code(b))
	case domain.CodeNotFound:
		// The code is not written back: it may be a mistyped capability.
		v.Data = lookupData{Error: v.text("lookup.notfound")}
		return s.renderPage(c, http.StatusNotFound, "lookup", v)
	}
	return err
}

// codeFromInput takes the code out of what a visitor pasted: the code, or
// a link to the booking, with any spaces or line breaks.
func codeFromInput(in string) string {
	in = strings.Join(strings.Fields(in), "")
	if i := strings.LastIndex(in, "/bookings/"); i >= 0 {
		in = in[i+len("/bookings/"):]
	}
	if i := strings.IndexAny(in, "/?#"); i >= 0 {
		in = in[:i]
	}
	return in
}
