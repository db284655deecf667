// Package metrics defines ccd's Prometheus metrics in one registry, so every
// component reports under the same names and /metrics serves them all.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds the collectors. Components take the fields they update; the zero of
// each is never used: always build it with New.
type Metrics struct {
	Registry *prometheus.Registry

	// EventsIn counts events read from Asterisk by link (ami, ari) and event type.
	EventsIn *prometheus.CounterVec
	// Reconnects counts successful re-connections to Asterisk by link.
	Reconnects *prometheus.CounterVec
	// Connected is 1 while a link is up.
	Connected *prometheus.GaugeVec
	// DBLatency is the duration of database round trips by operation.
	DBLatency *prometheus.HistogramVec
	// EventLogWritten counts events acknowledged by the database.
	EventLogWritten prometheus.Counter
	// EventLogFailures counts failed batch writes.
	EventLogFailures prometheus.Counter
	// EventLogQuarantined counts events kept in the quarantine instead of the log.
	EventLogQuarantined prometheus.Counter
}

// New builds the metrics in a fresh registry with the Go and process collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		EventsIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ccd_events_in_total", Help: "Events read from Asterisk, by link and event type.",
		}, []string{"link", "type"}),
		Reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ccd_asterisk_reconnects_total", Help: "Re-connections to Asterisk after a lost link, by link.",
		}, []string{"link"}),
		Connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ccd_asterisk_connected", Help: "1 while the link to Asterisk is up.",
		}, []string{"link"}),
		DBLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ccd_db_latency_seconds", Help: "Database round-trip time by operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"op"}),
		EventLogWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ccd_eventlog_written_total", Help: "Events written to the event log.",
		}),
		EventLogFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ccd_eventlog_write_failures_total", Help: "Failed batch writes to the event log (retried).",
		}),
		EventLogQuarantined: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ccd_eventlog_quarantined_total", Help: "Events the database refuses (or over eventlog.max_event_bytes) kept in the quarantine instead of the event log.",
		}),
	}
	r.MustRegister(m.EventsIn, m.Reconnects, m.Connected, m.DBLatency, m.EventLogWritten, m.EventLogFailures, m.EventLogQuarantined,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gauge registers a gauge read from f at scrape time (queue lengths, pending events).
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// Counter registers a counter read from f at scrape time, for counters a library
// keeps itself (the AMI and ARI clients' statistics).
func (m *Metrics) Counter(name, help string, labels prometheus.Labels, f func() float64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, f))
}
