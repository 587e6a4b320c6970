package testkit

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/app"
)

// Mode is a pairing of store and Redis the whole service runs on.
type Mode struct {
	Name  string
	DB    string // "sqlite" or "mysql"
	Redis string // "embedded" or "redis"
}

// Modes are the embedded defaults always, and MySQL with real Redis when
// configured.
func Modes(t testing.TB) []Mode {
	modes := []Mode{{Name: "embedded", DB: "sqlite", Redis: "embedded"}}
	if os.Getenv("SLOTGATE_TEST_MYSQL_DSN") != "" || os.Getenv("SLOTGATE_TEST_REDIS_URL") != "" || Required() {
		modes = append(modes, Mode{Name: "mysql+redis", DB: "mysql", Redis: "redis"})
	}
	return modes
}

// Monday0800 is the moment tests start at unless they say otherwise: a
// Monday morning in Beibei (the museum, gallery and cultural centre are
// closed; the mountain and library are open).
var Monday0800 = time.Date(2026, 3, 2, 8, 0, 0, 0, mustLoc("Asia/Shanghai"))

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// AdminPassword is the password of the admin account of test instances.
const AdminPassword = "admin-test-password"

// TestApp is a whole slotgate instance serving on a loopback port.
type TestApp struct {
	*app.App
	URL    string
	Clock  *domain.ManualClock
	Redis  *Redis
	DB     DB
	Config app.Config
	server *httptest.Server
}

// Options adjust a test instance.
type Options struct {
	// Configure changes the configuration before the instance starts.
	Configure func(*app.Config)
	// RedisURL overrides the Redis to talk to (e.g. a proxy in front of it).
	RedisURL func(r *Redis) string
	// Logs receives the instance's logs (default: dropped, or stderr with
	// SLOTGATE_TEST_LOG=1).
	Logs io.Writer
}

// StartApp starts an instance in mode, with a manual clock at Monday0800,
// background loops off (tests drive them) and the access log off.
func StartApp(t testing.TB, mode Mode, opts Options) *TestApp {
	t.Helper()
	db := DB{Name: mode.DB, DataDir: t.TempDir()}.Prepare(t)
	r := StartRedis(t, mode.Redis)
	ta := &TestApp{DB: db, Redis: r, Clock: domain.NewManualClock(Monday0800)}
	cfg := app.Defaults()
	cfg.MySQLDSN, cfg.DataDir = db.MySQLDSN, db.DataDir
	cfg.RedisURL, cfg.RedisPrefix = r.URL, r.Prefix
	if opts.RedisURL != nil {
		cfg.RedisURL = opts.RedisURL(r)
	}
	cfg.Clock = ta.Clock
	cfg.DisableBackground = true
	cfg.AccessLog = false
	cfg.RateLimits = "off" // every test client is 127.0.0.1; limit tests turn them on
	cfg.BcryptCost = 4     // bcrypt's least, for speed
	cfg.AdminPassword = AdminPassword
	cfg.CatalogCacheTTL = time.Hour // tests call Catalog.Forget after editing rows
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	ta.Config = cfg
	ta.start(t, opts.Logs)
	return ta
}

func (ta *TestApp) start(t testing.TB, logs io.Writer) {
	t.Helper()
	if logs == nil {
		logs = io.Discard
		if os.Getenv("SLOTGATE_TEST_LOG") == "1" {
			logs = os.Stderr
		}
	}
	cfg := ta.Config
	cfg.LogLevel = slog.LevelDebug
	logs = keepLog(t, logs, &cfg) // and to SLOTGATE_TEST_LOG_DIR, when set
	a, err := app.New(context.Background(), cfg, app.NewLogger(cfg, logs))
	if err != nil {
		t.Fatalf("start slotgate: %v", err)
	}
	ta.App = a
	ta.server = httptest.NewServer(recordContract(t, a.Handler()))
	ta.URL = ta.server.URL
	t.Cleanup(ta.Stop)
}

// Stop closes the instance; Stop twice is harmless.
func (ta *TestApp) Stop() {
	if ta.server != nil {
		ta.server.Close()
		ta.server = nil
		ta.App.Close()
	}
}

// Restart stops the instance and starts a new one on the same database and
// settings, as a process restart would. The embedded Redis is a new, empty
// one, like a restarted embedded server.
func (ta *TestApp) Restart(t testing.TB) {
	t.Helper()
	ta.Stop()
	if ta.Redis.Embedded != nil {
		ta.Redis = StartRedis(t, "embedded")
		ta.Config.RedisURL = ta.Redis.URL
	}
	ta.start(t, nil)
}

// Client is an HTTP client fit for many concurrent requests.
func Client() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 30 * time.Second,
	}}
}
