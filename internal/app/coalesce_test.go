package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/testkit"
)

// Tests of coalesced booking transactions (issue 13), in both modes. Each
// installs a coalescer that gathers for an hour or until max bookings of a
// slot wait, so that a batch is exactly the requests a test sends, and a
// store in front of the real one that can hold a batch before it reaches
// the database (to make a cancellation, quota change or closure arrive
// while it is open) or lose the answer of its commit.

// heldStore is the real store behind a gate the test opens.
type heldStore struct {
	domain.BatchStore
	arrived chan int      // a batch's size, as it reaches the store; nil: no holding
	release chan struct{} // lets a held batch go on
	// lose makes a batch's commit outcome unknown: after committing it
	// (committed) or without touching the database.
	lose      bool
	committed bool

	mu    sync.Mutex
	sizes []int
}

func (h *heldStore) CreateBookings(ctx context.Context, nbs []domain.NewBooking) []domain.BookingOutcome {
	h.mu.Lock()
	h.sizes = append(h.sizes, len(nbs))
	h.mu.Unlock()
	if h.arrived != nil {
		h.arrived <- len(nbs)
		<-h.release
	}
	if h.lose {
		if h.committed {
			h.BatchStore.CreateBookings(ctx, nbs)
		}
		out := make([]domain.BookingOutcome, len(nbs))
		for i := range out {
			out[i].Err = errors.Join(domain.ErrOutcomeUnknown, domain.Unavailable("store", errors.New("connection lost during COMMIT")))
		}
		return out
	}
	return h.BatchStore.CreateBookings(ctx, nbs)
}

func (h *heldStore) batches() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int(nil), h.sizes...)
}

// coalesce makes ta gather max bookings of a slot into one batch through h.
func coalesce(ta *testkit.TestApp, h *heldStore, max int) *domain.Coalescer {
	h.BatchStore = ta.Store
	c := domain.NewCoalescer(h, ta.Gate, time.Hour, max)
	ta.Bookings.CoalesceWith(c)
	return c
}

// request is one booking request of a test.
type request struct {
	ids []string // passport numbers of the party
	key string   // Idempotency-Key; "" for none
}

func (r request) body(slotID int64) map[string]any {
	var visitors []map[string]string
	for _, id := range r.ids {
		visitors = append(visitors, map[string]string{"name": "Visitor " + id, "id_type": "passport", "id_number": id})
	}
	return map[string]any{"slot_id": slotID, "phone": "13912345678", "visitors": visitors}
}

// sendInOrder sends the requests one after another into the coalescer:
// each is sent once the one before waits in the slot's batch, so that a
// batch keeps their order. The answers come back once the batch is done.
func sendInOrder(t *testing.T, ta *testkit.TestApp, c *domain.Coalescer, slotID int64, reqs []request) func() []testkit.Response {
	t.Helper()
	out := make([]testkit.Response, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var h []string
			if r.key != "" {
				h = []string{"Idempotency-Key", r.key}
			}
			out[i] = ta.Do(t, nil, "POST", "/api/v1/bookings", r.body(slotID), h...)
		}()
		if i < len(reqs)-1 {
			waitUntil(t, fmt.Sprintf("request %d waits in the batch", i), func() bool { return c.Pending(slotID) == i+1 })
		}
	}
	return func() []testkit.Response { wg.Wait(); return out }
}

// waitUntil polls cond; it fails the test after ten seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 10000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("timed out waiting until %s", what)
}

type created struct {
	ID        int64  `json:"id"`
	Code      string `json:"code"`
	PartySize int    `json:"party_size"`
}

func bookingOf(t *testing.T, res testkit.Response) created {
	t.Helper()
	if res.Status != http.StatusCreated {
		t.Fatalf("want 201, got %d %s", res.Status, res.Body)
	}
	var b created
	res.JSON(t, &b)
	return b
}

