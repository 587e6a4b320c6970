package domain_test

import (
	"context"
	"crypto/sha512"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"slotgate/domain"
)

// The hardest branches of the booking use case, over small in-memory fakes
// of its ports, beside the end-to-end suites that run the same paths on
// real servers. Each fake keeps only what these cases read back; methods
// a case does not reach panic through the embedded nil interface.

var shanghai = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// fakeStore holds one venue, one slot and its bookings.
type fakeStore struct {
	domain.Store
	mu       sync.Mutex
	venue    domain.Venue
	slot     domain.Slot
	bookings map[int64]domain.Booking
	byKey    map[string]int64
	prints   map[int64]string
	creates  int
	keyReads int
	// createFault, when set, decides the fate of a CreateBooking: commit
	// (the booking is written) and the error answered.
	createFault func(n int) (commit bool, err error)
	cancelErr   error
}

func (s *fakeStore) Venues(context.Context) ([]domain.Venue, error) {
	return []domain.Venue{s.venue}, nil
}

func (s *fakeStore) Slot(_ context.Context, id int64) (domain.Slot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != s.slot.ID {
		return domain.Slot{}, domain.ErrNotFound
	}
	return s.slot, nil
}

func (s *fakeStore) SlotCounts(_ context.Context, ids []int64) ([]domain.SlotCount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return []domain.SlotCount{s.slot.Count()}, nil
}

func (s *fakeStore) CreateBooking(_ context.Context, nb domain.NewBooking) (domain.Booking, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creates++
	commit, err := true, error(nil)
	if s.createFault != nil {
		commit, err = s.createFault(s.creates)
	}
	if nb.IdempotencyKey != "" {
		if _, ok := s.byKey[nb.IdempotencyKey]; ok {
			return domain.Booking{}, domain.ErrIdempotentReplay
		}
	}
	if commit {
		if s.slot.Booked+len(nb.Visitors) > s.slot.Quota {
			return domain.Booking{}, &domain.Error{Code: domain.CodeSoldOut, Remaining: s.slot.Quota - s.slot.Booked}
		}
		b := domain.Booking{ID: int64(len(s.bookings) + 1), VenueID: s.venue.ID, Slot: nb.Slot, PartySize: len(nb.Visitors),
			Status: domain.BookingConfirmed, Phone: nb.Phone, Visitors: nb.Visitors, CreatedAt: nb.CreatedAt}
		s.bookings[b.ID] = b
		s.prints[b.ID] = nb.Fingerprint
		if nb.IdempotencyKey != "" {
			s.byKey[nb.IdempotencyKey] = b.ID
		}
		s.slot.Booked += b.PartySize
		if err == nil {
			return b, nil
		}
	}
	return domain.Booking{}, err
}

func (s *fakeStore) BookingByIdempotencyKey(_ context.Context, key string) (domain.Booking, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyReads++
	id, ok := s.byKey[key]
	if !ok {
		return domain.Booking{}, "", domain.ErrNotFound
	}
	return s.bookings[id], s.prints[id], nil
}

func (s *fakeStore) Booking(_ context.Context, id int64) (domain.Booking, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bookings[id]
	if !ok {
		return domain.Booking{}, domain.ErrNotFound
	}
	return b, nil
}

func (s *fakeStore) CancelBooking(_ context.Context, id int64, at time.Time, _ *domain.Notification) (domain.Booking, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancelErr != nil {
		return domain.Booking{}, s.cancelErr
	}
	b := s.bookings[id]
	b.Status, b.CancelledAt = domain.BookingCancelled, at
	s.bookings[id] = b
	s.slot.Booked -= b.PartySize
	return b, nil
}

func (s *fakeStore) WaitingStandby(context.Context, int64) ([]domain.StandbyEntry, error) {
	return nil, nil
}

func (s *fakeStore) count() (bookings, booked int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bookings), s.slot.Booked
}

