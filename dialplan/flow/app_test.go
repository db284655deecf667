package flow

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/dialplan/stasis"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/flow"
)

// fakeQueue is the queue application as the flows hand calls to it.
type fakeQueue struct {
	d        *stasis.Dispatcher
	mu       sync.Mutex
	arrivals []dialplan.Arrival
	owned    []bool
}

func (q *fakeQueue) Start(*ari.StasisStart, []string) {}
func (q *fakeQueue) Handle(ari.Event)                 {}
func (q *fakeQueue) Enqueue(in dialplan.Arrival) {
	q.mu.Lock()
	defer q.mu.Unlock()
	owner, _ := q.d.Owner(in.CallID)
	q.arrivals = append(q.arrivals, in)
	q.owned = append(q.owned, owner == stasis.App(q))
}

func (q *fakeQueue) got() []dialplan.Arrival {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]dialplan.Arrival(nil), q.arrivals...)
}

type env struct {
	t      *testing.T
	sim    *aritest.Sim
	app    *App
	queue  *fakeQueue
	flows  sync.Map // name -> *flow.Compiled
	active atomic.Bool
	mu     sync.Mutex
	events []eventlog.Event
	// query answers the flows' database steps (nil: not found).
	query func(ctx context.Context, q *flow.Query) flow.QueryResult
}

func (e *env) Run(ctx context.Context, q *flow.Query) flow.QueryResult {
	if e.query == nil {
		return flow.QueryResult{}
	}
	return e.query(ctx, q)
}

