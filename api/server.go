// Package api is slotgate's JSON API: the routes under /api/v1, health
// checks and metrics, the middleware every request passes (request ids,
// the access log, panics, body limits, the client address), and the one
// error handler that turns domain errors into problem+json in the
// request's language. Handlers parse, call one use case, and render.
//
// The pages live in their own packages beside it (web for visitors,
// staffweb for the scanner, adminweb for admins, sharing the page layer
// in pages). They import api for its language, problems and sessions;
// api never imports them. The composition root (internal/app) adds their
// routes to the Echo instance New returns.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"slotgate/domain"
)

// Check is a part /readyz asks about.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// Deps is what the HTTP layer needs.
type Deps struct {
	Catalog    *domain.Catalog
	Bookings   *domain.Bookings
	Accounts   *domain.Accounts
	Admissions *domain.Admissions
	Admin      *domain.Admin
	Fairness   *domain.Fairness
	Visitors   *domain.Visitors
	// Limiter counts per-client requests (nil: SLOTGATE_RATE_LIMITS=off);
	// LookupLimit bounds reads of bookings by code per client address.
	Limiter     domain.Limiter
	LookupLimit domain.LimitPolicy
	// DecodeLimit bounds camera frames decoded per staff account.
	DecodeLimit domain.LimitPolicy
	// LimitsFallingBack tells /readyz that the limits are counted in-process.
	LimitsFallingBack func() bool
	Clock             domain.Clock
	Log               *slog.Logger
	Checks            []Check
	// QR draws a code as a PNG of the given size in pixels.
	QR func(text string, size int) ([]byte, error)
	// DecodeQR reads the text of a QR code in an image (PNG or JPEG).
	DecodeQR func(image []byte) (string, error)
	// TrustedProxies are the only peers whose X-Forwarded-For is believed.
	TrustedProxies []*net.IPNet
	// AccessLog logs one line per request at Info.
	AccessLog bool
	// Registry collects the metrics served at /metrics; Metrics are the
	// HTTP layer's own, registered there (made by New when nil; the
	// composition root makes them once when the pages count too).
	Registry *prometheus.Registry
	Metrics  *Metrics
	// Timeouts of the HTTP server; zero values leave a bound off.
	Timeouts Timeouts
}

// Timeouts bound how long a client may take over a request, so that a body
// trickling in a byte at a time cannot hold a connection for ever.
type Timeouts struct {
	Header time.Duration // request line and headers
	Body   time.Duration // a whole request, every route but camera frames (bodies of 2 KB or so)
	Frame  time.Duration // a whole request to POST /api/v1/scans/decode (up to 2 MB from a phone)
	Write  time.Duration // from the end of the headers to the end of the answer
	Idle   time.Duration // a kept-alive connection between requests
}

type server struct {
	Deps
}

// readDeadline ends reading a request after its route's time: camera
// frames get Timeouts.Frame, every other route Timeouts.Body, counted from
// the end of its headers.
func (s *server) readDeadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		d := s.Timeouts.Body
		if c.Path() == "/api/v1/scans/decode" {
			d = s.Timeouts.Frame
		}
		if d > 0 {
			_ = http.NewResponseController(c.Response()).SetReadDeadline(time.Now().Add(d))
		}
		return next(c)
	}
}

// MaxBodyBytes bounds any request body; a booking of five is well under 2 KB.
const MaxBodyBytes = 16 << 10

// New builds the Echo instance with the middleware and every route of the
// JSON API; the page packages add theirs to it.
func New(d Deps) *echo.Echo {
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	if d.Metrics == nil {
		d.Metrics = NewMetrics(d.Registry)
	}
	s := &server{Deps: d}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Log)
	e.IPExtractor = ipExtractor(d.TrustedProxies)
	t := d.Timeouts
	e.Server.ReadHeaderTimeout, e.Server.WriteTimeout, e.Server.IdleTimeout = t.Header, t.Write, t.Idle
	// The server's bound is the longest route's; the others are cut sooner.
	e.Server.ReadTimeout = max(t.Body, t.Frame)

	e.Use(s.forwardedScheme, noSniff, answerHeaders)
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		Generator: newRequestID,
		RequestIDHandler: func(c echo.Context, id string) {
			r := c.Request()
			c.SetRequest(r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
		},
	}))
	e.Use(s.accessLog)
	e.Use(s.readDeadline)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			d.Log.ErrorContext(c.Request().Context(), "panic", "route", c.Path(), "err", err, "stack", string(stack))
			return err
		},
	}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: "16K",
		// A camera frame sent for decoding is bounded by its handler.
		Skipper: func(c echo.Context) bool { return c.Path() == "/api/v1/scans/decode" },
	}))
	// Pages, CSS and JS go gzip-compressed to clients that ask; bodies under
	// 1 KiB are not worth it.
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{
		Skipper:   func(c echo.Context) bool { return !compressible(c) },
		MinLength: 1024,
	}))

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", metricsHandler(d.Registry))

	v1 := e.Group("/api/v1")
	v1.GET("/openapi.json", s.openAPI)
	v1.GET("/venues", s.listVenues)
	v1.GET("/venues/:slug", s.getVenue)
	v1.GET("/venues/:slug/slots", s.listSlots)
	v1.POST("/bookings", s.createBooking)
	v1.GET("/bookings/:code", s.getBooking, s.limitLookups)
	v1.DELETE("/bookings/:code", s.cancelBooking, s.limitLookups)
	v1.GET("/bookings", s.findBooking, s.limitLookups)
	v1.DELETE("/bookings/:code/visitors/:position", s.cancelPerson, s.limitLookups)
	v1.GET("/bookings/:code/qr.png", s.bookingQR, s.limitLookups)
	s.registerVisitors(v1)
	s.registerAPIDocs(e)
	s.registerStaff(e, v1)
	return e
}

