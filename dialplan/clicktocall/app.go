// Package clicktocall is the "clicktocall" Stasis application: calls an
// agent or a CRM starts over the API, in either order.
//
//	agent first:    ring the agent's phones (all at once; the first to
//	                answer wins) ──answer──▶ bridge, the agent hears ringing,
//	                dial the customer ──answer──▶ customer into the bridge
//	customer first: dial the customer ──answer──▶ ring the extension into
//	                a bridge, or hand the customer to the queue application
//	                (an explicit handoff, as the inbound router does)
//	either side hangs up ──▶ the other is hung up, the bridge destroyed
//
// While the agent's phone is in the call the agent is on a direct call for
// the ACD (no queue call is offered). Every call is logged as
// clicktocall.started, .answered and .ended; the statistics count the
// ended one as an outbound call of the agent or extension.
package clicktocall

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/dialplan/media"
	"github.com/ccdhq/ccd/dialplan/stasis"
	"github.com/ccdhq/ccd/eventlog"
)

// Entry is the Stasis entry of the legs this application originates.
const Entry = "clicktocall"

// Queue is the queue application: it takes a customer handed to a queue,
// and is told when an agent's phone is busy with a click-to-call.
type Queue interface {
	stasis.App
	Enqueue(in dialplan.Arrival)
	DirectCall(endpoint string, on bool)
}

// Owners is the dispatcher: the application claims the legs it originates
// and hands a customer to the queue.
type Owners interface {
	Handoff(channel string, app stasis.App)
	Release(channel string)
}

// Config is what the application needs.
type Config struct {
	ARI         *ari.Client
	App         string // the Stasis application name
	Owners      Owners
	Queue       Queue
	Emit        func(eventlog.Event) error
	Node        string
	RingTimeout time.Duration // how long each side rings
	// AutoAnswer tells whether an agent's phone is asked to answer by
	// itself (the agent's auto_answer; nil: never).
	AutoAnswer func(agent string) bool
	Log        *slog.Logger
	Now        func() time.Time
}

// Request is one call to make.
type Request struct {
	Order string // ccd.ClickToCallAgentFirst or ccd.ClickToCallCustomerFirst
	Agent string // the agent whose phone is rung ("" for an employee's phone no agent holds)
	// Phones are the agent's or employee's endpoints, rung together; empty
	// for a customer handed to ToQueue.
	Phones    []string
	Extension string // the phones' number, when they have one
	// Number is the customer's number, dialled as Customer.
	Number, Customer string
	Internal         bool   // Number is an extension
	Queue            string // the queue (campaign) the call is made for
	ToQueue          string // customer first: the queue the customer goes to
	CallerID         string // what the customer's phone shows
	Via              string // the interface the request came through
	// OnEnd, when set, is told how the call ended, after it is logged
	// (a preview campaign records its attempt from it); it must not block.
	OnEnd func(ccd.ClickToCall)
	// CustomerRing is how long the customer's number rings (0: the
	// application's RingTimeout): a dialer campaign's noAnswerDuration.
	CustomerRing time.Duration
	// OnDial, when set, is told when the customer's number is dialled
	// (agent first: once the agent's phone answered). Until then the
	// customer has not been called; it must not block.
	OnDial func()
}

// App is the running application.
type App struct {
	cfg   Config
	log   *slog.Logger
	media *media.Toolkit

	mu    sync.Mutex
	calls map[string]*call // by click-to-call id
	legs  map[string]*call // by channel id, while the leg may still matter
}

// call is one click-to-call with its legs.
type call struct {
	c        ccd.ClickToCall
	req      Request
	first    map[string]bool // legs of the side rung first, still ringing
	second   map[string]bool // legs of the other side, still ringing
	firstUp  string          // the first side's answered leg
	secondUp string          // the second side's answered leg
	seconds  int             // second legs originated, for their ids
	ended    bool
	direct   []string // agent endpoints marked busy with this call
}

