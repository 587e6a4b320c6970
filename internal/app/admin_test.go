package app_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// TestQuotaChangesDuringACrowd: admins lower and raise a slot's quota while
// 1,000 bookings run. MySQL never holds more people than the quota in force
// (a lowered quota is refused below the booked places, so booked <= quota
// holds after every commit); Redis and MySQL agree at the end; the audit log
// holds every change that was made.
func TestQuotaChangesDuringACrowd(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			ctx := context.Background()
			slotID := floodSlot(t, ta, 100)
			admin, err := ta.Accounts.Authenticate(ctx, loginToken(t, ta))
			if err != nil {
				t.Fatal(err)
			}

			attempts := crowd(1000, slotID, 7)
			client := testkit.Client()
			var wg, watch sync.WaitGroup
			var done atomic.Bool
			var confirmed atomic.Int64

			// The arbiter's invariant, watched from outside while it all runs.
			violations := make(chan string, 10)
			watch.Add(1)
			go func() {
				defer watch.Done()
				for !done.Load() {
					var quota, booked int
					if err := ta.Store.DB().QueryRow(`SELECT quota, booked FROM slots WHERE id = ?`, slotID).Scan(&quota, &booked); err == nil && booked > quota {
						select {
						case violations <- fmt.Sprintf("booked %d > quota %d", booked, quota):
						default:
						}
					}
					time.Sleep(2 * time.Millisecond)
				}
			}()

			// An admin moves the quota up and down, 40 times.
			var changes, refused atomic.Int64
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(1, 2))
				for i := range 40 {
					// Around the places booked: most changes land, a few are refused.
					var booked int
					ta.Store.DB().QueryRow(`SELECT booked FROM slots WHERE id = ?`, slotID).Scan(&booked)
					q := booked - 5 + rng.IntN(60)
					_, err := ta.Admin.SetSlotQuota(ctx, admin.User, slotID, domain.QuotaSpec{Quota: &q}, fmt.Sprintf("change %d", i), false)
					switch {
					case err == nil:
						changes.Add(1)
					case errors.Is(err, domain.ErrBelowBooked):
						refused.Add(1)
					default:
						t.Errorf("quota change %d: %v", i, err)
					}
					time.Sleep(3 * time.Millisecond)
				}
			}()

			sem := make(chan struct{}, 64)
			for _, a := range attempts {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					res := ta.Do(t, client, "POST", "/api/v1/bookings", a.body, "Idempotency-Key", a.key)
					switch {
					case res.Status == http.StatusCreated:
						confirmed.Add(1)
					case res.Status == http.StatusConflict:
					default:
						t.Errorf("booking: %d %s", res.Status, res.Body)
					}
				}()
			}
			wg.Wait()
			done.Store(true)
			watch.Wait()
			close(violations)
			for v := range violations {
				t.Error("overbooked while quotas moved:", v)
			}
			if changes.Load() == 0 {
				t.Fatal("no quota change went through")
			}
			t.Logf("quota changes: %d made, %d refused below booked; %d bookings confirmed", changes.Load(), refused.Load(), confirmed.Load())

			counts, _ := ta.Store.SlotCounts(ctx, []int64{slotID})
			var live int
			ta.Store.DB().QueryRow(`SELECT COALESCE(SUM(party_size), 0) FROM bookings WHERE slot_id = ? AND status = 'confirmed'`, slotID).Scan(&live)
			if counts[0].Booked != live || live > counts[0].Quota {
				t.Fatalf("slot booked %d, bookings hold %d, quota %d", counts[0].Booked, live, counts[0].Quota)
			}
			if _, _, err := ta.Reconcile.Run(ctx); err != nil {
				t.Fatal(err)
			}
			b, _ := ta.Gate.Buckets(ctx, []int64{slotID})
			if g := b[slotID]; g.Quota != counts[0].Quota || g.Booked != counts[0].Booked || g.Pending != 0 {
				t.Fatalf("gate %+v, store %+v", g, counts[0])
			}
			entries, total, err := ta.Admin.Audit(ctx, admin.User, domain.AuditFilter{Kind: domain.AuditSlotQuota, Limit: 500})
			if err != nil || int64(total) != changes.Load() || len(entries) != total {
				t.Fatalf("audit has %d quota changes (%v), want %d", total, err, changes.Load())
			}
			if e := entries[0]; e.Username != "admin" || e.Reason == "" || e.Before == nil || e.After == nil {
				t.Fatalf("audit entry: %+v", e)
			}
		})
	}
}

func loginToken(t *testing.T, ta *testkit.TestApp) string {
	t.Helper()
	h := ta.Login(t, "admin", testkit.AdminPassword)
	return h[len("Bearer "):]
}

// failingSender fails until it is told to work, and counts what it got.
type failingSender struct {
	mu     sync.Mutex
	up     bool
	got    map[int64]int // closure notices by booking
	booked int           // confirmations of new bookings
	seen   int
}

func (s *failingSender) Send(_ context.Context, n domain.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen++
	if !s.up {
		return errors.New("gateway down")
	}
	if s.got == nil {
		s.got = map[int64]int{}
	}
	switch n.Kind {
	case "closure":
		s.got[n.BookingID]++
	case "booked":
		s.booked++
	}
	return nil
}

