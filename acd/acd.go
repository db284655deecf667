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

	"github.com/ccdhq/ccd"
)

// Agent and call states as reported in events and snapshots.
const (
	LoggedOut    = ccd.AgentLoggedOut
	Ready        = ccd.AgentReady
	NotReady     = ccd.AgentNotReady
	Ringing      = ccd.AgentRinging
	OnCall       = ccd.AgentOnCall
	OnDirectCall = ccd.AgentOnDirectCall
	WrapUp       = ccd.AgentWrapUp

	Waiting   = ccd.CallWaiting
	Connected = ccd.CallConnected
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

// ReasonSupervisor is the reason of call.queued for a waiting call a
// supervisor sent to another queue: it leaves every queue it waited in.
const ReasonSupervisor = "supervisor"

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
	Virtual   bool // Offer and Connect of a call without a channel (Arrival.Virtual)
	Position  int
	Expected  time.Duration // expected wait, for Announce
}

// Event is one fact for the event log. Kind is one of the ccd.Call* kinds or
// an agent kind (ccd.AgentEventKind).
type Event struct {
	At     time.Time
	Kind   ccd.EventKind
	CallID string
	Agent  string
	Queue  string
	DNIS   string
	CLID   string
	Data   Data
}

// Data is the payload of an ACD event, declared in the domain package so
// that the statistics and every other reader decode the same type.
type Data = ccd.EventData

// Call is the record of a call (ccd.Call): the CallsStat row of the
// statistics and the state a restart rebuilds.
type Call = ccd.Call

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
	// SessionSkills replace the configured skills until logout
	// (LoginWithSkills); nil: the configured ones.
	SessionSkills map[string]int `json:"session_skills,omitempty"`
}

// Arrival describes a call entering the ACD.
type Arrival struct {
	CallID     string
	CLID       string
	DNIS       string
	Queue      string
	Priority   int // 1 (highest) .. 9; 0 means 5
	AttachData string
	// Virtual: the call has no channel (a callback keeping its caller's
	// place): it hears no music or announcements, and PlaceAt (to the
	// millisecond) is its time in ccd, which orders it among the calls.
	Virtual bool
	PlaceAt time.Time
	// RequiredSkills and TransferNumber: what the CRM said of the call
	// before it arrived (SIP headers); see SetRequiredSkills.
	RequiredSkills []string
	TransferNumber string
	// Agent, when set, is the one agent the call may be offered to (the
	// dialer's personal callbacks): it waits for that agent only.
	Agent string
}

// The ACD refuses requests with the domain's errors (ccd.Error), which the
// interfaces answer as they are.
func notFound(format string, what string) error {
	return &ccd.Error{Code: ccd.ENOTFOUND, Message: format + " " + what}
}

func conflict(msg string) error { return &ccd.Error{Code: ccd.ECONFLICT, Message: msg} }

func ms(d time.Duration) int64 { return d.Milliseconds() }