// fakeGate is the capacity gate for one slot: a bucket, its holds and the
// releases announced.
type fakeGate struct {
	domain.CapacityGate
	mu       sync.Mutex
	loaded   bool
	quota    int
	booked   int
	holds    map[string]int
	releases map[string]int
	settled  []string // "hold:committed"
	takeErr  error
	relErr   error
	settle   error
}

func (g *fakeGate) Take(_ context.Context, _ int64, hold string, places int, _ time.Time) (domain.Take, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.takeErr != nil {
		return domain.Take{}, g.takeErr
	}
	if !g.loaded {
		return domain.Take{Outcome: domain.TakeNotLoaded}, nil
	}
	pending := 0
	for _, n := range g.holds {
		pending += n
	}
	left := g.quota - g.booked - pending
	if _, again := g.holds[hold]; again {
		return domain.Take{Outcome: domain.Taken, Remaining: left, Pending: pending}, nil
	}
	if places > left {
		return domain.Take{Outcome: domain.TakeSoldOut, Remaining: left, Pending: pending}, nil
	}
	g.holds[hold] = places
	return domain.Take{Outcome: domain.Taken, Remaining: left - places, Pending: pending + places}, nil
}

func (g *fakeGate) Settle(_ context.Context, _ int64, hold string, committed bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.settled = append(g.settled, fmt.Sprintf("%s:%v", hold, committed))
	if g.settle != nil {
		return g.settle // the script did not run: nothing moves
	}
	if n, ok := g.holds[hold]; ok {
		delete(g.holds, hold)
		if committed {
			g.booked += n
		}
	}
	if n, ok := g.releases[hold]; ok {
		delete(g.releases, hold)
		if committed {
			g.booked -= n
		}
	}
	return nil
}

// Announce records nothing: the fake has no reconciliation to warn.
func (g *fakeGate) Announce(context.Context, int64, string, time.Time) error { return nil }

func (g *fakeGate) HoldRelease(_ context.Context, _ int64, hold string, places int, _ time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.relErr != nil {
		return g.relErr
	}
	g.releases[hold] = places
	return nil
}

func (g *fakeGate) Load(_ context.Context, c domain.SlotCount, _ time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.loaded {
		g.loaded, g.quota, g.booked = true, c.Quota, c.Booked
	}
	return nil
}

// state is the bucket: booked, places held by requests, holds in flight.
func (g *fakeGate) state() (booked, pending, holds int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range g.holds {
		pending += n
	}
	return g.booked, pending, len(g.holds) + len(g.releases)
}

// fakeLimiter allows the first allow requests, then refuses; err fails it.
type fakeLimiter struct {
	mu    sync.Mutex
	allow int
	calls int
	err   error
}

func (l *fakeLimiter) Allow(_ context.Context, checks ...domain.LimitCheck) ([]domain.LimitStatus, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.err != nil {
		return nil, l.err
	}
	out := make([]domain.LimitStatus, len(checks))
	for i, c := range checks {
		out[i] = domain.LimitStatus{Policy: c.Policy, Allowed: l.calls <= l.allow, RetryAfter: time.Minute}
	}
	return out, nil
}

// fakeSigner signs with a plain digest, as long as an Ed25519 signature:
// enough for codes to round-trip.
type fakeSigner struct{}

func (fakeSigner) Sign(msg []byte) []byte { s := sha512.Sum512(msg); return s[:] }
func (fakeSigner) Verify(msg, sig []byte) bool {
	s := sha512.Sum512(msg)
	return string(s[:]) == string(sig)
}
func (fakeSigner) PublicKey() []byte { return nil }

// world is the use case over its fakes, at 08:00 on a Monday in Beibei,
// with one open slot at 10:00 the same day.
type world struct {
	store    *fakeStore
	gate     *fakeGate
	limiter  *fakeLimiter
	clock    *domain.ManualClock
	bookings *domain.Bookings
}

