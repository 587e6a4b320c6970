package api

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"slotgate/domain"
)

// Metrics are what the HTTP layer counts (the API and the pages alike),
// exposed at /metrics in Prometheus' text format, or OpenMetrics to a
// client that asks for it (Accept: application/openmetrics-text).
type Metrics struct {
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	bookings   *prometheus.CounterVec
	admissions *prometheus.CounterVec
}

// NewMetrics makes the counters and registers them with reg.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "slotgate_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "slotgate_http_request_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		bookings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "slotgate_bookings_total", Help: "Booking requests by venue and result (confirmed, replayed, or the refusal's code).",
		}, []string{"venue", "result"}),
		admissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "slotgate_admissions_total", Help: "Scans at the gate and walk-ins by venue and result (admitted, or the refusal's code).",
		}, []string{"venue", "result"}),
	}
	reg.MustRegister(m.requests, m.latency, m.bookings, m.admissions)
	return m
}

// Label values come from fixed sets only, never from what a client sent:
// known methods, route patterns, known venues, "other". Otherwise any
// client could grow /metrics without bound.

var knownMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true,
}

func methodLabel(m string) string {
	if knownMethods[m] {
		return m
	}
	return "other"
}

// venueLabel is slug if it names a venue, otherwise "other".
func (s *server) venueLabel(c echo.Context, slug string) string {
	if _, err := s.Catalog.Venue(c.Request().Context(), slug); err != nil {
		return "other"
	}
	return slug
}

// countAdmission records a scan's or walk-in's result at venue (a label).
func (m *Metrics) countAdmission(venue string, err error) {
	result := "admitted"
	if err != nil {
		if result = string(domain.CodeOf(err)); result == "" {
			result = "internal"
		}
	}
	m.admissions.WithLabelValues(venue, result).Inc()
}

func (m *Metrics) observe(c echo.Context, took time.Duration) {
	route := c.Path()
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, methodLabel(c.Request().Method), strconv.Itoa(c.Response().Status)).Inc()
	m.latency.WithLabelValues(route).Observe(took.Seconds())
}

func metricsHandler(reg *prometheus.Registry) echo.HandlerFunc {
	return echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, EnableOpenMetrics: true}))
}
