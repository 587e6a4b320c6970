package redisgate_test

import (
	"context"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/infra/redisgate"
	"slotgate/internal/testkit"
)

// The request-limit suite, on the embedded Redis and, when configured, on a
// real one. The script reads Redis's own clock (TIME), which on both
// follows the wall clock, so these tests sleep for real: the policy is fast
// (one request every 100 ms) to keep the sleeps short.

// fastLimit is 10 requests a second, of which 5 at once: for the tests
// that wait for the allowance to come back.
var fastLimit = domain.LimitPolicy{Name: "fast", Quota: 10, Window: time.Second, Burst: 5}

// steadyLimit is 60 a minute, of which 5 at once: for the tests that must
// see no refill between two calls, however slow the machine (-race, a
// loaded CI runner).
var steadyLimit = domain.LimitPolicy{Name: "steady", Quota: 60, Window: time.Minute, Burst: 5}

// forEachLimiter runs fn on a limiter of each Redis, with the script
// already loaded there, so that a test's first call is not the one that
// loads it (a loading call takes a round trip per check).
func forEachLimiter(t *testing.T, fn func(t *testing.T, r *testkit.Redis, l *redisgate.Limiter)) {
	forEachRedis(t, func(t *testing.T, r *testkit.Redis, _ *redisgate.Gate) {
		l := redisgate.NewLimiter(r.Client(), r.Prefix)
		allow(t, l, domain.LimitCheck{Policy: fastLimit, Subject: "warm-up"})
		r.Wipe(t)
		fn(t, r, l)
	})
}

func allow(t *testing.T, l *redisgate.Limiter, checks ...domain.LimitCheck) []domain.LimitStatus {
	t.Helper()
	got, err := l.Allow(context.Background(), checks...)
	if err != nil || len(got) != len(checks) {
		t.Fatalf("allow %+v: %+v %v", checks, got, err)
	}
	return got
}

// limitKey is where the limiter keeps a check: one key per policy and
// subject, the whole of it in the hash tag.
func limitKey(r *testkit.Redis, p domain.LimitPolicy, subject string) string {
	return r.Prefix + "sg:limit:{" + p.Name + ":" + subject + "}"
}

// repeat is n copies of c, to ask about in one call: Redis runs them back
// to back, at one moment for all practical purposes.
func repeat(c domain.LimitCheck, n int) []domain.LimitCheck {
	out := make([]domain.LimitCheck, n)
	for i := range out {
		out[i] = c
	}
	return out
}

// TestLimiterBurstThenRate: a quiet client passes exactly Burst requests at
// once, and the next is told to come back in about one interval; after it,
// exactly one more passes; asking all along, it gets one per interval.
func TestLimiterBurstThenRate(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, r *testkit.Redis, l *redisgate.Limiter) {
		c := domain.LimitCheck{Policy: fastLimit, Subject: "203.0.113.7"}
		interval := fastLimit.Interval()
		got := allow(t, l, repeat(c, fastLimit.Burst+3)...)
		for i, st := range got[:fastLimit.Burst] {
			if !st.Allowed || st.Remaining != fastLimit.Burst-1-i {
				t.Fatalf("request %d of the burst: %+v", i, st)
			}
		}
		for i, st := range got[fastLimit.Burst:] {
			if st.Allowed || st.Remaining != 0 || st.RetryAfter <= interval/2 || st.RetryAfter > interval {
				t.Fatalf("request %d past the burst: %+v, want refused for about one interval (%v)", fastLimit.Burst+i, st, interval)
			}
		}
		// One interval later: exactly one more.
		time.Sleep(got[fastLimit.Burst].RetryAfter + 2*time.Millisecond)
		again := allow(t, l, c, c)
		if !again[0].Allowed || again[1].Allowed || again[1].RetryAfter <= interval/2 || again[1].RetryAfter > interval {
			t.Fatalf("one interval after the burst: %+v, want one allowed and the next refused for an interval", again)
		}
		// Asking every 5 ms for ten intervals: about 10 pass, one per interval.
		passed, start := 0, time.Now()
		for time.Since(start) < 10*interval {
			if allow(t, l, c)[0].Allowed {
				passed++
			}
			time.Sleep(5 * time.Millisecond)
		}
		elapsed := time.Since(start)
		if most := int(elapsed/interval) + 1; passed < 9 || passed > most {
			t.Fatalf("%d passed in %v of steady asking, want one per %v (9 to %d)", passed, elapsed, interval, most)
		}
	})
}

