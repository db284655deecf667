package aritest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
)

const captures = "../../testdata/captures/"

type eventLog struct {
	mu     sync.Mutex
	events []ari.Event
	wake   chan struct{}
}

func record(sub *ari.Subscription) *eventLog {
	l := &eventLog{wake: make(chan struct{})}
	go func() {
		for ev := range sub.C() {
			l.mu.Lock()
			l.events = append(l.events, ev)
			close(l.wake)
			l.wake = make(chan struct{})
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *eventLog) all() []ari.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

func (l *eventLog) wait(t *testing.T, what string, pred func(ari.Event) bool) ari.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		l.mu.Lock()
		for _, ev := range l.events {
			if pred(ev) {
				l.mu.Unlock()
				return ev
			}
		}
		wake := l.wake
		l.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; got:\n%s", what, strings.Join(describeAll(l.all(), nil), "\n"))
			return nil
		}
	}
}

func is(typ, channel string) func(ari.Event) bool {
	return func(ev ari.Event) bool {
		if ev.EventType() != typ {
			return false
		}
		if channel == "" {
			return true
		}
		for _, k := range ari.Keys(ev) {
			if k == (ari.Key{Kind: ari.KindChannel, ID: channel}) {
				return true
			}
		}
		return false
	}
}

// describe reduces an event to what a capture and the simulation must
// agree on: type, channel id, state, causes, statuses.
func describe(ev ari.Event) string {
	switch e := ev.(type) {
	case *ari.StasisStart:
		return fmt.Sprintf("StasisStart %s %s args=%v dialplan=%s/%s/%d/%s(%s) caller=%v", e.Channel.ID, e.Channel.State, e.Args,
			e.Channel.Dialplan.Context, e.Channel.Dialplan.Exten, e.Channel.Dialplan.Priority, e.Channel.Dialplan.AppName,
			e.Channel.Dialplan.AppData, e.Channel.Caller)
	case *ari.StasisEnd:
		return "StasisEnd " + e.Channel.ID
	case *ari.ChannelStateChange:
		return "ChannelStateChange " + e.Channel.ID + " " + e.Channel.State
	case *ari.Dial:
		return fmt.Sprintf("Dial %s %q %s", e.Peer.ID, e.DialStatus, e.DialString)
	case *ari.ChannelEnteredBridge:
		return fmt.Sprintf("ChannelEnteredBridge %s type=%s n=%d", e.Channel.ID, e.Bridge.BridgeType, len(e.Bridge.Channels))
	case *ari.ChannelLeftBridge:
		// Not the bridge's channel count: whether Asterisk's snapshot still
		// lists the bridge recorder's channel at that point is a race (the
		// captures differ).
		return "ChannelLeftBridge " + e.Channel.ID
	case *ari.ChannelHangupRequest:
		return fmt.Sprintf("ChannelHangupRequest %s cause=%d soft=%v", e.Channel.ID, e.Cause, e.Soft)
	case *ari.ChannelDestroyed:
		return fmt.Sprintf("ChannelDestroyed %s cause=%d %s", e.Channel.ID, e.Cause, e.CauseTxt)
	case *ari.RecordingStarted:
		return "RecordingStarted " + e.Recording.Name + " " + e.Recording.State + " " + strings.Split(e.Recording.TargetURI, ":")[0]
	case *ari.RecordingFinished:
		return "RecordingFinished " + e.Recording.Name + " " + e.Recording.State
	case *ari.BridgeDestroyed:
		return fmt.Sprintf("BridgeDestroyed n=%d", len(e.Bridge.Channels))
	case *ari.ChannelVarset:
		return "ChannelVarset " + e.Variable + "=" + e.Value
	}
	return ev.EventType()
}

// The event types the simulation models. Captures also contain
// ChannelCallerId, ChannelConnectedLine, ChannelDialplan and many
// ChannelVarset events (BRIDGEPEER, RTP QoS) the simulation leaves out.
var modelled = map[string]bool{
	"StasisStart": true, "StasisEnd": true, "ChannelStateChange": true, "Dial": true,
	"ChannelEnteredBridge": true, "ChannelLeftBridge": true, "ChannelHangupRequest": true,
	"ChannelDestroyed": true, "RecordingStarted": true, "RecordingFinished": true, "BridgeDestroyed": true,
}

func describeAll(evs []ari.Event, filter map[string]bool) []string {
	var out []string
	for _, ev := range evs {
		if filter == nil || filter[ev.EventType()] {
			out = append(out, describe(ev))
		}
	}
	return out
}

