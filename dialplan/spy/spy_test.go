package spy_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/dialplan/spy"
	"github.com/ccdhq/ccd/dialplan/stasis"
)

type env struct {
	t   *testing.T
	ctx context.Context
	sim *aritest.Sim
	app *spy.App
}

func newEnv(t *testing.T) *env {
	t.Helper()
	sim := aritest.NewSim()
	t.Cleanup(sim.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	client, err := ari.Connect(ctx, sim.Config("ccd"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	d := stasis.New(stasis.Config{Default: "inbound"})
	app := spy.New(spy.Config{ARI: client, App: "ccd", Owners: d})
	d.Register(spy.Entry, app)
	go d.Run(client.Subscribe())
	if err := sim.WaitConnected(ctx, "ccd"); err != nil {
		t.Fatal(err)
	}
	sim.SetEndpoint("PJSIP/2000", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	return &env{t: t, ctx: ctx, sim: sim, app: app}
}

// agentCall is a channel in the application standing for an agent's leg.
func (e *env) agentCall(id string) *aritest.SimChannel {
	e.t.Helper()
	c, err := e.sim.NewCaller(aritest.CallerOptions{ChannelID: id, Number: "5550000", Args: []string{"inbound"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never: %s", what)
}

// Each mode snoops on the agent's channel with its directions, rings the
// supervisor, and bridges the snoop channel with the supervisor's answered
// leg; the agent's call ending ends the snoop, the supervisor's leg and the
// bridge.
func TestSpyModes(t *testing.T) {
	for mode, whisper := range map[string]string{spy.Listen: "none", spy.Whisper: "out", spy.Barge: "both"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t)
			agent := e.agentCall("agent-1")
			s, err := e.app.Spy(e.ctx, agent.ID(), mode, "PJSIP/2000")
			if err != nil {
				t.Fatal(err)
			}
			snoop, sup := e.sim.Channel(s.Snoop), e.sim.Channel(s.Supervisor)
			target, sd, wd, ok := snoop.Snooping()
			if !ok || target != agent.ID() || sd != "both" || wd != whisper {
				t.Fatalf("snoop %v on %s spy %s whisper %s, want on %s spy both whisper %s", ok, target, sd, wd, agent.ID(), whisper)
			}
			eventually(t, "both legs in the bridge", func() bool {
				return snoop.BridgeID() == s.Bridge && sup.BridgeID() == s.Bridge
			})
			if err := agent.Hangup(16); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the session ends with the call", func() bool {
				_, bridged := e.sim.Bridge(s.Bridge)
				return !snoop.Exists() && !sup.Exists() && !bridged && len(e.app.Sessions()) == 0
			})
		})
	}
}

// A supervisor hanging up ends the snoop; a call that ended before is a
// conflict; a bad mode is invalid.
func TestSpyEnds(t *testing.T) {
	e := newEnv(t)
	agent := e.agentCall("agent-2")
	s, err := e.app.Spy(e.ctx, agent.ID(), spy.Listen, "PJSIP/2000")
	if err != nil {
		t.Fatal(err)
	}
	sup := e.sim.Channel(s.Supervisor)
	eventually(t, "the supervisor answers", func() bool { return sup.BridgeID() == s.Bridge })
	if err := sup.Hangup(16); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the snoop ends with the supervisor", func() bool { return !e.sim.Channel(s.Snoop).Exists() })
	if !agent.Exists() {
		t.Fatal("the agent's call ended with the supervisor's leg")
	}
	if _, err := e.app.Spy(e.ctx, "gone-channel", spy.Barge, "PJSIP/2000"); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Fatalf("spy on an ended call: %v, want a conflict", err)
	}
	if _, err := e.app.Spy(e.ctx, agent.ID(), "spy", "PJSIP/2000"); ccd.ErrorCode(err) != ccd.EINVALID {
		t.Fatalf("bad mode: %v", err)
	}
	eventually(t, "no session left", func() bool { return len(e.app.Sessions()) == 0 })
}
