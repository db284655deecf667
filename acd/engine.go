package acd

import (
	"slices"
	"strconv"
	"time"

	"github.com/ccdhq/ccd"
)

// DefaultRingTimeout is used by queues that set none.
const DefaultRingTimeout = 15 * time.Second

// Engine is the state of the ACD. See the package documentation.
type Engine struct {
	queues     map[string]*queue
	queueList  []*queue // configuration order, for reports
	agents     map[string]*agent
	agentList  []*agent
	byEndpoint map[string]*agent
	calls      map[string]*call
	offers     map[string]*offer // by agent channel id
	connected  map[string]*call  // connected calls by agent channel id
	timers     timerHeap
	seq        uint64
	defaultExt string
	reserved   map[string]int // ready agents held per queue for the dialer's calls (reserve.go)

	actions []Action
	events  []Event
}

type queue struct {
	cfg      QueueSpec
	eligible []*agent // agents with the queue's skills and groups
	waiting  waitHeap
	loggedIn int           // eligible agents logged in
	aht      time.Duration // smoothed talk time, for expected-wait announcements
	// closed: removed from the configuration; it takes no new calls and
	// goes once the calls waiting in it are answered or gone.
	closed bool
}

type agent struct {
	Agent
	skills map[string]int // in effect: the session's, else the configured
	// cfgSkills are the configured skills; sessionSkills, when not nil,
	// replace them until logout (LoginWithSkills).
	cfgSkills, sessionSkills map[string]int
	groups                   map[string]bool
	queues                   []*queue // queues this agent may serve
	loggedIn                 bool
	gen                      int // bumps on every state change; stale timers compare it
	offer                    *offer
	call                     *call
	wrapUp                   time.Duration // of the last call's queue
	// lastQueue and lastDNIS are the devices of the agent's last call: a
	// wrap-up counts for them.
	lastQueue, lastDNIS string
	// back is the state a direct call interrupted, restored when it ends.
	back         string
	backActivity string
	// removed: no longer configured; logged out when its call ends, then
	// forgotten.
	removed bool
	// held: the dialer is calling someone for this agent alone (HoldAgents);
	// no other call is offered to it.
	held bool
}

type call struct {
	Call
	seq     uint64 // arrival order; the FIFO part of the queue order
	members []*member
	visited map[string]bool // queues the call has been in; overflow never loops
	offer   *offer
	annGen  int
	// onlyAgent: the call is offered to this agent alone (Arrival.Agent).
	onlyAgent string
}

// member is a call's place in one queue.
type member struct {
	q        *queue
	c        *call
	entered  time.Time
	idx      int    // index in q.waiting, -1 while not there (ringing)
	done     uint64 // overflow rules already applied (bit per rule)
	expanded bool   // the call expanded from here into another queue
	gone     bool
}

type offer struct {
	c       *call
	a       *agent
	m       *member
	channel string
	at      time.Time
}

// New builds an engine for a specification.
func New(spec Spec) (*Engine, error) {
	e := &Engine{
		queues: map[string]*queue{}, agents: map[string]*agent{}, byEndpoint: map[string]*agent{},
		calls: map[string]*call{}, offers: map[string]*offer{}, connected: map[string]*call{},
	}
	if err := e.Apply(time.Time{}, spec); err != nil {
		return nil, err
	}
	return e, nil
}

// qualifies says whether an agent may serve a queue: every skill the queue
// requires at its minimum level, and membership of one of its groups when it
// names groups.
func qualifies(skills map[string]int, groups map[string]bool, q QueueSpec) bool {
	for s, min := range q.Skills {
		if skills[s] < min {
			return false
		}
	}
	if len(q.Groups) == 0 {
		return true
	}
	for _, g := range q.Groups {
		if groups[g] {
			return true
		}
	}
	return false
}

// Take returns the actions and events produced since the last Take. Carry out
// the actions in order; append the events to the log.
func (e *Engine) Take() ([]Action, []Event) {
	e.sweepClosed()
	a, ev := e.actions, e.events
	e.actions, e.events = nil, nil
	return a, ev
}

