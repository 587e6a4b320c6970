package domain

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"
)

// Visitors is the use case of a visitor finding their bookings without
// the code: a one-time code sent to the phone, then a visitor token that
// lists that phone's bookings, and that phone's only.
type Visitors struct {
	store    VisitorStore
	bookings *Bookings
	sender   Sender
	ids      IDHasher
	clock    Clock
	log      *slog.Logger
	limiter  Limiter // nil: no per-client limits
	limits   SignInLimits
}

// VisitorStore keeps one-time codes (by the keyed hash of the phone, the
// code itself only as a keyed hash) and visitor sessions.
type VisitorStore interface {
	// PutSignInCode makes otpHash the phone's one live code, unless a code
	// was sent to it after resendAfter: then ErrTooSoon with when to retry.
	PutSignInCode(ctx context.Context, phoneKey, otpHash string, now, expires, resendAfter time.Time) error
	// SpendSignInTry counts one try of the phone's live code and returns its
	// hash; ErrNotFound when there is none, it expired or its tries are spent.
	SpendSignInTry(ctx context.Context, phoneKey string, now time.Time, maxTries int) (string, error)
	// DeleteSignInCode removes the phone's code once it has been used.
	DeleteSignInCode(ctx context.Context, phoneKey string) error
	AddVisitorSession(ctx context.Context, tokenHash, phone string, now, expires time.Time) error
	// VisitorSession returns the phone of a live session; ErrNotFound otherwise.
	VisitorSession(ctx context.Context, tokenHash string, now time.Time) (string, error)
	// BookingsByPhone lists a phone's bookings, newest first, at most limit.
	BookingsByPhone(ctx context.Context, phone string, limit int) ([]Booking, error)
}

// SignInLimits bound code requests per phone and per client address; the
// same client limit counts tries of codes.
type SignInLimits struct {
	ByPhone  LimitPolicy
	ByClient LimitPolicy
}

// DefaultSignInLimits: a visitor may ask again a few times an hour, a
// shared address (a family, a hotel) a few dozen; text messages cost.
func DefaultSignInLimits() SignInLimits {
	return SignInLimits{
		ByPhone:  LimitPolicy{Name: "signin-phone", Quota: 10, Window: time.Hour, Burst: 5},
		ByClient: LimitPolicy{Name: "signin-client", Quota: 60, Window: time.Hour, Burst: 20},
	}
}

// The one-time code's rules.
const (
	SignInCodeDigits   = 6
	SignInCodeLifetime = 5 * time.Minute
	SignInCodeTries    = 5
	// SignInResendAfter is how soon a phone may be sent another code,
	// whatever the request limits (they may be off).
	SignInResendAfter = time.Minute
	// VisitorSessionLength is how long a visitor token lasts.
	VisitorSessionLength = 24 * time.Hour
	// visitorBookingsLimit bounds the list: a phone's bookings of a year or so.
	visitorBookingsLimit = 100
)

// ErrTooSoon is a code asked again before SignInResendAfter.
var ErrTooSoon = errors.New("sign-in code sent moments ago")

// TooSoonError carries when the phone may ask again.
type TooSoonError struct{ RetryAt time.Time }

func (e *TooSoonError) Error() string { return ErrTooSoon.Error() }
func (e *TooSoonError) Unwrap() error { return ErrTooSoon }

// NewVisitors wires the visitor sign-in.
func NewVisitors(store VisitorStore, bookings *Bookings, sender Sender, ids IDHasher, clock Clock, log *slog.Logger) *Visitors {
	return &Visitors{store: store, bookings: bookings, sender: sender, ids: ids, clock: clock, log: log, limits: DefaultSignInLimits()}
}

// LimitWith counts code requests and tries against limits in limiter.
func (v *Visitors) LimitWith(limiter Limiter, limits SignInLimits) {
	v.limiter, v.limits = limiter, limits
}

// phoneKey stands for a phone in the code table.
func (v *Visitors) phoneKey(phone string) string { return v.ids.Hash("visitor-phone", phone) }

// otpHash is the keyed hash a code is kept as: without the key, a copy of
// the table does not give the codes away.
func (v *Visitors) otpHash(phone, otp string) string { return v.ids.Hash("visitor-otp", phone+":"+otp) }