func newWorld(quota int) *world {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, shanghai)
	venue := domain.Venue{ID: 1, Slug: "jinyun-mountain", Timezone: "Asia/Shanghai", BookingWindowDays: 7, MaxPartySize: 5}
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)
	slot := domain.Slot{ID: 7, VenueID: 1, Date: domain.DateOf(start), Start: start, End: start.Add(time.Hour),
		Quota: quota, Status: domain.SlotOpen}
	w := &world{
		store: &fakeStore{venue: venue, slot: slot, bookings: map[int64]domain.Booking{}, byKey: map[string]int64{},
			prints: map[int64]string{}},
		gate:    &fakeGate{holds: map[string]int{}, releases: map[string]int{}},
		limiter: &fakeLimiter{allow: 1 << 30},
		clock:   domain.NewManualClock(now),
	}
	log := slog.New(slog.DiscardHandler)
	catalog := domain.NewCatalog(w.store, w.gate, w.clock, log, 0)
	catalog.SoldOutMemory = 0
	w.bookings = domain.NewBookings(catalog, w.store, w.gate, fakeSigner{}, domain.NewIDHasher([]byte("k")), w.clock, log)
	w.bookings.LimitWith(w.limiter, domain.DefaultBookingLimits())
	return w
}

// request is a party of n with passports starting at first.
func request(n, first int, key string) domain.BookingRequest {
	r := domain.BookingRequest{SlotID: 7, Phone: "13800138000", IdempotencyKey: key, ClientAddr: "192.0.2.1"}
	for i := range n {
		r.Visitors = append(r.Visitors, domain.VisitorInput{Name: "访客", IDType: "passport", IDNumber: fmt.Sprintf("E%08d", first+i)})
	}
	return r
}

func (w *world) expect(t *testing.T, bookings, storeBooked, gateBooked, pending int) {
	t.Helper()
	n, sb := w.store.count()
	gb, p, _ := w.gate.state()
	if n != bookings || sb != storeBooked || gb != gateBooked || p != pending {
		t.Fatalf("store: %d bookings, %d booked; gate: %d booked, %d pending; want %d, %d; %d, %d",
			n, sb, gb, p, bookings, storeBooked, gateBooked, pending)
	}
}

