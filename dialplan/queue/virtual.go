package queue

import (
	"context"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
)

// VirtualCalls is told what the queue decides about the calls without a
// channel it holds (callbacks keeping their caller's place): the callback
// application does what a caller's channel would. Its methods are called
// on the application's loop and must return at once.
type VirtualCalls interface {
	// Connected: the agent answered the callback's offer; its channel is
	// in the Stasis application (still the queue's), in no bridge yet.
	Connected(callID, agent, agentChannel, queue string)
	// Ended: the callback's call left the queue (its agent hung up, or it
	// overflowed or was sent out, which a callback cannot follow).
	Ended(callID string)
}

// SetVirtualCalls connects the callback application; call it before Run.
func (a *App) SetVirtualCalls(v VirtualCalls) { a.virtualCalls = v }

// Place puts a callback in its queue as a call without a channel, with the
// place its caller had (cb.PlaceAt). A call of that id already there (put
// back by a restart) is kept.
func (a *App) Place(ctx context.Context, cb ccd.Callback, callID string) error {
	// After the restore only: a place put before it would be restored twice.
	return a.asteriskRequest(ctx, func() error {
		if _, ok := a.engine.Call(callID); ok {
			return nil
		}
		// The attach data links the attempt to the call (or web request) it
		// calls back.
		link := cb.CallID
		if link == "" {
			link = cb.ID
		}
		err := a.engine.Arrive(a.now(), acd.Arrival{CallID: callID, CLID: cb.Number, DNIS: cb.DNIS, Queue: cb.Queue,
			Priority: cb.Priority, Virtual: true, PlaceAt: cb.PlaceAt, AttachData: link})
		if err == nil {
			a.markVirtual(callID)
		}
		return err
	})
}

// Withdraw takes a callback's call out of its queue (cancelled, expired).
func (a *App) Withdraw(ctx context.Context, callID string) error {
	return a.asteriskRequest(ctx, func() error {
		a.engine.Hangup(a.now(), callID)
		delete(a.virtual, callID)
		return nil
	})
}

// VirtualEnded reports that the customer of a connected callback hung up,
// or could not be reached: the agent's channel is hung up and the agent
// goes to wrap-up.
func (a *App) VirtualEnded(callID string) {
	a.send(func() {
		a.engine.Hangup(a.now(), callID)
		delete(a.virtual, callID)
	})
}

func (a *App) markVirtual(callID string) {
	if a.virtual == nil {
		a.virtual = map[string]bool{}
	}
	a.virtual[callID] = true
}

// virtualAction carries out an action on a call without a channel: the
// callback application does the caller's part. It reports whether act was
// such an action.
func (a *App) virtualAction(act acd.Action) bool {
	if !act.Virtual && !a.virtual[act.CallID] {
		return false
	}
	switch act.Kind {
	case acd.Offer, acd.Cancel, acd.HangupAgent:
		return false // the agent's channel is the queue's as for any call
	case acd.Connect:
		if a.virtualCalls != nil {
			a.virtualCalls.Connected(act.CallID, act.Agent, act.Channel, act.Queue)
		}
	case acd.HangupCaller, acd.SendTo:
		delete(a.virtual, act.CallID)
		if a.virtualCalls != nil {
			a.virtualCalls.Ended(act.CallID)
		}
	}
	return true
}

// restoredVirtual marks the calls without a channel of a restore: they are
// live whatever Asterisk lists.
func (a *App) restoredVirtual(calls []acd.Call) {
	for _, c := range calls {
		if c.Virtual {
			a.markVirtual(c.ID)
		}
	}
}
