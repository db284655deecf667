package ari_test

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
)

func connect(t *testing.T, cfg ari.Config) *ari.Client {
	t.Helper()
	c, err := ari.Connect(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The REST calls of the "answered" capture, made through Client, get the
// recorded responses back as typed values.
func TestReplayAnsweredREST(t *testing.T) {
	rp, err := aritest.NewReplay(captures+"ari-queue-answered.rest.txt", "")
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	ctx := testCtx(t)
	c := connect(t, rp.Config("ccd"))

	caller, err := c.Originate(ctx, ari.OriginateParams{
		Endpoint: "Local/5551234@inbound", Extension: "s", Context: "customer", Priority: 1,
		CallerID: `"Customer" <5551234>`, ChannelID: "caller-probe-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if caller.ID != "caller-probe-1" || caller.Name != "Local/5551234@inbound-00000006;1" ||
		caller.State != ari.ChannelStateDown || caller.Caller != (ari.CallerID{Name: "Customer", Number: "5551234"}) ||
		caller.Dialplan != (ari.DialplanCEP{Context: "inbound", Exten: "5551234", Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"}) ||
		!caller.CreationTime.Equal(time.Date(2026, 11, 22, 18, 35, 24, 137e6, time.UTC)) {
		t.Errorf("originate caller: %+v", caller)
	}
	stasis := c.Channel("caller-probe-1;2")
	if err := stasis.Answer(ctx); err != nil {
		t.Fatalf("answer: %v", err)
	}
	if err := stasis.StartMOH(ctx, "default"); err != nil {
		t.Fatalf("moh: %v", err)
	}
	br, err := c.CreateBridge(ctx, ari.CreateBridgeParams{Type: "mixing", Name: "q-support"})
	if err != nil {
		t.Fatal(err)
	}
	if br.ID != "9067ebaf-ecee-47de-b77c-88d584ea6f7f" || br.BridgeType != ari.BridgeTypeMixing ||
		br.Technology != "simple_bridge" || br.BridgeClass != "stasis" || br.Creator != "Stasis" ||
		br.Name != "q-support" || br.Channels == nil || len(br.Channels) != 0 || br.VideoMode != "talker" {
		t.Errorf("bridge: %+v", br)
	}
	agent, err := c.Originate(ctx, ari.OriginateParams{
		Endpoint: "Local/1001@agents", App: "ccd", AppArgs: "agent,1001", CallerID: "5551234",
		ChannelID: "agent-probe-1", Timeout: 15,
	})
	if err != nil {
		t.Fatal(err)
	}
	if agent.ID != "agent-probe-1" || agent.Name != "Local/1001@agents-00000007;1" || agent.Caller.Number != "5551234" {
		t.Errorf("originate agent: %+v", agent)
	}
	if err := stasis.StopMOH(ctx); err != nil {
		t.Fatal(err)
	}
	bridge := c.Bridge(br.ID)
	if err := bridge.AddChannels(ctx, "caller-probe-1;2", "agent-probe-1"); err != nil {
		t.Fatal(err)
	}
	rec, err := bridge.Record(ctx, ari.RecordParams{Name: "probe-rec-1", Format: "wav", IfExists: ari.IfExistsOverwrite})
	if err != nil {
		t.Fatal(err)
	}
	if *rec != (ari.LiveRecording{Name: "probe-rec-1", Format: "wav", State: ari.RecordingStateQueued, TargetURI: "bridge:" + br.ID}) {
		t.Errorf("record: %+v", rec)
	}
	if err := stasis.Hangup(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if err := bridge.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if u := rp.Unmatched(); len(u) != 0 {
		t.Errorf("requests without recorded response: %v", u)
	}
	if u := rp.Unused(); len(u) != 0 {
		t.Errorf("recorded requests not made: %v", u)
	}
	// The Local channel id goes on the wire with its ';' as recorded.
	if got := rp.Requests()[1]; got.Method != "POST" || got.Path != "/channels/caller-probe-1;2/answer" {
		t.Errorf("request 1 = %v", got)
	}
}

// The SIP agent capture adds hold/unhold and a hangup of the agent by the
// application.
func TestReplaySIPAgentREST(t *testing.T) {
	rp, err := aritest.NewReplay(captures+"ari-queue-sip-agent.rest.txt", "")
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	ctx := testCtx(t)
	c := connect(t, rp.Config("ccd"))
	steps := []func() error{
		func() error {
			_, err := c.Originate(ctx, ari.OriginateParams{Endpoint: "Local/5551234@inbound", Extension: "s", Context: "customer",
				Priority: 1, CallerID: `"Customer" <5551234>`, ChannelID: "caller-probe-1"})
			return err
		},
		func() error { return c.Channel("caller-probe-1;2").Answer(ctx) },
		func() error { return c.Channel("caller-probe-1;2").StartMOH(ctx, "default") },
		func() error {
			_, err := c.CreateBridge(ctx, ari.CreateBridgeParams{Type: "mixing", Name: "q-support"})
			return err
		},
		func() error {
			ch, err := c.Originate(ctx, ari.OriginateParams{Endpoint: "PJSIP/1001", App: "ccd", AppArgs: "agent,1001",
				CallerID: "5551234", ChannelID: "agent-probe-1", Timeout: 15})
			if err == nil && (ch.ProtocolID != "e3fb4ded-1a98-47b7-9fdb-c124d0dcb0b4" || ch.Name != "PJSIP/1001-00000003") {
				t.Errorf("PJSIP originate: %+v", ch)
			}
			return err
		},
		func() error { return c.Channel("caller-probe-1;2").StopMOH(ctx) },
		func() error {
			return c.Bridge("ece4b60e-71e4-410f-bd15-7c8006761570").AddChannel(ctx, ari.AddChannelParams{Channels: []string{"caller-probe-1;2", "agent-probe-1"}})
		},
		func() error {
			_, err := c.Bridge("ece4b60e-71e4-410f-bd15-7c8006761570").Record(ctx, ari.RecordParams{Name: "probe-rec-1", Format: "wav", IfExists: "overwrite"})
			return err
		},
		func() error { return c.Channel("agent-probe-1").Hold(ctx) },
		func() error { return c.Channel("agent-probe-1").Unhold(ctx) },
		func() error { return c.Channel("agent-probe-1").Hangup(ctx, "") },
		func() error { return c.Channel("caller-probe-1;2").Hangup(ctx, "") },
		func() error { return c.Bridge("ece4b60e-71e4-410f-bd15-7c8006761570").Destroy(ctx) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if u := rp.Unmatched(); len(u) != 0 {
		t.Errorf("unmatched: %v", u)
	}
	if u := rp.Unused(); len(u) != 0 {
		t.Errorf("unused: %v", u)
	}
}

func readLines(t *testing.T, file string) [][]byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, err := aritest.ParseEvents(f)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// Every recorded event of every capture arrives through a Subscription
// as the right typed value.
func TestReplayEventsAllCaptures(t *testing.T) {
	for _, name := range []string{"ari-queue-answered", "ari-queue-abandoned", "ari-queue-sip-agent"} {
		t.Run(name, func(t *testing.T) {
			file := captures + name + ".ari.jsonl"
			lines := readLines(t, file)
			rp, err := aritest.NewReplay("", file)
			if err != nil {
				t.Fatal(err)
			}
			defer rp.Close()
			c := connect(t, rp.Config("ccd"))
			all := record(c.Subscribe())
			caller := record(c.Channel("caller-probe-1;2").Subscribe())
			hangups := record(c.Subscribe(ari.EventChannelHangupRequest, ari.EventStasisEnd))
			if err := rp.WaitConnected(testCtx(t), "ccd"); err != nil {
				t.Fatal(err)
			}
			if n, err := rp.SendAll(); err != nil || n != len(lines) {
				t.Fatalf("SendAll = %d, %v", n, err)
			}
			got := all.waitN(t, len(lines))
			var wantCaller, wantHangups int
			for i, l := range lines {
				want, err := ari.Decode(l)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got[i], want) {
					t.Errorf("event %d: got %s, want %s", i, describe(got[i]), describe(want))
				}
				if slices.Contains(ari.Keys(want), ari.Key{Kind: ari.KindChannel, ID: "caller-probe-1;2"}) {
					wantCaller++
				}
				if typ := want.EventType(); typ == "ChannelHangupRequest" || typ == "StasisEnd" {
					wantHangups++
				}
			}
			callerEvents := caller.waitN(t, wantCaller)
			for _, ev := range callerEvents {
				if !slices.Contains(ari.Keys(ev), ari.Key{Kind: ari.KindChannel, ID: "caller-probe-1;2"}) {
					t.Errorf("scoped subscription got %s", describe(ev))
				}
			}
			for _, ev := range hangups.waitN(t, wantHangups) {
				if typ := ev.EventType(); typ != "ChannelHangupRequest" && typ != "StasisEnd" {
					t.Errorf("typed subscription got %s", typ)
				}
			}
			time.Sleep(20 * time.Millisecond)
			if n := len(all.all()); n != len(lines) {
				t.Errorf("got %d events, want %d", n, len(lines))
			}
			if n := len(caller.all()); n != wantCaller {
				t.Errorf("caller subscription got %d events, want %d", n, wantCaller)
			}

			// Spot checks of typed fields.
			ss := got[0].(*ari.StasisStart)
			if !slices.Equal(ss.Args, []string{"inbound", "5551234"}) || ss.Channel.ID != "caller-probe-1;2" || ss.Channel.State != "Ring" {
				t.Errorf("StasisStart %+v", ss)
			}
			for _, ev := range got {
				switch e := ev.(type) {
				case *ari.Dial:
					if e.Peer.ID != "agent-probe-1" || !slices.Contains([]string{"", "RINGING", "ANSWER"}, e.DialStatus) {
						t.Errorf("Dial %+v", e)
					}
				case *ari.ChannelHangupRequest:
					if e.Cause != 16 && e.Cause != 32 {
						t.Errorf("hangup cause %d", e.Cause)
					}
				case *ari.RecordingFinished:
					if e.Recording.State != "done" || e.Recording.Duration < 5 || !strings.HasPrefix(e.Recording.TargetURI, "bridge:") {
						t.Errorf("RecordingFinished %+v", e.Recording)
					}
				case *ari.ChannelDestroyed:
					if e.Cause != 16 || e.CauseTxt != "Normal Clearing" {
						t.Errorf("ChannelDestroyed %+v", e)
					}
				}
			}
			if name == "ari-queue-sip-agent" {
				statuses := []string{}
				for _, ev := range got {
					if d, isDial := ev.(*ari.Dial); isDial {
						statuses = append(statuses, d.DialStatus)
					}
				}
				if !slices.Equal(statuses, []string{"", "RINGING", "ANSWER"}) {
					t.Errorf("dial statuses %q", statuses)
				}
			}
		})
	}
}

// Replay can also pace events with a test-controlled SendNext.
func TestReplaySendNext(t *testing.T) {
	file := captures + "ari-queue-abandoned.ari.jsonl"
	rp, err := aritest.NewReplay("", file)
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	if _, err := rp.SendNext(1); !errors.Is(err, aritest.ErrNoWebsocket) {
		t.Errorf("SendNext without websocket: %v", err)
	}
	c := connect(t, rp.Config("ccd"))
	log := record(c.Subscribe())
	if err := rp.WaitConnected(testCtx(t), "ccd"); err != nil {
		t.Fatal(err)
	}
	if n, _ := rp.SendNext(2); n != 2 || rp.Remaining() != 2 {
		t.Fatalf("SendNext(2) = %d, remaining %d", n, rp.Remaining())
	}
	evs := log.waitN(t, 2)
	if evs[0].EventType() != "StasisStart" || evs[1].EventType() != "ChannelStateChange" {
		t.Errorf("%s", summary(evs))
	}
	if err := rp.Play(testCtx(t), 1000); err != nil {
		t.Fatal(err)
	}
	evs = log.waitN(t, 4)
	if hr := evs[2].(*ari.ChannelHangupRequest); hr.Cause != 16 || hr.Soft {
		t.Errorf("%+v", hr)
	}
}
