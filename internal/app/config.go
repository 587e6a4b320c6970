// Package app assembles slotgate from its configuration: the store, Redis
// (or the embedded server), the use cases and the HTTP layer, and runs the
// background work. cmd/slotgate, the tests and the benchmark all start it
// this way, so that what is tested is what runs.
package app

import (
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"slotgate/domain"
)

// Config is every setting; README.md lists them with their defaults.
type Config struct {
	HTTPAddr            string        // SLOTGATE_HTTP_ADDR
	MySQLDSN            string        // SLOTGATE_MYSQL_DSN; empty: embedded SQLite
	MySQLMaxConns       int           // SLOTGATE_MYSQL_MAX_CONNS
	RedisURL            string        // SLOTGATE_REDIS_URL; empty: embedded Redis
	RedisPrefix         string        // SLOTGATE_REDIS_PREFIX
	DataDir             string        // SLOTGATE_DATA_DIR
	AdminPassword       string        // SLOTGATE_ADMIN_PASSWORD
	SigningKey          string        // SLOTGATE_SIGNING_KEY
	RateLimits          string        // SLOTGATE_RATE_LIMITS: "on", "off", or overrides like "booking-client=120/1m+40"
	TrustedProxies      []*net.IPNet  // SLOTGATE_TRUSTED_PROXIES
	LogLevel            slog.Level    // SLOTGATE_LOG_LEVEL
	LogFormat           string        // SLOTGATE_LOG_FORMAT: text or json
	AccessLog           bool          // SLOTGATE_ACCESS_LOG
	ReconcileEvery      time.Duration // SLOTGATE_RECONCILE_INTERVAL
	FailoverCheckEvery  time.Duration // SLOTGATE_FAILOVER_CHECK_INTERVAL: how often Redis's masters are compared
	MaterializeEvery    time.Duration // SLOTGATE_MATERIALIZE_INTERVAL
	ShutdownTimeout     time.Duration // SLOTGATE_SHUTDOWN_TIMEOUT
	CatalogCacheTTL     time.Duration // SLOTGATE_CATALOG_TTL
	SoldOutMemory       time.Duration // SLOTGATE_SOLD_OUT_MEMORY: how long a sold-out answer is trusted; 0: never
	CoalesceWindow      time.Duration // SLOTGATE_COALESCE_WINDOW: how long bookings of a slot gather into one transaction; 0: off
	CoalesceMax         int           // SLOTGATE_COALESCE_MAX: bookings in one transaction at most; 0 or 1: off
	DisableBackground   bool          // tests drive the loops by hand
	BookingLimits       domain.BookingLimits
	LoginLimits         domain.LoginLimits
	SignInLimits        domain.SignInLimits // visitors signing in by phone
	LookupLimit         domain.LimitPolicy
	NotifyWebhook       string        // SLOTGATE_NOTIFY_WEBHOOK: empty sends notifications to the log
	NotifyWebhookSecret string        // SLOTGATE_NOTIFY_WEBHOOK_SECRET: signs webhook bodies
	PublicURL           string        // SLOTGATE_PUBLIC_URL: where visitors reach the pages, for links in messages
	OutboxEvery         time.Duration // SLOTGATE_OUTBOX_INTERVAL
	FairnessEvery       time.Duration // SLOTGATE_FAIRNESS_INTERVAL: no-shows, held-back release, standby, erasure
	// Sender replaces the notification sender (tests).
	Sender     domain.Sender
	BcryptCost int // 0: bcrypt's default; tests lower it

	// Clock is the service's clock; nil means the system clock. Not an
	// environment setting: tests and the benchmark inject one.
	Clock domain.Clock
	// GateFlowClock is the clock of the gates' flow; nil means Redis's own
	// (TIME), which every instance shares. Tests set one to move the flow
	// by hand instead of sleeping.
	GateFlowClock domain.Clock
}

// Defaults are the settings of a fresh laptop run.
func Defaults() Config {
	return Config{
		HTTPAddr: ":8080", DataDir: "slotgate-data", RateLimits: "on", MySQLMaxConns: 32,
		LogLevel: slog.LevelInfo, LogFormat: "text", AccessLog: true,
		ReconcileEvery: 5 * time.Second, MaterializeEvery: 10 * time.Minute, OutboxEvery: 2 * time.Second,
		ShutdownTimeout: 30 * time.Second, CatalogCacheTTL: 5 * time.Second, SoldOutMemory: domain.DefaultSoldOutMemory,
		BookingLimits: domain.DefaultBookingLimits(), LoginLimits: domain.DefaultLoginLimits(), LookupLimit: domain.LookupLimit(),
		SignInLimits:  domain.DefaultSignInLimits(),
		FairnessEvery: time.Minute, FailoverCheckEvery: 500 * time.Millisecond,
		CoalesceWindow: domain.DefaultCoalesceWindow, CoalesceMax: domain.DefaultCoalesceMax,
	}
}