// agree checks that MySQL's booked count, its confirmed bookings, and the
// gate's bucket all say booked, with nothing held in flight.
func agree(t *testing.T, ta *testkit.TestApp, slotID int64, booked int) {
	t.Helper()
	var got, live int
	ta.Store.DB().QueryRow(`SELECT booked FROM slots WHERE id = ?`, slotID).Scan(&got)
	ta.Store.DB().QueryRow(`SELECT COALESCE(SUM(party_size), 0) FROM bookings WHERE slot_id = ? AND status = 'confirmed'`, slotID).Scan(&live)
	bs, err := ta.Gate.Buckets(context.Background(), []int64{slotID})
	if err != nil {
		t.Fatal(err)
	}
	b := bs[slotID]
	if got != booked || live != booked || b.Booked != booked || b.Pending != 0 {
		t.Fatalf("slot %d: MySQL booked %d, bookings hold %d, gate booked %d with %d pending; want %d",
			slotID, got, live, b.Booked, b.Pending, booked)
	}
}

func adminUser(t *testing.T, ta *testkit.TestApp) domain.User {
	t.Helper()
	s, err := ta.Accounts.Authenticate(context.Background(), loginToken(t, ta))
	if err != nil {
		t.Fatal(err)
	}
	return s.User
}

// TestBatchDuplicates: inside one batch, a person twice, a retried key, a
// person the store holds already and the retry of an earlier booking each
// fail or replay alone, with their own answers; the others commit together.
func TestBatchDuplicates(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			slotID := floodSlot(t, ta, 20)
			// Booked before the batch, one by one.
			held := bookingOf(t, ta.Do(t, nil, "POST", "/api/v1/bookings", request{ids: []string{"D9000001"}}.body(slotID)))
			earlier := request{ids: []string{"D9000002"}, key: "dup-earlier"}
			first := bookingOf(t, ta.Do(t, nil, "POST", "/api/v1/bookings", earlier.body(slotID), "Idempotency-Key", earlier.key))

			h := &heldStore{}
			c := coalesce(ta, h, 6)
			reqs := []request{
				{ids: []string{"D1000001"}, key: "dup-a"},
				{ids: []string{"D1000002", "D1000003"}, key: "dup-b"},
				{ids: []string{"D1000004", "D1000001"}, key: "dup-c"}, // the person of dup-a
				{ids: []string{"D1000002", "D1000003"}, key: "dup-b"}, // dup-b retried
				{ids: []string{"D9000001"}, key: "dup-e"},             // the person of the booking held
				earlier, // the earlier booking retried
			}
			res := sendInOrder(t, ta, c, slotID, reqs)()

			a, b := bookingOf(t, res[0]), bookingOf(t, res[1])
			if res[2].Status != http.StatusConflict || res[2].Code() != "already_booked" {
				t.Fatalf("a person twice in a batch: %d %s", res[2].Status, res[2].Body)
			}
			var p struct {
				Errors []struct{ Field string } `json:"errors"`
			}
			res[2].JSON(t, &p)
			if len(p.Errors) != 1 || p.Errors[0].Field != "visitors[1].id_number" {
				t.Fatalf("the person is not named: %s", res[2].Body)
			}
			if retry := bookingOf(t, res[3]); retry.ID != b.ID || res[3].Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("a key retried within the batch: got booking %d (replayed %q), want %d", retry.ID, res[3].Header.Get("Idempotent-Replayed"), b.ID)
			}
			if res[4].Status != http.StatusConflict || res[4].Code() != "already_booked" {
				t.Fatalf("a person the store holds: %d %s", res[4].Status, res[4].Body)
			}
			if again := bookingOf(t, res[5]); again.ID != first.ID || res[5].Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("an earlier booking retried: got %d, want %d replayed", again.ID, first.ID)
			}
			if a.ID == b.ID {
				t.Fatal("two bookings of the batch share an id")
			}
			// dup-a, dup-b, dup-e and the earlier retry went to the store as
			// one batch; the store sent the last two alone.
			if got := h.batches(); len(got) != 1 || got[0] != 4 {
				t.Fatalf("batches reaching the store: %v, want [4]", got)
			}
			agree(t, ta, slotID, held.PartySize+first.PartySize+a.PartySize+b.PartySize)
		})
	}
}

