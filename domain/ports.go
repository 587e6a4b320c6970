package domain

import (
	"context"
	"errors"
	"time"
)

// Store is where venues, slots and bookings are kept: MySQL in production,
// SQLite on a laptop. It is the final word on every count.
type Store interface {
	Ping(ctx context.Context) error

	// Venues lists every venue, by id.
	Venues(ctx context.Context) ([]Venue, error)
	// AddVenues inserts the venues whose slug is not yet taken.
	AddVenues(ctx context.Context, venues []Venue) error

	// AddSlots inserts the slots not yet present (by venue and start) and
	// reports how many it created; several instances may call it at once.
	AddSlots(ctx context.Context, slots []Slot) (int, error)
	Slot(ctx context.Context, id int64) (Slot, error)
	SlotsOn(ctx context.Context, venueID int64, d Date) ([]Slot, error)
	// SlotCounts reads the current counts of the given slots.
	SlotCounts(ctx context.Context, ids []int64) ([]SlotCount, error)
	// SlotCountsEndingAfter reads the counts of every slot that ends after t.
	SlotCountsEndingAfter(ctx context.Context, t time.Time) ([]SlotCount, error)

	// CreateBooking takes places in MySQL with a conditional update and
	// writes the booking. It fails with ErrSoldOut, ErrSlotClosed,
	// ErrAlreadyBooked (Field names the visitor), ErrIdempotentReplay, or an
	// unavailable error; ErrOutcomeUnknown when the commit's fate is unknown.
	CreateBooking(ctx context.Context, b NewBooking) (Booking, error)
	Booking(ctx context.Context, id int64) (Booking, error)
	// BookingByIdempotencyKey returns the booking made under key and the
	// fingerprint of the request that made it.
	BookingByIdempotencyKey(ctx context.Context, key string) (Booking, string, error)
	// CancelBooking marks a confirmed booking cancelled and gives its places
	// back to the slot, in one transaction; notice, when set, is queued
	// for the booking's phone in that transaction (none without a phone).
	CancelBooking(ctx context.Context, id int64, at time.Time, notice *Notification) (Booking, error)
	// CancelPersons marks the confirmed persons at positions of a confirmed
	// booking cancelled, takes them from the party and gives their places
	// back to the slot, all or none, with notice as for CancelBooking, in
	// one transaction; cancelling the last persons cancels the booking.
	// Otherwise it returns the booking as it stands with ErrNotCancellable
	// (ErrNotFound: no such booking or person).
	CancelPersons(ctx context.Context, id int64, positions []int, at time.Time, notice *Notification) (Booking, error)
	// BookingByNumber finds a booking by its booking number.
	BookingByNumber(ctx context.Context, number string) (Booking, error)

	StandbyStore

	// Setting returns the stored value of name, storing generate() first if
	// there is none; every instance gets the same value.
	Setting(ctx context.Context, name string, generate func() (string, error)) (string, error)
}

// Errors the store gives that are not answers to a visitor.
var (
	ErrIdempotentReplay = errors.New("idempotency key already used")
	ErrOutcomeUnknown   = errors.New("commit outcome unknown")
)

// TakeOutcome is the capacity gate's answer to a request for places.
type TakeOutcome int

const (
	Taken TakeOutcome = iota
	TakeSoldOut
	TakeClosed
	// TakeNotLoaded means the gate holds no bucket for the slot (never loaded,
	// expired, or lost with Redis): load it from the store and ask again.
	TakeNotLoaded
	// TakeFenced means reconciliation is letting the slot's holds drain for
	// a moment: ask again shortly.
	TakeFenced
)

// Take is the gate's answer: the outcome, the places left after it, and
// the places held by requests in flight, which may yet be given back.
type Take struct {
	Outcome   TakeOutcome
	Remaining int
	Pending   int
}

