package daemon

import (
	"context"
	"slices"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/metrics"
	"github.com/ccdhq/ccd/stats/job"
	"github.com/ccdhq/ccd/store"
	"github.com/prometheus/client_golang/prometheus"
)

// FanoutHook, when set, is called with the hub that gets every batch the
// event log commits, before anything is written: live views (the wallboard,
// the toolbar push) subscribe to it, and tests read the real wiring through
// it.
var FanoutHook func(*eventlog.Hub)

// consumerCollector exports the lag of every durable consumer of the event
// log at scrape time, read from the database: a consumer that is not running
// (a webhook target down, a process stopped) shows its lag too.
type consumerCollector struct {
	db              *databaseLink
	known           []string // consumers reported at 0 before the database answers
	events, seconds *prometheus.Desc
}

func registerConsumerMetrics(m *metrics.Metrics, db *databaseLink, hub *eventlog.Hub) {
	m.Registry.MustRegister(&consumerCollector{
		db:    db,
		known: []string{job.ConsumerName},
		events: prometheus.NewDesc("ccd_consumer_lag_events",
			"Events in the log after a consumer's position (ids, so an estimate when writes were rolled back; exact at 0).", []string{"consumer"}, nil),
		seconds: prometheus.NewDesc("ccd_consumer_lag_seconds",
			"Age of the oldest event a consumer has not handled yet; 0 when it has handled every event.", []string{"consumer"}, nil),
	})
	m.Gauge("ccd_eventlog_subscribers", "In-process subscribers of the events the log commits.",
		func() float64 { return float64(hub.Stats().Subscribers) })
	m.Counter("ccd_eventlog_fanout_dropped_total", "Deliveries of committed events dropped because a subscriber had fallen behind (it is told, and reads them from the log).", nil,
		func() float64 { return float64(hub.Stats().Dropped) })
}

func (c *consumerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.events
	ch <- c.seconds
}

func (c *consumerCollector) Collect(ch chan<- prometheus.Metric) {
	lags := c.read()
	now := time.Now()
	for _, l := range lags {
		age := 0.0
		if !l.Oldest.IsZero() {
			age = max(now.Sub(l.Oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.events, prometheus.GaugeValue, float64(l.Events), l.Name)
		ch <- prometheus.MustNewConstMetric(c.seconds, prometheus.GaugeValue, age, l.Name)
	}
}

// read returns the lags in the database, and 0 for the known consumers it
// does not list (not started yet, or the database not reachable: its own
// metrics say so).
func (c *consumerCollector) read() []store.ConsumerLag {
	var lags []store.ConsumerLag
	if db, err := c.db.get(); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		lags, _ = db.ConsumerLags(ctx)
	}
	for _, name := range c.known {
		if !slices.ContainsFunc(lags, func(l store.ConsumerLag) bool { return l.Name == name }) {
			lags = append(lags, store.ConsumerLag{Name: name})
		}
	}
	return lags
}
