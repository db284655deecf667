package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/dialplan/inbound"
	"github.com/ccdhq/ccd/dialplan/media"
	"github.com/ccdhq/ccd/dialplan/stasis"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/apitest"
)

// env is a queue application against the ARI simulation.
type env struct {
	t          testing.TB
	sim        *aritest.Sim
	ctx        context.Context
	client     *ari.Client
	app        *App
	dispatcher *stasis.Dispatcher
	stop       context.CancelFunc
	ran        chan struct{}

	mu     sync.Mutex
	events []eventlog.Event
	// offersStarted: what the application told Config.OfferStarted.
	offersStarted []time.Duration
}

func testACD() config.ACD {
	return config.ACD{
		DefaultExtension: "0",
		Routes: []config.Route{
			{DNIS: "100", Queue: "sales"},
			{DNIS: "200", Queue: "support", Priority: 2},
		},
		Queues: []config.Queue{
			{Code: "sales", Skills: map[string]int{"sales": 1}, RingTimeout: 400 * time.Millisecond, WrapUp: 300 * time.Millisecond,
				Record: true, MOHClass: "sales"},
			{Code: "support", Skills: map[string]int{"support": 1}, RingTimeout: 400 * time.Millisecond},
		},
		Agents: []config.Agent{
			{ID: "a1", Endpoint: "PJSIP/1001", Skills: map[string]int{"sales": 5}},
			{ID: "a2", Endpoint: "PJSIP/1002", Skills: map[string]int{"sales": 2, "support": 5}},
		},
	}
}

func newEnv(t *testing.T, sim *aritest.Sim, cfg config.ACD, restore []eventlog.Event) *env {
	t.Helper()
	return start(t, sim, cfg, restore, nil)
}

func newEnvWith(t *testing.T, sim *aritest.Sim, cfg config.ACD, lookups map[int]dialplan.Lookup) *env {
	t.Helper()
	return start(t, sim, cfg, nil, lookups)
}

func start(t testing.TB, sim *aritest.Sim, cfg config.ACD, restore []eventlog.Event, lookups map[int]dialplan.Lookup) *env {
	t.Helper()
	e := load(t, sim, cfg, restore, lookups)
	e.reconcile()
	return e
}

// load starts the application and loads its state from restore, as the daemon
// does at start; the calls wait for reconcile.
func load(t testing.TB, sim *aritest.Sim, cfg config.ACD, restore []eventlog.Event, lookups map[int]dialplan.Lookup) *env {
	t.Helper()
	return loadWith(t, sim, sim.Config("ccd"), cfg, restore, lookups, nil)
}

// newEnvOn is newEnv with the application on the clock now: its timers (ring
// timeouts, wrap-up) expire only when the test moves the clock (env.pass).
func newEnvOn(t *testing.T, sim *aritest.Sim, cfg config.ACD, now func() time.Time) *env {
	t.Helper()
	e := loadWith(t, sim, sim.Config("ccd"), cfg, nil, nil, now)
	e.reconcile()
	return e
}

// loadWith is load with the ARI client's configuration given, and the
// application's clock (time.Now when nil).
func loadWith(t testing.TB, sim *aritest.Sim, ariCfg ari.Config, cfg config.ACD, restore []eventlog.Event, lookups map[int]dialplan.Lookup,
	now func() time.Time) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	e := &env{t: t, sim: sim, ctx: ctx, ran: make(chan struct{})}
	// Wait for this client's own websocket, as the daemon does (OnConnect),
	// not for sim.WaitConnected: after a restart the simulation may still
	// hold the previous client's websocket for a moment, and the events sent
	// to it are lost.
	attached, connected := make(chan struct{}), make(chan struct{}, 1)
	// The events reach the dispatcher as in the daemon: from the client's
	// reader, through OnEvent; they flow once OnConnect has returned.
	var d atomic.Pointer[stasis.Dispatcher]
	ariCfg.OnEvent = func(ev ari.Event) {
		if d := d.Load(); d != nil {
			d.Dispatch(ev)
		}
	}
	onConnect := ariCfg.OnConnect
	ariCfg.OnConnect = func(ctx context.Context, c *ari.Client, inApp []ari.Channel) {
		select {
		case <-attached:
		case <-ctx.Done():
			return
		}
		if onConnect != nil {
			onConnect(ctx, c, inApp)
		}
		select {
		case connected <- struct{}{}:
		default: // a reconnect later in the test
		}
	}
	c, err := ari.Connect(ctx, ariCfg)
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	e.dispatcher = dispatcher(t, c, cfg, e.emit, lookups, now, func(a *App) { e.app = a }, e.offerStarted)
	d.Store(e.dispatcher)
	close(attached)
	select {
	case <-connected:
	case <-ctx.Done():
		t.Fatal("the ARI websocket did not connect")
	}
	until(t, "the client reports the link up", func() bool { return c.Status().Connected })
	runCtx, stop := context.WithCancel(ctx)
	e.stop = stop
	go func() { defer close(e.ran); e.app.Run(runCtx) }()
	t.Cleanup(e.close)
	if err := e.app.Load(ctx, restore); err != nil {
		t.Fatal(err)
	}
	return e
}

