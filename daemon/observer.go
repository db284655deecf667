package daemon

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/metrics"
	"github.com/ccdhq/ccd/pbx"
	"github.com/prometheus/client_golang/prometheus"
)

// observer is the AMI observer component: the AMI event stream into the
// observer, which classifies every call on the PBX into the event log.
// With the acd role, phones starting and ending calls reach the queue
// application too (an agent on a direct call is not offered queue calls).
type observer struct {
	w     *wiring
	link  *amiLink
	tasks tasks
}

func newObserver(w *wiring) component { return &observer{w: w} }

func (o *observer) Name() string { return "ami observer" }

func (o *observer) Start(ctx context.Context) error {
	w := o.w
	cls, err := pbx.NewClassifier(w.cfg.PBX.InternalNumbers)
	if err != nil {
		return err
	}
	obs := pbx.NewObserver(cls, w.controlled, w.events.writer.Add, w.log)
	obs.SetNode(w.cfg.NodeName())
	var direct func(endpoint string, busy bool)
	if w.acd != nil {
		direct = w.acd.queue().DirectCall
	}
	o.link = newAMILink(w.cfg, w.log, w.m, obs, direct)
	// The link gets a context of its own: Close closes it explicitly, after
	// the events it holds have been handed over.
	if err := o.link.start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	w.addCheck(api.Check{Name: "ami", Func: func(context.Context) error { return o.link.status() }})
	// The channels the event log holds open are checked against Asterisk
	// once the database is up.
	o.tasks.goRun(ctx, func(ctx context.Context) {
		db, ok := w.db.wait(ctx)
		if !ok {
			return
		}
		if open, err := db.OpenPBXChannels(ctx, time.Now().Add(-24*time.Hour)); err != nil {
			w.log.Warn("cannot read channels open at the last stop", "err", err)
		} else {
			obs.Restore(open)
			o.link.restored(ctx)
		}
	})
	return nil
}

// Close hands the events already received to the observer, then closes
// the link.
func (o *observer) Close(context.Context) error {
	o.tasks.stop()
	o.link.close()
	return nil
}

// amiLink reads the AMI event stream into the observer.
type amiLink struct {
	cfg      config.Config
	log      *slog.Logger
	m        *metrics.Metrics
	observer *pbx.Observer
	client   *ami.Client
	sub      *ami.Subscription
	done     chan struct{}
	ready    atomic.Bool // the observer holds what the event log says is open
	// synced: since the last connection, the open channels were checked
	// against what Asterisk lists (CoreShowChannels). Until then the AMI link
	// is not ready: the event log may still hold channels that ended.
	synced atomic.Bool
	// direct, when set, hears when a phone starts or ends a call (agents on
	// direct calls are not offered queue calls).
	direct func(endpoint string, busy bool)
}

func newAMILink(cfg config.Config, log *slog.Logger, m *metrics.Metrics, o *pbx.Observer, direct func(string, bool)) *amiLink {
	return &amiLink{cfg: cfg, log: log.With("link", "ami"), m: m, observer: o, direct: direct, done: make(chan struct{})}
}

func (l *amiLink) start(ctx context.Context) error {
	c, err := ami.Connect(ctx, ami.Config{
		Addr: l.cfg.AMI.Addr, Username: l.cfg.AMI.Username, Secret: l.cfg.AMI.Secret, Logger: l.log,
		OnConnect: func(ctx context.Context, c *ami.Client) {
			l.m.Connected.WithLabelValues("ami").Set(1)
			if c.Status().Reconnects > 0 {
				l.m.Reconnects.WithLabelValues("ami").Inc()
			}
			if l.ready.Load() {
				l.resync(ctx, c)
			}
		},
		OnDisconnect: func(err error) {
			l.synced.Store(false)
			l.m.Connected.WithLabelValues("ami").Set(0) // the client logs the reason
		},
	})
	if err != nil {
		return err
	}
	l.client = c
	labels := prometheus.Labels{"link": "ami"}
	l.m.Counter("ccd_asterisk_parse_errors_total", "Malformed input from Asterisk that was skipped.", labels,
		func() float64 { return float64(c.Stats().ParseErrors) })
	l.m.Counter("ccd_asterisk_frames_skipped_total", "Events dropped unparsed because nothing reads them.", labels,
		func() float64 { return float64(c.Stats().Skipped) })
	l.sub = c.Subscribe(pbx.Events...)
	phones := pbx.NewEndpointCalls()
	go func() {
		defer close(l.done)
		for msg := range l.sub.C() {
			l.m.EventsIn.WithLabelValues("ami", msg.Event()).Inc()
			l.observer.Handle(msg)
			if ep, busy, changed := phones.Handle(msg); changed {
				if l.direct != nil {
					l.direct(ep, busy)
				}
			}
		}
	}()
	return nil
}

// restored is called once the observer knows the channels open at the last stop.
func (l *amiLink) restored(ctx context.Context) {
	l.ready.Store(true)
	if l.client.Status().Connected {
		l.resync(ctx, l.client)
	}
}

// status is the AMI link's readiness: connected, and the channels the event
// log holds open checked against Asterisk's list.
func (l *amiLink) status() error {
	if err := linkError("ami", l.client.Status()); err != nil {
		return err
	}
	if !l.synced.Load() {
		return errors.New("ami connected; open channels not yet checked against Asterisk (CoreShowChannels)")
	}
	return nil
}

// resync closes the records of channels that ended while ccd was not listening.
// A failed CoreShowChannels is tried again, with backoff, for as long as the
// connection (ctx) lasts; without a connection the next one resyncs.
func (l *amiLink) resync(ctx context.Context, c *ami.Client) {
	var list []*ami.Message
	var mark uint64
	for attempt := 1; ; attempt++ {
		var err error
		mark = l.observer.Mark()
		if _, list, err = c.ListAction(ctx, ami.Action{Name: "CoreShowChannels"}); err == nil {
			break
		}
		if errors.Is(err, ami.ErrNotConnected) || errors.Is(err, ami.ErrClosed) {
			return
		}
		l.log.Warn("CoreShowChannels failed; open channels not checked yet", "err", err, "attempt", attempt)
		select {
		case <-time.After(min(time.Duration(attempt)*time.Second, 10*time.Second)):
		case <-ctx.Done():
			return
		}
	}
	live := map[string]bool{}
	for _, ch := range list {
		if id := ch.Get("Uniqueid"); id != "" {
			live[id] = true
		}
	}
	if n := l.observer.Resync(live, mark); n > 0 {
		l.log.Info("closed channels that ended while ccd was not listening", "channels", n)
	}
	l.synced.Store(true)
}

// close hands the events already received to the observer before closing: a
// subscription discards what is still queued when it closes.
func (l *amiLink) close() {
	drain(l.sub.Pending, 5*time.Second)
	l.client.Close()
	l.sub.Close()
	<-l.done
}
