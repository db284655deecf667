// Package sim is a seeded discrete-event simulation of an outbound campaign,
// to measure pacing algorithms against each other: agents, calls placed by
// the pacer, people who answer (or not) after a ring time, talk times, and the
// law's abandon rule (an answered call that finds no agent within 2 s).
//
// Everything random comes from the seed, so a run is reproducible; the clock is
// virtual, so a simulated day takes seconds.
package sim

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ccdhq/ccd/dialer/pacing"
)

// Config describes one run.
type Config struct {
	Seed   uint64
	Agents int
	Hours  int
	// AnswerLow and AnswerHigh bound the share of calls a person answers; it
	// drifts between them over the day (period AnswerPeriod).
	AnswerLow, AnswerHigh float64
	AnswerPeriod          time.Duration
	// NoAnswer is how long an unanswered call rings before the dialer gives up
	// (at least 15 s by law).
	NoAnswer time.Duration
	// Tick is how often the pacer is asked.
	Tick time.Duration
}

// Defaults fills the zero fields with the figures of a typical campaign.
func (c Config) Defaults() Config {
	if c.Agents == 0 {
		c.Agents = 10
	}
	if c.Hours == 0 {
		c.Hours = 24
	}
	if c.AnswerLow == 0 && c.AnswerHigh == 0 {
		c.AnswerLow, c.AnswerHigh = 0.20, 0.40
	}
	if c.AnswerPeriod == 0 {
		c.AnswerPeriod = 7 * time.Hour
	}
	if c.NoAnswer == 0 {
		c.NoAnswer = 25 * time.Second
	}
	if c.Tick == 0 {
		c.Tick = time.Second
	}
	return c
}

// Pacer is what the simulation asks every tick.
type Pacer interface {
	Pace(pacing.Observation) pacing.Decision
}

// SettingsPacer paces with pacing.Pace and fixed settings.
type SettingsPacer pacing.Settings

// Pace implements Pacer.
func (s SettingsPacer) Pace(o pacing.Observation) pacing.Decision {
	return pacing.Pace(pacing.Settings(s), o)
}

// Hour is what happened in one simulated hour.
type Hour struct {
	Talk, LoggedIn      time.Duration
	Placed              int
	Answered, Abandoned int
	Connected           int
}

// Occupancy is talk time over logged-in time.
func (h Hour) Occupancy() float64 { return ratio(h.Talk.Seconds(), h.LoggedIn.Seconds()) }

// AbandonRate is abandoned over answered by a person.
func (h Hour) AbandonRate() float64 { return ratio(float64(h.Abandoned), float64(h.Answered)) }

// Result is a run's hours.
type Result struct {
	Config Config
	Hours  []Hour
}

// Total sums the hours.
func (r Result) Total() Hour { return sum(r.Hours) }

// WorstHourAbandon is the highest hourly abandon rate.
func (r Result) WorstHourAbandon() float64 {
	var w float64
	for _, h := range r.Hours {
		w = max(w, h.AbandonRate())
	}
	return w
}

// Worst24hAbandon is the highest abandon rate of any 24 consecutive hours (of
// the whole run when it is shorter).
func (r Result) Worst24hAbandon() float64 {
	n := min(24, len(r.Hours))
	var w float64
	for i := 0; i+n <= len(r.Hours); i++ {
		w = max(w, sum(r.Hours[i:i+n]).AbandonRate())
	}
	return w
}

// CallsPerAgentHour is connected calls per logged-in agent hour.
func (r Result) CallsPerAgentHour() float64 {
	t := r.Total()
	return ratio(float64(t.Connected), t.LoggedIn.Hours())
}