// dispatcher wires the Stasis application as the daemon does: the dispatcher,
// the inbound router and the queue application (given to set before the first
// event can reach it), on the clock now (time.Now when nil). The caller feeds
// the dispatcher the client's events.
func dispatcher(t testing.TB, c *ari.Client, cfg config.ACD, emit func(eventlog.Event) error, lookups map[int]dialplan.Lookup,
	now func() time.Time, set func(*App), offerStarted func(time.Duration)) *stasis.Dispatcher {
	t.Helper()
	tk := &media.Toolkit{ARI: c, App: "ccd"}
	d := stasis.New(stasis.Config{Default: "inbound",
		Hangup: func(ch string) { _ = tk.Hangup(context.Background(), ch, "normal") }})
	app, err := New(Config{ACD: cfg, ARI: c, App: "ccd", Owners: d, Emit: emit, Now: now, OfferStarted: offerStarted})
	if err != nil {
		t.Fatal(err)
	}
	set(app)
	d.SetFallback(app)
	in, err := inbound.New(cfg.Routes, lookups, d, app)
	if err != nil {
		t.Fatal(err)
	}
	d.Register("inbound", in)
	d.Register("queue", app)
	d.Register("agent", app)
	return d
}

// reconcile tells the application which channels are in the Stasis
// application, as the daemon does at each ARI connection.
func (e *env) reconcile() {
	e.t.Helper()
	chans, err := e.client.ListChannels(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var inApp []ari.Channel
	for i := range chans {
		if ari.InApplication(&chans[i], "ccd") {
			inApp = append(inApp, chans[i])
		}
	}
	if err := e.app.Reconcile(e.ctx, inApp); err != nil {
		e.t.Fatal(err)
	}
}

// pass moves the application's clock (newEnvOn) by d and has the loop look
// at its timers.
func (e *env) pass(clock *apitest.Clock, d time.Duration) {
	clock.Add(d)
	e.app.send(func() {}) // the loop checks its deadlines after every input
}

func (e *env) close() {
	e.stop()
	<-e.ran
	e.client.Close()
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

func (e *env) log() []eventlog.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]eventlog.Event(nil), e.events...)
}

