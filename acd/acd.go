// Package acd is ccd's automatic call distributor as pure logic: queues, agents,
// skill-based selection, ring timeouts, wrap-up, overflow and announcements. It
// does not talk to Asterisk and does not read the clock: every input carries its
// time, and every decision comes out as Actions (what to do on Asterisk) and
// Events (what happened, for the event log). The Stasis application in
// dialplan/queue feeds it and carries the actions out.
//
// An Engine is not safe for concurrent use: one goroutine owns it, which is what
// makes every decision ordered and the whole state rebuildable by folding its
// events (see Fold).
package acd

import (
	"time"
)

// Agent and call states as reported in events and snapshots.
const (
	LoggedOut    = "logged_out"
	Ready        = "ready"
	NotReady     = "not_ready"
	Ringing      = "ringing"
	OnCall       = "on_call"
	OnDirectCall = "on_direct_call"
	WrapUp       = "wrap_up"

	Waiting   = "waiting"
	Connected = "connected"
)

// End types of a call, the Optimus CallsStat.EndType codes.
const (
	EndTalked             = 101 // talked to an agent and ended
	EndAbandoned          = 102 // caller hung up while waiting in a queue
	EndAbandonedRinging   = 103 // caller hung up while an agent's phone rang
	EndTransferred        = 104 // sent out of ccd: external number, default extension
	EndOutboundUnanswered = 107
	EndInIVR              = 108 // ended in the IVR (callback requested)
	EndNoAction           = 109 // off/on hook with no action
)

// Overflow reasons, as counted by DeviceStat (OverflowedTime, OverflowedQueue,
// OverflowedLogin) plus the queue-full case.
const (
	ReasonTime     = "time"
	ReasonPosition = "position"
	ReasonLogin    = "no_agents"
	ReasonFull     = "full"
)

// Offer-failure reasons, for call.returned.
const (
	NoAnswer    = "no_answer"   // ring timeout
	Busy        = "busy"        // the endpoint refused
	Unavailable = "unavailable" // the endpoint cannot be reached or the originate failed
	AgentLeft   = "agent_left"  // the agent logged out or went not ready while ringing
)

// ActionKind says what an Action asks of Asterisk.
type ActionKind int

const (
	// Offer rings the agent: originate Endpoint into the application with the
	// channel id Channel; the agent's answer comes back as OfferAnswered.
	Offer ActionKind = iota + 1
	// Cancel hangs up an agent channel that is ringing (Channel).
	Cancel
	// Connect bridges the caller with the agent channel that answered, and
	// records the bridge when Record is set.
	Connect
	// Music plays the queue's music on hold (MOHClass) to the caller.
	Music
	// Announce plays the caller's position and expected wait.
	Announce
	// SendTo makes the caller leave the application for Extension, or for
	// the dialplan's next priority when Extension is empty.
	SendTo
	// HangupCaller hangs up the caller (the agent hung up first).
	HangupCaller
	// HangupAgent hangs up the agent channel Channel (the caller hung up first).
	HangupAgent
)

var actionNames = [...]string{"", "offer", "cancel", "connect", "music", "announce", "send_to", "hangup_caller", "hangup_agent"}

func (k ActionKind) String() string {
	if int(k) < len(actionNames) {
		return actionNames[k]
	}
	return "action?"
}

// Action is one thing the engine needs done on Asterisk.
type Action struct {
	Kind      ActionKind
	CallID    string // the caller's channel
	Agent     string
	Channel   string // the agent's channel id (chosen by the engine for Offer)
	Endpoint  string
	CallerID  string // what the agent's phone shows
	Queue     string
	Timeout   time.Duration
	Extension string
	MOHClass  string
	Record    bool
	Position  int
	Expected  time.Duration // expected wait, for Announce
}

// Event is one fact for the event log. Kind is "call.<what>" or "agent.<state>".
type Event struct {
	At     time.Time
	Kind   string
	CallID string
	Agent  string
	Queue  string
	DNIS   string
	CLID   string
	Data   Data
}