func newEnv(t *testing.T, flows ...flow.Flow) *env {
	t.Helper()
	e := &env{t: t, sim: aritest.NewSim()}
	t.Cleanup(e.sim.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	client, err := ari.Connect(ctx, e.sim.Config("ccd"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	for i, f := range flows {
		e.put(f, int64(i+1))
	}
	d := stasis.New(stasis.Config{Default: "inbound"})
	e.queue = &fakeQueue{d: d}
	e.app = New(Config{ARI: client, Owners: d, Queue: e.queue, TransferContext: "ccd-transfer",
		Flows: func(name string) (*flow.Compiled, bool) {
			c, ok := e.flows.Load(name)
			if !ok {
				return nil, false
			}
			return c.(*flow.Compiled), true
		},
		Switches:    e.switches,
		AgentNumber: func(id string) string { return map[string]string{"1001": "1001"}[id] },
		Emit:        e.emit, Location: time.UTC, Databases: e})
	d.Register("flow", e.app)
	go d.Run(client.Subscribe())
	go e.app.Run(ctx)
	if err := e.sim.WaitConnected(ctx, "ccd"); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) put(f flow.Flow, version int64) {
	c, p := flow.Compile(f, version, flow.Refs{Switch: e.switches})
	if p != nil {
		e.t.Fatal(p)
	}
	e.flows.Store(f.Name, c)
}

func (e *env) switches(n string) (flow.Switch, bool) {
	return flow.Switch{Localnumber: n, Active: e.active.Load(), ActiveGoto: "queue:day", InactiveGoto: "queue:night"}, n == "100"
}

func (e *env) emit(ev eventlog.Event) error {
	if err := ev.Validate(); err != nil {
		e.t.Errorf("invalid event: %v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, ev)
	return nil
}

func (e *env) kinds(call string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.events {
		if ev.CallID == call {
			var s ccd.FlowStep
			_ = json.Unmarshal(ev.Payload, &s)
			out = append(out, ev.Kind+":"+s.Node+s.To+"/"+s.Reason)
		}
	}
	return out
}

func (e *env) call(flowName, number string) *aritest.SimChannel {
	e.t.Helper()
	ch, err := e.sim.NewCaller(aritest.CallerOptions{Args: []string{"flow", flowName}, Number: number, Endpoint: "PJSIP/trunk"})
	if err != nil {
		e.t.Fatal(err)
	}
	return ch
}

func until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (e *env) playing(ch *aritest.SimChannel, n int) ari.Playback {
	e.t.Helper()
	var p ari.Playback
	until(e.t, "the prompt plays", func() bool {
		var ok bool
		p, ok = e.sim.Playback(playbackID(ch.ID(), 0, n))
		return ok && p.State == "playing"
	})
	return p
}

func (e *env) continuedTo(ch *aritest.SimChannel) string {
	e.t.Helper()
	var snap ari.Channel
	until(e.t, "the caller leaves the application", func() bool {
		var ok bool
		snap, ok = ch.Snapshot()
		return ok && ch.App() == ""
	})
	return snap.Dialplan.Context + "/" + snap.Dialplan.Exten
}

func mainFlow() flow.Flow {
	return flow.Flow{Name: "main", Start: "menu", Nodes: []flow.Node{
		{ID: "menu", Menu: &flow.Menu{Prompt: []string{"sound:menu"}, Timeout: 100 * time.Millisecond,
			TimeoutDest: "number:100", InvalidDest: "hangup",
			Keys: map[string]string{"1": "sales", "2": "voicemail:1001", "3": "agent:1001", "4": "flow:hours", "5": "prio"}}},
		{ID: "sales", Queue: &flow.QueueDest{Code: "sales", Priority: 2}},
		{ID: "prio", Set: &flow.Set{Field: flow.FieldPriority, Value: "1", Next: "attach"}},
		{ID: "attach", Set: &flow.Set{Field: flow.FieldAttachData, Value: "vip [callerid]", Next: "queue:support"}},
	}}
}

func hoursFlow() flow.Flow {
	return flow.Flow{Name: "hours", Start: "switch", Nodes: []flow.Node{
		{ID: "switch", Switch: &flow.SwitchNode{Switch: "100"}}}}
}

func TestMenuKeyDuringThePromptStopsItAndHandsTheCallToTheQueue(t *testing.T) {
	e := newEnv(t, mainFlow(), hoursFlow())
	ch := e.call("main", "5551234")
	p := e.playing(ch, 1)
	if len(p.MediaURI) == 0 || !strings.Contains(p.MediaURI, "sound:menu") {
		t.Fatalf("playback %+v", p)
	}
	if ch.State() != ari.ChannelStateUp {
		t.Fatalf("the caller is not answered: %s", ch.State())
	}
	if err := ch.SendDTMF("1"); err != nil {
		t.Fatal(err)
	}
	until(t, "the call reaches the queue", func() bool { return len(e.queue.got()) == 1 })
	a := e.queue.got()[0]
	if a.Queue != "sales" || a.Priority != 2 || a.CLID != "5551234" || !e.queue.owned[0] {
		t.Fatalf("arrival %+v, owned by the queue %v", a, e.queue.owned)
	}
	until(t, "the prompt stops", func() bool { _, ok := e.sim.Playback(p.ID); return !ok })
	want := []string{"flow.entered:/", "flow.node_entered:menu/", "call.profile_changed:/", "flow.node_left:menusales/key 1",
		"flow.node_entered:sales/", "flow.left:queue:sales/"}
	if got := e.kinds(ch.ID()); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("events\n%v\nwant\n%v", got, want)
	}
}

func TestProfilePriorityAndAttachDataReachTheQueue(t *testing.T) {
	e := newEnv(t, mainFlow(), hoursFlow())
	ch := e.call("main", "5551234")
	e.playing(ch, 1)
	_ = ch.SendDTMF("5")
	until(t, "the call reaches the queue", func() bool { return len(e.queue.got()) == 1 })
	if a := e.queue.got()[0]; a.Queue != "support" || a.Priority != 1 || a.AttachData != "vip 5551234" {
		t.Fatalf("arrival %+v", a)
	}
}

func TestMenuTimeoutContinuesInTheTransferContext(t *testing.T) {
	e := newEnv(t, mainFlow(), hoursFlow())
	ch := e.call("main", "5551234")
	p := e.playing(ch, 1)
	if err := e.sim.FinishPlayback(p.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.continuedTo(ch); got != "ccd-transfer/100" {
		t.Fatalf("continued to %s", got)
	}
}

func TestVoicemailAgentAndAnotherFlow(t *testing.T) {
	e := newEnv(t, mainFlow(), hoursFlow())
	ch := e.call("main", "1")
	e.playing(ch, 1)
	_ = ch.SendDTMF("2")
	if got := e.continuedTo(ch); got != "ccd-transfer/"+VoicemailExtension {
		t.Fatalf("voicemail continued to %s", got)
	}
	if v, _ := ch.Variable("CCD_VOICEMAIL"); v != "1001" {
		t.Fatalf("CCD_VOICEMAIL = %q", v)
	}
	ch = e.call("main", "2")
	e.playing(ch, 1)
	_ = ch.SendDTMF("3")
	if got := e.continuedTo(ch); got != "ccd-transfer/1001" {
		t.Fatalf("agent continued to %s", got)
	}
	e.active.Store(true)
	ch = e.call("main", "3")
	e.playing(ch, 1)
	_ = ch.SendDTMF("4")
	until(t, "the call reaches the queue", func() bool { return len(e.queue.got()) == 1 })
	if a := e.queue.got()[0]; a.Queue != "day" || a.CLID != "3" {
		t.Fatalf("after the switch: %+v", a)
	}
}

func TestHTTPModuleSetsTheCallersNameAndACallerWhoHangsUpCancelsTheRequest(t *testing.T) {
	var cancelled atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/dynamic.php":
			_, _ = w.Write([]byte(" callerName=hovednummer&gotolocalnumber=2000"))
		case "/hang":
			<-r.Context().Done()
			cancelled.Store(true)
		}
	}))
	defer srv.Close()
	e := newEnv(t,
		flow.Flow{Name: "dyn", Start: "m", Nodes: []flow.Node{
			{ID: "m", HTTP: &flow.HTTP{URL: srv.URL + "/dynamic.php?c=[callerid]", Action: "dynamic", Goto: "hangup"}},
			{ID: "2000", Queue: &flow.QueueDest{Code: "main"}}}},
		flow.Flow{Name: "hang", Start: "m", Nodes: []flow.Node{
			{ID: "m", HTTP: &flow.HTTP{URL: srv.URL + "/hang", Action: "goto", Goto: "hangup", Timeout: time.Minute}}}})
	ch := e.call("dyn", "86515151")
	until(t, "the call reaches the queue", func() bool { return len(e.queue.got()) == 1 })
	if v, _ := ch.Variable("CALLERID(name)"); v != "hovednummer" {
		t.Fatalf("caller name on the channel %q", v)
	}
	ch = e.call("hang", "1")
	until(t, "the request is made", func() bool { return e.app.Stats.HTTPRequests.Load() == 2 })
	if err := ch.Hangup(16); err != nil {
		t.Fatal(err)
	}
	until(t, "the request is cancelled", cancelled.Load)
	until(t, "the node is left as abandoned", func() bool {
		k := e.kinds(ch.ID())
		return len(k) > 0 && k[len(k)-1] == "flow.node_left:mhangup/abandoned"
	})
}

func TestCallsFinishOnTheVersionTheyStartedWith(t *testing.T) {
	e := newEnv(t, mainFlow(), hoursFlow())
	ch := e.call("main", "1")
	e.playing(ch, 1)
	edited := mainFlow()
	edited.Nodes[1].Queue.Code = "edited"
	e.put(edited, 9)
	_ = ch.SendDTMF("1")
	until(t, "the call reaches the queue", func() bool { return len(e.queue.got()) == 1 })
	if a := e.queue.got()[0]; a.Queue != "sales" {
		t.Fatalf("a call that started on version 1 went to %s", a.Queue)
	}
	ch = e.call("main", "2")
	e.playing(ch, 1)
	_ = ch.SendDTMF("1")
	until(t, "the call reaches the queue", func() bool { return len(e.queue.got()) == 2 })
	if a := e.queue.got()[1]; a.Queue != "edited" {
		t.Fatalf("a new call went to %s", a.Queue)
	}
}

func TestUnknownFlowHangsUp(t *testing.T) {
	e := newEnv(t, mainFlow())
	ch := e.call("nope", "1")
	until(t, "the caller is hung up", func() bool { return !ch.Exists() })
}

func TestAFlowHandingToAnotherStopsThePromptAndKeepsTheProfile(t *testing.T) {
	second := flow.Flow{Name: "second", Start: "m", Nodes: []flow.Node{
		{ID: "m", Menu: &flow.Menu{Prompt: []string{"sound:second"}, TimeoutDest: "hangup", InvalidDest: "hangup",
			Keys: map[string]string{"1": "queue:done"}}}}}
	first := flow.Flow{Name: "first", Start: "m", Nodes: []flow.Node{
		{ID: "m", Menu: &flow.Menu{Prompt: []string{"sound:first"}, TimeoutDest: "hangup", InvalidDest: "hangup",
			Keys: map[string]string{"7": "flow:second"}}}}}
	e := newEnv(t, first, second)
	ch := e.call("first", "5551234")
	p := e.playing(ch, 1)
	_ = ch.SendDTMF("7")
	until(t, "the second flow's prompt plays", func() bool {
		q, ok := e.sim.Playback(playbackID(ch.ID(), 1, 1))
		return ok && q.State == "playing" && strings.Contains(q.MediaURI, "sound:second")
	})
	if _, ok := e.sim.Playback(p.ID); ok {
		t.Fatal("the first flow's prompt still plays")
	}
	_ = ch.SendDTMF("1")
	until(t, "the call reaches the queue", func() bool { return len(e.queue.got()) == 1 })
	if a := e.queue.got()[0]; a.Queue != "done" || a.CLID != "5551234" {
		t.Fatalf("arrival %+v", a)
	}
}

func TestFlowsHandingTheCallInACircleHangItUp(t *testing.T) {
	a := flow.Flow{Name: "a", Start: "x", Nodes: []flow.Node{{ID: "x", Flow: "b"}}}
	b := flow.Flow{Name: "b", Start: "x", Nodes: []flow.Node{{ID: "x", Flow: "a"}}}
	e := newEnv(t, a, b)
	ch := e.call("a", "1")
	until(t, "the caller is hung up", func() bool { return !ch.Exists() })
}

// step returns the payload of call's last event of kind.
func (e *env) step(call, kind string) (eventlog.Event, ccd.FlowStep, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(e.events) - 1; i >= 0; i-- {
		if ev := e.events[i]; ev.CallID == call && ev.Kind == kind {
			var s ccd.FlowStep
			_ = json.Unmarshal(ev.Payload, &s)
			return ev, s, true
		}
	}
	return eventlog.Event{}, ccd.FlowStep{}, false
}

// The statistics read a call's attached data (Adata1, Adata2) from the
// profile fields its flow names, where it leaves the flows: on flow.left,
// and on the node_left of a caller who hangs up; every event carries the
// number the caller called from, even after a module changed the caller id.
func TestTheFlowsAttachedDataAndTheCallersNumberReachTheLog(t *testing.T) {
	f := mainFlow()
	f.Adata = []string{flow.FieldCallerName, flow.FieldAttachData}
	e := newEnv(t, f, hoursFlow())
	ch := e.call("main", "5551234")
	e.playing(ch, 1)
	_ = ch.SendDTMF("5")
	until(t, "the call reaches the queue", func() bool { return len(e.queue.got()) == 1 })
	ev, st, ok := e.step(ch.ID(), ccd.EventFlowLeft)
	if !ok || st.To != "queue:support" || st.Adata1 != "" || st.Adata2 != "vip 5551234" || ev.CLID != "5551234" {
		t.Fatalf("flow.left %+v (clid %q)", st, ev.CLID)
	}

	d := newEnv(t, mainFlow(), hoursFlow()) // default: attach_data, customer_number
	ch = d.call("main", "5550000")
	d.playing(ch, 1)
	if err := ch.Hangup(16); err != nil {
		t.Fatal(err)
	}
	until(t, "the abandon is logged", func() bool {
		_, st, ok := d.step(ch.ID(), ccd.EventFlowNodeOut)
		return ok && st.Reason == "abandoned"
	})
	if ev, _, _ := d.step(ch.ID(), ccd.EventFlowEntered); ev.CLID != "5550000" {
		t.Fatalf("flow.entered carries clid %q", ev.CLID)
	}
}

// A circle of flows is logged as a failed step without a node, so the
// statistics see the call end there.
func TestACircleOfFlowsIsLogged(t *testing.T) {
	a := flow.Flow{Name: "a", Start: "x", Nodes: []flow.Node{{ID: "x", Flow: "b"}}}
	b := flow.Flow{Name: "b", Start: "x", Nodes: []flow.Node{{ID: "x", Flow: "a"}}}
	e := newEnv(t, a, b)
	ch := e.call("a", "1")
	until(t, "the circle is logged", func() bool {
		_, st, ok := e.step(ch.ID(), ccd.EventFlowStepFailed)
		return ok && st.Node == "" && strings.Contains(st.Reason, "circle")
	})
}

// A database step runs off the call's loop with the profile's values; a
// found row goes into the profile (and from there to the queue), and a
// caller who hangs up while it runs cancels it.
func TestDatabaseStepStoresTheRowAndACallerWhoHangsUpCancelsIt(t *testing.T) {
	f := flow.Flow{Name: "crm", Start: "look", Nodes: []flow.Node{
		{ID: "look", Database: &flow.Database{Database: "crm", Query: "select attach_data from c where phone = %ani%",
			Found: "queue:sales", NotFound: "queue:support", Error: "hangup"}},
	}}
	e := newEnv(t, f)
	cancelled := make(chan struct{})
	e.query = func(ctx context.Context, q *flow.Query) flow.QueryResult {
		if q.Values[flow.FieldANI] == "0699" {
			<-ctx.Done() // a CRM that hangs
			close(cancelled)
			return flow.QueryResult{Err: ctx.Err()}
		}
		return flow.QueryResult{Found: q.Values[flow.FieldANI] == "0611", Columns: map[string]string{"attach_data": "gold|A-1"}}
	}
	e.call("crm", "0611")
	until(t, "the call reaches the queue", func() bool { return len(e.queue.got()) == 1 })
	if a := e.queue.got()[0]; a.Queue != "sales" || a.AttachData != "gold|A-1" {
		t.Fatalf("arrival %+v", a)
	}
	e.call("crm", "0622")
	until(t, "the unknown caller reaches the queue", func() bool { return len(e.queue.got()) == 2 })
	if a := e.queue.got()[1]; a.Queue != "support" {
		t.Fatalf("arrival %+v", a)
	}
	ch := e.call("crm", "0699")
	until(t, "the step runs", func() bool { return e.app.Stats.Queries.Load() == 3 })
	if err := ch.Hangup(16); err != nil {
		t.Fatal(err)
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the step was not cancelled when the caller hung up")
	}
}

// A database step or an HTTP module that is slow to answer plays music on
// hold to the caller (never silence), which stops when the answer comes;
// the step still goes where its answer says.
func TestSlowStepsPlayMusicOnHoldUntilTheyAnswer(t *testing.T) {
	releaseHTTP := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-releaseHTTP
		_, _ = w.Write([]byte("callerName=slow"))
	}))
	defer srv.Close()
	f := flow.Flow{Name: "slow", Start: "look", Nodes: []flow.Node{
		{ID: "look", Database: &flow.Database{Database: "crm", Query: "select attach_data from c where phone = %ani%",
			Found: "check", NotFound: "hangup", Error: "hangup"}},
		{ID: "check", HTTP: &flow.HTTP{URL: srv.URL + "/x.php?c=[callerid]", Action: "dynamic", Goto: "q", Timeout: time.Minute}},
		{ID: "q", Queue: &flow.QueueDest{Code: "sales"}},
	}}
	e := newEnv(t, f)
	releaseDB := make(chan struct{})
	e.query = func(ctx context.Context, q *flow.Query) flow.QueryResult {
		<-releaseDB
		return flow.QueryResult{Found: true, Columns: map[string]string{"attach_data": "gold"}}
	}
	ch := e.call("slow", "0611")
	moh := func() bool { on, _ := ch.MOH(); return on }
	until(t, "music plays during the database step", moh)
	if _, class := ch.MOH(); class != "default" {
		t.Fatalf("music class %q", class)
	}
	close(releaseDB)
	until(t, "the HTTP module runs", func() bool { return e.app.Stats.HTTPRequests.Load() == 1 })
	until(t, "music plays during the HTTP request", moh)
	close(releaseHTTP)
	until(t, "the call reaches the queue", func() bool { return len(e.queue.got()) == 1 })
	until(t, "the music stops", func() bool { return !moh() })
	if a := e.queue.got()[0]; a.Queue != "sales" || a.AttachData != "gold" {
		t.Fatalf("arrival %+v", a)
	}
	if v, _ := ch.Variable("CALLERID(name)"); v != "slow" {
		t.Fatalf("caller name %q", v)
	}
}

// A caller who floods a menu with keys (a stuck key, a fax tone decoder,
// an attack) is handed on once, by the first key; the keys after it are
// ignored, and the application goes on serving the next caller, whose
// start comes after the whole flood in the event order.
func TestDTMFFloodHandsTheCallOnOnce(t *testing.T) {
	e := newEnv(t, mainFlow(), hoursFlow())
	ch := e.call("main", "5551234")
	e.playing(ch, 1)
	if err := ch.SendDTMF(strings.Repeat("1", 5000)); err != nil {
		t.Fatal(err)
	}
	next := e.call("main", "5559999")
	e.playing(next, 1)
	if err := next.SendDTMF("1"); err != nil {
		t.Fatal(err)
	}
	until(t, "the second caller reaches the queue", func() bool { return len(e.queue.got()) >= 2 })
	if got := e.queue.got(); len(got) != 2 || got[0].CLID != "5551234" || got[1].CLID != "5559999" {
		t.Fatalf("arrivals %+v, want each caller once", got)
	}
}
