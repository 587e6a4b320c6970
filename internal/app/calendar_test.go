package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"slotgate/internal/testkit"
)

// TestReopenedDaySellsAgain: a day closed ahead and then set open again
// sells again: its slots answer open with their places, a booking
// succeeds, the bookings the closure cancelled stay cancelled, the gate
// agrees with the store, and the reopening is audited. Reopened on the day
// itself, only the slots not yet started open.
func TestReopenedDaySellsAgain(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			admin := ta.Login(t, "admin", testkit.AdminPassword)
			setDay := func(day string, req map[string]any) string {
				t.Helper()
				res := ta.Do(t, nil, "PUT", "/api/v1/admin/venues/jinyun-mountain/days/"+day, req, "Authorization", admin)
				if res.Status != 200 {
					t.Fatalf("set %s %v: %d %s", day, req, res.Status, res.Body)
				}
				return string(res.Body)
			}
			statuses := func(day string) string {
				var s []string
				for _, sl := range testkit.Slots(t, ta, "jinyun-mountain", day) {
					s = append(s, sl.Status)
				}
				return strings.Join(s, ",")
			}

			ahead := "2026-03-04"
			ten := slotAt(t, ta, "jinyun-mountain", ahead, "10:00")
			res := bookOne(t, ta, ten.ID, "13522000001", "R0000001", "R0000002")
			if res.Status != 201 {
				t.Fatalf("book: %d %s", res.Status, res.Body)
			}
			var before testkit.APIBooking
			res.JSON(t, &before)
			setDay(ahead, map[string]any{"open": false, "reason": "暴雨"})
			if got := statuses(ahead); strings.Trim(strings.ReplaceAll(got, "closed", ""), ",") != "" {
				t.Fatalf("the closed day: %s", got)
			}
			if body := setDay(ahead, map[string]any{"open": true}); !strings.Contains(body, `"slots_reopened":`) ||
				strings.Contains(body, `"slots_reopened":0`) {
				t.Fatalf("open the closed day: %s", body)
			}
			for _, sl := range testkit.Slots(t, ta, "jinyun-mountain", ahead) {
				if sl.Status != "open" || sl.Booked != 0 || sl.Remaining != sl.Quota {
					t.Fatalf("a slot of the reopened day: %+v", sl)
				}
				gateAgrees(t, ta, sl.ID)
			}
			var after testkit.APIBooking
			ta.Do(t, nil, "GET", "/api/v1/bookings/"+before.Code, nil).JSON(t, &after)
			if after.Status != "cancelled" {
				t.Fatalf("the closure's booking after the reopening: %s", after.Status)
			}
			if res := bookOne(t, ta, ten.ID, "13522000001", "R0000001", "R0000002"); res.Status != 201 {
				t.Fatalf("book the reopened day: %d %s", res.Status, res.Body)
			}
			gateAgrees(t, ta, ten.ID)
			var entries []struct{ Kind, Subject string }
			ta.Do(t, nil, "GET", "/api/v1/admin/audit?kind=reopen", nil, "Authorization", admin).JSON(t, &entries)
			if len(entries) != 1 || entries[0].Subject != "day "+ahead {
				t.Fatalf("the reopening in the audit log: %+v", entries)
			}

			// On the day itself, after 11:30: what has started stays closed.
			today := "2026-03-02"
			setDay(today, map[string]any{"open": false, "reason": "暴雨"})
			now := on(today, "11:30")
			ta.Clock.Set(now)
			setDay(today, map[string]any{"open": true})
			for _, sl := range testkit.Slots(t, ta, "jinyun-mountain", today) {
				start, err := time.Parse(time.RFC3339, sl.Start)
				if err != nil {
					t.Fatal(err)
				}
				if start.After(now) != (sl.Status == "open") {
					t.Fatalf("slot %s after reopening at 11:30: %s", sl.Start, sl.Status)
				}
			}
		})
	}
}

// reopenRacing closes a day ahead and opens it again through an admin
// whose gate runs a reconciliation pass between the store's commit and
// the gate's adjustment.
func reopenRacing(t *testing.T, ta *testkit.TestApp) {
	t.Helper()
	ctx := context.Background()
	slotID := floodSlot(t, ta, 100)
	for i := range 3 {
		if res := bookOne(t, ta, slotID, fmt.Sprintf("1352300%04d", i), fmt.Sprintf("O%07d", i)); res.Status != 201 {
			t.Fatalf("booking %d: %d %s", i, res.Status, res.Body)
		}
	}
	admin, err := ta.Accounts.Authenticate(ctx, loginToken(t, ta))
	if err != nil {
		t.Fatal(err)
	}
	racy := racyAdmin(t, ta)
	day := mustDate(t, "2026-03-03")
	if _, err := racy.SetDay(ctx, admin.User, "jinyun-mountain", day, false, nil, "storm"); err != nil {
		t.Fatal(err)
	}
	gateAgrees(t, ta, slotID)
	ch, err := racy.SetDay(ctx, admin.User, "jinyun-mountain", day, true, nil, "")
	if err != nil || len(ch.Reopened) == 0 {
		t.Fatalf("reopen: %+v %v", ch.Reopened, err)
	}
	gateAgrees(t, ta, slotID)
	if res := bookOne(t, ta, slotID, "13523009999", "O9999999"); res.Status != 201 {
		t.Fatalf("book after the reopening: %d %s", res.Status, res.Body)
	}
	gateAgrees(t, ta, slotID)
}
