package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"slotgate/api"
	"slotgate/api/adminweb"
	"slotgate/api/staffweb"
	"slotgate/api/web"
	"slotgate/domain"
	"slotgate/infra/codes"
	"slotgate/infra/notify"
	"slotgate/infra/redisgate"
	"slotgate/infra/store"
)

// App is a running slotgate instance.
type App struct {
	Config     Config
	Log        *slog.Logger
	Clock      domain.Clock
	Store      *store.Store
	Redis      redis.UniversalClient
	Embedded   *redisgate.Embedded // nil when SLOTGATE_REDIS_URL is set
	Gate       *redisgate.Gate
	Catalog    *domain.Catalog
	Bookings   *domain.Bookings
	Accounts   *domain.Accounts
	Admissions *domain.Admissions
	Admin      *domain.Admin
	Postman    *domain.Postman
	Visitors   *domain.Visitors
	Fairness   *domain.Fairness
	// Limiter counts per-client requests; nil when SLOTGATE_RATE_LIMITS=off.
	Limiter *domain.FallbackLimiter
	Counter *redisgate.Counter
	// AdminPassword is set when this start created the admin account with
	// a random password, to be shown once.
	AdminPassword string
	Schedule      *domain.Schedule
	Reconcile     *domain.Reconciler
	Failover      *domain.Failover
	Echo          *echo.Echo
	Registry      *prometheus.Registry

	stop       sync.WaitGroup
	metrics    *metrics
	stopListen context.CancelFunc
}

// NewLogger makes the service's logger from its settings.
func NewLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(api.LogHandler(h))
}