// New builds the application.
func New(cfg Config) *App {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RingTimeout <= 0 {
		cfg.RingTimeout = 30 * time.Second
	}
	return &App{cfg: cfg, log: cfg.Log.With("component", "clicktocall"), media: &media.Toolkit{ARI: cfg.ARI, App: cfg.App},
		calls: map[string]*call{}, legs: map[string]*call{}}
}

// Place starts a call: it rings the first side and returns the call as
// started. An error means nothing rings.
func (a *App) Place(ctx context.Context, r Request) (ccd.ClickToCall, error) {
	id := newID()
	cl := &call{req: r, first: map[string]bool{}, second: map[string]bool{}, c: ccd.ClickToCall{
		ID: id, Order: r.Order, Agent: r.Agent, Extension: r.Extension, Number: r.Number, Internal: r.Internal,
		Queue: r.Queue, ToQueue: r.ToQueue, CallerID: r.CallerID, Via: r.Via, StartedAt: a.cfg.Now().UTC(),
	}}
	if len(r.Phones) > 0 {
		cl.c.Endpoint = r.Phones[0]
	}
	type leg struct {
		id, endpoint, callerID string
		vars                   map[string]string
		ring                   time.Duration // 0: RingTimeout
	}
	var legs []leg
	if r.Order == ccd.ClickToCallAgentFirst {
		for i, p := range r.Phones {
			// The agent's phone shows whom it is about to call.
			legs = append(legs, leg{id + "-a" + strconv.Itoa(i+1), p, r.Number, a.phoneVariables(r.Agent, p), 0})
		}
	} else {
		legs = append(legs, leg{id + "-c", r.Customer, r.CallerID, nil, r.CustomerRing})
	}
	a.mu.Lock()
	a.calls[id] = cl
	for _, l := range legs {
		cl.first[l.id] = true
		a.legs[l.id] = cl
		a.cfg.Owners.Handoff(l.id, a)
	}
	a.mu.Unlock()
	if r.Order == ccd.ClickToCallAgentFirst {
		a.markDirect(cl)
	}
	started := cl.c // cl.c is the legs' once they ring
	a.emit(ccd.EventClickToCallStarted, started)
	var rung int
	var lastErr error
	if r.Order != ccd.ClickToCallAgentFirst && r.OnDial != nil {
		r.OnDial()
	}
	for _, l := range legs {
		if err := a.originate(ctx, id, l.id, l.endpoint, l.callerID, l.vars, l.ring); err != nil {
			lastErr = err
			a.log.Warn("click-to-call: cannot ring", "call", id, "endpoint", l.endpoint, "err", err)
			a.cfg.Owners.Release(l.id)
			a.legEnded(l.id, 0, true)
			continue
		}
		rung++
	}
	if rung == 0 {
		return started, &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "Asterisk refused the call: " + errText(lastErr)}
	}
	return started, nil
}

func errText(err error) string {
	if err == nil {
		return "no phone to ring"
	}
	return err.Error()
}

func (a *App) originate(ctx context.Context, callID, leg, endpoint, callerID string, vars map[string]string, ring time.Duration) error {
	if ring <= 0 {
		ring = a.cfg.RingTimeout
	}
	secs := int((ring + time.Second - 1) / time.Second)
	_, err := a.cfg.ARI.Originate(ctx, ari.OriginateParams{Endpoint: endpoint, App: a.cfg.App,
		AppArgs: Entry + "," + callID, ChannelID: leg, CallerID: callerID, Timeout: secs, Variables: vars})
	return err
}

// phoneVariables are the originate variables of a leg ringing one of the
// agent's phones: the auto-answer headers when the agent has auto_answer.
// An employee's phone no agent holds is never asked.
func (a *App) phoneVariables(agent, endpoint string) map[string]string {
	if agent == "" || a.cfg.AutoAnswer == nil {
		return nil
	}
	return media.AutoAnswerVariables(endpoint, a.cfg.AutoAnswer(agent))
}

// markDirect tells the ACD the agent's phones are busy with this call.
func (a *App) markDirect(cl *call) {
	if cl.req.Agent == "" || a.cfg.Queue == nil {
		return
	}
	cl.direct = append(cl.direct, cl.req.Phones...)
	for _, p := range cl.req.Phones {
		a.cfg.Queue.DirectCall(p, true)
	}
}

