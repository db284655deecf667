package acd

import (
	"slices"
	"sort"
	"time"

	"github.com/ccdhq/ccd"
)

// Snapshot is the state of an ACD: the calls in it and every agent that has
// ever changed state. Engine.Snapshot reads it from a running engine; Fold
// rebuilds the same thing from the engine's events, which is how a restarted ccd
// gets its queues and agents back.
type Snapshot struct {
	Calls  []Call
	Agents []Agent
}

// Snapshot returns the engine's state.
func (e *Engine) Snapshot() Snapshot {
	s := Snapshot{Calls: e.Calls()}
	for _, a := range e.agentList {
		if !a.Since.IsZero() {
			s.Agents = append(s.Agents, a.Agent)
		}
	}
	return s
}

// Fold rebuilds a snapshot from events in the order they happened. Events of
// calls that ended, and events that are not the engine's, are ignored, so the
// input may be any slice of the log that holds the whole of the open calls.
func Fold(events []Event) Snapshot {
	calls := map[string]*Call{}
	agents := map[string]*Agent{}
	var order []string
	for i := range events {
		ev := &events[i]
		d := &ev.Data
		if ccd.IsAgentEvent(ev.Kind) {
			a := agents[ev.Agent]
			if a == nil {
				a = &Agent{ID: ev.Agent, State: LoggedOut}
				agents[ev.Agent] = a
			}
			if ev.Kind == ccd.EventAgentLoggedIn {
				a.Endpoint, a.SessionSkills = d.Endpoint, d.SessionSkills
				continue
			}
			a.State, a.Since, a.Activity, a.Forced, a.CallID = d.State, ev.At, d.Activity, d.Forced, ev.CallID
			if d.State == LoggedOut {
				a.SessionSkills = nil // the session's skills end with it
			}
			if d.Endpoint != "" {
				a.Endpoint = d.Endpoint
			}
			a.Until = time.Time{}
			switch d.State {
			case Ready:
				a.IdleSince = d.IdleSince
			case WrapUp:
				a.Until = ev.At.Add(time.Duration(d.UntilMS) * time.Millisecond)
			}
			continue
		}
		c := calls[ev.CallID]
		if ev.Kind == ccd.EventCallOffered {
			c = &Call{ID: ev.CallID, CLID: ev.CLID, DNIS: ev.DNIS, Priority: d.Priority, AttachData: d.AttachData,
				State: Waiting, OfferedAt: ev.At, InitialQueue: ev.Queue, Virtual: d.Virtual, OnlyAgent: d.OnlyAgent}
			if d.Virtual && d.ArrivedUnix != 0 {
				c.OfferedAt = time.UnixMilli(d.ArrivedUnix)
			}
			calls[ev.CallID] = c
			order = append(order, ev.CallID)
			continue
		}
		if c == nil {
			continue
		}
		switch ev.Kind {
		case ccd.EventCallQueued:
			if d.Reason != "route" {
				c.QueueHops++
			}
			if d.Reason == ReasonSupervisor {
				c.Queues, c.QueuedSince = nil, nil
			} else if d.Reason != "expand" {
				// overflow and transfer leave the queue the call came from
				if i := slices.Index(c.Queues, d.From); i >= 0 {
					c.Queues = slices.Delete(c.Queues, i, i+1)
					c.QueuedSince = slices.Delete(c.QueuedSince, i, i+1)
				}
			}
			c.Queues = append(c.Queues, ev.Queue)
			c.QueuedSince = append(c.QueuedSince, ev.At)
			c.State, c.Queue = Waiting, ev.Queue
			c.Agent, c.Channel, c.Endpoint = "", "", ""
			if c.QueuedAt.IsZero() {
				c.QueuedAt = ev.At
			}
			if c.InitialQueue == "" {
				c.InitialQueue = ev.Queue
			}
		case ccd.EventCallRinging:
			c.State, c.Agent, c.Channel, c.Endpoint, c.Queue, c.RingingAt = Ringing, ev.Agent, d.Channel, d.Endpoint, ev.Queue, ev.At
			c.Offers++
		case ccd.EventCallReturned:
			c.State, c.Agent, c.Channel, c.Endpoint = Waiting, "", "", ""
			c.AgentHops++
		case ccd.EventCallAnswered:
			c.State, c.AnsweredAt, c.Queue, c.Backflow = Connected, ev.At, ev.Queue, d.Backflow
			c.Agent, c.Channel, c.Endpoint = ev.Agent, d.Channel, d.Endpoint
			c.Queues, c.QueuedSince = nil, nil
		case ccd.EventCallHold:
			c.Holds++
			c.HeldSince = ev.At
		case ccd.EventCallUnhold:
			c.HoldMS += d.HoldMS
			c.HeldSince = time.Time{}
		case ccd.EventCallPriority:
			c.Priority = d.Priority
		case ccd.EventCallRecording:
			c.Recording = d.Recording
		case ccd.EventCallAbandoned:
			c.AbandonedAt = ev.At
		case ccd.EventCallToDefault, ccd.EventCallOverflowed:
			if d.To != "" && !d.Expand && ev.Kind == ccd.EventCallToDefault {
				c.TransferAt, c.TransferTo = ev.At, d.To
			}
		case ccd.EventCallEnded:
			delete(calls, ev.CallID)
		}
	}
	var s Snapshot
	for _, id := range order {
		if c := calls[id]; c != nil {
			s.Calls = append(s.Calls, *c)
		}
	}
	sort.SliceStable(s.Calls, func(i, j int) bool { return s.Calls[i].OfferedAt.Before(s.Calls[j].OfferedAt) })
	for _, a := range agents {
		s.Agents = append(s.Agents, *a)
	}
	sort.Slice(s.Agents, func(i, j int) bool { return s.Agents[i].ID < s.Agents[j].ID })
	return s
}

