package ccd

import (
	"strings"
	"time"
)

// EventKind names a fact in the event log ("call.answered", "pbx.cdr"). It
// is an alias of string because the log, its stored rows and the statistics
// carry kinds as text: every kind is declared here, once, and the writers
// and readers name these constants instead of repeating the text.
type EventKind = string

// Kinds the ACD writes about calls (source "acd"). The payload of each is an
// EventData; call.ended carries the whole Call in its Summary.
const (
	EventCallOffered         EventKind = "call.offered"          // the call entered ccd, routed to Queue ("" when unrouted)
	EventCallQueued          EventKind = "call.queued"           // ... entered a queue (arrival, overflow, expansion, transfer)
	EventCallOverflowed      EventKind = "call.overflowed"       // ... left a queue by an overflow rule (or queue full)
	EventCallToDefault       EventKind = "call.to_default"       // ... was sent to the default extension
	EventCallRinging         EventKind = "call.ringing"          // an agent's phone rings for it
	EventCallAnswered        EventKind = "call.answered"         // ... the agent answered
	EventCallReturned        EventKind = "call.returned"         // ... the offer failed and the call is back in its queue
	EventCallAbandoned       EventKind = "call.abandoned"        // the caller hung up before talking
	EventCallHold            EventKind = "call.hold"             // the connected call went on hold
	EventCallUnhold          EventKind = "call.unhold"           // ... and back
	EventCallTransferred     EventKind = "call.transferred"      // the agent transferred it
	EventCallPriority        EventKind = "call.priority"         // a supervisor changed its priority (Priority)
	EventCallRecording       EventKind = "call.recording"        // its recording started
	EventCallCallbackOffered EventKind = "call.callback_offered" // the caller was offered a callback (OfferedCB)
	EventCallEnded           EventKind = "call.ended"            // the call left ccd
)

// Agent events (source "acd") are "agent." and the agent's new state
// (AgentEventKind); agent.logged_in is the login itself, before the state
// that follows it.
const (
	AgentEventPrefix                 = "agent."
	EventAgentLoggedIn     EventKind = AgentEventPrefix + "logged_in"
	EventAgentReady        EventKind = AgentEventPrefix + AgentReady
	EventAgentNotReady     EventKind = AgentEventPrefix + AgentNotReady
	EventAgentLoggedOut    EventKind = AgentEventPrefix + AgentLoggedOut
	EventAgentWrapUp       EventKind = AgentEventPrefix + AgentWrapUp
	EventAgentRinging      EventKind = AgentEventPrefix + AgentRinging
	EventAgentOnCall       EventKind = AgentEventPrefix + AgentOnCall
	EventAgentOnDirectCall EventKind = AgentEventPrefix + AgentOnDirectCall
)

// AgentEventKind is the kind of the event that puts an agent in state.
func AgentEventKind(state string) EventKind { return AgentEventPrefix + state }

// IsAgentEvent tells an agent event from a call event of the ACD.
func IsAgentEvent(kind EventKind) bool { return strings.HasPrefix(kind, AgentEventPrefix) }

// Kinds the AMI observer writes about calls ccd does not control (source
// "ami"). Their payloads are flat JSON objects of the AMI fields; the ones
// the statistics read are PBXHold and, for pbx.cdr, the CDR's lower-cased
// AMI fields plus "direction" and "acd".
const (
	EventPBXChannel     EventKind = "pbx.channel"      // a channel appeared
	EventPBXDial        EventKind = "pbx.dial"         // a dial attempt began
	EventPBXDialEnd     EventKind = "pbx.dial_end"     // ... and ended: ANSWER, BUSY, NOANSWER, CANCEL, ...
	EventPBXHold        EventKind = "pbx.hold"         // a phone put its call on hold
	EventPBXUnhold      EventKind = "pbx.unhold"       // ... and took it back
	EventPBXHangup      EventKind = "pbx.hangup"       // a channel ended
	EventPBXCDR         EventKind = "pbx.cdr"          // Asterisk's own call detail record
	EventPBXDeviceState EventKind = "pbx.device_state" // a device (phone) changed state
)

