package domain

import (
	"context"
	"sync"
	"time"
)

// restrictionCache holds every restriction in force, by venue and ID hash,
// so that a booking is checked against them in memory, before it takes
// places, and costs the store nothing. Restrictions are few and change
// rarely: the cache is read again every restrictionTTL, when the day
// changes, and at once after any instance marks no-shows or lifts a
// restriction (TopicRestrictions); restrictionTTL is the safety net for
// news that never arrived.
//
// The store is read outside the lock, once for all the requests that find
// the cache stale together, and with a context of its own: a request that
// gives up stops waiting, but does not fail the read for the others.
type restrictionCache struct {
	store FairnessStore
	mu    sync.Mutex
	at    time.Time
	day   Date
	until map[int64]map[string]Date
	// gen moves on every forget: a read begun before it is not kept.
	gen  int
	load *restrictionLoad // the read in flight, if any
}

type restrictionLoad struct {
	done chan struct{}
	err  error
}

const (
	restrictionTTL = 10 * time.Second
	// restrictionReadTimeout bounds the shared read of the store.
	restrictionReadTimeout = 10 * time.Second
)

func (c *restrictionCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.until = nil
	c.gen++
}

// check returns the restriction that keeps any of visitors from booking at
// venue v on day today, with the latest end, if there is one.
func (c *restrictionCache) check(ctx context.Context, v Venue, today Date, visitors []Visitor) error {
	if c.store == nil {
		return nil
	}
	until, err := c.current(ctx, today)
	if err != nil {
		return err
	}
	var latest Date
	for _, vi := range visitors {
		if u, ok := until[v.ID][vi.IDHash]; ok && today.Before(u) && u.Compare(latest) > 0 {
			latest = u
		}
	}
	if latest.IsZero() {
		return nil
	}
	return &Error{Code: CodeRestricted, Detail: "no-shows", RestrictedUntil: latest}
}

// current returns the restrictions in force as of today, reading them from
// the store when the cache is empty, old, or of an earlier day.
func (c *restrictionCache) current(ctx context.Context, today Date) (map[int64]map[string]Date, error) {
	for {
		c.mu.Lock()
		if c.until != nil && time.Since(c.at) <= restrictionTTL && !c.day.Before(today) {
			until := c.until
			c.mu.Unlock()
			return until, nil
		}
		l := c.load
		if l == nil {
			l = &restrictionLoad{done: make(chan struct{})}
			c.load = l
			go c.read(context.WithoutCancel(ctx), l, c.gen, today)
		}
		c.mu.Unlock()
		select {
		case <-l.done:
		case <-ctx.Done():
			return nil, Unavailable("store", ctx.Err())
		}
		if l.err != nil {
			return nil, Unavailable("store", l.err)
		}
		// Read the cache again: the load may be of an earlier day, or
		// forgotten meanwhile.
	}
}

// read loads the restrictions into the cache for everyone waiting on l.
func (c *restrictionCache) read(ctx context.Context, l *restrictionLoad, gen int, today Date) {
	ctx, cancel := context.WithTimeout(ctx, restrictionReadTimeout)
	defer cancel()
	// Read a day early: venues' "today" differ with their time zones.
	rs, err := c.store.Restrictions(ctx, 0, today.AddDays(-1))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load, l.err = nil, err
	defer close(l.done)
	if err != nil || gen != c.gen {
		return
	}
	until := map[int64]map[string]Date{}
	for _, r := range rs {
		if until[r.VenueID] == nil {
			until[r.VenueID] = map[string]Date{}
		}
		if r.Until.Compare(until[r.VenueID][r.IDHash]) > 0 {
			until[r.VenueID][r.IDHash] = r.Until
		}
	}
	c.until, c.at, c.day = until, time.Now(), today
}
