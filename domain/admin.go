package domain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// AdminStore keeps what admins change. Every change is written with its
// audit entry in one transaction: no change without a trace.
type AdminStore interface {
	AuditLog
	CalendarStore
	DeskStore
	// ClosureReason is the reason of the latest closure of a venue's day
	// (slotID 0) or of that day or one slot of it; "" when there is none.
	ClosureReason(ctx context.Context, venueID int64, d Date, slotID int64) (string, error)
	AddVenue(ctx context.Context, v Venue, e AuditEntry) (Venue, error)
	UpdateVenue(ctx context.Context, v Venue, e AuditEntry) error
	// SetQuota sets a slot's quota under its row lock. Below the places
	// booked it fails with ErrBelowBooked, unless c.Freeze: then the slot
	// takes the quota, is flagged and sells nothing more.
	SetQuota(ctx context.Context, c QuotaChange, e AuditEntry) (before, after Slot, err error)
	// CloseSlots closes a day's slots (or one), cancels their confirmed
	// bookings, gives their places back and queues one notification per
	// booking, in one transaction.
	CloseSlots(ctx context.Context, c Closure, e AuditEntry, notice func(Booking) NotificationText) (ClosureResult, error)
	// OpenSlots opens again the closed slots of a venue's day that start
	// after at, with their counts as they stand, and writes the audit
	// entry, in one transaction; it returns the slots it opened.
	OpenSlots(ctx context.Context, venueID int64, d Date, at time.Time, e AuditEntry) ([]Slot, error)
	// RemoveEmptySlots deletes the given slots that hold no booking and
	// returns the ones it kept.
	RemoveEmptySlots(ctx context.Context, ids []int64) ([]Slot, error)
	Users(ctx context.Context) ([]User, error)
	UpdateUser(ctx context.Context, u User, e AuditEntry) error
	// DayReport counts, for each slot of a venue's day, its admitted
	// people and its no-shows (confirmed bookings whose slot is over at now).
	DayReport(ctx context.Context, venueID int64, d Date, now time.Time) ([]SlotReport, error)
	// BookingsOn lists a venue's bookings of day d, for the staff list.
	BookingsOn(ctx context.Context, venueID int64, d Date) ([]Booking, error)
	// AdmissionsPerMinute counts admitted people per minute since t.
	AdmissionsPerMinute(ctx context.Context, venueID int64, since time.Time) ([]MinuteCount, error)
}

// QuotaChange is a new quota for one slot.
type QuotaChange struct {
	SlotID int64
	Quota  int
	// Freeze, when the quota is below the places booked: apply it, flag the
	// slot and stop its sales, instead of refusing.
	Freeze bool
	// Manual marks the quota as set by hand, out of the policy's reach.
	Manual bool
}

// Closure is a day (or one slot) closed by an admin.
type Closure struct {
	VenueID int64
	Date    Date
	SlotID  int64 // 0: the whole day
	Reason  string
	UserID  int64
	At      time.Time
}

// ClosureResult is what a closure did.
type ClosureResult struct {
	Slots     []Slot
	Cancelled []Booking
}

// SlotReport is a slot with what happened in it.
type SlotReport struct {
	Slot
	Admitted int // people
	NoShows  int // people of confirmed bookings whose slot is over
}

// MinuteCount is people admitted in one minute.
type MinuteCount struct {
	Minute time.Time
	People int
}

// ErrBelowBooked refuses a quota under the places already booked.
var ErrBelowBooked = &Error{Code: CodeBelowBooked}

// Admin is the admins' use case: venues and their policy, quotas, closures,
// staff accounts, the audit log and the live picture.
type Admin struct {
	catalog  *Catalog
	bookings *Bookings
	store    Store
	admin    AdminStore
	gate     CapacityGate
	accounts *Accounts
	entrance *Admissions
	schedule *Schedule
	clock    Clock
	log      *slog.Logger
}

// AdminDeps are the parts the admin use case works with: the other use
// cases it calls, and the ports it writes through.
type AdminDeps struct {
	Catalog    *Catalog
	Bookings   *Bookings
	Accounts   *Accounts
	Admissions *Admissions
	Schedule   *Schedule
	Store      Store
	Admin      AdminStore
	Gate       CapacityGate
	Clock      Clock
	Log        *slog.Logger
}

