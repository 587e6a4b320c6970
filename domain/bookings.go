package domain

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Bookings is the visitor's use case: book places, read a booking by its
// code, cancel it. The path of a booking is the one DESIGN.md describes:
// validate, take places in the capacity gate, commit in the store, settle.
type Bookings struct {
	catalog *Catalog
	store   Store
	gate    CapacityGate
	signer  CodeSigner
	ids     IDHasher
	clock   Clock
	log     *slog.Logger
	limiter Limiter // nil: no per-client limits
	limits  BookingLimits
	// publicURL prefixes the links in messages ("" leaves them relative).
	publicURL string
	// restrictions keeps IDs restricted for no-shows from booking.
	restrictions restrictionCache
	// coalescer commits bookings of one slot together; nil: one by one.
	coalescer *Coalescer
}

// NewBookings wires the booking use case.
func NewBookings(catalog *Catalog, store Store, gate CapacityGate, signer CodeSigner, ids IDHasher, clock Clock, log *slog.Logger) *Bookings {
	s := &Bookings{catalog: catalog, store: store, gate: gate, signer: signer, ids: ids, clock: clock, log: log}
	catalog.Changes().On(TopicRestrictions, s.restrictions.forget)
	return s
}

// NotifyWith sets the address of the pages that messages link to.
func (s *Bookings) NotifyWith(publicURL string) { s.publicURL = strings.TrimRight(publicURL, "/") }

// Link is the address of booking b's page.
func (s *Bookings) Link(b Booking) string { return s.publicURL + "/bookings/" + s.Code(b) }

// ForgetRestrictions drops the cached restrictions, after the no-show
// count (Fairness) made new ones or lifted one, here and, through the
// catalog's news of changes, on every other instance.
func (s *Bookings) ForgetRestrictions() {
	s.catalog.Changes().Changed(context.Background(), TopicRestrictions)
}

// RestrictWith refuses bookings of IDs restricted for no-shows in store.
func (s *Bookings) RestrictWith(store FairnessStore) { s.restrictions.store = store }

// CoalesceWith commits bookings through c, which gathers those of one
// slot into one transaction.
func (s *Bookings) CoalesceWith(c *Coalescer) { s.coalescer = c }

// LimitWith makes every booking request pass limits in limiter first.
func (s *Bookings) LimitWith(limiter Limiter, limits BookingLimits) {
	s.limiter, s.limits = limiter, limits
}

// BookResult is a booking made (or found again) and the request limits it
// passed, which answers report to the client.
type BookResult struct {
	Booking  Booking
	Replayed bool // made earlier under the same Idempotency-Key
	Limits   []LimitStatus
}

// settleTimeout bounds the work done after a visitor has gone away: a
// booking whose places are taken is finished even if its request is not.
const settleTimeout = 15 * time.Second

// Book takes places for a party: validate, pass the request limits, take
// places in the gate, commit in the store, settle.
func (s *Bookings) Book(ctx context.Context, r BookingRequest) (BookResult, error) {
	if r.SlotID <= 0 {
		return BookResult{}, Invalid("slot_id", RuleRequired)
	}
	slot, err := s.catalog.Slot(ctx, r.SlotID)
	if err != nil {
		return BookResult{}, err
	}
	venue, err := s.catalog.VenueByID(ctx, slot.VenueID)
	if err != nil {
		return BookResult{}, err
	}
	now := s.clock.Now()
	// A slot that was full a moment ago is answered from memory before the
	// per-person work (ID checks and hashes, request limits): a flood at a
	// full slot costs one lookup each. Only for a request that could have
	// been booked otherwise (a party of a valid size, an open slot), and
	// without an Idempotency-Key: a keyed request may be the retry of a
	// booking made, which gets that booking back.
	if r.IdempotencyKey == "" && len(r.Visitors) >= 1 && len(r.Visitors) <= venue.MaxPartySize && bookable(venue, slot, now) == nil {
		if remaining, ok := s.catalog.KnownSoldOut(slot.ID, len(r.Visitors)); ok {
			return BookResult{}, &Error{Code: CodeSoldOut, Remaining: remaining}
		}
	}
	visitors, err := r.checkParty(s.ids, venue.MaxPartySize, now, true)
	if err != nil {
		return BookResult{}, err
	}
	if err := bookable(venue, slot, now); err != nil {
		return BookResult{}, err
	}
	limits, err := s.passLimits(ctx, r, visitors)
	if err != nil {
		return BookResult{Limits: limits}, err
	}
	if err := s.restrictions.check(ctx, venue, venue.Today(now), visitors); err != nil {
		return BookResult{Limits: limits}, err
	}
	b, replayed, err := s.book(ctx, r, venue, slot, visitors, now)
	return BookResult{Booking: b, Replayed: replayed, Limits: limits}, err
}

