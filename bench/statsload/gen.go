package main

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/dialplan/queue"
	"github.com/ccdhq/ccd/eventlog"
)

// Config sizes the generated traffic.
type Config struct {
	Calls, Queues, Agents, Days int
	Seed                        uint64
	// Start is the midnight the first day begins at, in the call center's zone.
	Start time.Time
}

// Summary is what a generation produced, counted from the events themselves.
type Summary struct {
	Events      int
	Calls       int         // call.offered
	ByEnd       map[int]int // call.ended by end type
	Answered    int         // call.answered (a call transferred to a queue may be answered twice)
	Returned    int         // call.returned: offers not answered (ring timeout, busy, agent left)
	Holds       int         // call.hold
	Transfers   int         // call.transferred
	Overflows   int         // call.overflowed
	ToDefault   int         // call.to_default
	AgentEvents int         // agent.*
	First, Last time.Time
}

// hourWeights is the daily arrival profile: how many calls each hour of the day
// gets relative to the others. It follows the staffing of the two shifts
// (07:00-15:00 and 13:00-21:00, each half the agents) so that the agents are
// busy but not swamped: the overlap 13:00-15:00 gets the peak, the night a
// trickle that nobody answers.
var hourWeights = [24]float64{
	0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.03, 0.6, // 00-07
	0.9, 1.0, 1.0, 1.0, 1.0, 1.6, 1.6, 1.0, // 08-15
	1.0, 1.0, 0.9, 0.7, 0.4, 0.03, 0.02, 0.02, // 16-23
}

// shifts start at these hours and last 8 h.
var shiftStart = [2]time.Duration{7 * time.Hour, 13 * time.Hour}

const shiftLength = 8 * time.Hour

// Probabilities of what happens to a call, tuned so that the mix looks like a
// normal day: most calls answered, some abandoned, a few offers failing.
const (
	pNoAnswer     = 0.02  // the agent's phone rings until the ring timeout
	pBusy         = 0.004 // the agent's phone refuses the call
	pHold         = 0.12  // the agent puts the caller on hold once
	pTransferOut  = 0.01  // the agent transfers the call to an outside number
	pTransferQ    = 0.01  // the agent transfers the call to another queue
	pAgentHangsUp = 0.15  // the agent ends the call rather than the caller
	pPriority     = 0.05  // a priority caller (priority 2 instead of 5)
	pAttach       = 0.3   // the call carries attached data from a lookup
)

// simKind is what a simulated event does.
type simKind uint8

const (
	kDay      simKind = iota + 1 // a day begins: schedule its arrivals and shifts
	kArrive                      // a call enters its queue
	kPatience                    // the caller gives up if still waiting or ringing
	kAnswer                      // the agent picks up an offer
	kBusy                        // the agent's phone refuses an offer
	kHold                        // the agent puts the caller on hold
	kUnhold                      // and back
	kTalkEnd                     // the conversation is over
	kLogin                       // shift start
	kLogout                      // shift end
	kBreak                       // the agent asks for a pause
	kBack                        // the agent is ready again after a pause
)

// simEvent is one scheduled step of the simulation. Times are unix
// milliseconds: the engine's inputs are then whole milliseconds, like the
// durations it writes.
type simEvent struct {
	at   int64
	seq  uint64 // ties in time run in scheduling order, so runs are reproducible
	kind simKind
	n    int    // call number, agent index or day
	gen  int    // agent generation (kBack) or activity index (kBreak)
	dur  int64  // break length, ms
	id   string // call id
	ch   string // agent channel
}

// simHeap orders the simulation's future by time, then seq (container/heap).
type simHeap []simEvent

func (h simHeap) Len() int { return len(h) }

