package domain_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"slotgate/domain"
)

// slowRestrictions is a store whose read of restrictions waits for the
// test, or for its context, as a database under load would.
type slowRestrictions struct {
	domain.FairnessStore
	started  chan struct{}
	release  chan struct{}
	calls    atomic.Int64
	canceled atomic.Int64 // reads whose context ended before the answer
	list     []domain.Restriction
}

func (s *slowRestrictions) Restrictions(ctx context.Context, _ int64, _ domain.Date) ([]domain.Restriction, error) {
	s.calls.Add(1)
	s.started <- struct{}{}
	select {
	case <-s.release:
		return s.list, nil
	case <-ctx.Done():
		s.canceled.Add(1)
		return nil, ctx.Err()
	}
}

// TestRestrictionReadIsSharedAndOutlivesItsRequest: the requests that find
// the restrictions unread wait for one read of the store; the request that
// started it going away neither fails it for the others nor makes them
// read again, and a request that gives up stops waiting at once.
func TestRestrictionReadIsSharedAndOutlivesItsRequest(t *testing.T) {
	w := newWorld(10)
	until := domain.DateOf(time.Date(2026, 3, 10, 0, 0, 0, 0, shanghai))
	rs := &slowRestrictions{started: make(chan struct{}, 8), release: make(chan struct{}),
		list: []domain.Restriction{{VenueID: 1, IDHash: domain.NewIDHasher([]byte("k")).Hash(domain.IDPassport, "E00000001"), Until: until}}}
	w.bookings.RestrictWith(rs)
	book := func(ctx context.Context, r domain.BookingRequest) chan error {
		out := make(chan error, 1)
		go func() {
			_, err := w.bookings.Book(ctx, r)
			out <- err
		}()
		return out
	}
	answer := func(ch chan error, what string) error {
		t.Helper()
		select {
		case err := <-ch:
			return err
		case <-time.After(10 * time.Second):
			close(rs.release)
			t.Fatalf("%s got no answer while the store's read was slow", what)
			return nil
		}
	}

	// A starts the read, then goes away: it is answered at once.
	ctxA, cancelA := context.WithCancel(context.Background())
	a := book(ctxA, request(1, 50, ""))
	<-rs.started
	cancelA()
	if err := answer(a, "the request that went away"); domain.CodeOf(err) != domain.CodeUnavailable {
		t.Fatalf("A: %v, want unavailable", err)
	}
	// C waits with a deadline and gives up while the read goes on.
	ctxC, cancelC := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelC()
	if err := answer(book(ctxC, request(1, 60, "")), "the request with a deadline"); domain.CodeOf(err) != domain.CodeUnavailable {
		t.Fatalf("C: %v, want unavailable", err)
	}
	// B, a restricted visitor, waits for the same read and gets its answer.
	b := book(context.Background(), request(1, 1, ""))
	close(rs.release)
	err := answer(b, "the restricted visitor")
	var de *domain.Error
	if domain.CodeOf(err) != domain.CodeRestricted || !errors.As(err, &de) || de.RestrictedUntil != until {
		t.Fatalf("B: %v, want restricted until %s", err, until)
	}
	if rs.calls.Load() != 1 || rs.canceled.Load() != 0 {
		t.Fatalf("the store was read %d times, %d of them cut short by a request; want one read, whole", rs.calls.Load(), rs.canceled.Load())
	}
	// Then the cache answers without the store.
	if _, err := w.bookings.Book(context.Background(), request(1, 70, "")); err != nil || rs.calls.Load() != 1 {
		t.Fatalf("a visitor after the read: %v, %d reads", err, rs.calls.Load())
	}
}
