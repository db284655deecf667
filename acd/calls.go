package acd

import (
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/ccdhq/ccd"
)

// Transfer is a blind transfer of a connected call by its agent: to another
// queue (the call waits there as a new hop) or out to a number.
func (e *Engine) Transfer(now time.Time, callID, toQueue, toNumber string) error {
	c := e.calls[callID]
	if c == nil {
		return notFound("acd: no call", strconv.Quote(callID))
	}
	if c.State != Connected {
		return conflict("acd: call " + callID + " is not connected to an agent")
	}
	q := e.queues[toQueue]
	if toQueue != "" && q == nil {
		return notFound("acd: no queue", strconv.Quote(toQueue))
	}
	if (toQueue == "") == (toNumber == "") {
		return &ccd.Error{Code: ccd.EINVALID, Message: "acd: a transfer needs exactly one of queue, number"}
	}
	if !c.HeldSince.IsZero() {
		e.unhold(now, c)
	}
	a := e.agents[c.Agent]
	e.act(Action{Kind: HangupAgent, CallID: c.ID, Agent: c.Agent, Channel: c.Channel})
	to := toQueue
	if to == "" {
		to = toNumber
	}
	e.callEvent(now, ccd.EventCallTransferred, c, c.Queue, c.Agent, Data{From: c.Queue, To: to, Channel: c.Channel})
	if a != nil && a.call == c {
		a.call = nil
		e.wrapUp(now, a)
	}
	if q != nil {
		e.disconnect(c)
		c.Agent, c.Channel, c.Endpoint = "", "", ""
		c.visited = map[string]bool{}
		e.enqueue(now, c, q, "transfer", c.Queue)
		return nil
	}
	c.TransferAt, c.TransferTo = now, toNumber
	e.act(Action{Kind: SendTo, CallID: c.ID, Queue: c.Queue, Extension: toNumber})
	e.end(now, c, EndTransferred)
	return nil
}

// TransferredByPhone records a blind transfer the agent's phone made (Asterisk
// has already sent the caller to the extension): the call leaves the ACD as
// transferred and the agent goes to wrap-up.
func (e *Engine) TransferredByPhone(now time.Time, agentChannel, to string) bool {
	c := e.connected[agentChannel]
	if c == nil {
		return false
	}
	if !c.HeldSince.IsZero() {
		e.unhold(now, c)
	}
	e.callEvent(now, ccd.EventCallTransferred, c, c.Queue, c.Agent, Data{From: c.Queue, To: to, Channel: c.Channel, Reason: "phone"})
	e.act(Action{Kind: HangupAgent, CallID: c.ID, Agent: c.Agent, Channel: c.Channel})
	if a := e.agents[c.Agent]; a != nil && a.call == c {
		a.call = nil
		e.wrapUp(now, a)
	}
	c.TransferAt, c.TransferTo = now, to
	e.end(now, c, EndTransferred)
	return true
}

// Hold puts a connected call on hold (counted and timed).
func (e *Engine) Hold(now time.Time, callID string) error {
	c := e.calls[callID]
	if c == nil {
		return notFound("acd: no call", strconv.Quote(callID))
	}
	if c.State != Connected {
		return conflict("acd: call " + callID + " is not connected to an agent")
	}
	if !c.HeldSince.IsZero() {
		return nil
	}
	c.Holds++
	c.HeldSince = now
	e.callEvent(now, ccd.EventCallHold, c, c.Queue, c.Agent, Data{})
	return nil
}

// Unhold takes a call off hold.
func (e *Engine) Unhold(now time.Time, callID string) error {
	c := e.calls[callID]
	if c == nil {
		return notFound("acd: no call", strconv.Quote(callID))
	}
	if c.HeldSince.IsZero() {
		return nil
	}
	e.unhold(now, c)
	return nil
}

func (e *Engine) unhold(now time.Time, c *call) {
	d := now.Sub(c.HeldSince)
	c.HoldMS += ms(d)
	c.HeldSince = time.Time{}
	e.callEvent(now, ccd.EventCallUnhold, c, c.Queue, c.Agent, Data{HoldMS: ms(d)})
}

// CallbackOffered records that a waiting caller is offered a callback
// (counted as OfferedCB; a caller may be offered more than once).
func (e *Engine) CallbackOffered(now time.Time, callID string) error {
	c := e.calls[callID]
	if c == nil {
		return notFound("acd: no call", strconv.Quote(callID))
	}
	e.callEvent(now, ccd.EventCallCallbackOffered, c, c.Queue, "", Data{})
	return nil
}