// TestBatchAtQuotaEdgeWithQuotaChange: while a batch of 3+2+3+1 people is
// open, an admin lowers the quota from 10 to 4. The batch commits after the
// change and takes, in order, what fits (3, then 1); the others are sold
// out and their places go back to the gate.
func TestBatchAtQuotaEdgeWithQuotaChange(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			slotID := floodSlot(t, ta, 10)
			admin := adminUser(t, ta)
			h := &heldStore{arrived: make(chan int), release: make(chan struct{})}
			c := coalesce(ta, h, 4)
			done := sendInOrder(t, ta, c, slotID, []request{
				{ids: []string{"Q1000001", "Q1000002", "Q1000003"}},
				{ids: []string{"Q2000001", "Q2000002"}},
				{ids: []string{"Q3000001", "Q3000002", "Q3000003"}},
				{ids: []string{"Q4000001"}},
			})
			if n := <-h.arrived; n != 4 {
				t.Fatalf("batch of %d, want 4", n)
			}
			q := 4
			if _, err := ta.Admin.SetSlotQuota(context.Background(), admin, slotID, domain.QuotaSpec{Quota: &q}, "storm warning", false); err != nil {
				t.Fatalf("lower the quota while the batch is open: %v", err)
			}
			close(h.release)
			res := done()
			if bookingOf(t, res[0]).PartySize != 3 || bookingOf(t, res[3]).PartySize != 1 {
				t.Fatal("the bookings that fit were not taken")
			}
			for _, i := range []int{1, 2} {
				if res[i].Status != http.StatusConflict || res[i].Code() != "sold_out" {
					t.Fatalf("booking %d past the new quota: %d %s", i, res[i].Status, res[i].Body)
				}
			}
			agree(t, ta, slotID, 4)
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", request{ids: []string{"Q5000001"}}.body(slotID)); res.Code() != "sold_out" {
				t.Fatalf("after the batch: %d %s", res.Status, res.Body)
			}
		})
	}
}

// TestBatchWithCancellation: a cancellation that commits while a batch is
// open gives its places back once; the batch and later bookings use them
// exactly, and the gate agrees with MySQL.
func TestBatchWithCancellation(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			slotID := floodSlot(t, ta, 6)
			x := bookingOf(t, ta.Do(t, nil, "POST", "/api/v1/bookings", request{ids: []string{"C0000001", "C0000002"}}.body(slotID)))
			h := &heldStore{arrived: make(chan int), release: make(chan struct{})}
			c := coalesce(ta, h, 2)
			done := sendInOrder(t, ta, c, slotID, []request{
				{ids: []string{"C1000001", "C1000002"}},
				{ids: []string{"C2000001", "C2000002"}},
			})
			<-h.arrived
			if res := ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+x.Code, nil); res.Status != http.StatusOK {
				t.Fatalf("cancel while the batch is open: %d %s", res.Status, res.Body)
			}
			close(h.release)
			for _, r := range done() {
				bookingOf(t, r)
			}
			agree(t, ta, slotID, 4)
			// Back to the default gathering for the bookings one by one.
			ta.Bookings.CoalesceWith(domain.NewCoalescer(ta.Store, ta.Gate, domain.DefaultCoalesceWindow, domain.DefaultCoalesceMax))
			bookingOf(t, ta.Do(t, nil, "POST", "/api/v1/bookings", request{ids: []string{"C3000001", "C3000002"}}.body(slotID)))
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", request{ids: []string{"C4000001"}}.body(slotID)); res.Code() != "sold_out" {
				t.Fatalf("past the quota: %d %s", res.Status, res.Body)
			}
			agree(t, ta, slotID, 6)
		})
	}
}