// forwardedScheme lets a request say it came over TLS (X-Forwarded-Proto
// and its kin, which c.Scheme() reads) only from a trusted proxy, and sends
// HSTS on answers served over TLS. Cookies are Secure by Secure(c).
func (s *server) forwardedScheme(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.TLS == nil && !s.fromTrustedProxy(r.RemoteAddr) {
			// The server gives header names in canonical form, as these are.
			for _, h := range forwardedSchemeHeaders {
				delete(r.Header, h)
			}
			return next(c) // plain HTTP, whatever the request says
		}
		if c.Scheme() == "https" {
			c.Response().Header().Set(echo.HeaderStrictTransportSecurity, "max-age=31536000")
		}
		return next(c)
	}
}

var forwardedSchemeHeaders = [...]string{echo.HeaderXForwardedProto, echo.HeaderXForwardedProtocol, echo.HeaderXForwardedSsl, echo.HeaderXUrlScheme}

func (s *server) fromTrustedProxy(remoteAddr string) bool {
	if len(s.TrustedProxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	for _, n := range s.TrustedProxies {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

// Secure tells whether a cookie set in answer to c must be Secure: the
// request came over TLS, directly or through a trusted proxy.
func Secure(c echo.Context) bool { return c.Scheme() == "https" }

// ipExtractor takes the client address from the connection, unless the
// peer is a configured proxy: then from X-Forwarded-For, trusting only
// those proxies. Echo v4 ignores the header unless told, and is told here.
func ipExtractor(proxies []*net.IPNet) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		opts = append(opts, echo.TrustIPRange(p))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

type requestIDKey struct{}

// Request ids: a random prefix per process and a counter, unique without
// asking the system for randomness on every request.
var (
	requestIDPrefix = func() string {
		var b [6]byte
		_, _ = rand.Read(b[:])
		return hex.EncodeToString(b[:])
	}()
	requestIDs atomic.Uint64
)

func newRequestID() string {
	return requestIDPrefix + strconv.FormatUint(requestIDs.Add(1), 36)
}

// LogHandler adds the request id, where the context carries one, to every
// log record made with a request's context.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler { return logHandler{h.Handler.WithGroup(name)} }

// accessLog counts and logs each request by its route pattern, never its path: paths
// hold booking codes, which are as good as the booking.
func (s *server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		took := time.Since(start)
		s.Metrics.observe(c, took)
		if s.AccessLog {
			s.Log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("method", c.Request().Method), slog.String("route", c.Path()),
				slog.Int("status", c.Response().Status), slog.Int64("bytes", c.Response().Size),
				slog.Duration("took", took), slog.String("client", c.RealIP()))
		}
		return nil
	}
}

func (s *server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz asks every part and names those that do not answer.
func (s *server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	parts := map[string]string{}
	var down []string
	for _, ch := range s.Checks {
		if err := ch.Ping(ctx); err != nil {
			parts[ch.Name] = "down"
			down = append(down, ch.Name)
			s.Log.WarnContext(ctx, "readiness check failed", "part", ch.Name, "err", err)
			continue
		}
		parts[ch.Name] = "ok"
	}
	switch {
	case s.LimitsFallingBack == nil:
		parts["rate_limits"] = "off"
	case s.LimitsFallingBack():
		parts["rate_limits"] = "in-process fallback"
	default:
		parts["rate_limits"] = "redis"
	}
	if len(down) > 0 {
		c.Response().Header().Set("Retry-After", "5")
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "down": down, "parts": parts})
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "parts": parts})
}