// EventCallCRMData (source "api") is what the CRM's Call Start SQL hook
// answered for a call (CRMCallData): a screen pop URL, its own call id,
// whether to record, a default transfer number, required skills.
const EventCallCRMData EventKind = "call.crm_data"

// CRMCallData is the payload of call.crm_data.
type CRMCallData struct {
	URL                   string   `json:"url,omitempty"`
	CRMCallID             string   `json:"crm_call_id,omitempty"`
	Record                bool     `json:"record,omitempty"`
	DefaultTransferNumber string   `json:"default_transfer_number,omitempty"`
	Skills                []string `json:"skills,omitempty"`
	CustomData            string   `json:"custom_data,omitempty"`
	// Origin is where the data came from: "" the Call Start SQL hook,
	// CRMOriginSIP the X- headers the call came in with (applied by the
	// queue as the call arrived).
	Origin string `json:"origin,omitempty"`
}

// CRMOriginSIP marks call data read from a call's SIP headers.
const CRMOriginSIP = "sip_headers"

// EventConfigChanged (source "api") is the audit of a change to the live
// configuration: who changed which item, and how it was before and after
// (ConfigChange).
const EventConfigChanged EventKind = "config.changed"

// ConfigChange is the payload of config.changed. Secrets are masked in
// Before and After.
type ConfigChange struct {
	Item   ConfigKind     `json:"item"`   // queue, agent, group, route, activity
	ID     string         `json:"id"`     // its code, id, name or DNIS
	Action string         `json:"action"` // ConfigCreated, ConfigUpdated, ConfigDeleted, ConfigSeeded, ConfigImported
	By     string         `json:"by"`     // the principal: kind and name ("admin:admin")
	Before map[string]any `json:"before,omitempty"`
	After  map[string]any `json:"after,omitempty"`
}

// Recording audits (source "api"): every download of a call's recording,
// and every deletion by the retention rule (RecordingAccess).
const (
	EventRecordingDownloaded EventKind = "recording.downloaded"
	EventRecordingDeleted    EventKind = "recording.deleted"
)

// RecordingAccess is the payload of recording.downloaded and
// recording.deleted.
type RecordingAccess struct {
	CallID    int64  `json:"callid"`            // the statistics' call id (stat.callsstat.callid)
	Recording string `json:"recording"`         // the recording's name
	By        string `json:"by"`                // the principal ("agent:1001"), or "retention"
	Range     string `json:"range,omitempty"`   // downloaded: the Range header asked for
	Queue     string `json:"queue,omitempty"`   // deleted: the queue whose rule applied
	Days      int    `json:"days,omitempty"`    // deleted: that rule's retention in days
	Missing   bool   `json:"missing,omitempty"` // deleted: the file was already gone
}

// Callback events (source "acd"): a callback was requested, an attempt to
// call it back ended (LastResult), the callback ended (EndReason). The
// payload is the Callback as it is after the fact.
const (
	EventCallbackRequested EventKind = "callback.requested"
	EventCallbackAttempt   EventKind = "callback.attempt"
	EventCallbackEnded     EventKind = "callback.ended"
)

// EventAgentForced (source "api") is the audit of a supervisor's action on
// an agent from the web interface (force ready, not ready, logout): who did
// what to whom, and whether the ACD took it (AgentForced).
const EventAgentForced EventKind = "supervisor.forced"

// AgentForced is the payload of supervisor.forced.
type AgentForced struct {
	Action   string `json:"action"`             // ready, not_ready, logout
	Activity string `json:"activity,omitempty"` // the not-ready activity code
	By       string `json:"by"`                 // the principal: kind and name ("supervisor:sue")
	Error    string `json:"error,omitempty"`    // why the ACD refused it; "" when done
}

