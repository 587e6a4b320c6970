package redisgate_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"slotgate/domain"
	"slotgate/infra/redisgate"
	"slotgate/internal/testkit"
)

// The capacity-gate suite: every test runs on the embedded Redis and, when
// configured, on a real one, with the same scripts.

func forEachRedis(t *testing.T, fn func(t *testing.T, r *testkit.Redis, g *redisgate.Gate)) {
	for _, name := range testkit.Redises(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := testkit.StartRedis(t, name)
			fn(t, r, redisgate.New(r.Client(), r.Prefix))
		})
	}
}

var now = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

func count(id int64, quota, booked int) domain.SlotCount {
	return domain.SlotCount{SlotID: id, Quota: quota, Booked: booked, Open: true, ExpireAt: now.Add(time.Hour)}
}

func bucket(t *testing.T, g *redisgate.Gate, id int64) domain.Bucket {
	t.Helper()
	bs, err := g.Buckets(context.Background(), []int64{id})
	if err != nil {
		t.Fatal(err)
	}
	return bs[id]
}

func take(t *testing.T, g *redisgate.Gate, id int64, hold string, n int) domain.Take {
	t.Helper()
	got, err := g.Take(context.Background(), id, hold, n, now)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestTakeSettleAndGiveBack(t *testing.T) {
	forEachRedis(t, func(t *testing.T, r *testkit.Redis, g *redisgate.Gate) {
		ctx := context.Background()
		if got := take(t, g, 1, "h0", 1); got.Outcome != domain.TakeNotLoaded {
			t.Fatalf("take from an unloaded bucket: %+v, want not loaded", got)
		}
		if err := g.Load(ctx, count(1, 10, 4), now); err != nil {
			t.Fatal(err)
		}
		// Loading again never overwrites a live bucket.
		if err := g.Load(ctx, count(1, 99, 0), now); err != nil {
			t.Fatal(err)
		}
		if got := take(t, g, 1, "a", 5); got.Outcome != domain.Taken || got.Remaining != 1 || got.Pending != 5 {
			t.Fatalf("take 5 of 6: %+v", got)
		}
		// The same hold again takes nothing more: a retried script is harmless.
		if got := take(t, g, 1, "a", 5); got.Outcome != domain.Taken || got.Remaining != 1 {
			t.Fatalf("retried take: %+v", got)
		}
		if got := take(t, g, 1, "b", 2); got.Outcome != domain.TakeSoldOut || got.Remaining != 1 || got.Pending != 5 {
			t.Fatalf("take 2 of 1: %+v", got)
		}
		b := bucket(t, g, 1)
		if b.Quota != 10 || b.Booked != 4 || b.Pending != 5 || b.Holds != 1 || b.Taken() != 9 {
			t.Fatalf("bucket after take: %+v", b)
		}
		// Commit moves the places to booked; a second settle does nothing.
		for range 2 {
			if err := g.Settle(ctx, 1, "a", true); err != nil {
				t.Fatal(err)
			}
		}
		if b := bucket(t, g, 1); b.Booked != 9 || b.Pending != 0 || b.Holds != 0 {
			t.Fatalf("after commit: %+v", b)
		}
		// A refused booking gives its places back.
		take(t, g, 1, "c", 1)
		if err := g.Settle(ctx, 1, "c", false); err != nil {
			t.Fatal(err)
		}
		if b := bucket(t, g, 1); b.Booked != 9 || b.Pending != 0 {
			t.Fatalf("after give back: %+v", b)
		}
		// A cancellation: announced, then committed, frees the places once.
		if err := g.HoldRelease(ctx, 1, "r", 3, now); err != nil {
			t.Fatal(err)
		}
		if b := bucket(t, g, 1); b.Booked != 9 || b.Holds != 1 {
			t.Fatalf("announced release must free nothing yet: %+v", b)
		}
		g.Settle(ctx, 1, "r", true)
		g.Settle(ctx, 1, "r", true)
		if b := bucket(t, g, 1); b.Booked != 6 || b.Holds != 0 {
			t.Fatalf("after release: %+v", b)
		}
		// A release whose store write failed changes nothing.
		g.HoldRelease(ctx, 1, "r2", 3, now)
		g.Settle(ctx, 1, "r2", false)
		if b := bucket(t, g, 1); b.Booked != 6 || b.Holds != 0 {
			t.Fatalf("after failed release: %+v", b)
		}
	})
}

func TestClosedBucketSellsNothing(t *testing.T) {
	forEachRedis(t, func(t *testing.T, r *testkit.Redis, g *redisgate.Gate) {
		c := count(2, 10, 0)
		c.Open = false
		g.Load(context.Background(), c, now)
		if got := take(t, g, 2, "a", 1); got.Outcome != domain.TakeClosed {
			t.Fatalf("closed: %+v", got)
		}
	})
}

// TestWipedBucketIsNotLoaded: after Redis loses its data, no script may
// read the missing bucket as empty or re-create half of it.
func TestWipedBucketIsNotLoaded(t *testing.T) {
	forEachRedis(t, func(t *testing.T, r *testkit.Redis, g *redisgate.Gate) {
		ctx := context.Background()
		g.Load(ctx, count(3, 10, 0), now)
		take(t, g, 3, "a", 2)
		g.HoldRelease(ctx, 3, "r", 1, now)
		r.Wipe(t)
		for _, settle := range []string{"a", "r"} {
			if err := g.Settle(ctx, 3, settle, true); err != nil {
				t.Fatal(err)
			}
		}
		if err := g.HoldRelease(ctx, 3, "r3", 1, now); err != nil {
			t.Fatal(err)
		}
		if b := bucket(t, g, 3); b.Loaded {
			t.Fatalf("a script re-created a wiped bucket: %+v", b)
		}
		if got := take(t, g, 3, "b", 1); got.Outcome != domain.TakeNotLoaded {
			t.Fatalf("take after wipe: %+v", got)
		}
		keys, _ := r.Client().Keys(ctx, r.Prefix+"*").Result()
		if len(keys) != 0 {
			t.Fatalf("keys left after wipe and scripts: %v", keys)
		}
	})
}

func TestReconcile(t *testing.T) {
	forEachRedis(t, func(t *testing.T, r *testkit.Redis, g *redisgate.Gate) {
		ctx := context.Background()
		g.Load(ctx, count(4, 10, 2), now)
		// Drift: the store says 5 booked and quota 12.
		seen := bucket(t, g, 4)
		got, err := g.Reconcile(ctx, count(4, 12, 5), seen, now, time.Minute)
		if err != nil || got.Outcome != domain.ReconcileRepaired || got.Drift != -3 || got.Loose {
			t.Fatalf("repair: %+v %v", got, err)
		}
		if b := bucket(t, g, 4); b.Quota != 12 || b.Booked != 5 {
			t.Fatalf("after repair: %+v", b)
		}
		// A booking settled after the bucket was read, which the store read
		// may or may not have seen: either store count is no drift.
		seen = bucket(t, g, 4)
		take(t, g, 4, "a", 1)
		g.Settle(ctx, 4, "a", true)
		for _, storeBooked := range []int{5, 6} {
			if got, _ := g.Reconcile(ctx, count(4, 12, storeBooked), seen, now, time.Minute); got.Outcome != domain.ReconcileBusy {
				t.Fatalf("settled since the read, store %d: %+v", storeBooked, got)
			}
		}
		// A hold in flight may be committed in the store or not: both agree;
		// a store count beyond it is drift, repaired to the nearest bound.
		take(t, g, 4, "b", 2)
		seen = bucket(t, g, 4)
		for _, storeBooked := range []int{6, 8} {
			if got, _ := g.Reconcile(ctx, count(4, 12, storeBooked), seen, now, time.Minute); got.Outcome != domain.ReconcileBusy || !got.Loose {
				t.Fatalf("hold in flight, store %d: %+v", storeBooked, got)
			}
		}
		if got, _ := g.Reconcile(ctx, count(4, 12, 10), seen, now, time.Minute); got.Outcome != domain.ReconcileRepaired || got.Drift != -2 || !got.Loose {
			t.Fatalf("drift beyond the hold in flight: %+v", got)
		}
		if b := bucket(t, g, 4); b.Booked != 8 || b.Pending != 2 {
			t.Fatalf("after repair under a hold: %+v", b)
		}
		// A hold gone stale (a request that died) is dropped, and the next
		// pass sets the store's counts.
		later := now.Add(2 * time.Minute)
		if got, _ := g.Reconcile(ctx, count(4, 12, 10), seen, later, time.Minute); got.Outcome != domain.ReconcileStale {
			t.Fatalf("stale hold: %+v", got)
		}
		b := bucket(t, g, 4)
		if b.Pending != 0 || b.Holds != 0 {
			t.Fatalf("stale hold kept: %+v", b)
		}
		if got, _ := g.Reconcile(ctx, count(4, 12, 10), b, later, time.Minute); got.Outcome != domain.ReconcileRepaired || got.Drift != -2 {
			t.Fatalf("after the stale hold: %+v", got)
		}
		if got, _ := g.Reconcile(ctx, count(4, 12, 10), bucket(t, g, 4), later, time.Minute); got.Outcome != domain.ReconcileAgreed || got.Loose {
			t.Fatalf("agreeing bucket: %+v", got)
		}
		// An announced change in flight, or applied since the read, leaves
		// the bucket alone; applied once, it counts once.
		seen = bucket(t, g, 4)
		g.Announce(ctx, 4, "q", later)
		if got, _ := g.Reconcile(ctx, count(4, 15, 10), seen, later, time.Minute); got.Outcome != domain.ReconcileBusy {
			t.Fatalf("announced change: %+v", got)
		}
		for range 2 { // a retried adjustment applies once
			if err := g.Adjust(ctx, 4, "q", 3, 0, true); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := g.Reconcile(ctx, count(4, 12, 10), seen, later, time.Minute); got.Outcome != domain.ReconcileBusy {
			t.Fatalf("change applied since the read: %+v", got)
		}
		if b := bucket(t, g, 4); b.Quota != 15 {
			t.Fatalf("after the change: %+v", b)
		}
		// A change whose announcement is gone (the bucket was loaded again
		// from the store) is not applied on top.
		if err := g.Adjust(ctx, 4, "never-announced", 3, 0, true); err != nil {
			t.Fatal(err)
		}
		if b := bucket(t, g, 4); b.Quota != 15 {
			t.Fatalf("an unannounced change was applied: %+v", b)
		}
		if got, _ := g.Reconcile(ctx, count(99, 1, 0), domain.Bucket{}, now, time.Minute); got.Outcome != domain.ReconcileNotLoaded {
			t.Fatalf("unloaded: %+v", got)
		}
	})
}

// TestFence: a fenced bucket asks new takes to wait, holds already taken
// settle as usual, and the fence ends when lifted or, if its reconciler
// died, by itself in Redis's clock (the callers' clocks are not asked).
func TestFence(t *testing.T) {
	forEachRedis(t, func(t *testing.T, r *testkit.Redis, g *redisgate.Gate) {
		ctx := context.Background()
		if err := g.Fence(ctx, 6, time.Second); err != nil { // not loaded: nothing to fence
			t.Fatal(err)
		}
		g.Load(ctx, count(6, 10, 0), now)
		take(t, g, 6, "before", 1)
		if err := g.Fence(ctx, 6, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := take(t, g, 6, "during", 1); got.Outcome != domain.TakeFenced {
			t.Fatalf("take while fenced: %+v", got)
		}
		if got := take(t, g, 6, "before", 1); got.Outcome != domain.Taken { // a repeated take keeps its hold
			t.Fatalf("repeated take while fenced: %+v", got)
		}
		if err := g.Settle(ctx, 6, "before", true); err != nil {
			t.Fatal(err)
		}
		if b := bucket(t, g, 6); b.Holds != 0 || b.Booked != 1 || b.Pending != 0 {
			t.Fatalf("settled while fenced: %+v", b)
		}
		if err := g.Unfence(ctx, 6); err != nil {
			t.Fatal(err)
		}
		if got := take(t, g, 6, "after", 1); got.Outcome != domain.Taken || got.Remaining != 8 {
			t.Fatalf("take after the fence: %+v", got)
		}
		// A fence nobody lifts ends by itself. The takes' own clock says it
		// is long past; only Redis's clock counts.
		if err := g.Fence(ctx, 6, 150*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if got, _ := g.Take(ctx, 6, "late", 1, now.Add(time.Hour)); got.Outcome != domain.TakeFenced {
			t.Fatalf("take within the fence: %+v", got)
		}
		time.Sleep(250 * time.Millisecond)
		if got := take(t, g, 6, "late", 1); got.Outcome != domain.Taken {
			t.Fatalf("take after the fence ran out: %+v", got)
		}
	})
}

func TestKeysExpire(t *testing.T) {
	forEachRedis(t, func(t *testing.T, r *testkit.Redis, g *redisgate.Gate) {
		ctx := context.Background()
		c := count(5, 10, 0)
		c.ExpireAt = now.Add(1500 * time.Millisecond)
		g.Load(ctx, c, now)
		take(t, g, 5, "a", 1)
		for _, k := range []string{"bucket", "holds"} {
			ttl, err := r.Client().PTTL(ctx, r.Prefix+"sg:{slot:5}:"+k).Result()
			if err != nil || ttl <= 0 || ttl > 1500*time.Millisecond {
				t.Fatalf("%s TTL %v (%v), want set and at most 1.5 s", k, ttl, err)
			}
		}
		time.Sleep(2 * time.Second)
		if b := bucket(t, g, 5); b.Loaded {
			t.Fatalf("bucket outlived its expiry: %+v", b)
		}
		if n, _ := r.Client().Exists(ctx, r.Prefix+"sg:{slot:5}:holds").Result(); n != 0 {
			t.Fatal("holds outlived their expiry")
		}
	})
}

// TestKeysOfASlotShareOneClusterSlot: Redis Cluster runs a script only if
// all its keys hash to one node; miniredis never checks, so this does.
func TestKeysOfASlotShareOneClusterSlot(t *testing.T) {
	forEachRedis(t, func(t *testing.T, r *testkit.Redis, g *redisgate.Gate) {
		ctx := context.Background()
		g.Load(ctx, count(77, 10, 0), now)
		take(t, g, 77, "a", 1)
		keys, err := r.Client().Keys(ctx, r.Prefix+"*").Result()
		if err != nil || len(keys) != 2 {
			t.Fatalf("keys: %v %v", keys, err)
		}
		if a, b := keySlot(keys[0]), keySlot(keys[1]); a != b {
			t.Fatalf("%s -> %d and %s -> %d: a script over both would fail with CROSSSLOT", keys[0], a, keys[1], b)
		}
		if keySlot(g.KeysOf(77)[0]) == keySlot(g.KeysOf(78)[0]) && keySlot(g.KeysOf(78)[0]) == keySlot(g.KeysOf(79)[0]) {
			t.Fatal("different slots all hash alike: the tag is not per slot")
		}
	})
}

// keySlot is Redis Cluster's HASH_SLOT: CRC16 of the hash tag, mod 16384.
func keySlot(key string) uint16 {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc % 16384
}

func TestConcurrentTakesNeverExceedQuota(t *testing.T) {
	forEachRedis(t, func(t *testing.T, r *testkit.Redis, g *redisgate.Gate) {
		ctx := context.Background()
		const quota = 50
		if err := g.Load(ctx, count(6, quota, 0), now); err != nil {
			t.Fatal(err)
		}
		var taken, granted, refused atomic.Int64
		var smallestRefused atomic.Int64
		smallestRefused.Store(99)
		var wg sync.WaitGroup
		const tries = 200 // 1 to 4 places each: 500 asked of 50
		for i := range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := 1 + i%4
				got, err := g.Take(ctx, 6, fmt.Sprint("h", i), n, now)
				if err != nil {
					t.Error(err)
					return
				}
				switch got.Outcome {
				case domain.Taken:
					taken.Add(int64(n))
					granted.Add(1)
				case domain.TakeSoldOut:
					refused.Add(1)
					for {
						cur := smallestRefused.Load()
						if int64(n) >= cur || smallestRefused.CompareAndSwap(cur, int64(n)) {
							break
						}
					}
				default:
					t.Errorf("take %d: outcome %v", i, got.Outcome)
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		left := quota - taken.Load()
		b := bucket(t, g, 6)
		if granted.Load()+refused.Load() != tries || granted.Load() == 0 || left < 0 || left >= smallestRefused.Load() ||
			int64(b.Pending) != taken.Load() || b.Holds != int(granted.Load()) {
			t.Fatalf("took %d of %d in %d takes, %d refused (smallest refused %d), bucket %+v",
				taken.Load(), quota, granted.Load(), refused.Load(), smallestRefused.Load(), b)
		}
		// What is left goes to single places, to exactly the quota.
		for i := range left {
			if got := take(t, g, 6, fmt.Sprint("rest", i), 1); got.Outcome != domain.Taken {
				t.Fatalf("the %d places left: take %d: %+v", left, i+1, got)
			}
		}
		if got := take(t, g, 6, "one-more", 1); got.Outcome != domain.TakeSoldOut || got.Remaining != 0 || got.Pending != quota {
			t.Fatalf("one more after the quota: %+v", got)
		}
	})
}

// TestRetriedScriptTakesOnce cuts the connection after Redis ran a script
// and before its answer arrives: go-redis sends the script again on a new
// connection, and the hold makes the second run a no-op.
func TestRetriedScriptTakesOnce(t *testing.T) {
	forEachRedis(t, func(t *testing.T, r *testkit.Redis, g *redisgate.Gate) {
		ctx := context.Background()
		p := testkit.NewCuttingProxy(t, r.Addr())
		password := ""
		if u, err := url.Parse(r.URL); err == nil {
			password, _ = u.User.Password()
		}
		client := redis.NewClient(&redis.Options{Addr: p.Addr(), Password: password, DB: dbOf(r.URL), MaxRetries: 3})
		defer client.Close()
		pg := redisgate.New(client, r.Prefix)
		if err := pg.Load(ctx, count(8, 10, 0), now); err != nil {
			t.Fatal(err)
		}
		p.CutNextReply()
		got, err := pg.Take(ctx, 8, "a", 3, now)
		if err != nil || got.Outcome != domain.Taken {
			t.Fatalf("take through a cut: %+v %v", got, err)
		}
		if p.Cuts() != 1 {
			t.Fatalf("the proxy cut %d replies, want 1", p.Cuts())
		}
		p.CutNextReply()
		if err := pg.Settle(ctx, 8, "a", true); err != nil {
			t.Fatal(err)
		}
		if b := bucket(t, g, 8); b.Booked != 3 || b.Pending != 0 || b.Holds != 0 {
			t.Fatalf("after retried take and settle: %+v, want 3 booked once", b)
		}
	})
}

func dbOf(url string) int {
	parts := strings.Split(url, "/")
	if len(parts) < 4 || parts[3] == "" {
		return 0
	}
	var n int
	fmt.Sscan(parts[3], &n)
	return n
}
