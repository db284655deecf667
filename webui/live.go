package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// snapshot is what every live view shows: the queues and agents now, with
// today's figures. At is when it was taken (Unix milliseconds), Seq counts
// the snapshots, for the page and the latency benchmark.
type snapshot struct {
	At     int64           `json:"at"`
	Seq    int64           `json:"seq"`
	Queues []api.QueueView `json:"queues"`
	Agents []api.AgentView `json:"agents"`
	// Calls are the calls not answered yet (supervisors only).
	Calls []callView `json:"calls,omitempty"`
	// Callbacks are the callbacks waiting for an agent, by queue.
	Callbacks map[string]int `json:"callbacks_pending"`
	// Campaigns are the dialer's campaigns with their counts today
	// (supervisors only; none without a dialer).
	Campaigns []store.CampaignLine `json:"campaigns,omitempty"`

	// full is the snapshot as JSON, made once for all the streams that see
	// all of it (supervisors): hundreds of open wallboards must not each
	// encode the same snapshot.
	fullOnce sync.Once
	full     []byte
	fullErr  error
}

// encode is the JSON of what p may see of s.
func (s *snapshot) encode(p ccd.Principal) ([]byte, error) {
	if !p.Has(ccd.RoleSupervise) {
		return json.Marshal(visible(s, p))
	}
	s.fullOnce.Do(func() { s.full, s.fullErr = json.Marshal(s) })
	return s.full, s.fullErr
}

// minGap bounds how often a burst of events rebuilds the snapshot: each
// build reads today's figures from the database.
const minGap = 50 * time.Millisecond

// broadcaster builds one snapshot for every open view, when the event log
// commits something (Hub.Wake), when an action of the interface changed an
// agent, and at least every refresh period while anyone watches.
type broadcaster struct {
	rt Realtime
	// calls lists the calls not answered yet; nil without an ACD.
	calls func(ctx context.Context) ([]callView, error)
	// callbacks counts the waiting callbacks by queue; nil: none.
	callbacks func(ctx context.Context) (map[string]int, error)
	// campaigns reads the campaign grid; nil: no dialer.
	campaigns func(ctx context.Context) ([]store.CampaignLine, error)
	now       func() time.Time
	log       *slog.Logger

	pokes chan struct{}
	mu    sync.Mutex
	subs  map[*viewer]struct{}
	last  *snapshot
	seq   int64
}

// viewer is one open stream; it keeps only the newest snapshot it has not
// sent yet, so a slow browser skips states instead of slowing the others.
type viewer struct {
	p    ccd.Principal
	next chan *snapshot
}

func newBroadcaster(rt Realtime, now func() time.Time, log *slog.Logger) *broadcaster {
	return &broadcaster{rt: rt, now: now, log: log, pokes: make(chan struct{}, 1), subs: map[*viewer]struct{}{}}
}

func (b *broadcaster) poke() {
	select {
	case b.pokes <- struct{}{}:
	default:
	}
}

// run builds a snapshot when the event log commits (hub), when the
// statistics changed (figures: an event's figures reach the tables a moment
// after the event), when poked, and every refresh.
func (b *broadcaster) run(ctx context.Context, hub *eventlog.Hub, figures <-chan struct{}, refresh time.Duration) {
	var wake <-chan struct{}
	if hub != nil {
		w, stop := hub.Wake()
		defer stop()
		wake = w
	}
	tick := time.NewTicker(refresh)
	defer tick.Stop()
	var built time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-figures:
		case <-b.pokes:
		case <-tick.C:
		}
		if !b.watched() {
			continue
		}
		if wait := minGap - time.Since(built); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		built = time.Now()
		b.build(ctx)
	}
}

func (b *broadcaster) watched() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs) > 0
}

