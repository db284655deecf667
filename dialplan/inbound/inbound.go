// Package inbound is the application of ccd's "inbound" Stasis entry
// ("Stasis(ccd,inbound,<DNIS>)"): it routes a new caller by its dialled number
// and hands the channel to the application the route names. Today every route
// ends in a queue; an IVR or call flow will be another target of the same
// handoff.
package inbound

import (
	"log/slog"
	"sync/atomic"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/dialplan/stasis"
)

// Queue is the queue application as a target of the handoff.
type Queue interface {
	stasis.App
	Enqueue(dialplan.Arrival)
}

// Flows is the call-flow application as a target of the handoff.
type Flows interface {
	stasis.App
	Enter(in dialplan.Arrival, flow string)
}

// Owners is the part of the dispatcher the router uses.
type Owners interface {
	Handoff(channel string, app stasis.App)
}

// Router routes inbound callers.
type Router struct {
	table  atomic.Pointer[table]
	owners Owners
	queue  Queue
	flows  atomic.Pointer[flowsRef]
}

type flowsRef struct{ Flows }

// SetFlows makes f the target of the routes that name a flow; until it is
// set such a caller goes to the queue application unrouted.
func (r *Router) SetFlows(f Flows) { r.flows.Store(&flowsRef{f}) }

// table is one set of routes with the database step of those that have one
// (by index in the routes); SetRoutes swaps it whole, so a caller is routed
// by one configuration, never half of two.
type table struct {
	routes  *dialplan.Router
	lookups map[int]dialplan.Lookup
}

// New compiles the routes; lookups holds the database step of the routes that
// have one, by index in routes.
func New(routes []config.Route, lookups map[int]dialplan.Lookup, owners Owners, q Queue) (*Router, error) {
	r := &Router{owners: owners, queue: q}
	if err := r.SetRoutes(routes, lookups); err != nil {
		return nil, err
	}
	return r, nil
}

// SetRoutes makes routes (and their lookups) the running ones for the next
// caller; the live configuration calls it when an admin changes a route.
func (r *Router) SetRoutes(routes []config.Route, lookups map[int]dialplan.Lookup) error {
	compiled, err := dialplan.NewRouter(routes)
	if err != nil {
		return err
	}
	r.table.Store(&table{routes: compiled, lookups: lookups})
	return nil
}

// Start implements stasis.App: the caller is routed at once (the route table
// is in memory; a database lookup runs in the queue application, with music)
// and handed over. A number with no route goes to the queue application too,
// which sends it to the default extension and counts it.
func (r *Router) Start(e *ari.StasisStart, args []string) {
	ch := e.Channel
	in := dialplan.Arrival{CallID: ch.ID, CLID: ch.Caller.Number, DNIS: ch.Dialplan.Exten, Answered: ch.State == ari.ChannelStateUp}
	// The entry's argument is the DNIS; a channel that entered with no
	// known entry is routed by the extension it dialled.
	if len(e.Args) >= 2 && e.Args[0] == "inbound" && e.Args[1] != "" {
		in.DNIS = e.Args[1]
	}
	t := r.table.Load()
	route, ok := t.routes.Route(in.DNIS)
	r.applyHeaders(&in, ch)
	if f := r.flows.Load(); ok && route.Flow != "" && f != nil {
		in.Priority = route.Priority
		r.owners.Handoff(ch.ID, f.Flows)
		f.Enter(in, route.Flow)
		return
	}
	if ok {
		in.Queue, in.Priority, in.Lookup = route.Queue, route.Priority, t.lookups[route.Index]
		if route.Greeting != "" {
			in.Greeting = []string{route.Greeting}
		}
	}
	r.owners.Handoff(ch.ID, r.queue)
	r.queue.Enqueue(in)
}

// applyHeaders takes the call data the call brought in SIP headers (the
// CCD_X_* variables of the channel): the original caller and dialled number
// (called after routing) and what the queue acts on (in.CRM).
func (r *Router) applyHeaders(in *dialplan.Arrival, ch ari.Channel) {
	if len(ch.ChannelVars) == 0 {
		return
	}
	h := dialplan.ReadHeaders(ch.ChannelVars)
	for _, p := range h.Problems {
		slog.Warn("call data in SIP headers refused", "call_id", ch.ID, "problem", p)
	}
	if h.Ani != "" {
		in.CLID = h.Ani
	}
	if h.Dnis != "" {
		in.DNIS = h.Dnis // the route was chosen by the number this call dialled
	}
	in.CRM = h.CRM
}

// Handle implements stasis.App. The router owns a channel only while Start
// runs, so no later event reaches it.
func (r *Router) Handle(ari.Event) {}

var _ stasis.App = (*Router)(nil)
