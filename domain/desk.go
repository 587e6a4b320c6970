package domain

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// DeskKeys are what a search at the desk can match: the booking's phone
// or number, a visitor's name, or the keyed hashes of an ID number (one per
// document type). Empty keys match nothing; no key at all lists the day.
type DeskKeys struct {
	Phone  string
	Number string
	Name   string
	Hashes []string
}

// Empty reports whether no key was given.
func (k DeskKeys) Empty() bool {
	return k.Phone == "" && k.Number == "" && k.Name == "" && len(k.Hashes) == 0
}

// DeskStore finds bookings for the desk and counts what the reports show.
type DeskStore interface {
	// SearchBookings lists a venue's bookings of day d (every status)
	// that match one of keys, with their persons.
	SearchBookings(ctx context.Context, venueID int64, d Date, keys DeskKeys) ([]Booking, error)
	// DailyFigures counts persons per day of a venue from from to to.
	DailyFigures(ctx context.Context, venueID int64, from, to Date) ([]DailyFigures, error)
	// Origins counts persons by origin of a venue from from to to.
	Origins(ctx context.Context, venueID int64, from, to Date) ([]OriginCount, error)
}

// maxDeskQuery bounds a desk search.
const maxDeskQuery = 64

// deskKeys reads what a typed query can be: a phone, a booking number, an
// ID number (hashed with each document type), and a name.
func (a *Admin) deskKeys(q string) DeskKeys {
	q = strings.TrimSpace(q)
	if q == "" {
		return DeskKeys{}
	}
	var k DeskKeys
	if p, _, ok := NormalizePhone(q); ok {
		k.Phone = p
	}
	if n := NormalizeID(q); CheckBookingNumber(n) {
		k.Number = n
	}
	if n := NormalizeID(q); len(n) >= 6 && len(n) <= 32 {
		for _, t := range IDTypes {
			k.Hashes = append(k.Hashes, a.bookings.ids.Hash(t, n))
		}
	}
	k.Name = q
	return k
}

// DeskSearch lists a venue's bookings of day d matching q (a phone, a
// booking number, a name or an ID number); an empty q lists the day.
// Admins and the venue's staff may search; the answer carries masked ID
// numbers only, as every booking does.
func (a *Admin) DeskSearch(ctx context.Context, by User, slug string, d Date, q string) (Venue, []Booking, error) {
	v, err := a.catalog.Venue(ctx, slug)
	if err != nil {
		return Venue{}, nil, err
	}
	if !by.Serves(v.ID) {
		return Venue{}, nil, ErrForbidden
	}
	if utf8.RuneCountInString(q) > maxDeskQuery {
		return Venue{}, nil, Invalid("q", RuleTooLong)
	}
	bs, err := a.admin.SearchBookings(ctx, v.ID, d, a.deskKeys(q))
	return v, bs, err
}

// AuditDeskCancel is the audit kind of a cancellation made at the desk;
// NoticeDeskCancelled the kind of the message that tells the visitor.
const (
	AuditDeskCancel     AuditKind = "desk_cancel"
	NoticeDeskCancelled           = "desk_cancelled"
)

// DeskCancel cancels persons of a booking at a visitor's request, at the
// desk: those at positions, or everyone still outside. Staff of the venue
// and admins may, until the slot ends; the audit log names who did it, and
// the booking's phone is told in the cancellation's own transaction.
func (a *Admin) DeskCancel(ctx context.Context, by User, bookingID int64, positions []int, reason string) (Booking, error) {
	b, err := a.store.Booking(ctx, bookingID)
	if err != nil {
		return Booking{}, err
	}
	v, err := a.catalog.VenueByID(ctx, b.VenueID)
	if err != nil {
		return Booking{}, err
	}
	if !by.Serves(v.ID) {
		return Booking{}, ErrForbidden
	}
	if err := checkReason(reason, false); err != nil {
		return Booking{}, err
	}
	now := a.clock.Now()
	if b.Status != BookingConfirmed || !now.Before(b.Slot.End) {
		return b, ErrNotCancellable
	}
	outside := b.Outside()
	if len(positions) == 0 {
		positions = outside
	}
	for _, p := range positions {
		if _, ok := b.Person(p); !ok {
			return b, Invalid("visitors", RulePosition)
		}
		if !slices.Contains(outside, p) {
			return b, ErrNotCancellable
		}
	}
	before := b
	notice := &Notification{Kind: NoticeDeskCancelled,
		Text: deskCancelledNotice(v, b, len(positions), a.bookings.Code(b), a.bookings.Link(b))}
	if len(positions) == len(b.Visitors) {
		b, err = a.bookings.Revoke(ctx, b, now, notice)
	} else {
		b, err = a.bookings.cancelPersons(ctx, b, positions, now, notice)
	}
	if err != nil {
		return b, err
	}
	subject := fmt.Sprintf("booking %s", b.Number)
	if b.Number == "" {
		subject = fmt.Sprintf("booking %d", b.ID)
	}
	a.audit(ctx, entry(by, now, AuditDeskCancel, v.ID, subject, reason).with(personStatuses(before), personStatuses(b)))
	return b, nil
}

