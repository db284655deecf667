package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/store"
)

// The burst measure (c): burstCallers callers enter ccd's queue at once while
// burstAgents agents are free; the samples are the first burstAgents offers
// of each burst, from the caller's Stasis() step to the agent channel.
//
// The first warmupBursts bursts of each system are run and not counted: the
// first burst after a start pays for what is cold (ccd's pooled connections to
// Asterisk and PostgreSQL, Asterisk's first Local channels of the run), which
// a contact center pays once a day, not once a burst.
const (
	burstCallers = 60
	burstAgents  = 5
	warmupBursts = 1
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
	var before offerShare
	for burst := 0; len(out) < n; burst++ {
		if burst == warmupBursts {
			before = b.offerShare()
		}
		got, err := b.burst(ctx, db, agents)
		if err != nil {
			return nil, fmt.Errorf("ccd burst %d: %w", burst, err)
		}
		if burst >= warmupBursts {
			out = append(out, got...)
		}
	}
	b.notes = append(b.notes, b.offerShare().since(before).String())
	return out[:n], nil
}

// offerShare is ccd's histogram ccd_acd_offer_start_seconds: the offers
// decided on a caller's arrival, from the caller reaching ccd's queue
// application to the originate request starting: ccd's own share of the
// measure. Counts are cumulative per upper bound (seconds), as exposed.
type offerShare struct {
	le    []float64
	count []float64
	err   error
}

func (b *bench) offerShare() offerShare {
	resp, err := b.request(http.MethodGet, "/metrics", "")
	if err != nil {
		return offerShare{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return offerShare{err: err}
	}
	var s offerShare
	for _, line := range strings.Split(string(body), "\n") {
		rest, ok := strings.CutPrefix(line, `ccd_acd_offer_start_seconds_bucket{le="`)
		if !ok {
			continue
		}
		le, value, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		bound, err1 := strconv.ParseFloat(le, 64)
		n, err2 := strconv.ParseFloat(value, 64)
		if err1 == nil && err2 == nil {
			s.le, s.count = append(s.le, bound), append(s.count, n)
		}
	}
	if len(s.le) == 0 {
		s.err = fmt.Errorf("no ccd_acd_offer_start_seconds in /metrics")
	}
	return s
}

func (s offerShare) since(before offerShare) offerShare {
	if s.err != nil || before.err != nil || len(before.count) != len(s.count) {
		return offerShare{err: errors.Join(s.err, before.err, errors.New("ccd's share: metrics not comparable"))}
	}
	d := offerShare{le: s.le}
	for i := range s.count {
		d.count = append(d.count, s.count[i]-before.count[i])
	}
	return d
}

func (s offerShare) String() string {
	if s.err != nil {
		return "ccd's own share: " + s.err.Error()
	}
	total := s.count[len(s.count)-1]
	var b strings.Builder
	fmt.Fprintf(&b, "ccd's own share (caller reached ccd -> originate started, %d offers decided on arrival, all callers of the counted bursts):", int(total))
	for i, le := range s.le {
		if total > 0 && !math.IsInf(le, 1) {
			fmt.Fprintf(&b, " <=%gms %.1f%%", le*1000, 100*s.count[i]/total)
		}
	}
	return b.String()
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

// The same burst through app_queue: burstAgents members of the queue
// burstQueue (strategy leastrecent: one member rung per caller, as ccd
// does), added with QueueAdd; the callers dial burstExten@ccd-bench-queue.
const (
	burstQueue = "ccdbenchburst"
	burstExten = "burst"
)

func burstMembers() []string {
	var m []string
	for i := 1; i <= burstAgents; i++ {
		m = append(m, fmt.Sprintf("Local/81%02d@%s", 10+i, agentsContext))
	}
	return m
}

// appQueueBurst runs app_queue bursts until n samples are taken.
func (b *bench) appQueueBurst(ctx context.Context, n int) ([]sample, error) {
	queueAction := func(name, iface string) error {
		f := []ami.Field{{Key: "Queue", Value: burstQueue}, {Key: "Interface", Value: iface}}
		_, err := b.ami.Action(ctx, ami.Action{Name: name, Fields: f})
		return err
	}
	for _, m := range burstMembers() {
		_ = queueAction("QueueRemove", m)
		if err := queueAction("QueueAdd", m); err != nil {
			return nil, fmt.Errorf("QueueAdd %s: %w", m, err)
		}
		defer queueAction("QueueRemove", m)
	}
	var out []sample
	for burst := 0; len(out) < n; burst++ {
		got, err := b.appQueueBurstOnce()
		if err != nil {
			return nil, fmt.Errorf("app_queue burst %d: %w", burst, err)
		}
		if burst >= warmupBursts {
			out = append(out, got...)
		}
	}
	return out[:n], nil
}

func (b *bench) appQueueBurstOnce() ([]sample, error) {
	// The members' channels are known only once app_queue rings them: every
	// member Newchannel and dialplan stamp of the burst is kept, by channel.
	isMember := func(m *ami.Message) bool {
		return strings.HasPrefix(m.Get("Channel"), "Local/81") && strings.Contains(m.Get("Channel"), "@"+agentsContext+"-")
	}
	created := b.w.tap(func(m *ami.Message) bool { return m.Event() == "Newchannel" && isMember(m) })
	rang := b.w.tap(func(m *ami.Message) bool {
		return m.Event() == "VarSet" && m.Get("Variable") == "BENCH_RING" && isMember(m)
	})
	defer created.close()
	defer rang.close()
	type caller struct{ start, in, join, called, gone <-chan *ami.Message }
	callers := make([]caller, burstCallers)
	for i := range callers {
		id := b.peekCaller()
		callers[i] = caller{start: b.w.expect(isNewexten(id, "Queue")), in: b.w.expect(isVarSet(id, "BENCH_IN")),
			join:   b.w.expect(func(m *ami.Message) bool { return m.Event() == "QueueCallerJoin" && m.Get("Uniqueid") == id }),
			called: b.w.expect(func(m *ami.Message) bool { return m.Event() == "AgentCalled" && m.Get("Uniqueid") == id }),
			gone:   b.w.expect(isHangup(id))}
		b.placeCaller(context.Background(), burstExten, queueContext)
	}
	type offer struct {
		at time.Time
		s  sample
	}
	var all []offer
	for i, c := range callers {
		// app_queue's waiting callers look for a free member once a second:
		// the whole burst takes about as many seconds as there are rounds.
		ev, err := waitAllWithin(2*time.Minute, c.start, c.in, c.join, c.called, c.gone)
		if err != nil {
			return nil, fmt.Errorf("caller %d: %w", i, err)
		}
		member := ev[3].Get("DestChannel") // the ;1 half
		nc, ok := created.get(member)
		if !ok {
			return nil, fmt.Errorf("caller %d: no Newchannel for %s", i, member)
		}
		s := sample{System: "app_queue", Measure: "burst", Main: stamp(nc).Sub(stamp(ev[0])), Took: stamp(nc).Sub(stamp(ev[2]))}
		if r, ok := rang.get(strings.TrimSuffix(member, ";1") + ";2"); ok {
			s.Rings = value(r).Sub(value(ev[1]))
		}
		all = append(all, offer{at: stamp(nc), s: s})
	}
	slices.SortFunc(all, func(x, y offer) int { return x.at.Compare(y.at) })
	var first []sample
	for _, o := range all[:burstAgents] {
		first = append(first, o.s)
	}
	return first, nil
}
