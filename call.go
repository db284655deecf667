package ccd

import (
	"context"
	"time"
)

// Call states, as the ACD reports them (a call that rings an agent is
// AgentRinging, the same word as the agent's state).
const (
	CallWaiting   = "waiting"
	CallRinging   = AgentRinging
	CallConnected = "connected"
)

// Call is the record of a call in the ACD: what /api/calls reports, the
// summary of call.ended in the event log (the CallsStat row of the
// statistics), and the state a restart rebuilds.
type Call struct {
	ID           string      `json:"call_id"`
	CLID         string      `json:"clid,omitempty"`
	DNIS         string      `json:"dnis,omitempty"`
	Priority     int         `json:"priority"`
	AttachData   string      `json:"attach_data,omitempty"`
	State        string      `json:"state"`
	Queues       []string    `json:"queues,omitempty"`       // queues the call waits in now
	QueuedSince  []time.Time `json:"queued_since,omitempty"` // when it entered each of Queues
	InitialQueue string      `json:"initial_queue,omitempty"`
	OnlyAgent    string      `json:"only_agent,omitempty"` // offered to this agent alone (a personal callback)
	Queue        string      `json:"queue,omitempty"`      // handled on (or last) queue
	QueueHops    int         `json:"queue_hops"`
	AgentHops    int         `json:"agent_hops"` // offers that did not end in an answer
	Offers       int         `json:"offers"`
	Agent        string      `json:"agent,omitempty"`
	Channel      string      `json:"channel,omitempty"` // the agent channel ringing or connected
	Endpoint     string      `json:"endpoint,omitempty"`
	OfferedAt    time.Time   `json:"offered_at"`
	QueuedAt     time.Time   `json:"first_queued_at,omitempty"`
	RingingAt    time.Time   `json:"ringing_at,omitempty"`
	AnsweredAt   time.Time   `json:"answered_at,omitempty"`
	AbandonedAt  time.Time   `json:"abandoned_at,omitempty"`
	TransferAt   time.Time   `json:"transferred_at,omitempty"`
	EndedAt      time.Time   `json:"ended_at,omitempty"`
	TransferTo   string      `json:"transfer_destination,omitempty"`
	EndType      int         `json:"end_type,omitempty"`
	Holds        int         `json:"holds,omitempty"`
	HoldMS       int64       `json:"hold_ms,omitempty"`
	HeldSince    time.Time   `json:"held_since,omitempty"`
	Recording    string      `json:"recording,omitempty"`
	Backflow     bool        `json:"backflow,omitempty"`
	// Virtual: a place in a queue without a caller's channel (a callback
	// waiting for an agent); OfferedAt is the place it keeps.
	Virtual bool `json:"virtual,omitempty"`
	// RequiredSkills are skills an agent must have (any level) to get this
	// call, on top of its queue's: the CRM's answer (Call Start's Skills,
	// the X-Skills header).
	RequiredSkills []string `json:"required_skills,omitempty"`
	// DefaultTransferNumber is the number the CRM offers the agent to
	// transfer the call to (Call Start's DefaultTransferNumber, X-Transfer).
	DefaultTransferNumber string `json:"default_transfer_number,omitempty"`
}

// QueueStatus is a queue's live figures.
type QueueStatus struct {
	Code           string         `json:"code"`
	Name           string         `json:"name,omitempty"`
	Waiting        int            `json:"waiting"`
	LongestWaitMS  int64          `json:"longest_wait_ms"`
	AgentsByState  map[string]int `json:"agents"`
	LoggedIn       int            `json:"logged_in"`
	ExpectedWaitMS int64          `json:"expected_wait_ms"`
}

// CallControl reads the ACD's queues and calls and acts on connected calls;
// the queue application implements it beside AgentControl. Errors are *Error
// values (ENOTFOUND for an unknown call, ECONFLICT for a call not connected,
// EUNAVAILABLE while Asterisk is away).
type CallControl interface {
	Queues(ctx context.Context) ([]QueueStatus, error)
	Calls(ctx context.Context) ([]Call, error)
	Transfer(ctx context.Context, callID, toQueue, toNumber string) error
	Hold(ctx context.Context, callID string, on bool) error
}

// WaitingCallControl is a supervisor's hold on the calls not yet answered
// (the queue application implements it): send a waiting call to another
// queue or ring one agent for it, change its priority. A call that has been
// answered or has ended meanwhile is ECONFLICT, an agent not ready as well.
type WaitingCallControl interface {
	MoveWaiting(ctx context.Context, callID, toQueue, toAgent string) error
	SetPriority(ctx context.Context, callID string, priority int) error
}
