package redisgate_test

import (
	"context"
	"slices"
	"testing"

	"slotgate/domain"
	"slotgate/infra/redisgate"
	"slotgate/internal/testkit"
)

// TestRepairAfterFailover: the scripts that repair a bucket after a
// failover. Holds left behind are listed and dropped (their places given
// back, a settled one skipped); a bucket that counts fewer bookings than
// the store is raised to the store's count less the places in flight, or
// to the store's count when the store's slot is full; a bucket counting as
// many or more is never lowered; an unloaded bucket is left alone.
func TestRepairAfterFailover(t *testing.T) {
	forEachRedis(t, func(t *testing.T, r *testkit.Redis, g *redisgate.Gate) {
		ctx := context.Background()
		if err := g.Load(ctx, count(7, 10, 2), now); err != nil {
			t.Fatal(err)
		}
		take(t, g, 7, "a", 2)
		take(t, g, 7, "b", 1)
		holds, err := g.Holds(ctx, []int64{7, 8})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(holds[7])
		if !slices.Equal(holds[7], []string{"a", "b"}) || len(holds[8]) != 0 {
			t.Fatalf("holds: %v", holds)
		}

		// The store counts 6 booked (2 loaded + 4 the bucket lost); 3
		// places are in flight and may be among them: raise to 6 - 3.
		if n, err := g.RaiseBooked(ctx, count(7, 10, 6)); err != nil || n != 1 {
			t.Fatalf("raise: %d %v, want 1", n, err)
		}
		if b := bucket(t, g, 7); b.Booked != 3 || b.Pending != 3 {
			t.Fatalf("after raising: %+v, want booked 3, pending 3", b)
		}
		// Never lowered.
		if n, err := g.RaiseBooked(ctx, count(7, 10, 2)); err != nil || n != 0 {
			t.Fatalf("raise below the count: %d %v", n, err)
		}

		// Hold b settles meanwhile; a is left behind: dropping both drops a.
		if err := g.Settle(ctx, 7, "b", false); err != nil {
			t.Fatal(err)
		}
		if n, err := g.DropHolds(ctx, 7, []string{"a", "b"}); err != nil || n != 1 {
			t.Fatalf("drop: %d %v, want 1", n, err)
		}
		if b := bucket(t, g, 7); b.Booked != 3 || b.Pending != 0 || b.Holds != 0 {
			t.Fatalf("after dropping: %+v", b)
		}

		// The store's slot is full: nothing in flight can commit, so the
		// bucket is raised to the full count whatever it holds.
		take(t, g, 7, "c", 2)
		if n, err := g.RaiseBooked(ctx, count(7, 10, 10)); err != nil || n != 7 {
			t.Fatalf("raise to full: %d %v, want 7", n, err)
		}
		if got := take(t, g, 7, "d", 1); got.Outcome != domain.TakeSoldOut {
			t.Fatalf("take after raising to full: %+v", got)
		}

		// An unloaded bucket is not created by either script.
		if n, err := g.RaiseBooked(ctx, count(9, 10, 5)); err != nil || n != 0 {
			t.Fatalf("raise of an unloaded bucket: %d %v", n, err)
		}
		if n, err := g.DropHolds(ctx, 9, []string{"x"}); err != nil || n != 0 {
			t.Fatalf("drop on an unloaded bucket: %d %v", n, err)
		}
		if b := bucket(t, g, 9); b.Loaded {
			t.Fatalf("bucket 9 created: %+v", b)
		}
	})
}

// TestLayout: one real Redis names itself by its run id, the same on every
// read; the embedded one cannot say, and nothing is compared.
func TestLayout(t *testing.T) {
	forEachRedis(t, func(t *testing.T, r *testkit.Redis, g *redisgate.Gate) {
		ctx := context.Background()
		a, err := g.Layout(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := g.Layout(ctx)
		if r.Embedded != nil {
			if a != "" {
				t.Fatalf("embedded layout %q, want none", a)
			}
			return
		}
		if len(a) != 40 || a != b {
			t.Fatalf("layout %q then %q, want one 40-character run id", a, b)
		}
	})
}
