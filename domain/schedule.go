package domain

import (
	"context"
	"fmt"
	"time"
)

// Schedule materializes slots from venue policy: every day of each venue's
// booking window gets its slots, plus one day more so that a new day's slots
// exist before it opens at midnight. Running it again creates nothing twice.
type Schedule struct {
	store Store
	clock Clock
}

// NewSchedule makes slots in store as of clock.
func NewSchedule(store Store, clock Clock) *Schedule { return &Schedule{store: store, clock: clock} }

// Materialize creates the missing slots of every venue and says how many.
func (s *Schedule) Materialize(ctx context.Context) (int, error) {
	venues, err := s.store.Venues(ctx)
	if err != nil {
		return 0, fmt.Errorf("materialize slots: %w", err)
	}
	now := s.clock.Now()
	created := 0
	for _, v := range venues {
		var slots []Slot
		today := v.Today(now)
		for i := 0; i <= v.BookingWindowDays+1; i++ {
			for _, sl := range v.SlotsOn(today.AddDays(i)) {
				if !now.Before(sl.HeldBackReleaseAt) {
					sl.HeldBack, sl.HeldBackReleaseAt = 0, time.Time{} // made after the release: nothing to hold
				}
				slots = append(slots, sl)
			}
		}
		n, err := s.store.AddSlots(ctx, slots)
		if err != nil {
			return created, fmt.Errorf("materialize slots of %s: %w", v.Slug, err)
		}
		created += n
	}
	return created, nil
}

// Seed adds the SPEC's venues to an empty store; existing slugs are kept as
// admins left them.
func (s *Schedule) Seed(ctx context.Context) error {
	if err := s.store.AddVenues(ctx, SeedVenues()); err != nil {
		return fmt.Errorf("seed venues: %w", err)
	}
	return nil
}