// waitEvent waits for an event of kind about call (and agent, when given).
func (e *env) waitEvent(kind, call, agent string) acd.Event {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, ev := range FromLog(e.log()) {
			if ev.Kind == kind && (call == "" || ev.CallID == call) && (agent == "" || ev.Agent == agent) {
				return ev
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("no %s for call %q agent %q; log: %s", kind, call, agent, e.kinds())
	return acd.Event{}
}

func (e *env) kinds() string {
	var b []string
	for _, ev := range e.log() {
		b = append(b, ev.Kind+":"+ev.CallID+ev.Agent)
	}
	return strings.Join(b, " ")
}

func (e *env) ended(call string) acd.Call {
	e.t.Helper()
	return *e.waitEvent("call.ended", call, "").Data.Summary
}

func (e *env) login(id string) {
	e.t.Helper()
	if err := e.app.Login(e.ctx, id, ""); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) caller(id, dnis string) *aritest.SimChannel {
	e.t.Helper()
	c, err := e.sim.NewCaller(aritest.CallerOptions{Args: []string{"inbound", dnis}, Number: "5550" + id, ChannelID: id,
		Endpoint: "PJSIP/trunk"})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func answering(sim *aritest.Sim, endpoints ...string) {
	for _, ep := range endpoints {
		sim.SetEndpoint(ep, aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 30 * time.Millisecond})
	}
}

func TestAnsweredCallIsBridgedRecordedAndWrappedUp(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	answering(sim, "PJSIP/1001")
	e := newEnv(t, sim, testACD(), nil)
	e.login("a1")
	caller := e.caller("c1", "100")
	ans := e.waitEvent("call.answered", "c1", "a1")
	until(t, "caller and agent share a bridge", func() bool {
		b := caller.BridgeID()
		return b != "" && b == sim.Channel(ans.Data.Channel).BridgeID()
	})
	rec := e.waitEvent("call.recording", "c1", "")
	if !strings.Contains(rec.Data.Recording, "sales-c1") {
		t.Fatalf("recording name %q", rec.Data.Recording)
	}
	until(t, "the bridge is being recorded", func() bool {
		_, ok := sim.LiveRecording(rec.Data.Recording)
		return ok
	})
	if on, _ := caller.MOH(); on {
		t.Fatal("the caller still hears music while talking")
	}
	if err := caller.Hangup(16); err != nil {
		t.Fatal(err)
	}
	s := e.ended("c1")
	if s.EndType != acd.EndTalked || s.Agent != "a1" || s.Queue != "sales" || s.DNIS != "100" || s.CLID != "5550c1" || s.Recording == "" {
		t.Fatalf("summary %+v", s)
	}
	until(t, "the agent's channel is hung up", func() bool { return !sim.Channel(ans.Data.Channel).Exists() })
	e.waitEvent("agent.wrap_up", "", "a1")
	until(t, "a1 ready after wrap-up", func() bool {
		st, _ := e.app.Agent(e.ctx, "a1")
		return st.State == acd.Ready
	})
	until(t, "the recording is stored", func() bool { return len(sim.StoredRecordings()) == 1 })
}

func TestAbandonedInQueueWithMusic(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	e := newEnv(t, sim, testACD(), nil)
	caller := e.caller("c1", "100")
	e.waitEvent("call.queued", "c1", "")
	until(t, "music on hold of the queue's class", func() bool {
		on, class := caller.MOH()
		return on && class == "sales"
	})
	time.Sleep(50 * time.Millisecond)
	if err := caller.Hangup(16); err != nil {
		t.Fatal(err)
	}
	s := e.ended("c1")
	if s.EndType != acd.EndAbandoned || s.AbandonedAt.IsZero() {
		t.Fatalf("summary %+v", s)
	}
	if w := e.waitEvent("call.abandoned", "c1", "").Data.WaitedMS; w < 50 {
		t.Fatalf("waited %d ms", w)
	}
}

func TestAbandonedWhileRinging(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointRing})
	e := newEnv(t, sim, testACD(), nil)
	e.login("a1")
	caller := e.caller("c1", "100")
	ring := e.waitEvent("call.ringing", "c1", "a1")
	until(t, "the agent's phone rings", func() bool { return sim.Channel(ring.Data.Channel).Exists() })
	if err := caller.Hangup(16); err != nil {
		t.Fatal(err)
	}
	if s := e.ended("c1"); s.EndType != acd.EndAbandonedRinging {
		t.Fatalf("summary %+v", s)
	}
	until(t, "the ringing is cancelled", func() bool { return !sim.Channel(ring.Data.Channel).Exists() })
	st, _ := e.app.Agent(e.ctx, "a1")
	if st.State != acd.Ready {
		t.Fatalf("a1 is %s", st.State)
	}
}

// The ring timeout runs on the application's clock, which only the test moves:
// a2's answer, however late a loaded machine delivers it, never races a2's
// own ring timeout.
func TestRingNoAnswerThenSecondAgentAndBusy(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointRing})
	answering(sim, "PJSIP/1002")
	clock := apitest.NewClock()
	e := newEnvOn(t, sim, testACD(), clock.Now)
	e.login("a1")
	e.caller("c1", "100")
	e.waitEvent("call.ringing", "c1", "a1")
	e.login("a2") // ready now; the call still rings at a1
	e.pass(clock, testACD().Queues[0].RingTimeout)
	ret := e.waitEvent("call.returned", "c1", "a1")
	if ret.Data.Reason != acd.NoAnswer {
		t.Fatalf("returned %+v", ret.Data)
	}
	e.waitEvent("call.answered", "c1", "a2")
	st, _ := e.app.Agent(e.ctx, "a1")
	if st.State != acd.NotReady || st.Activity != acd.NoAnswer {
		t.Fatalf("a1 after no answer: %+v", st)
	}

	sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointBusy})
	if err := e.app.Ready(e.ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	e.caller("c2", "100")
	if r := e.waitEvent("call.returned", "c2", "a1"); r.Data.Reason != acd.Busy {
		t.Fatalf("busy phone returned %+v", r.Data)
	}
}

