package api

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

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
	// Inside is set on nobody_inside: the people counted inside.
	Inside *int `json:"inside,omitempty"`
	// RestrictedUntil is the day a restriction for no-shows ends.
	RestrictedUntil string `json:"restricted_until,omitempty"`
	// OpensAt is when a day not yet open for booking opens (RFC 3339).
	OpensAt string `json:"opens_at,omitempty"`
}

type admissionRefJSON struct {
	At   string `json:"at"`
	Gate string `json:"gate"`
}

type windowJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// FieldProblem says what is wrong with one field. Field is its path as
// the API names it; Path holds the same path in parts, for the pages.
type FieldProblem struct {
	Field   string           `json:"field"`
	Message string           `json:"message"`
	Rule    string           `json:"rule"`
	Path    domain.FieldPath `json:"-"`
}

func fieldProblem(path domain.FieldPath, rule, message string) FieldProblem {
	return FieldProblem{Field: path.String(), Message: message, Rule: rule, Path: path}
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
	domain.CodeNobodyInside:    http.StatusConflict,

	domain.CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	domain.CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	domain.CodeInternal:             http.StatusInternalServerError,
}

// problemType is the address of the page that explains code.
func problemType(code domain.Code) string { return "/problems/" + string(code) }

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
	if !known || code == domain.CodeInternal {
		return Problem{Type: problemType(domain.CodeInternal), Title: titles[domain.CodeInternal].In(l),
			Status: http.StatusInternalServerError, Code: domain.CodeInternal}
	}
	p := Problem{Type: problemType(code), Title: titles[code].In(l), Status: status, Code: code}
	if d, ok := details[code]; ok {
		p.Detail = d.In(l)
	}
	var bc badCredentials
	if errors.As(err, &bc) {
		p.Title, p.Detail = credentialsTitle.In(l), credentialsDetail.In(l)
	}
	var v *domain.ValidationError
	if errors.As(err, &v) {
		for _, f := range v.Fields {
			p.Errors = append(p.Errors, fieldProblem(f.Field, string(f.Rule), RuleText(f, l)))
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
		case domain.CodeSlotClosed:
			if !de.OpensAt.IsZero() {
				p.OpensAt = de.OpensAt.Format(time.RFC3339)
				p.Detail = Text{"该日期尚未开放预约，将于 %s 开放。", "This day is not open for booking yet; it opens on %s."}.Format(l, de.OpensAt.Format("01-02 15:04"))
			}
		case domain.CodeMalformed:
			if !de.Field.IsZero() {
				p.Errors = []FieldProblem{fieldProblem(de.Field, "type", Text{"类型不正确", "has the wrong type"}.In(l))}
			}
		case domain.CodeAlreadyBooked:
			if !de.Field.IsZero() {
				p.Errors = []FieldProblem{fieldProblem(de.Field, string(code), Text{"该证件当天已有预约", "already holds a booking that day"}.In(l))}
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
	case http.StatusMethodNotAllowed:
		code = domain.CodeMethodNotAllowed
	case http.StatusUnsupportedMediaType:
		code = domain.CodeUnsupportedMediaType
	case http.StatusNotFound:
		code = domain.CodeNotFound
	case http.StatusUnauthorized:
		code = domain.CodeUnauthorized
	case http.StatusForbidden:
		code = domain.CodeForbidden
	case http.StatusServiceUnavailable:
		code = domain.CodeUnavailable
	}
	p := Problem{Type: problemType(code), Title: titles[code].In(l), Status: he.Code, Code: code}
	if d, ok := details[code]; ok {
		p.Detail = d.In(l)
	}
	if he.Code == http.StatusRequestEntityTooLarge {
		p.Detail = Text{"请求内容过大。", "The request body is too large."}.In(l)
	}
	return p
}

// badCredentials is a sign-in refused for its username or password: a 401
// whose title says so rather than asking to sign in.
type badCredentials struct{ error }

func (b badCredentials) Unwrap() error { return b.error }

var (
	credentialsTitle  = Text{"用户名或密码错误", "Wrong username or password"}
	credentialsDetail = Text{"请检查用户名和密码后重试；账号停用时也无法登录。", "Check the username and password and try again; a disabled account cannot sign in either."}
)

// errorHandler is Echo's one HTTPErrorHandler: it writes problem+json and
// logs only what is the service's fault.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := ProblemOf(err, LangOf(c))
		if p.Status == http.StatusMethodNotAllowed {
			allowHead(c.Response().Header())
		}
		if p.Status >= 500 {
			log.ErrorContext(c.Request().Context(), "request failed", "route", c.Path(), "status", p.Status, "err", err)
		}
		_ = writeProblem(c, p)
	}
}

// writeProblem sends p as problem+json, with Retry-After when it has one
// and a WWW-Authenticate challenge with every 401. Its title and detail
// follow the request's language, which the answer says.
func writeProblem(c echo.Context, p Problem) error {
	h := c.Response().Header()
	if p.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	if p.Status == http.StatusUnauthorized && h.Get(echo.HeaderWWWAuthenticate) == "" {
		h.Set(echo.HeaderWWWAuthenticate, authChallenge)
	}
	setContentLanguage(c, LangOf(c))
	// c.JSON keeps a Content-Type already set.
	h.Set(echo.HeaderContentType, "application/problem+json")
	if c.Request().Method == http.MethodHead {
		return c.NoContent(p.Status)
	}
	return c.JSON(p.Status, p)
}