// TestLimiterRefusalWritesNothing: a refused request leaves the key's value
// and its expiry as they were.
func TestLimiterRefusalWritesNothing(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, r *testkit.Redis, l *redisgate.Limiter) {
		ctx := context.Background()
		slow := domain.LimitPolicy{Name: "slow", Quota: 6, Window: time.Minute, Burst: 2}
		c := domain.LimitCheck{Policy: slow, Subject: "bot"}
		key := limitKey(r, slow, c.Subject)
		allow(t, l, c, c)
		value, err := r.Client().Get(ctx, key).Result()
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		ttl := r.Client().PTTL(ctx, key).Val()
		for i, st := range allow(t, l, repeat(c, 20)...) {
			if st.Allowed {
				t.Fatalf("refusal %d passed: %+v", i, st)
			}
		}
		if after := r.Client().Get(ctx, key).Val(); after != value {
			t.Fatalf("refusals changed the key from %s to %s", value, after)
		}
		// PTTL only counts down; a write would have set it again to 20 s.
		if after := r.Client().PTTL(ctx, key).Val(); after > ttl || after < ttl-time.Second {
			t.Fatalf("refusals changed the TTL from %v to %v", ttl, after)
		}
	})
}

// TestLimiterKeysExpire: a key lives at least one second and at least as
// long as the allowance takes to come back whole, never zero (EXPIRE 0
// would delete it, and a TTL shorter than the refill would reset the
// limit), and is gone after that.
func TestLimiterKeysExpire(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, r *testkit.Redis, l *redisgate.Limiter) {
		ctx := context.Background()
		cases := []struct {
			policy domain.LimitPolicy
			cost   int
		}{
			{fastLimit, 1}, // refills in 100 ms: the TTL is the least, 1 s
			{domain.LimitPolicy{Name: "tiny", Quota: 1_000_000, Window: time.Second, Burst: 3}, 1}, // refills in 1 µs
			{domain.LimitPolicy{Name: "slow", Quota: 10, Window: time.Minute, Burst: 5}, 3},        // refills in 18 s
		}
		for _, tc := range cases {
			// The key's TTL runs down between the script and PTTL; on a busy
			// machine that can take a while, so the floor is what the TTL
			// was less the time the two calls took.
			began := time.Now()
			st := allow(t, l, domain.LimitCheck{Policy: tc.policy, Subject: "c", Cost: tc.cost})[0]
			ttl := r.Client().PTTL(ctx, limitKey(r, tc.policy, "c")).Val()
			slack := time.Since(began) + 110*time.Millisecond // the embedded server ages keys in 100 ms ticks
			if !st.Allowed || ttl <= 0 || ttl < time.Second-slack || ttl < st.Reset-slack {
				t.Fatalf("%s: TTL %v after %+v, want at least 1 s and at least the reset time", tc.policy.Name, ttl, st)
			}
		}
		// Gone once their TTL has run: a second, plus the embedded server's
		// expiry tick, plus what a busy machine adds (never the 18 s that
		// the slow key keeps).
		deadline := time.Now().Add(2500 * time.Millisecond)
		time.Sleep(1000 * time.Millisecond)
		for _, p := range []string{"fast", "tiny"} {
			for r.Client().Exists(ctx, r.Prefix+"sg:limit:{"+p+":c}").Val() != 0 {
				if time.Now().After(deadline) {
					t.Fatalf("the %s key outlived its TTL", p)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		if n := r.Client().Exists(ctx, r.Prefix+"sg:limit:{slow:c}").Val(); n != 1 {
			t.Fatal("the slow key expired before its allowance came back")
		}
		// An expired key is a whole allowance again.
		got := allow(t, l, repeat(domain.LimitCheck{Policy: fastLimit, Subject: "c"}, fastLimit.Burst)...)
		if !got[fastLimit.Burst-1].Allowed {
			t.Fatalf("after expiry: %+v, want the whole burst", got)
		}
	})
}

// TestLimiterCostAboveBurst: a request costing more than the burst could
// never pass: refused outright with RetryAfter Never, writing nothing,
// whether the client is fresh or has used part of its allowance.
func TestLimiterCostAboveBurst(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, r *testkit.Redis, l *redisgate.Limiter) {
		ctx := context.Background()
		interval := steadyLimit.Interval()
		st := allow(t, l, domain.LimitCheck{Policy: steadyLimit, Subject: "fresh", Cost: steadyLimit.Burst + 1})[0]
		if st.Allowed || st.RetryAfter != domain.Never || st.Remaining != 0 {
			t.Fatalf("cost above the burst: %+v, want refused with retry Never", st)
		}
		if n := r.Client().Exists(ctx, limitKey(r, steadyLimit, "fresh")).Val(); n != 0 {
			t.Fatal("a refused cost created a key")
		}
		used := domain.LimitCheck{Policy: steadyLimit, Subject: "used"}
		allow(t, l, used, used)
		value := r.Client().Get(ctx, limitKey(r, steadyLimit, "used")).Val()
		got := allow(t, l,
			domain.LimitCheck{Policy: steadyLimit, Subject: "used", Cost: 100},
			domain.LimitCheck{Policy: steadyLimit, Subject: "used", Cost: 4},  // 3 left: wait an interval
			domain.LimitCheck{Policy: steadyLimit, Subject: "used", Cost: 3},  // exactly what is left
			domain.LimitCheck{Policy: steadyLimit, Subject: "other", Cost: 0}, // 0 counts as 1
		)
		if got[0].Allowed || got[0].RetryAfter != domain.Never {
			t.Fatalf("cost above the burst, part used: %+v", got[0])
		}
		if got[1].Allowed || got[1].RetryAfter <= interval/2 || got[1].RetryAfter > interval {
			t.Fatalf("cost above what is left: %+v, want a wait of about one interval", got[1])
		}
		if !got[2].Allowed || got[2].Remaining != 0 {
			t.Fatalf("cost of exactly what is left: %+v", got[2])
		}
		if !got[3].Allowed || got[3].Remaining != steadyLimit.Burst-1 {
			t.Fatalf("cost 0: %+v, want counted as one", got[3])
		}
		// Some checks of that call were refused, so it spent none of them.
		if after := r.Client().Get(ctx, limitKey(r, steadyLimit, "used")).Val(); after != value {
			t.Fatal("a call with refused checks spent its allowed ones")
		}
		if st := allow(t, l, domain.LimitCheck{Policy: steadyLimit, Subject: "used", Cost: 3})[0]; !st.Allowed || st.Remaining != 0 {
			t.Fatalf("the cost of 3 alone: %+v", st)
		}
		if after := r.Client().Get(ctx, limitKey(r, steadyLimit, "used")).Val(); after == value {
			t.Fatal("the allowed cost of 3 wrote nothing")
		}
	})
}

