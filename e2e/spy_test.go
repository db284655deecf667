package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/dialplan/spy"
	"github.com/ccdhq/ccd/dialplan/stasis"
)

// holder keeps the channels of its entry in the application and does
// nothing with them: the agent's leg of a call, for the spy to snoop on.
type holder struct{}

func (holder) Start(*ari.StasisStart, []string) {}
func (holder) Handle(ari.Event)                 {}

// The supervisor console's whisper on a real Asterisk: a snoop channel on
// an agent's channel (Local/…@agents, which answers and hangs up after
// 5 s) and the supervisor's phone (another Local/…@agents) end up in one
// bridge with the directions asked for; when the agent's call ends, Asterisk
// ends the snoop and the application hangs up the supervisor and removes
// the bridge.
func TestSpyOnRealAsterisk(t *testing.T) {
	e := setup(t)
	ctx := ctxT(t, 30*time.Second)
	appName := e.cfg.ARI.Application + "-itest"
	d := stasis.New(stasis.Config{Default: "held"})
	d.Register("held", holder{})
	app := spy.New(spy.Config{ARI: e.ari, App: appName, Owners: d})
	d.Register(spy.Entry, app)
	sub := e.ari.Subscribe()
	go d.Run(sub)
	t.Cleanup(sub.Close)

	target := uniq("agent")
	if _, err := e.ari.Originate(ctx, ari.OriginateParams{Endpoint: "Local/12@agents", App: appName, AppArgs: "held", ChannelID: target}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.ari.Channel(target).Hangup(ctxT(t, 5*time.Second), "normal") })
	poll(t, "the agent's channel up in the application", func() bool {
		ch, err := e.ari.Channel(target).Get(ctx)
		return err == nil && ch.State == "Up" && ch.Dialplan.AppName == "Stasis"
	})
	s, err := app.Spy(ctx, target, spy.Whisper, "Local/13@agents")
	if err != nil {
		t.Fatal(err)
	}
	snoop, err := e.ari.Channel(s.Snoop).Get(ctx)
	if err != nil || snoop.Dialplan.AppName != "Stasis" {
		t.Fatalf("snoop channel %+v %v", snoop, err)
	}
	poll(t, "the snoop channel and the supervisor's phone in one bridge", func() bool {
		b, err := e.ari.Bridge(s.Bridge).Get(ctx)
		return err == nil && slices.Contains(b.Channels, s.Snoop) && slices.Contains(b.Channels, s.Supervisor)
	})
	// [agents] hangs the agent's leg up 5 s after answering.
	poll(t, "the session ends with the agent's call", func() bool {
		_, errB := e.ari.Bridge(s.Bridge).Get(ctx)
		_, errS := e.ari.Channel(s.Supervisor).Get(ctx)
		_, errN := e.ari.Channel(s.Snoop).Get(ctx)
		return ari.IsNotFound(errB) && ari.IsNotFound(errS) && ari.IsNotFound(errN) && len(app.Sessions()) == 0
	})
}

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never: %s", what)
}
