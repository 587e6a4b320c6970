package app_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/testkit"
)

// racyGate runs a step (a reconciliation pass) at the worst moment of an
// admin change: after the store has committed it, before the gate is told.
type racyGate struct {
	domain.CapacityGate
	step func()
}

func (g racyGate) Adjust(ctx context.Context, slotID int64, hold string, quotaDelta, bookedDelta int, open bool) error {
	g.step()
	return g.CapacityGate.Adjust(ctx, slotID, hold, quotaDelta, bookedDelta, open)
}

// racyAdmin is the instance's admin use cases on a racyGate that runs a
// reconciliation pass at the worst moment of every change.
func racyAdmin(t *testing.T, ta *testkit.TestApp) *domain.Admin {
	gate := racyGate{CapacityGate: ta.Gate, step: reconcileStep(t, ta)}
	return domain.NewAdmin(domain.AdminDeps{Catalog: ta.Catalog, Bookings: ta.Bookings, Accounts: ta.Accounts,
		Admissions: ta.Admissions, Schedule: ta.Schedule, Store: ta.Store, Admin: ta.Store, Gate: gate, Clock: ta.Clock, Log: ta.Log})
}

func reconcileStep(t *testing.T, ta *testkit.TestApp) func() {
	return func() {
		if _, _, err := ta.Reconcile.Run(context.Background()); err != nil {
			t.Error(err)
		}
	}
}

func gateAgrees(t *testing.T, ta *testkit.TestApp, slotID int64) {
	t.Helper()
	ctx := context.Background()
	counts, err := ta.Store.SlotCounts(ctx, []int64{slotID})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ta.Gate.Buckets(ctx, []int64{slotID})
	g, c := b[slotID], counts[0]
	if !g.Loaded || g.Quota != c.Quota || g.Booked != c.Booked || g.Pending != 0 || g.Open != c.Open {
		t.Fatalf("gate %+v, store %+v", g, c)
	}
}

// TestAdminChangesRaceReconciliation: a reconciliation pass that runs
// between an admin change's commit and its adjustment of the gate must not
// make the change count twice (phantom places for a raise, under-selling for
// a cut, places opened twice by a held-back release).
func TestAdminChangesRaceReconciliation(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name+"/quota", func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			ctx := context.Background()
			slotID := floodSlot(t, ta, 100)
			admin, err := ta.Accounts.Authenticate(ctx, loginToken(t, ta))
			if err != nil {
				t.Fatal(err)
			}
			racy := racyAdmin(t, ta)
			for _, q := range []int{130, 70} {
				if _, err := racy.SetSlotQuota(ctx, admin.User, slotID, domain.QuotaSpec{Quota: &q}, "race", false); err != nil {
					t.Fatal(err)
				}
				gateAgrees(t, ta, slotID)
			}
		})
		t.Run(mode.Name+"/held-back", func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			ctx := context.Background()
			admin := ta.Login(t, "admin", testkit.AdminPassword)
			addTheatre(t, ta, admin)
			s := slotAt(t, ta, "beibei-theatre", "2026-03-04", "19:00") // loads the bucket
			gate := racyGate{CapacityGate: ta.Gate, step: reconcileStep(t, ta)}
			racy := domain.NewFairness(ta.Catalog, ta.Bookings, ta.Store, ta.Store, gate, ta.Clock, ta.Log)
			ta.Clock.Set(on("2026-03-03", "17:00"))
			if n, err := racy.ReleaseHeldBack(ctx); err != nil || n < 2 {
				t.Fatalf("release: %d %v", n, err)
			}
			gateAgrees(t, ta, s.ID)
		})
		t.Run(mode.Name+"/closure", func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			ctx := context.Background()
			slotID := floodSlot(t, ta, 100)
			for i := range 3 {
				if res := bookOne(t, ta, slotID, fmt.Sprintf("1352000%04d", i), fmt.Sprintf("C%07d", i)); res.Status != 201 {
					t.Fatalf("booking %d: %d %s", i, res.Status, res.Body)
				}
			}
			admin, err := ta.Accounts.Authenticate(ctx, loginToken(t, ta))
			if err != nil {
				t.Fatal(err)
			}
			racy := racyAdmin(t, ta)
			if _, err := racy.Close(ctx, admin.User, "jinyun-mountain", mustDate(t, "2026-03-03"), slotID, "storm"); err != nil {
				t.Fatal(err)
			}
			gateAgrees(t, ta, slotID)
		})
		t.Run(mode.Name+"/reopen", func(t *testing.T) {
			t.Parallel()
			reopenRacing(t, testkit.StartApp(t, mode, testkit.Options{}))
		})
	}
}