func (h simHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h simHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

func (h *simHeap) Push(x any) { *h = append(*h, x.(simEvent)) }

func (h *simHeap) Pop() any {
	s := *h
	e := s[len(s)-1]
	s[len(s)-1] = simEvent{}
	*h = s[:len(s)-1]
	return e
}

// activities are the pause codes agents use for their planned breaks.
var activities = []string{"break", "lunch", "meeting", "training"}

// simAgent is what the simulation remembers of an agent beyond the engine.
type simAgent struct {
	id    string
	idx   int // in sim.agents
	shift int
	// gen invalidates a scheduled return to ready when something newer
	// happened (a new pause, a logout): calling Ready then would cancel it.
	gen int
	// pause asked for and not started yet (the agent was on a call).
	pauseAct string
	pauseLen int64
}

// sim drives one engine through the generated traffic.
type sim struct {
	cfg     Config
	r       *rand.Rand
	e       *acd.Engine
	h       simHeap
	seq     uint64
	now     int64
	agents  []*simAgent
	byID    map[string]*simAgent
	queues  []string
	dnis    []string
	weights []float64 // cumulative arrival weights of the queues
	nextKey uint64
	calls   int
	emit    func(eventlog.Event) error
	err     error
	sum     Summary
}

// Generate runs the simulation and hands every event to emit, in log order.
// The same Config gives the same events, keys included.
func Generate(cfg Config, emit func(eventlog.Event) error) (Summary, error) {
	if cfg.Calls <= 0 || cfg.Queues <= 0 || cfg.Agents <= 0 || cfg.Days <= 0 {
		return Summary{}, errors.New("statsload: calls, queues, agents and days must be positive")
	}
	s := &sim{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, 0x5eed)), emit: emit, byID: map[string]*simAgent{}}
	s.sum.ByEnd = map[int]int{}
	acdCfg := s.center()
	e, err := acd.New(acdCfg.Spec())
	if err != nil {
		return Summary{}, err
	}
	s.e = e
	for d := range cfg.Days {
		s.schedule(simEvent{at: cfg.Start.AddDate(0, 0, d).UnixMilli(), kind: kDay, n: d})
	}
	s.run()
	return s.sum, s.err
}

// center builds the configuration: queues named 5001.., agents 2001.. at
// PJSIP/<id>, one DNIS per queue. Every agent has one primary queue (so each
// queue has agents on both shifts) and up to two more, at random skill
// levels; each queue gets calls in proportion to the agents who serve it.
func (s *sim) center() config.ACD {
	cfg := config.ACD{DefaultExtension: "9000"}
	nq := s.cfg.Queues
	for i := range nq {
		code := strconv.Itoa(5001 + i)
		q := config.Queue{
			Code: code, Name: "Queue " + code, Skills: map[string]int{"q" + code: 1},
			RingTimeout: 15 * time.Second, WrapUp: time.Duration(5+s.r.IntN(26)) * time.Second,
			ServiceLevel: 20 * time.Second,
		}
		switch i % 7 {
		case 1:
			q.Strategy = "skill_level"
		case 4:
			q.Strategy = "weighted"
		}
		if i%2 == 0 {
			q.AnnounceEvery = 30 * time.Second
		} else {
			q.Record = true
		}
		// Some queues widen their search to a sibling after a minute; some
		// send callers to the default extension when nobody is logged in
		// (nights), the rest let them wait.
		if i%5 == 0 && nq > 1 {
			q.Overflow = append(q.Overflow, config.Overflow{AfterWait: time.Minute, ToQueue: strconv.Itoa(5001 + (i+1)%nq), Expand: true})
		}
		if i%10 == 3 {
			q.Overflow = append(q.Overflow, config.Overflow{NoAgentsLoggedIn: true, ToDefault: true})
		}
		cfg.Queues = append(cfg.Queues, q)
		s.queues = append(s.queues, code)
		s.dnis = append(s.dnis, strconv.Itoa(80001+i))
	}
	serving := make([]int, nq)
	for j := range s.cfg.Agents {
		id := strconv.Itoa(2001 + j)
		skills := map[string]int{}
		serve := []int{j % nq}
		for extra := s.r.IntN(3); extra > 0 && len(serve) < nq; {
			if q := s.r.IntN(nq); !slices.Contains(serve, q) {
				serve = append(serve, q)
				extra--
			}
		}
		for _, q := range serve {
			skills["q"+s.queues[q]] = 1 + s.r.IntN(10)
			serving[q]++
		}
		cfg.Agents = append(cfg.Agents, config.Agent{ID: id, Name: "Agent " + id, Endpoint: "PJSIP/" + id, Skills: skills})
		a := &simAgent{id: id, idx: j, shift: (j / nq) % 2}
		s.agents = append(s.agents, a)
		s.byID[id] = a
	}
	total := 0.0
	for i := range nq {
		total += float64(serving[i]) * (0.75 + 0.5*s.r.Float64())
		s.weights = append(s.weights, total)
	}
	return cfg
}