// Start receives a leg that answered.
func (a *App) Start(e *ari.StasisStart, args []string) {
	id := e.Channel.ID
	a.mu.Lock()
	cl := a.legs[id]
	var step func()
	switch {
	case cl == nil || cl.ended:
		step = func() { a.hangup(id) }
	case cl.first[id] && cl.firstUp == "":
		step = a.firstAnswered(cl, id)
	case cl.second[id] && cl.secondUp == "":
		step = a.secondAnswered(cl, id)
	default: // a second phone answered after the first: too late
		delete(cl.first, id)
		delete(cl.second, id)
		delete(a.legs, id)
		step = func() { a.hangup(id) }
	}
	a.mu.Unlock()
	go step()
}

// firstAnswered takes the first side's answer (a.mu held): the other
// phones stop ringing, then the second side is called or the customer
// goes to the queue.
func (a *App) firstAnswered(cl *call, id string) func() {
	cl.firstUp = id
	delete(cl.first, id)
	losers := a.dropRinging(cl.first)
	if cl.req.ToQueue != "" {
		// The customer belongs to the queue from here on.
		delete(a.legs, id)
		cl.c.AnsweredAt = a.cfg.Now().UTC()
		cl.c.Result = "queued"
		a.cfg.Owners.Handoff(id, a.cfg.Queue)
		a.cfg.Queue.Enqueue(dialplan.Arrival{CallID: id, CLID: cl.req.Number, DNIS: cl.req.Number, Queue: cl.req.ToQueue})
		ended := a.finish(cl)
		return func() {
			a.hangupAll(losers)
			a.emit(ccd.EventClickToCallAnswered, ended)
			a.ended(cl, ended)
		}
	}
	var legs []string
	var endpoints []string
	var vars []map[string]string
	var callerID string
	if cl.req.Order == ccd.ClickToCallAgentFirst {
		cl.seconds++
		legs, endpoints, vars, callerID = []string{cl.c.ID + "-c"}, []string{cl.req.Customer}, []map[string]string{nil}, cl.req.CallerID
	} else {
		cl.c.Endpoint = ""
		for i, p := range cl.req.Phones {
			legs = append(legs, cl.c.ID+"-a"+strconv.Itoa(i+1))
			endpoints = append(endpoints, p)
			vars = append(vars, a.phoneVariables(cl.req.Agent, p))
		}
		callerID = cl.req.Number
		a.markDirect(cl)
	}
	for _, l := range legs {
		cl.second[l] = true
		a.legs[l] = cl
		a.cfg.Owners.Handoff(l, a)
	}
	if cl.req.Order == ccd.ClickToCallAgentFirst {
		cl.c.Endpoint = endpointOf(cl, id)
	}
	return func() {
		a.hangupAll(losers)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		bridge := bridgeOf(cl.c.ID)
		if _, err := a.cfg.ARI.Bridge(bridge).Create(ctx, ari.CreateBridgeParams{Type: "mixing", Name: bridge}); err != nil {
			a.fail(cl, "create the bridge", err)
			return
		}
		if err := a.cfg.ARI.Bridge(bridge).AddChannels(ctx, id); err != nil {
			a.fail(cl, "bridge the first side", err)
			return
		}
		// The side that waits hears ringing until the other answers.
		_ = a.cfg.ARI.Channel(id).Ring(ctx)
		var ring time.Duration // the agent's phones ring for RingTimeout
		if cl.req.Order == ccd.ClickToCallAgentFirst {
			ring = cl.req.CustomerRing
			if cl.req.OnDial != nil {
				cl.req.OnDial()
			}
		}
		for i, l := range legs {
			if err := a.originate(ctx, cl.c.ID, l, endpoints[i], callerID, vars[i], ring); err != nil {
				a.log.Warn("click-to-call: cannot ring", "call", cl.c.ID, "endpoint", endpoints[i], "err", err)
				a.cfg.Owners.Release(l)
				a.legEnded(l, 0, true)
			}
		}
	}
}

