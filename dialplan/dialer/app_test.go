package dialer_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialer"
	dialplanDialer "github.com/ccdhq/ccd/dialplan/dialer"
	"github.com/ccdhq/ccd/dialplan/media"
	"github.com/ccdhq/ccd/dialplan/queue"
	"github.com/ccdhq/ccd/dialplan/stasis"
	"github.com/ccdhq/ccd/eventlog"
)

// env is the dialer application and the queue application behind one
// dispatcher, against the ARI simulation, as the daemon wires them.
type env struct {
	t      *testing.T
	ctx    context.Context
	sim    *aritest.Sim
	client *ari.Client
	queue  *queue.App
	app    *dialplanDialer.App
	disp   *stasis.Dispatcher

	mu      sync.Mutex
	results []dialplanDialer.Result
	events  []eventlog.Event
}

const amdContext = dialplanDialer.DefaultAMDContext

// newEnv starts the applications; agents are logged in and ready. done,
// when set, gets the results too (the runner).
func newEnv(t *testing.T, agents []string, done func(dialplanDialer.Result)) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	sim := aritest.NewSim(aritest.WithPlaybackDuration(150 * time.Millisecond))
	t.Cleanup(sim.Close)
	// Numbers whose name says so are machines; the others people.
	sim.AddContext(amdContext, func(ch ari.Channel, vars map[string]string) aritest.DialplanStep {
		status, cause := "HUMAN", "HUMAN-300-300"
		if strings.Contains(ch.Name, "machine") || strings.Contains(ch.Name, "5559") {
			status, cause = "MACHINE", "MAXWORDS-4-4"
		}
		return aritest.DialplanStep{Delay: 40 * time.Millisecond, Vars: [][2]string{{"AMDSTATUS", status}, {"AMDCAUSE", cause}},
			App: "ccd", Args: []string{"dialer", "amd"}}
	})
	e := &env{t: t, ctx: ctx, sim: sim}
	c, err := ari.Connect(ctx, sim.Config("ccd"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	e.client = c
	tk := &media.Toolkit{ARI: c, App: "ccd"}
	d := stasis.New(stasis.Config{Default: "inbound", Hangup: func(ch string) { _ = tk.Hangup(context.Background(), ch, "normal") }})
	// inbound: a queue of the same agents for callers (blended agents).
	cfg := config.ACD{DefaultExtension: "0", Queues: []config.Queue{{Code: "sales", Skills: map[string]int{"sales": 1},
		RingTimeout: 5 * time.Second}, {Code: "inbound", Skills: map[string]int{"sales": 1}, RingTimeout: 5 * time.Second}}}
	for _, a := range agents {
		cfg.Agents = append(cfg.Agents, config.Agent{ID: a, Endpoint: "PJSIP/" + a, Skills: map[string]int{"sales": 1}})
		sim.SetEndpoint("PJSIP/"+a, aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 30 * time.Millisecond})
	}
	q, err := queue.New(queue.Config{ACD: cfg, ARI: c, App: "ccd", Owners: d, Emit: e.emit})
	if err != nil {
		t.Fatal(err)
	}
	e.queue = q
	e.disp = d
	d.SetFallback(q)
	d.Register("queue", q)
	d.Register("agent", q)
	e.app = dialplanDialer.New(dialplanDialer.Config{ARI: c, App: "ccd", Endpoint: "PJSIP/{number}", Queue: q, Owners: d,
		Done: func(r dialplanDialer.Result) {
			e.mu.Lock()
			e.results = append(e.results, r)
			e.mu.Unlock()
			if done != nil {
				done(r)
			}
		}})
	d.Register(dialplanDialer.Entry, e.app)
	go d.Run(c.Subscribe())
	if err := sim.WaitConnected(ctx, "ccd"); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { defer close(ran); q.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-ran })
	if err := q.Load(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := q.Reconcile(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if err := q.Login(ctx, a, ""); err != nil {
			t.Fatal(err)
		}
		if err := q.Ready(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) emit(ev eventlog.Event) error {
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
			out = append(out, ev.Kind)
		}
	}
	return out
}

