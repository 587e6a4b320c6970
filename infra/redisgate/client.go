package redisgate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Connect opens a client for a redis:// URL. A URL that names further
// nodes (redis://host1:7001?addr=host2:7002) selects Redis Cluster.
func Connect(rawURL string) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("SLOTGATE_REDIS_URL: %w", err)
	}
	if u.Query().Has("addr") {
		opt, err := redis.ParseClusterURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("SLOTGATE_REDIS_URL: %w", err)
		}
		opt.DialerRetries, opt.DialerRetryTimeout = dialRetries, dialRetryWait
		clusterFailover(opt)
		c := redis.NewClusterClient(opt)
		c.AddHook(reloadOnFailure{c})
		return c, nil
	}
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("SLOTGATE_REDIS_URL: %w", err)
	}
	opt.DialerRetries, opt.DialerRetryTimeout = dialRetries, dialRetryWait
	return redis.NewClient(opt), nil
}

// A Redis that refuses connections should make a booking fail in
// milliseconds, not after go-redis's default of five dial attempts for each
// of its four command attempts (about two seconds). Commands are still
// retried, which is what the scripts' holds make safe.
const (
	dialRetries   = 1
	dialRetryWait = 20 * time.Millisecond
)

// clusterFailover sets what decides how long a master's death is felt.
// go-redis learns the cluster's layout from CLUSTER SLOTS and, by default,
// asks again only every 60 s or on a MOVED reply. A master killed outright
// answers nothing, so no MOVED ever comes: every command for its hash slots
// kept going to the dead address for up to a minute after its replica had
// taken over. Here the layout is read again on any failure that may mean
// the node is gone (reloadOnFailure) and every few seconds regardless; a
// node that does not answer costs a second, not five, before the command
// is tried again (the scripts' holds make retries safe).
func clusterFailover(opt *redis.ClusterOptions) {
	opt.ClusterStateReloadInterval = clusterReloadEvery
	opt.DialTimeout = time.Second
	opt.ReadTimeout, opt.WriteTimeout = time.Second, time.Second
	// A node marked failing is skipped for replica reads and layout reads
	// only; a short mark lets a restarted node serve again soon.
	opt.FailingTimeoutSeconds = 2
}

// clusterReloadEvery is the safety net: the layout is read this often even
// when no command failed (a failover seen by other instances first).
const clusterReloadEvery = 2 * time.Second

// reloadOnFailure asks the cluster client to read the layout again after a
// command or pipeline failed in a way that may mean the node serving it is
// gone or no longer a master. Reloads are coalesced by go-redis (one at a
// time, at most one every 200 ms), so a flood of failures costs a handful.
type reloadOnFailure struct{ c *redis.ClusterClient }

func (h reloadOnFailure) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h reloadOnFailure) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if layoutSuspect(err) {
			h.c.ReloadState(ctx)
		}
		return err
	}
}

func (h reloadOnFailure) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, c := range cmds {
			if layoutSuspect(c.Err()) {
				h.c.ReloadState(ctx)
				break
			}
		}
		return err
	}
}

// layoutSuspect: a connection that failed or timed out, or a reply saying
// the node is not (or no longer) the one to ask. Ordinary replies, a
// missing key and a script's own errors say nothing about the layout.
func layoutSuspect(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) {
		return false
	}
	var reply redis.Error
	if !errors.As(err, &reply) {
		return true
	}
	msg := reply.Error()
	for _, p := range []string{"CLUSTERDOWN", "TRYAGAIN", "MOVED", "ASK", "READONLY", "MASTERDOWN", "LOADING"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// Embedded is a Redis-protocol server inside the process, for running
// slotgate with nothing installed. It runs the same Lua scripts; keys expire
// on the wall clock as in Redis. It keeps nothing on disk: on restart the
// buckets are loaded again from the store, as after a Redis restart.
type Embedded struct {
	srv      *miniredis.Miniredis
	password string
	stop     chan struct{}
	done     chan struct{}
}

// expiryTick is how often the embedded server moves its keys' TTLs on.
// miniredis can age TTLs on every command (ClockTTL), but it walks every key
// to do so, and request-limit keys pile up by the thousand: once every
// tick costs the same walk a few times a second instead.
const expiryTick = 100 * time.Millisecond

// StartEmbedded listens on a free loopback port. Any local user can reach
// that port, so the server answers only clients that send the password
// drawn at random for this start, which URL carries and nothing else holds.
func StartEmbedded() (*Embedded, error) {
	var pw [24]byte
	if _, err := rand.Read(pw[:]); err != nil {
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	srv := miniredis.NewMiniRedis()
	password := hex.EncodeToString(pw[:])
	srv.RequireAuth(password)
	if err := srv.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	e := &Embedded{srv: srv, password: password, stop: make(chan struct{}), done: make(chan struct{})}
	go e.age()
	return e, nil
}

func (e *Embedded) age() {
	defer close(e.done)
	t := time.NewTicker(expiryTick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-e.stop:
			return
		case now := <-t.C:
			e.srv.FastForward(now.Sub(last))
			last = now
		}
	}
}

// URL is a redis:// URL for the server, with its password: keep it out of logs.
func (e *Embedded) URL() string {
	return (&url.URL{Scheme: "redis", User: url.UserPassword("", e.password), Host: e.srv.Addr()}).String()
}

// FlushAll forgets every key, as a Redis restart without persistence would.
func (e *Embedded) FlushAll() { e.srv.FlushAll() }

// Close stops the server.
func (e *Embedded) Close() {
	select {
	case <-e.stop:
	default:
		close(e.stop)
		<-e.done
	}
	e.srv.Close()
}

// LogTo sends go-redis's own messages (a dial refused, a node failing) to
// log, one a second at most with a count of those left out: while a master
// is down every pool would otherwise print a line per failed dial. It sets
// go-redis's logger for the whole process.
func LogTo(log *slog.Logger) { redis.SetLogger(&clientLog{log: log}) }

type clientLog struct {
	log     *slog.Logger
	mu      sync.Mutex
	last    time.Time
	dropped int
}

func (l *clientLog) Printf(ctx context.Context, format string, v ...any) {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.last) < time.Second {
		l.dropped++
		l.mu.Unlock()
		return
	}
	dropped := l.dropped
	l.last, l.dropped = now, 0
	l.mu.Unlock()
	l.log.WarnContext(ctx, "redis client: "+fmt.Sprintf(format, v...), "similar_left_out", dropped)
}
