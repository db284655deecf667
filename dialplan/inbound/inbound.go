// Package inbound is the application of ccd's "inbound" Stasis entry
// ("Stasis(ccd,inbound,<DNIS>)"): it routes a new caller by its dialled number
// and hands the channel to the application the route names. Today every route
// ends in a queue; an IVR or call flow will be another target of the same
// handoff.
package inbound

import (
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

// Owners is the part of the dispatcher the router uses.
type Owners interface {
	Handoff(channel string, app stasis.App)
}

// Router routes inbound callers.
type Router struct {
	table  atomic.Pointer[table]
	owners Owners
	queue  Queue
}

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
	if route, ok := t.routes.Route(in.DNIS); ok {
		in.Queue, in.Priority, in.Lookup = route.Queue, route.Priority, t.lookups[route.Index]
		if route.Greeting != "" {
			in.Greeting = []string{route.Greeting}
		}
	}
	r.owners.Handoff(ch.ID, r.queue)
	r.queue.Enqueue(in)
}

// Handle implements stasis.App. The router owns a channel only while Start
// runs, so no later event reaches it.
func (r *Router) Handle(ari.Event) {}

var _ stasis.App = (*Router)(nil)
