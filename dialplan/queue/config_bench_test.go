package queue

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
)

// BenchmarkConfigChangeToOffer measures how long a configuration change
// takes to reach the next offer: a caller waits in a queue whose only
// logged-in agent lacks the skill; Apply gives the agent the skill; the
// time runs until the application has decided the offer (call.ringing
// emitted, the originate handed to its worker) and, as "originated", until
// the agent's channel exists in the ARI simulation. Reported: p50 and p99.
//
//	go test -run '^$' -bench ConfigChangeToOffer -benchtime 500x ./dialplan/queue/
func BenchmarkConfigChangeToOffer(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim := aritest.NewSim()
	defer sim.Close()
	sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointRing})
	c, err := ari.Connect(ctx, sim.Config("ccd"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	without := config.ACD{
		Routes: []config.Route{{DNIS: "100", Queue: "support"}},
		Queues: []config.Queue{{Code: "support", Skills: map[string]int{"support": 1}, RingTimeout: time.Minute}},
		Agents: []config.Agent{{ID: "a1", Endpoint: "PJSIP/1001"}},
	}
	with := without
	with.Agents = []config.Agent{{ID: "a1", Endpoint: "PJSIP/1001", Skills: map[string]int{"support": 1}}}
	queued, ringing, ended := make(chan string, 16), make(chan string, 16), make(chan string, 16)
	emit := func(ev eventlog.Event) error {
		switch ev.Kind {
		case ccd.EventCallQueued:
			queued <- ev.CallID
		case ccd.EventCallRinging:
			ringing <- ev.CallID
		case ccd.EventCallEnded:
			ended <- ev.CallID
		}
		return nil
	}
	var app *App
	d := dispatcher(b, c, without, emit, nil, nil, func(a *App) { app = a }, nil)
	go d.Run(c.Subscribe())
	if err := sim.WaitConnected(ctx, "ccd"); err != nil {
		b.Fatal(err)
	}
	go app.Run(ctx)
	if err := app.Load(ctx, nil); err != nil {
		b.Fatal(err)
	}
	for !c.Status().Connected {
		time.Sleep(time.Millisecond)
	}
	if err := app.Reconcile(ctx, nil); err != nil {
		b.Fatal(err)
	}
	if err := app.Login(ctx, "a1", ""); err != nil {
		b.Fatal(err)
	}
	decided := make([]time.Duration, 0, b.N)
	originated := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("c%d", i)
		if _, err := sim.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "100"}, ChannelID: id, Endpoint: "PJSIP/caller"}); err != nil {
			b.Fatal(err)
		}
		<-queued
		start := time.Now()
		if err := app.Apply(ctx, with); err != nil {
			b.Fatal(err)
		}
		if got := <-ringing; got != id {
			b.Fatalf("offer for %s, want %s", got, id)
		}
		decided = append(decided, time.Since(start))
		if _, err := sim.WaitChannel(ctx, id+"-1"); err != nil {
			b.Fatal(err)
		}
		originated = append(originated, time.Since(start))
		b.StopTimer()
		if err := app.Apply(ctx, without); err != nil {
			b.Fatal(err)
		}
		if err := sim.Channel(id).Hangup(16); err != nil {
			b.Fatal(err)
		}
		<-ended
		// The agent is ready again once the abandoned offer is withdrawn.
		for {
			st, err := app.Agent(ctx, "a1")
			if err != nil {
				b.Fatal(err)
			}
			if st.State == ccd.AgentReady {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
		b.StartTimer()
	}
	report(b, "decided", decided)
	report(b, "originated", originated)
}

func report(b *testing.B, what string, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), what+"-p50-ms")
	b.ReportMetric(at(0.99), what+"-p99-ms")
}
