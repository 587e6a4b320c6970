package domain

import (
	"context"
	"log/slog"
	"time"
)

// A change that the store commits first and the capacity gate learns after
// (a quota change, a held-back release, a closure or a closed day opened
// again, standby bookings) is announced to the slot's bucket before the
// store commits it, and applied or withdrawn after: a reconciliation pass in between sees the
// announcement and leaves the bucket alone, so that the change never counts
// twice (see lua/reconcile.lua in infra/redisgate).

// change is one announced change of a slot's bucket.
type change struct {
	gate   CapacityGate
	log    *slog.Logger
	slotID int64
	hold   string
}

// announceChange tells the gate that a change of slotID is about to
// commit. The gate failing loses nothing: reconciliation catches up.
func announceChange(ctx context.Context, gate CapacityGate, log *slog.Logger, slotID int64, now time.Time) change {
	c := change{gate: gate, log: log, slotID: slotID, hold: newHold()}
	if err := gate.Announce(ctx, slotID, c.hold, now); err != nil {
		log.WarnContext(ctx, "announce a change to the capacity gate; reconciliation will", "slot", slotID, "err", err)
	}
	return c
}

// apply moves the bucket by the committed change's differences.
func (c change) apply(ctx context.Context, quotaDelta, bookedDelta int, open bool) {
	if err := c.gate.Adjust(ctx, c.slotID, c.hold, quotaDelta, bookedDelta, open); err != nil {
		c.log.WarnContext(ctx, "adjust the capacity gate after a change; reconciliation will", "slot", c.slotID, "err", err)
	}
}

// withdraw ends an announcement whose change did not commit (or whose
// outcome is unknown: the bucket then waits for reconciliation to read the
// store, which is right either way).
func (c change) withdraw(ctx context.Context) {
	if err := c.gate.Settle(ctx, c.slotID, c.hold, false); err != nil {
		c.log.WarnContext(ctx, "withdraw a change from the capacity gate", "slot", c.slotID, "err", err)
	}
}

// promoteCounted books the slot's standby list into places that came free
// and counts them in the gate, announced like any other change.
func (s *Bookings) promoteCounted(ctx context.Context, slot Slot) int {
	c := announceChange(ctx, s.gate, s.log, slot.ID, s.clock.Now())
	n := s.PromoteStandby(ctx, slot)
	if n == 0 {
		c.withdraw(ctx)
		return 0
	}
	c.apply(ctx, 0, n, slot.Status == SlotOpen)
	return n
}
