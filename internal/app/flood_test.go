package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// attempt is one visitor's request in the crowd.
type attempt struct {
	body  map[string]any
	key   string
	party int
	// retryOf is the index of the attempt this one repeats (same key and body), or -1.
	retryOf int
}

type outcome struct {
	status    int
	code      string
	bookingID int64
	replayed  bool
}

const floodQuota = 60

// crowd makes n attempts at slotID: random parties of 1 to 5, one in ten a
// retry of an earlier attempt with the same Idempotency-Key and body, one in
// ten with a person who is also in an earlier attempt.
func crowd(n int, slotID int64, seed uint64) []attempt {
	rng := rand.New(rand.NewPCG(seed, 42))
	var out []attempt
	person := 0
	for i := range n {
		if i > 10 && rng.IntN(10) == 0 {
			j := rng.IntN(i)
			a := out[j]
			a.retryOf = j
			out = append(out, a)
			continue
		}
		party := 1 + rng.IntN(5)
		var visitors []map[string]string
		for v := range party {
			id := fmt.Sprintf("P%07d", person)
			person++
			if v == 0 && i > 10 && rng.IntN(10) == 0 {
				id = fmt.Sprintf("P%07d", rng.IntN(person-1)) // someone already in the crowd
				person--
			}
			visitors = append(visitors, map[string]string{"name": "Visitor " + id, "id_type": "passport", "id_number": id})
		}
		if dupInParty(visitors) {
			visitors = visitors[:1]
			party = 1
		}
		out = append(out, attempt{
			body:  map[string]any{"slot_id": slotID, "phone": fmt.Sprintf("139%08d", i), "visitors": visitors},
			key:   fmt.Sprintf("crowd-%d-%d", seed, i),
			party: party, retryOf: -1,
		})
	}
	return out
}

func dupInParty(vs []map[string]string) bool {
	seen := map[string]bool{}
	for _, v := range vs {
		if seen[v["id_number"]] {
			return true
		}
		seen[v["id_number"]] = true
	}
	return false
}

// floodSlot is the 10:00 slot on Tuesday at the mountain, given quota.
func floodSlot(t testing.TB, ta *testkit.TestApp, quota int) int64 {
	t.Helper()
	var slots []struct {
		ID    int64  `json:"id"`
		Start string `json:"start"`
	}
	ta.Do(t, nil, "GET", "/api/v1/venues/jinyun-mountain/slots?date=2026-03-03", nil).JSON(t, &slots)
	for _, s := range slots {
		if strings.HasSuffix(strings.Split(s.Start, "T")[1], "10:00:00+08:00") {
			if _, err := ta.Store.DB().Exec(`UPDATE slots SET quota = ? WHERE id = ?`, quota, s.ID); err != nil {
				t.Fatal(err)
			}
			// Listing the slots loaded its bucket with the old quota:
			// reconciliation brings the new one to the gate.
			ta.Catalog.Forget()
			if pass, _, err := ta.Reconcile.Run(context.Background()); err != nil || pass[domain.ReconcileRepaired] != 1 {
				t.Fatalf("reconcile the new quota: %v %v", pass, err)
			}
			return s.ID
		}
	}
	t.Fatalf("no 10:00 slot in %v", slots)
	return 0
}

// TestCrowdNeverOverbooks sends 2,000 concurrent booking attempts at a
// slot of 60 places, in each mode and four ways: as is, with Redis losing
// its data in the middle, with Redis connections cut after scripts ran, and
// spread over two instances sharing the database and Redis (in the
// embedded mode, the same SQLite file and the embedded Redis over its URL),
// as two app servers behind a load balancer.
func TestCrowdNeverOverbooks(t *testing.T) {
	variants := []string{"plain", "redis-wiped", "connections-cut", "two-instances"}
	for _, mode := range testkit.Modes(t) {
		for _, variant := range variants {
			t.Run(mode.Name+"/"+variant, func(t *testing.T) {
				t.Parallel()
				var proxy *testkit.CuttingProxy
				opts := testkit.Options{}
				if variant == "connections-cut" {
					// Every request asks Redis, so that scripts keep running while cuts come.
					opts.Configure = func(c *app.Config) { c.SoldOutMemory = 0 }
					opts.RedisURL = func(r *testkit.Redis) string {
						addr := r.Addr()
						proxy = testkit.NewCuttingProxy(t, addr)
						return strings.Replace(r.URL, addr, proxy.Addr(), 1)
					}
				}
				ta := testkit.StartApp(t, mode, opts)
				var others []*testkit.TestApp
				if variant == "two-instances" {
					others = append(others, ta.Twin(t))
				}
				runCrowd(t, ta, variant, proxy, others...)
			})
		}
	}
}