// TestReconcileRepairsUnderTraffic: a bucket that drifted is repaired
// within 10 s although bookings keep arriving at its slot the whole time,
// and the repair is exact: once the traffic stops, gate and store agree
// without another pass.
func TestReconcileRepairsUnderTraffic(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			ctx := context.Background()
			slotID := floodSlot(t, ta, 50000)

			var stop atomic.Bool
			var wg sync.WaitGroup
			var booked atomic.Int64
			client := testkit.Client()
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; !stop.Load(); i++ {
						body := map[string]any{"slot_id": slotID, "phone": fmt.Sprintf("136%02d%06d", w, i),
							"visitors": []map[string]string{{"name": "游客", "id_type": "passport", "id_number": fmt.Sprintf("T%d%07d", w, i)}}}
						if res := ta.Do(t, client, "POST", "/api/v1/bookings", body); res.Status != http.StatusCreated {
							t.Errorf("booking: %d %s", res.Status, res.Body)
							return
						}
						booked.Add(1)
					}
				}()
			}
			// Let the traffic run, then drift the bucket: 40 phantom places.
			for booked.Load() < 20 {
				time.Sleep(5 * time.Millisecond)
			}
			if err := ta.Redis.Client().HIncrBy(ctx, ta.Gate.KeysOf(slotID)[0], "booked", -40).Err(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			repaired := 0
			passes := 0
			for repaired < 40 && time.Now().Before(deadline) {
				_, drift, err := ta.Reconcile.Run(ctx)
				if err != nil {
					t.Fatal(err)
				}
				passes++
				repaired += int(drift)
				time.Sleep(20 * time.Millisecond)
			}
			during := booked.Load()
			time.Sleep(100 * time.Millisecond) // bookings still arrive after the repair
			stop.Store(true)
			wg.Wait()
			if repaired != 40 {
				t.Fatalf("repaired %d of 40 places of drift in %d passes within 10 s", repaired, passes)
			}
			if booked.Load() <= during {
				t.Fatalf("traffic stopped during the repair: %d bookings", booked.Load())
			}
			t.Logf("%d bookings, %d passes", booked.Load(), passes)
			gateAgrees(t, ta, slotID)
		})
	}
}

// TestReconcileFindsDriftWithinTheHolds: a bucket one place short, with a
// hold in flight that may or may not be in the store's count, looks the
// same as a bucket that agrees. Pass after pass finds it within loose
// bounds; then the bucket is fenced, new bookings wait a moment instead of
// failing, the hold drains, and the place comes back exactly.
func TestReconcileFindsDriftWithinTheHolds(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			ctx := context.Background()
			slotID := floodSlot(t, ta, 100)
			for i := range 3 {
				if res := bookOne(t, ta, slotID, fmt.Sprintf("1352100%04d", i), fmt.Sprintf("F%07d", i)); res.Status != 201 {
					t.Fatalf("booking %d: %d %s", i, res.Status, res.Body)
				}
			}
			// A request holds a place, and the bucket loses one booked place.
			if got, err := ta.Gate.Take(ctx, slotID, "slow-request", 1, ta.Clock.Now()); err != nil || got.Outcome != domain.Taken {
				t.Fatalf("take: %+v %v", got, err)
			}
			if err := ta.Redis.Client().HIncrBy(ctx, ta.Gate.KeysOf(slotID)[0], "booked", -1).Err(); err != nil {
				t.Fatal(err)
			}
			ta.Reconcile.LoosePasses = 3
			for pass := 1; pass < ta.Reconcile.LoosePasses; pass++ {
				got, drift, err := ta.Reconcile.Run(ctx)
				if err != nil || drift != 0 || got[domain.ReconcileBusy] != 1 {
					t.Fatalf("pass %d within the bounds: %v %d %v", pass, got, drift, err)
				}
			}
			// The fenced pass: a booking arrives while it waits for the hold,
			// whose request then fails and gives its place back.
			booked := make(chan testkit.Response, 1)
			var wg sync.WaitGroup
			defer wg.Wait()
			wg.Go(func() {
				time.Sleep(20 * time.Millisecond)
				booked <- bookOne(t, ta, slotID, "13521009999", "F9999999")
			})
			wg.Go(func() {
				time.Sleep(60 * time.Millisecond)
				if err := ta.Gate.Settle(ctx, slotID, "slow-request", false); err != nil {
					t.Error(err)
				}
			})
			got, drift, err := ta.Reconcile.Run(ctx)
			if err != nil || drift != 1 || got[domain.ReconcileRepaired] != 1 {
				t.Fatalf("fenced pass: %v %d %v", got, drift, err)
			}
			if res := <-booked; res.Status != http.StatusCreated {
				t.Fatalf("booking during the fence: %d %s", res.Status, res.Body)
			}
			gateAgrees(t, ta, slotID)
		})
	}
}

func mustDate(t *testing.T, s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
