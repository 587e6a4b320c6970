package domain

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// Interval is the time one request's allowance takes to come back; at
// least a microsecond, the limiter's resolution.
func (p LimitPolicy) Interval() time.Duration {
	return max(p.Window/time.Duration(max(p.Quota, 1)), time.Microsecond)
}

func (p LimitPolicy) String() string {
	return fmt.Sprintf("%s: %d per %s, burst %d", p.Name, p.Quota, p.Window, p.Burst)
}

// LimitStatus is a limiter's answer for one policy and subject.
type LimitStatus struct {
	Policy     LimitPolicy
	Allowed    bool
	Remaining  int           // requests that could be made at once now
	RetryAfter time.Duration // when refused: until the request would be allowed (Never: it never will)
	Reset      time.Duration // until the allowance is full again
}

// LimitCheck asks whether subject (a client address, a phone's or an ID's
// hash) may make one more request under policy, or Cost more (0 means 1).
// A cost larger than the policy's burst could never pass: it is refused
// outright, with no retry time.
type LimitCheck struct {
	Policy  LimitPolicy
	Subject string
	Cost    int
	// Look answers without spending anything, whatever the other checks do.
	Look bool
}

// cost is the check's cost, at least 1.
func (c LimitCheck) cost() int { return max(c.Cost, 1) }

// Never is the RetryAfter of a request that no wait would let through.
const Never = time.Duration(-1)

// Limiter counts requests per policy and subject. Each check is answered on
// its own (one key each); a refused check changes nothing, and when one
// check of a request is refused, the request spends none of the others.
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

// LookupLimit bounds reading and cancelling bookings by code, per client
// address: codes are signed, so guessing is futile, but a scraper still costs.
func LookupLimit() LimitPolicy {
	return LimitPolicy{Name: "lookup-client", Quota: 120, Window: time.Minute, Burst: 60}
}

// DecodeLimit bounds the camera frames a staff account sends to be read
// as QR codes: a scanning phone sends about one every 0.7 s.
func DecodeLimit() LimitPolicy {
	return LimitPolicy{Name: "decode-staff", Quota: 120, Window: time.Minute, Burst: 10}
}

// DefaultLimits are every per-client limit by name, as the
// SLOTGATE_RATE_LIMITS setting names them.
func DefaultLimits() map[string]LimitPolicy {
	b, l, v := DefaultBookingLimits(), DefaultLoginLimits(), DefaultSignInLimits()
	out := map[string]LimitPolicy{}
	for _, p := range []LimitPolicy{b.ByClient, b.ByPhone, b.ByID, l.ByUser, l.ByClient, l.ByUserClient, LookupLimit(), DecodeLimit(), v.ByPhone, v.ByClient} {
		out[p.Name] = p
	}
	return out
}

// LocalLimiter is GCRA in this process's memory: what the abuse limits fall
// back to when Redis is out of reach. Each instance counts on its own, so
// a client may get up to the limit from each; capacity never falls back.
type LocalLimiter struct {
	mu  sync.Mutex
	tat map[string]time.Time
	now func() time.Time
}

// NewLocalLimiter counts on the machine's monotonic clock.
func NewLocalLimiter() *LocalLimiter {
	return &LocalLimiter{tat: map[string]time.Time{}, now: time.Now}
}

// maxLocalKeys bounds the fallback's memory; past it, expired keys go.
const maxLocalKeys = 200_000

// Allow answers each check as the Redis limiter would: when any is
// refused, none is spent.
func (l *LocalLimiter) Allow(_ context.Context, checks ...LimitCheck) ([]LimitStatus, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.tat) > maxLocalKeys {
		for k, t := range l.tat {
			if t.Before(now) {
				delete(l.tat, k)
			}
		}
	}
	out := make([]LimitStatus, len(checks))
	next := make(map[string]time.Time, len(checks))
	allowed := true
	for i, c := range checks {
		key := c.Policy.Name + ":" + c.Subject
		interval := c.Policy.Interval()
		if c.cost() > c.Policy.Burst {
			out[i], allowed = LimitStatus{Policy: c.Policy, RetryAfter: Never}, false
			continue
		}
		tat, seen := next[key] // a key checked twice in one call counts twice
		if !seen {
			tat = l.tat[key]
		}
		if tat.Before(now) {
			tat = now
		}
		newTat := tat.Add(time.Duration(c.cost()) * interval)
		allowAt := newTat.Add(-time.Duration(c.Policy.Burst) * interval)
		if now.Before(allowAt) {
			out[i], allowed = LimitStatus{Policy: c.Policy, RetryAfter: allowAt.Sub(now), Reset: tat.Sub(now)}, false
			continue
		}
		if !c.Look {
			next[key] = newTat
		}
		out[i] = LimitStatus{Policy: c.Policy, Allowed: true, Remaining: int(now.Sub(allowAt) / interval), Reset: newTat.Sub(now)}
	}
	if allowed || len(checks) == 1 {
		maps.Copy(l.tat, next)
	}
	return out, nil
}

// FallbackLimiter asks Redis, and its local limiter while Redis fails,
// telling OnChange when it switches either way.
type FallbackLimiter struct {
	Primary  Limiter
	Local    Limiter
	OnChange func(fallingBack bool, err error)

	mu      sync.Mutex
	falling bool
}

// Allow answers from Redis, or locally when Redis does not answer.
func (f *FallbackLimiter) Allow(ctx context.Context, checks ...LimitCheck) ([]LimitStatus, error) {
	out, err := f.Primary.Allow(ctx, checks...)
	f.switchTo(err != nil, err)
	if err == nil {
		return out, nil
	}
	return f.Local.Allow(ctx, checks...)
}

// FallingBack reports whether the limits are being counted in-process.
func (f *FallbackLimiter) FallingBack() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.falling
}

func (f *FallbackLimiter) switchTo(falling bool, err error) {
	f.mu.Lock()
	changed := f.falling != falling
	f.falling = falling
	f.mu.Unlock()
	if changed && f.OnChange != nil {
		f.OnChange(falling, err)
	}
}

// OverrideLimits reads "name=quota/window+burst,..." (e.g.
// "booking-client=120/1m+40", the SLOTGATE_RATE_LIMITS setting) into the
// policies of those names. A quota, window or burst must be positive, and
// the interval between requests at least the limiter's microsecond.
func OverrideLimits(spec string, policies ...*LimitPolicy) error {
	targets := map[string]*LimitPolicy{}
	for _, p := range policies {
		targets[p.Name] = p
	}
	for _, item := range strings.Split(spec, ",") {
		name, rule, ok := strings.Cut(strings.TrimSpace(item), "=")
		p, known := targets[name]
		if !ok || !known {
			return fmt.Errorf("%q is not name=quota/window+burst with a known name (on, off, or %s)", item, strings.Join(slices.Sorted(maps.Keys(targets)), ", "))
		}
		rate, burst, ok1 := strings.Cut(rule, "+")
		quota, window, ok2 := strings.Cut(rate, "/")
		q, err1 := strconv.Atoi(quota)
		w, err2 := time.ParseDuration(window)
		b, err3 := strconv.Atoi(burst)
		if !ok1 || !ok2 || err1 != nil || err2 != nil || err3 != nil || q <= 0 || w <= 0 || b <= 0 {
			return fmt.Errorf("%q: want quota/window+burst, e.g. 60/1m+20", item)
		}
		p.Quota, p.Window, p.Burst = q, w, b
	}
	return nil
}
