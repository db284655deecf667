package acd

import "time"

// Reserve holds n of the ready agents who serve queue for the calls the
// dialer has in flight there (calls ringing at customers, answered calls
// in answering-machine detection): a call of another queue is not offered
// to an agent it would take from them, so that the person the dialer
// reaches finds the agent the pacer counted on. The dialer's own calls, in
// queue, take those agents as usual. n = 0 lifts the reservation; agents it
// freed take the calls waiting for them at once.
func (e *Engine) Reserve(now time.Time, queue string, n int) {
	q := e.queues[queue]
	if q == nil {
		return
	}
	was := e.reserved[queue]
	if n <= 0 {
		delete(e.reserved, queue)
	} else {
		if e.reserved == nil {
			e.reserved = map[string]int{}
		}
		e.reserved[queue] = n
	}
	if n < was {
		for _, a := range q.eligible {
			if a.State == Ready && a.offer == nil {
				e.findCall(now, a)
			}
		}
	}
}

// Reserved is queue's reservation.
func (e *Engine) Reserved(queue string) int { return e.reserved[queue] }

// mayTake says whether a ready agent may be offered a call of q: not when
// another queue it serves holds a reservation that needs it (every ready
// agent of that queue, this one included, is counted on).
func (e *Engine) mayTake(a *agent, q *queue) bool {
	if len(e.reserved) == 0 {
		return true
	}
	for _, r := range a.queues {
		held := e.reserved[r.cfg.Code]
		if r == q || held == 0 {
			continue
		}
		if readyIn(r) <= held {
			return false
		}
	}
	return true
}

// readyIn counts the ready agents of a queue.
func readyIn(q *queue) int {
	n := 0
	for _, a := range q.eligible {
		if a.State == Ready {
			n++
		}
	}
	return n
}

// HoldAgents holds exactly the agents ids for the dialer's personal
// callbacks in flight (calls placed for one agent, Arrival.Agent): a held
// agent is offered no other call, so that the person the dialer reaches
// for it finds it free. Agents it no longer holds take the calls waiting
// for them at once.
func (e *Engine) HoldAgents(now time.Time, ids []string) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	for _, a := range e.agentList {
		was := a.held
		a.held = want[a.ID]
		if was && !a.held && a.loggedIn && a.State == Ready && a.offer == nil {
			e.findCall(now, a)
		}
	}
}
