package domain

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Reconciler repairs drift between the capacity gate and the store, which is
// the truth. Each pass reads every bucket first, then the store; a bucket
// that disagrees is repaired by one script that discounts what the holds in
// flight, and those settled since the bucket was read, may have moved, so
// that a slot under steady traffic is repaired too and a repair never
// counts a booking twice. Holds in flight leave the true count known only
// within bounds: a bucket repaired only part of the way, or left within
// loose bounds pass after pass, is fenced for a moment (new takes wait, the
// holds drain) and repaired exactly. Admin changes are announced to the
// bucket before they commit, and a bucket with one in flight waits for the
// next pass.
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
	// FenceFor bounds how long new takes of a fenced slot wait while its
	// holds drain; LoosePasses is how many passes in a row may find a
	// bucket within loose bounds before it is fenced.
	FenceFor    time.Duration
	LoosePasses int

	mu    sync.Mutex
	loose map[int64]int // passes in a row that found the slot within loose bounds
}

// NewReconciler repairs gate from store.
func NewReconciler(store Store, gate CapacityGate, clock Clock) *Reconciler {
	return &Reconciler{store: store, gate: gate, clock: clock, Stale: 2 * time.Minute, Lookback: time.Hour,
		FenceFor: 500 * time.Millisecond, LoosePasses: 6, loose: map[int64]int{}}
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
	r.mu.Lock()
	defer r.mu.Unlock()
	loose := make(map[int64]int)
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
		drift += Drift(abs(got.Drift))
		if got.Loose {
			loose[c.SlotID] = r.loose[c.SlotID] + 1
		}
		if got.Loose && (got.Outcome == ReconcileRepaired || loose[c.SlotID] >= r.LoosePasses) {
			delete(loose, c.SlotID)
			fenced, err := r.fenced(ctx, c.SlotID, now)
			if err != nil {
				return pass, drift, err
			}
			drift += Drift(abs(fenced.Drift))
			if fenced.Outcome == ReconcileRepaired {
				got.Outcome = ReconcileRepaired
			}
		}
		pass[got.Outcome]++
	}
	r.loose = loose
	return pass, drift, nil
}

// fenced repairs a slot's bucket with nothing in flight: it fences the
// bucket, waits (in real time: holds drain in real time) until its holds
// have ended, reads the store and repairs, then lifts the fence. Holds
// that outlive the fence (a stuck request) leave the bucket to a later pass.
func (r *Reconciler) fenced(ctx context.Context, slotID int64, now time.Time) (Reconciled, error) {
	if err := r.gate.Fence(ctx, slotID, r.FenceFor); err != nil {
		return Reconciled{}, fmt.Errorf("reconcile: %w", err)
	}
	defer func() { _ = r.gate.Unfence(context.WithoutCancel(ctx), slotID) }()
	until := time.Now().Add(r.FenceFor * 4 / 5)
	for {
		buckets, err := r.gate.Buckets(ctx, []int64{slotID})
		if err != nil {
			return Reconciled{}, fmt.Errorf("reconcile: read bucket: %w", err)
		}
		b, ok := buckets[slotID]
		if !ok {
			return Reconciled{Outcome: ReconcileNotLoaded}, nil
		}
		if b.Holds == 0 {
			counts, err := r.store.SlotCounts(ctx, []int64{slotID})
			if err != nil || len(counts) != 1 {
				return Reconciled{}, fmt.Errorf("reconcile slot %d: %w", slotID, err)
			}
			got, err := r.gate.Reconcile(ctx, counts[0], b, now, r.Stale)
			if err != nil {
				return Reconciled{}, fmt.Errorf("reconcile slot %d: %w", slotID, err)
			}
			return got, nil
		}
		if time.Now().After(until) {
			return Reconciled{Outcome: ReconcileBusy}, nil
		}
		select {
		case <-ctx.Done():
			return Reconciled{}, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