// NewAdmin wires the admin use case.
func NewAdmin(d AdminDeps) *Admin {
	return &Admin{catalog: d.Catalog, bookings: d.Bookings, store: d.Store, admin: d.Admin, gate: d.Gate, accounts: d.Accounts,
		entrance: d.Admissions, schedule: d.Schedule, clock: d.Clock, log: d.Log}
}

// Now is the admin use case's clock, for what pages draw in a venue's time.
func (a *Admin) Now() time.Time { return a.clock.Now() }

func requireAdmin(u User) error {
	if u.Role != RoleAdmin {
		return ErrForbidden
	}
	return nil
}

// maxReason bounds the reason given for a change.
const maxReason = 500

func checkReason(reason string, required bool) error {
	n := utf8.RuneCountInString(strings.TrimSpace(reason))
	if (required && n == 0) || n > maxReason {
		return Invalid("reason", RuleRequired)
	}
	return nil
}

// CreateVenue adds a venue and makes its slots at once.
func (a *Admin) CreateVenue(ctx context.Context, by User, v Venue) (Venue, error) {
	if err := requireAdmin(by); err != nil {
		return Venue{}, err
	}
	if err := v.Validate(); err != nil {
		return Venue{}, err
	}
	v.ID = 0
	created, err := a.admin.AddVenue(ctx, v, entry(by, a.clock.Now(), AuditVenueCreate, 0, "venue "+v.Slug, "").with(nil, v))
	if err != nil {
		return Venue{}, err
	}
	a.catalog.Forget()
	if _, err := a.schedule.Materialize(ctx); err != nil {
		return created, err
	}
	return created, nil
}

// ScheduleChange reports what a venue edit did to its slots: slots added,
// empty slots removed, and booked slots kept although the new schedule has
// no place for them (they are never dropped silently).
type ScheduleChange struct {
	Added   int
	Removed int
	Kept    []Slot
}

// UpdateVenue changes a venue's settings. A changed schedule applies to
// slots not yet booked; booked slots that no longer fit are kept and
// reported. Quotas of slots not set by hand follow a changed policy; a slot
// left above its new quota is flagged and sells nothing more.
func (a *Admin) UpdateVenue(ctx context.Context, by User, slug string, v Venue, reason string) (Venue, ScheduleChange, error) {
	if err := requireAdmin(by); err != nil {
		return Venue{}, ScheduleChange{}, err
	}
	old, err := a.catalog.Venue(ctx, slug)
	if err != nil {
		return Venue{}, ScheduleChange{}, err
	}
	v.ID, v.Slug = old.ID, old.Slug
	if err := v.Validate(); err != nil {
		return Venue{}, ScheduleChange{}, err
	}
	if err := checkReason(reason, false); err != nil {
		return Venue{}, ScheduleChange{}, err
	}
	now := a.clock.Now()
	if err := a.admin.UpdateVenue(ctx, v, entry(by, now, AuditVenueUpdate, v.ID, "venue "+v.Slug, reason).with(old, v)); err != nil {
		return Venue{}, ScheduleChange{}, err
	}
	a.catalog.Forget()
	change, err := a.reschedule(ctx, by, old, v, reason)
	return v, change, err
}

// reschedule brings the future slots of a venue in line with its new
// schedule and policy.
func (a *Admin) reschedule(ctx context.Context, by User, old, v Venue, reason string) (ScheduleChange, error) {
	var change ScheduleChange
	now := a.clock.Now()
	today := v.Today(now)
	for i := 0; i <= v.BookingWindowDays+1; i++ {
		d := today.AddDays(i)
		have, err := a.store.SlotsOn(ctx, v.ID, d)
		if err != nil {
			return change, err
		}
		want := v.SlotsOn(d)
		planned := map[int64]Slot{}
		for _, s := range want {
			planned[s.Start.Unix()] = s
		}
		var stale []int64
		for _, s := range have {
			if !now.Before(s.Start) {
				continue // started slots are history
			}
			p, fits := planned[s.Start.Unix()]
			if !fits || !p.End.Equal(s.End) {
				stale = append(stale, s.ID)
				continue
			}
			if !s.ManualQuota && s.Quota != p.Quota && s.Status != SlotClosed {
				if _, err := a.setQuota(ctx, by, s, QuotaChange{SlotID: s.ID, Quota: p.Quota, Freeze: true}, reason, AuditDefaultQuota); err != nil {
					return change, err
				}
			}
		}
		if len(stale) > 0 {
			kept, err := a.admin.RemoveEmptySlots(ctx, stale)
			if err != nil {
				return change, err
			}
			change.Removed += len(stale) - len(kept)
			change.Kept = append(change.Kept, kept...)
		}
	}
	added, err := a.schedule.Materialize(ctx)
	change.Added = added
	a.catalog.Forget()
	if len(change.Kept) > 0 {
		a.log.WarnContext(ctx, "schedule change kept booked slots outside the new hours", "venue", v.Slug, "kept", len(change.Kept))
	}
	return change, err
}