func (e *Engine) act(a Action) { e.actions = append(e.actions, a) }

func (e *Engine) callEvent(now time.Time, kind string, c *call, queue, agent string, d Data) {
	e.events = append(e.events, Event{At: now, Kind: kind, CallID: c.ID, Agent: agent, Queue: queue, DNIS: c.DNIS, CLID: c.CLID, Data: d})
}

// setAgent moves an agent to a state and records the change.
func (e *Engine) setAgent(now time.Time, a *agent, state string, d Data) {
	d.State, d.Previous = state, a.State
	if !a.Since.IsZero() && a.State != LoggedOut {
		d.PreviousMS = ms(now.Sub(a.Since))
	}
	if d.Endpoint == "" {
		d.Endpoint = a.Endpoint
	}
	a.State, a.Since = state, now
	if state != WrapUp {
		a.Until = time.Time{}
	}
	a.gen++
	a.Activity = d.Activity
	a.Forced = d.Forced
	if state == Ready {
		if d.IdleSince.IsZero() {
			d.IdleSince = now
		}
		a.IdleSince = d.IdleSince
	}
	callID, queue, dnis := "", "", ""
	switch {
	case a.call != nil:
		callID, queue, dnis = a.call.ID, a.call.Queue, a.call.DNIS
		a.lastQueue, a.lastDNIS = queue, dnis
	case a.offer != nil:
		queue, dnis = a.offer.m.q.cfg.Code, a.offer.c.DNIS
	case state == WrapUp:
		queue, dnis = a.lastQueue, a.lastDNIS
	}
	a.CallID = callID
	d.Queues = a.queueCodes()
	e.events = append(e.events, Event{At: now, Kind: ccd.AgentEventKind(state), Agent: a.ID, CallID: callID, Queue: queue, DNIS: dnis, Data: d})
}

// queueCodes lists the queues the agent serves.
func (a *agent) queueCodes() []string {
	out := make([]string, len(a.queues))
	for i, q := range a.queues {
		out[i] = q.cfg.Code
	}
	return out
}

// Arrive puts a new call into its queue.
func (e *Engine) Arrive(now time.Time, in Arrival) error {
	if in.CallID == "" {
		return &ccd.Error{Code: ccd.EINVALID, Message: "acd: call without id"}
	}
	if _, dup := e.calls[in.CallID]; dup {
		return conflict("acd: call " + in.CallID + " is already in the ACD")
	}
	q := e.queues[in.Queue]
	if q == nil {
		return notFound("acd: no queue", strconv.Quote(in.Queue))
	}
	c := e.newCall(now, in)
	c.InitialQueue = q.cfg.Code
	d := Data{Priority: c.Priority, AttachData: c.AttachData, OnlyAgent: c.onlyAgent}
	if c.Virtual {
		d.Virtual, d.ArrivedUnix = true, c.OfferedAt.UnixMilli()
	}
	e.callEvent(now, ccd.EventCallOffered, c, q.cfg.Code, "", d)
	e.enqueue(now, c, q, "route", "")
	return nil
}

func (e *Engine) newCall(now time.Time, in Arrival) *call {
	if in.Priority < 1 || in.Priority > 9 {
		in.Priority = 5
	}
	e.seq++
	c := &call{Call: Call{ID: in.CallID, CLID: in.CLID, DNIS: in.DNIS, Priority: in.Priority, AttachData: in.AttachData,
		State: Waiting, OfferedAt: now, Virtual: in.Virtual, RequiredSkills: slices.Clone(in.RequiredSkills),
		DefaultTransferNumber: in.TransferNumber, OnlyAgent: in.Agent}, seq: e.seq, visited: map[string]bool{}, onlyAgent: in.Agent}
	if in.Virtual && !in.PlaceAt.IsZero() {
		c.OfferedAt = time.UnixMilli(in.PlaceAt.UnixMilli())
	}
	e.calls[c.ID] = c
	return c
}

