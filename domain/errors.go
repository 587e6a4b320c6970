package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Code is the stable machine word that names why a request did not succeed.
// The API sends it as the problem's "code"; the words are fixed by the SPEC.
type Code string

const (
	CodeMalformed       Code = "malformed_request"
	CodeValidation      Code = "validation_failed"
	CodeNotFound        Code = "not_found"
	CodeSoldOut         Code = "sold_out"
	CodeAlreadyBooked   Code = "already_booked"
	CodeSlotClosed      Code = "slot_closed"
	CodeRestricted      Code = "restricted"
	CodeRateLimited     Code = "rate_limited"
	CodeUnavailable     Code = "unavailable"
	CodeNotCancellable  Code = "not_cancellable"
	CodeUnauthorized    Code = "unauthorized"
	CodeForbidden       Code = "forbidden"
	CodeConflict        Code = "conflict"
	CodeInvalidCode     Code = "invalid_code"
	CodeAlreadyAdmitted Code = "already_admitted"
	CodeWrongVenue      Code = "wrong_venue"
	CodeWrongTime       Code = "wrong_time"
	CodeCancelled       Code = "cancelled"
	CodeFlowLimited     Code = "flow_limited"
	CodeBelowBooked     Code = "below_booked"
	// CodeNobodyInside refuses an exit count larger than the people inside.
	CodeNobodyInside Code = "nobody_inside"
	// HTTP-level refusals: the method or the body's media type is wrong.
	CodeMethodNotAllowed     Code = "method_not_allowed"
	CodeUnsupportedMediaType Code = "unsupported_media_type"
	// CodeInternal is the service's own fault; the answer says nothing of the cause.
	CodeInternal Code = "internal"
)

// Error is a refusal the visitor or operator can act on. Its fields carry
// what a message needs (places left, when to retry); Is compares codes only,
// so errors.Is(err, ErrSoldOut) matches every sold-out answer.
type Error struct {
	Code            Code
	Detail          string        // an English sentence for logs; clients get translated text
	Remaining       int           // sold_out: places still free (fewer than asked)
	RetryAfter      time.Duration // rate_limited, flow_limited, unavailable
	RestrictedUntil Date          // restricted: the day the restriction ends
	Field           FieldPath     // already_booked: the visitor whose ID holds a booking; malformed: the field of a wrong type
	Limit           *LimitStatus  // rate_limited: the limit that refused
	MustLeave       int           // flow_limited by occupancy: people who must leave first
	Admission       *Admission    // already_admitted: the admission that used the code
	From, To        time.Time     // wrong_time: the admission window
	VenueID         int64         // wrong_venue: the venue the booking is for
	Booked          int           // below_booked: the places booked
	Inside          int           // nobody_inside: the people counted inside
	OpensAt         time.Time     // slot_closed for a day not yet open: when it opens (venue time)
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return string(e.Code) + ": " + e.Detail
	}
	return string(e.Code)
}

// Is matches another *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels to test against with errors.Is.
var (
	ErrNotFound       = &Error{Code: CodeNotFound}
	ErrSoldOut        = &Error{Code: CodeSoldOut}
	ErrAlreadyBooked  = &Error{Code: CodeAlreadyBooked}
	ErrSlotClosed     = &Error{Code: CodeSlotClosed}
	ErrNotCancellable = &Error{Code: CodeNotCancellable}
	ErrRateLimited    = &Error{Code: CodeRateLimited}
	ErrUnavailable    = &Error{Code: CodeUnavailable}
	ErrInvalidCode    = &Error{Code: CodeInvalidCode}
	ErrConflict       = &Error{Code: CodeConflict}
	ErrValidation     = &Error{Code: CodeValidation}
)

// Unavailable wraps a fault of a part the service needs (database, Redis) so
// that the visitor gets 503 and the log gets the cause.
func Unavailable(part string, err error) error {
	return &unavailableError{part: part, err: err}
}

type unavailableError struct {
	part string
	err  error
}

