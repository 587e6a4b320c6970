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
type restrictionCache struct {
	store FairnessStore
	mu    sync.Mutex
	at    time.Time
	day   Date
	until map[int64]map[string]Date
}

const restrictionTTL = 10 * time.Second

func (c *restrictionCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.until = nil
}

// check returns the restriction that keeps any of visitors from booking at
// venue v on day today, with the latest end, if there is one.
func (c *restrictionCache) check(ctx context.Context, v Venue, today Date, visitors []Visitor) error {
	if c.store == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.until == nil || time.Since(c.at) > restrictionTTL || c.day.Before(today) {
		// Read a day early: venues' "today" differ with their time zones.
		rs, err := c.store.Restrictions(ctx, 0, today.AddDays(-1))
		if err != nil {
			return Unavailable("store", err)
		}
		c.until, c.at, c.day = map[int64]map[string]Date{}, time.Now(), today
		for _, r := range rs {
			if c.until[r.VenueID] == nil {
				c.until[r.VenueID] = map[string]Date{}
			}
			if r.Until.Compare(c.until[r.VenueID][r.IDHash]) > 0 {
				c.until[r.VenueID][r.IDHash] = r.Until
			}
		}
	}
	var latest Date
	for _, vi := range visitors {
		if until, ok := c.until[v.ID][vi.IDHash]; ok && today.Before(until) && until.Compare(latest) > 0 {
			latest = until
		}
	}
	if latest.IsZero() {
		return nil
	}
	return &Error{Code: CodeRestricted, Detail: "no-shows", RestrictedUntil: latest}
}