// Unrouted records a call that matched no route and is sent to the default
// extension (counted as Tran2Def).
func (e *Engine) Unrouted(now time.Time, in Arrival) {
	c := e.newCall(now, in)
	e.callEvent(now, ccd.EventCallOffered, c, "", "", Data{Priority: c.Priority, AttachData: c.AttachData})
	e.sendOut(now, c, "", e.defaultExt, "no_route", true)
}

// enqueue adds a call to a queue (arrival, overflow, transfer) and applies the
// queue's immediate rules before looking for an agent.
func (e *Engine) enqueue(now time.Time, c *call, q *queue, reason, from string) {
	expand := reason == "expand"
	// A callback's place is not a new caller: its caller already had a
	// place here, and a full queue could only send it out, where nobody is
	// on the line (see overflow).
	if q.cfg.MaxWaiting > 0 && q.waiting.Len() >= q.cfg.MaxWaiting && !c.Virtual {
		if !expand || len(c.members) == 0 {
			e.queueFull(now, c, q, from)
		}
		return
	}
	if reason != "route" {
		c.QueueHops++
	}
	m := &member{q: q, c: c, entered: now, idx: -1}
	c.members = append(c.members, m)
	c.visited[q.cfg.Code] = true
	c.State = Waiting
	c.Queue = q.cfg.Code
	if c.QueuedAt.IsZero() {
		c.QueuedAt = now
	}
	if c.InitialQueue == "" {
		c.InitialQueue = q.cfg.Code
	}
	q.waiting.push(m)
	e.syncQueues(c)
	e.callEvent(now, ccd.EventCallQueued, c, q.cfg.Code, "", Data{Priority: c.Priority, Reason: reason, From: from,
		ArrivedUnix: c.OfferedAt.UnixMilli(), AttachData: c.AttachData})
	if !expand && !c.Virtual {
		e.act(Action{Kind: Music, CallID: c.ID, Queue: q.cfg.Code, MOHClass: q.cfg.MOHClass})
		if q.cfg.AnnounceEvery > 0 {
			c.annGen++
			e.timers.add(timer{at: now.Add(q.cfg.AnnounceEvery), kind: tAnnounce, c: c, gen: c.annGen})
		}
	}
	for i, o := range q.cfg.Overflow {
		if o.AfterWait > 0 {
			e.timers.add(timer{at: now.Add(o.AfterWait), kind: tOverflow, m: m, rule: i})
		}
	}
	for i, o := range q.cfg.Overflow {
		if m.gone || c.State != Waiting {
			return
		}
		switch {
		case o.PositionAbove > 0 && q.waiting.position(m) > o.PositionAbove:
			e.overflow(now, m, i, ReasonPosition)
		case o.NoAgentsLoggedIn && q.loggedIn == 0:
			e.overflow(now, m, i, ReasonLogin)
		}
	}
	if !m.gone && c.State == Waiting {
		e.findAgent(now, m)
	}
}

// queueFull sends a call that finds its queue full to the queue's full
// destination: another queue, a number, or the default extension.
func (e *Engine) queueFull(now time.Time, c *call, q *queue, from string) {
	dest := q.cfg.FullDestination
	if t := e.queues[dest]; t != nil && !c.visited[dest] {
		c.visited[q.cfg.Code] = true
		e.callEvent(now, ccd.EventCallOverflowed, c, q.cfg.Code, "", Data{From: q.cfg.Code, To: dest, Reason: ReasonFull})
		e.enqueue(now, c, t, "overflow", q.cfg.Code)
		return
	}
	if dest == "" || e.queues[dest] != nil {
		e.leaveQueues(c)
		e.sendOut(now, c, q.cfg.Code, e.defaultExt, ReasonFull, true)
		return
	}
	e.leaveQueues(c)
	e.sendOut(now, c, q.cfg.Code, dest, ReasonFull, false)
}

