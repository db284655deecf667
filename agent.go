package ccd

import (
	"context"
	"time"
)

// Agent states, as the ACD reports them in events and snapshots.
const (
	AgentLoggedOut    = "logged_out"
	AgentReady        = "ready"
	AgentNotReady     = "not_ready"
	AgentRinging      = "ringing"
	AgentOnCall       = "on_call"
	AgentOnDirectCall = "on_direct_call"
	AgentWrapUp       = "wrap_up"
)

// AgentStatus is what the agent interfaces report about an agent.
type AgentStatus struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	State    string    `json:"state"` // one of the Agent* states
	Since    time.Time `json:"since"`
	Activity string    `json:"activity,omitempty"`
	Endpoint string    `json:"endpoint,omitempty"`
	CallID   string    `json:"call_id,omitempty"`
	// Pending is a change asked for on a call that the ACD makes when the
	// call ends; nil when none waits. Shown so that nobody asks again.
	Pending *PendingChange `json:"pending,omitempty"`
}

// PendingChange is a state change waiting for the agent's call to end:
// Change is ChangeNotReady (with its Activity) or ChangeLogout.
type PendingChange struct {
	Change   string `json:"change"`
	Activity string `json:"activity,omitempty"`
}

// AgentControl changes and reads agent states; the queue application
// implements it over the ACD. Errors are *Error values (ENOTFOUND for an
// unknown agent, ECONFLICT for a change the agent's state does not allow,
// EINVALID naming "endpoint" for an endpoint the ACD refuses).
type AgentControl interface {
	Login(ctx context.Context, agentID, endpoint string) error
	Logout(ctx context.Context, agentID string) error
	Ready(ctx context.Context, agentID string) error
	NotReady(ctx context.Context, agentID, activity string) error
	Agent(ctx context.Context, agentID string) (AgentStatus, error)
	Agents(ctx context.Context) ([]AgentStatus, error)
}

// Agent state changes an agent or a supervisor asks for (the names of the
// REST and web routes).
const (
	ChangeReady    = "ready"
	ChangeNotReady = "not_ready"
	ChangeLogout   = "logout"
)

// CheckAgentChange refuses a state change that makes no sense in the
// agent's present state, with ECONFLICT naming the state, instead of letting
// the ACD take it with a meaning nobody clicking the button expects: ready
// on a call or ringing (the ACD only cancels a not ready or log out asked
// for after the call), or ready or not ready for a logged-out agent (only
// the agent logs itself in; a supervisor's view may be a moment old). Not ready and
// log out pass in every logged-in state: on a call they take effect when
// the call ends, ringing they withdraw the offer. Asking again for the
// state the agent is in (ready while ready, log out while logged out)
// changes nothing and passes, so that scripts may repeat a request; the
// interfaces do not offer it.
func CheckAgentChange(st AgentStatus, change, activity string) error {
	refuse := func(why string) error {
		return &Error{Code: ECONFLICT, Field: "state", Message: "agent " + st.ID + " is " + st.State + ": " + why}
	}
	switch {
	case st.State == AgentLoggedOut && change == ChangeLogout:
		return nil // already done: an end-of-day script logging everyone out gets no error
	case st.State == AgentLoggedOut:
		return refuse("only the agent logs itself in")
	case change == ChangeReady && (st.State == AgentRinging || st.State == AgentOnCall || st.State == AgentOnDirectCall):
		return refuse("ready is possible after the call (in its wrap-up)")
	}
	return nil
}
