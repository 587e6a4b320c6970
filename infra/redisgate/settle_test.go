package redisgate_test

import (
	"context"
	"testing"

	"slotgate/domain"
	"slotgate/infra/redisgate"
	"slotgate/internal/testkit"
)

// TestSettleMany ends a coalesced batch's holds in one call: committed
// places move to booked, refused ones go back, a hold left out (outcome
// unknown) stays pending, and a repeated call changes nothing.
func TestSettleMany(t *testing.T) {
	forEachRedis(t, func(t *testing.T, r *testkit.Redis, g *redisgate.Gate) {
		ctx := context.Background()
		if err := g.Load(ctx, count(21, 10, 0), now); err != nil {
			t.Fatal(err)
		}
		for hold, n := range map[string]int{"a": 2, "b": 3, "c": 1, "d": 4} {
			if got := take(t, g, 21, hold, n); got.Outcome != domain.Taken {
				t.Fatalf("take %s: %+v", hold, got)
			}
		}
		batch := []domain.Settlement{{Hold: "a", Committed: true}, {Hold: "b", Committed: false}, {Hold: "c", Committed: true}}
		for range 2 {
			if err := g.SettleMany(ctx, 21, batch); err != nil {
				t.Fatal(err)
			}
			if b := bucket(t, g, 21); b.Booked != 3 || b.Pending != 4 || b.Holds != 1 {
				t.Fatalf("after the batch: %+v, want 3 booked, d's 4 pending", b)
			}
		}
		if err := g.SettleMany(ctx, 21, nil); err != nil {
			t.Fatal(err)
		}
	})
}
