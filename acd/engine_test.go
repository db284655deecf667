package acd

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// harness drives an engine with a fake clock and keeps everything it produced.
type harness struct {
	t       *testing.T
	e       *Engine
	now     time.Time
	actions []Action
	events  []Event
}

func newHarness(t *testing.T, cfg Spec) *harness {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, e: e, now: t0}
}

// take collects what the engine produced and returns the actions of this step.
func (h *harness) take() []Action {
	a, ev := h.e.Take()
	h.actions = append(h.actions, a...)
	h.events = append(h.events, ev...)
	return a
}

func (h *harness) advance(d time.Duration) []Action {
	h.now = h.now.Add(d)
	h.e.Tick(h.now)
	return h.take()
}

func (h *harness) must(err error) []Action {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
	return h.take()
}

func (h *harness) arrive(id, queue string, prio int) []Action {
	h.t.Helper()
	return h.must(h.e.Arrive(h.now, Arrival{CallID: id, CLID: "555" + id, DNIS: "100", Queue: queue, Priority: prio}))
}

func (h *harness) login(ids ...string) {
	h.t.Helper()
	for _, id := range ids {
		h.must(h.e.Login(h.now, id, ""))
		h.now = h.now.Add(time.Second) // distinct idle times: login order is idle order
	}
}

// kinds lists the event kinds (with call or agent) produced so far.
func (h *harness) kinds() string {
	var b []string
	evs := h.events
	if len(evs) > 40 {
		b, evs = append(b, "..."), evs[len(evs)-40:]
	}
	for _, ev := range evs {
		who := ev.CallID
		if strings.HasPrefix(ev.Kind, "agent.") {
			who = ev.Agent
		}
		b = append(b, ev.Kind+":"+who)
	}
	return strings.Join(b, " ")
}

func (h *harness) lastEnded(callID string) Call {
	h.t.Helper()
	for i := len(h.events) - 1; i >= 0; i-- {
		if ev := h.events[i]; ev.Kind == "call.ended" && ev.CallID == callID {
			return *ev.Data.Summary
		}
	}
	h.t.Fatalf("call %s has no call.ended; events: %s", callID, h.kinds())
	return Call{}
}

