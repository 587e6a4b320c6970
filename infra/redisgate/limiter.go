package redisgate

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"slotgate/domain"
)

var (
	//go:embed lua/gcra.lua
	gcraSrc    string
	gcraScript = redis.NewScript(gcraSrc)
)

// Limiter implements domain.Limiter with GCRA in Redis: one key per policy
// and subject, on Redis's clock, so that every instance counts alike.
type Limiter struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewLimiter counts requests in rdb under prefix.
func NewLimiter(rdb redis.UniversalClient, prefix string) *Limiter {
	return &Limiter{rdb: rdb, prefix: prefix}
}

// Allow answers every check. A request with several checks (a booking: its
// address, phone and each ID) first looks at them all without spending
// anything, so that a refusal by one spends none of the others; only when
// all allow does it spend them, in a second round trip. Between the look
// and the spending another request may take the last of an allowance: that
// check is then refused and the others have been spent, a rare race
// accepted for keeping one key per call (Redis Cluster).
func (l *Limiter) Allow(ctx context.Context, checks ...domain.LimitCheck) ([]domain.LimitStatus, error) {
	if len(checks) == 0 {
		return nil, nil
	}
	if len(checks) > 1 {
		look, err := l.run(ctx, checks, true)
		if err != nil {
			return nil, err
		}
		for _, st := range look {
			if !st.Allowed {
				return look, nil
			}
		}
	}
	return l.run(ctx, checks, false)
}

// run sends every check in one pipeline; look only answers, spending nothing.
func (l *Limiter) run(ctx context.Context, checks []domain.LimitCheck, look bool) ([]domain.LimitStatus, error) {
	pipe := l.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(checks))
	args := func(c domain.LimitCheck) ([]string, []any) {
		key := l.prefix + "sg:limit:{" + c.Policy.Name + ":" + c.Subject + "}"
		return []string{key}, []any{c.Policy.Burst, c.Policy.Interval().Microseconds(), max(c.Cost, 1), flag(look || c.Look)}
	}
	for i, c := range checks {
		keys, argv := args(c)
		cmds[i] = gcraScript.EvalSha(ctx, pipe, keys, argv...)
	}
	_, _ = pipe.Exec(ctx) // errors are read per command below
	out := make([]domain.LimitStatus, len(checks))
	for i, cmd := range cmds {
		if err := cmd.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			// The script is not loaded on that server yet: Run loads it.
			keys, argv := args(checks[i])
			cmd = gcraScript.Run(ctx, l.rdb, keys, argv...)
		}
		v, err := cmd.Int64Slice()
		if err != nil || len(v) != 4 {
			return nil, fmt.Errorf("check request limit %s: %v %v", checks[i].Policy.Name, v, err)
		}
		retry := time.Duration(v[2]) * time.Microsecond
		if v[2] < 0 {
			retry = domain.Never
		}
		out[i] = domain.LimitStatus{Policy: checks[i].Policy, Allowed: v[0] == 1, Remaining: int(v[1]),
			RetryAfter: retry, Reset: time.Duration(v[3]) * time.Microsecond}
	}
	return out, nil
}
