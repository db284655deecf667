package flow

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/flow"
)

func soundsFlow() config.ACD {
	return config.ACD{Flows: []flow.Flow{{Name: "main", Start: "m", Nodes: []flow.Node{
		{ID: "m", Menu: &flow.Menu{Prompt: []string{"sound:welcome", "sound:nosuch", "recording:prompt-hello", "digits:12"},
			Keys: map[string]string{"1": "bye"}, TimeoutDest: "hangup", InvalidDest: "hangup"}},
		{ID: "bye", Play: &flow.Play{Sounds: []string{"recording:prompt-gone"}, Next: "hangup"}},
	}}}}
}

// A flow naming a sound or a recording Asterisk does not have (its 404) is
// refused, naming each node and field; the ones it has pass.
func TestSavingAFlowChecksItsSoundsOnAsterisk(t *testing.T) {
	sim := aritest.NewSim()
	t.Cleanup(sim.Close)
	sim.AddSound("welcome", "wav")
	sim.AddStoredRecording("prompt-hello", "wav")
	client := connect(t, sim)
	s := &Sounds{ARI: client}
	acd := soundsFlow()
	err := s.Vet(context.Background(), &acd, ccd.ConfigFlow, 0)
	var keys []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *config.Error
		if !errors.As(e, &ce) {
			t.Fatalf("not a config error: %v", e)
		}
		keys = append(keys, ce.Key+" "+ce.Problem)
	}
	want := []string{
		`acd.flows[0].nodes[0].menu.prompt[1] node "m": no such sound or recording on Asterisk: "sound:nosuch"`,
		`acd.flows[0].nodes[1].play.sounds[0] node "bye": no such sound or recording on Asterisk: "recording:prompt-gone"`,
	}
	if strings.Join(keys, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}
	sim.AddSound("nosuch", "gsm")
	sim.AddStoredRecording("prompt-gone", "wav")
	if err := s.Vet(context.Background(), &acd, ccd.ConfigFlow, 0); err != nil {
		t.Fatalf("every sound exists now: %v", err)
	}
	if err := s.Vet(context.Background(), &acd, ccd.ConfigQueue, 0); err != nil {
		t.Fatalf("a queue: %v", err)
	}
}

// Without Asterisk a flow is saved (an outage must not block the
// administration); once Asterisk is back its sounds are checked and each
// missing one is a warning.
func TestAFlowSavedWithoutAsteriskIsCheckedWhenItIsBack(t *testing.T) {
	down := aritest.NewSim()
	cfg := down.Config("ccd")
	down.Close()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	client, err := ari.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	var logged strings.Builder
	var mu sync.Mutex
	s := &Sounds{ARI: client, Log: slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(p)
	}), nil))}
	acd := soundsFlow()
	if err := s.Vet(context.Background(), &acd, ccd.ConfigFlow, 0); err != nil || !s.Pending() {
		t.Fatalf("saved without Asterisk: %v, pending %v", err, s.Pending())
	}
	// Asterisk is back (here: a client of one that answers).
	sim := aritest.NewSim()
	t.Cleanup(sim.Close)
	sim.AddSound("welcome", "wav")
	s.ARI = connect(t, sim)
	s.Recheck(context.Background(), acd.Flows)
	if s.Pending() {
		t.Fatal("still pending after Asterisk answered")
	}
	mu.Lock()
	out := logged.String()
	mu.Unlock()
	for _, missing := range []string{"sound:nosuch", "recording:prompt-hello", "recording:prompt-gone"} {
		if !strings.Contains(out, missing) {
			t.Errorf("no warning for %s:\n%s", missing, out)
		}
	}
	if strings.Contains(out, `\"sound:welcome\"`) {
		t.Errorf("a warning for a sound Asterisk has:\n%s", out)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func connect(t *testing.T, sim *aritest.Sim) *ari.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	client, err := ari.Connect(ctx, sim.Config("ccd"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	if err := sim.WaitConnected(ctx, "ccd"); err != nil {
		t.Fatal(err)
	}
	until(t, "the client sees the link up", func() bool { return client.Status().Connected })
	return client
}
