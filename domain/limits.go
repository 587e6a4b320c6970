package domain

import (
	"context"
	"fmt"
	"time"
)

// LimitPolicy is a per-client request limit: Quota requests per Window on
// average, of which Burst may come at once. Exactly: a client that has
// been quiet may make Burst requests at once; after that one request every
// Window/Quota. The policy's Name is its key prefix and its name in the
// RateLimit-Policy header.
type LimitPolicy struct {
	Name   string
	Quota  int
	Window time.Duration
	Burst  int
}

// Interval is the time one request's allowance takes to come back.
func (p LimitPolicy) Interval() time.Duration { return p.Window / time.Duration(p.Quota) }

func (p LimitPolicy) String() string {
	return fmt.Sprintf("%s: %d per %s, burst %d", p.Name, p.Quota, p.Window, p.Burst)
}

// LimitStatus is a limiter's answer for one policy and subject.
type LimitStatus struct {
	Policy     LimitPolicy
	Allowed    bool
	Remaining  int           // requests that could be made at once now
	RetryAfter time.Duration // when refused: until the next request is allowed
	Reset      time.Duration // until the allowance is full again
}

// LimitCheck asks whether subject (a client address, a phone's or an ID's
// hash) may make one more request under policy.
type LimitCheck struct {
	Policy  LimitPolicy
	Subject string
}

// Limiter counts requests per policy and subject. Each check is answered on
// its own (one key each); a refused check changes nothing.
type Limiter interface {
	Allow(ctx context.Context, checks ...LimitCheck) ([]LimitStatus, error)
}

// BookingLimits are the policies a booking request passes before it may
// take places: by client address, by phone number, and by each ID.
type BookingLimits struct {
	ByClient LimitPolicy
	ByPhone  LimitPolicy
	ByID     LimitPolicy
}

// DefaultBookingLimits leave room for a family behind one carrier-grade
// NAT and for retries after "sold out", and stop a script hammering the form.
func DefaultBookingLimits() BookingLimits {
	return BookingLimits{
		ByClient: LimitPolicy{Name: "booking-client", Quota: 60, Window: time.Minute, Burst: 20},
		ByPhone:  LimitPolicy{Name: "booking-phone", Quota: 20, Window: time.Hour, Burst: 5},
		ByID:     LimitPolicy{Name: "booking-id", Quota: 20, Window: time.Hour, Burst: 5},
	}
}

// LimitedError is a rate_limited refusal with the status that refused it.
func LimitedError(s LimitStatus) *Error {
	return &Error{Code: CodeRateLimited, RetryAfter: s.RetryAfter, Limit: &s,
		Detail: "limit " + s.Policy.Name}
}