func (e *unavailableError) Error() string   { return e.part + " unavailable: " + e.err.Error() }
func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.err} }

// Rule names what is wrong with one field; the API turns it into words.
type Rule string

const (
	RuleRequired         Rule = "required"
	RuleSlug             Rule = "slug"
	RuleTimezone         Rule = "timezone"
	RuleHours            Rule = "hours"
	RuleWeekday          Rule = "weekday"
	RulePositive         Rule = "positive"
	RuleNotNegative      Rule = "not_negative"
	RuleTooLarge         Rule = "too_large"
	RuleTooLong          Rule = "too_long"
	RuleDate             Rule = "date"
	RuleOutsideWindow    Rule = "outside_window"
	RulePhone            Rule = "phone"
	RulePhoneNotMobile   Rule = "phone_not_mobile"
	RuleName             Rule = "name"
	RuleIDType           Rule = "id_type"
	RuleIDFormat         Rule = "id_format"
	RuleIDRegion         Rule = "id_region"
	RuleIDBirthDate      Rule = "id_birth_date"
	RuleIDCheckDigit     Rule = "id_check_digit"
	RuleDuplicateID      Rule = "duplicate_id"
	RulePartySize        Rule = "party_size"
	RuleIdempotencyReuse Rule = "idempotency_reuse"
	RuleUsername         Rule = "username"
	RulePasswordLength   Rule = "password_length"
	RuleRole             Rule = "role"
	RuleUnknownVenue     Rule = "unknown_venue"
	RuleGate             Rule = "gate"
	RuleCount            Rule = "count"
	RulePercent          Rule = "percent"
	RuleOneOf            Rule = "one_of"   // exactly one of code, number, id_number
	RulePosition         Rule = "position" // a position the party does not have
)

// FieldError says which field is wrong and by which rule.
type FieldError struct {
	Field FieldPath
	Rule  Rule
	// Limit is the bound a size rule was checked against (party size, length).
	Limit int
}

// ValidationError collects every wrong field of one request.
type ValidationError struct {
	Fields []FieldError
}

// Add records that the top-level field breaks rule.
func (v *ValidationError) Add(field string, rule Rule) { v.AddAt(Field(field), rule) }

// AddAt records that the field at path breaks rule.
func (v *ValidationError) AddAt(path FieldPath, rule Rule) {
	v.Fields = append(v.Fields, FieldError{Field: path, Rule: rule})
}

// AddLimit records that the top-level field breaks a size rule with bound limit.
func (v *ValidationError) AddLimit(field string, rule Rule, limit int) {
	v.Fields = append(v.Fields, FieldError{Field: Field(field), Rule: rule, Limit: limit})
}

// Has reports whether the field at path already has an error.
func (v *ValidationError) Has(field FieldPath) bool {
	for _, f := range v.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// OrNil returns v as an error when it holds any field, nil otherwise.
func (v *ValidationError) OrNil() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return v
}

func (v *ValidationError) Error() string {
	parts := make([]string, len(v.Fields))
	for i, f := range v.Fields {
		parts[i] = fmt.Sprintf("%s: %s", f.Field, f.Rule)
	}
	return "validation failed: " + strings.Join(parts, "; ")
}

// Is matches ErrValidation.
func (v *ValidationError) Is(target error) bool { return target == ErrValidation }

// Invalid is a validation error for a single top-level field.
func Invalid(field string, rule Rule) error { return InvalidAt(Field(field), rule) }

// InvalidAt is a validation error for the single field at path.
func InvalidAt(path FieldPath, rule Rule) error {
	return &ValidationError{Fields: []FieldError{{Field: path, Rule: rule}}}
}

// CodeOf is the code of err, or "" when err is not a refusal the domain knows.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var v *ValidationError
	if errors.As(err, &v) {
		return CodeValidation
	}
	if errors.Is(err, ErrUnavailable) {
		return CodeUnavailable
	}
	return ""
}
