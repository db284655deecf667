package acd

import (
	"strconv"
	"time"

	"github.com/ccdhq/ccd"
)

// A supervisor acts on waiting calls from the console. The call may have
// been answered or ended a moment before: such a call is a conflict (409
// at the API), not "not found", so that the supervisor learns that the
// call moved on rather than that it never existed.

// waitingCall is the call callID while it waits in a queue.
func (e *Engine) waitingCall(callID string) (*call, error) {
	c := e.calls[callID]
	if c == nil {
		return nil, conflict("acd: call " + strconv.Quote(callID) + " is not in the ACD any more (it ended)")
	}
	if c.State != Waiting || len(c.members) == 0 {
		return nil, conflict("acd: call " + callID + " is not waiting in a queue (it is " + c.State + ")")
	}
	return c, nil
}

// MoveWaiting sends a waiting call to another queue: it leaves every queue
// it waits in and waits in toQueue as a new hop (counted there as
// offered, like an agent's transfer).
func (e *Engine) MoveWaiting(now time.Time, callID, toQueue string) error {
	c, err := e.waitingCall(callID)
	if err != nil {
		return err
	}
	q := e.queues[toQueue]
	if q == nil {
		return &ccd.Error{Code: ccd.ENOTFOUND, Field: "queue", Message: "acd: no queue " + strconv.Quote(toQueue)}
	}
	from := c.Queue
	e.leaveQueues(c)
	c.visited = map[string]bool{}
	e.enqueue(now, c, q, ReasonSupervisor, from)
	return nil
}

// OfferTo rings one agent for a waiting call, whatever its skills: the
// agent must be ready. If the agent does not answer, the call goes back to
// its place like after any failed offer.
func (e *Engine) OfferTo(now time.Time, callID, agentID string) error {
	c, err := e.waitingCall(callID)
	if err != nil {
		return err
	}
	a, err := e.loggedIn(agentID)
	if err != nil {
		return err
	}
	if a.State != Ready || a.offer != nil || a.call != nil {
		return conflict("acd: agent " + agentID + " is not ready (" + a.State + ")")
	}
	m := c.members[0]
	for _, x := range c.members {
		if x.q.cfg.Code == c.Queue {
			m = x
		}
	}
	e.offer(now, m, a)
	return nil
}

// SetPriority changes the priority (1 highest .. 9) of a call not yet
// answered; it takes its new place in the queues it waits in.
func (e *Engine) SetPriority(now time.Time, callID string, priority int) error {
	if priority < 1 || priority > 9 {
		return &ccd.Error{Code: ccd.EINVALID, Field: "priority", Message: "must be 1 (highest) to 9"}
	}
	c := e.calls[callID]
	if c == nil {
		return conflict("acd: call " + strconv.Quote(callID) + " is not in the ACD any more (it ended)")
	}
	if c.State == Connected {
		return conflict("acd: call " + callID + " is already connected to an agent")
	}
	if c.Priority == priority {
		return nil
	}
	c.Priority = priority
	for _, m := range c.members {
		if m.idx >= 0 {
			m.q.waiting.remove(m)
			m.q.waiting.push(m)
		}
	}
	e.callEvent(now, ccd.EventCallPriority, c, c.Queue, "", Data{Priority: priority})
	return nil
}