func (s *sim) schedule(e simEvent) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.h, e)
}

// run is the simulation loop: the next thing to happen is either an engine
// timer (ring timeout, wrap-up end, overflow, announcement) or one of ours.
func (s *sim) run() {
	for s.err == nil {
		deadline, hasTimer := s.e.NextDeadline()
		if hasTimer && (len(s.h) == 0 || deadline.UnixMilli() <= s.h[0].at) {
			s.now = deadline.UnixMilli()
			s.e.Tick(deadline)
			s.flush()
			continue
		}
		if len(s.h) == 0 {
			return
		}
		ev := heap.Pop(&s.h).(simEvent)
		s.now = ev.at
		s.step(ev)
		s.flush()
	}
}

func (s *sim) t() time.Time { return time.UnixMilli(s.now).UTC() }

// ms draws a duration in [lo, hi) seconds, in milliseconds.
func (s *sim) ms(lo, hi float64) int64 { return int64((lo + (hi-lo)*s.r.Float64()) * 1000) }

func (s *sim) step(ev simEvent) {
	now := s.t()
	switch ev.kind {
	case kDay:
		s.day(ev.n)
	case kArrive:
		s.arrive(ev.n)
	case kPatience:
		if c, ok := s.e.Call(ev.id); ok && (c.State == acd.Waiting || c.State == acd.Ringing) {
			s.e.Hangup(now, ev.id)
		}
	case kAnswer:
		// The offer may be gone (the caller hung up while it rang): the
		// engine refuses, as it would for a late StasisStart.
		_ = s.e.OfferAnswered(now, ev.ch)
	case kBusy:
		if id, ok := s.e.CallByChannel(ev.ch); ok && id == ev.id {
			s.e.AgentGone(now, ev.ch, acd.Busy)
		}
	case kHold:
		if s.connected(ev.id, ev.ch) {
			_ = s.e.Hold(now, ev.id)
		}
	case kUnhold:
		if s.connected(ev.id, ev.ch) {
			_ = s.e.Unhold(now, ev.id)
		}
	case kTalkEnd:
		if s.connected(ev.id, ev.ch) {
			s.talkEnd(ev.id, ev.ch)
		}
	case kLogin:
		a := s.agents[ev.n]
		a.gen++
		a.pauseAct = ""
		s.must(s.e.Login(now, a.id, ""))
	case kLogout:
		a := s.agents[ev.n]
		a.gen++ // a Ready now would cancel a logout pending on a call
		a.pauseAct = ""
		s.must(s.e.Logout(now, a.id))
	case kBreak:
		a := s.agents[ev.n]
		a.pauseAct, a.pauseLen = activities[ev.gen], ev.dur
		if err := s.e.NotReady(now, a.id, a.pauseAct); err != nil {
			a.pauseAct = "" // logged out already (late login skipped): no pause
		}
	case kBack:
		if a := s.agents[ev.n]; a.gen == ev.gen {
			_ = s.e.Ready(now, a.id)
		}
	}
}

func (s *sim) must(err error) {
	if err != nil && s.err == nil {
		s.err = err
	}
}

// connected says whether the call is still talking on that agent channel:
// scheduled steps of a conversation are dropped once it is over.
func (s *sim) connected(id, ch string) bool {
	c, ok := s.e.Call(id)
	return ok && c.State == acd.Connected && c.Channel == ch
}

