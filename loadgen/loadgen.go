// Package loadgen makes a simulated call center busy: callers arrive on the
// ARI simulation (aritest.Sim) at a steady random rate and give up when they
// wait too long, agents' phones answer after a few seconds and hang up after
// a conversation, and agents pause now and then with an activity code. ccd
// demo runs it to show the interfaces moving; benchmarks use it as a load
// source.
package loadgen

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd/ari/aritest"
)

// Agents changes agents' states in the ccd under load (HTTPAgents: its
// REST API).
type Agents interface {
	Login(ctx context.Context, agent string) error
	Ready(ctx context.Context, agent string) error
	NotReady(ctx context.Context, agent, activity string) error
	// States is every agent's state (agent id -> ccd.Agent* state).
	States(ctx context.Context) (map[string]string, error)
}

// Range is a random duration between Min and Max.
type Range struct{ Min, Max time.Duration }

func (r Range) pick(rnd *rand.Rand) time.Duration {
	if r.Max <= r.Min {
		return r.Min
	}
	return r.Min + time.Duration(rnd.Int64N(int64(r.Max-r.Min)))
}

// Options describe the load. Zero values take the defaults in brackets.
type Options struct {
	Sim *aritest.Sim
	// Agents and Endpoints: the agents to log in and keep busy, and the
	// endpoint each answers at (agent id -> endpoint). Agents may be nil
	// for callers only.
	Agents    Agents
	Endpoints map[string]string
	// DNIS are the numbers callers dial, one picked at random per call.
	DNIS []string
	// CallsPerMinute is the mean arrival rate (Poisson); 0 places no
	// callers by itself (Call still does).
	CallsPerMinute float64
	// AnswerDelay is how long a phone rings before it answers [1-4 s],
	// Talk how long the conversation lasts [15-60 s], Patience how long a
	// caller waits before hanging up [30-120 s].
	AnswerDelay, Talk, Patience Range
	// PauseEvery: one ready agent goes not ready this often (0: never);
	// for PauseFor [10-30 s], with one of Activities [break].
	PauseEvery time.Duration
	PauseFor   Range
	Activities []string
	// Seed makes a run repeatable; 0 seeds from the clock.
	Seed uint64
	Log  *slog.Logger
}

// Generator is a running load.
type Generator struct {
	o   Options
	mu  sync.Mutex // guards rnd
	rnd *rand.Rand

	calls, abandons atomic.Int64
	seq             atomic.Int64

	tmu     sync.Mutex
	stopped bool
	timers  map[*time.Timer]struct{} // callers' patience, agents' pauses
}

// New prepares a load; Run starts it.
func New(o Options) *Generator {
	def := func(r *Range, min, max time.Duration) {
		if r.Max == 0 {
			*r = Range{min, max}
		}
	}
	def(&o.AnswerDelay, time.Second, 4*time.Second)
	def(&o.Talk, 15*time.Second, 60*time.Second)
	def(&o.Patience, 30*time.Second, 120*time.Second)
	def(&o.PauseFor, 10*time.Second, 30*time.Second)
	if len(o.Activities) == 0 {
		o.Activities = []string{"break"}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	seed := o.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &Generator{o: o, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), timers: map[*time.Timer]struct{}{}}
}

// after runs f after d, unless the load stops first.
func (g *Generator) after(d time.Duration, f func()) {
	g.tmu.Lock()
	defer g.tmu.Unlock()
	if g.stopped {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		g.tmu.Lock()
		_, live := g.timers[t]
		delete(g.timers, t)
		g.tmu.Unlock()
		if live {
			f()
		}
	})
	g.timers[t] = struct{}{}
}

// stop cancels what is pending: callers stay where they are, paused agents
// stay paused.
func (g *Generator) stop() {
	g.tmu.Lock()
	defer g.tmu.Unlock()
	g.stopped = true
	for t := range g.timers {
		t.Stop()
	}
	clear(g.timers)
}

// Calls and Abandons count the callers placed and those who gave up.
func (g *Generator) Calls() int64    { return g.calls.Load() }
func (g *Generator) Abandons() int64 { return g.abandons.Load() }

func (g *Generator) rand(f func(r *rand.Rand)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f(g.rnd)
}

