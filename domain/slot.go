package domain

import "time"

// Slot is one timed-entry window of a venue with its quota of places.
type Slot struct {
	ID      int64
	VenueID int64
	Date    Date
	Start   time.Time
	End     time.Time
	Quota   int
	Booked  int
	Status  SlotStatus
	// ManualQuota: set by hand; policy changes leave it alone.
	ManualQuota bool
	// Flagged: a lowered quota left it above its quota; it sells nothing more.
	Flagged bool
	// HeldBack places of the quota open only at HeldBackReleaseAt.
	HeldBack          int
	HeldBackReleaseAt time.Time
}

// Bookable is the quota a booking may fill now: all of it but the places
// still held back.
func (s Slot) Bookable() int { return s.Quota - s.HeldBack }

// SlotStatus is what staff have decided about a slot; whether it is full or
// past follows from its counts and the time.
type SlotStatus string

const (
	SlotOpen   SlotStatus = "open"
	SlotClosed SlotStatus = "closed" // closed by an admin (weather, an event): its bookings are cancelled
	SlotFrozen SlotStatus = "frozen" // sells nothing more; its bookings stand
)

// SlotState is what a visitor sees of a slot now: whether it may be
// booked, and if not why. It follows from the slot's SlotStatus, the
// places left and the time; SlotStatus is what staff decided.
type SlotState string

const (
	SlotStateOpen   SlotState = "open"   // places left, bookable
	SlotStateFull   SlotState = "full"   // no place left
	SlotStateClosed SlotState = "closed" // closed or frozen by staff, or its bucket says it does not sell
	SlotStatePast   SlotState = "past"   // it no longer takes bookings (its end, less the venue's policy)
	// SlotStateNotYetOpen is a day past the booking window: it opens at
	// the venue's release time (Availability.OpensAt).
	SlotStateNotYetOpen SlotState = "not_yet_open"
)

// Availability is what a visitor sees of a slot: its state and places left.
type Availability struct {
	Quota     int
	Booked    int
	Remaining int
	State     SlotState
	OpensAt   time.Time // not_yet_open: when the day opens for booking
}

// Availability computes the visitor's view of the slot at now from the
// quota and places taken that the capacity gate reports: open while it
// takes bookings (after its start too, until the venue's sales end).
func (s Slot) Availability(now time.Time, v Venue, quota, taken int, open bool) Availability {
	a := Availability{Quota: quota, Booked: taken, Remaining: max(quota-taken, 0)}
	switch {
	case !now.Before(v.SalesEnd(s)):
		a.State = SlotStatePast
	case !open || s.Status != SlotOpen:
		a.State = SlotStateClosed
	case v.LastBookableDay(now).Before(s.Date):
		a.State, a.OpensAt = SlotStateNotYetOpen, v.OpensAt(s.Date)
	case a.Remaining == 0:
		a.State = SlotStateFull
	default:
		a.State = SlotStateOpen
	}
	return a
}

// SlotCount is the part of a slot the capacity gate mirrors.
type SlotCount struct {
	SlotID int64
	Quota  int
	Booked int
	Open   bool
	// ExpireAt is when the gate may forget the slot: well after it ends.
	ExpireAt time.Time
}

// GateRetention is how long after a slot's end its capacity keys live in Redis.
const GateRetention = 24 * time.Hour

// Count is the slot's figures as the capacity gate keeps them: its quota
// is what may be booked now.
func (s Slot) Count() SlotCount {
	return SlotCount{SlotID: s.ID, Quota: s.Bookable(), Booked: s.Booked, Open: s.Status == SlotOpen, ExpireAt: s.End.Add(GateRetention)}
}