// SoldOut reports, from memory alone, that a slot open for booking was
// found full a moment ago with no place left (SLOTGATE_SOLD_OUT_MEMORY), so
// that any party would be refused sold out; it names the slot's venue. A
// flood at a full slot is answered with it before any other work. A request
// with an Idempotency-Key must go through Book all the same: it may be the
// retry of a booking made, which gets that booking back.
func (s *Bookings) SoldOut(ctx context.Context, slotID int64) (Venue, bool) {
	if _, full := s.catalog.PeekSoldOut(slotID, 1); !full {
		return Venue{}, false
	}
	slot, err := s.catalog.Slot(ctx, slotID)
	if err != nil {
		return Venue{}, false
	}
	venue, err := s.catalog.VenueByID(ctx, slot.VenueID)
	if err != nil || bookable(venue, slot, s.clock.Now()) != nil {
		return Venue{}, false
	}
	return venue, true
}

// passLimits checks the request against the limits by client, phone and ID.
// The limiter failing does not refuse a visitor: capacity is guarded apart.
func (s *Bookings) passLimits(ctx context.Context, r BookingRequest, visitors []Visitor) ([]LimitStatus, error) {
	if s.limiter == nil {
		return nil, nil
	}
	checks := []LimitCheck{
		{Policy: s.limits.ByClient, Subject: r.ClientAddr},
		{Policy: s.limits.ByPhone, Subject: s.ids.Hash("phone", r.Phone)},
	}
	for _, v := range visitors {
		checks = append(checks, LimitCheck{Policy: s.limits.ByID, Subject: v.IDHash})
	}
	got, err := s.limiter.Allow(ctx, checks...)
	if err != nil {
		s.log.WarnContext(ctx, "request limits unavailable; letting the request through", "err", err)
		return nil, nil
	}
	for _, st := range got {
		if !st.Allowed {
			return got, LimitedError(st)
		}
	}
	return got, nil
}

// book takes the party's places in the gate and commits them in the store.
// It returns the booking and whether it was made earlier under the same
// Idempotency-Key (a replay, not a new booking).
func (s *Bookings) book(ctx context.Context, r BookingRequest, venue Venue, slot Slot, visitors []Visitor, now time.Time) (Booking, bool, error) {
	// The fingerprint is made when needed: a refusal without an
	// Idempotency-Key needs none.
	nb := NewBooking{Number: NewBookingNumber(), Slot: slot, Phone: r.Phone, Visitors: visitors, CreatedAt: now,
		Today: venue.Today(now)}
	if r.IdempotencyKey != "" {
		nb.IdempotencyKey = digest("idempotency", r.IdempotencyKey)
		nb.Fingerprint = fingerprint(slot.ID, r.Phone, visitors)
	}
	if !r.walkIn && r.Phone != "" {
		nb.Notice = func(b Booking) NotificationText { return bookedNotice(venue, b, s.Code(b), s.Link(b)) }
	}

	// (Book answers a request without a key from memory before this.)
	if nb.IdempotencyKey != "" {
		if remaining, ok := s.catalog.KnownSoldOut(slot.ID, len(visitors)); ok {
			return s.refused(ctx, nb, &Error{Code: CodeSoldOut, Remaining: remaining})
		}
	}
	hold := newHold()
	take, err := s.take(ctx, slot.ID, hold, len(visitors), now)
	if err != nil {
		// The script may have run before the connection failed: giving the
		// hold back is safe either way, since settling an absent hold does nothing.
		s.settle(context.WithoutCancel(ctx), slot.ID, hold, false)
		return Booking{}, false, err
	}
	switch take.Outcome {
	case Taken:
		s.catalog.ForgetSoldOut(slot.ID) // places were there after all
	case TakeSoldOut:
		if take.Pending == 0 {
			s.catalog.NoteSoldOut(slot.ID, take.Remaining)
		}
		return s.refused(ctx, nb, &Error{Code: CodeSoldOut, Remaining: take.Remaining})
	case TakeClosed:
		return s.refused(ctx, nb, ErrSlotClosed)
	}

	// From here places are held: finish the work even if the visitor leaves.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	if nb.Fingerprint == "" {
		nb.Fingerprint = fingerprint(slot.ID, r.Phone, visitors)
	}
	b, settled, err := s.create(ctx, nb, hold)
	switch {
	case err == nil:
		if !settled {
			s.settle(ctx, slot.ID, hold, true)
		}
		return b, false, nil
	case errors.Is(err, ErrOutcomeUnknown):
		// The commit may have happened. Giving the places back could
		// oversell; keeping them could undersell for a moment, until
		// reconciliation drops the hold and reads the truth from the store.
		s.log.WarnContext(ctx, "booking outcome unknown, hold left to reconciliation", "slot", slot.ID, "err", err)
		return Booking{}, false, err
	}
	if !settled {
		s.settle(ctx, slot.ID, hold, false)
	}
	if errors.Is(err, ErrIdempotentReplay) {
		return s.replay(ctx, nb, err)
	}
	return Booking{}, false, err
}

