package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/store"
)

// The burst measure (c): burstCallers callers enter ccd's queue at once while
// burstAgents agents are free; the samples are the first burstAgents offers
// of each burst, from the caller's Stasis() step to the agent channel.
const (
	burstCallers = 60
	burstAgents  = 5
)

// ccdBurst runs bursts until n samples are taken.
func (b *bench) ccdBurst(ctx context.Context, cfg config.Config, n int) ([]sample, error) {
	var agents []config.Agent
	for i := 1; i <= burstAgents; i++ {
		id := fmt.Sprintf("80%02d", i)
		agents = append(agents, config.Agent{ID: id, Name: "Bench " + id, Endpoint: "Local/" + id + "@" + agentsContext})
	}
	db, stop, err := b.startCCD(ctx, cfg, agents)
	if err != nil {
		return nil, err
	}
	defer stop()
	var out []sample
	for burst := 0; len(out) < n; burst++ {
		got, err := b.burst(ctx, db, agents)
		if err != nil {
			return nil, fmt.Errorf("ccd burst %d: %w", burst, err)
		}
		out = append(out, got...)
	}
	return out[:n], nil
}

// burstCaller is what is watched of one caller of a burst.
type burstCaller struct {
	start, in, offered, rings, gone <-chan *ami.Message
}

func (b *bench) burst(ctx context.Context, db *store.DB, agents []config.Agent) ([]sample, error) {
	for _, a := range agents {
		if err := b.agentState(ctx, a.ID, "ready"); err != nil {
			return nil, err
		}
	}
	callers := make([]burstCaller, burstCallers)
	for i := range callers {
		caller := b.peekCaller()
		agent := caller + "-1" // the first offer of each caller
		callers[i] = burstCaller{
			start: b.w.expect(isNewexten(caller, "Stasis")), in: b.w.expect(isVarSet(caller, "BENCH_IN")),
			offered: b.w.expect(isNewchannel(agent)), rings: b.w.expect(isVarSet(agent+";2", "BENCH_RING")),
			gone: b.w.expect(isHangup(caller)),
		}
		b.placeCaller(ctx, benchDNIS, ccdContext)
	}
	type offer struct {
		caller string
		at     time.Time // the agent channel's creation
		s      sample
	}
	var all []offer
	for i, c := range callers {
		// Each caller is answered in turn (the agents talk 0.2 s): the
		// whole burst takes a few seconds.
		ev, err := waitAllWithin(time.Minute, c.start, c.in, c.offered, c.rings, c.gone)
		if err != nil {
			return nil, fmt.Errorf("caller %d: %w", i, err)
		}
		all = append(all, offer{caller: ev[0].Get("Uniqueid"), at: stamp(ev[2]), s: sample{System: "ccd", Measure: "burst",
			Main: stamp(ev[2]).Sub(stamp(ev[0])), Rings: value(ev[3]).Sub(value(ev[1]))}})
	}
	// The first offers are the ones the free agents took: the earliest agent
	// channels of the burst.
	slices.SortFunc(all, func(x, y offer) int { return x.at.Compare(y.at) })
	var first []sample
	for _, o := range all[:burstAgents] {
		if at, err := b.logged(ctx, db, store.EventFilter{Kind: ccd.EventCallQueued, CallID: o.caller}); err == nil {
			o.s.Took = o.at.Sub(at)
		}
		first = append(first, o.s)
	}
	return first, nil
}