func (e *env) result(attempt int64) dialplanDialer.Result {
	e.t.Helper()
	var r dialplanDialer.Result
	until(e.t, "attempt "+itoa(attempt)+" ends", func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, x := range e.results {
			if x.AttemptID == attempt {
				r = x
				return true
			}
		}
		return false
	})
	return r
}

func until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func campaign() dialer.Campaign {
	return dialer.Campaign{ID: 7, Name: "winter", QueueCode: "sales", CallPriority: 3, CallerID: `"Acme" <5551000>`,
		NoAnswerDuration: 20, IsActive: true, RetryNumber: 3}.WithDefaults()
}

func call(id int64, phone string, amd bool) dialplanDialer.Call {
	return dialplanDialer.Call{AttemptID: id, Campaign: campaign(), Phone: phone,
		Target: dialer.Target{ID: id * 10, FirstName: "Ann", DataI: "contract-" + phone}, AMD: dialplanDialer.AMD{Enabled: amd}}
}

// Every way a call can fail before an answer maps to its status, from the
// hangup cause and the dial status Asterisk reports.
func TestUnansweredResultsMapToTheirStatus(t *testing.T) {
	e := newEnv(t, nil, nil)
	cases := []struct {
		phone string
		b     aritest.Behavior
		want  int
	}{
		{"busy", aritest.Behavior{Action: aritest.EndpointBusy, Delay: 20 * time.Millisecond}, dialer.StatusBusy},
		{"noanswer", aritest.Behavior{Action: aritest.EndpointFail, Cause: 19, DialStatus: "NOANSWER"}, dialer.StatusNoAnswer},
		{"congested", aritest.Behavior{Action: aritest.EndpointCongestion, Delay: 20 * time.Millisecond}, dialer.StatusCongestion},
		{"rejected", aritest.Behavior{Action: aritest.EndpointFail, Cause: 21}, dialer.StatusRejected},
		{"invalid", aritest.Behavior{Action: aritest.EndpointFail, Cause: 1}, dialer.StatusInvalidNumber},
		{"unreachable", aritest.Behavior{Action: aritest.EndpointFail, Cause: 0, DialStatus: "CONGESTION"}, dialer.StatusCongestion},
	}
	for i, c := range cases {
		e.sim.SetEndpoint("PJSIP/"+c.phone, c.b)
		e.app.Place(e.ctx, call(int64(i+1), c.phone, true))
	}
	for i, c := range cases {
		r := e.result(int64(i + 1))
		if r.Status != c.want || r.Human || !r.Answered.IsZero() {
			t.Errorf("%s: status %d (human %v, answered %v), want %d", c.phone, r.Status, r.Human, r.Answered, c.want)
		}
	}
	if e.app.InFlight() != 0 {
		t.Fatalf("%d attempts still in flight", e.app.InFlight())
	}
}

// The originate carries the campaign's caller id and rings at least the
// campaign's noAnswerDuration (never under 15 s); a call that rings that
// long ends as no answer.
func TestOriginateUsesCallerIDAndRingTimeout(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.sim.SetEndpoint("PJSIP/5551234", aritest.Behavior{Action: aritest.EndpointRing})
	c := call(1, "5551234", true)
	c.Campaign.NoAnswerDuration = 15
	e.app.Place(e.ctx, c)
	var orig aritest.Request
	for _, r := range e.sim.Requests() {
		if r.Method == "POST" && strings.HasPrefix(r.Path, "/channels") {
			orig = r
		}
	}
	q := orig.Query
	if q.Get("endpoint") != "PJSIP/5551234" || q.Get("callerId") != `"Acme" <5551000>` || q.Get("timeout") != "15" ||
		q.Get("app") != "ccd" || q.Get("appArgs") != "dialer,1" {
		t.Fatalf("originate %v", orig)
	}
	if e.app.InFlight() != 1 {
		t.Fatal("the ringing call is not in flight")
	}
	if err := e.sim.Channel(dialplanDialer.ChannelOf(1)).Hangup(19); err != nil {
		t.Fatal(err)
	}
	if r := e.result(1); r.Status != dialer.StatusNoAnswer {
		t.Fatalf("status %d", r.Status)
	}
}