// QuotaSpec is a quota by number, or derived from the venue's approved
// daily capacity times a ratio, shared over the day's slots.
type QuotaSpec struct {
	Quota    *int
	RatioPct *int
}

func (q QuotaSpec) resolve(v Venue, slotsInDay int) (int, error) {
	switch {
	case q.Quota != nil && q.RatioPct == nil:
		if *q.Quota < 0 {
			return 0, Invalid("quota", RuleNotNegative)
		}
		return *q.Quota, nil
	case q.RatioPct != nil && q.Quota == nil:
		if *q.RatioPct < 1 || *q.RatioPct > 100 {
			return 0, Invalid("ratio_pct", RulePercent)
		}
		if v.ApprovedDailyCapacity <= 0 {
			return 0, Invalid("ratio_pct", RuleRequired) // nothing approved to take a share of
		}
		r := v
		r.PolicyRatioPct = *q.RatioPct
		return r.PolicyQuota(slotsInDay), nil
	}
	return 0, Invalid("quota", RuleRequired)
}

// SetSlotQuota changes one slot's quota, MySQL first, then the Redis
// bucket by the difference, so that bookings in flight neither oversell nor
// lose places. Below the places booked it is refused (below_booked) unless
// freeze is asked for.
func (a *Admin) SetSlotQuota(ctx context.Context, by User, slotID int64, spec QuotaSpec, reason string, freeze bool) (Slot, error) {
	if err := requireAdmin(by); err != nil {
		return Slot{}, err
	}
	if err := checkReason(reason, true); err != nil {
		return Slot{}, err
	}
	s, err := a.store.Slot(ctx, slotID)
	if err != nil {
		return Slot{}, err
	}
	v, err := a.catalog.VenueByID(ctx, s.VenueID)
	if err != nil {
		return Slot{}, err
	}
	day, err := a.store.SlotsOn(ctx, v.ID, s.Date)
	if err != nil {
		return Slot{}, err
	}
	quota, err := spec.resolve(v, len(day))
	if err != nil {
		return Slot{}, err
	}
	return a.setQuota(ctx, by, s, QuotaChange{SlotID: slotID, Quota: quota, Freeze: freeze, Manual: true}, reason, AuditSlotQuota)
}

func (a *Admin) setQuota(ctx context.Context, by User, s Slot, c QuotaChange, reason string, kind AuditKind) (Slot, error) {
	now := a.clock.Now()
	e := entry(by, now, kind, s.VenueID, fmt.Sprintf("slot %d", s.ID), reason)
	ch := announceChange(ctx, a.gate, a.log, s.ID, now)
	before, after, err := a.admin.SetQuota(ctx, c, e)
	if err != nil {
		ch.withdraw(ctx)
		return Slot{}, err
	}
	a.syncGate(ctx, ch, before, after)
	a.catalog.Forget()
	return after, nil
}

// syncGate moves the bucket by the announced change's difference and opens
// or stops its sales. Places a raised quota frees go to the standby list
// first: they are booked in MySQL before Redis shows them, in the same
// adjustment. Differences commute, so two admins' changes applied in either
// order leave the right quota; if Redis misses one, reconciliation repairs it.
func (a *Admin) syncGate(ctx context.Context, ch change, before, after Slot) {
	promoted := a.bookings.PromoteStandby(ctx, after)
	ch.apply(ctx, after.Bookable()-before.Bookable(), promoted, after.Status == SlotOpen)
}

// SlotResult is what a change did to one slot of a day.
type SlotResult struct {
	Slot Slot
	Err  error
}