// runCrowd sends the crowd to ta, or in turn to ta and others, instances
// on the same database and Redis.
func runCrowd(t *testing.T, ta *testkit.TestApp, variant string, proxy *testkit.CuttingProxy, others ...*testkit.TestApp) {
	ctx := context.Background()
	slotID := floodSlot(t, ta, floodQuota)
	apps := append([]*testkit.TestApp{ta}, others...)
	for _, other := range others {
		other.Catalog.Forget() // the new quota
	}
	servedBy := make([]atomic.Int64, len(apps)) // bookings each instance made
	attempts := crowd(2000, slotID, uint64(len(variant)))
	results := make([]outcome, len(attempts))
	client := testkit.Client()
	var done atomic.Int64
	var wipeOnce sync.Once
	var wiped atomic.Bool
	if proxy != nil {
		proxy.CutEvery(200 * time.Millisecond)
	}

	var wg sync.WaitGroup
	sem := make(chan struct{}, 128)
	for i, a := range attempts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if variant == "redis-wiped" && done.Load() >= 10 {
				wipeOnce.Do(func() { ta.Redis.Wipe(t); wiped.Store(true) })
			}
			res := apps[i%len(apps)].Do(t, client, "POST", "/api/v1/bookings", a.body, "Idempotency-Key", a.key)
			o := outcome{status: res.Status, code: res.Code(), replayed: res.Header.Get("Idempotent-Replayed") == "true"}
			if res.Status == http.StatusCreated {
				servedBy[i%len(apps)].Add(1)
				var b struct {
					ID int64 `json:"id"`
				}
				res.JSON(t, &b)
				o.bookingID = b.ID
			}
			results[i] = o
			done.Add(1)
		}()
	}
	wg.Wait()
	for k := range apps {
		if servedBy[k].Load() == 0 {
			t.Fatalf("instance %d of %d made no booking: the crowd did not reach it", k+1, len(apps))
		}
	}
	if len(apps) > 1 {
		t.Logf("bookings answered by each instance: %d, %d", servedBy[0].Load(), servedBy[1].Load())
	}
	if variant == "redis-wiped" && !wiped.Load() {
		t.Fatal("Redis was never wiped: the variant was not exercised")
	}
	if proxy != nil {
		proxy.CutEvery(0)
		if proxy.Cuts() < 3 {
			t.Fatalf("the proxy cut only %d replies; the retry case was not exercised", proxy.Cuts())
		}
		t.Logf("replies cut: %d", proxy.Cuts())
	}

	// Every answer is a booking or a refusal the visitor can act on.
	sold := map[int64]int{}
	byCode := map[string]int{}
	for i, o := range results {
		byCode[fmt.Sprint(o.status, " ", o.code)]++
		switch {
		case o.status == http.StatusCreated:
			sold[o.bookingID] = attempts[i].party
		case o.status == http.StatusConflict && (o.code == "sold_out" || o.code == "already_booked"):
		default:
			t.Errorf("attempt %d: %d %s", i, o.status, o.code)
		}
	}
	t.Logf("answers: %v", byCode)
	// A retry with the same key gets the first booking, never a second one.
	for i, a := range attempts {
		if a.retryOf >= 0 && results[i].status == http.StatusCreated && results[a.retryOf].status == http.StatusCreated &&
			results[i].bookingID != results[a.retryOf].bookingID {
			t.Errorf("attempt %d repeats %d with the same key but got booking %d, not %d",
				i, a.retryOf, results[i].bookingID, results[a.retryOf].bookingID)
		}
	}
	places := 0
	for _, n := range sold {
		places += n
	}

	// MySQL holds exactly the bookings that were confirmed, and no more
	// people than the quota: all of it, since demand far exceeded it.
	rows, err := ta.Store.DB().Query(`SELECT id, party_size FROM bookings WHERE slot_id = ? AND status = 'confirmed'`, slotID)
	if err != nil {
		t.Fatal(err)
	}
	inStore := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		rows.Scan(&id, &n)
		inStore[id] = n
	}
	rows.Close()
	if len(inStore) != len(sold) {
		t.Errorf("store has %d bookings, visitors were told of %d", len(inStore), len(sold))
	}
	for id, n := range sold {
		if inStore[id] != n {
			t.Errorf("booking %d confirmed to a visitor (party %d) is not in the store as such (%d)", id, n, inStore[id])
		}
	}
	counts, err := ta.Store.SlotCounts(ctx, []int64{slotID})
	if err != nil {
		t.Fatal(err)
	}
	if counts[0].Booked != places || places != floodQuota {
		t.Fatalf("slot booked %d, confirmed parties hold %d, quota %d: want all three equal", counts[0].Booked, places, floodQuota)
	}
	var people, distinct int
	ta.Store.DB().QueryRow(`SELECT COUNT(*), COUNT(DISTINCT id_hash) FROM booking_visitors v JOIN bookings b ON b.id = v.booking_id
		WHERE b.slot_id = ? AND v.live = 1`, slotID).Scan(&people, &distinct)
	if people != places || distinct != people {
		t.Errorf("%d people booked (%d distinct IDs), want %d, each once", people, distinct, places)
	}

	// Redis agrees with MySQL: at once when nothing was lost, and after a
	// reconciliation pass in every case. Refused requests left no holds.
	bucket := func() domain.Bucket {
		bs, err := ta.Gate.Buckets(ctx, []int64{slotID})
		if err != nil {
			t.Fatal(err)
		}
		return bs[slotID]
	}
	if b := bucket(); variant != "redis-wiped" && (b.Booked != places || b.Pending != 0 || b.Holds != 0) {
		t.Errorf("before reconciliation the gate has %+v, want %d booked and nothing held", b, places)
	}
	if _, _, err := ta.Reconcile.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if b := bucket(); b.Booked != places || b.Pending != 0 || b.Holds != 0 || b.Quota != floodQuota {
		t.Errorf("after reconciliation the gate has %+v, want %d booked of %d", b, places, floodQuota)
	}
}
