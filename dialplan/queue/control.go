package queue

import (
	"context"
	"strconv"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
)

// DirectCall tells the engine an agent's endpoint is on a call ccd did not
// make (seen on AMI).
func (a *App) DirectCall(endpoint string, on bool) {
	a.send(func() { a.engine.DirectCall(a.now(), endpoint, on) })
}

// ---- ccd.AgentControl and ccd.CallControl ----

// Login implements ccd.AgentControl. The endpoint is one the API's endpoint
// policy resolved (acd/endpoints); "" keeps the agent's own.
func (a *App) Login(ctx context.Context, id, endpoint string) error {
	return a.request(ctx, func() error { return a.engine.Login(a.now(), id, endpoint) })
}

// LoginWithSkills logs an agent in as Login does, with skills for this
// session in place of its configured ones (not written to the live
// configuration).
func (a *App) LoginWithSkills(ctx context.Context, id, endpoint string, skills map[string]int) error {
	return a.request(ctx, func() error { return a.engine.LoginWithSkills(a.now(), id, endpoint, skills) })
}

// Logout implements ccd.AgentControl.
func (a *App) Logout(ctx context.Context, id string) error {
	return a.request(ctx, func() error { return a.engine.Logout(a.now(), id) })
}

// Ready implements ccd.AgentControl.
func (a *App) Ready(ctx context.Context, id string) error {
	return a.request(ctx, func() error { return a.engine.Ready(a.now(), id) })
}

// NotReady implements ccd.AgentControl.
func (a *App) NotReady(ctx context.Context, id, activity string) error {
	return a.request(ctx, func() error { return a.engine.NotReady(a.now(), id, activity) })
}

// Agent implements ccd.AgentControl.
func (a *App) Agent(ctx context.Context, id string) (ccd.AgentStatus, error) {
	var st ccd.AgentStatus
	err := a.request(ctx, func() error {
		ag, err := a.engine.Agent(id)
		st = status(ag)
		return err
	})
	return st, err
}

// Agents implements ccd.AgentControl.
func (a *App) Agents(ctx context.Context) ([]ccd.AgentStatus, error) {
	var out []ccd.AgentStatus
	err := a.request(ctx, func() error {
		for _, ag := range a.engine.Agents() {
			out = append(out, status(ag))
		}
		return nil
	})
	return out, err
}

func status(ag acd.Agent) ccd.AgentStatus {
	st := ccd.AgentStatus{ID: ag.ID, Name: ag.Name, State: ag.State, Since: ag.Since, Activity: ag.Activity, CallID: ag.CallID}
	if ag.State != acd.LoggedOut {
		st.Endpoint = ag.Endpoint
	}
	st.Pending = pendingChange(ag)
	return st
}

// pendingChange names the ACD's state after the current call in the words
// of the change the agent asked for (ccd.Change*).
func pendingChange(ag acd.Agent) *ccd.PendingChange {
	switch ag.Pending {
	case acd.NotReady:
		return &ccd.PendingChange{Change: ccd.ChangeNotReady, Activity: ag.PendingActivity}
	case acd.LoggedOut:
		return &ccd.PendingChange{Change: ccd.ChangeLogout}
	}
	return nil
}

// Calls returns the calls in the ACD now.
func (a *App) Calls(ctx context.Context) ([]acd.Call, error) {
	var out []acd.Call
	err := a.request(ctx, func() error { out = a.engine.Calls(); return nil })
	return out, err
}

// Queues returns the queues' live figures.
func (a *App) Queues(ctx context.Context) ([]acd.QueueStatus, error) {
	var out []acd.QueueStatus
	err := a.request(ctx, func() error { out = a.engine.Queues(a.now()); return nil })
	return out, err
}

// Transfer transfers a connected call to a queue or a number.
func (a *App) Transfer(ctx context.Context, callID, toQueue, toNumber string) error {
	return a.asteriskRequest(ctx, func() error { return a.engine.Transfer(a.now(), callID, toQueue, toNumber) })
}

// Hold and Unhold put a connected call on hold and back (from the APIs; holds
// from the phone arrive as ARI events).
func (a *App) Hold(ctx context.Context, callID string, on bool) error {
	return a.asteriskRequest(ctx, func() error {
		c, ok := a.engine.Call(callID)
		if !ok {
			return &ccd.Error{Code: ccd.ENOTFOUND, Message: "no call " + strconv.Quote(callID)}
		}
		var err error
		if on {
			err = a.engine.Hold(a.now(), callID)
		} else {
			err = a.engine.Unhold(a.now(), callID)
		}
		if err == nil && c.State == acd.Connected {
			moh := a.queues[c.Queue].MOHClass // read on the loop: Apply replaces the queues
			a.workers.Run(callID, func() {
				var err error
				if on {
					err = a.media.StartMOH(context.Background(), callID, moh)
				} else {
					err = a.media.StopMOH(context.Background(), callID)
				}
				if err != nil {
					a.actionFailed("hold", callID, err)
				}
			})
		}
		return err
	})
}

// MoveWaiting implements ccd.WaitingCallControl: a waiting call to
// another queue, or rung at one agent (toAgent).
func (a *App) MoveWaiting(ctx context.Context, callID, toQueue, toAgent string) error {
	if (toQueue == "") == (toAgent == "") {
		return &ccd.Error{Code: ccd.EINVALID, Field: "queue", Message: "give exactly one of queue, agent"}
	}
	return a.asteriskRequest(ctx, func() error {
		if toAgent != "" {
			return a.engine.OfferTo(a.now(), callID, toAgent)
		}
		return a.engine.MoveWaiting(a.now(), callID, toQueue)
	})
}

// SetPriority implements ccd.WaitingCallControl.
func (a *App) SetPriority(ctx context.Context, callID string, priority int) error {
	return a.request(ctx, func() error { return a.engine.SetPriority(a.now(), callID, priority) })
}

var (
	_ ccd.AgentControl       = (*App)(nil)
	_ ccd.CallControl        = (*App)(nil)
	_ ccd.WaitingCallControl = (*App)(nil)
)
