package queue

import (
	"context"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/dialplan/stasis"
)

// TakeBack is what became of a dialer's call when its grace time ran out.
type TakeBack int

const (
	// CallConnected: an agent answered it.
	CallConnected TakeBack = iota
	// CallGone: it is no longer in the queue (the person hung up).
	CallGone
	// CallTakenBack: no agent had answered; the queue let go of it (without
	// hanging it up) and the channel is to's.
	CallTakenBack
)

// TakeBack is the dialer's 2-second rule: a call the dialer handed over
// that no agent answered yet leaves the queue (an agent ringing for it is
// released) and its channel goes back to the application to, which plays
// the abandon message. A connected call stays.
func (a *App) TakeBack(ctx context.Context, callID string, to stasis.App) (TakeBack, error) {
	res := CallGone
	err := a.do(ctx, func() error {
		c, ok := a.engine.Call(callID)
		switch {
		case !ok:
			res = CallGone
		case c.State == acd.Connected:
			res = CallConnected
		default:
			// Forgotten first: the engine's actions for the call (music)
			// and its later events are no longer the queue's.
			delete(a.calls, callID)
			delete(a.setup, callID)
			if a.cfg.Owners != nil {
				a.cfg.Owners.Handoff(callID, to)
			}
			a.engine.Hangup(a.now(), callID)
			res = CallTakenBack
		}
		return nil
	})
	return res, err
}

// Reserve holds n of queue's ready agents for the dialer's calls in flight
// there (acd.Engine.Reserve); 0 lifts it.
func (a *App) Reserve(ctx context.Context, queue string, n int) error {
	return a.request(ctx, func() error {
		a.engine.Reserve(a.now(), queue, n)
		return nil
	})
}

// HoldAgents holds exactly these agents for the dialer's personal
// callbacks in flight (acd.Engine.HoldAgents).
func (a *App) HoldAgents(ctx context.Context, ids []string) error {
	return a.request(ctx, func() error {
		a.engine.HoldAgents(a.now(), ids)
		return nil
	})
}