// SetDayQuota changes the quota of every slot of a day that has not
// started, each on its own: one refused slot does not stop the others.
func (a *Admin) SetDayQuota(ctx context.Context, by User, slug string, d Date, spec QuotaSpec, reason string, freeze bool) ([]SlotResult, error) {
	if err := requireAdmin(by); err != nil {
		return nil, err
	}
	if err := checkReason(reason, true); err != nil {
		return nil, err
	}
	v, err := a.catalog.Venue(ctx, slug)
	if err != nil {
		return nil, err
	}
	day, err := a.store.SlotsOn(ctx, v.ID, d)
	if err != nil {
		return nil, err
	}
	quota, err := spec.resolve(v, len(day))
	if err != nil {
		return nil, err
	}
	now := a.clock.Now()
	var out []SlotResult
	for _, s := range day {
		if !now.Before(s.Start) {
			continue
		}
		after, err := a.setQuota(ctx, by, s, QuotaChange{SlotID: s.ID, Quota: quota, Freeze: freeze, Manual: true}, reason, AuditSlotQuota)
		if err != nil && !errors.Is(err, ErrBelowBooked) {
			return out, err
		}
		if err != nil {
			after = s
		}
		out = append(out, SlotResult{Slot: after, Err: err})
	}
	return out, nil
}

// SetDefaultQuota changes the venue's default quota or policy ratio; the
// venue's future slots not set by hand follow it. Lowering it never cancels
// a booking: a slot left above its new quota is flagged and sells nothing more.
func (a *Admin) SetDefaultQuota(ctx context.Context, by User, slug string, spec QuotaSpec, reason string) (Venue, ScheduleChange, error) {
	if err := requireAdmin(by); err != nil {
		return Venue{}, ScheduleChange{}, err
	}
	if err := checkReason(reason, true); err != nil {
		return Venue{}, ScheduleChange{}, err
	}
	v, err := a.catalog.Venue(ctx, slug)
	if err != nil {
		return Venue{}, ScheduleChange{}, err
	}
	old := v
	switch {
	case spec.Quota != nil && spec.RatioPct == nil && *spec.Quota >= 0:
		v.DefaultQuota = *spec.Quota
		v.ApprovedDailyCapacity = 0 // a number replaces the policy
	case spec.RatioPct != nil && spec.Quota == nil && *spec.RatioPct >= 1 && *spec.RatioPct <= 100 && v.ApprovedDailyCapacity > 0:
		v.PolicyRatioPct = *spec.RatioPct
	default:
		if _, err := spec.resolve(v, 1); err != nil {
			return Venue{}, ScheduleChange{}, err
		}
		return Venue{}, ScheduleChange{}, Invalid("quota", RuleRequired)
	}
	if err := a.admin.UpdateVenue(ctx, v, entry(by, a.clock.Now(), AuditDefaultQuota, v.ID, "venue "+v.Slug, reason).with(old, v)); err != nil {
		return Venue{}, ScheduleChange{}, err
	}
	a.catalog.Forget()
	change, err := a.reschedule(ctx, by, old, v, reason)
	return v, change, err
}

// Close closes a day, or one slot, of a venue: its open bookings are
// cancelled, their places and buckets closed, and each visitor is told
// through the outbox.
func (a *Admin) Close(ctx context.Context, by User, slug string, d Date, slotID int64, reason string) (ClosureResult, error) {
	if err := requireAdmin(by); err != nil {
		return ClosureResult{}, err
	}
	if err := checkReason(reason, true); err != nil {
		return ClosureResult{}, err
	}
	v, err := a.catalog.Venue(ctx, slug)
	if err != nil {
		return ClosureResult{}, err
	}
	if slotID != 0 {
		s, err := a.store.Slot(ctx, slotID)
		if err != nil {
			return ClosureResult{}, err
		}
		if s.VenueID != v.ID {
			return ClosureResult{}, ErrNotFound
		}
		d = s.Date
	}
	now := a.clock.Now()
	subject := fmt.Sprintf("day %s", d)
	if slotID != 0 {
		subject = fmt.Sprintf("slot %d", slotID)
	}
	e := entry(by, now, AuditClosure, v.ID, subject, reason)
	changes, err := a.announceClosure(ctx, v.ID, d, slotID, now)
	if err != nil {
		return ClosureResult{}, err
	}
	loc := v.Location()
	res, err := a.admin.CloseSlots(ctx, Closure{VenueID: v.ID, Date: d, SlotID: slotID, Reason: reason, UserID: by.ID, At: now}, e,
		func(b Booking) NotificationText {
			when := b.Slot.Start.In(loc).Format("2006-01-02 15:04")
			return NotificationText{
				ZH:   fmt.Sprintf("【%s】您 %s 的预约（%d 人）因“%s”已取消，名额已释放。", v.NameZH, when, b.PartySize, reason),
				EN:   fmt.Sprintf("[%s] Your booking for %s (%d people) was cancelled: %s.", v.NameEN, when, b.PartySize, reason),
				Code: a.bookings.Code(b),
			}
		})
	if err != nil {
		for _, ch := range changes {
			ch.withdraw(ctx)
		}
		return ClosureResult{}, err
	}
	freed := map[int64]int{}
	for _, b := range res.Cancelled {
		freed[b.Slot.ID] += b.PartySize
	}
	for _, s := range res.Slots {
		if ch, ok := changes[s.ID]; ok {
			ch.apply(ctx, 0, -freed[s.ID], false)
			delete(changes, s.ID)
		}
	}
	for _, ch := range changes {
		ch.withdraw(ctx)
	}
	a.catalog.Forget()
	return res, nil
}