func TestOverflowByTime(t *testing.T) {
	for _, expand := range []bool{false, true} {
		t.Run(fmt.Sprint("expand=", expand), func(t *testing.T) {
			sim := aritest.NewSim()
			defer sim.Close()
			answering(sim, "PJSIP/1001", "PJSIP/1002")
			cfg := testACD()
			cfg.Queues[0].Overflow = []config.Overflow{{AfterWait: 200 * time.Millisecond, ToQueue: "support", Expand: expand}}
			e := newEnv(t, sim, cfg, nil)
			e.caller("c1", "100")
			ov := e.waitEvent("call.overflowed", "c1", "")
			if ov.Data.To != "support" || ov.Data.Reason != acd.ReasonTime || ov.Data.Expand != expand {
				t.Fatalf("overflow %+v", ov.Data)
			}
			// a1 serves sales only: with search expansion the call is still
			// there and is answered as a backflow.
			e.login("a1")
			if expand {
				e.waitEvent("call.answered", "c1", "a1")
			} else {
				time.Sleep(100 * time.Millisecond)
				e.login("a2")
				e.waitEvent("call.answered", "c1", "a2")
			}
			if err := sim.Channel("c1").Hangup(16); err != nil {
				t.Fatal(err)
			}
			s := e.ended("c1")
			if s.QueueHops != 1 || s.InitialQueue != "sales" || s.Backflow != expand {
				t.Fatalf("summary %+v", s)
			}
		})
	}
}

func TestTransferHoldAndUnrouted(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	answering(sim, "PJSIP/1001", "PJSIP/1002")
	e := newEnv(t, sim, testACD(), nil)
	e.login("a1")
	e.caller("c1", "100")
	ans := e.waitEvent("call.answered", "c1", "a1")
	agentLeg := sim.Channel(ans.Data.Channel)
	until(t, "bridged", func() bool { return agentLeg.BridgeID() != "" })
	if err := agentLeg.Hold(); err != nil {
		t.Fatal(err)
	}
	e.waitEvent("call.hold", "c1", "")
	time.Sleep(30 * time.Millisecond)
	if err := agentLeg.Unhold(); err != nil {
		t.Fatal(err)
	}
	if h := e.waitEvent("call.unhold", "c1", ""); h.Data.HoldMS < 30 {
		t.Fatalf("hold %d ms", h.Data.HoldMS)
	}
	e.login("a2")
	if err := e.app.Transfer(e.ctx, "c1", "support", ""); err != nil {
		t.Fatal(err)
	}
	e.waitEvent("call.transferred", "c1", "a1")
	e.waitEvent("call.answered", "c1", "a2")
	until(t, "a1's leg is hung up", func() bool { return !agentLeg.Exists() })
	if err := sim.Channel("c1").Hangup(16); err != nil {
		t.Fatal(err)
	}
	s := e.ended("c1")
	if s.Agent != "a2" || s.Queue != "support" || s.QueueHops != 1 || s.Holds != 1 {
		t.Fatalf("summary %+v", s)
	}
	if err := e.app.Transfer(e.ctx, "c1", "support", ""); err == nil {
		t.Fatal("transfer of an ended call")
	}

	e.caller("c9", "999") // no route
	e.waitEvent("call.to_default", "c9", "")
	if s := e.ended("c9"); s.EndType != acd.EndTransferred || s.TransferTo != "0" {
		t.Fatalf("unrouted %+v", s)
	}
}