// create commits a booking whose places hold holds, with the other
// bookings of its slot when coalescing is on; settled says that the hold
// was ended with the batch's.
func (s *Bookings) create(ctx context.Context, nb NewBooking, hold string) (Booking, bool, error) {
	if s.coalescer.Enabled() {
		return s.coalescer.Create(ctx, nb, hold)
	}
	b, err := s.store.CreateBooking(ctx, nb)
	return b, false, err
}

// bookable checks the rules of time and state that close a slot to
// visitors. A slot under way stays bookable until the venue's sales end.
func bookable(v Venue, s Slot, now time.Time) error {
	switch {
	case !now.Before(v.SalesEnd(s)):
		return &Error{Code: CodeSlotClosed, Detail: "slot no longer takes bookings"}
	case v.LastBookableDay(now).Before(s.Date):
		return &Error{Code: CodeSlotClosed, Detail: "the day is not open for booking yet", OpensAt: v.OpensAt(s.Date)}
	case s.Status != SlotOpen:
		return &Error{Code: CodeSlotClosed, Detail: "slot is closed"}
	}
	return nil
}

// take asks the gate for places, loading the slot's bucket from the store
// when the gate has none. When the places asked for are held by requests in
// flight, it waits a little for them to settle, so that "sold out" means
// sold, not "held by a request that is about to fail". While reconciliation
// fences the bucket it waits too: a fence lasts a fraction of a second.
func (s *Bookings) take(ctx context.Context, slotID int64, hold string, places int, now time.Time) (Take, error) {
	loads, wait := 0, pendingWait
	fenced := time.Now().Add(maxFenceWait)
	for {
		t, err := s.gate.Take(ctx, slotID, hold, places, now)
		if err != nil {
			return Take{}, Unavailable("capacity gate", err)
		}
		switch {
		case t.Outcome == TakeNotLoaded:
			if loads++; loads > 2 {
				return Take{}, Unavailable("capacity gate", fmt.Errorf("bucket of slot %d does not stay loaded", slotID))
			}
			if err := s.catalog.EnsureLoaded(ctx, slotID); err != nil {
				if CodeOf(err) == CodeNotFound {
					return Take{}, err
				}
				return Take{}, Unavailable("capacity gate", err)
			}
		case t.Outcome == TakeFenced:
			if time.Now().After(fenced) {
				return Take{}, Unavailable("capacity gate", fmt.Errorf("slot %d stays fenced", slotID))
			}
			select {
			case <-ctx.Done():
				return Take{}, Unavailable("capacity gate", ctx.Err())
			case <-time.After(fenceWait):
			}
		case t.Outcome == TakeSoldOut && t.Remaining+t.Pending >= places && wait < maxPendingWait:
			select {
			case <-ctx.Done():
				return t, nil
			case <-time.After(wait):
			}
			wait *= 2
		default:
			return t, nil
		}
	}
}

// A request finding its places held by others waits pendingWait, then
// twice as long, and so on while the waits stay under maxPendingWait: a
// booking transaction takes milliseconds, so holds settle well within it.
const (
	pendingWait    = 5 * time.Millisecond
	maxPendingWait = 200 * time.Millisecond
)

