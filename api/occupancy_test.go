package api_test

import (
	"context"
	"strings"
	"testing"

	"slotgate/domain"
	"slotgate/internal/testkit"
)

// TestRebuiltOccupancyReplaysExits: exits counted while nobody is inside
// change nothing live (never below zero), so a count rebuilt from the
// records must not bank them either: 500 exits recorded while empty, then
// 5 people admitted, 2 out, then Redis loses the count: 3 inside, as live.
func TestRebuiltOccupancyReplaysExits(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			north := tokens["north"]
			party := book(t, ta, "jinyun-mountain", "09:00", 5)
			occupancy := func() int {
				var occ struct{ Inside int }
				ta.Do(t, nil, "GET", "/api/v1/venues/jinyun-mountain/occupancy", nil, "Authorization", north).JSON(t, &occ)
				return occ.Inside
			}
			ta.Clock.Set(at("08:40:00"))
			if got := occupancy(); got != 0 {
				t.Fatalf("inside before anyone came: %d", got)
			}
			// Counting out while nobody is inside is refused at the API;
			// two gates counting out at once can still both pass that
			// check, so record such exits in the store, as a race leaves them.
			res := ta.Do(t, nil, "POST", "/api/v1/venues/jinyun-mountain/exits",
				map[string]any{"gate": "North", "count": 250}, "Authorization", north)
			if res.Status != 409 || !strings.Contains(string(res.Body), `"code":"nobody_inside"`) {
				t.Fatalf("exit while empty: %d %s, want 409 nobody_inside", res.Status, res.Body)
			}
			ctx := context.Background()
			v, err := ta.App.Catalog.Venue(ctx, "jinyun-mountain")
			if err != nil {
				t.Fatal(err)
			}
			for _, gate := range []string{"North", "South"} {
				if _, err := ta.App.Store.AddExit(ctx, domain.Exit{VenueID: v.ID, Date: v.Today(ta.Clock.Now()),
					Gate: gate, People: 250, UserID: 1, At: ta.Clock.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			ta.Clock.Set(at("08:45:00"))
			if res := admit(t, ta, north, party.Code, "North"); res.Status != 200 {
				t.Fatalf("admit: %d %s", res.Status, res.Body)
			}
			if got := occupancy(); got != 5 {
				t.Fatalf("live: %d inside, want 5", got)
			}
			ta.Clock.Set(at("08:50:00"))
			res = ta.Do(t, nil, "POST", "/api/v1/venues/jinyun-mountain/exits",
				map[string]any{"gate": "North", "count": 2}, "Authorization", north)
			if res.Status != 200 {
				t.Fatalf("exit: %d %s", res.Status, res.Body)
			}
			ta.Redis.Wipe(t)
			if got := occupancy(); got != 3 {
				t.Fatalf("rebuilt: %d inside, want 3 as live", got)
			}
		})
	}
}