// day schedules a day's arrivals (drawn from the hourly profile) and every
// agent's shift: login, three pauses, logout.
func (s *sim) day(d int) {
	start := s.cfg.Start.AddDate(0, 0, d)
	n := s.cfg.Calls / s.cfg.Days
	if d < s.cfg.Calls%s.cfg.Days {
		n++
	}
	var cum [24]float64
	total := 0.0
	for h, w := range hourWeights {
		total += w
		cum[h] = total
	}
	times := make([]int64, n)
	for i := range times {
		x := s.r.Float64() * total
		h := 0
		for h < 23 && cum[h] <= x {
			h++
		}
		times[i] = start.Add(time.Duration(h)*time.Hour).UnixMilli() + s.r.Int64N(int64(time.Hour/time.Millisecond))
	}
	slices.Sort(times)
	for _, at := range times {
		s.calls++
		s.schedule(simEvent{at: at, kind: kArrive, n: s.calls})
	}
	minute := int64(time.Minute / time.Millisecond)
	for i, a := range s.agents {
		in := start.Add(shiftStart[a.shift]).UnixMilli() + s.r.Int64N(20*minute) - 10*minute
		out := in + int64(shiftLength/time.Millisecond) + s.r.Int64N(10*minute)
		s.schedule(simEvent{at: in, kind: kLogin, n: i})
		// A short break after about two hours, lunch after four, another
		// break after six; now and then a meeting or a training instead.
		plan := []struct {
			after, spread int64
			act           int
			length        int64
		}{
			{105 * minute, 30 * minute, 0, 15 * minute},
			{225 * minute, 45 * minute, 1, 30 * minute},
			{360 * minute, 30 * minute, 0, 15 * minute},
		}
		for _, p := range plan {
			act, length := p.act, p.length
			if s.r.Float64() < 0.05 {
				act, length = 2+s.r.IntN(2), 30*minute
			}
			s.schedule(simEvent{at: in + p.after + s.r.Int64N(p.spread), kind: kBreak, n: i, gen: act,
				dur: length - 2*minute + s.r.Int64N(4*minute)})
		}
		s.schedule(simEvent{at: out, kind: kLogout, n: i})
	}
}

// arrive brings call n into a queue chosen by the queues' weights, and decides
// how long its caller will wait.
func (s *sim) arrive(n int) {
	x := s.r.Float64() * s.weights[len(s.weights)-1]
	q, _ := slices.BinarySearch(s.weights, x)
	q = min(q, len(s.queues)-1)
	in := acd.Arrival{
		CallID: fmt.Sprintf("%d.%d", s.now/1000, n), // Asterisk's uniqueid form
		CLID:   fmt.Sprintf("06%08d", s.r.IntN(100000000)),
		DNIS:   s.dnis[q], Queue: s.queues[q], Priority: 5,
	}
	if s.r.Float64() < pPriority {
		in.Priority = 2
	}
	if s.r.Float64() < pAttach {
		in.AttachData = fmt.Sprintf("cust%06d|%s", s.r.IntN(1000000), []string{"gold", "silver", "new"}[s.r.IntN(3)])
	}
	s.must(s.e.Arrive(s.t(), in))
	s.patience(in.CallID)
}

// patience schedules when the caller hangs up unless answered by then: a
// mix of patient callers and hurried ones, never below 3 s.
func (s *sim) patience(id string) {
	mean := 240.0
	if s.r.Float64() < 0.3 {
		mean = 45
	}
	wait := 3 + s.r.ExpFloat64()*mean
	s.schedule(simEvent{at: s.now + int64(wait*1000), kind: kPatience, id: id})
}

// talkEnd ends a conversation: mostly the caller hangs up, sometimes the
// agent, now and then the agent transfers the caller.
func (s *sim) talkEnd(id, ch string) {
	now := s.t()
	switch x := s.r.Float64(); {
	case x < pTransferOut:
		s.must(s.e.Transfer(now, id, "", fmt.Sprintf("0%09d", s.r.IntN(1000000000))))
	case x < pTransferOut+pTransferQ && len(s.queues) > 1:
		c, _ := s.e.Call(id)
		to := s.queues[s.r.IntN(len(s.queues))]
		if to == c.Queue {
			to = s.queues[(slices.Index(s.queues, to)+1)%len(s.queues)]
		}
		s.must(s.e.Transfer(now, id, to, ""))
		s.patience(id) // the caller waits again, with fresh patience
	case x < pTransferOut+pTransferQ+pAgentHangsUp:
		s.e.AgentGone(now, ch, "")
	default:
		s.e.Hangup(now, id)
	}
}

// talkLength is a log-normal conversation (median 110 s) kept within 30-400 s.
func (s *sim) talkLength() int64 {
	sec := 110 * math.Exp(0.6*s.r.NormFloat64())
	return int64(math.Min(400, math.Max(30, sec)) * 1000)
}

