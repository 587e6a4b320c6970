package domain

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// ReplacedGate is a capacity gate that tells of the servers behind it, so
// that the places it may have lost when one of them was replaced are
// repaired from the store.
type ReplacedGate interface {
	CapacityGate
	// Layout names the servers that hold the keys; it changes when a
	// master is replaced. Empty: the gate cannot tell.
	Layout(ctx context.Context) (string, error)
	// Holds lists the holds of the given slots' buckets.
	Holds(ctx context.Context, ids []int64) (map[int64][]string, error)
	// DropHolds ends the named holds without counting them.
	DropHolds(ctx context.Context, slotID int64, holds []string) (int, error)
	// RaiseBooked raises a bucket's booked count toward the store's c,
	// less what requests in flight hold (nothing when c is full); it never
	// lowers it, and returns the places added.
	RaiseBooked(ctx context.Context, c SlotCount) (int, error)
}

// Failover repairs what Redis loses when a master dies and its replica takes
// over. Replication is asynchronous: the new master may lack the last
// writes the old one acknowledged, so a bucket can miss a take (a booking
// committed in the store, not counted) or a settle (a hold that never ends,
// keeping places from sale), and a venue's occupancy count can miss
// admissions. Nothing here waits for traffic to stop:
//   - the holds present when the change is seen and still present a grace
//     later belong to requests that ended long ago (a request takes
//     milliseconds): they are dropped;
//   - a bucket that counts fewer bookings than the store (a take or a
//     settle lost) has its booked count raised to the store's, less the
//     places held in flight, which may be counted in the store already: a
//     repair that works while bookings keep coming, and errs only toward
//     counting too few, which the store's guarded update makes harmless.
//     Counting too many (a release lost) is left to reconciliation, which
//     finds a full bucket quiet;
//   - reconciliation passes run at once, until every bucket agrees with
//     the store or the tries run out (the periodic pass goes on);
//   - occupancy counts of today are dropped, to be rebuilt from the records,
//     and sold-out answers remembered in this process are forgotten.
type Failover struct {
	store     Store
	gate      ReplacedGate
	reconcile *Reconciler
	catalog   *Catalog
	counter   OccupancyCounter
	clock     Clock
	log       *slog.Logger
	// Grace is how long a hold may be in flight: one still present this
	// long after the change was seen is taken as lost with the old master.
	Grace time.Duration
	// Tries passes, Pause apart (two minutes by default), follow a change:
	// raising counts and reconciling until every bucket agrees with the
	// store. Under a flood that goes on, exact agreement may wait for the
	// flood to end or the slot to sell out; raising on every pass keeps the
	// buckets from counting too few meanwhile.
	Tries int
	Pause time.Duration

	layout     string
	unrepaired bool // the last repair failed: repair at the next check
}

// NewFailover watches gate for replaced servers.
func NewFailover(store Store, gate ReplacedGate, reconcile *Reconciler, catalog *Catalog, counter OccupancyCounter, clock Clock, log *slog.Logger) *Failover {
	return &Failover{store: store, gate: gate, reconcile: reconcile, catalog: catalog, counter: counter, clock: clock, log: log,
		Grace: time.Second, Tries: 480, Pause: 250 * time.Millisecond}
}

// Check reads the layout and repairs when it changed since the last check
// (the first check only learns it), or when the last repair failed before
// it was done (a Redis or store call failing while the cluster settles):
// a change is repaired until a repair goes through, never forgotten. It
// reports whether it repaired.
func (f *Failover) Check(ctx context.Context) (bool, error) {
	layout, err := f.gate.Layout(ctx)
	if err != nil || layout == "" {
		return false, err
	}
	before := f.layout
	f.layout = layout
	if before == "" || (before == layout && !f.unrepaired) {
		return false, nil
	}
	if before != layout {
		f.log.WarnContext(ctx, "Redis master replaced; repairing places and counts from the store")
	} else {
		f.log.WarnContext(ctx, "repairing from the store after failover, again")
	}
	err = f.Repair(ctx)
	f.unrepaired = err != nil && ctx.Err() == nil
	return true, err
}

