package domain

import (
	"context"
	"time"
)

// AuditEntry is one change an operator made, or one sign-in: who, when,
// what it was before and after, and why.
type AuditEntry struct {
	ID       int64
	At       time.Time
	UserID   int64
	Username string
	Kind     AuditKind
	VenueID  int64
	Subject  string // what changed: "slot 42", "venue beibei-museum", "user north"
	Reason   string
	Before   any // stored as JSON
	After    any
}

// AuditKind names the kind of change.
type AuditKind string

const (
	AuditSlotQuota    AuditKind = "slot_quota"
	AuditDefaultQuota AuditKind = "default_quota"
	AuditClosure      AuditKind = "closure"
	AuditVenueCreate  AuditKind = "venue_create"
	AuditVenueUpdate  AuditKind = "venue_update"
	AuditUserCreate   AuditKind = "user_create"
	AuditUserUpdate   AuditKind = "user_update"
	AuditPassword     AuditKind = "password_reset"
	AuditSignIn       AuditKind = "sign_in"
	AuditSignInFailed AuditKind = "sign_in_failed"
	AuditRestriction  AuditKind = "restriction_lift"
)

// AuditFilter selects audit entries; zero fields select everything.
type AuditFilter struct {
	VenueID  int64
	Username string
	Kind     AuditKind
	From, To time.Time
	Limit    int
	Offset   int
}

// AuditLog keeps the audit entries.
type AuditLog interface {
	AddAudit(ctx context.Context, e AuditEntry) error
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, int, error)
}

// entry starts an audit entry for a change made by u at now.
func entry(u User, now time.Time, kind AuditKind, venueID int64, subject, reason string) AuditEntry {
	return AuditEntry{At: now, UserID: u.ID, Username: u.Username, Kind: kind, VenueID: venueID, Subject: subject, Reason: reason}
}

// MaxPageOffset bounds how far into a listing a page may start: far past
// any real audit log, and far from overflowing (page-1)*per_page.
const MaxPageOffset = 10_000_000

// PageOffset is where page (from 1) of per entries starts, and whether the
// page is within bounds.
func PageOffset(page, per int) (int, bool) {
	if page < 1 || per < 1 || page-1 > MaxPageOffset/per {
		return 0, false
	}
	return (page - 1) * per, true
}
