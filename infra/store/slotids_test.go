package store_test

import (
	"context"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/testkit"
)

// TestSlotIDsAreNeverReused: a slot removed (a schedule change) leaves its
// id behind for good. The gate's buckets, the sold-out notes and a stale
// page's booking request all name slots by id: a new slot given the id of
// the newest removed one (SQLite's rowid would) would be booked, counted
// and sold as the old one.
func TestSlotIDsAreNeverReused(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		s, _ := seeded(t, db)
		v := venue(t, s, "jinyun-mountain")
		day := domain.DateOf(monday0800).AddDays(60) // past the window: no slots yet
		slot := func(hour int) domain.Slot {
			start := time.Date(2026, 5, 1, hour, 0, 0, 0, v.Location())
			return domain.Slot{VenueID: v.ID, Date: day, Start: start, End: start.Add(time.Hour), Quota: 10, Status: domain.SlotOpen}
		}
		if n, err := s.AddSlots(ctx, []domain.Slot{slot(9), slot(10)}); err != nil || n != 2 {
			t.Fatalf("add: %d %v", n, err)
		}
		slots, err := s.SlotsOn(ctx, v.ID, day)
		if err != nil || len(slots) != 2 {
			t.Fatalf("slots: %v %v", slots, err)
		}
		newest := max(slots[0].ID, slots[1].ID)
		if kept, err := s.RemoveEmptySlots(ctx, []int64{newest}); err != nil || len(kept) != 0 {
			t.Fatalf("remove: %v %v", kept, err)
		}
		for _, hour := range []int{11, 12} {
			if n, err := s.AddSlots(ctx, []domain.Slot{slot(hour)}); err != nil || n != 1 {
				t.Fatalf("add again: %d %v", n, err)
			}
		}
		slots, err = s.SlotsOn(ctx, v.ID, day)
		if err != nil || len(slots) != 3 {
			t.Fatalf("slots after: %v %v", slots, err)
		}
		for _, sl := range slots[1:] {
			if sl.ID <= newest {
				t.Fatalf("slot %s got id %d, not past the removed slot's %d", sl.Start.Format("15:04"), sl.ID, newest)
			}
		}
		if slots[1].ID == slots[2].ID {
			t.Fatalf("two slots share id %d", slots[1].ID)
		}
	})
}
