package domain

import (
	"context"
	"errors"
	"sync"
	"time"
)

// BatchStore commits several bookings of one slot in one transaction: one
// conditional update of the slot by their sum, their rows in multi-row
// inserts, one commit. DESIGN.md, "Beating the database's per-transaction
// ceiling": one hot slot row serialises every booking transaction on its
// lock and every commit waits for the log; a batch pays for both once.
type BatchStore interface {
	// CreateBooking is the one-booking path (Store.CreateBooking).
	CreateBooking(ctx context.Context, b NewBooking) (Booking, error)
	// CreateBookings commits bookings of one slot together and answers
	// each as CreateBooking would have: out[i] belongs to nbs[i]. The
	// guard never lets their sum exceed the slot's places: those that do
	// not fit, in order, are refused sold out. A person or an
	// Idempotency-Key the store already holds fails that booking alone.
	// An unknown commit outcome is ErrOutcomeUnknown for every booking of
	// the batch.
	CreateBookings(ctx context.Context, nbs []NewBooking) []BookingOutcome
}

// Settlement is how one hold ends: committed, or given back.
type Settlement struct {
	Hold      string
	Committed bool
}

// BatchSettler ends the holds of one slot in one call (Redis: one script
// for a whole batch instead of one per booking).
type BatchSettler interface {
	SettleMany(ctx context.Context, slotID int64, holds []Settlement) error
}

// BookingOutcome is the store's answer to one booking of a batch.
type BookingOutcome struct {
	Booking Booking
	Err     error
}

// Coalescer gathers the bookings of one slot that passed the capacity gate
// for a short window (or until Max have gathered) and commits them in one
// transaction; each visitor gets an answer only after that commit. While a
// slot's batch commits, the next one gathers: under load, batches grow with
// the time a commit takes, like a database's group commit.
type Coalescer struct {
	store   BatchStore
	settler BatchSettler // nil: each booking settles its own hold
	window  time.Duration
	max     int

	mu    sync.Mutex
	slots map[int64]*slotQueue
}

// Coalescing defaults: a visitor waits at most 2 ms more when alone, and a
// batch of 64 parties is a few kilobytes of SQL.
const (
	DefaultCoalesceWindow = 2 * time.Millisecond
	DefaultCoalesceMax    = 64
)

// NewCoalescer commits through store, gathering for window or until max
// bookings of a slot are waiting, and ends the holds of a batch through
// settler in one call (nil: each booking ends its own). A window of 0 or a
// max below 2 turns coalescing off: every booking goes alone.
func NewCoalescer(store BatchStore, settler BatchSettler, window time.Duration, max int) *Coalescer {
	return &Coalescer{store: store, settler: settler, window: window, max: max, slots: map[int64]*slotQueue{}}
}

// Enabled reports whether bookings are gathered at all.
func (c *Coalescer) Enabled() bool { return c != nil && c.window > 0 && c.max > 1 }

// slotQueue is one slot's bookings waiting for their batch.
type slotQueue struct {
	pending []*waiting
	due     <-chan time.Time // the window of the oldest pending booking
	full    chan struct{}    // signalled when max are waiting
}

// waiting is one booking, its hold, and where its answer goes.
type waiting struct {
	nb   NewBooking
	hold string
	done chan coalesced
}

// coalesced is a booking's answer, and whether its hold was ended with
// the batch's.
type coalesced struct {
	BookingOutcome
	settled bool
}

// Create commits nb, whose places hold holds in the gate, with the other
// bookings of its slot that arrive within the window, and returns its own
// answer. settled says that the hold was ended as the answer requires
// (committed, or given back; left alone when the outcome is unknown); if
// not, the caller ends it. If ctx ends first, the outcome is unknown to the
// caller: the batch may still commit.
func (c *Coalescer) Create(ctx context.Context, nb NewBooking, hold string) (b Booking, settled bool, err error) {
	if !c.Enabled() {
		b, err = c.store.CreateBooking(ctx, nb)
		return b, false, err
	}
	w := &waiting{nb: nb, hold: hold, done: make(chan coalesced, 1)}
	c.mu.Lock()
	q := c.slots[nb.Slot.ID]
	if q == nil {
		q = &slotQueue{full: make(chan struct{}, 1)}
		c.slots[nb.Slot.ID] = q
		go c.run(nb.Slot.ID, q)
	}
	if len(q.pending) == 0 {
		q.due = time.After(c.window)
	}
	q.pending = append(q.pending, w)
	if len(q.pending) >= c.max {
		select {
		case q.full <- struct{}{}:
		default:
		}
	}
	c.mu.Unlock()
	select {
	case o := <-w.done:
		return o.Booking, o.settled, o.Err
	case <-ctx.Done():
		return Booking{}, false, errors.Join(ErrOutcomeUnknown, Unavailable("store", ctx.Err()))
	}
}