// Restore loads a snapshot into a new engine after a restart: RestoreAgents then
// RestoreCalls, for a caller that knows at once which channels are live.
func (e *Engine) Restore(now time.Time, s Snapshot, live func(channel string) bool) {
	e.RestoreAgents(s.Agents)
	e.RestoreCalls(now, s.Calls, live)
}

// RestoreAgents loads the agents of a snapshot into a new engine. It needs
// nothing from Asterisk, so agents can log in, out and pause before the PBX is
// back. An agent left ringing or on a call keeps that state until RestoreCalls
// tells whether the call is still there.
func (e *Engine) RestoreAgents(agents []Agent) {
	// The sessions' own skills first: they decide the queues served.
	for _, sa := range agents {
		if a := e.agents[sa.ID]; a != nil && sa.SessionSkills != nil && sa.State != LoggedOut && sa.State != "" {
			a.useSkills(sa.SessionSkills)
		}
	}
	e.rematch()
	for _, sa := range agents {
		a := e.agents[sa.ID]
		if a == nil || sa.State == LoggedOut || sa.State == "" {
			continue
		}
		name := a.Name
		a.Agent = sa
		a.Name = name
		a.CallID = ""
		a.loggedIn = true
		e.byEndpoint[a.Endpoint] = a
		for _, q := range a.queues {
			q.loggedIn++
		}
		switch a.State {
		case WrapUp:
			e.timers.add(timer{at: a.Until, kind: tWrapUp, a: a, gen: a.gen})
		case OnDirectCall:
			a.back = Ready
		}
	}
}

// RestoreCalls loads the calls of a snapshot once Asterisk has said which
// channels are still in the Stasis application (live): a caller who is gone is
// closed (abandoned, or ended after talking); an offer that was ringing is
// withdrawn and its call waits again; a connected pair whose agent is gone ends.
// Every such change is an event, dated now.
func (e *Engine) RestoreCalls(now time.Time, calls []Call, live func(channel string) bool) {
	var held []*agent // agents whose state waits for their call to be restored
	for _, a := range e.agentList {
		if a.State == Ringing || a.State == OnCall {
			held = append(held, a)
		}
	}
	for _, sc := range calls {
		e.restoreCall(now, sc, live)
	}
	// Agents left ringing or on a call that no longer exists are free again.
	for _, a := range held {
		if a.call == nil && (a.State == Ringing || a.State == OnCall) {
			e.afterCall(now, a)
		}
	}
	for _, a := range e.agentList {
		if a.State == Ready {
			e.findCall(now, a)
		}
	}
}

