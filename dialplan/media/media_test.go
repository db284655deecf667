package media

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
)

// simulated is a client of the Stasis application ccd on a simulated
// Asterisk, and a context that ends with the test (10 s at most).
func simulated(t *testing.T) (*aritest.Sim, *ari.Client, context.Context) {
	t.Helper()
	sim := aritest.NewSim()
	t.Cleanup(sim.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	c, err := ari.Connect(ctx, sim.Config("ccd"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return sim, c, ctx
}

func TestMediaCarriesOutAQueueCall(t *testing.T) {
	sim, c, ctx := simulated(t)
	starts := c.Subscribe("StasisStart")
	defer starts.Close()
	if err := sim.WaitConnected(ctx, "ccd"); err != nil {
		t.Fatal(err)
	}
	m := &Toolkit{ARI: c, App: "ccd"}
	if _, err := sim.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5551234"}, Number: "5551234", ChannelID: "cust"}); err != nil {
		t.Fatal(err)
	}
	ev, err := starts.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	caller := ev.(*ari.StasisStart).Channel.ID
	if err := m.Wait(ctx, caller, "default"); err != nil {
		t.Fatal(err)
	}
	if on, class := sim.Channel(caller).MOH(); !on || class != "default" {
		t.Fatalf("MOH %v %q", on, class)
	}
	if err := m.Wait(ctx, caller, "default"); err != nil {
		t.Fatalf("waiting an answered caller again: %v", err)
	}
	sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 10 * time.Millisecond})
	if err := m.RingAgent(ctx, AgentCall{ChannelID: "cust-a1", CallID: caller, Endpoint: "PJSIP/1001", CallerID: "5551234", Timeout: 15 * time.Second}); err != nil {
		t.Fatal(err)
	}
	ev, err = starts.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	as := ev.(*ari.StasisStart)
	if as.Channel.ID != "cust-a1" || !slices.Equal(as.Args, []string{"agent", caller}) {
		t.Fatalf("agent StasisStart %+v", as)
	}
	if err := m.Connect(ctx, "b-cust", caller, "cust-a1", "rec-cust"); err != nil {
		t.Fatal(err)
	}
	if sim.Channel(caller).BridgeID() != "b-cust" || sim.Channel("cust-a1").BridgeID() != "b-cust" {
		t.Fatal("not bridged")
	}
	if on, _ := sim.Channel(caller).MOH(); on {
		t.Fatal("caller still hears music in the bridge")
	}
	if err := m.Hangup(ctx, "cust-a1", "normal"); err != nil {
		t.Fatal(err)
	}
	if err := m.Hangup(ctx, "cust-a1", "normal"); err != nil {
		t.Fatalf("hanging up a gone channel: %v", err)
	}
	if err := m.DestroyBridge(ctx, "b-cust"); err != nil {
		t.Fatal(err)
	}
	if err := m.DestroyBridge(ctx, "b-cust"); err != nil {
		t.Fatalf("destroying a gone bridge: %v", err)
	}
	var found bool
	for _, r := range sim.StoredRecordings() {
		found = found || r.Name == "rec-cust"
	}
	if !found {
		t.Fatal("bridge recording not stored")
	}
}

func TestAnnouncement(t *testing.T) {
	got := Announcement(3, 150*time.Second)
	want := []string{"sound:queue-thereare", "number:3", "sound:queue-callswaiting", "sound:queue-holdtime", "number:3", "sound:queue-minutes"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v", got)
	}
	if got := Announcement(1, 10*time.Second); len(got) != 3 {
		t.Fatalf("short wait announced minutes: %v", got)
	}
}

// An agent with auto_answer rung at a PJSIP endpoint is originated with
// the PJSIP_HEADER variables that put the auto-answer headers in the
// INVITE; without auto_answer, or at a Local channel, nothing is added.
func TestRingAgentAsksPJSIPPhonesToAutoAnswer(t *testing.T) {
	sim, c, ctx := simulated(t)
	if err := sim.WaitConnected(ctx, "ccd"); err != nil {
		t.Fatal(err)
	}
	m := &Toolkit{ARI: c, App: "ccd"}
	for _, tc := range []struct {
		channel, endpoint string
		auto, headers     bool
	}{
		{"auto-pjsip", "PJSIP/1001", true, true},
		{"auto-pjsip-lower", "pjsip/1003", true, true},
		{"manual-pjsip", "PJSIP/1002", false, false},
		{"auto-local", "Local/1004@agents", true, false},
	} {
		call := AgentCall{ChannelID: tc.channel, CallID: "cust", Endpoint: tc.endpoint, CallerID: "5551234", Timeout: 15 * time.Second, AutoAnswer: tc.auto}
		if err := m.RingAgent(ctx, call); err != nil {
			t.Fatal(err)
		}
		callInfo, ciOK := sim.Channel(tc.channel).Variable("PJSIP_HEADER(add,Call-Info)")
		alertInfo, aiOK := sim.Channel(tc.channel).Variable("PJSIP_HEADER(add,Alert-Info)")
		if tc.headers && (callInfo != "<sip:127.0.0.1>;answer-after=0" || alertInfo != "<http://127.0.0.1>;info=alert-autoanswer;delay=0") {
			t.Errorf("%s: Call-Info %q, Alert-Info %q", tc.endpoint, callInfo, alertInfo)
		}
		if !tc.headers && (ciOK || aiOK) {
			t.Errorf("%s (auto_answer %v): headers added: %q %q", tc.endpoint, tc.auto, callInfo, alertInfo)
		}
	}
}