// RequestCode sends a one-time code to phone through the notification
// sender. The code is never stored or logged as it is.
func (v *Visitors) RequestCode(ctx context.Context, phone, clientAddr string) ([]LimitStatus, error) {
	phone, rule, ok := NormalizePhone(phone)
	if !ok {
		return nil, Invalid("phone", rule)
	}
	limits, err := v.allow(ctx, LimitCheck{Policy: v.limits.ByPhone, Subject: v.phoneKey(phone)},
		LimitCheck{Policy: v.limits.ByClient, Subject: clientAddr})
	if err != nil {
		return limits, err
	}
	otp, err := newOTP()
	if err != nil {
		return limits, err
	}
	now := v.clock.Now()
	err = v.store.PutSignInCode(ctx, v.phoneKey(phone), v.otpHash(phone, otp), now, now.Add(SignInCodeLifetime), now.Add(-SignInResendAfter))
	var soon *TooSoonError
	if errors.As(err, &soon) {
		return limits, &Error{Code: CodeRateLimited, RetryAfter: max(soon.RetryAt.Sub(now), time.Second), Detail: "sign-in code resent too soon"}
	}
	if err != nil {
		return limits, err
	}
	n := Notification{Kind: "sign_in_code", Phone: phone, OTP: otp, Text: NotificationText{
		ZH: fmt.Sprintf("您的预约查询验证码为 %s，%d 分钟内有效。请勿告诉他人。", otp, int(SignInCodeLifetime/time.Minute)),
		EN: fmt.Sprintf("Your code to see your bookings is %s. It is valid for %d minutes; do not share it.", otp, int(SignInCodeLifetime/time.Minute)),
	}}
	if err := v.sender.Send(ctx, n); err != nil {
		// The visitor may ask again at once: the code that was not sent goes.
		_ = v.store.DeleteSignInCode(context.WithoutCancel(ctx), v.phoneKey(phone))
		return limits, Unavailable("notification sender", err)
	}
	return limits, nil
}

// Verify checks a one-time code and opens a visitor session for its phone,
// answering its token. A wrong, expired or spent code is ErrUnauthorized.
func (v *Visitors) Verify(ctx context.Context, phone, otp, clientAddr string) (string, []LimitStatus, error) {
	phone, _, ok := NormalizePhone(phone)
	if !ok || len(otp) != SignInCodeDigits || !allDigits(otp) {
		return "", nil, ErrUnauthorized
	}
	limits, err := v.allow(ctx, LimitCheck{Policy: v.limits.ByClient, Subject: clientAddr})
	if err != nil {
		return "", limits, err
	}
	now := v.clock.Now()
	want, err := v.store.SpendSignInTry(ctx, v.phoneKey(phone), now, SignInCodeTries)
	if errors.Is(err, ErrNotFound) {
		return "", limits, ErrUnauthorized
	}
	if err != nil {
		return "", limits, err
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(v.otpHash(phone, otp))) != 1 {
		return "", limits, ErrUnauthorized
	}
	if err := v.store.DeleteSignInCode(ctx, v.phoneKey(phone)); err != nil {
		return "", limits, err
	}
	token, err := randomToken()
	if err != nil {
		return "", limits, err
	}
	if err := v.store.AddVisitorSession(ctx, TokenHash(token), phone, now, now.Add(VisitorSessionLength)); err != nil {
		return "", limits, err
	}
	return token, limits, nil
}

// Phone is the phone a visitor token was opened for; ErrUnauthorized for a
// missing, unknown or expired token.
func (v *Visitors) Phone(ctx context.Context, token string) (string, error) {
	if token == "" || len(token) > 128 {
		return "", ErrUnauthorized
	}
	phone, err := v.store.VisitorSession(ctx, TokenHash(token), v.clock.Now())
	if errors.Is(err, ErrNotFound) {
		return "", ErrUnauthorized
	}
	return phone, err
}

// Bookings lists the bookings of the phone a token stands for, newest first.
func (v *Visitors) Bookings(ctx context.Context, token string) ([]Booking, error) {
	phone, err := v.Phone(ctx, token)
	if err != nil {
		return nil, err
	}
	return v.store.BookingsByPhone(ctx, phone, visitorBookingsLimit)
}

func (v *Visitors) allow(ctx context.Context, checks ...LimitCheck) ([]LimitStatus, error) {
	if v.limiter == nil {
		return nil, nil
	}
	got, err := v.limiter.Allow(ctx, checks...)
	if err != nil {
		v.log.WarnContext(ctx, "sign-in limits unavailable; letting the request through", "err", err)
		return nil, nil
	}
	for _, st := range got {
		if !st.Allowed {
			return got, LimitedError(st)
		}
	}
	return got, nil
}

func newOTP() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}
