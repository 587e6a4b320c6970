package domain

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Catalog answers what venues and slots exist. It keeps them in memory for
// a few seconds, so that a flood of requests for one slot costs the store
// nothing: nothing it caches decides a booking on its own, since the
// capacity gate and the store's conditional update check again.
type Catalog struct {
	store Store
	gate  CapacityGate
	clock Clock
	log   *slog.Logger
	ttl   time.Duration
	loads flight
	// SoldOutMemory is how long a sold-out answer is trusted; 0 asks Redis every time.
	SoldOutMemory time.Duration
	// CacheClock times what is cached (time.Now unless a test sets it). It
	// is not the domain's Clock: a test's manual clock would freeze every
	// cache along with the day.
	CacheClock func() time.Time

	mu       sync.Mutex
	venues   []Venue
	venuesAt time.Time
	slots    map[int64]cachedSlot
	days     map[dayKey]cachedDay
	soldOut  map[int64]soldOutNote

	changes *Changes
}

// soldOutNote remembers, for a moment, that a slot had fewer places than
// a request wanted and nothing held in flight: a flood for a full slot is
// then answered without asking Redis. A place freed meanwhile shows up
// Catalog.SoldOutMemory later at most; freed on this instance, at once.
type soldOutNote struct {
	remaining int
	until     time.Time
	// asking: the note is out of date and one request is asking the gate
	// again; the others answer from the note meanwhile, soldOutGrace at most.
	asking bool
}

// DefaultSoldOutMemory is how long a sold-out answer from the gate is trusted.
const DefaultSoldOutMemory = 250 * time.Millisecond

// soldOutGrace bounds how long a note out of date keeps answering while one
// request asks the gate again: without it, every request of a flood that
// arrives in the moment a note expires would ask the gate at once.
const soldOutGrace = 50 * time.Millisecond

// KnownSoldOut reports whether slot is known to have fewer than n places.
// When the note is out of date, the first request to ask is told no, and
// so asks the gate, whose answer renews or drops the note.
func (c *Catalog) KnownSoldOut(slotID int64, n int) (int, bool) {
	return c.soldOutNote(slotID, n, true)
}

// PeekSoldOut is KnownSoldOut for a request that will not ask the gate
// itself: an out-of-date note nobody is renewing says nothing.
func (c *Catalog) PeekSoldOut(slotID int64, n int) (int, bool) {
	return c.soldOutNote(slotID, n, false)
}

func (c *Catalog) soldOutNote(slotID int64, n int, mayAsk bool) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	note, ok := c.soldOut[slotID]
	if !ok || n <= note.remaining {
		return 0, false
	}
	now := c.CacheClock()
	switch {
	case !now.After(note.until):
	case note.asking && !now.After(note.until.Add(soldOutGrace)):
	case !note.asking && mayAsk:
		note.asking = true
		c.soldOut[slotID] = note
		return 0, false
	default:
		return 0, false
	}
	return note.remaining, true
}

// NoteSoldOut remembers that slot has only remaining places.
func (c *Catalog) NoteSoldOut(slotID int64, remaining int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.SoldOutMemory <= 0 {
		return
	}
	if len(c.soldOut) >= maxCachedSlots {
		clear(c.soldOut)
	}
	c.soldOut[slotID] = soldOutNote{remaining: remaining, until: c.CacheClock().Add(c.SoldOutMemory)}
}

// ForgetSoldOut drops what is known of slot's places, after freeing some.
func (c *Catalog) ForgetSoldOut(slotID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.soldOut, slotID)
}

// forgetSoldOutAll drops every sold-out note (the gate was repaired).
func (c *Catalog) forgetSoldOutAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.soldOut)
}

type cachedSlot struct {
	slot  Slot
	err   error
	until time.Time
}

type dayKey struct {
	venueID int64
	date    Date
}

type cachedDay struct {
	slots []Slot
	until time.Time
}

