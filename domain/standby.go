package domain

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// StandbyEntry is a party waiting for places in a full slot. Freed places
// (cancellations, a raised quota, held-back places released) go to the
// earliest entries that fit, whole parties, before the public sees them.
type StandbyEntry struct {
	ID        int64
	Token     string // the visitor's handle to look it up or withdraw
	Slot      Slot
	VenueID   int64
	PartySize int
	Phone     string
	Visitors  []Visitor
	Status    StandbyStatus
	BookingID int64
	CreatedAt time.Time
}

// StandbyStatus is where a standby entry stands.
type StandbyStatus string

const (
	StandbyWaiting   StandbyStatus = "waiting"
	StandbyBooked    StandbyStatus = "booked"
	StandbyWithdrawn StandbyStatus = "withdrawn"
	StandbyExpired   StandbyStatus = "expired" // the slot's admission window opened
	StandbyFailed    StandbyStatus = "failed"  // could not be booked (a person booked elsewhere that day)
)

// StandbyStore keeps the standby list.
type StandbyStore interface {
	// AddStandby puts a party on a slot's list. It refuses with
	// ErrAlreadyBooked a person holding a booking that day or already
	// waiting for the slot, and with restricted a person restricted for no-shows.
	AddStandby(ctx context.Context, e StandbyEntry, today Date) (StandbyEntry, error)
	// StandbyByToken finds an entry and its place in the queue (1 = next).
	StandbyByToken(ctx context.Context, token string) (StandbyEntry, int, error)
	WithdrawStandby(ctx context.Context, token string, at time.Time) (StandbyEntry, error)
	// WaitingStandby lists a slot's waiting entries, earliest first.
	WaitingStandby(ctx context.Context, slotID int64) ([]StandbyEntry, error)
	// BookStandby books an entry with the store's conditional update,
	// marks it booked and queues its notification, in one transaction.
	BookStandby(ctx context.Context, e StandbyEntry, nb NewBooking, notice func(Booking) NotificationText) (Booking, error)
	// SetStandbyStatus moves a waiting entry to status.
	SetStandbyStatus(ctx context.Context, id int64, status StandbyStatus) error
	// SlotsWithStandby lists slots with waiting entries.
	SlotsWithStandby(ctx context.Context) ([]int64, error)
}

// JoinStandby puts a party on the list of a slot that has no room for it.
// The same rules as a booking apply (real names, limits, restrictions);
// the list closes when the slot's admission window opens.
func (s *Bookings) JoinStandby(ctx context.Context, r BookingRequest) (StandbyEntry, int, []LimitStatus, error) {
	if r.SlotID <= 0 {
		return StandbyEntry{}, 0, nil, Invalid("slot_id", RuleRequired)
	}
	slot, err := s.catalog.Slot(ctx, r.SlotID)
	if err != nil {
		return StandbyEntry{}, 0, nil, err
	}
	venue, err := s.catalog.VenueByID(ctx, slot.VenueID)
	if err != nil {
		return StandbyEntry{}, 0, nil, err
	}
	now := s.clock.Now()
	visitors, err := r.checkParty(s.ids, venue.MaxPartySize, now, true)
	if err != nil {
		return StandbyEntry{}, 0, nil, err
	}
	if opens, _ := AdmissionWindow(venue, slot); !now.Before(opens) || venue.LastBookableDay(now).Before(slot.Date) {
		return StandbyEntry{}, 0, nil, &Error{Code: CodeSlotClosed, Detail: "the standby list is closed"}
	}
	if slot.Status == SlotClosed {
		return StandbyEntry{}, 0, nil, ErrSlotClosed
	}
	limits, err := s.passLimits(ctx, r, visitors)
	if err != nil {
		return StandbyEntry{}, 0, limits, err
	}
	buckets, err := s.gate.Buckets(ctx, []int64{slot.ID})
	if err != nil {
		return StandbyEntry{}, 0, limits, Unavailable("capacity gate", err)
	}
	if b := buckets[slot.ID]; slot.Status == SlotOpen && b.Loaded && b.Open && b.Quota-b.Taken() >= len(visitors) {
		return StandbyEntry{}, 0, limits, &Error{Code: CodeConflict, Detail: "places are free: book them"}
	}
	token, err := standbyToken()
	if err != nil {
		return StandbyEntry{}, 0, limits, err
	}
	e, err := s.store.AddStandby(ctx, StandbyEntry{Token: token, Slot: slot, VenueID: venue.ID, PartySize: len(visitors),
		Phone: r.Phone, Visitors: visitors, Status: StandbyWaiting, CreatedAt: now}, venue.Today(now))
	if err != nil {
		return StandbyEntry{}, 0, limits, err
	}
	_, pos, err := s.store.StandbyByToken(ctx, token)
	return e, pos, limits, err
}

