package domain

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"
)

// The in-process limiter must mean exactly what the Redis one means (it
// stands in for it while Redis is away), so these tests ask it the same
// questions as infra/redisgate/limiter_test.go, on a clock they move.

// limitFast is 20 requests a second with 5 at once: one every 50 ms.
var limitFast = LimitPolicy{Name: "fast", Quota: 20, Window: time.Second, Burst: 5}

// newManualLimiter is a LocalLimiter reading a manual clock, so that time
// moves only when the test says so.
func newManualLimiter() (*LocalLimiter, *ManualClock) {
	clock := NewManualClock(testNow)
	l := NewLocalLimiter()
	l.now = clock.Now
	return l, clock
}

// allowOne asks l about one check and returns its answer.
func allowOne(t *testing.T, l Limiter, c LimitCheck) LimitStatus {
	t.Helper()
	got, err := l.Allow(context.Background(), c)
	if err != nil || len(got) != 1 {
		t.Fatalf("allow %+v: %v %v", c, got, err)
	}
	return got[0]
}

// TestLocalLimiterBurstThenRate: a quiet client may make exactly Burst
// requests at once, and then one each interval, never more; a long quiet
// spell gives back the burst and no more than the burst.
func TestLocalLimiterBurstThenRate(t *testing.T) {
	t.Parallel()
	l, clock := newManualLimiter()
	c := LimitCheck{Policy: limitFast, Subject: "203.0.113.7"}
	interval := limitFast.Interval()
	if interval != 50*time.Millisecond {
		t.Fatalf("interval %v, want 50ms", interval)
	}
	for i := range limitFast.Burst {
		st := allowOne(t, l, c)
		if !st.Allowed || st.Remaining != limitFast.Burst-1-i || st.Reset != time.Duration(i+1)*interval {
			t.Fatalf("request %d of the burst: %+v", i, st)
		}
	}
	st := allowOne(t, l, c)
	if st.Allowed || st.RetryAfter != interval || st.Remaining != 0 || st.Reset != 5*interval {
		t.Fatalf("request past the burst: %+v, want refused for exactly one interval", st)
	}
	// One nanosecond short of the interval is still too soon.
	clock.Advance(interval - time.Nanosecond)
	if st := allowOne(t, l, c); st.Allowed || st.RetryAfter != time.Nanosecond {
		t.Fatalf("just before the interval: %+v", st)
	}
	// After the interval, exactly one more passes: the configured rate.
	clock.Advance(time.Nanosecond)
	if st := allowOne(t, l, c); !st.Allowed || st.Remaining != 0 {
		t.Fatalf("after one interval: %+v", st)
	}
	if st := allowOne(t, l, c); st.Allowed || st.RetryAfter != interval {
		t.Fatalf("a second request after one interval: %+v", st)
	}
	// Over a longer run at the rate, one request per interval passes.
	passed := 0
	for range 100 {
		clock.Advance(interval / 5)
		if allowOne(t, l, c).Allowed {
			passed++
		}
	}
	if passed != 20 {
		t.Fatalf("%d passed in 20 intervals of steady asking, want 20", passed)
	}
	// A long silence restores the burst, and only the burst.
	clock.Advance(time.Hour)
	passed = 0
	for range 3 * limitFast.Burst {
		if allowOne(t, l, c).Allowed {
			passed++
		}
	}
	if passed != limitFast.Burst {
		t.Fatalf("after an hour's silence %d passed at once, want the burst of %d", passed, limitFast.Burst)
	}
}

// TestLocalLimiterRefusalChangesNothing: a refused request neither moves
// the client's state nor its retry time, however often it is repeated.
func TestLocalLimiterRefusalChangesNothing(t *testing.T) {
	t.Parallel()
	l, clock := newManualLimiter()
	c := LimitCheck{Policy: limitFast, Subject: "bot"}
	for range limitFast.Burst {
		allowOne(t, l, c)
	}
	key := limitFast.Name + ":" + c.Subject
	before := l.tat[key]
	clock.Advance(10 * time.Millisecond)
	var first LimitStatus
	for i := range 50 {
		st := allowOne(t, l, c)
		if st.Allowed {
			t.Fatalf("refusal %d passed: %+v", i, st)
		}
		if i == 0 {
			first = st
		} else if st != first {
			t.Fatalf("refusal %d answered %+v, the first %+v: refusals moved the state", i, st, first)
		}
	}
	if after := l.tat[key]; !after.Equal(before) {
		t.Fatalf("refusals moved the client's arrival time from %v to %v", before, after)
	}
	if first.RetryAfter != 40*time.Millisecond {
		t.Fatalf("retry after %v, want the 40 ms left of the interval", first.RetryAfter)
	}
}