// sendOut makes a call leave ccd for a number or the default extension.
func (e *Engine) sendOut(now time.Time, c *call, queue, to, reason string, toDefault bool) {
	kind := ccd.EventCallOverflowed
	if toDefault {
		kind = ccd.EventCallToDefault
	}
	e.callEvent(now, kind, c, queue, "", Data{From: queue, To: to, Reason: reason})
	c.TransferAt, c.TransferTo = now, to
	// An empty extension (no default extension configured) hands the caller
	// back to the dialplan after its Stasis().
	e.act(Action{Kind: SendTo, CallID: c.ID, Queue: queue, Extension: to})
	e.end(now, c, EndTransferred)
}

// overflow applies overflow rule i of the call's queue m.q.
func (e *Engine) overflow(now time.Time, m *member, i int, reason string) {
	if m.done&(1<<i) != 0 {
		return
	}
	m.done |= 1 << i
	c, q, o := m.c, m.q, m.q.cfg.Overflow[i]
	switch {
	case o.ToQueue != "":
		if c.visited[o.ToQueue] {
			return // been there: a loop of rules must not bounce the caller forever
		}
		if e.queues[o.ToQueue] == nil {
			return // the target was removed from the configuration: the call stays
		}
		e.callEvent(now, ccd.EventCallOverflowed, c, q.cfg.Code, "", Data{From: q.cfg.Code, To: o.ToQueue, Reason: reason, Expand: o.Expand})
		if o.Expand {
			m.expanded = true
			e.enqueue(now, c, e.queues[o.ToQueue], "expand", q.cfg.Code)
			return
		}
		e.leave(m)
		e.enqueue(now, c, e.queues[o.ToQueue], "overflow", q.cfg.Code)
	case c.Virtual && (o.ToNumber != "" || o.ToDefault):
		// A callback's place has no caller to send anywhere: sent out, it
		// would end in the queue while its callback waits for an agent of
		// this queue forever. It stays, and an agent here calls back.
	case o.ToNumber != "":
		e.leaveQueues(c)
		e.sendOut(now, c, q.cfg.Code, o.ToNumber, reason, false)
	case o.ToDefault:
		e.leaveQueues(c)
		e.sendOut(now, c, q.cfg.Code, e.defaultExt, reason, true)
	}
}

func (e *Engine) leave(m *member) {
	m.gone = true
	m.q.waiting.remove(m)
	c := m.c
	c.members = slices.DeleteFunc(c.members, func(x *member) bool { return x == m })
	e.syncQueues(c)
}

func (e *Engine) leaveQueues(c *call) {
	for _, m := range c.members {
		m.gone = true
		m.q.waiting.remove(m)
	}
	c.members = nil
	c.Queues, c.QueuedSince = nil, nil
}

func (e *Engine) syncQueues(c *call) {
	c.Queues, c.QueuedSince = c.Queues[:0], c.QueuedSince[:0]
	for _, m := range c.members {
		c.Queues = append(c.Queues, m.q.cfg.Code)
		c.QueuedSince = append(c.QueuedSince, m.entered)
	}
}

// findAgent offers a waiting call to the best ready agent of one of its queues.
func (e *Engine) findAgent(now time.Time, m *member) {
	if a := e.pickAgent(now, m.q, m.c); a != nil {
		e.offer(now, m, a)
	}
}

// pickAgent chooses a ready agent for a queue by its strategy, nil when none is
// ready.
func (e *Engine) pickAgent(now time.Time, q *queue, c *call) *agent {
	var best *agent
	if q.cfg.Strategy == "" || q.cfg.Strategy == "longest_idle" {
		for _, a := range q.eligible {
			if a.State == Ready && fits(a, c) && (best == nil || a.IdleSince.Before(best.IdleSince)) && e.mayTake(a, q) {
				best = a
			}
		}
		return best
	}
	var bestScore int64
	for _, a := range q.eligible {
		if a.State != Ready || !fits(a, c) || !e.mayTake(a, q) {
			continue
		}
		idle := now.Sub(a.IdleSince).Milliseconds()
		var score int64
		if q.cfg.Strategy == "skill_level" {
			// Higher levels first; among equals the longest idle.
			score = int64(levelSum(a, q))<<40 + idle
		} else {
			// weighted: every level above the queue's minimum counts as 30 s
			// of idle time.
			score = idle + int64(levelSum(a, q)-minSum(q))*30000
		}
		if best == nil || score > bestScore {
			best, bestScore = a, score
		}
	}
	return best
}