// endpointOf is the endpoint of a first-side leg ("-aN").
func endpointOf(cl *call, leg string) string {
	suffix := leg[len(cl.c.ID):]
	if n, err := strconv.Atoi(suffix[min(2, len(suffix)):]); err == nil && n >= 1 && n <= len(cl.req.Phones) {
		return cl.req.Phones[n-1]
	}
	return cl.c.Endpoint
}

// secondAnswered puts the answering leg into the bridge (a.mu held).
func (a *App) secondAnswered(cl *call, id string) func() {
	cl.secondUp = id
	delete(cl.second, id)
	losers := a.dropRinging(cl.second)
	cl.c.AnsweredAt = a.cfg.Now().UTC()
	cl.c.Result = "answered"
	if cl.req.Order == ccd.ClickToCallCustomerFirst {
		cl.c.Endpoint = endpointOf(cl, id)
	}
	answered := cl.c
	first := cl.firstUp
	return func() {
		a.hangupAll(losers)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.cfg.ARI.Channel(first).StopRing(ctx)
		if err := a.cfg.ARI.Bridge(bridgeOf(cl.c.ID)).AddChannels(ctx, id); err != nil {
			a.fail(cl, "bridge the second side", err)
			return
		}
		a.emit(ccd.EventClickToCallAnswered, answered)
	}
}

// dropRinging forgets the legs still ringing of one side and returns them
// for hanging up (a.mu held).
func (a *App) dropRinging(set map[string]bool) []string {
	var out []string
	for l := range set {
		out = append(out, l)
		delete(set, l)
		delete(a.legs, l)
	}
	return out
}

// Handle receives the other events of the legs: a leg that ends.
func (a *App) Handle(e ari.Event) {
	switch v := e.(type) {
	case *ari.ChannelDestroyed:
		a.legEnded(v.Channel.ID, v.Cause, false)
	case *ari.StasisEnd:
		a.legEnded(v.Channel.ID, -1, false)
	}
}

// legEnded takes the end of a leg: an answered leg ends the call; the last
// ringing leg of a side that never answered ends it unanswered. cause is
// the ISDN cause (-1 when unknown: a StasisEnd); refused is an originate
// Asterisk refused.
func (a *App) legEnded(id string, cause int, refused bool) {
	a.mu.Lock()
	cl := a.legs[id]
	if cl == nil {
		a.mu.Unlock()
		if !refused {
			go a.orphanEnded(id)
		}
		return
	}
	if cl.ended {
		a.mu.Unlock()
		return
	}
	var result string
	switch {
	case id == cl.firstUp || id == cl.secondUp:
		if cl.c.Result == "" { // the side that answered hung up while the other rang
			cl.c.Result = "cancelled"
		}
	case cl.first[id]:
		if cause == -1 {
			a.mu.Unlock()
			return // its ChannelDestroyed has the cause
		}
		delete(cl.first, id)
		delete(a.legs, id)
		if len(cl.first) > 0 {
			a.mu.Unlock()
			return
		}
		result = resultOf(cl.req.Order, true, cause, refused)
	case cl.second[id]:
		if cause == -1 {
			a.mu.Unlock()
			return
		}
		delete(cl.second, id)
		delete(a.legs, id)
		if len(cl.second) > 0 {
			a.mu.Unlock()
			return
		}
		result = resultOf(cl.req.Order, false, cause, refused)
	default:
		a.mu.Unlock()
		return
	}
	if cl.c.Result == "" {
		cl.c.Result = result
	}
	ended := a.finish(cl)
	rest := a.remaining(cl)
	a.mu.Unlock()
	go func() {
		a.hangupAll(rest)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.media.DestroyBridge(ctx, bridgeOf(cl.c.ID))
		a.ended(cl, ended)
	}()
}