// EventSupervisorAction (source "api") is the audit of a supervisor's
// action on a call from the web interface: listen, whisper or barge into an
// agent's call, transfer a waiting call to a queue or an agent, change its
// priority; who did what, and whether it was done (SupervisorAction).
const EventSupervisorAction EventKind = "supervisor.action"

// SupervisorAction is the payload of supervisor.action.
type SupervisorAction struct {
	Action   string `json:"action"`             // listen, whisper, barge, transfer, priority
	By       string `json:"by"`                 // the principal: kind and name ("supervisor:sue")
	Endpoint string `json:"endpoint,omitempty"` // listen, whisper, barge: the supervisor's phone
	Snoop    string `json:"snoop,omitempty"`    // ... the snoop channel on the agent's channel
	ToQueue  string `json:"to_queue,omitempty"` // transfer: the queue
	ToAgent  string `json:"to_agent,omitempty"` // transfer: the agent rung
	Priority int    `json:"priority,omitempty"` // priority: the new one
	Error    string `json:"error,omitempty"`    // why it was refused; "" when done
}

// ARIEventPrefix starts the kind of every ARI event of ccd's Stasis
// application recorded as it came (source "ari"): "ari.StasisStart".
const ARIEventPrefix = "ari."

// EventData is the payload of an ACD event (call.* and agent.*): the detail
// of the fact. Durations are in milliseconds so that
// statistics can be computed to the second without rounding twice.
type EventData struct {
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
	Virtual     bool      `json:"virtual,omitempty"`    // call.offered: a call without a channel (a callback's place), offered at ArrivedUnix
	// OnlyAgent (call.offered): the call is offered to this agent alone (a
	// personal callback), kept across a restart of ccd.
	OnlyAgent string `json:"only_agent,omitempty"`
	// Queues are the queues an agent serves, on every agent event, so that any
	// one of them tells the statistics where the agent's times count.
	Queues []string `json:"queues,omitempty"`
	// SessionSkills: agent.logged_in of a session with skills of its own
	// (the CRM's AgentSkills) in place of the configured ones.
	SessionSkills map[string]int `json:"session_skills,omitempty"`
}

// PBXHold is the payload of pbx.hold and pbx.unhold. The fields are in the
// order of their names, the order the observer wrote them in as a map.
type PBXHold struct {
	ACD         bool    `json:"acd"` // the channel belongs to a call ccd controls
	Channel     string  `json:"channel"`
	HoldSeconds float64 `json:"hold_seconds,omitempty"` // pbx.unhold: how long the hold lasted
	Number      string  `json:"number"`
	Uniqueid    string  `json:"uniqueid"`
}

// Kinds the call flows write (source "ari"), one per step of a call in a
// flow, so that the router statistics (Optimus RouterStat, a flow as
// DeviceType 11 and a node as DeviceType 12) can be computed from the log:
// a node entered is offered, left for another step "received treatment",
// left by a hangup abandoned. Their payload is FlowStep.
const (
	EventFlowEntered    EventKind = "flow.entered"      // the call entered a flow (Flow, Version)
	EventFlowNodeIn     EventKind = "flow.node_entered" // ... a node of it (Node, NodeKind)
	EventFlowNodeOut    EventKind = "flow.node_left"    // ... left the node for To, Reason says why ("abandoned" for a hangup)
	EventFlowStepFailed EventKind = "flow.step_failed"  // a step failed and took its fallback (Reason)
	EventFlowLeft       EventKind = "flow.left"         // the call left the flow for To (queue:sales, number:100, hangup, ...)
)