func levelSum(a *agent, q *queue) int {
	n := 0
	for s := range q.cfg.Skills {
		n += a.skills[s]
	}
	return n
}

func minSum(q *queue) int {
	n := 0
	for _, l := range q.cfg.Skills {
		n += l
	}
	return n
}

// findCall offers the best waiting call of the agent's queues to a ready agent:
// the highest priority first, then the longest in ccd.
func (e *Engine) findCall(now time.Time, a *agent) {
	if m := e.pickCall(a); m != nil {
		e.offer(now, m, a)
	}
}

func (e *Engine) pickCall(a *agent) *member {
	var best *member
	for _, q := range a.queues {
		if m := q.waiting.first(func(m *member) bool { return fits(a, m.c) }); m != nil && (best == nil || before(m, best)) && e.mayTake(a, q) {
			best = m
		}
	}
	return best
}

// fits tells whether the agent has every skill the call itself requires
// (the queue's are already in its eligible list).
func fits(a *agent, c *call) bool {
	if c.onlyAgent != "" {
		return a.ID == c.onlyAgent
	}
	if a.held {
		return false
	}
	for _, s := range c.RequiredSkills {
		if a.skills[s] < 1 {
			return false
		}
	}
	return true
}

// offer rings an agent for a call.
func (e *Engine) offer(now time.Time, m *member, a *agent) {
	c := m.c
	for _, x := range c.members {
		x.q.waiting.remove(x)
	}
	c.Offers++
	o := &offer{c: c, a: a, m: m, channel: c.ID + "-" + strconv.Itoa(c.Offers), at: now}
	c.offer, a.offer, a.call = o, o, c
	e.offers[o.channel] = o
	c.State, c.Agent, c.Channel, c.Endpoint, c.Queue, c.RingingAt = Ringing, a.ID, o.channel, a.Endpoint, m.q.cfg.Code, now
	e.setAgent(now, a, Ringing, Data{Channel: o.channel})
	e.callEvent(now, ccd.EventCallRinging, c, m.q.cfg.Code, a.ID, Data{Channel: o.channel, Endpoint: a.Endpoint, Priority: c.Priority})
	e.act(Action{Kind: Offer, CallID: c.ID, Agent: a.ID, Channel: o.channel, Endpoint: a.Endpoint, CallerID: c.CLID,
		Queue: m.q.cfg.Code, Timeout: m.q.cfg.RingTimeout, Virtual: c.Virtual})
	e.timers.add(timer{at: now.Add(m.q.cfg.RingTimeout), kind: tRing, o: o})
}

// dropOffer forgets an offer on both sides.
func (e *Engine) dropOffer(o *offer) {
	delete(e.offers, o.channel)
	if o.c.offer == o {
		o.c.offer = nil
	}
	if o.a.offer == o {
		o.a.offer = nil
	}
}

// requeue puts a call whose offer failed back at its place in its queues and
// looks for another agent.
func (e *Engine) requeue(now time.Time, c *call) {
	c.State, c.Agent, c.Channel, c.Endpoint = Waiting, "", "", ""
	for _, m := range c.members {
		m.q.waiting.push(m)
	}
	// Time rules that fell due while the agent's phone rang apply now.
	for _, m := range slices.Clone(c.members) {
		for i, o := range m.q.cfg.Overflow {
			if o.AfterWait > 0 && !now.Before(m.entered.Add(o.AfterWait)) && !m.gone && c.State == Waiting {
				e.overflow(now, m, i, ReasonTime)
			}
		}
	}
	if c.State != Waiting {
		return
	}
	for _, m := range slices.Clone(c.members) {
		if c.State == Waiting && !m.gone {
			e.findAgent(now, m)
		}
	}
}