// FromEnv reads the SLOTGATE_* variables over the defaults.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Defaults()
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	str("SLOTGATE_HTTP_ADDR", &c.HTTPAddr)
	str("SLOTGATE_MYSQL_DSN", &c.MySQLDSN)
	str("SLOTGATE_REDIS_URL", &c.RedisURL)
	str("SLOTGATE_REDIS_PREFIX", &c.RedisPrefix)
	str("SLOTGATE_DATA_DIR", &c.DataDir)
	str("SLOTGATE_ADMIN_PASSWORD", &c.AdminPassword)
	str("SLOTGATE_SIGNING_KEY", &c.SigningKey)
	str("SLOTGATE_RATE_LIMITS", &c.RateLimits)
	str("SLOTGATE_LOG_FORMAT", &c.LogFormat)
	str("SLOTGATE_NOTIFY_WEBHOOK", &c.NotifyWebhook)
	str("SLOTGATE_NOTIFY_WEBHOOK_SECRET", &c.NotifyWebhookSecret)
	str("SLOTGATE_PUBLIC_URL", &c.PublicURL)

	var errs []string
	durations := []struct {
		name string
		dst  *time.Duration
	}{
		{"SLOTGATE_RECONCILE_INTERVAL", &c.ReconcileEvery},
		{"SLOTGATE_MATERIALIZE_INTERVAL", &c.MaterializeEvery},
		{"SLOTGATE_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout},
		{"SLOTGATE_CATALOG_TTL", &c.CatalogCacheTTL},
		{"SLOTGATE_OUTBOX_INTERVAL", &c.OutboxEvery},
		{"SLOTGATE_FAIRNESS_INTERVAL", &c.FairnessEvery},
		{"SLOTGATE_FAILOVER_CHECK_INTERVAL", &c.FailoverCheckEvery},
	}
	for _, d := range durations {
		if v := getenv(d.name); v != "" {
			p, err := time.ParseDuration(v)
			if err != nil || p <= 0 {
				errs = append(errs, fmt.Sprintf("%s=%q is not a positive duration like 5s", d.name, v))
				continue
			}
			*d.dst = p
		}
	}
	if v := getenv("SLOTGATE_SOLD_OUT_MEMORY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Sprintf("SLOTGATE_SOLD_OUT_MEMORY=%q is not a duration like 250ms (0 turns it off)", v))
		}
		c.SoldOutMemory = d
	}
	if v := getenv("SLOTGATE_COALESCE_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Second {
			errs = append(errs, fmt.Sprintf("SLOTGATE_COALESCE_WINDOW=%q is not a duration like 2ms, at most 1s (0 turns coalescing off)", v))
		}
		c.CoalesceWindow = d
	}
	if v := getenv("SLOTGATE_COALESCE_MAX"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			errs = append(errs, fmt.Sprintf("SLOTGATE_COALESCE_MAX=%q is not a number from 0 to 1000 (0 or 1 turns coalescing off)", v))
		}
		c.CoalesceMax = n
	}
	if v := getenv("SLOTGATE_MYSQL_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Sprintf("SLOTGATE_MYSQL_MAX_CONNS=%q is not a positive number", v))
		}
		c.MySQLMaxConns = n
	}
	if v := getenv("SLOTGATE_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Sprintf("SLOTGATE_LOG_LEVEL=%q is not debug, info, warn or error", v))
		}
	}
	if v := getenv("SLOTGATE_ACCESS_LOG"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("SLOTGATE_ACCESS_LOG=%q is not true or false", v))
		}
		c.AccessLog = on
	}
	if v := getenv("SLOTGATE_TRUSTED_PROXIES"); v != "" {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if !strings.Contains(s, "/") {
				if strings.Contains(s, ":") {
					s += "/128"
				} else {
					s += "/32"
				}
			}
			_, n, err := net.ParseCIDR(s)
			if err != nil {
				errs = append(errs, fmt.Sprintf("SLOTGATE_TRUSTED_PROXIES: %q is not an address or CIDR", s))
				continue
			}
			c.TrustedProxies = append(c.TrustedProxies, n)
		}
	}
	if c.RateLimits != "on" && c.RateLimits != "off" {
		if err := c.overrideLimits(c.RateLimits); err != nil {
			errs = append(errs, "SLOTGATE_RATE_LIMITS: "+err.Error())
		}
		c.RateLimits = "on"
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Sprintf("SLOTGATE_LOG_FORMAT=%q is not text or json", c.LogFormat))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// overrideLimits reads "name=quota/window+burst,..." (e.g.
// "booking-client=120/1m+40") over the default limits.
func (c *Config) overrideLimits(spec string) error {
	targets := map[string]*domain.LimitPolicy{}
	for _, p := range []*domain.LimitPolicy{&c.BookingLimits.ByClient, &c.BookingLimits.ByPhone, &c.BookingLimits.ByID,
		&c.LoginLimits.ByUser, &c.LoginLimits.ByClient, &c.LookupLimit, &c.SignInLimits.ByPhone, &c.SignInLimits.ByClient} {
		targets[p.Name] = p
	}
	for _, item := range strings.Split(spec, ",") {
		name, rule, ok := strings.Cut(strings.TrimSpace(item), "=")
		p, known := targets[name]
		if !ok || !known {
			return fmt.Errorf("%q is not name=quota/window+burst with a known name (on, off, or %s)", item, strings.Join(slices.Sorted(maps.Keys(targets)), ", "))
		}
		rate, burst, ok1 := strings.Cut(rule, "+")
		quota, window, ok2 := strings.Cut(rate, "/")
		q, err1 := strconv.Atoi(quota)
		w, err2 := time.ParseDuration(window)
		b, err3 := strconv.Atoi(burst)
		if !ok1 || !ok2 || err1 != nil || err2 != nil || err3 != nil || q <= 0 || w <= 0 || b <= 0 {
			return fmt.Errorf("%q: want quota/window+burst, e.g. 60/1m+20", item)
		}
		p.Quota, p.Window, p.Burst = q, w, b
	}
	return nil
}