func TestBookingBranches(t *testing.T) {
	ctx := context.Background()
	lostCommit := func(n int) (bool, error) {
		if n == 1 {
			return true, errors.Join(domain.ErrOutcomeUnknown, errors.New("connection reset during COMMIT"))
		}
		return true, nil
	}
	cases := []struct {
		name string
		run  func(t *testing.T, w *world)
	}{
		{"commit outcome unknown keeps the hold; a same-key retry replays", func(t *testing.T, w *world) {
			w.store.createFault = lostCommit
			_, err := w.bookings.Book(ctx, request(2, 1, "k1"))
			if !errors.Is(err, domain.ErrOutcomeUnknown) {
				t.Fatalf("first attempt: %v, want outcome unknown", err)
			}
			// Committed in the store, and the places stay held in the gate:
			// giving them back could oversell.
			w.expect(t, 1, 2, 0, 2)
			if len(w.gate.settled) != 0 {
				t.Fatalf("a hold of unknown fate was settled: %v", w.gate.settled)
			}
			got, err := w.bookings.Book(ctx, request(2, 1, "k1"))
			if err != nil || !got.Replayed || got.Booking.ID != 1 || got.Booking.PartySize != 2 {
				t.Fatalf("retry: %+v %v, want booking 1 replayed", got, err)
			}
			// The retry's own hold went back; the first one waits for reconciliation.
			w.expect(t, 1, 2, 0, 2)
		}},
		{"commit outcome unknown with the slot filled by the kept hold: the retry still replays", func(t *testing.T, w *world) {
			w.store.slot.Quota = 2
			w.store.createFault = lostCommit
			if _, err := w.bookings.Book(ctx, request(2, 1, "k1")); !errors.Is(err, domain.ErrOutcomeUnknown) {
				t.Fatalf("first attempt: %v", err)
			}
			got, err := w.bookings.Book(ctx, request(2, 1, "k1"))
			if err != nil || !got.Replayed || got.Booking.ID != 1 {
				t.Fatalf("retry on a full gate: %+v %v, want booking 1 replayed", got, err)
			}
			if w.store.creates != 1 {
				t.Fatalf("the store was asked %d times; the gate refused the retry before it", w.store.creates)
			}
			// Without a key, the same party on the full gate is refused.
			_, err = w.bookings.Book(ctx, request(1, 50, ""))
			if domain.CodeOf(err) != domain.CodeSoldOut {
				t.Fatalf("another visitor: %v, want sold out", err)
			}
		}},
		{"commit outcome unknown when nothing was committed: the retry books once", func(t *testing.T, w *world) {
			w.store.createFault = func(n int) (bool, error) {
				if n == 1 {
					return false, errors.Join(domain.ErrOutcomeUnknown, errors.New("connection reset during COMMIT"))
				}
				return true, nil
			}
			if _, err := w.bookings.Book(ctx, request(2, 1, "k1")); !errors.Is(err, domain.ErrOutcomeUnknown) {
				t.Fatalf("first attempt: %v", err)
			}
			got, err := w.bookings.Book(ctx, request(2, 1, "k1"))
			if err != nil || got.Replayed || got.Booking.ID != 1 {
				t.Fatalf("retry: %+v %v, want a new booking", got, err)
			}
			w.expect(t, 1, 2, 2, 2) // the lost attempt's hold stays for reconciliation
		}},
		{"a gate error gives the hold back and never reaches the store", func(t *testing.T, w *world) {
			w.gate.takeErr = errors.New("redis: connection refused")
			_, err := w.bookings.Book(ctx, request(1, 1, "k1"))
			if domain.CodeOf(err) != domain.CodeUnavailable {
				t.Fatalf("gate down: %v, want unavailable", err)
			}
			if w.store.creates != 0 || len(w.gate.settled) != 1 || w.gate.settled[0][len(w.gate.settled[0])-6:] != ":false" {
				t.Fatalf("store asked %d times, settles %v; want none, one give-back", w.store.creates, w.gate.settled)
			}
			w.expect(t, 0, 0, 0, 0)
		}},
		{"a settle error after the commit still answers the booking", func(t *testing.T, w *world) {
			w.gate.settle = errors.New("redis: i/o timeout")
			got, err := w.bookings.Book(ctx, request(3, 1, ""))
			if err != nil || got.Booking.ID != 1 || got.Replayed {
				t.Fatalf("book with settle failing: %+v %v", got, err)
			}
			// The hold stays pending: reconciliation settles it from the store.
			w.expect(t, 1, 3, 0, 3)
		}},
		{"a store refusal gives the places back", func(t *testing.T, w *world) {
			w.store.createFault = func(int) (bool, error) { return false, domain.ErrAlreadyBooked }
			_, err := w.bookings.Book(ctx, request(2, 1, ""))
			if !errors.Is(err, domain.ErrAlreadyBooked) {
				t.Fatalf("refused by the store: %v", err)
			}
			w.expect(t, 0, 0, 0, 0)
		}},
		{"a store fault gives the places back and is not a replay", func(t *testing.T, w *world) {
			w.store.createFault = func(int) (bool, error) { return false, domain.Unavailable("store", errors.New("too many connections")) }
			_, err := w.bookings.Book(ctx, request(2, 1, "k1"))
			if domain.CodeOf(err) != domain.CodeUnavailable || w.store.keyReads != 0 {
				t.Fatalf("store down: %v (key read %d times)", err, w.store.keyReads)
			}
			w.expect(t, 0, 0, 0, 0)
		}},
		{"a retry after the slot's sales ended is refused before the replay", func(t *testing.T, w *world) {
			if _, err := w.bookings.Book(ctx, request(2, 1, "k1")); err != nil {
				t.Fatal(err)
			}
			// The slot under way still sells; at its end (this venue sells to the end) it does not.
			w.clock.Set(time.Date(2026, 3, 2, 11, 0, 0, 0, shanghai))
			_, err := w.bookings.Book(ctx, request(2, 1, "k1"))
			if domain.CodeOf(err) != domain.CodeSlotClosed || w.store.keyReads != 0 {
				t.Fatalf("retry at the end: %v (key read %d times), want slot_closed before any replay", err, w.store.keyReads)
			}
			w.expect(t, 1, 2, 2, 0)
		}},
		{"a retry a limit refuses is refused before the replay and the gate", func(t *testing.T, w *world) {
			w.limiter.allow = 1
			if _, err := w.bookings.Book(ctx, request(2, 1, "k1")); err != nil {
				t.Fatal(err)
			}
			got, err := w.bookings.Book(ctx, request(2, 1, "k1"))
			if domain.CodeOf(err) != domain.CodeRateLimited || len(got.Limits) == 0 || w.store.keyReads != 0 {
				t.Fatalf("limited retry: %+v %v (key read %d times)", got, err, w.store.keyReads)
			}
			if len(w.gate.settled) != 1 {
				t.Fatalf("the limited retry reached the gate: %v", w.gate.settled)
			}
		}},
		{"a limiter failure lets the request through", func(t *testing.T, w *world) {
			w.limiter.err = errors.New("redis: connection refused")
			got, err := w.bookings.Book(ctx, request(1, 1, ""))
			if err != nil || got.Booking.ID != 1 || got.Limits != nil {
				t.Fatalf("limiter down: %+v %v", got, err)
			}
		}},
		{"a retry of a booking the gate now refuses answers the booking", func(t *testing.T, w *world) {
			w.store.slot.Quota = 2
			if _, err := w.bookings.Book(ctx, request(2, 1, "k1")); err != nil {
				t.Fatal(err)
			}
			got, err := w.bookings.Book(ctx, request(2, 1, "k1"))
			if err != nil || !got.Replayed || got.Booking.ID != 1 {
				t.Fatalf("retry on a sold-out slot: %+v %v", got, err)
			}
			// The same key with another party is a reuse, not a retry.
			_, err = w.bookings.Book(ctx, request(2, 30, "k1"))
			if domain.CodeOf(err) != domain.CodeValidation {
				t.Fatalf("key reused for another party: %v", err)
			}
			w.expect(t, 1, 2, 2, 0)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newWorld(10))
		})
	}
}