func only(t *testing.T, acts []Action, kind ActionKind) Action {
	t.Helper()
	var found []Action
	for _, a := range acts {
		if a.Kind == kind {
			found = append(found, a)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s action, got %+v", kind, acts)
	}
	return found[0]
}

func none(t *testing.T, acts []Action, kind ActionKind) {
	t.Helper()
	for _, a := range acts {
		if a.Kind == kind {
			t.Fatalf("unexpected %s action in %+v", kind, acts)
		}
	}
}

func basicConfig() Spec {
	return Spec{
		DefaultExtension: "0",
		Queues: []QueueSpec{
			{Code: "sales", Skills: map[string]int{"sales": 1}, RingTimeout: 10 * time.Second, WrapUp: 5 * time.Second},
			{Code: "support", Skills: map[string]int{"support": 3}, RingTimeout: 10 * time.Second},
		},
		Agents: []AgentSpec{
			{ID: "a1", Endpoint: "PJSIP/1001", Skills: map[string]int{"sales": 5}},
			{ID: "a2", Endpoint: "PJSIP/1002", Skills: map[string]int{"sales": 2, "support": 5}},
			{ID: "a3", Endpoint: "PJSIP/1003", Skills: map[string]int{"support": 2}}, // below support's minimum
		},
	}
}

func TestAnsweredCall(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.login("a1", "a2")
	acts := h.arrive("c1", "sales", 0)
	only(t, acts, Music)
	off := only(t, acts, Offer)
	if off.Agent != "a1" || off.Endpoint != "PJSIP/1001" || off.CallerID != "555c1" || off.Timeout != 10*time.Second {
		t.Fatalf("offer %+v: want a1 (longest idle)", off)
	}
	h.now = h.now.Add(3 * time.Second)
	con := only(t, h.must(h.e.OfferAnswered(h.now, off.Channel)), Connect)
	if con.Channel != off.Channel || con.CallID != "c1" {
		t.Fatalf("connect %+v", con)
	}
	if a, _ := h.e.Agent("a1"); a.State != OnCall || a.CallID != "c1" {
		t.Fatalf("agent %+v", a)
	}
	h.now = h.now.Add(60 * time.Second)
	h.e.Hangup(h.now, "c1")
	acts = h.take()
	only(t, acts, HangupAgent)
	sum := h.lastEnded("c1")
	if sum.EndType != EndTalked || sum.Agent != "a1" || sum.InitialQueue != "sales" || sum.Queue != "sales" ||
		!sum.AnsweredAt.Equal(t0.Add(5*time.Second)) || !sum.EndedAt.Equal(h.now) {
		t.Fatalf("summary %+v", sum)
	}
	if a, _ := h.e.Agent("a1"); a.State != WrapUp {
		t.Fatalf("after the call a1 is %s, want wrap_up", a.State)
	}
	h.advance(5 * time.Second)
	if a, _ := h.e.Agent("a1"); a.State != Ready {
		t.Fatalf("after wrap-up a1 is %s, want ready", a.State)
	}
}

func TestAbandonedInQueueAndWhileRinging(t *testing.T) {
	h := newHarness(t, basicConfig())
	acts := h.arrive("c1", "sales", 0)
	none(t, acts, Offer)
	h.now = h.now.Add(42 * time.Second)
	h.e.Hangup(h.now, "c1")
	h.take()
	if s := h.lastEnded("c1"); s.EndType != EndAbandoned || !s.AbandonedAt.Equal(h.now) {
		t.Fatalf("summary %+v", s)
	}
	for _, ev := range h.events {
		if ev.Kind == "call.abandoned" && ev.Data.WaitedMS != 42000 {
			t.Fatalf("waited %d ms, want 42000", ev.Data.WaitedMS)
		}
	}

	h.login("a1")
	off := only(t, h.arrive("c2", "sales", 0), Offer)
	h.now = h.now.Add(4 * time.Second)
	h.e.Hangup(h.now, "c2")
	cancel := only(t, h.take(), Cancel)
	if cancel.Channel != off.Channel {
		t.Fatalf("cancel %+v, offer %+v", cancel, off)
	}
	if s := h.lastEnded("c2"); s.EndType != EndAbandonedRinging {
		t.Fatalf("summary %+v", s)
	}
	if a, _ := h.e.Agent("a1"); a.State != Ready {
		t.Fatalf("a1 is %s after the caller gave up while ringing, want ready", a.State)
	}
}

func TestRingNoAnswerThenSecondAgent(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.login("a1", "a2")
	off1 := only(t, h.arrive("c1", "sales", 0), Offer)
	acts := h.advance(10 * time.Second)
	only(t, acts, Cancel)
	off2 := only(t, acts, Offer)
	if off1.Agent != "a1" || off2.Agent != "a2" || off2.Channel == off1.Channel {
		t.Fatalf("offers %+v then %+v", off1, off2)
	}
	a1, _ := h.e.Agent("a1")
	if a1.State != NotReady || !a1.Forced || a1.Activity != NoAnswer {
		t.Fatalf("a1 after no answer: %+v", a1)
	}
	h.must(h.e.OfferAnswered(h.now, off2.Channel))
	h.e.AgentGone(h.now.Add(time.Minute), off2.Channel, "")
	only(t, h.take(), HangupCaller)
	s := h.lastEnded("c1")
	if s.AgentHops != 1 || s.Offers != 2 || s.Agent != "a2" || s.EndType != EndTalked {
		t.Fatalf("summary %+v", s)
	}
}

func TestAgentReadyPicksPriorityThenOldest(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.arrive("old", "sales", 5)
	h.now = h.now.Add(time.Second)
	h.arrive("vip", "sales", 1)
	h.now = h.now.Add(time.Second)
	h.arrive("new", "sales", 5)
	var got []string
	h.login("a1")
	for i := 0; i < 3; i++ {
		off := h.actions[len(h.actions)-1]
		if off.Kind != Offer {
			t.Fatalf("want an offer, got %+v", off)
		}
		got = append(got, off.CallID)
		h.must(h.e.OfferAnswered(h.now, off.Channel))
		h.e.Hangup(h.now, off.CallID)
		h.advance(5 * time.Second) // wrap-up, then the next call
	}
	if strings.Join(got, ",") != "vip,old,new" {
		t.Fatalf("order %v", got)
	}
}

func TestSkillMinimumAndLevels(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.login("a3") // support level 2 < 3
	none(t, h.arrive("c1", "support", 0), Offer)
	h.login("a2")
	if off := h.actions[len(h.actions)-1]; off.Kind != Offer || off.Agent != "a2" {
		t.Fatalf("want the offer to a2, got %+v", off)
	}
}

func TestStrategies(t *testing.T) {
	for _, tc := range []struct {
		strategy, want string
	}{{"", "a2"}, {"longest_idle", "a2"}, {"skill_level", "a1"}, {"weighted", "a1"}} {
		cfg := basicConfig()
		cfg.Queues[0].Strategy = tc.strategy
		h := newHarness(t, cfg)
		h.login("a2", "a1") // a2 idle longer by 1 s; a1 has the higher sales level (5 vs 2)
		if off := only(t, h.arrive("c1", "sales", 0), Offer); off.Agent != tc.want {
			t.Errorf("strategy %q offered %s, want %s", tc.strategy, off.Agent, tc.want)
		}
	}
}

func overflowConfig(expand bool) Spec {
	cfg := basicConfig()
	cfg.Queues[0].Overflow = []OverflowSpec{{AfterWait: 30 * time.Second, ToQueue: "support", Expand: expand}}
	return cfg
}

func TestOverflowByTime(t *testing.T) {
	h := newHarness(t, overflowConfig(false))
	h.arrive("c1", "sales", 0)
	h.advance(30 * time.Second)
	c, _ := h.e.Call("c1")
	if strings.Join(c.Queues, ",") != "support" || c.QueueHops != 1 {
		t.Fatalf("after overflow: %+v", c)
	}
	h.login("a1") // sales only: the call left sales
	none(t, h.actions[len(h.actions)-1:], Offer)
	h.login("a2")
	off := h.actions[len(h.actions)-1]
	if off.Kind != Offer || off.Queue != "support" {
		t.Fatalf("want an offer from support, got %+v", off)
	}
	h.must(h.e.OfferAnswered(h.now, off.Channel))
	h.e.Hangup(h.now, "c1")
	h.take()
	if s := h.lastEnded("c1"); s.InitialQueue != "sales" || s.Queue != "support" || s.QueueHops != 1 || s.Backflow {
		t.Fatalf("summary %+v", s)
	}
	if !strings.Contains(h.kinds(), "call.overflowed:c1 call.queued:c1") {
		t.Fatalf("events %s", h.kinds())
	}
}

func TestOverflowWithSearchExpansionBackflow(t *testing.T) {
	h := newHarness(t, overflowConfig(true))
	h.arrive("c1", "sales", 0)
	h.advance(30 * time.Second)
	c, _ := h.e.Call("c1")
	if strings.Join(c.Queues, ",") != "sales,support" {
		t.Fatalf("after expansion: %+v", c)
	}
	h.login("a1") // a sales agent: the call is answered in the first queue
	off := h.actions[len(h.actions)-1]
	if off.Kind != Offer || off.Queue != "sales" {
		t.Fatalf("want the offer from sales, got %+v", off)
	}
	h.must(h.e.OfferAnswered(h.now, off.Channel))
	h.e.Hangup(h.now, "c1")
	h.take()
	if s := h.lastEnded("c1"); !s.Backflow || s.Queue != "sales" {
		t.Fatalf("summary %+v: want a backflow answered in sales", s)
	}
}

func TestOverflowByPositionNoAgentsAndFull(t *testing.T) {
	cfg := basicConfig()
	cfg.Queues[0].Overflow = []OverflowSpec{{PositionAbove: 1, ToNumber: "5550000"}}
	cfg.Queues[1].Overflow = []OverflowSpec{{NoAgentsLoggedIn: true, ToDefault: true}}
	h := newHarness(t, cfg)
	none(t, h.arrive("c1", "sales", 0), SendTo)
	send := only(t, h.arrive("c2", "sales", 0), SendTo)
	if send.Extension != "5550000" || h.lastEnded("c2").EndType != EndTransferred || h.lastEnded("c2").TransferTo != "5550000" {
		t.Fatalf("position overflow: %+v %+v", send, h.lastEnded("c2"))
	}
	send = only(t, h.arrive("c3", "support", 0), SendTo)
	if send.Extension != "0" || !strings.Contains(h.kinds(), "call.to_default:c3") {
		t.Fatalf("no-agents overflow: %+v %s", send, h.kinds())
	}

	// A waiting call overflows when the last agent of its queue logs out.
	cfg.Queues[0].Overflow = nil
	cfg.Queues[0].MaxWaiting = 1
	cfg.Queues[0].FullDestination = "support"
	h = newHarness(t, cfg)
	h.login("a2", "a3")
	h.must(h.e.NotReady(h.now, "a2", "lunch"))
	h.arrive("c1", "sales", 0)
	h.arrive("c2", "sales", 0) // sales is full: to support
	c2, _ := h.e.Call("c2")
	if strings.Join(c2.Queues, ",") != "support" {
		t.Fatalf("full queue: %+v", c2)
	}
	h.must(h.e.Logout(h.now, "a2"))
	if _, ok := h.e.Call("c2"); ok {
		t.Fatal("c2 still waits in support with no agent eligible logged in")
	}
	if s := h.lastEnded("c2"); s.TransferTo != "0" || s.QueueHops != 1 {
		t.Fatalf("summary %+v", s)
	}
}

func TestTransferAndHold(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.login("a1", "a2")
	off := only(t, h.arrive("c1", "sales", 0), Offer)
	h.must(h.e.OfferAnswered(h.now, off.Channel))
	h.now = h.now.Add(10 * time.Second)
	h.must(h.e.Hold(h.now, "c1"))
	h.now = h.now.Add(7 * time.Second)
	h.must(h.e.Unhold(h.now, "c1"))
	h.must(h.e.Hold(h.now, "c1"))
	h.now = h.now.Add(3 * time.Second)
	acts := h.must(h.e.Transfer(h.now, "c1", "support", ""))
	only(t, acts, HangupAgent)
	off2 := only(t, acts, Offer)
	if off2.Agent != "a2" || off2.Queue != "support" {
		t.Fatalf("offer after transfer %+v", off2)
	}
	if a, _ := h.e.Agent("a1"); a.State != WrapUp {
		t.Fatalf("a1 is %s after transferring, want wrap_up", a.State)
	}
	h.must(h.e.OfferAnswered(h.now, off2.Channel))
	acts = h.must(h.e.Transfer(h.now, "c1", "", "5559999"))
	if send := only(t, acts, SendTo); send.Extension != "5559999" {
		t.Fatalf("send %+v", send)
	}
	s := h.lastEnded("c1")
	if s.Holds != 2 || s.HoldMS != 10000 || s.QueueHops != 1 || s.EndType != EndTransferred || s.TransferTo != "5559999" {
		t.Fatalf("summary %+v", s)
	}
	if err := h.e.Transfer(h.now, "c1", "support", ""); err == nil {
		t.Fatal("transfer of an ended call succeeded")
	}
}

func TestAgentRequestsDuringCalls(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.login("a1")
	off := only(t, h.arrive("c1", "sales", 0), Offer)
	// Not ready while ringing: the offer is withdrawn, the call waits again.
	h.must(h.e.NotReady(h.now, "a1", "break"))
	only(t, h.actions[len(h.actions)-1:], Cancel)
	if c, _ := h.e.Call("c1"); c.State != Waiting || c.AgentHops != 1 {
		t.Fatalf("call %+v", c)
	}
	if a, _ := h.e.Agent("a1"); a.State != NotReady || a.Activity != "break" || a.Forced {
		t.Fatalf("agent %+v", a)
	}
	off = only(t, h.must(h.e.Ready(h.now, "a1")), Offer)
	h.must(h.e.OfferAnswered(h.now, off.Channel))
	// Not ready on a call: after the call (no wrap-up) with that activity.
	h.must(h.e.NotReady(h.now, "a1", "training"))
	h.must(h.e.Logout(h.now, "a1"))
	if a, _ := h.e.Agent("a1"); a.State != OnCall || a.Pending != LoggedOut {
		t.Fatalf("agent %+v", a)
	}
	h.e.Hangup(h.now, "c1")
	h.take()
	if a, _ := h.e.Agent("a1"); a.State != LoggedOut {
		t.Fatalf("agent %+v", a)
	}
	if err := h.e.Ready(h.now, "a1"); err == nil {
		t.Fatal("ready of a logged-out agent succeeded")
	}
	if err := h.e.Login(h.now, "nobody", "PJSIP/1"); err == nil {
		t.Fatal("login of an unknown agent succeeded")
	}
	h.must(h.e.Login(h.now, "a2", "PJSIP/2002"))
	var e *ccd.Error
	if err := h.e.Login(h.now, "a1", "PJSIP/2002"); !errors.As(err, &e) || e.Code != "conflict" || e.Field != "endpoint" {
		t.Fatalf("two agents at one endpoint: %v", err)
	}
}

// Whatever the API let through, the engine never originates something that is
// not an endpoint.
func TestLoginRefusesWhatIsNotAnEndpoint(t *testing.T) {
	h := newHarness(t, basicConfig())
	for _, bad := range []string{"../../etc/passwd", "2001", "PJSIP/1001&Local/0090055512345@outbound-trunk", "PJSIP/1001,,tT"} {
		var e *ccd.Error
		if err := h.e.Login(h.now, "a1", bad); !errors.As(err, &e) || e.Code != "invalid" || e.Field != "endpoint" {
			t.Fatalf("login at %q: %v", bad, err)
		}
	}
	if a, _ := h.e.Agent("a1"); a.State != LoggedOut {
		t.Fatalf("agent %+v", a)
	}
}

func TestDirectCallBlocksOffers(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.login("a1")
	h.e.DirectCall(h.now, "PJSIP/1001", true)
	h.take()
	none(t, h.arrive("c1", "sales", 0), Offer)
	h.e.DirectCall(h.now.Add(time.Minute), "PJSIP/1001", false)
	if off := only(t, h.take(), Offer); off.Agent != "a1" {
		t.Fatalf("offer %+v", off)
	}
	if !strings.Contains(h.kinds(), "agent.on_direct_call:a1") {
		t.Fatalf("events %s", h.kinds())
	}
}

func TestAnnouncements(t *testing.T) {
	cfg := basicConfig()
	cfg.Queues[0].AnnounceEvery = 20 * time.Second
	h := newHarness(t, cfg)
	h.arrive("c1", "sales", 0)
	h.arrive("c2", "sales", 0)
	acts := h.advance(20 * time.Second)
	var pos []string
	for _, a := range acts {
		if a.Kind == Announce {
			pos = append(pos, fmt.Sprintf("%s@%d", a.CallID, a.Position))
		}
	}
	if strings.Join(pos, " ") != "c1@1 c2@2" && strings.Join(pos, " ") != "c2@2 c1@1" {
		t.Fatalf("announcements %v", pos)
	}
	h.e.Hangup(h.now, "c1")
	acts = h.advance(20 * time.Second)
	if a := only(t, acts, Announce); a.CallID != "c2" || a.Position != 1 {
		t.Fatalf("announce %+v", a)
	}
}

func TestUnroutedGoesToDefault(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.e.Unrouted(h.now, Arrival{CallID: "x", DNIS: "999"})
	if s := only(t, h.take(), SendTo); s.Extension != "0" {
		t.Fatalf("%+v", s)
	}
	if !strings.Contains(h.kinds(), "call.offered:x call.to_default:x call.ended:x") {
		t.Fatalf("events %s", h.kinds())
	}
}

func TestRestoreAfterRestart(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.login("a1", "a2")
	off := only(t, h.arrive("talking", "sales", 0), Offer) // a1
	h.must(h.e.OfferAnswered(h.now, off.Channel))
	ringing := only(t, h.arrive("ringing", "sales", 0), Offer) // a2
	h.must(h.e.NotReady(h.now, "a1", "x"))                     // pending after the call
	h.arrive("waiting", "sales", 3)
	h.arrive("gone", "support", 0)
	h.take()

	snap := Fold(h.events)
	if got, want := fmt.Sprint(len(snap.Calls)), "4"; got != want {
		t.Fatalf("folded %s calls, want %s", got, want)
	}
	live := map[string]bool{"talking": true, off.Channel: true, "ringing": true, "waiting": true}
	h2 := newHarness(t, basicConfig())
	h2.now = h.now.Add(5 * time.Second)
	h2.e.Restore(h2.now, snap, func(ch string) bool { return live[ch] })
	acts := h2.take()
	if c := only(t, acts, Cancel); c.Channel != ringing.Channel {
		t.Fatalf("cancel %+v", c)
	}
	// a2 is free again and gets the best waiting call: "waiting" has priority 3.
	if o := only(t, acts, Offer); o.Agent != "a2" || o.CallID != "waiting" {
		t.Fatalf("offer after restore %+v", o)
	}
	if s := h2.lastEnded("gone"); s.EndType != EndAbandoned {
		t.Fatalf("gone: %+v", s)
	}
	if a, _ := h2.e.Agent("a1"); a.State != OnCall || a.CallID != "talking" {
		t.Fatalf("a1 after restore %+v", a)
	}
	h2.e.Hangup(h2.now, "talking")
	h2.take()
	if s := h2.lastEnded("talking"); s.EndType != EndTalked || s.Agent != "a1" || !s.AnsweredAt.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("talking: %+v", s)
	}
}