// FlowStep is the payload of the flow.* events.
type FlowStep struct {
	Flow     string `json:"flow"`
	Version  int64  `json:"version"`
	Node     string `json:"node,omitempty"`
	NodeKind string `json:"node_kind,omitempty"`
	To       string `json:"to,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Adata1 and Adata2 are the values of the profile fields the flow names
	// for the call's attached data (CallsStat Adata1/Adata2), on flow.left
	// and on the flow.node_left of an abandon: where the call leaves flows.
	Adata1 string `json:"adata1,omitempty"`
	Adata2 string `json:"adata2,omitempty"`
}

// EventProfileChanged (source "ari") is a change of fields of a call's
// profile (queue, priority, customer number, attach data, stored
// variables): the screen pops and the statistics' Adata read it. Its
// payload is ProfileChange.
const EventProfileChanged EventKind = "call.profile_changed"

// ProfileChange is the payload of call.profile_changed.
type ProfileChange struct {
	Changes []ProfileFieldChange `json:"changes"`
}

// ProfileFieldChange is one field's change.
type ProfileFieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new"`
}

// Click-to-call events (source "acd"): a call an agent or a CRM started
// over the API (agent first: the agent's phone, then the customer; customer
// first: the customer, then an extension or a queue). The call's id is the
// click-to-call's; the payload is ClickToCall as it is after the fact.
const (
	EventClickToCallStarted  EventKind = "clicktocall.started"  // the first side is being rung
	EventClickToCallAnswered EventKind = "clicktocall.answered" // both sides talk (or the customer went to a queue)
	EventClickToCallEnded    EventKind = "clicktocall.ended"    // the call is over; the statistics count it here
)

// Click-to-call orders.
const (
	ClickToCallAgentFirst    = "agent_first"
	ClickToCallCustomerFirst = "customer_first"
)