// OfferAnswered reports that the agent channel of an offer answered (its
// StasisStart): the call is connected.
func (e *Engine) OfferAnswered(now time.Time, channel string) error {
	o := e.offers[channel]
	if o == nil {
		return notFound("acd: no offer for channel", channel)
	}
	e.dropOffer(o)
	c, a := o.c, o.a
	backflow := o.m.expanded
	q := o.m.q
	e.leaveQueues(c)
	c.annGen++
	c.State, c.AnsweredAt, c.Queue, c.Backflow = Connected, now, q.cfg.Code, backflow
	e.connected[channel] = c
	a.call = c
	a.wrapUp = q.cfg.WrapUp
	e.setAgent(now, a, OnCall, Data{Channel: channel})
	e.callEvent(now, ccd.EventCallAnswered, c, q.cfg.Code, a.ID, Data{Channel: channel, Endpoint: a.Endpoint,
		WaitedMS: ms(now.Sub(c.QueuedAt)), RingMS: ms(now.Sub(o.at)), Backflow: backflow, Priority: c.Priority})
	e.act(Action{Kind: Connect, CallID: c.ID, Agent: a.ID, Channel: channel, Endpoint: a.Endpoint, Queue: q.cfg.Code, Record: q.cfg.Record,
		Virtual: c.Virtual})
	return nil
}

// AgentGone reports that an agent channel ended or failed: before the answer it
// is a failed offer (reason says why: NoAnswer, Busy, Unavailable), after it the
// agent hung up.
func (e *Engine) AgentGone(now time.Time, channel, reason string) {
	if o := e.offers[channel]; o != nil {
		e.offerFailed(now, o, reason)
		return
	}
	if c := e.connected[channel]; c != nil {
		e.talkEnded(now, c, true)
	}
}

// offerFailed returns the call to its queues and makes the agent Not Ready, so a
// phone nobody answers does not keep taking calls.
func (e *Engine) offerFailed(now time.Time, o *offer, reason string) {
	e.dropOffer(o)
	c, a := o.c, o.a
	c.AgentHops++
	e.callEvent(now, ccd.EventCallReturned, c, o.m.q.cfg.Code, a.ID, Data{Channel: o.channel, Reason: reason, RingMS: ms(now.Sub(o.at))})
	if reason != AgentLeft {
		e.act(Action{Kind: Cancel, CallID: c.ID, Agent: a.ID, Channel: o.channel})
	}
	a.call = nil
	switch {
	case a.Pending == LoggedOut:
		e.logout(now, a)
	case reason == AgentLeft:
		// the state was set by the request that made the agent leave
	default:
		activity := reason
		if a.Pending == NotReady && a.PendingActivity != "" {
			activity = a.PendingActivity
		}
		a.Pending, a.PendingActivity = "", ""
		e.setAgent(now, a, NotReady, Data{Activity: activity, Forced: true, Reason: reason})
	}
	e.requeue(now, c)
}

// Hangup reports that the caller hung up (or left the application).
func (e *Engine) Hangup(now time.Time, callID string) {
	c := e.calls[callID]
	if c == nil {
		return
	}
	switch c.State {
	case Waiting:
		q := c.Queue
		waited := now.Sub(c.QueuedAt)
		e.leaveQueues(c)
		c.AbandonedAt = now
		e.callEvent(now, ccd.EventCallAbandoned, c, q, "", Data{WaitedMS: ms(waited)})
		e.end(now, c, EndAbandoned)
	case Ringing:
		o := c.offer
		e.dropOffer(o)
		e.leaveQueues(c)
		c.AbandonedAt = now
		e.act(Action{Kind: Cancel, CallID: c.ID, Agent: o.a.ID, Channel: o.channel})
		e.callEvent(now, ccd.EventCallAbandoned, c, c.Queue, o.a.ID, Data{WaitedMS: ms(now.Sub(c.QueuedAt)),
			RingMS: ms(now.Sub(o.at)), Channel: o.channel, Reason: Ringing})
		a := o.a
		a.call = nil
		if a.Pending == "" {
			// Not the agent's fault: back to ready with the idle time kept.
			e.setAgent(now, a, Ready, Data{IdleSince: a.IdleSince})
		} else {
			e.afterCall(now, a)
		}
		e.end(now, c, EndAbandonedRinging)
		if a.State == Ready {
			e.findCall(now, a)
		}
	case Connected:
		e.talkEnded(now, c, false)
	}
}