func TestTransferredByPhone(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.login("a1")
	off := only(t, h.arrive("c1", "sales", 0), Offer)
	h.must(h.e.OfferAnswered(h.now, off.Channel))
	if h.e.TransferredByPhone(h.now, "nobody", "2000") {
		t.Fatal("a transfer by an unknown channel was taken")
	}
	if !h.e.TransferredByPhone(h.now.Add(time.Minute), off.Channel, "2000") {
		t.Fatal("the agent's transfer was not taken")
	}
	acts := h.take()
	none(t, acts, SendTo) // Asterisk moved the caller itself
	if s := h.lastEnded("c1"); s.EndType != EndTransferred || s.TransferTo != "2000" {
		t.Fatalf("summary %+v", s)
	}
	if a, _ := h.e.Agent("a1"); a.State != WrapUp {
		t.Fatalf("a1 is %s", a.State)
	}
}

// A waiting call's own required skills (the CRM's) keep it from agents
// without them, without holding up the calls behind it.
func TestRequiredSkillsOfACall(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.arrive("c1", "sales", 0)
	h.must(h.e.SetRequiredSkills(h.now, "c1", []string{"support"}))
	h.now = h.now.Add(time.Second)
	h.arrive("c2", "sales", 0)
	h.login("a1") // sales only: gets c2, though c1 came first
	if off := h.actions[len(h.actions)-1]; off.Kind != Offer || off.CallID != "c2" || off.Agent != "a1" {
		t.Fatalf("want c2 offered to a1, got %+v", off)
	}
	h.login("a2") // sales and support: gets c1
	if off := h.actions[len(h.actions)-1]; off.Kind != Offer || off.CallID != "c1" || off.Agent != "a2" {
		t.Fatalf("want c1 offered to a2, got %+v", off)
	}
	if c, _ := h.e.Call("c1"); strings.Join(c.RequiredSkills, ",") != "support" {
		t.Fatalf("call's required skills %v", c.RequiredSkills)
	}
	var e *ccd.Error
	if err := h.e.SetRequiredSkills(h.now, "c1", []string{"x"}); !errors.As(err, &e) || e.Code != ccd.ECONFLICT {
		t.Fatalf("skills of a ringing call: want ECONFLICT, got %v", err)
	}
	if err := h.e.SetRequiredSkills(h.now, "nope", nil); !errors.As(err, &e) || e.Code != ccd.ENOTFOUND {
		t.Fatalf("unknown call: want ENOTFOUND, got %v", err)
	}
}

