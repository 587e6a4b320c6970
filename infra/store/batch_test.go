package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"slotgate/domain"
	"slotgate/infra/store"
	"slotgate/internal/testkit"
)

// batchOf makes bookings of slot with the given party sizes, each with its
// own people, key and fingerprint.
func batchOf(slot domain.Slot, first int, sizes ...int) []domain.NewBooking {
	var nbs []domain.NewBooking
	for i, n := range sizes {
		nb := newBooking(slot, party(n, first+10*i), fmt.Sprintf("b%d-%d-%d", slot.ID, first, i))
		nbs = append(nbs, nb)
	}
	return nbs
}

// TestCreateBookingsBatch: a batch commits once for all, answers each
// booking as CreateBooking would, and never exceeds the quota; on MariaDB
// also by the path MySQL takes (no INSERT ... RETURNING).
func TestCreateBookingsBatch(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		s, _ := seeded(t, db)
		paths := []bool{true}
		if s.Dialect() == store.MySQL {
			paths = append(paths, false)
		}
		for _, returning := range paths {
			t.Run(fmt.Sprintf("returning=%v", returning), func(t *testing.T) {
				s.SetReturning(returning)
				day := domain.DateOf(monday0800).AddDays(1)
				if !returning {
					day = day.AddDays(1)
				}
				testBatch(t, s, day)
			})
		}
	})
}

func testBatch(t *testing.T, s *store.Store, day domain.Date) {
	ctx := context.Background()
	var de *domain.Error

	// All fit: one booking each, with its own id and people.
	slot := slotWithQuota(t, s, "jinyun-mountain", day, 10)
	out := s.CreateBookings(ctx, batchOf(slot, 1000, 1, 2, 3))
	seen := map[int64]bool{}
	for i, o := range out {
		if o.Err != nil || o.Booking.ID == 0 || seen[o.Booking.ID] || o.Booking.PartySize != i+1 || len(o.Booking.Visitors) != i+1 {
			t.Fatalf("booking %d: %+v %v", i, o.Booking, o.Err)
		}
		seen[o.Booking.ID] = true
		got, err := s.Booking(ctx, o.Booking.ID)
		if err != nil || got.PartySize != i+1 || got.Visitors[0].Name != fmt.Sprintf("Visitor %d", 1000+10*i) ||
			got.Visitors[i].IDHash != o.Booking.Visitors[i].IDHash || !got.CreatedAt.Equal(monday0800) {
			t.Fatalf("booking %d read back: %+v %v", i, got, err)
		}
	}
	assertBooked(t, s, slot.ID, 6)

	// At the quota's edge: 4 places left for 3+2+3+1; those that fit, in
	// order, are taken (3 and 1), the others are sold out with what is left.
	out = s.CreateBookings(ctx, batchOf(slot, 2000, 3, 2, 3, 1))
	if out[0].Err != nil || out[3].Err != nil {
		t.Fatalf("those that fit: %v, %v", out[0].Err, out[3].Err)
	}
	for _, i := range []int{1, 2} {
		if !errors.As(out[i].Err, &de) || de.Code != domain.CodeSoldOut || de.Remaining != 0 {
			t.Fatalf("booking %d over the quota: %v", i, out[i].Err)
		}
	}
	assertBooked(t, s, slot.ID, 10)
	// Nothing fits: all sold out, nothing written.
	out = s.CreateBookings(ctx, batchOf(slot, 3000, 1, 1))
	for i, o := range out {
		if !errors.Is(o.Err, domain.ErrSoldOut) {
			t.Fatalf("full slot, booking %d: %v", i, o.Err)
		}
	}
	assertBooked(t, s, slot.ID, 10)

	// Duplicates fail alone with their own answers: a key the store holds
	// is a replay, a person it holds is already booked (named), and the
	// same person twice in one batch breaks the unique key, so the batch
	// goes one by one: the first is booked, the second refused.
	other := slotWithQuota(t, s, "beibei-library", day, 20)
	held, err := s.CreateBooking(ctx, newBooking(other, party(1, 4000), fmt.Sprint("held-key-", other.ID)))
	if err != nil {
		t.Fatal(err)
	}
	nbs := batchOf(other, 5000, 1, 1, 2, 1, 1)
	nbs[1].IdempotencyKey = fmt.Sprint("held-key-", other.ID)
	nbs[2].Visitors = append(party(1, 5100), party(1, 4000)...)
	nbs[4].Visitors = party(1, 5000) // the same person as nbs[0]
	out = s.CreateBookings(ctx, nbs)
	if out[0].Err != nil || out[3].Err != nil {
		t.Fatalf("the clean ones: %v, %v", out[0].Err, out[3].Err)
	}
	if !errors.Is(out[1].Err, domain.ErrIdempotentReplay) {
		t.Fatalf("held key: %v", out[1].Err)
	}
	if !errors.As(out[2].Err, &de) || de.Code != domain.CodeAlreadyBooked || de.Field.String() != "visitors[1].id_number" {
		t.Fatalf("held person: %v", out[2].Err)
	}
	if !errors.As(out[4].Err, &de) || de.Code != domain.CodeAlreadyBooked {
		t.Fatalf("same person twice in the batch: %v", out[4].Err)
	}
	assertBooked(t, s, other.ID, held.PartySize+2)

	// A closed slot: every booking of the batch is refused as closed.
	s.DB().Exec(`UPDATE slots SET status = 'closed' WHERE id = ?`, other.ID)
	out = s.CreateBookings(ctx, batchOf(other, 6000, 1, 1))
	for i, o := range out {
		if !errors.Is(o.Err, domain.ErrSlotClosed) {
			t.Fatalf("closed slot, booking %d: %v", i, o.Err)
		}
	}
	assertBooked(t, s, other.ID, held.PartySize+2)
}