// Standing finds a standby entry by its token, with its place in the queue.
func (s *Bookings) Standing(ctx context.Context, token string) (StandbyEntry, int, error) {
	if len(token) != 32 {
		return StandbyEntry{}, 0, ErrNotFound
	}
	return s.store.StandbyByToken(ctx, token)
}

// WithdrawStandby takes a waiting entry off the list.
func (s *Bookings) WithdrawStandby(ctx context.Context, token string) (StandbyEntry, error) {
	if len(token) != 32 {
		return StandbyEntry{}, ErrNotFound
	}
	return s.store.WithdrawStandby(ctx, token, s.clock.Now())
}

// PromoteStandby books the earliest waiting parties that fit into the
// places the store has free in slot, and says how many places it booked.
// The caller folds them into the Redis bucket before it shows any freed
// place, so that the public never sees what the standby list takes.
// Several instances may run it at once: each entry is booked once (its
// status moves under a condition) and each place once (the slot's
// conditional update).
func (s *Bookings) PromoteStandby(ctx context.Context, slot Slot) int {
	waiting, err := s.store.WaitingStandby(ctx, slot.ID)
	if err != nil || len(waiting) == 0 {
		if err != nil {
			s.log.WarnContext(ctx, "read standby list", "slot", slot.ID, "err", err)
		}
		return 0
	}
	venue, err := s.catalog.VenueByID(ctx, slot.VenueID)
	if err != nil {
		return 0
	}
	now := s.clock.Now()
	if opens, _ := AdmissionWindow(venue, slot); !now.Before(opens) {
		return 0 // the list is closed; the sweep expires it
	}
	counts, err := s.store.SlotCounts(ctx, []int64{slot.ID})
	if err != nil || len(counts) == 0 || !counts[0].Open {
		return 0
	}
	free := counts[0].Quota - counts[0].Booked
	booked := 0
	loc := venue.Location()
	for _, e := range waiting {
		if e.PartySize > free {
			continue // a smaller party further down may fit
		}
		nb := NewBooking{Number: NewBookingNumber(), Slot: slot, Phone: e.Phone, Visitors: e.Visitors, CreatedAt: now, Today: venue.Today(now),
			Fingerprint: fingerprint(slot.ID, e.Phone, e.Visitors)}
		b, err := s.store.BookStandby(ctx, e, nb, func(b Booking) NotificationText {
			when, link := b.Slot.Start.In(loc).Format("2006-01-02 15:04"), s.Link(b)
			people := "1 person"
			if b.PartySize != 1 {
				people = fmt.Sprintf("%d people", b.PartySize)
			}
			return NotificationText{
				ZH: fmt.Sprintf("【%s】候补成功：已为您预约 %s（%d 人），预约号 %s。查看或取消：%s 请凭登记的证件入场。",
					venue.NameZH, when, b.PartySize, b.Number, link),
				EN: fmt.Sprintf("[%s] From the standby list, you are booked for %s (%s), booking number %s. See or cancel: %s Bring the ID documents you registered.",
					venue.NameEN, when, people, b.Number, link),
				Code: s.Code(b), Number: b.Number, Link: link,
			}
		})
		switch {
		case err == nil:
			free -= b.PartySize
			booked += b.PartySize
		case errors.Is(err, ErrSoldOut):
			return booked // someone else took the places first
		case errors.Is(err, ErrAlreadyBooked), CodeOf(err) == CodeRestricted:
			if err := s.store.SetStandbyStatus(ctx, e.ID, StandbyFailed); err != nil {
				s.log.WarnContext(ctx, "mark standby entry failed", "entry", e.ID, "err", err)
			}
		case errors.Is(err, ErrConflict):
			// Another instance booked this entry: its places are counted there.
		default:
			s.log.WarnContext(ctx, "book standby entry", "entry", e.ID, "err", err)
			return booked
		}
	}
	return booked
}

// SweepStandby offers free places to every slot's waiting list and closes
// the lists whose admission window has opened. It catches places freed
// without a cancellation (a repaired count, a released stale hold).
func (s *Bookings) SweepStandby(ctx context.Context) (booked, expired int, err error) {
	ids, err := s.store.SlotsWithStandby(ctx)
	if err != nil {
		return 0, 0, err
	}
	now := s.clock.Now()
	for _, id := range ids {
		slot, err := s.store.Slot(ctx, id)
		if err != nil {
			return booked, expired, err
		}
		venue, err := s.catalog.VenueByID(ctx, slot.VenueID)
		if err != nil {
			return booked, expired, err
		}
		if opens, _ := AdmissionWindow(venue, slot); !now.Before(opens) || slot.Status == SlotClosed {
			waiting, err := s.store.WaitingStandby(ctx, id)
			if err != nil {
				return booked, expired, err
			}
			for _, e := range waiting {
				if err := s.store.SetStandbyStatus(ctx, e.ID, StandbyExpired); err == nil {
					expired++
				}
			}
			continue
		}
		booked += s.promoteCounted(ctx, slot)
	}
	return booked, expired, nil
}

func standbyToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
