package domain

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// FairnessStore keeps no-shows, restrictions and held-back places, and
// erases personal data.
type FairnessStore interface {
	// MarkNoShows marks the venue's confirmed bookings whose slot ended
	// before t as no-shows, each once (a conditional update), records a
	// strike for each of their people, and restricts every ID that reaches
	// the venue's strikes within its window, until the given day.
	MarkNoShows(ctx context.Context, v Venue, endedBefore time.Time, today Date, limit int) (int, error)
	// ReleaseHeldBack opens the held-back places whose time has come, each
	// slot once, calling announce with a slot's id before changing it, and
	// returns the slots with the places they released.
	ReleaseHeldBack(ctx context.Context, now time.Time, announce func(slotID int64)) ([]Released, error)
	// Erase removes names, masked IDs and phones of the venue's bookings
	// (and standby entries) of days before namesBefore, and the ID hashes
	// of days before hashesBefore; counts stay.
	Erase(ctx context.Context, venueID int64, namesBefore, hashesBefore Date) (int, error)
	// Restrictions lists a venue's restrictions in force on day today (every
	// venue's, for venueID 0).
	Restrictions(ctx context.Context, venueID int64, today Date) ([]Restriction, error)
	// LiftRestriction ends a restriction early, with its audit entry.
	LiftRestriction(ctx context.Context, id int64, by string, at time.Time, e AuditEntry) (Restriction, error)
}

// Released is a slot whose held-back places opened.
type Released struct {
	Slot   Slot
	Places int
}

// Restriction keeps an ID from booking at a venue until a day, for no-shows.
type Restriction struct {
	ID       int64
	VenueID  int64
	IDHash   string
	IDMasked string
	Until    Date
	Strikes  int
	Lifted   bool
	LiftedBy string
}

// Fairness runs the jobs that keep access fair: no-shows and their
// restrictions, the release of held-back places, the standby sweep, and
// the erasure of personal data. Every job is safe to run on several
// instances at once: each change is a conditional update.
type Fairness struct {
	catalog  *Catalog
	bookings *Bookings
	store    FairnessStore
	audit    AuditLog
	gate     CapacityGate
	clock    Clock
	log      *slog.Logger
}

// NewFairness wires the fairness jobs.
func NewFairness(catalog *Catalog, bookings *Bookings, store FairnessStore, audit AuditLog, gate CapacityGate, clock Clock, log *slog.Logger) *Fairness {
	return &Fairness{catalog: catalog, bookings: bookings, store: store, audit: audit, gate: gate, clock: clock, log: log}
}

// Report says what one round of the jobs did.
type Report struct {
	NoShows, Released, StandbyBooked, StandbyExpired, Erased int
}

// Round runs every job once.
func (f *Fairness) Round(ctx context.Context) (Report, error) {
	var r Report
	var err error
	if r.NoShows, err = f.MarkNoShows(ctx); err != nil {
		return r, err
	}
	if r.Released, err = f.ReleaseHeldBack(ctx); err != nil {
		return r, err
	}
	if r.StandbyBooked, r.StandbyExpired, err = f.bookings.SweepStandby(ctx); err != nil {
		return r, err
	}
	if r.Erased, err = f.Erase(ctx); err != nil {
		return r, err
	}
	return r, nil
}

// MarkNoShows marks bookings not admitted by their slot's end plus grace.
func (f *Fairness) MarkNoShows(ctx context.Context) (int, error) {
	venues, err := f.catalog.Venues(ctx)
	if err != nil {
		return 0, err
	}
	now := f.clock.Now()
	total := 0
	for _, v := range venues {
		cutoff := now.Add(-time.Duration(v.NoShowGraceMinutes) * time.Minute)
		for {
			n, err := f.store.MarkNoShows(ctx, v, cutoff, v.Today(now), 500)
			if err != nil {
				return total, fmt.Errorf("mark no-shows at %s: %w", v.Slug, err)
			}
			if n > 0 {
				f.bookings.ForgetRestrictions() // new strikes may have made new restrictions
			}
			total += n
			if n < 500 {
				break
			}
		}
	}
	return total, nil
}

// ReleaseHeldBack opens held-back places whose release time has come,
// once, through the capacity gate: the standby list first, then the public.
func (f *Fairness) ReleaseHeldBack(ctx context.Context) (int, error) {
	now := f.clock.Now()
	changes := map[int64]change{}
	released, err := f.store.ReleaseHeldBack(ctx, now, func(slotID int64) {
		changes[slotID] = announceChange(ctx, f.gate, f.log, slotID, now)
	})
	places := 0
	for _, r := range released {
		places += r.Places
		promoted := f.bookings.PromoteStandby(ctx, r.Slot)
		if ch, ok := changes[r.Slot.ID]; ok {
			ch.apply(ctx, r.Places, promoted, r.Slot.Status == SlotOpen)
			delete(changes, r.Slot.ID)
		}
	}
	for _, ch := range changes {
		ch.withdraw(ctx) // another instance released it, or the store failed
	}
	if err != nil {
		return places, err
	}
	if len(released) > 0 {
		f.catalog.Forget()
		f.log.InfoContext(ctx, "held-back places released", "slots", len(released), "places", places)
	}
	return places, nil
}

// Erase removes personal data after each venue's period: names, masked IDs
// and phones EraseAfterDays after the visit; the ID hashes when the no-show
// rule no longer needs them (its window plus a restriction's length).
func (f *Fairness) Erase(ctx context.Context) (int, error) {
	venues, err := f.catalog.Venues(ctx)
	if err != nil {
		return 0, err
	}
	now := f.clock.Now()
	total := 0
	for _, v := range venues {
		// Days at least EraseAfterDays ago are due: the bounds are exclusive.
		today := v.Today(now)
		hashes := today.AddDays(1 - max(v.NoShowWindowDays+v.RestrictionDays, v.EraseAfterDays))
		n, err := f.store.Erase(ctx, v.ID, today.AddDays(1-v.EraseAfterDays), hashes)
		if err != nil {
			return total, fmt.Errorf("erase personal data at %s: %w", v.Slug, err)
		}
		total += n
	}
	return total, nil
}

// Restrictions lists a venue's restrictions in force, for admins.
func (f *Fairness) Restrictions(ctx context.Context, by User, slug string) ([]Restriction, error) {
	if err := requireAdmin(by); err != nil {
		return nil, err
	}
	v, err := f.catalog.Venue(ctx, slug)
	if err != nil {
		return nil, err
	}
	return f.store.Restrictions(ctx, v.ID, v.Today(f.clock.Now()))
}

// LiftRestriction ends a restriction early; the audit log keeps who and why.
func (f *Fairness) LiftRestriction(ctx context.Context, by User, id int64, reason string) (Restriction, error) {
	if err := requireAdmin(by); err != nil {
		return Restriction{}, err
	}
	if err := checkReason(reason, true); err != nil {
		return Restriction{}, err
	}
	now := f.clock.Now()
	r, err := f.store.LiftRestriction(ctx, id, by.Username, now, entry(by, now, AuditRestriction, 0, fmt.Sprintf("restriction %d", id), reason))
	f.bookings.ForgetRestrictions()
	return r, err
}