// maxCachedSlots bounds the slot cache against requests for made-up ids.
const maxCachedSlots = 50_000

// NewCatalog reads through to store, caching for ttl (wall-clock time: the
// cache's age is not a rule of the venue, so it does not follow Clock).
func NewCatalog(store Store, gate CapacityGate, clock Clock, log *slog.Logger, ttl time.Duration) *Catalog {
	c := &Catalog{store: store, gate: gate, clock: clock, log: log, ttl: ttl, SoldOutMemory: DefaultSoldOutMemory,
		slots: map[int64]cachedSlot{}, days: map[dayKey]cachedDay{}, soldOut: map[int64]soldOutNote{},
		changes: NewChanges(log), CacheClock: time.Now}
	c.changes.On(TopicCatalog, c.forget)
	return c
}

// Changes is where news of changes to cached data comes and goes.
func (c *Catalog) Changes() *Changes { return c.changes }

// Forget drops everything cached, after a change made through this
// instance, and tells the other instances to do the same.
func (c *Catalog) Forget() {
	c.changes.Changed(context.Background(), TopicCatalog)
}

func (c *Catalog) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.venues, c.venuesAt = nil, time.Time{}
	clear(c.slots)
	clear(c.days)
	clear(c.soldOut)
}

// Venues lists every venue.
func (c *Catalog) Venues(ctx context.Context) ([]Venue, error) {
	c.mu.Lock()
	if c.venues != nil && c.CacheClock().Sub(c.venuesAt) < c.ttl {
		v := c.venues
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	venues, err := c.store.Venues(ctx)
	if err != nil {
		return nil, fmt.Errorf("list venues: %w", err)
	}
	c.mu.Lock()
	c.venues, c.venuesAt = venues, c.CacheClock()
	c.mu.Unlock()
	return venues, nil
}

// Venue finds a venue by slug.
func (c *Catalog) Venue(ctx context.Context, slug string) (Venue, error) {
	return c.findVenue(ctx, func(v *Venue) bool { return v.Slug == slug })
}

// VenueByID finds a venue by id.
func (c *Catalog) VenueByID(ctx context.Context, id int64) (Venue, error) {
	return c.findVenue(ctx, func(v *Venue) bool { return v.ID == id })
}

func (c *Catalog) findVenue(ctx context.Context, match func(*Venue) bool) (Venue, error) {
	venues, err := c.Venues(ctx)
	if err != nil {
		return Venue{}, err
	}
	for i := range venues { // by index: a Venue is large to copy
		if match(&venues[i]) {
			return venues[i], nil
		}
	}
	return Venue{}, ErrNotFound
}

// Slot finds a slot by id; its counts may be a few seconds old.
func (c *Catalog) Slot(ctx context.Context, id int64) (Slot, error) {
	c.mu.Lock()
	e, ok := c.slots[id]
	c.mu.Unlock()
	if ok && c.CacheClock().Before(e.until) {
		return e.slot, e.err
	}
	s, err := c.store.Slot(ctx, id)
	if err != nil && CodeOf(err) != CodeNotFound {
		return Slot{}, fmt.Errorf("find slot %d: %w", id, err)
	}
	c.mu.Lock()
	if len(c.slots) >= maxCachedSlots {
		clear(c.slots)
	}
	c.slots[id] = cachedSlot{slot: s, err: err, until: c.CacheClock().Add(c.ttl)}
	c.mu.Unlock()
	return s, err
}

// SlotView is a slot with what a visitor can see of it now.
type SlotView struct {
	Slot
	Availability
}

// SlotsOn lists a venue's slots of day d with live places left: the counts
// come from the capacity gate, loading its buckets from the store as needed.
func (c *Catalog) SlotsOn(ctx context.Context, venue Venue, d Date) ([]SlotView, error) {
	slots, err := c.day(ctx, venue.ID, d)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(slots))
	for i, s := range slots {
		ids[i] = s.ID
	}
	buckets, err := c.gate.Buckets(ctx, ids)
	if err != nil {
		// Showing the store's counts is better than no page; booking itself
		// will refuse while the gate is down.
		c.log.WarnContext(ctx, "capacity gate unreadable, listing store counts", "err", err)
		buckets = nil
	}
	var missing []int64
	for _, s := range slots {
		if !buckets[s.ID].Loaded {
			missing = append(missing, s.ID)
		}
	}
	now := c.clock.Now()
	fresh := map[int64]SlotCount{}
	if len(missing) > 0 {
		counts, err := c.store.SlotCounts(ctx, missing)
		if err != nil {
			return nil, fmt.Errorf("count slots of %s on %s: %w", venue.Slug, d, err)
		}
		for _, sc := range counts {
			fresh[sc.SlotID] = sc
			if buckets != nil {
				if err := c.gate.Load(ctx, sc, now); err != nil {
					c.log.WarnContext(ctx, "load capacity bucket", "slot", sc.SlotID, "err", err)
				}
			}
		}
	}
	views := make([]SlotView, len(slots))
	for i, s := range slots {
		// The gate counts what may be booked now: the quota less the places
		// still held back, which the view adds back to show the whole quota.
		bookable, taken, open := s.Bookable(), s.Booked, s.Status == SlotOpen
		if b := buckets[s.ID]; b.Loaded {
			bookable, taken, open = b.Quota, b.Taken(), b.Open
		} else if sc, ok := fresh[s.ID]; ok {
			bookable, taken, open = sc.Quota, sc.Booked, sc.Open
		}
		s.Quota, s.Booked = bookable+s.HeldBack, taken
		views[i] = SlotView{Slot: s, Availability: s.Availability(now, venue, bookable, taken, open)}
	}
	return views, nil
}