// New opens every part, migrates and seeds the store, and materializes
// slots, so that the instance can answer as soon as it listens.
func New(ctx context.Context, cfg Config, log *slog.Logger) (a *App, err error) {
	a = &App{Config: cfg, Log: log, Clock: cfg.Clock}
	if a.Clock == nil {
		a.Clock = domain.SystemClock{}
	}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()

	a.Store, err = openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if cfg.RedisURL == "" {
		if a.Embedded, err = redisgate.StartEmbedded(); err != nil {
			return nil, err
		}
		cfg.RedisURL = a.Embedded.URL()
	}
	if a.Redis, err = redisgate.Connect(cfg.RedisURL); err != nil {
		return nil, err
	}
	a.Gate = redisgate.New(a.Redis, cfg.RedisPrefix)

	signer, err := codes.LoadSigner(ctx, cfg.SigningKey, a.Store)
	if err != nil {
		return nil, err
	}
	idKey, err := codes.LoadIDHashKey(ctx, a.Store)
	if err != nil {
		return nil, err
	}

	a.Catalog = domain.NewCatalog(a.Store, a.Gate, a.Clock, log, cfg.CatalogCacheTTL)
	a.Catalog.SoldOutMemory = cfg.SoldOutMemory
	// Changes made on any instance reach every other through Redis pub/sub
	// within moments; the caches' expiry is the safety net.
	changes := redisgate.NewChanges(a.Redis, cfg.RedisPrefix)
	a.Catalog.Changes().PublishWith(changes)
	listen, stopListen := context.WithCancel(context.WithoutCancel(ctx))
	a.stopListen = stopListen
	if err := changes.Listen(listen, a.Catalog.Changes().Received); err != nil {
		log.WarnContext(ctx, "news of other instances' changes not yet received; retrying, and caches expire on their own meanwhile", "err", err)
	}
	a.Bookings = domain.NewBookings(a.Catalog, a.Store, a.Gate, signer, domain.NewIDHasher(idKey), a.Clock, log)
	a.Bookings.RestrictWith(a.Store)
	a.Bookings.CoalesceWith(domain.NewCoalescer(a.Store, a.Gate, cfg.CoalesceWindow, cfg.CoalesceMax))
	if cfg.RateLimits == "on" {
		// Abuse limits live in Redis; while Redis is out of reach they are
		// counted in each process instead. Capacity never falls back.
		a.Limiter = &domain.FallbackLimiter{Primary: redisgate.NewLimiter(a.Redis, cfg.RedisPrefix), Local: domain.NewLocalLimiter(),
			OnChange: func(falling bool, err error) {
				if falling {
					log.Warn("request limits fall back to in-process counting: Redis unreachable", "err", err)
				} else {
					log.Info("request limits counted in Redis again")
				}
			}}
		a.Bookings.LimitWith(a.Limiter, cfg.BookingLimits)
	}
	a.Counter = redisgate.NewCounter(a.Redis, cfg.RedisPrefix)
	if cfg.GateFlowClock != nil {
		a.Counter.WithClock(cfg.GateFlowClock)
	}
	a.Admissions = domain.NewAdmissions(domain.AdmissionsDeps{Catalog: a.Catalog, Bookings: a.Bookings, Store: a.Store,
		Records: a.Store, Counter: a.Counter, Signer: signer, Clock: a.Clock, Log: log})
	a.Accounts = newAccounts(a.Store, a.Catalog, cfg, a.Clock, log)
	if a.Limiter != nil {
		a.Accounts.LimitWith(a.Limiter, cfg.LoginLimits)
	}
	a.Schedule = domain.NewSchedule(a.Store, a.Clock)
	a.Admin = domain.NewAdmin(domain.AdminDeps{Catalog: a.Catalog, Bookings: a.Bookings, Accounts: a.Accounts,
		Admissions: a.Admissions, Schedule: a.Schedule, Store: a.Store, Admin: a.Store, Gate: a.Gate, Clock: a.Clock, Log: log})
	var sender domain.Sender = notify.LogSender{Log: log}
	if cfg.NotifyWebhook != "" {
		sender = notify.WebhookSender{URL: cfg.NotifyWebhook, Secret: cfg.NotifyWebhookSecret}
	}
	if cfg.Sender != nil {
		sender = cfg.Sender
	}
	a.Postman = domain.NewPostman(a.Store, sender, a.Clock, log)
	a.Visitors = domain.NewVisitors(a.Store, a.Bookings, sender, domain.NewIDHasher(idKey), a.Clock, log)
	if a.Limiter != nil {
		a.Visitors.LimitWith(a.Limiter, cfg.SignInLimits)
	}
	a.Bookings.NotifyWith(cfg.PublicURL)
	a.Fairness = domain.NewFairness(a.Catalog, a.Bookings, a.Store, a.Store, a.Gate, a.Clock, log)
	a.Reconcile = domain.NewReconciler(a.Store, a.Gate, a.Clock)
	a.Failover = domain.NewFailover(a.Store, a.Gate, a.Reconcile, a.Catalog, a.Counter, a.Clock, log)

	if err := a.Schedule.Seed(ctx); err != nil {
		return nil, err
	}
	if a.AdminPassword, err = a.Accounts.Bootstrap(ctx, cfg.AdminPassword); err != nil {
		return nil, err
	}
	if n, err := a.Schedule.Materialize(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		log.InfoContext(ctx, "slots materialized", "created", n)
	}

	a.Registry = prometheus.NewRegistry()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.metrics = newMetrics(a.Registry, a.Store)
	a.Gate.Observe = a.metrics.observeTake
	deps := api.Deps{
		Catalog: a.Catalog, Bookings: a.Bookings, Accounts: a.Accounts, Admissions: a.Admissions, Admin: a.Admin,
		Fairness: a.Fairness, Visitors: a.Visitors, LookupLimit: cfg.LookupLimit,
		Clock: a.Clock, Log: log,
		Checks: []api.Check{
			{Name: "store", Ping: a.Store.Ping},
			{Name: "redis", Ping: a.Gate.Ping},
		},
		QR:             codes.QR,
		DecodeQR:       codes.DecodeQR,
		TrustedProxies: cfg.TrustedProxies,
		AccessLog:      cfg.AccessLog,
		Registry:       a.Registry,
		Metrics:        api.NewMetrics(a.Registry), // the pages count bookings too
	}
	if a.Limiter != nil {
		deps.Limiter, deps.LimitsFallingBack = a.Limiter, a.Limiter.FallingBack
		a.metrics.watchLimits(a.Registry, a.Limiter.FallingBack)
	}
	// The JSON API first, with the middleware every request passes; then
	// the three page families on the same instance (they import api, never
	// the other way round).
	a.Echo = api.New(deps)
	web.Register(a.Echo, deps)
	staffweb.Register(a.Echo, deps)
	adminweb.Register(a.Echo, deps)
	api.AnswerHead(a.Echo) // last: HEAD beside every GET route
	return a, nil
}