// announceClosure announces the closure to the bucket of each slot it
// may close: the day's, or the one.
func (a *Admin) announceClosure(ctx context.Context, venueID int64, d Date, slotID int64, now time.Time) (map[int64]change, error) {
	ids := []int64{slotID}
	if slotID == 0 {
		day, err := a.store.SlotsOn(ctx, venueID, d)
		if err != nil {
			return nil, err
		}
		ids = ids[:0]
		for _, s := range day {
			ids = append(ids, s.ID)
		}
	}
	changes := make(map[int64]change, len(ids))
	for _, id := range ids {
		changes[id] = announceChange(ctx, a.gate, a.log, id, now)
	}
	return changes, nil
}

// Audit reads the audit log.
func (a *Admin) Audit(ctx context.Context, by User, f AuditFilter) ([]AuditEntry, int, error) {
	if err := requireAdmin(by); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	return a.admin.Audit(ctx, f)
}

// Users lists the accounts.
func (a *Admin) Users(ctx context.Context, by User) ([]User, error) {
	if err := requireAdmin(by); err != nil {
		return nil, err
	}
	return a.admin.Users(ctx)
}

// AddUser creates an account.
func (a *Admin) AddUser(ctx context.Context, by User, n NewUser) (User, error) {
	if err := requireAdmin(by); err != nil {
		return User{}, err
	}
	u, err := a.accounts.AddUser(ctx, n)
	if err != nil {
		return User{}, err
	}
	a.audit(ctx, entry(by, a.clock.Now(), AuditUserCreate, 0, "user "+u.Username, "").with(nil, userView(u)))
	return u, nil
}

// UserChange is what an admin may change of an account; nil leaves a field.
type UserChange struct {
	Disabled *bool
	Role     *Role
	Venues   []string // nil: unchanged
}

// UpdateUser disables or enables an account, or changes its role or venues.
func (a *Admin) UpdateUser(ctx context.Context, by User, username string, c UserChange) (User, error) {
	if err := requireAdmin(by); err != nil {
		return User{}, err
	}
	u, err := a.accounts.User(ctx, username)
	if err != nil {
		return User{}, err
	}
	before := u
	if c.Disabled != nil {
		u.Disabled = *c.Disabled
	}
	if c.Role != nil {
		if *c.Role != RoleStaff && *c.Role != RoleAdmin {
			return User{}, Invalid("role", RuleRole)
		}
		u.Role = *c.Role
	}
	if c.Venues != nil {
		u.VenueIDs = nil
		for i, slug := range c.Venues {
			v, err := a.catalog.Venue(ctx, slug)
			if err != nil {
				return User{}, InvalidAt(Element("venues", i), RuleUnknownVenue)
			}
			u.VenueIDs = append(u.VenueIDs, v.ID)
		}
	}
	if u.ID == by.ID && (u.Disabled || u.Role != RoleAdmin) {
		return User{}, &Error{Code: CodeConflict, Detail: "an admin cannot lock themselves out"}
	}
	if err := a.admin.UpdateUser(ctx, u, entry(by, a.clock.Now(), AuditUserUpdate, 0, "user "+u.Username, "").with(userView(before), userView(u))); err != nil {
		return User{}, err
	}
	if u.Disabled {
		_ = a.accounts.SignOutEverywhere(ctx, u.ID)
	}
	u.PasswordHash = ""
	return u, nil
}

