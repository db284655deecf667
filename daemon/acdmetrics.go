package daemon

import (
	"context"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/dialplan/queue"
	"github.com/ccdhq/ccd/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// acdCollector exports the queues' live figures at scrape time, read from the
// queue application itself so that they are never stale.
type acdCollector struct {
	app                         *queue.App
	waiting, longest, agents    *prometheus.Desc
	calls, offers, actionErrors *prometheus.Desc
}

var agentStates = []string{acd.LoggedOut, acd.Ready, acd.NotReady, acd.Ringing, acd.OnCall, acd.OnDirectCall, acd.WrapUp}

// offerStartMetric is ccd's own share of ringing an agent for a new caller
// (queue.Config.OfferStarted): the rest of the way to the agent's channel is
// Asterisk's. Buckets from 50 µs, where the loop's decision lies, to 100 ms.
func offerStartMetric(m *metrics.Metrics) func(time.Duration) {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "ccd_acd_offer_start_seconds",
		Help:    "From a new caller reaching the queue application to its first agent's originate request starting (ccd's share of the offer).",
		Buckets: []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1},
	})
	m.Registry.MustRegister(h)
	return func(d time.Duration) { h.Observe(d.Seconds()) }
}

func registerACDMetrics(m *metrics.Metrics, app *queue.App) {
	m.Registry.MustRegister(&acdCollector{
		app:          app,
		waiting:      prometheus.NewDesc("ccd_acd_calls_waiting", "Calls waiting in a queue now.", []string{"queue"}, nil),
		longest:      prometheus.NewDesc("ccd_acd_longest_wait_seconds", "Wait of the longest waiting call of a queue.", []string{"queue"}, nil),
		agents:       prometheus.NewDesc("ccd_acd_agents", "Agents able to serve a queue, by state.", []string{"queue", "state"}, nil),
		calls:        prometheus.NewDesc("ccd_acd_calls_total", "Callers that entered the queue application.", nil, nil),
		offers:       prometheus.NewDesc("ccd_acd_offers_total", "Agent phones rung.", nil, nil),
		actionErrors: prometheus.NewDesc("ccd_acd_action_errors_total", "Queue actions Asterisk refused.", nil, nil),
	})
}

func (c *acdCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.waiting, c.longest, c.agents, c.calls, c.offers, c.actionErrors} {
		ch <- d
	}
}

func (c *acdCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.app.Stats()
	ch <- prometheus.MustNewConstMetric(c.calls, prometheus.CounterValue, float64(st.Calls.Load()))
	ch <- prometheus.MustNewConstMetric(c.offers, prometheus.CounterValue, float64(st.Offers.Load()))
	ch <- prometheus.MustNewConstMetric(c.actionErrors, prometheus.CounterValue, float64(st.ActionErrors.Load()))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	queues, err := c.app.Queues(ctx)
	if err != nil {
		return // starting or stopping: no queue figures in this scrape
	}
	for _, q := range queues {
		ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(q.Waiting), q.Code)
		ch <- prometheus.MustNewConstMetric(c.longest, prometheus.GaugeValue, float64(q.LongestWaitMS)/1000, q.Code)
		for _, state := range agentStates { // every state, 0 too: an alert on "no one ready" can fire
			ch <- prometheus.MustNewConstMetric(c.agents, prometheus.GaugeValue, float64(q.AgentsByState[state]), q.Code, state)
		}
	}
}
