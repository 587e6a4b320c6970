package domain

import (
	"context"
	"fmt"
	"time"
)

// SpecialDay is a day of one venue that departs from the weekly rule: a
// museum open on a public-holiday Monday, with its own hours, or a day
// closed ahead, with the reason.
type SpecialDay struct {
	VenueID   int64     `json:"-"`
	Date      Date      `json:"-"`
	Open      bool      `json:"open"`
	Hours     Hours     `json:"hours"` // an open day's hours
	Reason    string    `json:"reason"`
	UpdatedBy string    `json:"-"`
	UpdatedAt time.Time `json:"-"`
}

// CalendarStore keeps the special days.
type CalendarStore interface {
	// SetDay writes a venue's special day (replacing the one of that date)
	// with its audit entry.
	SetDay(ctx context.Context, d SpecialDay, e AuditEntry) error
	// Days lists a venue's special days from from to to, inclusive.
	Days(ctx context.Context, venueID int64, from, to Date) ([]SpecialDay, error)
}

// AuditSpecialDay is the audit kind of a special day; AuditReopen that of
// the closed slots an opened day opens again.
const (
	AuditSpecialDay AuditKind = "special_day"
	AuditReopen     AuditKind = "reopen"
)

// DayChange is what setting a special day did: the slots it made or opened
// again (an opened day) or the closure it made (a closed day).
type DayChange struct {
	Day       SpecialDay
	Created   int
	Reopened  []Slot
	Closure   ClosureResult
	SlotCount int // the day's slots after the change
}

// SetDay opens a day the weekly rule closes (its slots are made at once,
// with the hours given or the venue's) or a closure closed (its slots not
// yet started sell again; the bookings it cancelled stay cancelled), or
// closes a day ahead: its bookings are cancelled and each visitor told, as
// a closure does. Days before today cannot change.
func (a *Admin) SetDay(ctx context.Context, by User, slug string, d Date, open bool, hours *Hours, reason string) (DayChange, error) {
	if err := requireAdmin(by); err != nil {
		return DayChange{}, err
	}
	if err := checkReason(reason, !open); err != nil {
		return DayChange{}, err
	}
	v, err := a.catalog.Venue(ctx, slug)
	if err != nil {
		return DayChange{}, err
	}
	now := a.clock.Now()
	if d.Before(v.Today(now)) {
		return DayChange{}, Invalid("date", RuleOutsideWindow)
	}
	day := SpecialDay{VenueID: v.ID, Date: d, Open: open, Reason: reason, UpdatedBy: by.Username, UpdatedAt: now}
	if open {
		h := Hours{Open: v.Open, Close: v.Close}
		if wh, ok := v.HoursByWeekday[d.Weekday()]; ok {
			h = wh
		}
		if hours != nil {
			h = *hours
		}
		if h.Open >= h.Close || h.Close > 24*60 {
			return DayChange{}, Invalid("hours", RuleHours)
		}
		day.Hours = h
	}
	subject := fmt.Sprintf("day %s", d)
	e := entry(by, now, AuditSpecialDay, v.ID, subject, reason).with(v.Days[d], day)
	if err := a.admin.SetDay(ctx, day, e); err != nil {
		return DayChange{}, err
	}
	a.catalog.Forget()
	out := DayChange{Day: day}
	if !open {
		res, err := a.Close(ctx, by, slug, d, 0, reason)
		if err != nil {
			return out, err
		}
		out.Closure = res
		return out, nil
	}
	v, err = a.catalog.Venue(ctx, slug)
	if err != nil {
		return out, err
	}
	var slots []Slot
	for _, sl := range v.SlotsOn(d) {
		if !now.Before(sl.HeldBackReleaseAt) {
			sl.HeldBack, sl.HeldBackReleaseAt = 0, time.Time{} // made after the release: nothing to hold
		}
		slots = append(slots, sl)
	}
	if out.Created, err = a.store.AddSlots(ctx, slots); err != nil {
		return out, err
	}
	out.SlotCount = len(slots)
	a.catalog.Forget()
	if out.Reopened, err = a.reopen(ctx, by, v.ID, d, reason, now); err != nil {
		return out, err
	}
	return out, nil
}

// reopen opens again the closed slots of a venue's day that have not
// started, as Close closes them: announced to each bucket before the store
// commits, then applied (sales open again, counts unchanged) or withdrawn.
func (a *Admin) reopen(ctx context.Context, by User, venueID int64, d Date, reason string, now time.Time) ([]Slot, error) {
	day, err := a.store.SlotsOn(ctx, venueID, d)
	if err != nil {
		return nil, err
	}
	changes := map[int64]change{}
	for _, s := range day {
		if s.Status == SlotClosed && now.Before(s.Start) {
			changes[s.ID] = announceChange(ctx, a.gate, a.log, s.ID, now)
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	e := entry(by, now, AuditReopen, venueID, fmt.Sprintf("day %s", d), reason)
	opened, err := a.admin.OpenSlots(ctx, venueID, d, now, e)
	if err != nil {
		for _, ch := range changes {
			ch.withdraw(ctx)
		}
		return nil, err
	}
	for _, s := range opened {
		if ch, ok := changes[s.ID]; ok {
			ch.apply(ctx, 0, 0, s.Status == SlotOpen)
			delete(changes, s.ID)
		}
	}
	for _, ch := range changes {
		ch.withdraw(ctx)
	}
	a.catalog.Forget()
	return opened, nil
}

// Days lists a venue's special days from from to to (at most a year).
func (a *Admin) Days(ctx context.Context, by User, slug string, from, to Date) ([]SpecialDay, error) {
	if err := requireAdmin(by); err != nil {
		return nil, err
	}
	v, err := a.catalog.Venue(ctx, slug)
	if err != nil {
		return nil, err
	}
	if to.Before(from) || from.AddDays(366).Before(to) {
		return nil, Invalid("to", RuleDate)
	}
	return a.admin.Days(ctx, v.ID, from, to)
}