func TestCancelBranches(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		prep func(w *world)
		// want: the answer's code ("" for success), then the store's and
		// the gate's booked counts after it.
		code        domain.Code
		storeBooked int
		gateBooked  int
	}{
		{"cancel gives the places back in the store and the gate", func(*world) {}, "", 0, 0},
		{"the release not announced: the store is the truth, the gate follows", func(w *world) {
			w.gate.relErr = errors.New("redis: connection refused")
		}, "", 0, 3},
		{"the store failing gives the release hold back and keeps the places booked", func(w *world) {
			w.store.cancelErr = domain.Unavailable("store", errors.New("deadlock"))
		}, domain.CodeUnavailable, 3, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(10)
			got, err := w.bookings.Book(ctx, request(3, 1, ""))
			if err != nil {
				t.Fatal(err)
			}
			code := w.bookings.Code(got.Booking)
			c.prep(w)
			b, err := w.bookings.Cancel(ctx, code)
			if domain.CodeOf(err) != c.code || (err == nil && b.Status != domain.BookingCancelled) {
				t.Fatalf("cancel: %+v %v, want code %q", b, err, c.code)
			}
			_, sb := w.store.count()
			gb, _, holds := w.gate.state()
			if sb != c.storeBooked || gb != c.gateBooked || holds != 0 {
				t.Fatalf("after cancel: store %d booked, gate %d booked, %d holds left; want %d, %d, 0",
					sb, gb, holds, c.storeBooked, c.gateBooked)
			}
		})
	}
}
