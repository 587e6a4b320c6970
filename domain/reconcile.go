package domain

import (
	"context"
	"fmt"
	"time"
)

// Reconciler repairs drift between the capacity gate and the store, which is
// the truth. Each pass reads every bucket first, then the store; a bucket
// that disagrees is repaired by one script that discounts what the holds in
// flight, and those settled since the bucket was read, may have moved, so
// that a slot under steady traffic is repaired too and a repair never
// counts a booking twice. Admin changes are announced to the bucket before
// they commit, and a bucket with one in flight waits for the next pass.
type Reconciler struct {
	store Store
	gate  CapacityGate
	clock Clock
	// Stale is the age after which a hold belongs to a request that died;
	// longer than any request can take.
	Stale time.Duration
	// Lookback keeps slots that ended this long ago in the pass (walk-ins and
	// late cancellations still move their counts).
	Lookback time.Duration
}

// NewReconciler repairs gate from store.
func NewReconciler(store Store, gate CapacityGate, clock Clock) *Reconciler {
	return &Reconciler{store: store, gate: gate, clock: clock, Stale: 2 * time.Minute, Lookback: time.Hour}
}

// Pass is what one reconciliation pass found, by outcome.
type Pass map[ReconcileOutcome]int

// Drift sums the absolute differences repaired in one pass.
type Drift int

// Run makes one pass and returns its outcomes and the total drift repaired.
func (r *Reconciler) Run(ctx context.Context) (Pass, Drift, error) {
	now := r.clock.Now()
	counts, err := r.store.SlotCountsEndingAfter(ctx, now.Add(-r.Lookback))
	if err != nil {
		return nil, 0, fmt.Errorf("reconcile: %w", err)
	}
	ids := make([]int64, len(counts))
	for i, c := range counts {
		ids[i] = c.SlotID
	}
	buckets, err := r.gate.Buckets(ctx, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("reconcile: read buckets: %w", err)
	}
	var loaded []int64
	for _, id := range ids {
		if buckets[id].Loaded {
			loaded = append(loaded, id)
		}
	}
	pass := Pass{ReconcileNotLoaded: len(ids) - len(loaded)}
	if len(loaded) == 0 {
		return pass, 0, nil
	}
	// Read the store again, after the marks: whatever changed in between
	// moved a mark, and that bucket waits for the next pass.
	counts, err = r.store.SlotCounts(ctx, loaded)
	if err != nil {
		return nil, 0, fmt.Errorf("reconcile: %w", err)
	}
	var drift Drift
	for _, c := range counts {
		b := buckets[c.SlotID]
		if b.Holds == 0 && b.Pending == 0 && b.Quota == c.Quota && b.Booked == c.Booked && b.Open == c.Open {
			pass[ReconcileAgreed]++
			continue
		}
		got, err := r.gate.Reconcile(ctx, c, b, now, r.Stale)
		if err != nil {
			return pass, drift, fmt.Errorf("reconcile slot %d: %w", c.SlotID, err)
		}
		pass[got.Outcome]++
		drift += Drift(abs(got.Drift))
	}
	return pass, drift, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