// A call whose skills only a not-ready agent has waits for that agent.
func TestRequiredSkillsWaitForSkilledAgent(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.login("a2")
	h.must(h.e.NotReady(h.now, "a2", ""))
	h.arrive("c1", "sales", 0)
	h.must(h.e.SetRequiredSkills(h.now, "c1", []string{"support"}))
	none(t, h.must(h.e.Login(h.now, "a1", "")), Offer) // sales only
	acts := h.must(h.e.Ready(h.now, "a2"))
	if off := only(t, acts, Offer); off.Agent != "a2" {
		t.Fatalf("want the offer to a2, got %+v", off)
	}
}

// Skills given at login (the CRM's AgentSkills) replace the configured
// ones for that session only.
func TestLoginWithSessionSkills(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.arrive("s1", "support", 0)
	acts := h.must(h.e.LoginWithSkills(h.now, "a1", "", map[string]int{"support": 4})) // configured: sales only
	if off := only(t, acts, Offer); off.CallID != "s1" || off.Agent != "a1" {
		t.Fatalf("want s1 offered to a1, got %+v", off)
	}
	h.must(h.e.Logout(h.now, "a1")) // ringing: withdrawn, logged out
	h.arrive("c1", "sales", 0)
	if c, _ := h.e.Call("c1"); c.State != Waiting {
		t.Fatalf("c1 %+v", c)
	}
	if off := only(t, h.must(h.e.Login(h.now, "a1", "")), Offer); off.CallID != "c1" {
		t.Fatalf("after the session, a1 serves sales again: %+v", off)
	}
	if err := h.e.LoginWithSkills(h.now, "nope", "", nil); err == nil {
		t.Fatal("unknown agent logged in")
	}
}

// A session's own skills survive a restart: the engine rebuilt from the
// events serves the same queues with them.
func TestSessionSkillsRestored(t *testing.T) {
	h := newHarness(t, basicConfig())
	h.must(h.e.LoginWithSkills(h.now, "a1", "", map[string]int{"support": 4}))
	h.must(h.e.NotReady(h.now, "a1", ""))
	snap := Fold(h.events)
	e, err := New(basicConfig())
	if err != nil {
		t.Fatal(err)
	}
	e.Restore(h.now, snap, func(string) bool { return true })
	if err := e.Arrive(h.now, Arrival{CallID: "s1", Queue: "support"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Ready(h.now, "a1"); err != nil {
		t.Fatal(err)
	}
	acts, _ := e.Take()
	if off := only(t, acts, Offer); off.CallID != "s1" || off.Agent != "a1" {
		t.Fatalf("restored session without its skills: %+v", off)
	}
}