// Handler serves the API and pages.
func (a *App) Handler() http.Handler { return a.Echo }

// Serve answers HTTP on ln until ctx ends, then stops taking connections
// and waits for requests in flight (up to the shutdown timeout).
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	if !a.Config.DisableBackground {
		a.StartBackground(bg)
	}
	a.Echo.Listener = ln
	errc := make(chan error, 1)
	go func() { errc <- a.Echo.Start("") }()
	a.Log.InfoContext(ctx, "slotgate listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve http: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	a.Log.Info("shutting down: finishing requests in flight", "timeout", a.Config.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	err := a.Echo.Shutdown(sctx)
	stopBackground()
	a.stop.Wait()
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// StartBackground runs slot materialization and reconciliation until ctx ends.
func (a *App) StartBackground(ctx context.Context) {
	a.every(ctx, a.Config.MaterializeEvery, "materialize", func(ctx context.Context) error {
		n, err := a.Schedule.Materialize(ctx)
		if n > 0 {
			a.Log.InfoContext(ctx, "slots materialized", "created", n)
		}
		return err
	})
	a.every(ctx, a.Config.OutboxEvery, "outbox", func(ctx context.Context) error {
		sent, failed, err := a.Postman.Round(ctx)
		if sent > 0 || failed > 0 {
			a.Log.InfoContext(ctx, "notifications", "sent", sent, "failed", failed)
		}
		return err
	})
	a.every(ctx, a.Config.FairnessEvery, "fairness", func(ctx context.Context) error {
		r, err := a.Fairness.Round(ctx)
		if r != (domain.Report{}) {
			a.Log.InfoContext(ctx, "fairness round", "no_shows", r.NoShows, "held_back_released", r.Released,
				"standby_booked", r.StandbyBooked, "standby_expired", r.StandbyExpired, "bookings_erased", r.Erased)
		}
		return err
	})
	// Learn which Redis masters serve now; a change later means a failover.
	if _, err := a.Failover.Check(ctx); err != nil {
		a.Log.WarnContext(ctx, "read Redis layout", "err", err)
	}
	a.every(ctx, a.Config.FailoverCheckEvery, "failover check", func(ctx context.Context) error {
		_, err := a.Failover.Check(ctx)
		return err
	})
	a.every(ctx, a.Config.ReconcileEvery, "reconcile", func(ctx context.Context) error {
		pass, drift, err := a.Reconcile.Run(ctx)
		a.metrics.reconciled(pass, drift)
		if drift > 0 || pass[domain.ReconcileStale] > 0 {
			a.Log.InfoContext(ctx, "capacity gate repaired from store", "repaired", pass[domain.ReconcileRepaired],
				"drift", int(drift), "stale_holds_dropped", pass[domain.ReconcileStale])
		}
		return err
	})
}

func (a *App) every(ctx context.Context, d time.Duration, name string, fn func(context.Context) error) {
	a.stop.Add(1)
	go func() {
		defer a.stop.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				a.Log.WarnContext(ctx, name+" failed", "err", err)
			}
		}
	}()
}

// Close releases every part.
func (a *App) Close() {
	if a.stopListen != nil {
		a.stopListen()
	}
	if a.Redis != nil {
		_ = a.Redis.Close()
	}
	if a.Embedded != nil {
		a.Embedded.Close()
	}
	if a.Store != nil {
		_ = a.Store.Close()
	}
}