func TestRestartKeepsWaitingAndConnectedCallers(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	answering(sim, "PJSIP/1001")
	e := newEnv(t, sim, testACD(), nil)
	e.login("a1")
	e.caller("talk", "100")
	ans := e.waitEvent("call.answered", "talk", "a1")
	until(t, "bridged", func() bool { return sim.Channel("talk").BridgeID() != "" })
	e.caller("wait", "100")
	e.waitEvent("call.queued", "wait", "")
	e.close() // ccd stops; the callers stay in Stasis

	if !sim.Channel("talk").Exists() || !sim.Channel("wait").Exists() {
		t.Fatal("a caller was dropped by the stop")
	}
	e2 := newEnv(t, sim, testACD(), e.log())
	st, _ := e2.app.Agent(e2.ctx, "a1")
	if st.State != acd.OnCall || st.CallID != "talk" {
		t.Fatalf("a1 after the restart: %+v", st)
	}
	calls, _ := e2.app.Calls(e2.ctx)
	if len(calls) != 2 {
		t.Fatalf("calls after the restart: %+v", calls)
	}
	// The agent hangs up: the restored call ends and the waiting one is offered.
	if err := sim.Channel(ans.Data.Channel).Hangup(16); err != nil {
		t.Fatal(err)
	}
	if s := e2.ended("talk"); s.EndType != acd.EndTalked || s.Agent != "a1" || s.AnsweredAt.IsZero() {
		t.Fatalf("summary %+v", s)
	}
	e2.waitEvent("call.answered", "wait", "a1")
}

// After a restart the state is loaded from the log before Asterisk is asked:
// agents act at once, and the calls of the last run are checked against the
// Stasis application only at reconcile. A caller who hung up while ccd was
// down is closed as abandoned; one still in the application waits again and is
// offered.
func TestLoadThenReconcileWithCallersGoneAndStillThere(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	answering(sim, "PJSIP/1001", "PJSIP/1002")
	e := newEnv(t, sim, testACD(), nil)
	e.login("a1")
	e.caller("talk", "100")
	e.waitEvent("call.answered", "talk", "a1")
	until(t, "bridged", func() bool { return sim.Channel("talk").BridgeID() != "" })
	e.caller("gone", "100")
	e.caller("stays", "100")
	e.waitEvent("call.queued", "gone", "")
	e.waitEvent("call.queued", "stays", "")
	e.close()
	if err := sim.Channel("gone").Hangup(16); err != nil { // while ccd is down
		t.Fatal(err)
	}

	e2 := load(t, sim, testACD(), e.log(), nil)
	if st, err := e2.app.Agent(e2.ctx, "a1"); err != nil || st.State != acd.OnCall {
		t.Fatalf("a1 after the load: %+v, %v", st, err)
	}
	if err := e2.app.Login(e2.ctx, "a2", ""); err != nil {
		t.Fatalf("login before the reconcile: %v", err)
	}
	if err := e2.app.Transfer(e2.ctx, "talk", "support", ""); err == nil || !strings.Contains(err.Error(), "checked") {
		t.Fatalf("transfer before the reconcile: %v", err)
	}
	if qs, err := e2.app.Queues(e2.ctx); err != nil || len(qs) != 2 {
		t.Fatalf("queues before the reconcile: %+v, %v", qs, err)
	}
	if kinds := e2.kinds(); kinds != "agent.logged_in:a2 agent.ready:a2" {
		t.Fatalf("the load decided about calls before Asterisk was asked: %s", kinds)
	}

	e2.reconcile()
	if s := e2.ended("gone"); s.EndType != acd.EndAbandoned {
		t.Fatalf("the caller who hung up meanwhile: %+v", s)
	}
	e2.waitEvent("call.answered", "stays", "a2")
	if st, _ := e2.app.Agent(e2.ctx, "a1"); st.State != acd.OnCall || st.CallID != "talk" {
		t.Fatalf("a1 after the reconcile: %+v", st)
	}
	if err := e2.app.Transfer(e2.ctx, "talk", "support", ""); err != nil {
		t.Fatalf("transfer after the reconcile: %v", err)
	}
}

func TestRouteLookupPicksQueueAndFallsBack(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	cfg := testACD()
	cfg.Routes[0].Lookup = &config.RouteLookup{Driver: "sqlite", DSN: "unused", Query: "select 1"}
	lookups := map[int]dialplan.Lookup{0: func(ctx context.Context, clid, dnis, attach string) (string, int, string, error) {
		if clid == "5550bad" {
			return "", 0, "", fmt.Errorf("crm down")
		}
		return "support", 1, "VIP " + clid, nil
	}}
	e := newEnvWith(t, sim, cfg, lookups)
	e.caller("vip", "100")
	q := e.waitEvent("call.queued", "vip", "")
	if q.Queue != "support" || q.Data.Priority != 1 || q.Data.AttachData != "VIP 5550vip" {
		t.Fatalf("queued %+v %+v", q, q.Data)
	}
	e.caller("bad", "100")
	if q := e.waitEvent("call.queued", "bad", ""); q.Queue != "sales" || q.Data.Priority != 5 {
		t.Fatalf("fallback queued %+v %+v", q, q.Data)
	}
}