// TestLocalLimiterCost: a request may cost several; one costing more than
// the burst could never pass and is refused outright, with no retry time,
// without touching the client's state.
func TestLocalLimiterCost(t *testing.T) {
	t.Parallel()
	interval := limitFast.Interval()
	cases := []struct {
		name      string
		spent     int // requests of cost 1 made first
		cost      int
		allowed   bool
		remaining int
		retry     time.Duration
	}{
		{"cost 0 counts as 1", 0, 0, true, 4, 0},
		{"the whole burst at once", 0, 5, true, 0, 0},
		{"more than the burst, fresh", 0, 6, false, 0, Never},
		{"more than the burst, spent", 3, 6, false, 0, Never},
		{"more than is left", 4, 2, false, 0, interval},
		{"exactly what is left", 3, 2, true, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, _ := newManualLimiter()
			for range tc.spent {
				allowOne(t, l, LimitCheck{Policy: limitFast, Subject: "c"})
			}
			before, had := l.tat["fast:c"]
			st := allowOne(t, l, LimitCheck{Policy: limitFast, Subject: "c", Cost: tc.cost})
			if st.Allowed != tc.allowed || st.Remaining != tc.remaining || st.RetryAfter != tc.retry {
				t.Fatalf("got %+v, want allowed %v, remaining %d, retry %v", st, tc.allowed, tc.remaining, tc.retry)
			}
			after, has := l.tat["fast:c"]
			if !tc.allowed && (has != had || !after.Equal(before)) {
				t.Fatalf("a refused cost changed the state: %v (%v) -> %v (%v)", before, had, after, has)
			}
		})
	}
}

// TestLocalLimiterChecksAreIndependent: each policy and subject counts on
// its own; several checks in one call are answered each for itself; and a
// call with one refused check spends none of the others.
func TestLocalLimiterChecksAreIndependent(t *testing.T) {
	t.Parallel()
	l, _ := newManualLimiter()
	other := LimitPolicy{Name: "other", Quota: 20, Window: time.Second, Burst: 5}
	spent := LimitCheck{Policy: limitFast, Subject: "a"}
	for range limitFast.Burst {
		allowOne(t, l, spent)
	}
	fresh := []LimitCheck{
		{Policy: limitFast, Subject: "b"}, // another subject: fresh
		{Policy: other, Subject: "a"},     // the same subject under another policy: fresh
		{Policy: limitFast, Subject: "b"}, // the same check again, in the same call: counted again
	}
	got, err := l.Allow(context.Background(), append([]LimitCheck{spent}, fresh...)...)
	if err != nil || len(got) != 4 || got[0].Allowed || got[0].Policy != limitFast {
		t.Fatalf("a call with a spent check: %+v %v", got, err)
	}
	if len(l.tat) != 1 {
		t.Fatalf("a refused call spent other checks: %v", l.tat)
	}
	got, err = l.Allow(context.Background(), fresh...)
	if err != nil || len(got) != 3 {
		t.Fatalf("allow: %v %v", got, err)
	}
	for i, want := range []int{4, 4, 3} {
		if !got[i].Allowed || got[i].Remaining != want {
			t.Fatalf("check %d: %+v, want allowed with %d left", i, got[i], want)
		}
	}
	if got[1].Policy != other {
		t.Fatalf("answers carry the wrong policies: %+v", got)
	}
	if len(l.tat) != 3 {
		t.Fatalf("%d keys, want one per policy and subject (3): %v", len(l.tat), l.tat)
	}
}