func sum(hs []Hour) Hour {
	var t Hour
	for _, h := range hs {
		t.Talk += h.Talk
		t.LoggedIn += h.LoggedIn
		t.Placed += h.Placed
		t.Answered += h.Answered
		t.Abandoned += h.Abandoned
		t.Connected += h.Connected
	}
	return t
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Run simulates cfg with pacer p.
func Run(cfg Config, p Pacer) Result {
	cfg = cfg.Defaults()
	s := newSim(cfg)
	end := dur(cfg.Hours) * time.Hour
	for t := time.Duration(0); t < end; t += cfg.Tick {
		s.runUntil(t)
		d := p.Pace(s.observe(t))
		for range d.Calls {
			s.place(t)
		}
	}
	s.runUntil(end)
	return Result{Config: cfg, Hours: s.hours}
}

func dur(n int) time.Duration { return time.Duration(n) }

type eventKind int

const (
	evAnswer  eventKind = iota // a person answers
	evFail                     // the call ends unanswered
	evFree                     // an agent's call ends
	evTimeout                  // an answered call's 2 s are up
)

type event struct {
	at   time.Duration
	kind eventKind
	call *call
	seq  int // ties in placement order, for reproducibility
}

type call struct {
	placed   time.Duration
	answered time.Duration
	talk     time.Duration
	ringIdx  int // index in sim.ringing, -1 when not ringing
	waitIdx  int // index in sim.waiting, -1 when not waiting
	agent    int
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// sample keeps the last n values.
type sample struct {
	values []time.Duration
	next   int
	n      int
}

func (s *sample) add(v time.Duration) {
	if len(s.values) < s.n {
		s.values = append(s.values, v)
		return
	}
	s.values[s.next] = v
	s.next = (s.next + 1) % s.n
}

type sim struct {
	cfg     Config
	rng     *rand.Rand
	phase   float64
	now     time.Duration
	events  eventQueue
	seq     int
	ringing []*call
	waiting []*call
	free    []int           // agent ids
	busy    []time.Duration // per agent: start of its call, -1 when free
	hours   []Hour

	ring, fail, talk sample
	outcomes         []bool // recent placements resolved: answered by a person?
	outNext          int
	dists            [3]*pacing.Dist
	distsAt          time.Duration
	minutes          []minute // answered/abandoned per minute, for the windows
}

type minute struct{ answered, abandoned int }

const recentOutcomes = 400

func newSim(cfg Config) *sim {
	s := &sim{
		cfg:  cfg,
		rng:  rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		busy: make([]time.Duration, cfg.Agents),
		ring: sample{n: 500}, fail: sample{n: 500}, talk: sample{n: 500},
		hours:   make([]Hour, cfg.Hours),
		minutes: make([]minute, cfg.Hours*60+1),
		distsAt: -time.Hour,
	}
	s.phase = s.rng.Float64() * 2 * math.Pi
	for i := range cfg.Agents {
		s.free = append(s.free, i)
		s.busy[i] = -1
	}
	for i := range s.hours {
		s.hours[i].LoggedIn = dur(cfg.Agents) * time.Hour
	}
	return s
}

func (s *sim) hour(t time.Duration) *Hour {
	i := min(int(t/time.Hour), len(s.hours)-1)
	return &s.hours[i]
}

func (s *sim) schedule(at time.Duration, k eventKind, c *call) {
	s.seq++
	heap.Push(&s.events, event{at: at, kind: k, call: c, seq: s.seq})
}

func (s *sim) runUntil(t time.Duration) {
	for len(s.events) > 0 && s.events[0].at <= t {
		e := heap.Pop(&s.events).(event)
		s.now = e.at
		switch e.kind {
		case evAnswer:
			s.answer(e.call)
		case evFail:
			s.unring(e.call)
			s.fail.add(e.at - e.call.placed)
			s.outcome(false)
		case evFree:
			s.agentFree(e.call.agent)
		case evTimeout:
			if e.call.waitIdx >= 0 {
				s.unwait(e.call)
				s.hour(e.call.answered).Abandoned++
				s.minutes[int(e.call.answered/time.Minute)].abandoned++
			}
		}
	}
	s.now = t
}

// answerRate is the share of calls a person answers at t.
func (s *sim) answerRate(t time.Duration) float64 {
	mid := (s.cfg.AnswerLow + s.cfg.AnswerHigh) / 2
	amp := (s.cfg.AnswerHigh - s.cfg.AnswerLow) / 2
	return mid + amp*math.Sin(2*math.Pi*float64(t)/float64(s.cfg.AnswerPeriod)+s.phase)
}

// lognormal draws a duration with the given median and shape.
func (s *sim) lognormal(median time.Duration, sigma float64) time.Duration {
	return time.Duration(float64(median) * math.Exp(sigma*s.rng.NormFloat64()))
}

func (s *sim) uniform(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)))
}

// place dials one call and draws its fate: a person answers after a ring time
// (2 s .. NoAnswer), or it ends unanswered: no answer at NoAnswer, busy or
// congestion within seconds, a machine (answered, detected, hung up).
func (s *sim) place(t time.Duration) {
	c := &call{placed: t, ringIdx: len(s.ringing), waitIdx: -1, agent: -1}
	s.ringing = append(s.ringing, c)
	s.hour(t).Placed++
	if s.rng.Float64() < s.answerRate(t) {
		ring := min(max(s.lognormal(7*time.Second, 0.5), 2*time.Second), s.cfg.NoAnswer-time.Second)
		c.talk = s.talkTime()
		s.schedule(t+ring, evAnswer, c)
		return
	}
	var end time.Duration
	switch r := s.rng.Float64(); {
	case r < 0.55:
		end = s.cfg.NoAnswer
	case r < 0.70:
		end = s.uniform(2*time.Second, 6*time.Second) // busy
	case r < 0.80:
		end = s.uniform(500*time.Millisecond, 3*time.Second) // congestion, invalid number
	default:
		end = min(s.lognormal(7*time.Second, 0.5)+s.uniform(2*time.Second, 4*time.Second), s.cfg.NoAnswer) // machine
	}
	s.schedule(t+end, evFail, c)
}