func (b *broadcaster) build(ctx context.Context) {
	if b.rt == nil {
		return
	}
	qs, err := b.rt.Queues(ctx)
	if err != nil {
		b.log.Debug("web interface: queues", "err", err)
		return
	}
	as, err := b.rt.Agents(ctx)
	if err != nil {
		b.log.Debug("web interface: agents", "err", err)
		return
	}
	var calls []callView
	if b.calls != nil {
		if calls, err = b.calls(ctx); err != nil {
			b.log.Debug("web interface: calls", "err", err)
			return
		}
	}
	callbacks := map[string]int{}
	if b.callbacks != nil {
		// Without the count the other tiles still move; the page shows
		// the callbacks as unknown.
		if callbacks, err = b.callbacks(ctx); err != nil {
			b.log.Debug("web interface: callbacks", "err", err)
			callbacks = nil
		}
	}
	var campaigns []store.CampaignLine
	if b.campaigns != nil {
		// As with the callbacks: the rest of the views moves without it.
		if campaigns, err = b.campaigns(ctx); err != nil {
			b.log.Debug("web interface: campaigns", "err", err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	s := &snapshot{At: b.now().UnixMilli(), Seq: b.seq, Queues: qs, Agents: as, Calls: calls, Callbacks: callbacks, Campaigns: campaigns}
	b.last = s
	for v := range b.subs {
		select {
		case <-v.next: // drop the one not sent yet
		default:
		}
		v.next <- s
	}
}

func (b *broadcaster) subscribe(p ccd.Principal) *viewer {
	v := &viewer{p: p, next: make(chan *snapshot, 1)}
	b.mu.Lock()
	b.subs[v] = struct{}{}
	if b.last != nil {
		v.next <- b.last
	}
	b.mu.Unlock()
	b.poke()
	return v
}

func (b *broadcaster) unsubscribe(v *viewer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, v)
}

// campaignEvery bounds how often the live views count the campaigns'
// targets: the count runs over the dial lists in the database, while
// snapshots come up to 20 times a second.
const campaignEvery = time.Second

// everySecond reads the campaign grid at most once per campaignEvery and
// hands out the last reading in between. Only the broadcaster's loop calls
// it, so it needs no lock.
type everySecond struct {
	read  func(ctx context.Context) ([]store.CampaignLine, error)
	now   func() time.Time
	at    time.Time
	lines []store.CampaignLine
	fresh bool
}

func (e *everySecond) get(ctx context.Context) ([]store.CampaignLine, error) {
	if e.fresh && e.now().Sub(e.at) < campaignEvery {
		return e.lines, nil
	}
	lines, err := e.read(ctx)
	if err != nil {
		return nil, err
	}
	e.lines, e.at, e.fresh = lines, e.now(), true
	return lines, nil
}

// visible is the part of s that p may see: an agent sees the queues and
// itself, not its colleagues.
func visible(s *snapshot, p ccd.Principal) *snapshot {
	if p.Has(ccd.RoleSupervise) {
		return s
	}
	own := snapshot{At: s.At, Seq: s.Seq, Queues: s.Queues, Callbacks: s.Callbacks}
	for _, a := range s.Agents {
		if a.ID == p.Agent {
			own.Agents = []api.AgentView{a}
		}
	}
	if own.Agents == nil {
		own.Agents = []api.AgentView{}
	}
	return &own
}

// sessionRecheck is how often an open stream checks that its session still
// holds: a logout or expiry ends the stream within this time.
const sessionRecheck = 15 * time.Second

// events is the live stream of the views (server-sent events): a
// "snapshot" event with JSON data at every change, and "ended" when the
// session expires or is logged out.
func (u *UI) events(c echo.Context) error {
	p := api.PrincipalOf(c)
	token, _ := c.Get("ui_token").(string)
	w := c.Response()
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("X-Accel-Buffering", "no") // a proxy must not hold the stream back
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	w.Flush()
	v := u.live.subscribe(p)
	defer u.live.unsubscribe(v)
	ctx := c.Request().Context()
	recheck := time.NewTicker(sessionRecheck)
	defer recheck.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case s := <-v.next:
			data, err := s.encode(p)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "event: snapshot\ndata: %s\n\n", data); err != nil {
				return nil
			}
			w.Flush()
		case <-recheck.C:
			if _, ok, err := u.o.Store.UISessionOf(ctx, hashToken(token), u.o.Now()); err == nil && !ok {
				fmt.Fprint(w, "event: ended\ndata: {}\n\n")
				w.Flush()
				return nil
			}
		}
	}
}
