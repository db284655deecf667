package toolbar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/eventlog/consume"
	"github.com/ccdhq/ccd/integrations/screenpop"
	"github.com/ccdhq/ccd/store"
	"github.com/prometheus/client_golang/prometheus"
)

// FetchConsumer is the durable consumer (event_consumer) of the server-side
// screen pop GETs.
const FetchConsumer = "screenpop"

// PopFetch GETs the screen pop URLs of queues with screen_pop_fetch (or of
// the defaults with toolbar.screen_pop_fetch) once per offer, as a durable
// consumer of the event log: a restart continues after the last offer
// fetched, so no offer is fetched twice or skipped. The cursor moves after
// each offer's GETs; one cut short by a crash is sent again with the same
// Idempotency-Key (the event id and the URL's index). A failed GET is
// logged and counted, not retried: a pop is of no use once the call has
// moved on.
type PopFetch struct {
	DB      *store.DB
	ACD     func() config.ACD
	Toolbar config.Toolbar
	Fetcher *screenpop.Fetcher
	Log     *slog.Logger
	results *prometheus.CounterVec
	offers  map[string]offer // offers seen in this run, by call
}

// RegisterMetrics adds the fetch results counter to reg.
func (p *PopFetch) RegisterMetrics(reg prometheus.Registerer) {
	p.results = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ccd_screenpop_fetches_total",
		Help: "Server-side GETs of screen pop URLs, by result: ok (2xx/3xx), http_error (4xx/5xx), failed (no answer), refused (loopback or link-local)."},
		[]string{"result"})
	for _, r := range []string{"ok", "http_error", "failed", "refused"} {
		p.results.WithLabelValues(r)
	}
	reg.MustRegister(p.results)
}

// Run fetches until ctx ends; wake (eventlog.Hub.Wake) makes it read the
// log as soon as events are committed.
func (p *PopFetch) Run(ctx context.Context, wake <-chan struct{}) {
	if p.Log == nil {
		p.Log = slog.Default()
	}
	p.offers = map[string]offer{}
	c := consume.New(p.DB, FetchConsumer)
	for attempt := 1; ; attempt++ {
		err := p.startAtEnd(ctx, c)
		if err == nil {
			break
		}
		p.Log.Warn("screen pop fetch: cannot read its position yet", "err", err, "attempt", attempt)
		select {
		case <-ctx.Done():
			return
		case <-time.After(min(time.Duration(attempt)*time.Second, 10*time.Second)):
		}
	}
	c.Run(ctx, consume.Options{Batch: 500, Wake: wake, Logger: p.Log}, func(ctx context.Context, evs []eventlog.Event) error {
		return p.handle(ctx, c, evs)
	})
}

// startAtEnd places a consumer that never ran at the end of the log: the
// offers of the past are not fetched when the feature is switched on.
func (p *PopFetch) startAtEnd(ctx context.Context, c *consume.Consumer) error {
	_, found, err := c.Position(ctx)
	if err != nil || found {
		return err
	}
	last, err := p.DB.LastEventID(ctx)
	if err != nil {
		return err
	}
	return c.Commit(ctx, store.ConsumerPosition{LastID: last})
}

func (p *PopFetch) handle(ctx context.Context, c *consume.Consumer, evs []eventlog.Event) error {
	for _, e := range evs {
		switch e.Kind {
		case ccd.EventCallOffered:
			p.offers[e.CallID] = offerOf(e)
		case ccd.EventCallEnded:
			delete(p.offers, e.CallID)
		case ccd.EventCallRinging:
			pop := makePop(p.ACD(), p.Toolbar, ringOf(e), p.offer(ctx, e.CallID))
			if !pop.Fetch {
				continue
			}
			p.fetch(ctx, e, pop)
			pos, _, err := c.Position(ctx)
			if err != nil {
				return err
			}
			pos.LastID = e.ID
			if err := c.Commit(ctx, pos); err != nil {
				return err
			}
		}
	}
	return nil
}

// offer is the call.offered of a call: seen in this run, else read from the
// log (an offer made before a restart).
func (p *PopFetch) offer(ctx context.Context, callID string) offer {
	if o, ok := p.offers[callID]; ok {
		return o
	}
	evs, err := p.DB.Events(ctx, store.EventFilter{CallID: callID, Kind: ccd.EventCallOffered, Limit: 1})
	if err != nil || len(evs) == 0 {
		return offer{}
	}
	return offerOf(evs[0])
}

func (p *PopFetch) fetch(ctx context.Context, e eventlog.Event, pop Pop) {
	for i, u := range pop.URLs {
		key := fmt.Sprintf("ccd-%d-%d", e.ID, i)
		status, err := p.Fetcher.Get(ctx, u, key)
		result := "ok"
		switch {
		case errors.Is(err, screenpop.ErrForbiddenAddress):
			result = "refused"
		case err != nil:
			result = "failed"
		case status >= 400:
			result = "http_error"
		}
		if p.results != nil {
			p.results.WithLabelValues(result).Inc()
		}
		if result != "ok" {
			// The URL may carry the caller's number: the log names the call
			// and the queue, not the URL.
			p.Log.Warn("screen pop fetch failed", "call_id", e.CallID, "queue", e.Queue, "agent", e.Agent, "url_index", i,
				"result", result, "status", status, "err", err)
		}
	}
}