// TestLocalLimiterForgetsExpiredKeys: past its bound on keys, the fallback
// drops the clients whose allowance is whole again, and only those, so
// that a flood of addresses cannot grow it without end.
func TestLocalLimiterForgetsExpiredKeys(t *testing.T) {
	t.Parallel()
	l, clock := newManualLimiter()
	allowOne(t, l, LimitCheck{Policy: LimitPolicy{Name: "slow", Quota: 1, Window: time.Hour, Burst: 5}, Subject: "live"})
	past := clock.Now().Add(-time.Second)
	for i := range maxLocalKeys {
		l.tat["gone:"+strconv.Itoa(i)] = past
	}
	allowOne(t, l, LimitCheck{Policy: limitFast, Subject: "new"})
	if _, ok := l.tat["slow:live"]; !ok || len(l.tat) != 2 {
		t.Fatalf("after the sweep %d keys remain (live kept: %v), want the live and the new one", len(l.tat), ok)
	}
}

// flakyLimiter fails while down, and otherwise allows everything.
type flakyLimiter struct {
	mu    sync.Mutex
	down  bool
	calls int
}

var errLimiterDown = errors.New("redis: connection refused")

func (f *flakyLimiter) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *flakyLimiter) Allow(_ context.Context, checks ...LimitCheck) ([]LimitStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return nil, errLimiterDown
	}
	out := make([]LimitStatus, len(checks))
	for i, c := range checks {
		out[i] = LimitStatus{Policy: c.Policy, Allowed: true, Remaining: 999}
	}
	return out, nil
}

// switchLog records a FallbackLimiter's OnChange calls.
type switchLog struct {
	mu    sync.Mutex
	calls []bool
	errs  []error
}

func (s *switchLog) record(falling bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, falling)
	s.errs = append(s.errs, err)
}

func (s *switchLog) get() ([]bool, []error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bool(nil), s.calls...), append([]error(nil), s.errs...)
}

// TestFallbackLimiter: while the primary fails, answers come from the
// local limiter, with the local limiter's counting; OnChange hears of each
// switch exactly once, even when many requests see it at the same moment.
func TestFallbackLimiter(t *testing.T) {
	t.Parallel()
	primary := &flakyLimiter{}
	local, _ := newManualLimiter()
	switches := &switchLog{}
	f := &FallbackLimiter{Primary: primary, Local: local, OnChange: switches.record}
	c := LimitCheck{Policy: limitFast, Subject: "client"}

	// Redis answers: its answer is the answer, and nothing switches.
	for range 10 {
		if st := allowOne(t, f, c); !st.Allowed || st.Remaining != 999 {
			t.Fatalf("primary up: %+v, want the primary's answer", st)
		}
	}
	if calls, _ := switches.get(); len(calls) != 0 || f.FallingBack() {
		t.Fatalf("switches while the primary answers: %v", calls)
	}

	// Redis fails for many requests at once: the local limiter answers,
	// counting the burst itself, and the switch is told once.
	primary.setDown(true)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := f.Allow(context.Background(), c)
			if err != nil {
				t.Errorf("fallback answered an error: %v", err)
				return
			}
			if got[0].Allowed {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != limitFast.Burst {
		t.Fatalf("%d of 50 passed while falling back, want the local burst of %d", allowed, limitFast.Burst)
	}
	calls, errs := switches.get()
	if len(calls) != 1 || !calls[0] || !errors.Is(errs[0], errLimiterDown) || !f.FallingBack() {
		t.Fatalf("switches after the primary failed: %v %v, want one switch to fallback with its error", calls, errs)
	}

	// Redis is back: its answers again, and one switch back.
	primary.setDown(false)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st := allowOne(t, f, c); !st.Allowed || st.Remaining != 999 {
				t.Errorf("primary back: %+v, want the primary's answer", st)
			}
		}()
	}
	wg.Wait()
	calls, errs = switches.get()
	if len(calls) != 2 || calls[1] || errs[1] != nil || f.FallingBack() {
		t.Fatalf("switches after the primary recovered: %v %v, want one switch back", calls, errs)
	}

	// A FallbackLimiter without OnChange still falls back.
	quiet := &FallbackLimiter{Primary: &flakyLimiter{down: true}, Local: NewLocalLimiter()}
	if st := allowOne(t, quiet, c); !st.Allowed || !quiet.FallingBack() {
		t.Fatalf("fallback without OnChange: %+v", st)
	}
}
