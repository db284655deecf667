package daemon

import (
	"context"
	"strconv"
	"time"

	ddialer "github.com/ccdhq/ccd/dialplan/dialer"
	"github.com/ccdhq/ccd/store"
	"github.com/prometheus/client_golang/prometheus"
)

// dialerApp is the outbound dialer: the "dialer" Stasis application beside
// the queue, and the pacing loop that places the campaigns' calls. It runs
// while this ccd holds the ACD lock, once the database is up and the queues
// are restored; without dialer.dial_endpoint it stays off.
type dialerApp struct {
	w     *wiring
	app   *ddialer.App
	tasks tasks

	attempts *prometheus.CounterVec
	abandon  *prometheus.GaugeVec
}

func newDialerApp(w *wiring) component {
	w.dialer = &dialerApp{w: w}
	return w.dialer
}

func (d *dialerApp) Name() string { return "dialer" }

func (d *dialerApp) Start(ctx context.Context) error {
	w, cfg := d.w, d.w.cfg.Dialer
	if w.acd == nil || cfg.DialEndpoint == "" {
		w.log.Info("dialer off: set dialer.dial_endpoint (and run the acd role) to place the campaigns' calls")
		return nil
	}
	l := w.acd.link
	var runner *ddialer.Runner
	d.app = ddialer.New(ddialer.Config{ARI: l.client, App: w.cfg.ARI.Application, Endpoint: cfg.DialEndpoint,
		AMDContext: cfg.AMDContext, Queue: l.queue, Owners: l.stasis, Log: w.log,
		Done: func(r ddialer.Result) { runner.Done(r) }})
	l.stasis.Register(ddialer.Entry, d.app)
	d.registerMetrics()
	d.tasks.goRun(ctx, func(ctx context.Context) {
		db, ok := d.waitToLead(ctx)
		if !ok {
			return
		}
		runner = ddialer.NewRunner(ddialer.RunnerConfig{Store: db, ACD: l.queue, Placer: d.app, Emit: w.events.writer.Add,
			Node: w.cfg.NodeName(), Log: w.log, Results: func(r ddialer.Result) { d.count(db, r) }, InboundFirst: cfg.InboundFirst,
			Serves: w.serves})
		runner.Run(ctx, cfg.Interval)
	})
	return nil
}

// waitToLead waits for the ACD lock, the database and the queues restored
// from the event log and checked against Asterisk.
func (d *dialerApp) waitToLead(ctx context.Context) (*store.DB, bool) { return waitToLead(ctx, d.w) }

func waitToLead(ctx context.Context, w *wiring) (*store.DB, bool) {
	select {
	case <-w.acd.leading:
	case <-ctx.Done():
		return nil, false
	}
	db, ok := w.db.wait(ctx)
	if !ok {
		return nil, false
	}
	for !w.acd.link.queue.Reconciled() {
		select {
		case <-ctx.Done():
			return nil, false
		case <-time.After(100 * time.Millisecond):
		}
	}
	return db, true
}

func (d *dialerApp) registerMetrics() {
	m := d.w.m
	d.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ccd_dialer_attempts_total",
		Help: "Outbound calls the dialer placed that ended, by campaign and result."}, []string{"campaign", "result"})
	d.abandon = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ccd_dialer_abandon_rate",
		Help: "Abandoned / answered-by-a-person calls of a campaign over a window (1h, 24h, 30d), as of its last result."},
		[]string{"campaign", "window"})
	m.Registry.MustRegister(d.attempts, d.abandon)
	m.Gauge("ccd_dialer_calls_in_flight", "Outbound calls ringing, in answering-machine detection or waiting for an agent.",
		func() float64 { return float64(d.app.InFlight()) })
}

// count updates the metrics after an attempt is stored.
func (d *dialerApp) count(db *store.DB, r ddialer.Result) {
	campaign := strconv.Itoa(r.Campaign.ID)
	d.attempts.WithLabelValues(campaign, ddialer.StatusName(r.Status)).Inc()
	if !r.Human {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, err := db.AbandonWindows(ctx, r.Campaign.ID, time.Now(), store.AbandonSpans...)
	if err != nil {
		return
	}
	for _, w := range ws {
		d.abandon.WithLabelValues(campaign, windowLabel(w.Span)).Set(w.Rate())
	}
}

func windowLabel(span time.Duration) string {
	if span >= 48*time.Hour {
		return strconv.Itoa(int(span/(24*time.Hour))) + "d"
	}
	return strconv.Itoa(int(span/time.Hour)) + "h"
}

func (d *dialerApp) Close(context.Context) error {
	d.tasks.stop()
	return nil
}