// Bucket is what the capacity gate holds for a slot.
type Bucket struct {
	Loaded  bool
	Quota   int
	Booked  int // committed bookings, as far as the gate knows
	Pending int // places held by requests in flight
	Open    bool
	Mark    int64 // change counter: moves on every change of the bucket
	Holds   int   // holds in flight, taking, giving back or announcing a change
	// Gen names the load of the bucket: a bucket loaded again has another.
	Gen string
	// SettledIn and SettledOut count the places settled committed since
	// the load, taken and given back; Adjusted counts the changes applied.
	// Reconciliation reads them before the store, to discount what moved
	// while it read.
	SettledIn, SettledOut, Adjusted int
}

// Taken is every place the gate counts as gone: booked or held.
func (b Bucket) Taken() int { return b.Booked + b.Pending }

// CapacityGate is the fast count of places in front of the store (Redis).
// Places are taken under a hold: a unique id per request that makes every
// operation safe to repeat, and that is settled once the store has answered.
type CapacityGate interface {
	Ping(ctx context.Context) error
	// Take holds places for one request, or says why not.
	Take(ctx context.Context, slotID int64, hold string, places int, now time.Time) (Take, error)
	// Settle ends a hold: committed moves its places into the booked count,
	// otherwise they are given back (for a release hold, the reverse).
	Settle(ctx context.Context, slotID int64, hold string, committed bool) error
	// HoldRelease announces that places are about to be given back (a
	// cancellation), so that reconciliation does not count them twice.
	HoldRelease(ctx context.Context, slotID int64, hold string, places int, now time.Time) error
	// Announce tells the bucket that the store is about to commit a change
	// to the slot (quota, held-back release, closure, standby bookings), so
	// that reconciliation does not count it twice. Adjust applies it once
	// committed; Settle with committed false withdraws it.
	Announce(ctx context.Context, slotID int64, hold string, now time.Time) error
	// Adjust applies the change announced under hold: it moves a loaded
	// bucket's quota and booked count by the given differences and opens or
	// stops its sales, once; without the announcement (a bucket loaded again
	// since) it does nothing and reconciliation repairs the bucket.
	Adjust(ctx context.Context, slotID int64, hold string, quotaDelta, bookedDelta int, open bool) error
	// Load creates the slot's bucket from the store's counts unless it
	// exists; it expires at c.ExpireAt, counted from now.
	Load(ctx context.Context, c SlotCount, now time.Time) error
	// Buckets reads the buckets of the given slots; missing ones are absent.
	Buckets(ctx context.Context, ids []int64) (map[int64]Bucket, error)
	// Reconcile repairs a bucket from the store's counts c, read after the
	// bucket was read as seen, discounting what holds in flight and settled
	// since may have changed; holds older than stale are dropped first.
	Reconcile(ctx context.Context, c SlotCount, seen Bucket, now time.Time, stale time.Duration) (Reconciled, error)
	// Fence asks new takes of a slot's places to wait (TakeFenced) for at
	// most d, or until Unfence, so that the holds in flight drain.
	Fence(ctx context.Context, slotID int64, d time.Duration) error
	Unfence(ctx context.Context, slotID int64) error
}

// Reconciled says what reconciliation did to one bucket.
type Reconciled struct {
	Outcome ReconcileOutcome
	// Drift is the gate's taken count minus the store's booked count before the repair.
	Drift int
	// Loose says that holds in flight left the bounds on the true count
	// open: a repair may have been partial, an agreement is not known.
	Loose bool
}

// ReconcileOutcome names what reconciliation found.
type ReconcileOutcome string

const (
	ReconcileAgreed    ReconcileOutcome = "agreed"
	ReconcileRepaired  ReconcileOutcome = "repaired"
	ReconcileBusy      ReconcileOutcome = "busy"       // a change announced or applied, or a reload, since the read; next pass
	ReconcileStale     ReconcileOutcome = "stale"      // dropped abandoned holds; next pass
	ReconcileNotLoaded ReconcileOutcome = "not_loaded" // nothing to repair
)