// flush carries out what the engine asked for (by scheduling the agents' and
// callers' reactions) and writes its events. Carrying out a Connect of a
// recorded queue feeds the engine again (the recording's name, as the queue
// application does), hence the loop.
func (s *sim) flush() {
	for {
		acts, evs := s.e.Take()
		if len(acts) == 0 && len(evs) == 0 {
			return
		}
		for _, ev := range evs {
			s.count(&ev)
			if ev.Kind == ccd.EventAgentNotReady {
				s.paused(&ev)
			}
			if s.err != nil {
				continue
			}
			row := queue.ToLog(ev)
			// A sequence instead of the random key, so runs are reproducible.
			s.nextKey++
			row.Key = "gen:" + strconv.FormatUint(s.nextKey, 10)
			if err := s.emit(row); err != nil {
				s.err = err
			}
		}
		for _, a := range acts {
			s.act(a)
		}
	}
}

// act schedules the reaction to an action of the engine: the agent's phone
// answering (or not) an offer, the course of a conversation.
func (s *sim) act(a acd.Action) {
	switch a.Kind {
	case acd.Offer:
		switch x := s.r.Float64(); {
		case x < pNoAnswer:
			// nobody picks up: the engine's ring timeout returns the call
		case x < pNoAnswer+pBusy:
			s.schedule(simEvent{at: s.now + s.ms(0.3, 2), kind: kBusy, id: a.CallID, ch: a.Channel})
		default:
			s.schedule(simEvent{at: s.now + s.ms(2, 10), kind: kAnswer, id: a.CallID, ch: a.Channel})
		}
	case acd.Connect:
		if a.Record {
			c, _ := s.e.Call(a.CallID)
			rec := dialplan.RecordingName("{date}-{queue}-{callid}", s.t(), map[string]string{"queue": a.Queue, "callid": a.CallID})
			if c.Recording != "" {
				rec += "-" + strconv.Itoa(c.Offers)
			}
			s.e.Recording(s.t(), a.CallID, rec)
		}
		talk := s.talkLength()
		if s.r.Float64() < pHold {
			at := s.now + int64(float64(talk)*(0.2+0.4*s.r.Float64()))
			hold := min(s.ms(10, 60), talk*3/10)
			s.schedule(simEvent{at: at, kind: kHold, id: a.CallID, ch: a.Channel})
			s.schedule(simEvent{at: at + hold, kind: kUnhold, id: a.CallID, ch: a.Channel})
		}
		s.schedule(simEvent{at: s.now + talk, kind: kTalkEnd, id: a.CallID, ch: a.Channel})
	}
}

// paused schedules the agent's return to ready: at the end of the pause it
// asked for, or a little while after ccd made it not ready (its phone did not
// answer).
func (s *sim) paused(ev *acd.Event) {
	a := s.byID[ev.Agent]
	switch {
	case a.pauseAct != "" && ev.Data.Activity == a.pauseAct:
		a.gen++
		s.schedule(simEvent{at: s.now + a.pauseLen, kind: kBack, n: a.idx, gen: a.gen})
		a.pauseAct = ""
	case ev.Data.Forced:
		a.gen++
		s.schedule(simEvent{at: s.now + s.ms(15, 90), kind: kBack, n: a.idx, gen: a.gen})
	}
}

func (s *sim) count(ev *acd.Event) {
	sum := &s.sum
	sum.Events++
	if sum.First.IsZero() {
		sum.First = ev.At
	}
	sum.Last = ev.At
	switch ev.Kind {
	case ccd.EventCallOffered:
		sum.Calls++
	case ccd.EventCallEnded:
		sum.ByEnd[ev.Data.Summary.EndType]++
	case ccd.EventCallAnswered:
		sum.Answered++
	case ccd.EventCallReturned:
		sum.Returned++
	case ccd.EventCallHold:
		sum.Holds++
	case ccd.EventCallTransferred:
		sum.Transfers++
	case ccd.EventCallOverflowed:
		sum.Overflows++
	case ccd.EventCallToDefault:
		sum.ToDefault++
	default:
		if ccd.IsAgentEvent(ev.Kind) {
			sum.AgentEvents++
		}
	}
}