// Repair raises at once every bucket that counts fewer bookings than the
// store (less what is in flight), drops the holds lost with the old
// master once they outlived the grace, has today's occupancy rebuilt, and
// goes on raising and reconciling, Pause apart, until every bucket agrees
// with the store or the tries run out.
func (f *Failover) Repair(ctx context.Context) error {
	start := f.clock.Now()
	f.catalog.forgetSoldOutAll()
	counts, err := f.store.SlotCountsEndingAfter(ctx, start.Add(-f.reconcile.Lookback))
	if err != nil {
		return fmt.Errorf("failover repair: %w", err)
	}
	ids := make([]int64, len(counts))
	for i, c := range counts {
		ids[i] = c.SlotID
	}
	// Raise first: it needs no grace, and a bucket that counts too few
	// lets requests through to the store, which refuses them only when it
	// is full.
	if err := f.raise(ctx, ids); err != nil {
		f.log.WarnContext(ctx, "raise booked counts after failover", "err", err)
	}
	seen, err := f.gate.Holds(ctx, ids)
	if err != nil {
		return fmt.Errorf("failover repair: %w", err)
	}
	if err := f.forgetOccupancy(ctx); err != nil {
		f.log.WarnContext(ctx, "forget occupancy after failover", "err", err)
	}
	if len(seen) > 0 {
		// The grace counts from when the holds were read.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(f.Grace):
		}
		dropped := 0
		for id, holds := range seen {
			n, err := f.gate.DropHolds(ctx, id, holds)
			if err != nil {
				return fmt.Errorf("failover repair: %w", err)
			}
			dropped += n
		}
		if dropped > 0 {
			f.log.InfoContext(ctx, "holds lost with the old Redis master dropped", "holds", dropped)
		}
	}
	for try := 0; try < f.Tries; try++ {
		// Raise on every pass: under traffic each raise discounts the
		// holds in flight, so it may add only part of what was lost;
		// passes go on until the buckets agree.
		if err := f.raise(ctx, ids); err != nil {
			f.log.WarnContext(ctx, "raise booked counts after failover", "err", err)
		}
		pass, drift, err := f.reconcile.Run(ctx)
		if err != nil {
			f.log.WarnContext(ctx, "reconcile after failover", "err", err)
		} else if pass[ReconcileBusy]+pass[ReconcileStale] == 0 {
			f.log.InfoContext(ctx, "capacity gate agrees with the store after failover",
				"repaired", pass[ReconcileRepaired], "drift", int(drift))
			f.catalog.forgetSoldOutAll()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(f.Pause):
		}
		// Another master replaced meanwhile: start over, with its holds.
		if layout, err := f.gate.Layout(ctx); err == nil && layout != "" && layout != f.layout {
			f.layout = layout
			f.log.WarnContext(ctx, "Redis master replaced again; repairing from the store anew")
			return f.Repair(ctx)
		}
	}
	f.log.WarnContext(ctx, "capacity gate still busy after failover; periodic reconciliation continues")
	return nil
}

// raise brings every bucket that counts fewer bookings than the store up
// to it, less what is in flight: one read of the buckets, and a script
// only for those behind.
func (f *Failover) raise(ctx context.Context, ids []int64) error {
	buckets, err := f.gate.Buckets(ctx, ids)
	if err != nil {
		return err
	}
	var behind []int64
	for _, id := range ids {
		if buckets[id].Loaded {
			behind = append(behind, id)
		}
	}
	if len(behind) == 0 {
		return nil
	}
	counts, err := f.store.SlotCounts(ctx, behind)
	if err != nil {
		return err
	}
	added := 0
	for _, c := range counts {
		if buckets[c.SlotID].Booked >= c.Booked {
			continue
		}
		n, err := f.gate.RaiseBooked(ctx, c)
		if err != nil {
			return err
		}
		added += n
	}
	if added > 0 {
		f.log.InfoContext(ctx, "bookings lost with the old Redis master counted again", "places", added)
	}
	return nil
}

// forgetOccupancy drops today's people-inside counts of every venue: the
// next admission or read rebuilds them from the admission and exit records.
func (f *Failover) forgetOccupancy(ctx context.Context) error {
	venues, err := f.store.Venues(ctx)
	if err != nil {
		return err
	}
	now := f.clock.Now()
	for _, v := range venues {
		if err := f.counter.Forget(ctx, VenueDay{VenueID: v.ID, Date: v.Today(now)}); err != nil {
			return err
		}
	}
	return nil
}