// talkTime: a share of quick refusals, the rest conversations of a minute and a
// half (median) with a long tail.
func (s *sim) talkTime() time.Duration {
	if s.rng.Float64() < 0.15 {
		return s.uniform(5*time.Second, 20*time.Second)
	}
	return min(max(s.lognormal(90*time.Second, 0.6), 20*time.Second), 30*time.Minute)
}

func (s *sim) answer(c *call) {
	s.unring(c)
	c.answered = s.now
	s.ring.add(s.now - c.placed)
	s.outcome(true)
	s.hour(s.now).Answered++
	s.minutes[int(s.now/time.Minute)].answered++
	if len(s.free) > 0 {
		a := s.free[len(s.free)-1]
		s.free = s.free[:len(s.free)-1]
		s.connect(c, a)
		return
	}
	c.waitIdx = len(s.waiting)
	s.waiting = append(s.waiting, c)
	s.schedule(s.now+pacing.Grace, evTimeout, c)
}

func (s *sim) connect(c *call, agent int) {
	c.agent = agent
	s.busy[agent] = s.now
	s.hour(s.now).Connected++
	s.addTalk(s.now, c.talk)
	s.schedule(s.now+c.talk, evFree, c)
}

// addTalk spreads a talk over the hours it covers, cut at the end of the run.
func (s *sim) addTalk(from, d time.Duration) {
	for d > 0 {
		i := int(from / time.Hour)
		if i >= len(s.hours) {
			return
		}
		part := min(d, time.Duration(i+1)*time.Hour-from)
		s.hours[i].Talk += part
		from += part
		d -= part
	}
}

func (s *sim) agentFree(agent int) {
	s.talk.add(s.now - s.busy[agent])
	s.busy[agent] = -1
	if len(s.waiting) > 0 {
		c := s.waiting[0]
		s.unwait(c)
		s.connect(c, agent)
		return
	}
	s.free = append(s.free, agent)
}

func (s *sim) unring(c *call) {
	last := s.ringing[len(s.ringing)-1]
	s.ringing[c.ringIdx] = last
	last.ringIdx = c.ringIdx
	s.ringing = s.ringing[:len(s.ringing)-1]
	c.ringIdx = -1
}

// unwait removes c keeping the others in answer order (the oldest goes first).
func (s *sim) unwait(c *call) {
	s.waiting = append(s.waiting[:c.waitIdx], s.waiting[c.waitIdx+1:]...)
	for i := c.waitIdx; i < len(s.waiting); i++ {
		s.waiting[i].waitIdx = i
	}
	c.waitIdx = -1
}

func (s *sim) outcome(human bool) {
	if len(s.outcomes) < recentOutcomes {
		s.outcomes = append(s.outcomes, human)
		return
	}
	s.outcomes[s.outNext] = human
	s.outNext = (s.outNext + 1) % recentOutcomes
}

// observe is what the dialer would measure at t.
func (s *sim) observe(t time.Duration) pacing.Observation {
	if t-s.distsAt >= 15*time.Second {
		s.dists = [3]*pacing.Dist{pacing.NewDist(s.ring.values), pacing.NewDist(s.fail.values), pacing.NewDist(s.talk.values)}
		s.distsAt = t
	}
	o := pacing.Observation{
		Now:        time.Unix(0, 0).Add(t),
		FreeAgents: len(s.free),
		Waiting:    len(s.waiting),
		RingTimes:  s.dists[0], FailTimes: s.dists[1], TalkTimes: s.dists[2],
		Windows: []pacing.Window{s.window(t, time.Hour), s.window(t, 24*time.Hour)},
	}
	for _, b := range s.busy {
		if b >= 0 {
			o.Busy = append(o.Busy, t-b)
		}
	}
	for _, c := range s.ringing {
		o.Ringing = append(o.Ringing, t-c.placed)
	}
	humans := 0
	for _, h := range s.outcomes {
		if h {
			humans++
		}
	}
	if len(s.outcomes) > 0 {
		o.AnswerRate = float64(humans) / float64(len(s.outcomes))
	}
	return o
}

// window counts the answered and abandoned calls of the minutes within span
// before t (the current minute included). Calls still waiting count as
// answered and not (yet) abandoned, as the dialer would see them.
func (s *sim) window(t, span time.Duration) pacing.Window {
	w := pacing.Window{Span: span}
	last := int(t / time.Minute)
	first := max(0, last-int(span/time.Minute)+1)
	for _, m := range s.minutes[first : last+1] {
		w.Answered += m.answered
		w.Abandoned += m.abandoned
	}
	return w
}