func (c *Catalog) day(ctx context.Context, venueID int64, d Date) ([]Slot, error) {
	key := dayKey{venueID, d}
	c.mu.Lock()
	e, ok := c.days[key]
	c.mu.Unlock()
	if ok && c.CacheClock().Before(e.until) {
		return e.slots, nil
	}
	slots, err := c.store.SlotsOn(ctx, venueID, d)
	if err != nil {
		return nil, fmt.Errorf("list slots of venue %d on %s: %w", venueID, d, err)
	}
	c.mu.Lock()
	if len(c.days) >= maxCachedSlots {
		clear(c.days)
	}
	c.days[key] = cachedDay{slots: slots, until: c.CacheClock().Add(c.ttl)}
	c.mu.Unlock()
	return slots, nil
}

// EnsureLoaded loads a slot's bucket from the store's current counts. Many
// requests finding the bucket missing at once (after Redis lost its data)
// share one read of the store.
func (c *Catalog) EnsureLoaded(ctx context.Context, slotID int64) error {
	return c.loads.do(slotID, func() error {
		counts, err := c.store.SlotCounts(ctx, []int64{slotID})
		if err != nil {
			return fmt.Errorf("count slot %d: %w", slotID, err)
		}
		if len(counts) == 0 {
			return ErrNotFound
		}
		return c.gate.Load(ctx, counts[0], c.clock.Now())
	})
}

// flight runs one call per key at a time and shares its result with the
// callers that arrive while it runs.
type flight struct {
	mu    sync.Mutex
	calls map[int64]*flightCall
}

type flightCall struct {
	done chan struct{}
	err  error
}

func (f *flight) do(key int64, fn func() error) error {
	f.mu.Lock()
	if c, ok := f.calls[key]; ok {
		f.mu.Unlock()
		<-c.done
		return c.err
	}
	if f.calls == nil {
		f.calls = map[int64]*flightCall{}
	}
	c := &flightCall{done: make(chan struct{})}
	f.calls[key] = c
	f.mu.Unlock()

	c.err = fn()
	f.mu.Lock()
	delete(f.calls, key)
	f.mu.Unlock()
	close(c.done)
	return c.err
}
