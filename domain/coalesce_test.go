package domain_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"slotgate/domain"
)

// fakeBatches is a BatchStore and BatchSettler that records what reaches it.
type fakeBatches struct {
	mu      sync.Mutex
	batches [][]string // idempotency keys of each CreateBookings call
	alone   []string   // keys sent through CreateBooking
	settled [][]domain.Settlement
	nextID  int64
	lose    bool // every batch's outcome is unknown
}

func (f *fakeBatches) CreateBooking(_ context.Context, nb domain.NewBooking) (domain.Booking, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alone = append(f.alone, nb.IdempotencyKey)
	f.nextID++
	return domain.Booking{ID: f.nextID, PartySize: len(nb.Visitors)}, nil
}

func (f *fakeBatches) CreateBookings(_ context.Context, nbs []domain.NewBooking) []domain.BookingOutcome {
	f.mu.Lock()
	defer f.mu.Unlock()
	var keys []string
	out := make([]domain.BookingOutcome, len(nbs))
	for i, nb := range nbs {
		keys = append(keys, nb.IdempotencyKey)
		if f.lose {
			out[i].Err = domain.ErrOutcomeUnknown
			continue
		}
		f.nextID++
		out[i].Booking = domain.Booking{ID: f.nextID, PartySize: len(nb.Visitors)}
	}
	f.batches = append(f.batches, keys)
	return out
}

func (f *fakeBatches) SettleMany(_ context.Context, _ int64, holds []domain.Settlement) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settled = append(f.settled, holds)
	return nil
}

type result struct {
	b       domain.Booking
	settled bool
	err     error
}

// gather sends bookings (by key and person) into c one after another, each
// once the one before waits, and returns their answers.
func gather(t *testing.T, c *domain.Coalescer, keys, people []string) []result {
	t.Helper()
	out := make([]result, len(keys))
	var wg sync.WaitGroup
	for i := range keys {
		nb := domain.NewBooking{Slot: domain.Slot{ID: 7}, IdempotencyKey: keys[i],
			Visitors: []domain.Visitor{{IDHash: people[i]}}, Fingerprint: fmt.Sprint("fp", i)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, settled, err := c.Create(context.Background(), nb, fmt.Sprint("hold", i))
			out[i] = result{b, settled, err}
		}()
		for n := 0; i < len(keys)-1 && c.Pending(7) != i+1; n++ {
			if n > 10000 {
				t.Fatalf("booking %d never waited in the batch", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
	wg.Wait()
	return out
}

func TestCoalescerBatchesAndSettlesOnce(t *testing.T) {
	f := &fakeBatches{}
	c := domain.NewCoalescer(f, f, time.Hour, 4)
	// The fourth arrival fills the batch; the third repeats the second's
	// key and the fourth the first's person: they go alone, after the batch.
	res := gather(t, c, []string{"k1", "k2", "k2", "k4"}, []string{"p1", "p2", "p3", "p1"})
	if len(f.batches) != 1 || fmt.Sprint(f.batches[0]) != "[k1 k2]" || fmt.Sprint(f.alone) != "[k2 k4]" {
		t.Fatalf("batches %v, alone %v", f.batches, f.alone)
	}
	ids := map[int64]bool{}
	for i, r := range res {
		if r.err != nil || !r.settled || ids[r.b.ID] {
			t.Fatalf("booking %d: %+v", i, r)
		}
		ids[r.b.ID] = true
	}
	if len(f.settled) != 1 || len(f.settled[0]) != 4 || !f.settled[0][0].Committed {
		t.Fatalf("settled %v, want the four holds in one call", f.settled)
	}
	if c.Pending(7) != 0 {
		t.Fatal("bookings left waiting")
	}
}

func TestCoalescerLeavesUnknownOutcomes(t *testing.T) {
	f := &fakeBatches{lose: true}
	c := domain.NewCoalescer(f, f, time.Hour, 2)
	for i, r := range gather(t, c, []string{"a", "b"}, []string{"p1", "p2"}) {
		if !errors.Is(r.err, domain.ErrOutcomeUnknown) {
			t.Fatalf("booking %d: %v", i, r.err)
		}
	}
	if len(f.settled) != 1 || len(f.settled[0]) != 0 {
		t.Fatalf("holds of unknown outcome were settled: %v", f.settled)
	}
}

func TestCoalescerWindowAndOff(t *testing.T) {
	f := &fakeBatches{}
	// A lone booking goes once its window has passed, by the one-booking path.
	c := domain.NewCoalescer(f, f, time.Millisecond, 64)
	if r := gather(t, c, []string{"solo"}, []string{"p"}); r[0].err != nil || len(f.alone) != 1 {
		t.Fatalf("lone booking: %+v, alone %v", r[0], f.alone)
	}
	// Off: straight to the store, the caller settles.
	off := domain.NewCoalescer(f, f, 0, 64)
	if off.Enabled() {
		t.Fatal("a window of 0 is on")
	}
	if _, settled, err := off.Create(context.Background(), domain.NewBooking{Slot: domain.Slot{ID: 7}}, "h"); err != nil || settled {
		t.Fatalf("off: settled %v, %v", settled, err)
	}
}
