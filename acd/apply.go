package acd

import (
	"fmt"
	"slices"
	"time"
)

// Apply makes spec the engine's configuration while it runs, without
// dropping a caller or an agent's call:
//   - a queue that is added takes calls at once; one that changes keeps its
//     waiting calls and its place for them;
//   - a queue that is removed takes no new calls (Arrive answers not found,
//     overflow and transfers skip it) and drains: its waiting calls stay
//     until they are answered, overflow or hang up, then it is gone;
//   - an agent that is added is logged out; one that changes keeps its state
//     (its endpoint changes at its next login);
//   - an agent that is removed is logged out, at once when idle, after the
//     call when ringing is withdrawn or a call is in progress;
//   - skills and groups are matched again, and every ready agent is offered
//     the best call it now qualifies for.
//
// A spec the engine cannot run (duplicate codes, an overflow to an unknown
// queue) is refused and nothing changes.
func (e *Engine) Apply(now time.Time, spec Spec) error {
	if err := checkSpec(spec); err != nil {
		return err
	}
	e.defaultExt = spec.DefaultExtension
	removed := e.applyAgents(spec)
	e.applyQueues(spec)
	e.match(now)
	for _, a := range removed {
		e.remove(now, a)
	}
	for _, a := range slices.Clone(e.agentList) {
		if a.loggedIn && a.State == Ready && a.offer == nil {
			e.findCall(now, a)
		}
	}
	return nil
}

// checkSpec refuses what the engine cannot run; the configuration's own
// validation names the keys of the same mistakes.
func checkSpec(spec Spec) error {
	queues := map[string]bool{}
	for _, q := range spec.Queues {
		if queues[q.Code] {
			return fmt.Errorf("acd: duplicate queue %q", q.Code)
		}
		queues[q.Code] = true
		if len(q.Overflow) > 64 {
			return fmt.Errorf("acd: queue %q has more than 64 overflow rules", q.Code)
		}
	}
	for _, q := range spec.Queues {
		for _, o := range q.Overflow {
			if o.ToQueue != "" && !queues[o.ToQueue] {
				return fmt.Errorf("acd: queue %q overflows to unknown queue %q", q.Code, o.ToQueue)
			}
		}
	}
	agents := map[string]bool{}
	for _, a := range spec.Agents {
		if agents[a.ID] {
			return fmt.Errorf("acd: duplicate agent %q", a.ID)
		}
		agents[a.ID] = true
	}
	return nil
}

// groupsOf is each agent's groups, from the groups' member lists and the
// agents' own.
func groupsOf(spec Spec) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	add := func(agent, group string) {
		if out[agent] == nil {
			out[agent] = map[string]bool{}
		}
		out[agent][group] = true
	}
	for _, g := range spec.Groups {
		for _, id := range g.Agents {
			add(id, g.Name)
		}
	}
	for _, a := range spec.Agents {
		for _, g := range a.Groups {
			add(a.ID, g)
		}
	}
	return out
}

// applyAgents updates, adds and marks removed agents; it returns the agents
// that are to leave.
func (e *Engine) applyAgents(spec Spec) (removed []*agent) {
	groups := groupsOf(spec)
	keep := map[string]bool{}
	list := make([]*agent, 0, len(spec.Agents))
	for _, as := range spec.Agents {
		keep[as.ID] = true
		a := e.agents[as.ID]
		if a == nil {
			a = &agent{Agent: Agent{ID: as.ID, State: LoggedOut}}
			e.agents[as.ID] = a
		}
		a.removed = false // removed while on a call and added back
		a.Name, a.skills, a.cfgSkills, a.groups = as.Name, as.Skills, as.Skills, groups[as.ID]
		if a.sessionSkills != nil {
			a.skills = a.sessionSkills
		}
		if !a.loggedIn {
			a.Endpoint = as.Endpoint
		}
		list = append(list, a)
	}
	for _, a := range e.agentList {
		if !keep[a.ID] {
			a.removed = true
			removed = append(removed, a)
		}
	}
	e.agentList = list
	return removed
}

// applyQueues updates and adds queues and closes the removed ones, which stay
// in the list until they have drained.
func (e *Engine) applyQueues(spec Spec) {
	old := map[string]*queue{}
	for _, q := range e.queueList {
		old[q.cfg.Code] = q
	}
	keep := map[string]bool{}
	list := make([]*queue, 0, len(spec.Queues))
	e.queues = make(map[string]*queue, len(spec.Queues))
	for _, qs := range spec.Queues {
		if qs.RingTimeout <= 0 {
			qs.RingTimeout = DefaultRingTimeout
		}
		q := old[qs.Code]
		if q == nil {
			q = &queue{}
		}
		q.cfg, q.closed = qs, false
		keep[qs.Code] = true
		e.queues[qs.Code] = q
		list = append(list, q)
	}
	for _, q := range e.queueList {
		if !keep[q.cfg.Code] {
			q.closed = true
			list = append(list, q)
		}
	}
	e.queueList = list
}

// match finds again which agents serve which queue. A queue left without a
// logged-in agent overflows its callers by its no_agents_logged_in rules.
func (e *Engine) match(now time.Time) {
	before := make(map[*queue]int, len(e.queueList))
	for _, q := range e.queueList {
		before[q] = q.loggedIn
	}
	e.rematch()
	for _, q := range e.queueList {
		if before[q] > 0 && q.loggedIn == 0 {
			e.noAgents(now, q)
		}
	}
}

// rematch works out again who serves which queue and how many of them are
// logged in.
func (e *Engine) rematch() {
	for _, q := range e.queueList {
		q.eligible, q.loggedIn = nil, 0
	}
	for _, a := range e.agents {
		a.queues = nil
	}
	for _, q := range e.queueList {
		for _, a := range e.agentList {
			if !qualifies(a.skills, a.groups, q.cfg) {
				continue
			}
			q.eligible = append(q.eligible, a)
			a.queues = append(a.queues, q)
			if a.loggedIn {
				q.loggedIn++
			}
		}
	}
}

// remove makes a removed agent leave: logged out now when it has no call,
// after the call otherwise (a ringing offer is withdrawn and its call
// waits again).
func (e *Engine) remove(now time.Time, a *agent) {
	switch {
	case !a.loggedIn:
		delete(e.agents, a.ID)
	case a.State == Ringing:
		a.Pending = LoggedOut
		e.withdraw(now, a)
	case a.State == OnCall || a.State == OnDirectCall:
		a.Pending, a.PendingActivity = LoggedOut, ""
	default:
		e.logout(now, a)
	}
}

// sweepClosed drops the removed queues no call waits in any more.
func (e *Engine) sweepClosed() {
	if !slices.ContainsFunc(e.queueList, func(q *queue) bool { return q.closed }) {
		return
	}
	used := map[*queue]bool{}
	for _, c := range e.calls {
		for _, m := range c.members {
			used[m.q] = true
		}
	}
	e.queueList = slices.DeleteFunc(e.queueList, func(q *queue) bool {
		if !q.closed || used[q] {
			return false
		}
		for _, a := range q.eligible {
			a.queues = slices.DeleteFunc(a.queues, func(x *queue) bool { return x == q })
		}
		return true
	})
}