// ClickToCall is a call started over the API, and its payload.
type ClickToCall struct {
	ID    string `json:"id"`
	Order string `json:"order"` // ClickToCallAgentFirst or ClickToCallCustomerFirst
	// Agent is the agent who called (agent first) or was called; "" for
	// an employee's phone that no agent holds.
	Agent string `json:"agent,omitempty"`
	// Endpoint is the agent's or employee's phone; Extension its number
	// when it has one.
	Endpoint  string `json:"endpoint,omitempty"`
	Extension string `json:"extension,omitempty"`
	Number    string `json:"number"`             // the customer's number
	Internal  bool   `json:"internal,omitempty"` // the number is an extension (pbx.internal_numbers)
	Queue     string `json:"queue,omitempty"`    // the queue (campaign) whose caller ID the call shows
	ToQueue   string `json:"to_queue,omitempty"` // customer first: the queue the customer is handed to
	CallerID  string `json:"caller_id,omitempty"`
	Via       string `json:"via,omitempty"` // the interface: api, omnileads, flexfone
	// StartedAt, AnsweredAt (both sides connected), EndedAt.
	StartedAt  time.Time `json:"started_at"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
	EndedAt    time.Time `json:"ended_at,omitzero"`
	// Result: answered, queued (handed to ToQueue), or why not: busy,
	// no_answer, agent_no_answer, cancelled (the side that answered hung up
	// first), failed.
	Result string `json:"result,omitempty"`
}

// Dialer events (source "ari"), one pair per outbound attempt:
// dialer.attempt when the dialer places the call, dialer.result when it
// ends (Result, the dialer's status code, and how). The statistics count
// outbound calls from them (CallsStat CallType 2, EndType 107 when nobody
// answered). Their payload is DialerAttempt.
const (
	EventDialerAttempt EventKind = "dialer.attempt"
	EventDialerResult  EventKind = "dialer.result"
)

// EventDialerDisposition (source "api") is an agent's disposition of a
// campaign's contact, set or changed through any interface (the OMniLeads
// API, new_contact/disposition, the agent console): written in the
// transaction that stores it. Its payload is DialerDisposition; the
// statistics count it in stat.campaigndispositionstat.
const EventDialerDisposition EventKind = "dialer.disposition"

// DialerDisposition is the payload of dialer.disposition.
type DialerDisposition struct {
	DispositionID int64  `json:"disposition_id"`
	CampaignID    int    `json:"campaign_id"`
	TargetID      int64  `json:"target_id"`
	OptionID      int    `json:"disposition_option_id"`
	Option        string `json:"option"` // the option's name
	Kind          string `json:"kind"`   // normal, engaged or agenda
	Agent         string `json:"agent,omitempty"`
	// Changed: an existing disposition was replaced (PUT).
	Changed bool `json:"changed,omitempty"`
	// AgendaAt and AgendaKind (personal, global): the callback an agenda
	// disposition schedules.
	AgendaAt   time.Time `json:"agenda_at,omitzero"`
	AgendaKind string    `json:"agenda_kind,omitempty"`
}

// DialerAttempt is the payload of dialer.attempt and dialer.result.
type DialerAttempt struct {
	AttemptID  int64  `json:"attempt_id"`
	CampaignID int    `json:"campaign_id"`
	TargetID   int64  `json:"target_id"`
	Phone      string `json:"phone"`
	Queue      string `json:"queue"`
	Mode       string `json:"mode,omitempty"` // the pacing mode that placed it (attempt)
	// Agent is the agent a personal callback ("Agenda") is for (the person
	// is offered to that agent alone), or the agent who dialled a preview
	// attempt (the agent's phone rang first).
	Agent string `json:"agent,omitempty"`
	// Result is the dialer's status code (dialer.status_code), Status its
	// name: answered, no_answer, busy, congestion, rejected,
	// invalid_number, machine, abandoned (result only).
	Result int    `json:"result,omitempty"`
	Status string `json:"status,omitempty"`
	// AMDStatus and AMDCause are what Asterisk's AMD() decided, when it ran.
	AMDStatus  string `json:"amd_status,omitempty"`
	AMDCause   string `json:"amd_cause,omitempty"`
	Cause      int    `json:"cause,omitempty"`       // the hangup cause of an unanswered call
	DialStatus string `json:"dial_status,omitempty"` // Asterisk's last dial status
	RingMS     int64  `json:"ring_ms,omitempty"`     // placement to answer or failure
	Abandoned  bool   `json:"abandoned,omitempty"`   // answered by a person, no agent within 2 s
	// TalkMS is how long the agent of a preview attempt talked with the
	// person (result only).
	TalkMS int64 `json:"talk_ms,omitempty"`
}

// Preview events (source "api"): an agent of a preview campaign works its
// targets one at a time. preview.reserved when ccd holds a target for the
// agent, then preview.skipped (the agent let it go, no attempt counted),
// preview.expired (the agent did nothing within the campaign's
// previewTimeout) or preview.dialed (the agent dialled it: the attempt
// follows as dialer.attempt and dialer.result with mode "preview"). A dial
// whose agent's own phone did not answer never called the customer: no
// dialer.attempt nor dialer.result, but preview.agent_no_answer, and the
// target is the agent's preview again (expires_at set) or, when the agent
// meanwhile took another, given back with its place kept. The call id is
// "preview-<target>"; the payload is DialerPreview.
const (
	EventPreviewReserved      EventKind = "preview.reserved"
	EventPreviewSkipped       EventKind = "preview.skipped"
	EventPreviewExpired       EventKind = "preview.expired"
	EventPreviewDialed        EventKind = "preview.dialed"
	EventPreviewAgentNoAnswer EventKind = "preview.agent_no_answer"
)

// DialerPreview is the payload of the preview events.
type DialerPreview struct {
	Agent      string    `json:"agent"`
	CampaignID int       `json:"campaign_id"`
	TargetID   int64     `json:"target_id"`
	Phone      string    `json:"phone,omitempty"`       // the number reserved, or dialled
	PhoneIndex int       `json:"phone_index,omitempty"` // 1..3: phone I, II or III
	ExpiresAt  time.Time `json:"expires_at,omitzero"`   // reserved: when it goes back unless acted on
	AttemptID  int64     `json:"attempt_id,omitempty"`  // dialed: the attempt
	// Endpoint is, for agent_no_answer, the agent's phone that did not
	// answer; Result how its leg ended (agent_no_answer, failed).
	Endpoint string `json:"endpoint,omitempty"`
	Result   string `json:"result,omitempty"`
}