func captureEvents(t *testing.T, name string) []ari.Event {
	t.Helper()
	f, err := os.Open(captures + name + ".ari.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, err := aritest.ParseEvents(f)
	if err != nil {
		t.Fatal(err)
	}
	var evs []ari.Event
	for _, l := range lines {
		ev, err := ari.Decode(l)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func compareWithCapture(t *testing.T, name string, got []ari.Event) {
	t.Helper()
	want := describeAll(captureEvents(t, name), modelled)
	have := describeAll(got, modelled)
	if !slices.Equal(want, have) {
		t.Errorf("simulated events differ from capture %s:\n%s", name, diff(want, have))
	}
}

func diff(want, have []string) string {
	var b strings.Builder
	for i := 0; i < max(len(want), len(have)); i++ {
		w, h := "", ""
		if i < len(want) {
			w = want[i]
		}
		if i < len(have) {
			h = have[i]
		}
		mark := "  "
		if w != h {
			mark = "!="
		}
		fmt.Fprintf(&b, "%s capture: %-70s sim: %s\n", mark, w, h)
	}
	return b.String()
}

type scenario struct {
	t   *testing.T
	ctx context.Context
	sim *aritest.Sim
	c   *ari.Client
	log *eventLog
}

func newScenario(t *testing.T, opts ...aritest.Option) *scenario {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	sim := aritest.NewSim(opts...)
	t.Cleanup(sim.Close)
	c, err := ari.Connect(ctx, sim.Config("ccd"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	log := record(c.Subscribe())
	if err := sim.WaitConnected(ctx, "ccd"); err != nil {
		t.Fatal(err)
	}
	// The captures' callers are Local channels to 5551234@inbound, whose
	// dialplan runs Stasis(ccd,inbound,5551234).
	sim.AddRoute("5551234", "inbound", "ccd", "inbound", "5551234")
	return &scenario{t: t, ctx: ctx, sim: sim, c: c, log: log}
}

func (s *scenario) must(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

// callerArrives makes the same request as the captures' test harness.
func (s *scenario) callerArrives() {
	_, err := s.c.Originate(s.ctx, ari.OriginateParams{Endpoint: "Local/5551234@inbound", Extension: "s", Context: "customer",
		Priority: 1, CallerID: `"Customer" <5551234>`, ChannelID: "caller-probe-1"})
	s.must(err)
	s.log.wait(s.t, "caller StasisStart", is("StasisStart", "caller-probe-1;2"))
}

// queue runs what ccd does in the captures up to the bridge recording.
func (s *scenario) queue(agentEndpoint string) *ari.BridgeHandle {
	caller := s.c.Channel("caller-probe-1;2")
	s.must(caller.Answer(s.ctx))
	s.must(caller.StartMOH(s.ctx, "default"))
	br, err := s.c.CreateBridge(s.ctx, ari.CreateBridgeParams{Type: "mixing", Name: "q-support"})
	s.must(err)
	agent, err := s.c.Originate(s.ctx, ari.OriginateParams{Endpoint: agentEndpoint, App: "ccd", AppArgs: "agent,1001",
		CallerID: "5551234", ChannelID: "agent-probe-1", Timeout: 15})
	s.must(err)
	if agent.State != "Down" || agent.ID != "agent-probe-1" {
		s.t.Errorf("originate returned %+v", agent)
	}
	s.log.wait(s.t, "agent StasisStart", is("StasisStart", "agent-probe-1"))
	s.must(caller.StopMOH(s.ctx))
	bridge := s.c.Bridge(br.ID)
	s.must(bridge.AddChannels(s.ctx, "caller-probe-1;2", "agent-probe-1"))
	rec, err := bridge.Record(s.ctx, ari.RecordParams{Name: "probe-rec-1", Format: "wav", IfExists: ari.IfExistsOverwrite})
	s.must(err)
	if rec.State != ari.RecordingStateQueued || rec.TargetURI != "bridge:"+br.ID {
		s.t.Errorf("record returned %+v", rec)
	}
	s.log.wait(s.t, "RecordingStarted", is("RecordingStarted", ""))
	return bridge
}

// The "answered" capture, replayed against the simulation: the agent is a
// Local channel that answers, and hangs up by itself later.
func TestSimMatchesAnsweredCapture(t *testing.T) {
	s := newScenario(t)
	s.sim.SetEndpoint("Local/1001@agents", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	s.callerArrives()
	bridge := s.queue("Local/1001@agents")
	// The agent's dialplan (Wait(5), Hangup()) ends the call.
	s.must(s.sim.Channel("agent-probe-1").Hangup(16))
	s.log.wait(t, "agent ChannelDestroyed", is("ChannelDestroyed", "agent-probe-1"))
	s.must(s.c.Channel("caller-probe-1;2").Hangup(s.ctx, ""))
	s.must(bridge.Destroy(s.ctx))
	s.log.wait(t, "BridgeDestroyed", is("BridgeDestroyed", ""))
	compareWithCapture(t, "ari-queue-answered", s.log.all())
	if got := s.sim.StoredRecordings(); len(got) != 1 || got[0].Name != "probe-rec-1" || got[0].Format != "wav" {
		t.Errorf("stored recordings %+v", got)
	}
	if len(s.sim.Channels()) != 0 || len(s.sim.Bridges()) != 0 {
		t.Errorf("left over: %+v %+v", s.sim.Channels(), s.sim.Bridges())
	}
}

// The "sip-agent" capture: a PJSIP agent rings, answers, is put on hold by
// the application (no event), and is hung up by the application.
func TestSimMatchesSIPAgentCapture(t *testing.T) {
	s := newScenario(t)
	s.sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond, Context: "phones"})
	s.callerArrives()
	bridge := s.queue("PJSIP/1001")
	agent := s.c.Channel("agent-probe-1")
	s.must(agent.Hold(s.ctx))
	if !s.sim.Channel("agent-probe-1").OnHold() {
		t.Error("hold not recorded")
	}
	s.must(agent.Unhold(s.ctx))
	s.must(agent.Hangup(s.ctx, ""))
	s.log.wait(t, "agent ChannelDestroyed", is("ChannelDestroyed", "agent-probe-1"))
	s.must(s.c.Channel("caller-probe-1;2").Hangup(s.ctx, ""))
	s.must(bridge.Destroy(s.ctx))
	s.log.wait(t, "BridgeDestroyed", is("BridgeDestroyed", ""))
	compareWithCapture(t, "ari-queue-sip-agent", s.log.all())
	for _, ev := range s.log.all() {
		if ev.EventType() == "ChannelHold" || ev.EventType() == "ChannelUnhold" {
			t.Errorf("ARI hold raised %s", ev.EventType())
		}
	}
}

// The "abandoned" capture: the caller hangs up while on MOH.
func TestSimMatchesAbandonedCapture(t *testing.T) {
	s := newScenario(t)
	s.callerArrives()
	caller := s.c.Channel("caller-probe-1;2")
	s.must(caller.Answer(s.ctx))
	s.must(caller.StartMOH(s.ctx, "default"))
	// The harness hangs up the ";1" half, which is outside Stasis.
	s.must(s.c.Channel("caller-probe-1").Hangup(s.ctx, ""))
	s.log.wait(t, "StasisEnd", is("StasisEnd", "caller-probe-1;2"))
	time.Sleep(20 * time.Millisecond)
	compareWithCapture(t, "ari-queue-abandoned", s.log.all())
}

func TestSimNewCallerAndControls(t *testing.T) {
	s := newScenario(t, aritest.WithPlaybackDuration(30*time.Millisecond))
	if _, err := s.sim.NewCaller(aritest.CallerOptions{App: "nobody"}); err == nil {
		t.Error("NewCaller for an unregistered application succeeded")
	}
	caller, err := s.sim.NewCaller(aritest.CallerOptions{ChannelID: "in-1", Name: "Bob", Number: "5550000", Args: []string{"sales"}})
	s.must(err)
	if caller.ID() != "in-1;2" || caller.State() != "Ring" || caller.App() != "ccd" {
		t.Errorf("caller %s %s %s", caller.ID(), caller.State(), caller.App())
	}
	ss := s.log.wait(t, "StasisStart", is("StasisStart", "in-1;2")).(*ari.StasisStart)
	if !slices.Equal(ss.Args, []string{"sales"}) || ss.Channel.Caller != (ari.CallerID{Name: "Bob", Number: "5550000"}) ||
		ss.Channel.Dialplan.AppData != "ccd,sales" || !strings.HasPrefix(ss.Channel.Name, "Local/5550000@inbound-") {
		t.Errorf("StasisStart %+v", ss)
	}
	h := s.c.Channel("in-1;2")
	s.must(h.Answer(s.ctx))
	s.must(h.Ring(s.ctx))
	s.must(h.Mute(s.ctx, ari.DirectionIn))
	if !caller.RingIndication() || caller.Muted() != "in" {
		t.Error("ring/mute not recorded")
	}
	s.must(h.SetVariable(s.ctx, "QUEUE", "sales"))
	if v, err := h.GetVariable(s.ctx, "QUEUE"); err != nil || v != "sales" {
		t.Errorf("variable %q %v", v, err)
	}
	if _, err := h.GetVariable(s.ctx, "MISSING"); !ari.IsNotFound(err) {
		t.Errorf("missing variable: %v", err)
	}
	s.must(h.SetVariables(s.ctx, map[string]string{"A": "1", "B": "2"}))
	if m, err := h.GetVariables(s.ctx, "A", "B", "QUEUE"); err != nil || m["A"] != "1" || m["B"] != "2" || m["QUEUE"] != "sales" {
		t.Errorf("variables %v %v", m, err)
	}
	if v, _ := h.GetVariable(s.ctx, "CALLERID(num)"); v != "5550000" {
		t.Errorf("CALLERID(num) = %q", v)
	}
	pb, err := h.Play(s.ctx, ari.PlayParams{Media: []string{"sound:welcome", "sound:queue-periodic-announce"}, PlaybackID: "pb-1"})
	s.must(err)
	if pb.ID != "pb-1" || pb.State != "queued" || pb.TargetURI != "channel:in-1;2" || pb.NextMediaURI != "sound:queue-periodic-announce" {
		t.Errorf("playback %+v", pb)
	}
	pbLog := record(s.c.Playback("pb-1").Subscribe())
	pbLog.wait(t, "PlaybackFinished", is("PlaybackFinished", ""))
	s.log.wait(t, "PlaybackStarted", is("PlaybackStarted", "in-1;2"))
	if err := s.c.Playback("pb-1").Stop(s.ctx); !ari.IsNotFound(err) {
		t.Errorf("stop finished playback: %v", err)
	}
	s.must(caller.SendDTMF("12"))
	dtmf := s.log.wait(t, "DTMF", is("ChannelDtmfReceived", "in-1;2")).(*ari.ChannelDtmfReceived)
	if dtmf.Digit != "1" {
		t.Errorf("digit %q", dtmf.Digit)
	}
	s.must(caller.Hold())
	s.log.wait(t, "ChannelHold", is("ChannelHold", "in-1;2"))

	// Channel recording, stopped by the application.
	rec, err := h.Record(s.ctx, ari.RecordParams{Name: "vm-1", Format: "wav"})
	s.must(err)
	if rec.State != "queued" {
		t.Errorf("%+v", rec)
	}
	if _, err := h.Record(s.ctx, ari.RecordParams{Name: "vm-1", Format: "wav"}); !ari.IsConflict(err) {
		t.Errorf("duplicate recording: %v", err)
	}
	if _, err := h.Record(s.ctx, ari.RecordParams{Name: "vm-2", Format: "nope"}); !ari.IsUnprocessable(err) {
		t.Errorf("bad format: %v", err)
	}
	s.must(s.c.LiveRecording("vm-1").Pause(s.ctx))
	if lr, err := s.c.LiveRecording("vm-1").Get(s.ctx); err != nil || lr.State != "paused" {
		t.Errorf("paused recording %+v %v", lr, err)
	}
	s.must(s.c.LiveRecording("vm-1").Stop(s.ctx))
	rf := s.log.wait(t, "RecordingFinished", is("RecordingFinished", "in-1;2")).(*ari.RecordingFinished)
	if rf.Recording.State != "done" {
		t.Errorf("%+v", rf.Recording)
	}
	stored, err := s.c.ListStoredRecordings(s.ctx)
	if err != nil || len(stored) != 1 || stored[0].Name != "vm-1" {
		t.Errorf("stored %+v %v", stored, err)
	}
	wav, err := s.c.StoredRecording("vm-1").Bytes(s.ctx)
	if err != nil || !strings.HasPrefix(string(wav), "RIFF") {
		t.Errorf("file %q %v", wav, err)
	}
	cp, err := s.c.StoredRecording("vm-1").Copy(s.ctx, "vm-1-copy")
	if err != nil || cp.Name != "vm-1-copy" {
		t.Errorf("copy %+v %v", cp, err)
	}
	s.must(s.c.StoredRecording("vm-1").Delete(s.ctx))
	if _, err := s.c.StoredRecording("vm-1").Get(s.ctx); !ari.IsNotFound(err) {
		t.Errorf("deleted recording: %v", err)
	}

	// The far end hangs up.
	s.must(caller.Hangup(17))
	hr := s.log.wait(t, "hangup", is("ChannelHangupRequest", "in-1;2")).(*ari.ChannelHangupRequest)
	if hr.Cause != 17 || hr.Soft {
		t.Errorf("%+v", hr)
	}
	s.log.wait(t, "StasisEnd", is("StasisEnd", "in-1;2"))
	if caller.Exists() {
		t.Error("caller still exists")
	}
	if err := caller.Hangup(16); err != aritest.ErrNoChannel {
		t.Errorf("hangup of gone channel: %v", err)
	}
}

func TestSimOriginateOutcomes(t *testing.T) {
	s := newScenario(t)
	s.sim.SetEndpoint("PJSIP/busy", aritest.Behavior{Action: aritest.EndpointBusy})
	s.sim.SetEndpoint("PJSIP/gone", aritest.Behavior{Action: aritest.EndpointUnavailable})

	for _, c := range []struct{ endpoint, status string }{{"PJSIP/busy", "BUSY"}, {"PJSIP/gone", "CHANUNAVAIL"}} {
		id := "o-" + c.status
		_, err := s.c.Originate(s.ctx, ari.OriginateParams{Endpoint: c.endpoint, App: "ccd", ChannelID: id})
		s.must(err)
		d := s.log.wait(t, "Dial "+c.status, func(ev ari.Event) bool {
			d, isDial := ev.(*ari.Dial)
			return isDial && d.Peer.ID == id && d.DialStatus != "" && d.DialStatus != "RINGING"
		}).(*ari.Dial)
		if d.DialStatus != c.status {
			t.Errorf("%s: dialstatus %s", c.endpoint, d.DialStatus)
		}
		s.log.wait(t, "ChannelDestroyed", is("ChannelDestroyed", id))
	}

	// Default behavior: ring until the test acts; timeout gives NOANSWER.
	_, err := s.c.Originate(s.ctx, ari.OriginateParams{Endpoint: "PJSIP/1001", App: "ccd", ChannelID: "ring-1", Timeout: 1})
	s.must(err)
	s.log.wait(t, "Ringing", func(ev ari.Event) bool {
		e, ok := ev.(*ari.ChannelStateChange)
		return ok && e.Channel.ID == "ring-1" && e.Channel.State == "Ringing"
	})
	if st := s.sim.Channel("ring-1").State(); st != "Ringing" {
		t.Errorf("state %s", st)
	}
	cd := s.log.wait(t, "timeout", is("ChannelDestroyed", "ring-1")).(*ari.ChannelDestroyed)
	if cd.Cause != 19 {
		t.Errorf("timeout cause %d", cd.Cause)
	}

	// An agent that answers and hangs up by itself.
	s.sim.SetEndpoint("Local/3000@agents", aritest.Behavior{Action: aritest.EndpointAnswer, HangupAfter: 30 * time.Millisecond})
	_, err = s.c.Originate(s.ctx, ari.OriginateParams{Endpoint: "Local/3000@agents", App: "ccd", ChannelID: "short"})
	s.must(err)
	s.log.wait(t, "StasisStart short", is("StasisStart", "short"))
	hr := s.log.wait(t, "hangup short;2", is("ChannelHangupRequest", "short;2")).(*ari.ChannelHangupRequest)
	if hr.Cause != 16 || !hr.Soft {
		t.Errorf("%+v", hr)
	}
	s.log.wait(t, "StasisEnd short", is("StasisEnd", "short"))

	// The application cancels a ringing call.
	_, err = s.c.Originate(s.ctx, ari.OriginateParams{Endpoint: "PJSIP/1002", App: "ccd", ChannelID: "ring-2"})
	s.must(err)
	s.must(s.c.Channel("ring-2").Hangup(s.ctx, ""))
	s.log.wait(t, "cancel", is("ChannelDestroyed", "ring-2"))

	// Local pair naming with explicit ids.
	ch, err := s.c.Originate(s.ctx, ari.OriginateParams{Endpoint: "Local/2000@agents", App: "ccd", ChannelID: "a", OtherChannelID: "b"})
	s.must(err)
	if !strings.HasSuffix(ch.Name, ";1") || !s.sim.Channel("b").Exists() || s.sim.Channel("a;2").Exists() {
		t.Errorf("local pair %+v", ch)
	}
	s.must(s.sim.Channel("a").Answer())
	s.log.wait(t, "StasisStart a", is("StasisStart", "a"))
	inApp := 0
	chans, err := s.c.ListChannels(s.ctx)
	s.must(err)
	for i := range chans {
		if ari.InApplication(&chans[i], "ccd") {
			inApp++
		}
	}
	if inApp != 1 || len(chans) != 2 {
		t.Errorf("%d channels, %d in app", len(chans), inApp)
	}
}

func TestSimBridgesAndMisc(t *testing.T) {
	s := newScenario(t)
	bridgeLog := record(s.c.Bridge("b-1").Subscribe())
	br, err := s.c.Bridge("b-1").Create(s.ctx, ari.CreateBridgeParams{Type: "holding", Name: "hold"})
	s.must(err)
	if br.ID != "b-1" || br.BridgeType != "holding" || br.Technology != "holding_bridge" {
		t.Errorf("%+v", br)
	}
	if _, err := s.c.Bridge("b-1").Create(s.ctx, ari.CreateBridgeParams{}); !ari.IsConflict(err) {
		t.Errorf("duplicate bridge: %v", err)
	}
	caller, err := s.sim.NewCaller(aritest.CallerOptions{Endpoint: "PJSIP/trunk", Number: "5551111"})
	s.must(err)
	if !strings.HasPrefix(caller.ID(), fmt.Sprint(time.Now().Unix())[:5]) {
		t.Errorf("generated id %q", caller.ID())
	}
	s.must(s.c.Bridge("b-1").AddChannels(s.ctx, caller.ID()))
	if caller.BridgeID() != "b-1" {
		t.Error("not bridged")
	}
	s.must(s.c.Bridge("b-1").StartMOH(s.ctx, ""))
	bridgeLog.wait(t, "entered", is("ChannelEnteredBridge", caller.ID()))
	s.must(s.c.Bridge("b-1").RemoveChannel(s.ctx, caller.ID()))
	bridgeLog.wait(t, "left", is("ChannelLeftBridge", caller.ID()))
	list, err := s.c.ListBridges(s.ctx)
	if err != nil || len(list) != 1 || list[0].ID != "b-1" {
		t.Errorf("bridges %+v %v", list, err)
	}
	s.must(s.c.Bridge("b-1").Destroy(s.ctx))
	bridgeLog.wait(t, "destroyed", is("BridgeDestroyed", ""))
	if err := s.c.Bridge("b-1").Destroy(s.ctx); !ari.IsNotFound(err) {
		t.Errorf("destroy twice: %v", err)
	}

	// Asterisk and applications resources.
	ping, err := s.c.Asterisk().Ping(s.ctx)
	if err != nil || ping.Ping != "pong" || ping.AsteriskID != aritest.DefaultAsteriskID {
		t.Errorf("ping %+v %v", ping, err)
	}
	info, err := s.c.Asterisk().Info(s.ctx)
	if err != nil || info.System == nil || info.System.Version == "" {
		t.Errorf("info %+v %v", info, err)
	}
	s.must(s.c.Asterisk().SetGlobalVariable(s.ctx, "G", "1"))
	if v, err := s.c.Asterisk().GlobalVariable(s.ctx, "G"); err != nil || v != "1" {
		t.Errorf("global %q %v", v, err)
	}
	app, err := s.c.App("ccd").Get(s.ctx)
	if err != nil || app.Name != "ccd" || !slices.Equal(app.ChannelIDs, []string{caller.ID()}) {
		t.Errorf("application %+v %v", app, err)
	}
	if _, err := s.c.App("nope").Get(s.ctx); !ari.IsNotFound(err) {
		t.Errorf("unknown app: %v", err)
	}

	// Device states reach applications subscribed to them.
	devLog := record(s.c.DeviceState("Stasis:agent-1001").Subscribe())
	_, err = s.c.App("ccd").SubscribeSources(s.ctx, "deviceState:Stasis:agent-1001")
	s.must(err)
	s.must(s.c.DeviceState("Stasis:agent-1001").Update(s.ctx, ari.DeviceStateInuse))
	dsc := devLog.wait(t, "DeviceStateChanged", is("DeviceStateChanged", "")).(*ari.DeviceStateChanged)
	if dsc.DeviceState.State != "INUSE" {
		t.Errorf("%+v", dsc)
	}
	if err := s.c.DeviceState("PJSIP/1001").Update(s.ctx, "INUSE"); !ari.IsConflict(err) {
		t.Errorf("uncontrolled device: %v", err)
	}
	states, err := s.c.ListDeviceStates(s.ctx)
	if err != nil || len(states) != 1 {
		t.Errorf("device states %+v %v", states, err)
	}

	// Event filter: disallowed types are not delivered.
	_, err = s.c.App("ccd").SetEventFilter(s.ctx, ari.EventFilter{Disallowed: []string{"ChannelDtmfReceived"}})
	s.must(err)
	s.must(caller.SendDTMF("5"))
	s.must(caller.Hangup(16))
	s.log.wait(t, "StasisEnd", is("StasisEnd", caller.ID()))
	for _, ev := range s.log.all() {
		if ev.EventType() == "ChannelDtmfReceived" {
			t.Error("filtered event delivered")
		}
	}

	// User events.
	s.must(s.c.UserEvent(s.ctx, ari.UserEventParams{Name: "AgentLogin", Application: "ccd", Variables: map[string]string{"agent": "1001"}}))
	ue := s.log.wait(t, "user event", is("ChannelUserevent", "")).(*ari.ChannelUserevent)
	if ue.EventName != "AgentLogin" || string(ue.UserEvent) != `{"agent":"1001"}` {
		t.Errorf("%+v %s", ue, ue.UserEvent)
	}

	// Endpoints.
	s.sim.AddEndpoint("PJSIP", "1001", "online")
	eps, err := s.c.ListEndpointsByTech(s.ctx, "PJSIP")
	if err != nil || len(eps) != 1 || eps[0].State != "online" {
		t.Errorf("endpoints %+v %v", eps, err)
	}
	if _, err := s.c.Endpoint("PJSIP", "9999").Get(s.ctx); !ari.IsNotFound(err) {
		t.Errorf("unknown endpoint: %v", err)
	}
}

// A newer websocket for the same application replaces the older one,
// which receives ApplicationReplaced.
func TestSimApplicationReplaced(t *testing.T) {
	s := newScenario(t)
	c2, err := ari.Connect(s.ctx, s.sim.Config("ccd"))
	s.must(err)
	defer c2.Close()
	s.log.wait(t, "ApplicationReplaced", is("ApplicationReplaced", ""))
	log2 := record(c2.Subscribe())
	_, err = s.sim.NewCaller(aritest.CallerOptions{ChannelID: "r"})
	s.must(err)
	log2.wait(t, "StasisStart on the new websocket", is("StasisStart", "r;2"))
}

// Snoop as Asterisk 22 does it (checked against a real one): the snoop
// channel is Up at s@default, named Snoop/<target>-<8 hex digits>, enters
// Stasis with its arguments; a reused id is a 500; when the target hangs up
// the snoop channel leaves Stasis and is destroyed.
func TestSimSnoop(t *testing.T) {
	s := newScenario(t)
	caller, err := s.sim.NewCaller(aritest.CallerOptions{ChannelID: "in-1", Number: "5550000", Args: []string{"sales"}})
	s.must(err)
	h := s.c.Channel(caller.ID())
	if _, err := h.Snoop(s.ctx, ari.SnoopParams{App: "ccd"}); !ari.IsBadRequest(err) {
		t.Errorf("snoop without direction: %v", err)
	}
	if _, err := s.c.Channel("nope").Snoop(s.ctx, ari.SnoopParams{Spy: "both", App: "ccd"}); !ari.IsNotFound(err) {
		t.Errorf("snoop on a missing channel: %v", err)
	}
	sn, err := h.Snoop(s.ctx, ari.SnoopParams{Spy: "both", Whisper: "out", App: "ccd", AppArgs: "spy,x", SnoopID: "snoop-1"})
	s.must(err)
	if sn.ID != "snoop-1" || sn.Name != "Snoop/in-1;2-00000000" || sn.State != "Up" ||
		sn.Dialplan != (ari.DialplanCEP{Context: "default", Exten: "s", Priority: 1, AppName: "Stasis", AppData: "ccd,spy,x"}) {
		t.Errorf("snoop channel %+v", sn)
	}
	ss := s.log.wait(t, "snoop StasisStart", is("StasisStart", "snoop-1")).(*ari.StasisStart)
	if !slices.Equal(ss.Args, []string{"spy", "x"}) {
		t.Errorf("args %v", ss.Args)
	}
	if _, err := h.Snoop(s.ctx, ari.SnoopParams{Spy: "in", App: "ccd", SnoopID: "snoop-1"}); !isStatus(err, 500) {
		t.Errorf("reused snoop id: %v", err)
	}
	sn2, err := h.Snoop(s.ctx, ari.SnoopParams{Whisper: "both", App: "ccd"})
	s.must(err)
	if sn2.Name != "Snoop/in-1;2-00000001" {
		t.Errorf("second snoop %s", sn2.Name)
	}
	s.must(caller.Hangup(16))
	s.log.wait(t, "snoop StasisEnd", is("StasisEnd", "snoop-1"))
	s.log.wait(t, "second snoop StasisEnd", is("StasisEnd", sn2.ID))
	if s.sim.Channel("snoop-1").Exists() || s.sim.Channel(sn2.ID).Exists() {
		t.Error("a snoop channel outlived its target")
	}
	// As in Asterisk, the application is not subscribed to a snoop channel
	// beyond Stasis: no ChannelDestroyed follows its StasisEnd.
	_, err = s.sim.NewCaller(aritest.CallerOptions{ChannelID: "in-2", Number: "5550001"})
	s.must(err)
	s.log.wait(t, "a later event", is("StasisStart", "in-2;2"))
	for _, ev := range s.log.all() {
		if d, ok := ev.(*ari.ChannelDestroyed); ok && strings.HasPrefix(d.Channel.Name, "Snoop/") {
			t.Errorf("ChannelDestroyed of %s reached the application", d.Channel.ID)
		}
	}
}

func isStatus(err error, code int) bool {
	var e *ari.Error
	return errors.As(err, &e) && e.StatusCode == code
}

// The sounds index answers as Asterisk's: the sounds it has, filtered by
// language and format, and 404 "Sound not found" for any other.
func TestSimSounds(t *testing.T) {
	s := newScenario(t)
	s.sim.AddSound("welcome", "wav", "en", "da")
	s.sim.AddSound("digits/1", "gsm")
	snd, err := s.c.Sound(s.ctx, "welcome")
	s.must(err)
	if snd.ID != "welcome" || len(snd.Formats) != 2 || snd.Formats[1] != (ari.FormatLangPair{Language: "da", Format: "wav"}) {
		t.Errorf("sound %+v", snd)
	}
	if _, err := s.c.Sound(s.ctx, "missing"); !ari.IsNotFound(err) || !strings.Contains(err.Error(), "Sound not found") {
		t.Errorf("unknown sound: %v, want 404 Sound not found", err)
	}
	if _, err := s.c.Sound(s.ctx, "digits/1"); err != nil {
		t.Errorf("a sound in a subdirectory: %v", err)
	}
	for _, c := range []struct {
		lang, format string
		want         int
	}{{"", "", 2}, {"da", "", 1}, {"", "gsm", 1}, {"fr", "", 0}} {
		l, err := s.c.ListSounds(s.ctx, c.lang, c.format)
		s.must(err)
		if len(l) != c.want {
			t.Errorf("sounds lang=%q format=%q: %d, want %d", c.lang, c.format, len(l), c.want)
		}
	}
}

// Congested and failing trunks end the dial with their status and cause; a
// channel continued into a simulated context gets its variables (as AMD()
// sets them, a ChannelVarset each to the originating application, still
// subscribed) and comes back into Stasis with the step's arguments.
func TestSimCongestionFailuresAndDialplanContexts(t *testing.T) {
	s := newScenario(t)
	s.sim.SetEndpoint("PJSIP/congested", aritest.Behavior{Action: aritest.EndpointCongestion})
	s.sim.SetEndpoint("PJSIP/nosuch", aritest.Behavior{Action: aritest.EndpointFail, Cause: 1})
	for _, c := range []struct {
		endpoint, status string
		cause            int
	}{{"PJSIP/congested", "CONGESTION", 34}, {"PJSIP/nosuch", "CHANUNAVAIL", 1}} {
		id := "f-" + c.status
		_, err := s.c.Originate(s.ctx, ari.OriginateParams{Endpoint: c.endpoint, App: "ccd", ChannelID: id})
		s.must(err)
		d := s.log.wait(t, "Dial "+c.status, func(ev ari.Event) bool {
			d, isDial := ev.(*ari.Dial)
			return isDial && d.Peer.ID == id && d.DialStatus != "" && d.DialStatus != "RINGING"
		}).(*ari.Dial)
		cd := s.log.wait(t, "ChannelDestroyed", is("ChannelDestroyed", id)).(*ari.ChannelDestroyed)
		if d.DialStatus != c.status || cd.Cause != c.cause {
			t.Errorf("%s: dialstatus %s cause %d", c.endpoint, d.DialStatus, cd.Cause)
		}
	}

	s.sim.AddContext("amd", func(ch ari.Channel, vars map[string]string) aritest.DialplanStep {
		if vars["CCD_AMD"] != "2500" {
			t.Errorf("variables %v", vars)
		}
		return aritest.DialplanStep{Vars: [][2]string{{"AMDSTATUS", "MACHINE"}, {"AMDCAUSE", "TOOLONG-5000"}}, App: "ccd", Args: []string{"back"}}
	})
	s.sim.SetEndpoint("PJSIP/answers", aritest.Behavior{Action: aritest.EndpointAnswer})
	_, err := s.c.Originate(s.ctx, ari.OriginateParams{Endpoint: "PJSIP/answers", App: "ccd", ChannelID: "amd-1",
		Variables: map[string]string{"CCD_AMD": "2500"}})
	s.must(err)
	s.log.wait(t, "StasisStart", is("StasisStart", "amd-1"))
	s.must(s.c.Channel("amd-1").Continue(s.ctx, ari.ContinueParams{Context: "amd", Extension: "s", Priority: 1}))
	s.log.wait(t, "AMDSTATUS set", func(ev ari.Event) bool {
		v, ok := ev.(*ari.ChannelVarset)
		return ok && v.Channel != nil && v.Channel.ID == "amd-1" && v.Variable == "AMDSTATUS" && v.Value == "MACHINE"
	})
	back := s.log.wait(t, "back in Stasis", func(ev ari.Event) bool {
		st, ok := ev.(*ari.StasisStart)
		return ok && st.Channel.ID == "amd-1" && len(st.Args) == 1 && st.Args[0] == "back"
	}).(*ari.StasisStart)
	if back.Channel.Dialplan.Context != "amd" {
		t.Errorf("came back from %+v", back.Channel.Dialplan)
	}
	if v, err := s.c.Channel("amd-1").GetVariable(s.ctx, "AMDCAUSE"); err != nil || v != "TOOLONG-5000" {
		t.Errorf("AMDCAUSE %q %v", v, err)
	}
}
