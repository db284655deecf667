package inbound

import (
	"context"
	"slices"
	"testing"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/dialplan/stasis"
)

type fakeQueue struct {
	owners   *fakeOwners
	arrivals []dialplan.Arrival
	ownedAt  []bool // whether the channel was the queue's when it arrived
}

func (q *fakeQueue) Start(*ari.StasisStart, []string) {}
func (q *fakeQueue) Handle(ari.Event)                 {}
func (q *fakeQueue) Enqueue(in dialplan.Arrival) {
	q.arrivals = append(q.arrivals, in)
	q.ownedAt = append(q.ownedAt, q.owners.owner[in.CallID] == stasis.App(q))
}

type fakeOwners struct{ owner map[string]stasis.App }

func (o *fakeOwners) Handoff(ch string, app stasis.App) { o.owner[ch] = app }

func TestRoutesByDNISAndHandsOverToTheQueue(t *testing.T) {
	owners := &fakeOwners{owner: map[string]stasis.App{}}
	q := &fakeQueue{owners: owners}
	lookup := func(context.Context, string, string, string) (string, int, string, error) { return "", 0, "", nil }
	r, err := New([]config.Route{
		{DNIS: "100", Queue: "sales", Greeting: "sound:hello"},
		{DNIS: "^2..$", Queue: "support", Priority: 2},
	}, map[int]dialplan.Lookup{1: lookup}, owners, q)
	if err != nil {
		t.Fatal(err)
	}
	caller := func(id, exten string, args ...string) *ari.StasisStart {
		return &ari.StasisStart{Args: args, Channel: ari.Channel{ID: id, Caller: ari.CallerID{Number: "555"},
			Dialplan: ari.DialplanCEP{Exten: exten}}}
	}
	r.Start(caller("c1", "s", "inbound", "100"), []string{"100"})
	r.Start(caller("c2", "201", "other"), []string{"other"}) // no entry: routed by the dialled extension
	r.Start(caller("c3", "s", "inbound", "999"), []string{"999"})

	if len(q.arrivals) != 3 || !slices.Equal(q.ownedAt, []bool{true, true, true}) {
		t.Fatalf("arrivals %+v, owned by the queue when they arrived %v", q.arrivals, q.ownedAt)
	}
	a1, a2, a3 := q.arrivals[0], q.arrivals[1], q.arrivals[2]
	if a1.Queue != "sales" || a1.Priority != 5 || a1.DNIS != "100" || a1.CLID != "555" || !slices.Equal(a1.Greeting, []string{"sound:hello"}) || a1.Lookup != nil {
		t.Fatalf("first arrival %+v", a1)
	}
	if a2.Queue != "support" || a2.Priority != 2 || a2.DNIS != "201" || a2.Lookup == nil {
		t.Fatalf("second arrival %+v", a2)
	}
	if a3.Queue != "" || a3.DNIS != "999" {
		t.Fatalf("a number with no route must arrive unrouted: %+v", a3)
	}
}

type fakeFlows struct {
	owners  *fakeOwners
	entered []string
	owned   []bool
}

func (f *fakeFlows) Start(*ari.StasisStart, []string) {}
func (f *fakeFlows) Handle(ari.Event)                 {}
func (f *fakeFlows) Enter(in dialplan.Arrival, name string) {
	f.entered = append(f.entered, in.CallID+">"+name)
	f.owned = append(f.owned, f.owners.owner[in.CallID] == stasis.App(f))
}

func TestARouteToAFlowHandsTheCallToTheFlowApplication(t *testing.T) {
	owners := &fakeOwners{owner: map[string]stasis.App{}}
	q := &fakeQueue{owners: owners}
	r, err := New([]config.Route{{DNIS: "100", Flow: "main"}, {DNIS: "200", Queue: "sales"}}, nil, owners, q)
	if err != nil {
		t.Fatal(err)
	}
	fl := &fakeFlows{owners: owners}
	r.SetFlows(fl)
	start := func(id, dnis string) {
		r.Start(&ari.StasisStart{Args: []string{"inbound", dnis}, Channel: ari.Channel{ID: id}}, []string{dnis})
	}
	start("c1", "100")
	start("c2", "200")
	if !slices.Equal(fl.entered, []string{"c1>main"}) || !slices.Equal(fl.owned, []bool{true}) {
		t.Fatalf("flows got %v (owned %v)", fl.entered, fl.owned)
	}
	if len(q.arrivals) != 1 || q.arrivals[0].CallID != "c2" {
		t.Fatalf("queue got %+v", q.arrivals)
	}
}
