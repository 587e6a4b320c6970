package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/testkit"
)

// within polls until ok holds, failing the test if that takes over 1 s.
func within(t *testing.T, what string, ok func() bool) {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > time.Second {
			t.Fatalf("%s: not seen by the other instance within 1 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%s: seen by the other instance after %v", what, time.Since(start).Round(time.Millisecond))
}

// TestChangesReachOtherInstances: a quota change, a closure, a restriction
// made and a restriction lifted on one instance are seen by another within
// 1 s, through Redis pub/sub: the instances' catalog caches last an hour in
// tests, so nothing else could bring the news.
func TestChangesReachOtherInstances(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			twin := ta.Twin(t)
			ctx := context.Background()
			admin := ta.Login(t, "admin", testkit.AdminPassword)
			cached := func(id int64) domain.Slot {
				s, err := twin.Catalog.Slot(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}

			// A quota change.
			s := slotAt(t, ta, "jinyun-mountain", "2026-03-04", "10:00")
			if q := cached(s.ID).Quota; q == 7 {
				t.Fatalf("quota already 7")
			}
			if res := ta.Do(t, nil, "PUT", fmt.Sprintf("/api/v1/admin/slots/%d/quota", s.ID), map[string]any{"quota": 7, "reason": "fewer guides"},
				"Authorization", admin); res.Status != 200 {
				t.Fatalf("quota: %d %s", res.Status, res.Body)
			}
			within(t, "quota change", func() bool { return cached(s.ID).Quota == 7 })

			// A closure.
			closed := slotAt(t, ta, "jinyun-mountain", "2026-03-05", "10:00")
			if cached(closed.ID).Status != domain.SlotOpen {
				t.Fatal("slot not open before the closure")
			}
			if res := ta.Do(t, nil, "POST", "/api/v1/admin/venues/jinyun-mountain/closures",
				map[string]string{"date": "2026-03-05", "reason": "storm"}, "Authorization", admin); res.Status != 200 {
				t.Fatalf("closure: %d %s", res.Status, res.Body)
			}
			within(t, "closure", func() bool { return cached(closed.ID).Status == domain.SlotClosed })

			// A restriction made: one person misses three visits; the
			// no-show round runs on the first instance only. The probe books
			// on the other instance into a slot of no places: sold out while
			// the person may book, restricted once the news is in.
			for _, d := range []string{"2026-03-03", "2026-03-04", "2026-03-06"} {
				s := slotAt(t, ta, "jinyun-mountain", d, "09:00")
				if res := bookOne(t, ta, s.ID, "13700000001", "R0000001"); res.Status != 201 {
					t.Fatalf("book %s: %d %s", d, res.Status, res.Body)
				}
			}
			ta.Clock.Set(on("2026-03-07", "08:00"))
			admin = ta.Login(t, "admin", testkit.AdminPassword)
			full := slotAt(t, ta, "jinyun-mountain", "2026-03-08", "10:00")
			if res := ta.Do(t, nil, "PUT", fmt.Sprintf("/api/v1/admin/slots/%d/quota", full.ID), map[string]any{"quota": 0, "reason": "private event"},
				"Authorization", admin); res.Status != 200 {
				t.Fatalf("quota 0: %d %s", res.Status, res.Body)
			}
			probe := func() int { return bookOne(t, twin, full.ID, "13700000002", "R0000001").Status }
			if got := probe(); got != http.StatusConflict {
				t.Fatalf("probe before the no-shows: %d, want 409 sold out", got)
			}
			if n, err := ta.Fairness.MarkNoShows(ctx); err != nil || n != 3 {
				t.Fatalf("mark no-shows: %d %v", n, err)
			}
			within(t, "restriction made", func() bool { return probe() == http.StatusForbidden })

			// The restriction lifted.
			var list []struct {
				ID int64 `json:"id"`
			}
			ta.Do(t, nil, "GET", "/api/v1/admin/venues/jinyun-mountain/restrictions", nil, "Authorization", admin).JSON(t, &list)
			if len(list) != 1 {
				t.Fatalf("restrictions: %+v", list)
			}
			if res := ta.Do(t, nil, "POST", fmt.Sprintf("/api/v1/admin/restrictions/%d/lift", list[0].ID), map[string]string{"reason": "documented illness"},
				"Authorization", admin); res.Status != 200 {
				t.Fatalf("lift: %d %s", res.Status, res.Body)
			}
			within(t, "restriction lifted", func() bool { return probe() == http.StatusConflict })
		})
	}
}