// TestClosure closes a day: its bookings are cancelled and their codes
// refused at the gate, one notification each waits in the outbox and is
// delivered, once, when the sender comes back.
func TestClosure(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			sender := &failingSender{}
			ta := testkit.StartApp(t, mode, testkit.Options{Configure: func(c *app.Config) { c.Sender = sender }})
			ctx := context.Background()
			admin := ta.Login(t, "admin", testkit.AdminPassword)
			ta.AddStaff(t, "north", domain.RoleStaff, "jinyun-mountain")
			var north string
			var slots []struct{ ID int64 }
			ta.Do(t, nil, "GET", "/api/v1/venues/jinyun-mountain/slots?date=2026-03-03", nil).JSON(t, &slots)
			var codes []string
			for i := range 6 {
				body := map[string]any{"slot_id": slots[i%3].ID, "phone": "13900000000", "visitors": []map[string]string{
					{"name": "游客", "id_type": "passport", "id_number": fmt.Sprintf("C%07d", i)}}}
				res := ta.Do(t, nil, "POST", "/api/v1/bookings", body)
				var b struct{ Code string }
				res.JSON(t, &b)
				codes = append(codes, b.Code)
			}
			// One booking of another day stays.
			var other []struct{ ID int64 }
			ta.Do(t, nil, "GET", "/api/v1/venues/jinyun-mountain/slots?date=2026-03-04", nil).JSON(t, &other)
			ta.Do(t, nil, "POST", "/api/v1/bookings", map[string]any{"slot_id": other[0].ID, "phone": "13900000000",
				"visitors": []map[string]string{{"name": "游客", "id_type": "passport", "id_number": "D0000001"}}})

			res := ta.Do(t, nil, "POST", "/api/v1/admin/venues/jinyun-mountain/closures",
				map[string]string{"date": "2026-03-03", "reason": "暴雨 heavy rain"}, "Authorization", admin)
			if res.Status != 200 || string(res.Body) != `{"bookings_cancelled":6,"people_notified":6,"slots_closed":11}`+"\n" {
				t.Fatalf("closure: %d %s", res.Status, res.Body)
			}
			for _, code := range codes {
				if res := ta.Do(t, nil, "GET", "/api/v1/bookings/"+code, nil); !containsAll(string(res.Body), `"status":"cancelled"`) {
					t.Fatalf("booking after closure: %s", res.Body)
				}
			}
			ta.Clock.Set(time.Date(2026, 3, 3, 7, 30, 0, 0, testkit.Monday0800.Location()))
			north = ta.Login(t, "north", testkit.StaffPassword) // a new day's shift
			if res := ta.Do(t, nil, "POST", "/api/v1/admissions", map[string]string{"code": codes[0], "gate": "North", "venue": "jinyun-mountain"},
				"Authorization", north); res.Status != 410 {
				t.Fatalf("a closed day's code at the gate: %d %s", res.Status, res.Body)
			}
			var remaining []struct {
				Status    string
				Remaining int
			}
			ta.Do(t, nil, "GET", "/api/v1/venues/jinyun-mountain/slots?date=2026-03-03", nil).JSON(t, &remaining)
			if remaining[5].Status != "closed" {
				t.Fatalf("slots after closure: %+v", remaining[5])
			}
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", map[string]any{"slot_id": slots[5].ID, "phone": "13900000000",
				"visitors": []map[string]string{{"name": "游客", "id_type": "passport", "id_number": "E0000009"}}}); res.Code() != "slot_closed" {
				t.Fatalf("booking a closed slot: %d %s", res.Status, res.Body)
			}

			// The sender is down: nothing is lost, attempts back off.
			for range 3 {
				// Seven confirmations of the bookings and six closure notices.
				if _, failed, err := ta.Postman.Round(ctx); err != nil || failed > 13 {
					t.Fatalf("round: %v", err)
				}
				ta.Clock.Advance(time.Minute)
			}
			if n, _ := ta.Store.OutboxBacklog(ctx); n != 13 {
				t.Fatalf("backlog while the sender is down: %d, want 13", n)
			}
			sender.mu.Lock()
			sender.up = true
			sender.mu.Unlock()
			ta.Clock.Advance(2 * time.Hour)
			for range 3 {
				if _, _, err := ta.Postman.Round(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if n, _ := ta.Store.OutboxBacklog(ctx); n != 0 {
				t.Fatalf("backlog after the sender came back: %d", n)
			}
			if len(sender.got) != 6 || sender.booked != 7 {
				t.Fatalf("closures delivered to %d bookings, confirmations %d, want 6 and 7", len(sender.got), sender.booked)
			}
			for id, n := range sender.got {
				if n != 1 {
					t.Fatalf("booking %d notified %d times", id, n)
				}
			}
			var audit []map[string]any
			admin = ta.Login(t, "admin", testkit.AdminPassword)
			ta.Do(t, nil, "GET", "/api/v1/admin/audit?kind=closure", nil, "Authorization", admin).JSON(t, &audit)
			if len(audit) != 1 || audit[0]["reason"] != "暴雨 heavy rain" {
				t.Fatalf("audit: %v", audit)
			}
		})
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !contains(s, p) {
			return false
		}
	}
	return true
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