// An answering machine is detected by AMD() in the dialplan; the campaign's
// message is played to it, then it is hung up; without a message it is
// hung up at once. It never reaches the queue.
func TestMachineGetsTheMessageOrAHangup(t *testing.T) {
	e := newEnv(t, []string{"1001"}, nil)
	for _, p := range []string{"machine-a", "machine-b"} {
		e.sim.SetEndpoint("PJSIP/"+p, aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	}
	withMsg := call(1, "machine-a", true)
	withMsg.AMD.MachineMessage = "sound:acme-offer"
	e.app.Place(e.ctx, withMsg)
	e.app.Place(e.ctx, call(2, "machine-b", true))
	a, b := e.result(1), e.result(2)
	for _, r := range []dialplanDialer.Result{a, b} {
		if r.Status != dialer.StatusMachine || r.Human || r.AMDStatus != "MACHINE" || r.AMDCause != "MAXWORDS-4-4" || r.Answered.IsZero() {
			t.Fatalf("attempt %d: %+v", r.AttemptID, r)
		}
	}
	played := map[string]bool{}
	for _, r := range e.sim.Requests() {
		if strings.HasSuffix(r.Path, "/play") || strings.Contains(r.Path, "/play/") {
			played[r.Path+" "+r.Query.Get("media")] = true
		}
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/continue") && r.Query.Get("context") != amdContext {
			t.Errorf("continued to %v", r.Query)
		}
	}
	if !played["/channels/"+dialplanDialer.ChannelOf(1)+"/play sound:acme-offer"] || len(played) != 1 {
		t.Fatalf("playbacks %v", played)
	}
	if len(e.kinds(dialplanDialer.ChannelOf(1))) != 0 {
		t.Fatal("a machine reached the queue")
	}
}