// TestLimiterOneKeyPerCheck: each policy and subject has a key of its own
// (so that a Redis Cluster runs each check on one node), a spent subject
// leaves the others alone, a call with one refused check spends none of the
// others, and several checks in one call are answered each for itself.
func TestLimiterOneKeyPerCheck(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, r *testkit.Redis, l *redisgate.Limiter) {
		ctx := context.Background()
		other := domain.LimitPolicy{Name: "other", Quota: 60, Window: time.Minute, Burst: 5}
		spent := domain.LimitCheck{Policy: steadyLimit, Subject: "a"}
		allow(t, l, repeat(spent, steadyLimit.Burst)...)
		fresh := []domain.LimitCheck{
			{Policy: steadyLimit, Subject: "b"},
			{Policy: other, Subject: "a"},
			{Policy: steadyLimit, Subject: "b"},
		}
		got := allow(t, l, append([]domain.LimitCheck{spent}, fresh...)...)
		if got[0].Allowed || got[0].Policy != steadyLimit {
			t.Fatalf("the spent check: %+v", got[0])
		}
		if n, _ := r.Client().Exists(ctx, limitKey(r, steadyLimit, "b"), limitKey(r, other, "a")).Result(); n != 0 {
			t.Fatalf("a refused call spent %d other checks", n)
		}
		got = allow(t, l, fresh...)
		for i, want := range []int{4, 4, 3} {
			if !got[i].Allowed || got[i].Remaining != want {
				t.Fatalf("check %d: %+v, want allowed with %d left", i, got[i], want)
			}
		}
		if got[1].Policy != other {
			t.Fatalf("answers carry the wrong policies: %+v", got)
		}
		keys, err := r.Client().Keys(ctx, r.Prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		wantKeys := map[string]bool{limitKey(r, steadyLimit, "a"): true, limitKey(r, steadyLimit, "b"): true, limitKey(r, other, "a"): true}
		if len(keys) != len(wantKeys) {
			t.Fatalf("keys %v, want one per policy and subject: %v", keys, wantKeys)
		}
		for _, k := range keys {
			if !wantKeys[k] {
				t.Fatalf("unexpected key %s among %v", k, keys)
			}
		}
		if keySlot(limitKey(r, steadyLimit, "a")) == keySlot(limitKey(r, steadyLimit, "b")) &&
			keySlot(limitKey(r, steadyLimit, "b")) == keySlot(limitKey(r, other, "a")) {
			t.Fatal("every limit key hashes to one cluster slot: the tag is not per check")
		}
	})
}

// TestLimiterNoChecks: asking about nothing costs no round trip and says nothing.
func TestLimiterNoChecks(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, r *testkit.Redis, l *redisgate.Limiter) {
		if got, err := l.Allow(context.Background()); err != nil || len(got) != 0 {
			t.Fatalf("no checks: %v %v", got, err)
		}
	})
}
