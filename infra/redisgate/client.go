package redisgate

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
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
		return redis.NewClusterClient(opt), nil
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