// EndInIVR ends a waiting call whose caller accepted a callback and hangs
// up (EndType 108): the callback keeps its place from then on. A call that
// is ringing an agent or connected is ECONFLICT: it is being answered.
func (e *Engine) EndInIVR(now time.Time, callID string) (Call, error) {
	c := e.calls[callID]
	if c == nil {
		return Call{}, notFound("acd: no call", strconv.Quote(callID))
	}
	if c.State != Waiting {
		return Call{}, conflict("acd: call " + callID + " is " + c.State + ", not waiting")
	}
	e.leaveQueues(c)
	c.EndedAt = now
	e.end(now, c, EndInIVR)
	return c.Call, nil
}

// SetRequiredSkills makes the skills an agent must have to get a waiting
// call (the CRM's answer for it): only agents with each of them (any level)
// are offered it from now on. A call ringing or connected is ECONFLICT: it
// has its agent. The skills are not in the event log; a call restored after
// a restart waits with its queue's skills only.
func (e *Engine) SetRequiredSkills(now time.Time, callID string, skills []string) error {
	c := e.calls[callID]
	if c == nil {
		return notFound("acd: no call", strconv.Quote(callID))
	}
	if c.State != Waiting {
		return conflict("acd: call " + callID + " is " + c.State + ", not waiting")
	}
	c.RequiredSkills = slices.Clone(skills)
	for _, m := range c.members {
		if c.State == Waiting {
			e.findAgent(now, m)
		}
	}
	return nil
}

// SetTransferNumber notes the number the CRM offers the agent to transfer
// the call to.
func (e *Engine) SetTransferNumber(callID, number string) error {
	c := e.calls[callID]
	if c == nil {
		return notFound("acd: no call", strconv.Quote(callID))
	}
	c.DefaultTransferNumber = number
	return nil
}

// Recording notes the file a connected call is recorded to.
func (e *Engine) Recording(now time.Time, callID, name string) {
	c := e.calls[callID]
	if c == nil {
		return
	}
	c.Recording = name
	e.callEvent(now, ccd.EventCallRecording, c, c.Queue, c.Agent, Data{Recording: name})
}

// CallByChannel finds the call an agent channel belongs to.
func (e *Engine) CallByChannel(channel string) (string, bool) {
	if o := e.offers[channel]; o != nil {
		return o.c.ID, true
	}
	if c := e.connected[channel]; c != nil {
		return c.ID, true
	}
	return "", false
}

// Call returns one call in the ACD.
func (e *Engine) Call(id string) (Call, bool) {
	c := e.calls[id]
	if c == nil {
		return Call{}, false
	}
	return c.snapshot(), true
}

func (c *call) snapshot() Call {
	s := c.Call
	s.Queues = append([]string(nil), c.Queues...)
	s.QueuedSince = append([]time.Time(nil), c.QueuedSince...)
	return s
}

// Calls returns the calls in the ACD, oldest first.
func (e *Engine) Calls() []Call {
	out := make([]Call, 0, len(e.calls))
	for _, c := range e.calls {
		out = append(out, c.snapshot())
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].OfferedAt.Equal(out[j].OfferedAt) {
			return out[i].OfferedAt.Before(out[j].OfferedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// QueueStatus is a queue's live figures (ccd.QueueStatus).
type QueueStatus = ccd.QueueStatus

// Queues returns every queue's live figures, in configuration order.
func (e *Engine) Queues(now time.Time) []QueueStatus {
	out := make([]QueueStatus, 0, len(e.queueList))
	for _, q := range e.queueList {
		st := QueueStatus{Code: q.cfg.Code, Name: q.cfg.Name, Waiting: q.waiting.Len(), AgentsByState: map[string]int{}, LoggedIn: q.loggedIn}
		for _, m := range q.waiting.items {
			if w := ms(now.Sub(m.entered)); w > st.LongestWaitMS {
				st.LongestWaitMS = w
			}
		}
		for _, a := range q.eligible {
			st.AgentsByState[a.State]++
		}
		st.ExpectedWaitMS = ms(q.aht * time.Duration(st.Waiting+1) / time.Duration(max(q.loggedIn, 1)))
		out = append(out, st)
	}
	return out
}