// A person (AMD HUMAN) goes to the campaign's queue with its priority and
// the target's data, and an agent answers within the grace time.
func TestHumanIsHandedToTheQueueAndAnswered(t *testing.T) {
	e := newEnv(t, []string{"1001"}, nil)
	e.sim.SetEndpoint("PJSIP/5550001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	e.app.Place(e.ctx, call(1, "5550001", true))
	r := e.result(1)
	if r.Status != dialer.StatusAnswered || !r.Human || !r.Connected || r.Abandoned || r.AMDStatus != "HUMAN" {
		t.Fatalf("%+v", r)
	}
	ch := dialplanDialer.ChannelOf(1)
	calls, err := e.queue.Calls(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].ID != ch || calls[0].Queue != "sales" || calls[0].Priority != 3 || calls[0].Agent != "1001" ||
		calls[0].State != acd.Connected || !strings.Contains(calls[0].AttachData, "dataI=contract-5550001") {
		t.Fatalf("queue calls %+v", calls)
	}
	if b := e.sim.Channel(ch).BridgeID(); b == "" {
		t.Fatal("the person is not bridged with the agent")
	}
}

// Without AMD an answer is a person at once.
func TestWithoutAMDAnAnswerIsAPerson(t *testing.T) {
	e := newEnv(t, []string{"1001"}, nil)
	e.sim.SetEndpoint("PJSIP/5550002", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	e.app.Place(e.ctx, call(1, "5550002", false))
	r := e.result(1)
	if r.Status != dialer.StatusAnswered || !r.Connected || r.AMDStatus != "" {
		t.Fatalf("%+v", r)
	}
	for _, req := range e.sim.Requests() {
		if strings.HasSuffix(req.Path, "/continue") {
			t.Fatal("sent to AMD although the campaign has none")
		}
	}
}

// The law: a person no agent answers within 2 s is taken back from the
// queue, hears the information message at once, and is hung up; the call
// counts as abandoned.
func TestNoAgentWithinTwoSecondsIsAbandonedWithTheMessage(t *testing.T) {
	e := newEnv(t, nil, nil) // nobody logged in
	e.sim.SetEndpoint("PJSIP/5550003", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	c := call(1, "5550003", true)
	c.AMD.AbandonMessage = "sound:acme-sorry"
	e.app.Place(e.ctx, c)
	r := e.result(1)
	if r.Status != dialer.StatusAbandoned || !r.Human || !r.Abandoned || r.Connected {
		t.Fatalf("%+v", r)
	}
	if waited := r.Ended.Sub(r.Answered); waited < 2*time.Second {
		t.Fatalf("abandoned after %v, before the grace time", waited)
	}
	ch := dialplanDialer.ChannelOf(1)
	played := false
	for _, req := range e.sim.Requests() {
		if req.Path == "/channels/"+ch+"/play" && req.Query.Get("media") == "sound:acme-sorry" {
			played = true
		}
	}
	if !played {
		t.Fatal("no information message")
	}
	if e.sim.Channel(ch).Exists() {
		t.Fatal("the abandoned call was not hung up")
	}
	calls, _ := e.queue.Calls(e.ctx)
	if len(calls) != 0 {
		t.Fatalf("still queued: %+v", calls)
	}
}

// A person who hangs up while AMD() listens (outside the Stasis
// application) ends the attempt as not answered: the dispatcher keeps the
// channel the dialer's while it is in the dialplan.
func TestHangupDuringDetectionEndsTheAttempt(t *testing.T) {
	e := newEnv(t, []string{"1001"}, nil)
	e.sim.AddContext(amdContext, func(ari.Channel, map[string]string) aritest.DialplanStep {
		return aritest.DialplanStep{Delay: time.Hour, App: "ccd", Args: []string{"dialer", "amd"}}
	})
	e.sim.SetEndpoint("PJSIP/5550004", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	e.app.Place(e.ctx, call(1, "5550004", true))
	ch := e.sim.Channel(dialplanDialer.ChannelOf(1))
	until(t, "the call is in the AMD context", func() bool {
		snap, ok := ch.Snapshot()
		return ok && snap.Dialplan.Context == amdContext && ch.App() == ""
	})
	if err := ch.Hangup(16); err != nil {
		t.Fatal(err)
	}
	if r := e.result(1); r.Status != dialer.StatusNoAnswer || r.Answered.IsZero() || r.Human || r.Cause != 16 {
		t.Fatalf("%+v", r)
	}
}

// An agent whose phone still rings when the grace time ends does not get
// the call: the offer is withdrawn (the agent's leg hung up, the agent
// ready again) and the person hears the message.
func TestAgentRingingTooLongLosesTheCall(t *testing.T) {
	e := newEnv(t, []string{"1001"}, nil)
	e.sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointRing})
	e.sim.SetEndpoint("PJSIP/5550005", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	e.app.Place(e.ctx, call(1, "5550005", true))
	r := e.result(1)
	if r.Status != dialer.StatusAbandoned || !r.Abandoned {
		t.Fatalf("%+v", r)
	}
	until(t, "the agent is ready again with no call", func() bool {
		st, err := e.queue.Agent(e.ctx, "1001")
		return err == nil && st.State == acd.Ready && st.CallID == ""
	})
	for _, c := range e.sim.Channels() {
		if strings.HasPrefix(c.ID, dialplanDialer.ChannelOf(1)+"-") {
			t.Fatalf("the agent's leg %s still exists", c.ID)
		}
	}
}