func (e *Engine) restoreCall(now time.Time, sc Call, live func(string) bool) {
	e.seq++
	c := &call{Call: sc, seq: e.seq, visited: map[string]bool{}, onlyAgent: sc.OnlyAgent}
	c.Queues, c.QueuedSince = nil, nil
	e.calls[c.ID] = c
	a := e.agents[sc.Agent]
	if !live(c.ID) {
		switch sc.State {
		case Connected:
			if a != nil && a.State == OnCall {
				a.call = c
				a.wrapUp = e.wrapUpOf(c.Queue)
			}
			e.talkEnded(now, c, false)
		case Ringing:
			c.AbandonedAt = now
			e.act(Action{Kind: Cancel, CallID: c.ID, Agent: sc.Agent, Channel: sc.Channel})
			e.callEvent(now, ccd.EventCallAbandoned, c, c.Queue, sc.Agent, Data{WaitedMS: ms(now.Sub(c.QueuedAt)), Channel: sc.Channel, Reason: Ringing})
			e.end(now, c, EndAbandonedRinging)
		default:
			c.AbandonedAt = now
			e.callEvent(now, ccd.EventCallAbandoned, c, c.Queue, "", Data{WaitedMS: ms(now.Sub(c.QueuedAt))})
			e.end(now, c, EndAbandoned)
		}
		return
	}
	switch sc.State {
	case Connected:
		if a != nil && a.State == OnCall && live(sc.Channel) {
			a.call = c
			a.wrapUp = e.wrapUpOf(c.Queue)
			a.CallID = c.ID
			e.connected[c.Channel] = c
			return
		}
		if a != nil && a.State == OnCall {
			a.call = c
			a.wrapUp = e.wrapUpOf(c.Queue)
		}
		e.talkEnded(now, c, true)
		return
	case Ringing:
		// The offer's originate belonged to the old process; withdraw it
		// and let the call wait again.
		c.AgentHops++
		e.act(Action{Kind: Cancel, CallID: c.ID, Agent: sc.Agent, Channel: sc.Channel})
		e.callEvent(now, ccd.EventCallReturned, c, c.Queue, sc.Agent, Data{Channel: sc.Channel, Reason: "restart"})
		c.State, c.Agent, c.Channel, c.Endpoint = Waiting, "", "", ""
	}
	for i, code := range sc.Queues {
		q := e.queues[code]
		if q == nil {
			continue
		}
		m := &member{q: q, c: c, entered: sc.QueuedSince[i], idx: -1, expanded: i < len(sc.Queues)-1}
		c.members = append(c.members, m)
		c.visited[code] = true
		q.waiting.push(m)
		for j, o := range q.cfg.Overflow {
			if o.AfterWait > 0 {
				e.timers.add(timer{at: m.entered.Add(o.AfterWait), kind: tOverflow, m: m, rule: j})
			}
		}
	}
	e.syncQueues(c)
	if len(c.members) == 0 {
		// Its queues are no longer configured: nowhere to wait.
		e.sendOut(now, c, c.Queue, e.defaultExt, "no_route", true)
		return
	}
	if q := c.members[0].q; q.cfg.AnnounceEvery > 0 && !c.Virtual {
		c.annGen++
		e.timers.add(timer{at: now.Add(q.cfg.AnnounceEvery), kind: tAnnounce, c: c, gen: c.annGen})
	}
}

func (e *Engine) wrapUpOf(queue string) time.Duration {
	if q := e.queues[queue]; q != nil {
		return q.cfg.WrapUp
	}
	return 0
}