// ResetPassword sets a new password for an account and signs it out.
func (a *Admin) ResetPassword(ctx context.Context, by User, username, password string) error {
	if err := requireAdmin(by); err != nil {
		return err
	}
	if err := a.accounts.SetPassword(ctx, username, password); err != nil {
		return err
	}
	a.audit(ctx, entry(by, a.clock.Now(), AuditPassword, 0, "user "+username, ""))
	return nil
}

func (a *Admin) audit(ctx context.Context, e AuditEntry) {
	if err := a.admin.AddAudit(ctx, e); err != nil {
		a.log.ErrorContext(ctx, "write audit entry", "kind", e.Kind, "err", err)
	}
}

// userView is what the audit log keeps of an account: never its password hash.
func userView(u User) map[string]any {
	return map[string]any{"username": u.Username, "role": u.Role, "venues": u.VenueIDs, "disabled": u.Disabled}
}

func (e AuditEntry) with(before, after any) AuditEntry {
	e.Before, e.After = before, after
	return e
}

// DayView is a venue's day for admins: every slot with its quota, booked,
// admitted, no-shows and remaining places.
func (a *Admin) DayView(ctx context.Context, by User, slug string, d Date) (Venue, []SlotReport, error) {
	if err := requireAdmin(by); err != nil {
		return Venue{}, nil, err
	}
	v, err := a.catalog.Venue(ctx, slug)
	if err != nil {
		return Venue{}, nil, err
	}
	rows, err := a.admin.DayReport(ctx, v.ID, d, a.clock.Now())
	return v, rows, err
}

// StaffList is a venue's bookings of a day, for the list at the entrance:
// names and masked IDs only. Staff of the venue and admins may read it.
func (a *Admin) StaffList(ctx context.Context, by User, slug string, d Date) (Venue, []Booking, error) {
	v, err := a.catalog.Venue(ctx, slug)
	if err != nil {
		return Venue{}, nil, err
	}
	if !by.Serves(v.ID) {
		return Venue{}, nil, ErrForbidden
	}
	bs, err := a.admin.BookingsOn(ctx, v.ID, d)
	return v, bs, err
}

// VenueLive is the live picture of one venue.
type VenueLive struct {
	Venue      Venue
	Occupancy  Occupancy
	PerMinute  []MinuteCount
	Slots      []SlotReport
	NoShows    int
	BookedDay  int
	QuotaDay   int
	AdmitToday int
}

// LiveWindow is how far back the admissions-per-minute series reaches.
const LiveWindow = 3 * time.Hour

// Live is the dashboard: for each venue, people inside against capacity,
// admissions per minute over the last hours, today's slots booked against
// quota, and no-shows so far.
func (a *Admin) Live(ctx context.Context, by User) ([]VenueLive, error) {
	if err := requireAdmin(by); err != nil {
		return nil, err
	}
	venues, err := a.catalog.Venues(ctx)
	if err != nil {
		return nil, err
	}
	now := a.clock.Now()
	out := make([]VenueLive, 0, len(venues))
	for _, v := range venues {
		l := VenueLive{Venue: v}
		if l.Occupancy, err = a.entrance.Occupancy(ctx, by, v.Slug); err != nil {
			return nil, err
		}
		if l.PerMinute, err = a.admin.AdmissionsPerMinute(ctx, v.ID, now.Add(-LiveWindow)); err != nil {
			return nil, err
		}
		if l.Slots, err = a.admin.DayReport(ctx, v.ID, v.Today(now), now); err != nil {
			return nil, err
		}
		for _, s := range l.Slots {
			l.NoShows += s.NoShows
			l.BookedDay += s.Booked
			l.QuotaDay += s.Quota
			l.AdmitToday += s.Admitted
		}
		out = append(out, l)
	}
	return out, nil
}

// ClosureReason says why a venue's day, or one slot of it (slotID not 0),
// was closed by an admin; "" when it was not.
func (a *Admin) ClosureReason(ctx context.Context, venueID int64, d Date, slotID int64) (string, error) {
	return a.admin.ClosureReason(ctx, venueID, d, slotID)
}