// A request finding the bucket fenced asks again every fenceWait; a fence
// ends by itself after Reconciler.FenceFor, well within maxFenceWait.
const (
	fenceWait    = 2 * time.Millisecond
	maxFenceWait = 2 * time.Second
)

// refused answers a request the gate turned away, unless it is the retry of
// a booking that was made: then the visitor gets that booking back.
func (s *Bookings) refused(ctx context.Context, nb NewBooking, refusal error) (Booking, bool, error) {
	if nb.IdempotencyKey == "" {
		return Booking{}, false, refusal
	}
	return s.replay(ctx, nb, refusal)
}

// replay returns the booking made under nb's Idempotency-Key, or otherwise.
func (s *Bookings) replay(ctx context.Context, nb NewBooking, otherwise error) (Booking, bool, error) {
	b, fp, err := s.store.BookingByIdempotencyKey(ctx, nb.IdempotencyKey)
	switch {
	case CodeOf(err) == CodeNotFound:
		if errors.Is(otherwise, ErrIdempotentReplay) {
			// The key's first booking was rolled back between our insert and this read.
			return Booking{}, false, Unavailable("store", otherwise)
		}
		return Booking{}, false, otherwise
	case err != nil:
		return Booking{}, false, err
	case fp != nb.Fingerprint:
		return Booking{}, false, Invalid("Idempotency-Key", RuleIdempotencyReuse)
	}
	return b, true, nil
}

// settle ends a hold. Its failure loses nothing: reconciliation drops the
// hold once it is stale and sets the bucket from the store.
func (s *Bookings) settle(ctx context.Context, slotID int64, hold string, committed bool) {
	if err := s.gate.Settle(ctx, slotID, hold, committed); err != nil {
		s.log.WarnContext(ctx, "settle capacity hold", "slot", slotID, "committed", committed, "err", err)
	}
}

// ByID finds a booking by its id, for answers that link to it.
func (s *Bookings) ByID(ctx context.Context, id int64) (Booking, error) {
	return s.store.Booking(ctx, id)
}

// Code is the signed code of booking b, which is all its QR code holds.
func (s *Bookings) Code(b Booking) string { return EncodeCode(b.Payload(), s.signer) }

// ByCode finds the booking a code stands for. A code that does not verify,
// or names a booking that does not match it, is not found.
func (s *Bookings) ByCode(ctx context.Context, code string) (Booking, error) {
	p, err := DecodeCode(code, s.signer)
	if err != nil {
		return Booking{}, ErrNotFound
	}
	b, err := s.store.Booking(ctx, p.BookingID)
	if err != nil {
		return Booking{}, err
	}
	if b.VenueID != p.VenueID || b.Slot.ID != p.SlotID || b.partyBooked() != p.PartySize {
		return Booking{}, ErrNotFound
	}
	return b, nil
}

// ByNumber finds a booking by its number and phone: a number alone finds
// nothing, so that guessing numbers reveals nothing.
func (s *Bookings) ByNumber(ctx context.Context, number, phone string) (Booking, error) {
	phone, _, ok := NormalizePhone(phone)
	if !ok || !CheckBookingNumber(number) {
		return Booking{}, ErrNotFound
	}
	b, err := s.store.BookingByNumber(ctx, number)
	if err != nil {
		return Booking{}, err
	}
	if subtle.ConstantTimeCompare([]byte(b.Phone), []byte(phone)) != 1 {
		return Booking{}, ErrNotFound
	}
	return b, nil
}

// Cancel cancels the booking a code stands for and gives its places back.
// Cancelling a cancelled booking answers it again, so a retried cancel is
// harmless; an admitted, missed or started booking cannot be cancelled.
func (s *Bookings) Cancel(ctx context.Context, code string) (Booking, error) {
	b, err := s.ByCode(ctx, code)
	if err != nil {
		return Booking{}, err
	}
	if b.Status == BookingCancelled {
		return b, nil
	}
	now := s.clock.Now()
	if !b.Cancellable(now) {
		return Booking{}, ErrNotCancellable
	}
	return s.Revoke(ctx, b, now, nil)
}

