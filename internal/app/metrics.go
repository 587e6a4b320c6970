package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"slotgate/domain"
	"slotgate/infra/store"
)

// metrics are what the background work and the capacity gate count; the
// HTTP layer counts requests, bookings and admissions itself.
type metrics struct {
	take      *prometheus.HistogramVec
	repairs   prometheus.Counter
	drift     prometheus.Counter
	staleHold prometheus.Counter
}

func newMetrics(reg *prometheus.Registry, st *store.Store) *metrics {
	m := &metrics{
		take: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "slotgate_capacity_gate_seconds", Help: "Time to take places in the Redis capacity gate, by outcome.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1},
		}, []string{"outcome"}),
		repairs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "slotgate_reconcile_repairs_total", Help: "Capacity buckets set from the store by reconciliation.",
		}),
		drift: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "slotgate_reconcile_drift_places_total", Help: "Places of drift between Redis and the store repaired.",
		}),
		staleHold: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "slotgate_reconcile_stale_holds_total", Help: "Buckets whose abandoned holds reconciliation dropped.",
		}),
	}
	backlog := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "slotgate_outbox_backlog", Help: "Notifications waiting to be delivered.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := st.OutboxBacklog(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	reg.MustRegister(m.take, m.repairs, m.drift, m.staleHold, backlog)
	return m
}

// watchLimits exposes whether the request limits count in-process.
func (m *metrics) watchLimits(reg *prometheus.Registry, falling func() bool) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "slotgate_rate_limits_fallback", Help: "1 while per-client limits are counted in-process because Redis is unreachable.",
	}, func() float64 {
		if falling() {
			return 1
		}
		return 0
	}))
}

func (m *metrics) observeTake(outcome string, took time.Duration) {
	m.take.WithLabelValues(outcome).Observe(took.Seconds())
}

func (m *metrics) reconciled(p domain.Pass, drift domain.Drift) {
	m.repairs.Add(float64(p[domain.ReconcileRepaired]))
	m.drift.Add(float64(drift))
	m.staleHold.Add(float64(p[domain.ReconcileStale]))
}