// Run logs the agents in and makes ready, then places callers, varies the
// phones and pauses agents until ctx ends.
func (g *Generator) Run(ctx context.Context) error {
	defer g.stop()
	g.shufflePhones()
	if g.o.Agents != nil {
		for agent := range g.o.Endpoints {
			if err := g.o.Agents.Login(ctx, agent); err != nil {
				g.o.Log.Warn("loadgen: agent login", "agent", agent, "err", err)
			}
		}
	}
	phones := time.NewTicker(500 * time.Millisecond)
	defer phones.Stop()
	var pauses <-chan time.Time
	if g.o.PauseEvery > 0 && g.o.Agents != nil {
		t := time.NewTicker(g.o.PauseEvery)
		defer t.Stop()
		pauses = t.C
	}
	// A nil channel never fires: no arrivals at rate 0.
	var arrival <-chan time.Time
	var timer *time.Timer
	if next := g.nextArrival(); next > 0 {
		timer = time.NewTimer(next)
		defer timer.Stop()
		arrival = timer.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-phones.C:
			g.shufflePhones()
		case <-pauses:
			g.pauseOne(ctx)
		case <-arrival:
			if _, err := g.Call(""); err != nil {
				g.o.Log.Warn("loadgen: caller", "err", err)
			}
			timer.Reset(g.nextArrival())
		}
	}
}

// nextArrival is the time to the next caller (exponential), 0 for none.
func (g *Generator) nextArrival() time.Duration {
	if g.o.CallsPerMinute <= 0 {
		return 0
	}
	var d time.Duration
	g.rand(func(r *rand.Rand) { d = time.Duration(r.ExpFloat64() / g.o.CallsPerMinute * float64(time.Minute)) })
	return max(d, time.Millisecond)
}

// shufflePhones gives every agent's phone a new answer delay and
// conversation length for its next call.
func (g *Generator) shufflePhones() {
	for _, ep := range g.o.Endpoints {
		var b aritest.Behavior
		g.rand(func(r *rand.Rand) {
			b = aritest.Behavior{Action: aritest.EndpointAnswer, Delay: g.o.AnswerDelay.pick(r), HangupAfter: g.o.Talk.pick(r)}
		})
		g.o.Sim.SetEndpoint(ep, b)
	}
}

// Call places one caller now, to dnis (or a random one of Options.DNIS),
// who hangs up after its patience unless an agent has it by then.
func (g *Generator) Call(dnis string) (*aritest.SimChannel, error) {
	var patience time.Duration
	g.rand(func(r *rand.Rand) {
		if dnis == "" && len(g.o.DNIS) > 0 {
			dnis = g.o.DNIS[r.IntN(len(g.o.DNIS))]
		}
		patience = g.o.Patience.pick(r)
	})
	n := g.seq.Add(1)
	ch, err := g.o.Sim.NewCaller(aritest.CallerOptions{Args: []string{"inbound", dnis},
		Number: fmt.Sprintf("555%07d", n%10000000), ChannelID: fmt.Sprintf("load-%d", n)})
	if err != nil {
		return nil, err
	}
	g.calls.Add(1)
	g.after(patience, func() {
		if ch.Exists() && ch.BridgeID() == "" {
			if ch.Hangup(16) == nil {
				g.abandons.Add(1)
			}
		}
	})
	return ch, nil
}

// pauseOne makes one ready agent not ready for a while, then ready again.
func (g *Generator) pauseOne(ctx context.Context) {
	states, err := g.o.Agents.States(ctx)
	if err != nil {
		return
	}
	var ready []string
	for agent := range g.o.Endpoints {
		if states[agent] == "ready" {
			ready = append(ready, agent)
		}
	}
	if len(ready) == 0 {
		return
	}
	var agent, activity string
	var d time.Duration
	g.rand(func(r *rand.Rand) {
		agent = ready[r.IntN(len(ready))]
		activity = g.o.Activities[r.IntN(len(g.o.Activities))]
		d = g.o.PauseFor.pick(r)
	})
	if err := g.o.Agents.NotReady(ctx, agent, activity); err != nil {
		return
	}
	g.after(d, func() {
		// Only an agent still in the pause it was given comes back: one a
		// supervisor changed meanwhile stays as the supervisor left it.
		if st, err := g.o.Agents.States(context.Background()); err == nil && st[agent] == "not_ready" {
			_ = g.o.Agents.Ready(context.Background(), agent)
		}
	})
}