// talkEnded ends a connected call; byAgent says which side hung up.
func (e *Engine) talkEnded(now time.Time, c *call, byAgent bool) {
	if byAgent {
		e.act(Action{Kind: HangupCaller, CallID: c.ID, Agent: c.Agent, Channel: c.Channel})
	} else {
		e.act(Action{Kind: HangupAgent, CallID: c.ID, Agent: c.Agent, Channel: c.Channel})
	}
	if !c.HeldSince.IsZero() {
		e.unhold(now, c)
	}
	c.EndedAt = now
	if q := e.queues[c.Queue]; q != nil {
		talk := now.Sub(c.AnsweredAt)
		if q.aht == 0 {
			q.aht = talk
		} else {
			q.aht += (talk - q.aht) / 5
		}
	}
	a := e.agents[c.Agent]
	e.end(now, c, EndTalked)
	if a != nil && a.call == c {
		a.call = nil
		e.wrapUp(now, a)
	}
}

// end closes a call's record.
func (e *Engine) end(now time.Time, c *call, endType int) {
	e.disconnect(c)
	c.EndType = endType
	c.State = "ended"
	c.annGen++
	delete(e.calls, c.ID)
	sum := c.Call
	sum.Queues = nil
	sum.HeldSince = time.Time{}
	e.callEvent(now, ccd.EventCallEnded, c, c.Queue, c.Agent, Data{Summary: &sum})
}

// disconnect forgets a call's agent channel once the call is no longer
// connected to it.
func (e *Engine) disconnect(c *call) {
	if e.connected[c.Channel] == c {
		delete(e.connected, c.Channel)
	}
}

// wrapUp starts the after-call work of an agent whose call ended.
func (e *Engine) wrapUp(now time.Time, a *agent) {
	if a.Pending == LoggedOut {
		e.logout(now, a)
		return
	}
	if a.wrapUp <= 0 {
		e.afterCall(now, a)
		if a.State == Ready {
			e.findCall(now, a)
		}
		return
	}
	a.Until = now.Add(a.wrapUp)
	e.setAgent(now, a, WrapUp, Data{UntilMS: ms(a.wrapUp)})
	e.timers.add(timer{at: now.Add(a.wrapUp), kind: tWrapUp, a: a, gen: a.gen})
}

// afterCall puts an agent whose call (or wrap-up) is over into the state asked
// for meanwhile: not ready with an activity, or ready.
func (e *Engine) afterCall(now time.Time, a *agent) {
	switch a.Pending {
	case NotReady:
		act := a.PendingActivity
		a.Pending, a.PendingActivity = "", ""
		e.setAgent(now, a, NotReady, Data{Activity: act})
	case LoggedOut:
		e.logout(now, a)
	default:
		e.setAgent(now, a, Ready, Data{})
	}
}

// QueueMembers lists, per queue code, the agents who may serve it (skills and
// groups), in configuration order.
func (e *Engine) QueueMembers() map[string][]string {
	out := make(map[string][]string, len(e.queueList))
	for _, q := range e.queueList {
		ids := make([]string, len(q.eligible))
		for i, a := range q.eligible {
			ids[i] = a.ID
		}
		out[q.cfg.Code] = ids
	}
	return out
}
