package domain

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Role is what a signed-in user may do.
type Role string

const (
	RoleStaff Role = "staff" // admits, counts exits, registers walk-ins at their venues
	RoleAdmin Role = "admin" // everything, at every venue
)

// User is a staff or admin account.
type User struct {
	ID       int64
	Username string
	Role     Role
	VenueIDs []int64 // the venues a staff member serves
	Disabled bool
	// PasswordHash is the slow hash of the password; only the store and
	// Accounts see it.
	PasswordHash string
}

// Serves reports whether u may act at venue: admins everywhere, staff at
// the venues assigned to them.
func (u User) Serves(venueID int64) bool {
	return u.Role == RoleAdmin || slices.Contains(u.VenueIDs, venueID)
}

// Session is a signed-in user and when the sign-in ends.
type Session struct {
	User      User
	ExpiresAt time.Time
}

// AccountStore keeps users and sessions.
type AccountStore interface {
	// AddUser creates a user; ErrConflict if the username is taken.
	AddUser(ctx context.Context, u User) (User, error)
	UserByName(ctx context.Context, username string) (User, error)
	SetPassword(ctx context.Context, userID int64, hash string) error
	// AddSession stores a session under the hash of its token.
	AddSession(ctx context.Context, tokenHash string, userID int64, expires time.Time) error
	// SessionUser finds the unexpired session's user.
	SessionUser(ctx context.Context, tokenHash string, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
	// DeleteSessions signs a user out everywhere.
	DeleteSessions(ctx context.Context, userID int64) error
}

// PasswordHasher hashes passwords with a slow hash (bcrypt).
type PasswordHasher interface {
	Hash(password string) (string, error)
	Check(hash, password string) bool
}

// Accounts signs staff in and out and manages their accounts.
type Accounts struct {
	store     AccountStore
	passwords PasswordHasher
	catalog   *Catalog
	clock     Clock
	log       *slog.Logger
	limiter   Limiter
	limits    LoginLimits
	auditLog  AuditLog // nil: sign-ins are not audited
	// SessionLength is how long a sign-in lasts: one working day.
	SessionLength time.Duration
	// dummyHash is checked against when the user does not exist, so that
	// a wrong username costs as long as a wrong password.
	dummyHash string
}

// LoginLimits bound sign-in attempts per client address, and failed ones
// per account and address and per account.
type LoginLimits struct {
	ByUser       LimitPolicy // failures on an account from anywhere; spares addresses that have not failed on it
	ByClient     LimitPolicy // every attempt from an address
	ByUserClient LimitPolicy // failures on an account from one address
}

// DefaultLoginLimits let a person mistype a few times and stop guessing.
func DefaultLoginLimits() LoginLimits {
	return LoginLimits{
		ByUser:       LimitPolicy{Name: "login-user", Quota: 100, Window: 15 * time.Minute, Burst: 50},
		ByClient:     LimitPolicy{Name: "login-client", Quota: 30, Window: 15 * time.Minute, Burst: 10},
		ByUserClient: LimitPolicy{Name: "login-user-client", Quota: 10, Window: 15 * time.Minute, Burst: 5},
	}
}

// NewAccounts wires the accounts use case.
func NewAccounts(store AccountStore, passwords PasswordHasher, catalog *Catalog, clock Clock, log *slog.Logger) *Accounts {
	dummy, _ := passwords.Hash("not a password anyone has")
	return &Accounts{store: store, passwords: passwords, catalog: catalog, clock: clock, log: log,
		SessionLength: 12 * time.Hour, dummyHash: dummy, limits: DefaultLoginLimits()}
}

// LimitWith bounds sign-in attempts with limiter.
func (a *Accounts) LimitWith(limiter Limiter, limits LoginLimits) {
	a.limiter, a.limits = limiter, limits
}

// AuditWith records every sign-in, and every failed one, in log.
func (a *Accounts) AuditWith(log AuditLog) { a.auditLog = log }

func (a *Accounts) auditSignIn(ctx context.Context, u User, username string, ok bool) {
	if a.auditLog == nil {
		return
	}
	kind := AuditSignIn
	if !ok {
		kind = AuditSignInFailed
	}
	e := AuditEntry{At: a.clock.Now(), UserID: u.ID, Username: username, Kind: kind, Subject: "user " + username}
	if err := a.auditLog.AddAudit(context.WithoutCancel(ctx), e); err != nil {
		a.log.ErrorContext(ctx, "write audit entry", "kind", kind, "err", err)
	}
}

// ErrUnauthorized is a failed sign-in or a missing, expired or unknown session.
var ErrUnauthorized = &Error{Code: CodeUnauthorized}

// ErrForbidden is a signed-in user acting beyond their role or venues.
var ErrForbidden = &Error{Code: CodeForbidden}

// SignInResult is a session opened, with its token (shown once and stored
// only as its hash), and the sign-in limits the attempt was counted against.
type SignInResult struct {
	Token   string
	Session Session
	Limits  []LimitStatus
}

// SignIn checks a username and password and opens a session.
//
// Guessing is limited three ways (see the README, "Sign-in limits"): every
// attempt from an address (login-client); failures on one account from one
// address (login-user-client); and failures on one account from anywhere
// (login-user), which spares an address that has not failed on the account:
// others guessing cannot keep the owner out, and a fresh address gets one
// guess before the account's allowance applies to it too.
func (a *Accounts) SignIn(ctx context.Context, username, password, clientAddr string) (SignInResult, error) {
	var res SignInResult
	name, valid := CanonicalUsername(username)
	pair := LimitCheck{Policy: a.limits.ByUserClient, Subject: name + "|" + clientAddr}
	account := LimitCheck{Policy: a.limits.ByUser, Subject: name}
	if a.limiter != nil {
		got, err := a.limiter.Allow(ctx, LimitCheck{Policy: a.limits.ByClient, Subject: clientAddr},
			LimitCheck{Policy: pair.Policy, Subject: pair.Subject, Look: true},
			LimitCheck{Policy: account.Policy, Subject: account.Subject, Look: true})
		if err != nil {
			a.log.WarnContext(ctx, "sign-in limits unavailable; letting the attempt through", "err", err)
		}
		if len(got) == 3 {
			res.Limits = got
			byClient, byPair, byAccount := got[0], got[1], got[2]
			// An address whose allowance on this account is whole has not failed on it lately.
			failedHere := byPair.Remaining < pair.Policy.Burst-1
			switch {
			case !byClient.Allowed:
				return res, LimitedError(byClient)
			case !byPair.Allowed:
				return res, LimitedError(byPair)
			case !byAccount.Allowed && failedHere:
				return res, LimitedError(byAccount)
			}
		}
	}
	var u User
	var err error = ErrNotFound
	if valid {
		u, err = a.store.UserByName(ctx, name)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return res, err
		}
	}
	hash := u.PasswordHash
	if err != nil {
		hash = a.dummyHash
	}
	if !a.passwords.Check(hash, password) || err != nil || u.Disabled {
		a.auditSignIn(ctx, u, name, false)
		if a.limiter != nil {
			// Each on its own, so that one refusing does not spare the other.
			_, _ = a.limiter.Allow(ctx, pair)
			_, _ = a.limiter.Allow(ctx, account)
		}
		return res, ErrUnauthorized
	}
	token, err := randomToken()
	if err != nil {
		return res, err
	}
	expires := a.clock.Now().Add(a.SessionLength)
	if err := a.store.AddSession(ctx, TokenHash(token), u.ID, expires); err != nil {
		return res, err
	}
	a.auditSignIn(ctx, u, name, true)
	u.PasswordHash = ""
	res.Token, res.Session = token, Session{User: u, ExpiresAt: expires}
	return res, nil
}