// Data is the detail of an event. Durations are in milliseconds so that
// statistics can be computed to the second without rounding twice.
type Data struct {
	Priority    int       `json:"priority,omitempty"`
	AttachData  string    `json:"attach_data,omitempty"`
	From        string    `json:"from,omitempty"`        // queue (or state) left
	To          string    `json:"to,omitempty"`          // queue, number or extension reached
	Reason      string    `json:"reason,omitempty"`      // overflow or return reason, queuing cause
	Expand      bool      `json:"expand,omitempty"`      // search expansion: still waiting in From
	Backflow    bool      `json:"backflow,omitempty"`    // answered in a queue the call had expanded out of
	Channel     string    `json:"channel,omitempty"`     // agent channel
	Endpoint    string    `json:"endpoint,omitempty"`    // agent endpoint
	Activity    string    `json:"activity,omitempty"`    // not-ready activity code
	Forced      bool      `json:"forced,omitempty"`      // state imposed by ccd (ring no answer)
	State       string    `json:"state,omitempty"`       // agent.*: the new state
	Previous    string    `json:"previous,omitempty"`    // agent.*: the state left
	PreviousMS  int64     `json:"previous_ms,omitempty"` // agent.*: time spent in Previous
	WaitedMS    int64     `json:"waited_ms,omitempty"`
	RingMS      int64     `json:"ring_ms,omitempty"`
	HoldMS      int64     `json:"hold_ms,omitempty"`
	Recording   string    `json:"recording,omitempty"`
	Position    int       `json:"position,omitempty"`
	UntilMS     int64     `json:"until_ms,omitempty"`   // wrap_up: its length
	IdleSince   time.Time `json:"idle_since,omitempty"` // ready: the time idleness counts from
	Summary     *Call     `json:"summary,omitempty"`    // call.ended: the whole call
	ArrivedUnix int64     `json:"arrived,omitempty"`    // call.queued: entry into ccd (unix ms), orders restored queues
	// Queues are the queues an agent serves, on every agent event, so that any
	// one of them tells the statistics where the agent's times count.
	Queues []string `json:"queues,omitempty"`
}

// Call is the record of a call as the statistics need it (the CallsStat row), and
// the state a restart rebuilds.
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
	Queue        string      `json:"queue,omitempty"` // handled on (or last) queue
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
}

// Agent is an agent's state as reported to the APIs and rebuilt on restart.
type Agent struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	State     string    `json:"state"`
	Since     time.Time `json:"since"`
	IdleSince time.Time `json:"idle_since,omitempty"`
	Activity  string    `json:"activity,omitempty"`
	Endpoint  string    `json:"endpoint,omitempty"`
	CallID    string    `json:"call_id,omitempty"`
	// After the current call: "" (ready), "not_ready" (with PendingActivity) or
	// "logged_out".
	Pending         string `json:"pending,omitempty"`
	PendingActivity string `json:"pending_activity,omitempty"`
	Forced          bool   `json:"forced,omitempty"`
	// Until is the end of the wrap-up.
	Until time.Time `json:"until,omitempty"`
}

// Arrival describes a call entering the ACD.
type Arrival struct {
	CallID     string
	CLID       string
	DNIS       string
	Queue      string
	Priority   int // 1 (highest) .. 9; 0 means 5
	AttachData string
}

// Error is a refused request: Code is "not_found" or "conflict".
type Error struct {
	Code  string
	Field string // the input at fault, when there is one
	Msg   string
}

func (e *Error) Error() string { return e.Msg }

func notFound(format string, what string) error {
	return &Error{Code: "not_found", Msg: format + " " + what}
}

func conflict(msg string) error { return &Error{Code: "conflict", Msg: msg} }

func ms(d time.Duration) int64 { return d.Milliseconds() }