// orphanEnded ends the call of a leg this run does not know (its call
// began before ccd restarted; Asterisk kept it in the application): the
// legs still in its bridge are hung up and the bridge destroyed, so that
// nobody stays on a line with nobody.
func (a *App) orphanEnded(leg string) {
	i := strings.LastIndex(leg, "-")
	if !strings.HasPrefix(leg, "c2c-") || i <= len("c2c-") {
		return
	}
	a.mu.Lock()
	_, running := a.calls[leg[:i]]
	a.mu.Unlock()
	if running {
		return // a phone of a running call that lost the race to answer
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bridge := a.cfg.ARI.Bridge(bridgeOf(leg[:i]))
	b, err := bridge.Get(ctx)
	if err != nil {
		return // no bridge: nothing left to end
	}
	for _, ch := range b.Channels {
		a.hangup(ch)
	}
	_ = a.media.DestroyBridge(ctx, b.ID)
	a.log.Info("click-to-call from before a restart ended", "call", leg[:i])
}

// resultOf names why a call ended unanswered: the side that did not
// answer and the cause.
func resultOf(order string, firstSide bool, cause int, refused bool) string {
	agentSide := firstSide == (order == ccd.ClickToCallAgentFirst)
	switch {
	case refused:
		return "failed"
	case agentSide && (cause == 17 || cause == 18 || cause == 19 || cause == 0):
		return "agent_no_answer"
	case cause == 17:
		return "busy"
	case cause == 18 || cause == 19 || cause == 0:
		return "no_answer"
	default:
		return "failed"
	}
}

// finish marks a call ended and frees the agent's phones for the ACD
// (a.mu held); it returns the call as it ended.
func (a *App) finish(cl *call) ccd.ClickToCall {
	cl.ended = true
	cl.c.EndedAt = a.cfg.Now().UTC()
	delete(a.calls, cl.c.ID)
	for _, p := range cl.direct {
		a.cfg.Queue.DirectCall(p, false)
	}
	cl.direct = nil
	return cl.c
}

// remaining are the legs of an ended call still up or ringing (a.mu held).
func (a *App) remaining(cl *call) []string {
	var out []string
	for _, l := range []string{cl.firstUp, cl.secondUp} {
		if l != "" && a.legs[l] == cl {
			out = append(out, l)
		}
	}
	out = append(out, a.dropRinging(cl.first)...)
	out = append(out, a.dropRinging(cl.second)...)
	for _, l := range out {
		delete(a.legs, l)
	}
	return out
}

func (a *App) fail(cl *call, step string, err error) {
	a.log.Warn("click-to-call failed", "step", step, "call", cl.c.ID, "err", err)
	a.mu.Lock()
	if cl.ended {
		a.mu.Unlock()
		return
	}
	cl.c.Result = "failed"
	ended := a.finish(cl)
	rest := a.remaining(cl)
	a.mu.Unlock()
	a.hangupAll(rest)
	_ = a.media.DestroyBridge(context.Background(), bridgeOf(cl.c.ID))
	a.ended(cl, ended)
}

func (a *App) hangupAll(legs []string) {
	for _, l := range legs {
		a.hangup(l)
	}
}

func (a *App) hangup(channel string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.media.Hangup(ctx, channel, "normal"); err != nil {
		a.log.Warn("click-to-call: hang up", "channel", channel, "err", err)
	}
}

func (a *App) emit(kind ccd.EventKind, c ccd.ClickToCall) {
	if a.cfg.Emit == nil {
		return
	}
	ev := eventlog.Event{At: a.cfg.Now().UTC(), CallID: c.ID, Kind: kind, Agent: c.Agent, Queue: c.Queue, DNIS: c.Number,
		CLID: c.CallerID, Source: eventlog.SourceACD, Node: a.cfg.Node, Key: c.ID + ":" + kind, Payload: eventlog.Payload(c)}
	if err := a.cfg.Emit(ev); err != nil {
		a.log.Error("click-to-call event not logged", "call", c.ID, "kind", kind, "err", err)
	}
}

// ended logs the end of a call and tells its requester.
func (a *App) ended(cl *call, c ccd.ClickToCall) {
	a.emit(ccd.EventClickToCallEnded, c)
	if cl.req.OnEnd != nil {
		cl.req.OnEnd(c)
	}
}

// bridgeOf is the bridge of a click-to-call.
func bridgeOf(id string) string { return "ccd-" + id }

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "c2c-" + hex.EncodeToString(b[:])
}