// Authenticate finds the session a token opens.
func (a *Accounts) Authenticate(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > 128 {
		return Session{}, ErrUnauthorized
	}
	s, err := a.store.SessionUser(ctx, TokenHash(token), a.clock.Now())
	if errors.Is(err, ErrNotFound) {
		return Session{}, ErrUnauthorized
	}
	if err != nil {
		return Session{}, err
	}
	if s.User.Disabled {
		return Session{}, ErrUnauthorized
	}
	s.User.PasswordHash = ""
	return s, nil
}

// SignOut ends the session of token.
func (a *Accounts) SignOut(ctx context.Context, token string) error {
	return a.store.DeleteSession(ctx, TokenHash(token))
}

// NewUser is an account to create.
type NewUser struct {
	Username string
	Password string
	Role     Role
	Venues   []string // slugs
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// CanonicalUsername is the one spelling of a username used everywhere
// (accounts, sign-in, its limits): trimmed and lower-cased. Usernames are
// ASCII: a name with any other character (an accented or full-width
// letter, an invisible one) is not folded onto an account but refused, and
// valid says so.
func CanonicalUsername(s string) (name string, valid bool) {
	name = strings.ToLower(strings.TrimSpace(s))
	return name, usernamePattern.MatchString(name)
}

// MinPasswordLength is the shortest password an account may have.
const MinPasswordLength = 10

// AddUser creates an account after checking it.
func (a *Accounts) AddUser(ctx context.Context, n NewUser) (User, error) {
	var errs ValidationError
	name, valid := CanonicalUsername(n.Username)
	if !valid {
		errs.Add("username", RuleUsername)
	}
	if len(n.Password) < MinPasswordLength || len(n.Password) > 72 {
		errs.AddLimit("password", RulePasswordLength, MinPasswordLength)
	}
	if n.Role != RoleStaff && n.Role != RoleAdmin {
		errs.Add("role", RuleRole)
	}
	u := User{Username: name, Role: n.Role}
	for i, slug := range n.Venues {
		v, err := a.catalog.Venue(ctx, slug)
		if errors.Is(err, ErrNotFound) {
			errs.AddAt(Element("venues", i), RuleUnknownVenue)
			continue
		} else if err != nil {
			return User{}, err
		}
		u.VenueIDs = append(u.VenueIDs, v.ID)
	}
	if n.Role == RoleStaff && len(n.Venues) == 0 {
		errs.Add("venues", RuleRequired)
	}
	if err := errs.OrNil(); err != nil {
		return User{}, err
	}
	hash, err := a.passwords.Hash(n.Password)
	if err != nil {
		return User{}, fmt.Errorf("hash password: %w", err)
	}
	u.PasswordHash = hash
	u, err = a.store.AddUser(ctx, u)
	u.PasswordHash = ""
	return u, err
}

// User is the account named username, with its password hash.
func (a *Accounts) User(ctx context.Context, username string) (User, error) {
	name, _ := CanonicalUsername(username)
	return a.store.UserByName(ctx, name)
}

// SignOutEverywhere ends every session of a user.
func (a *Accounts) SignOutEverywhere(ctx context.Context, userID int64) error {
	return a.store.DeleteSessions(ctx, userID)
}

// SetPassword changes a user's password and signs them out everywhere.
func (a *Accounts) SetPassword(ctx context.Context, username, password string) error {
	if len(password) < MinPasswordLength || len(password) > 72 {
		return &ValidationError{Fields: []FieldError{{Field: Field("password"), Rule: RulePasswordLength, Limit: MinPasswordLength}}}
	}
	name, _ := CanonicalUsername(username)
	u, err := a.store.UserByName(ctx, name)
	if err != nil {
		return err
	}
	hash, err := a.passwords.Hash(password)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	if err := a.store.SetPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	return a.store.DeleteSessions(ctx, u.ID)
}

// Bootstrap creates the admin account on a store that has none, with
// password, or a random one that it returns so that it can be shown once.
// Instances starting together race on the unique username; one wins.
func (a *Accounts) Bootstrap(ctx context.Context, password string) (generated string, err error) {
	if _, err := a.store.UserByName(ctx, "admin"); err == nil {
		return "", nil
	} else if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	if password == "" {
		if generated, err = randomToken(); err != nil {
			return "", err
		}
		password = generated[:20]
		generated = password
	}
	_, err = a.AddUser(ctx, NewUser{Username: "admin", Password: password, Role: RoleAdmin})
	if errors.Is(err, ErrConflict) {
		return "", nil // another instance made it
	}
	if err != nil {
		return "", fmt.Errorf("bootstrap admin: %w", err)
	}
	return generated, nil
}

// TokenHash is what the store keeps of a session token.
func TokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
