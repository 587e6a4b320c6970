package api

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail,omitempty"`
	Code   domain.Code    `json:"code"`
	Errors []FieldProblem `json:"errors,omitempty"`
	// Remaining is set on sold_out: the places still free, fewer than asked.
	Remaining *int `json:"remaining,omitempty"`
	// RetryAfter is set with the Retry-After header, in seconds.
	RetryAfter int `json:"retry_after,omitempty"`

	// Refused scans carry what staff need at the gate.
	Booking   *bookingJSON      `json:"booking,omitempty"`
	Admission *admissionRefJSON `json:"admission,omitempty"`
	Window    *windowJSON       `json:"window,omitempty"`
	Venue     string            `json:"venue,omitempty"`
	MustLeave int               `json:"must_leave,omitempty"`
	// RestrictedUntil is the day a restriction for no-shows ends.
	RestrictedUntil string `json:"restricted_until,omitempty"`
}

type admissionRefJSON struct {
	At   string `json:"at"`
	Gate string `json:"gate"`
}

type windowJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// FieldProblem says what is wrong with one field.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Rule    string `json:"rule"`
}

var statusOf = map[domain.Code]int{
	domain.CodeMalformed:       http.StatusBadRequest,
	domain.CodeValidation:      http.StatusUnprocessableEntity,
	domain.CodeNotFound:        http.StatusNotFound,
	domain.CodeSoldOut:         http.StatusConflict,
	domain.CodeAlreadyBooked:   http.StatusConflict,
	domain.CodeSlotClosed:      http.StatusConflict,
	domain.CodeRestricted:      http.StatusForbidden,
	domain.CodeRateLimited:     http.StatusTooManyRequests,
	domain.CodeUnavailable:     http.StatusServiceUnavailable,
	domain.CodeNotCancellable:  http.StatusConflict,
	domain.CodeUnauthorized:    http.StatusUnauthorized,
	domain.CodeForbidden:       http.StatusForbidden,
	domain.CodeConflict:        http.StatusConflict,
	domain.CodeInvalidCode:     http.StatusUnprocessableEntity,
	domain.CodeAlreadyAdmitted: http.StatusConflict,
	domain.CodeWrongVenue:      http.StatusConflict,
	domain.CodeWrongTime:       http.StatusConflict,
	domain.CodeCancelled:       http.StatusGone,
	domain.CodeFlowLimited:     http.StatusTooManyRequests,
	domain.CodeBelowBooked:     http.StatusConflict,
}

// unavailableRetry is what a 503 asks clients to wait before trying again.
const unavailableRetry = 2

// ProblemOf turns any error a handler returns into the problem to send,
// in language l. Errors the domain does not know become a 500 whose
// detail says nothing of the cause.
func ProblemOf(err error, l Lang) Problem {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return HTTPProblem(he, l)
	}
	code := domain.CodeOf(err)
	status, known := statusOf[code]
	if !known {
		return Problem{Type: "about:blank", Title: map[Lang]string{ZH: "服务器内部错误", EN: "Internal error"}[l],
			Status: http.StatusInternalServerError, Code: "internal"}
	}
	p := Problem{Type: "/problems/" + string(code), Title: titles[code].In(l), Status: status, Code: code}
	if d, ok := details[code]; ok {
		p.Detail = d.In(l)
	}
	var v *domain.ValidationError
	if errors.As(err, &v) {
		for _, f := range v.Fields {
			p.Errors = append(p.Errors, FieldProblem{Field: f.Field, Message: RuleText(f, l), Rule: string(f.Rule)})
		}
	}
	var de *domain.Error
	if errors.As(err, &de) {
		switch code {
		case domain.CodeSoldOut:
			if de.Remaining > 0 {
				r := de.Remaining
				p.Remaining = &r
				p.Detail = fmt.Sprintf(Text{"仅剩 %d 个名额，请减少人数或选择其他时段。", "Only %d places left; book fewer people or choose another slot."}.In(l), r)
			}
		case domain.CodeMalformed:
			if de.Field != "" {
				p.Errors = []FieldProblem{{Field: de.Field, Rule: "type", Message: Text{"类型不正确", "has the wrong type"}.In(l)}}
			}
		case domain.CodeAlreadyBooked:
			if de.Field != "" {
				p.Errors = []FieldProblem{{Field: de.Field, Rule: string(code), Message: Text{"该证件当天已有预约", "already holds a booking that day"}.In(l)}}
			}
		case domain.CodeRestricted:
			if !de.RestrictedUntil.IsZero() {
				p.Detail = Text{"因多次预约未到，该证件暂停预约，%s 起可再预约。", "This ID missed too many bookings; it may book again from %s."}.Format(l, de.RestrictedUntil)
				p.RestrictedUntil = de.RestrictedUntil.String()
			}
		}
		if de.RetryAfter > 0 {
			p.RetryAfter = int(math.Ceil(de.RetryAfter.Seconds()))
		}
	}
	if code == domain.CodeUnavailable && p.RetryAfter == 0 {
		p.RetryAfter = unavailableRetry
	}
	return p
}

// HTTPProblem is the problem for an error Echo itself raised (no route,
// wrong method, a body too large).
func HTTPProblem(he *echo.HTTPError, l Lang) Problem {
	code := domain.CodeMalformed
	switch he.Code {
	case http.StatusNotFound:
		code = domain.CodeNotFound
	case http.StatusUnauthorized:
		code = domain.CodeUnauthorized
	case http.StatusForbidden:
		code = domain.CodeForbidden
	case http.StatusServiceUnavailable:
		code = domain.CodeUnavailable
	}
	p := Problem{Type: "/problems/" + string(code), Title: titles[code].In(l), Status: he.Code, Code: code}
	if he.Code == http.StatusRequestEntityTooLarge {
		p.Detail = Text{"请求内容过大。", "The request body is too large."}.In(l)
	} else if he.Code == http.StatusMethodNotAllowed {
		p.Detail = Text{"不支持该请求方法。", "This method is not allowed here."}.In(l)
	}
	return p
}

// errorHandler is Echo's one HTTPErrorHandler: it writes problem+json and
// logs only what is the service's fault.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := ProblemOf(err, LangOf(c))
		if p.Status >= 500 {
			log.ErrorContext(c.Request().Context(), "request failed", "route", c.Path(), "status", p.Status, "err", err)
		}
		_ = writeProblem(c, p)
	}
}

// writeProblem sends p as problem+json, with Retry-After when it has one.
func writeProblem(c echo.Context, p Problem) error {
	if p.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	if c.Request().Method == http.MethodHead {
		return c.NoContent(p.Status)
	}
	// c.JSON keeps a Content-Type already set.
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	return c.JSON(p.Status, p)
}