// Pending counts the bookings of a slot waiting for their batch (tests,
// metrics).
func (c *Coalescer) Pending(slotID int64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if q := c.slots[slotID]; q != nil {
		return len(q.pending)
	}
	return 0
}

// run commits a slot's batches one after another until none is waiting.
func (c *Coalescer) run(slotID int64, q *slotQueue) {
	for {
		c.mu.Lock()
		if len(q.pending) == 0 {
			delete(c.slots, slotID)
			c.mu.Unlock()
			return
		}
		due, ready := q.due, len(q.pending) >= c.max
		c.mu.Unlock()
		if !ready {
			select {
			case <-due:
			case <-q.full:
			}
		}
		c.mu.Lock()
		n := min(len(q.pending), c.max)
		batch := q.pending[:n:n]
		q.pending = append([]*waiting(nil), q.pending[n:]...)
		if len(q.pending) > 0 {
			// Those left over have waited through this batch's gathering.
			q.due = closedTimeChan
		}
		select {
		case <-q.full:
		default:
		}
		c.mu.Unlock()
		c.commit(batch)
	}
}

var closedTimeChan = func() <-chan time.Time {
	ch := make(chan time.Time)
	close(ch)
	return ch
}()

// commit sends a batch to the store. A second booking of the batch with a
// person or an Idempotency-Key already in it goes alone, after the batch,
// so that it gets its own answer (already booked, or the first booking
// replayed) from the one-booking path.
func (c *Coalescer) commit(batch []*waiting) {
	ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
	defer cancel()
	var together, alone []*waiting
	keys, people := map[string]bool{}, map[string]bool{}
	for _, w := range batch {
		dup := w.nb.IdempotencyKey != "" && keys[w.nb.IdempotencyKey]
		for _, v := range w.nb.Visitors {
			dup = dup || people[v.IDHash]
		}
		if dup {
			alone = append(alone, w)
			continue
		}
		if w.nb.IdempotencyKey != "" {
			keys[w.nb.IdempotencyKey] = true
		}
		for _, v := range w.nb.Visitors {
			people[v.IDHash] = true
		}
		together = append(together, w)
	}
	if len(together) == 1 {
		alone = append(together, alone...)
		together = nil
	}
	outs := make([]BookingOutcome, 0, len(batch))
	order := make([]*waiting, 0, len(batch))
	if len(together) > 0 {
		nbs := make([]NewBooking, len(together))
		for i, w := range together {
			nbs[i] = w.nb
		}
		outs = append(outs, c.store.CreateBookings(ctx, nbs)...)
		order = append(order, together...)
	}
	for _, w := range alone {
		b, err := c.store.CreateBooking(ctx, w.nb)
		outs = append(outs, BookingOutcome{Booking: b, Err: err})
		order = append(order, w)
	}
	settled := c.settle(ctx, order, outs)
	for i, w := range order {
		w.done <- coalesced{BookingOutcome: outs[i], settled: settled}
	}
}

// settle ends the batch's holds in one call: committed bookings' places
// move to booked, refused ones go back, and those of unknown outcome are
// left to reconciliation. False: nothing was settled here.
func (c *Coalescer) settle(ctx context.Context, order []*waiting, outs []BookingOutcome) bool {
	if c.settler == nil || len(order) == 0 {
		return false
	}
	holds := make([]Settlement, 0, len(order))
	for i, w := range order {
		if errors.Is(outs[i].Err, ErrOutcomeUnknown) {
			continue
		}
		holds = append(holds, Settlement{Hold: w.hold, Committed: outs[i].Err == nil})
	}
	return c.settler.SettleMany(ctx, order[0].nb.Slot.ID, holds) == nil
}
