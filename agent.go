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