func TestLoginRefusesAnEndpointInUse(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	e := newEnv(t, sim, testACD(), nil)
	if err := e.app.Login(e.ctx, "a1", "PJSIP/2001"); err != nil {
		t.Fatal(err)
	}
	st, err := e.app.Agent(e.ctx, "a1")
	if err != nil || st.Endpoint != "PJSIP/2001" || st.State != acd.Ready {
		t.Fatalf("agent %+v, %v", st, err)
	}
	var ae *ccd.Error
	if err := e.app.Login(e.ctx, "a2", "PJSIP/2001"); !errors.As(err, &ae) || ae.Code != ccd.ECONFLICT || ae.Field != "endpoint" {
		t.Fatalf("two agents logged in at one endpoint: %v", err)
	}
	if err := e.app.Ready(e.ctx, "nobody"); err == nil || !strings.Contains(err.Error(), "nobody") {
		t.Fatalf("ready of an unknown agent: %v", err)
	}
}

func TestTransferBackIntoQueueRecordsSecondLegApart(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	answering(sim, "PJSIP/1001", "PJSIP/1002")
	cfg := testACD()
	cfg.TransferContext = "ccd-out"
	e := newEnv(t, sim, cfg, nil)
	e.login("a1")
	e.caller("c1", "100")
	e.waitEvent("call.answered", "c1", "a1")
	e.login("a2")
	if err := e.app.Transfer(e.ctx, "c1", "sales", ""); err != nil {
		t.Fatal(err)
	}
	e.waitEvent("call.answered", "c1", "a2")
	var names []string
	until(t, "two recordings", func() bool {
		names = names[:0]
		for _, ev := range FromLog(e.log()) {
			if ev.Kind == "call.recording" {
				names = append(names, ev.Data.Recording)
			}
		}
		return len(names) == 2
	})
	if names[0] == names[1] {
		t.Fatalf("both legs recorded to %q", names[0])
	}
	until(t, "the second leg is being recorded", func() bool {
		_, ok := sim.LiveRecording(names[1])
		return ok
	})
	if err := sim.Channel("c1").Hangup(16); err != nil {
		t.Fatal(err)
	}
	until(t, "both legs stored", func() bool { return len(sim.StoredRecordings()) == 2 })
}

func (e *env) offerStarted(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.offersStarted = append(e.offersStarted, d)
}

func (e *env) offersStartedSoFar() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.offersStarted)
}

// A caller's first offer reports ccd's share of it (the metric
// ccd_acd_offer_start_seconds); a second offer of the same caller, after the
// first agent did not answer, does not: its delay is the ring timeout's.
func TestOfferStartedCountsEachCallersFirstOfferOnce(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointRing})
	answering(sim, "PJSIP/1002")
	clock := apitest.NewClock()
	e := newEnvOn(t, sim, testACD(), clock.Now)
	e.login("a1")
	e.caller("c1", "100")
	e.waitEvent("call.ringing", "c1", "a1")
	until(t, "the first offer reported", func() bool { return len(e.offersStartedSoFar()) == 1 })
	e.login("a2")
	e.pass(clock, testACD().Queues[0].RingTimeout)
	e.waitEvent("call.answered", "c1", "a2")
	if n := len(e.offersStartedSoFar()); n != 1 {
		t.Fatalf("%d offers reported after the second offer of one caller, want 1", n)
	}
	answering(sim, "PJSIP/1001")
	if err := e.app.Ready(e.ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	e.caller("c2", "100")
	e.waitEvent("call.ringing", "c2", "a1")
	until(t, "the second caller's offer reported", func() bool { return len(e.offersStartedSoFar()) == 2 })
	for i, d := range e.offersStartedSoFar() {
		// On the real clock, however the test's clock moves: positive and
		// far below the ring timeout the test passed.
		if d <= 0 || d >= testACD().Queues[0].RingTimeout {
			t.Fatalf("offer %d: ccd's share %v", i, d)
		}
	}
}