// TestBatchWithClosure: a closure that commits while a batch is open wins:
// the batch's bookings are refused as closed and nothing is sold.
func TestBatchWithClosure(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			slotID := floodSlot(t, ta, 10)
			admin := adminUser(t, ta)
			h := &heldStore{arrived: make(chan int), release: make(chan struct{})}
			c := coalesce(ta, h, 2)
			done := sendInOrder(t, ta, c, slotID, []request{{ids: []string{"K1000001"}}, {ids: []string{"K2000001"}}})
			<-h.arrived
			if _, err := ta.Admin.Close(context.Background(), admin, "jinyun-mountain", domain.Date{}, slotID, "landslide"); err != nil {
				t.Fatalf("close the slot while the batch is open: %v", err)
			}
			close(h.release)
			for i, r := range done() {
				if r.Status != http.StatusConflict || r.Code() != "slot_closed" {
					t.Fatalf("booking %d of a closed slot: %d %s", i, r.Status, r.Body)
				}
			}
			var n int
			ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM bookings WHERE slot_id = ?`, slotID).Scan(&n)
			if n != 0 {
				t.Fatalf("%d bookings written for a closed slot", n)
			}
			agree(t, ta, slotID, 0)
		})
	}
}

// TestBatchOutcomeUnknown: a batch whose commit outcome is lost answers
// 503 to each visitor and leaves every hold to reconciliation; a retry with
// the same key replays the booking if the commit happened, or books it if
// it did not; reconciliation then brings the gate to MySQL's count.
func TestBatchOutcomeUnknown(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		for _, committed := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/committed=%v", mode.Name, committed), func(t *testing.T) {
				t.Parallel()
				ta := testkit.StartApp(t, mode, testkit.Options{})
				slotID := floodSlot(t, ta, 20)
				h := &heldStore{lose: true, committed: committed}
				c := coalesce(ta, h, 3)
				reqs := []request{
					{ids: []string{"U1000001"}, key: "lost-1"},
					{ids: []string{"U2000001", "U2000002"}, key: "lost-2"},
					{ids: []string{"U3000001", "U3000002", "U3000003"}, key: "lost-3"},
				}
				for i, r := range sendInOrder(t, ta, c, slotID, reqs)() {
					if r.Status != http.StatusServiceUnavailable {
						t.Fatalf("request %d of a lost commit: %d %s", i, r.Status, r.Body)
					}
				}
				var inDB int
				ta.Store.DB().QueryRow(`SELECT booked FROM slots WHERE id = ?`, slotID).Scan(&inDB)
				bs, _ := ta.Gate.Buckets(context.Background(), []int64{slotID})
				if want := map[bool]int{true: 6, false: 0}[committed]; inDB != want || bs[slotID].Pending != 6 || bs[slotID].Booked != 0 {
					t.Fatalf("after the lost commit: MySQL booked %d (want %d), gate pending %d booked %d (want the 6 held)",
						inDB, want, bs[slotID].Pending, bs[slotID].Booked)
				}

				// The visitors retry with the same keys, through a store that answers.
				h.lose = false
				for i, r := range sendInOrder(t, ta, c, slotID, reqs)() {
					b := bookingOf(t, r)
					if replayed := r.Header.Get("Idempotent-Replayed") == "true"; replayed != committed || b.PartySize != i+1 {
						t.Fatalf("retry %d: replayed %v, party %d", i, replayed, b.PartySize)
					}
				}
				// The lost holds are stale after two minutes: reconciliation
				// drops them and sets the bucket from MySQL.
				ta.Clock.Set(testkit.Monday0800.Add(3 * time.Minute))
				for range 3 {
					if _, _, err := ta.Reconcile.Run(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
				agree(t, ta, slotID, 6)
			})
		}
	}
}