// CancelPerson cancels the person at position in the booking a code stands
// for: the place goes back on sale at once, and the standby list is served
// as for any cancellation. Cancelling the last person cancels the booking;
// cancelling a cancelled person answers the booking again.
func (s *Bookings) CancelPerson(ctx context.Context, code string, position int) (Booking, error) {
	b, err := s.ByCode(ctx, code)
	if err != nil {
		return Booking{}, err
	}
	p, ok := b.Person(position)
	if !ok {
		return Booking{}, ErrNotFound
	}
	if p.Status == BookingCancelled {
		return b, nil
	}
	now := s.clock.Now()
	if !b.Cancellable(now) || p.Status != BookingConfirmed {
		return Booking{}, ErrNotCancellable
	}
	return s.cancelPersons(ctx, b, []int{position}, now, nil)
}

// cancelPersons gives the places of the persons at positions back, whatever
// the time: the visitor's rules are checked by CancelPerson, the desk's by
// DeskCancel. notice, when set, is queued with the cancellation.
func (s *Bookings) cancelPersons(ctx context.Context, b Booking, positions []int, now time.Time, notice *Notification) (Booking, error) {
	return s.release(ctx, b, len(positions), now, func(ctx context.Context) (Booking, error) {
		after, err := s.store.CancelPersons(ctx, b.ID, positions, now, notice)
		if errors.Is(err, ErrNotCancellable) && allCancelled(after, positions) {
			return after, errAlreadyReleased // a concurrent cancel won
		}
		return after, err
	})
}

// allCancelled reports whether every person at positions of b is cancelled.
func allCancelled(b Booking, positions []int) bool {
	for _, p := range positions {
		if q, ok := b.Person(p); !ok || q.Status != BookingCancelled {
			return false
		}
	}
	return true
}

// errAlreadyReleased tells release that another request gave the places
// back first: the answer stands, and nothing more is released.
var errAlreadyReleased = errors.New("places already given back")

// Revoke cancels booking b and gives its places back, whatever the time:
// the visitor's rules are checked by Cancel. Admissions revokes a walk-in
// it could not record. notice, when set, is queued with the cancellation.
func (s *Bookings) Revoke(ctx context.Context, b Booking, now time.Time, notice *Notification) (Booking, error) {
	return s.release(ctx, b, b.PartySize, now, func(ctx context.Context) (Booking, error) {
		cancelled, err := s.store.CancelBooking(ctx, b.ID, now, notice)
		if errors.Is(err, ErrNotCancellable) && cancelled.Status == BookingCancelled {
			return cancelled, errAlreadyReleased // a concurrent cancel won
		}
		return cancelled, err
	})
}

// release gives places of booking b back: announced to the gate as a
// hold before the store commits (so that reconciliation never counts them
// twice), offered to the standby list, then shown to the public.
func (s *Bookings) release(ctx context.Context, b Booking, places int, now time.Time, commit func(context.Context) (Booking, error)) (Booking, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	hold := newHold()
	if err := s.gate.HoldRelease(ctx, b.Slot.ID, hold, places, now); err != nil {
		// The store is the truth; the gate catches up by reconciliation.
		s.log.WarnContext(ctx, "announce release of places", "slot", b.Slot.ID, "err", err)
	}
	cancelled, err := commit(ctx)
	if err != nil {
		s.settle(ctx, b.Slot.ID, hold, false)
		if errors.Is(err, errAlreadyReleased) {
			return cancelled, nil
		}
		return Booking{}, err
	}
	// The freed places go to the standby list first: booked in MySQL and
	// counted in Redis before the release shows the rest to the public.
	s.promoteCounted(ctx, b.Slot)
	s.settle(ctx, b.Slot.ID, hold, true)
	s.catalog.ForgetSoldOut(b.Slot.ID)
	return cancelled, nil
}

// BookWalkIn books people registered at the gate into the slot under way:
// the same rules as a booking but for the slot having started, and a phone
// is optional; no per-client limits (staff make these requests).
func (s *Bookings) BookWalkIn(ctx context.Context, r BookingRequest, v Venue, slot Slot, now time.Time) (BookResult, error) {
	r.walkIn = true
	visitors, err := r.checkParty(s.ids, v.MaxPartySize, now, false)
	if err != nil {
		return BookResult{}, err
	}
	if slot.Status != SlotOpen {
		return BookResult{}, ErrSlotClosed
	}
	b, _, err := s.book(ctx, r, v, slot, visitors, now)
	return BookResult{Booking: b}, err
}

// newHold names one request's hold on places: unique, so that repeating an
// operation on it (a retried script) changes nothing.
func newHold() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