// personStatuses is what the audit log keeps of a party: positions and
// statuses, no names.
func personStatuses(b Booking) map[string]any {
	ps := map[string]string{}
	for _, v := range b.Visitors {
		ps[fmt.Sprint(v.Position)] = string(v.Status)
	}
	return map[string]any{"status": b.Status, "party_size": b.PartySize, "persons": ps}
}

// DailyFigures are one venue's figures of one day, in persons.
type DailyFigures struct {
	VenueID   int64
	Date      Date
	Quota     int
	Booked    int // booked ahead and not cancelled
	Admitted  int // walk-ins included
	NoShow    int
	Cancelled int
	WalkIns   int
}

// OriginCount is persons of one origin: a province code or a document type.
type OriginCount struct {
	Region   string
	Visitors int // admitted
	Booked   int // booked and not cancelled, walk-ins included
}

// maxReportDays bounds one report.
const maxReportDays = 366

// reportVenues are the venues a report covers: the one named, or all.
func (a *Admin) reportVenues(ctx context.Context, by User, slug string, from, to Date) ([]Venue, error) {
	if err := requireAdmin(by); err != nil {
		return nil, err
	}
	if to.Before(from) || from.AddDays(maxReportDays).Before(to) {
		return nil, Invalid("to", RuleDate)
	}
	if slug != "" {
		v, err := a.catalog.Venue(ctx, slug)
		if err != nil {
			return nil, err
		}
		return []Venue{v}, nil
	}
	return a.catalog.Venues(ctx)
}

// DailyReport counts, per venue and day, quota, booked, admitted,
// no-shows, cancelled and walk-ins, all in persons. Counts come from the
// persons' rows, which erasure keeps (without names or hashes).
func (a *Admin) DailyReport(ctx context.Context, by User, slug string, from, to Date) ([]Venue, []DailyFigures, error) {
	venues, err := a.reportVenues(ctx, by, slug, from, to)
	if err != nil {
		return nil, nil, err
	}
	var out []DailyFigures
	for _, v := range venues {
		rows, err := a.admin.DailyFigures(ctx, v.ID, from, to)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, rows...)
	}
	return venues, out, nil
}

// OriginReport counts persons by province of origin (from the resident
// ID's first two digits, kept with the person at booking time) and by
// other document type, largest first.
func (a *Admin) OriginReport(ctx context.Context, by User, slug string, from, to Date) ([]OriginCount, error) {
	venues, err := a.reportVenues(ctx, by, slug, from, to)
	if err != nil {
		return nil, err
	}
	sum := map[string]*OriginCount{}
	for _, v := range venues {
		rows, err := a.admin.Origins(ctx, v.ID, from, to)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if sum[r.Region] == nil {
				sum[r.Region] = &OriginCount{Region: r.Region}
			}
			sum[r.Region].Visitors += r.Visitors
			sum[r.Region].Booked += r.Booked
		}
	}
	out := make([]OriginCount, 0, len(sum))
	for _, r := range sum {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(x, y OriginCount) int {
		if x.Visitors != y.Visitors {
			return y.Visitors - x.Visitors
		}
		if x.Booked != y.Booked {
			return y.Booked - x.Booked
		}
		return strings.Compare(x.Region, y.Region)
	})
	return out, nil
}
