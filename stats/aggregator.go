// Package stats turns the event log into the Optimus quarter-hour tables
// (000 §5.3) as a pure function: an Aggregator folds events, in log order, into
// row deltas and call records, and the same code serves the live aggregator (small
// batches, the result added to the stored rows) and a rebuild (a whole range at
// once, the result replacing the stored rows). Time comes in with the events and
// through Advance, never from the clock.
//
// Where facts are counted: a count or a per-call time (answer wait, ring, talk,
// hold, wrap-up) belongs to the quarter-hour in which the event that completes it
// happened (the answer, the end of the call, the unhold). Times spent in a state
// (logged in, ready, not ready, idle, an activity) are cut at quarter-hour
// boundaries and each piece goes to its own interval, so an agent's login time in
// one interval never exceeds 900 s.
package stats

import (
	"math"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
)

// None marks a Min or Max column without any value yet (NULL in the table).
const None = math.MinInt64

// RowKey identifies one row of one quarter-hour table. Names are ccd's own
// identifiers (agent id, queue code, DNIS, extension number, activity code); the
// store turns them into the integer codes of the Optimus columns.
type RowKey struct {
	Table TableID
	Start int64  // interval start, unix seconds
	Name  string // agent (usercode), device, or extension
	Name2 string // activity (AgentActivityStat) or device (AgentByDeviceStat)
	Type  int16  // device type
	N1    int32  // time type (DeviceTimes), campaign id (CampaignStat)
	N2    int32  // time frame (DeviceTimes)
}

// Row holds a row's values in the order of its table's Cols.
type Row []int64

// Merge combines partial values column by column.
func (r Row) Merge(t *Table, o Row) {
	for i, c := range t.Cols {
		r[i] = combine(c.Op, r[i], o[i])
	}
}

func combine(op Op, a, b int64) int64 {
	switch {
	case op == Sum:
		return a + b
	case a == None:
		return b
	case b == None:
		return a
	case op == Min:
		return min(a, b)
	default:
		return max(a, b)
	}
}

func newRow(t *Table) Row {
	r := make(Row, len(t.Cols))
	for i, c := range t.Cols {
		if c.Op != Sum {
			r[i] = None
		}
	}
	return r
}

// Empty reports a row with nothing in it (all sums zero, no min or max): the
// tables only hold intervals with activity.
func (r Row) Empty(t *Table) bool {
	for i, c := range t.Cols {
		if (c.Op == Sum && r[i] != 0) || (c.Op != Sum && r[i] != None) {
			return false
		}
	}
	return true
}

// Aggregator folds events into quarter-hour rows and call records. It is not
// safe for concurrent use.
type Aggregator struct {
	clock    Clock
	from, to int64 // window (unix s) of a rebuild; to == 0: unbounded
	rows     map[RowKey]Row
	records  []CallRecord
	state    State
	names    map[string]string // the payloads' names, shared (see unmarshalDataIn)
}

// State is what the aggregator must remember between events: agents' current
// states and the calls in progress. The live aggregator stores it with its
// position in the log so a restart continues exactly where it stopped.
type State struct {
	Agents map[string]*AgentState `json:"agents"`
	Calls  map[string]*CallState  `json:"calls"`
	// Extensions maps an extension number to the agent logged in there, for the
	// agents' columns of calls ccd only observes.
	Extensions map[string]string `json:"extensions"`
	// AdvancedTo is the instant (unix s) state times are accounted up to.
	AdvancedTo int64 `json:"advanced_to,omitempty"`
}

// AgentState is an agent's current state and what it is accounted up to.
type AgentState struct {
	State    string   `json:"state"`
	Activity string   `json:"activity,omitempty"`
	Since    int64    `json:"since"` // state time is accounted up to here (unix s)
	Queues   []string `json:"queues,omitempty"`
	Queue    string   `json:"queue,omitempty"` // devices of the current or last call
	DNIS     string   `json:"dnis,omitempty"`
	Ext      string   `json:"ext,omitempty"`
}

// CallState is a call in progress.
type CallState struct {
	FirstID    int64  `json:"first_id"`
	Agent      string `json:"agent,omitempty"` // connected to now
	Queue      string `json:"queue,omitempty"`
	AnsweredMS int64  `json:"answered_ms,omitempty"`
	// Entered is when the call last entered each queue it came to by an
	// overflow, a search expansion or a transfer: a queue's waits count from
	// there. The queue it was first queued in is not here: the events' waits
	// already count from then. (A slice: most calls never hop, and a map per
	// call that does cost the fold a tenth more allocations.)
	Entered []QueueEntry `json:"entered,omitempty"`
	// Handler is the agent the call was last answered by, and HandlerEndpoint
	// where: CallsStat's Agent and AgentExtension ("the agent handling this
	// call"), empty for a call nobody answered.
	Handler         string `json:"handler,omitempty"`
	HandlerEndpoint string `json:"handler_endpoint,omitempty"`
	// Virtual: a callback's place, which no caller abandons (a cancel or an
	// expiry takes it out of its queue).
	Virtual bool `json:"virtual,omitempty"`
	// Flow is where the call stands in the call flows, nil for a call that
	// never entered one.
	Flow *FlowState `json:"flow,omitempty"`
	// DNISOffered: the call was counted Offered on its DNIS when it entered
	// its first flow, not again when a flow queues it.
	DNISOffered bool `json:"dnis_offered,omitempty"`
	// Queued: a flow sent the call to a queue, whose events go on.
	Queued bool `json:"queued,omitempty"`
}

// QueueEntry is when (unix ms) a call entered a queue.
type QueueEntry struct {
	Queue string `json:"queue"`
	AtMS  int64  `json:"at_ms"`
}

// entered records that the call entered queue q at ms.
func (cs *CallState) entered(q string, ms int64) {
	for i := range cs.Entered {
		if cs.Entered[i].Queue == q {
			cs.Entered[i].AtMS = ms
			return
		}
	}
	cs.Entered = append(cs.Entered, QueueEntry{q, ms})
}

// queueWaitMS is how long the call waited in queue q before an answer or an
// abandon at instant ms, given waitedMS, the wait since it was first queued.
func (cs *CallState) queueWaitMS(q string, ms, waitedMS int64) int64 {
	for _, e := range cs.Entered {
		if e.Queue == q {
			return ms - e.AtMS
		}
	}
	return waitedMS
}

// New returns an aggregator for the call center's clock. A zero window is
// unbounded (live); a rebuild sets one with Window.
func New(clock Clock) *Aggregator {
	return &Aggregator{clock: clock, rows: map[RowKey]Row{}, names: map[string]string{}, state: State{
		Agents: map[string]*AgentState{}, Calls: map[string]*CallState{}, Extensions: map[string]string{},
	}}
}

// Window limits what the aggregator produces to [from, to): facts outside it are
// dropped and state times are clipped. Events before from still build state.
func (a *Aggregator) Window(from, to time.Time) {
	a.from, a.to = from.Unix(), to.Unix()
}

// SetState replaces the remembered state (a restart of the live aggregator).
func (a *Aggregator) SetState(s State) {
	if s.Agents == nil {
		s.Agents = map[string]*AgentState{}
	}
	if s.Calls == nil {
		s.Calls = map[string]*CallState{}
	}
	if s.Extensions == nil {
		s.Extensions = map[string]string{}
	}
	a.state = s
}

// State returns the remembered state; it is the aggregator's own, not a copy.
func (a *Aggregator) State() State { return a.state }

// Take returns the rows and call records produced since the last Take.
func (a *Aggregator) Take() (map[RowKey]Row, []CallRecord) {
	rows, recs := a.rows, a.records
	a.rows, a.records = map[RowKey]Row{}, nil
	return rows, recs
}

// TakeRows returns and forgets the rows of quarter-hours that start before
// start, and all call records; rows of later quarter-hours stay pending. A
// rebuild writes finished quarter-hours as it goes instead of holding a month.
func (a *Aggregator) TakeRows(start int64) (map[RowKey]Row, []CallRecord) {
	out := map[RowKey]Row{}
	for k, r := range a.rows {
		if k.Start < start {
			out[k] = r
			delete(a.rows, k)
		}
	}
	recs := a.records
	a.records = nil
	return out, recs
}

// Pending is the number of rows produced since the last Take.
func (a *Aggregator) Pending() int { return len(a.rows) }

func (a *Aggregator) inWindow(s int64) bool {
	return s >= a.from && (a.to == 0 || s < a.to)
}

// row returns the pending row for k, creating it.
func (a *Aggregator) row(k RowKey) Row {
	r := a.rows[k]
	if r == nil {
		r = newRow(&Tables[k.Table])
		a.rows[k] = r
	}
	return r
}

// add puts value v into column col of the row k at instant s (unix seconds).
func (a *Aggregator) add(s int64, k RowKey, col int, v int64) {
	if !a.inWindow(s) {
		return
	}
	k.Start = a.clock.Start(s)
	r := a.row(k)
	r[col] = combine(Tables[k.Table].Cols[col].Op, r[col], v)
}

// measure adds one occurrence of a duration to a min/sum/max triple starting at
// column col.
func (a *Aggregator) measure(s int64, k RowKey, col int, seconds int64) {
	if !a.inWindow(s) {
		return
	}
	k.Start = a.clock.Start(s)
	r := a.row(k)
	r[col] = combine(Min, r[col], seconds)
	r[col+1] += seconds
	r[col+2] = combine(Max, r[col+2], seconds)
}

// spread adds the seconds of [from, to) to column col of row k, cut at
// quarter-hours and clipped to the window. A span backwards (to < from: an event
// older than what was already accounted) is taken off again, so the totals do
// not depend on when the live aggregator happened to account.
func (a *Aggregator) spread(from, to int64, k RowKey, col int) {
	sign := int64(1)
	if to < from {
		from, to, sign = to, from, -1
	}
	from = max(from, a.from)
	if a.to != 0 {
		to = min(to, a.to)
	}
	a.clock.Split(from, to, func(start, seconds int64) {
		k.Start = start
		a.row(k)[col] += sign * seconds
	})
}

// seconds turns milliseconds into whole seconds, rounding half up.
func seconds(ms int64) int64 { return (ms + 500) / 1000 }

// Apply folds one event. Events must come in log order; events ccd does not
// count are ignored.
func (a *Aggregator) Apply(ev *eventlog.Event) error {
	switch ev.Source {
	case eventlog.SourceACD:
		if isClickToCall(ev.Kind) {
			return a.clickToCall(ev)
		}
		d, err := a.decodeData(ev)
		if err != nil {
			return err
		}
		if ccd.IsAgentEvent(ev.Kind) {
			a.agentEvent(ev, d)
		} else {
			a.callEvent(ev, d)
		}
	case eventlog.SourceAMI:
		return a.pbxEvent(ev)
	case eventlog.SourceAPI:
		if ev.Kind == ccd.EventDialerDisposition {
			return a.dialerDisposition(ev)
		}
	case eventlog.SourceARI:
		if strings.HasPrefix(ev.Kind, "flow.") {
			return a.flowEvent(ev)
		}
		if ev.Kind == ccd.EventDialerResult {
			return a.dialerResult(ev)
		}
		if ev.Kind == ccd.EventDialerAttempt {
			return a.dialerAttempt(ev)
		}
	}
	return nil
}

// Advance accounts every logged-in agent's current state up to now, so that
// rows are fresh while nothing changes.
func (a *Aggregator) Advance(now time.Time) {
	s := now.Unix()
	a.state.AdvancedTo = s
	for id, ag := range a.state.Agents {
		a.account(id, ag, s)
	}
}

// decodeData reads an ACD event's payload.
func (a *Aggregator) decodeData(ev *eventlog.Event) (*acd.Data, error) {
	d := new(acd.Data)
	if len(ev.Payload) == 0 {
		return d, nil
	}
	if err := unmarshalDataIn(ev.Payload, d, a.names); err != nil {
		return nil, &DecodeError{ID: ev.ID, Kind: ev.Kind, Err: err}
	}
	return d, nil
}

// DecodeError is an event whose payload cannot be read. The aggregator skips it
// and the caller logs it: one bad row must not stop the statistics.
type DecodeError struct {
	ID   int64
	Kind string
	Err  error
}

func (e *DecodeError) Error() string {
	return "stats: event " + itoa(e.ID) + " (" + e.Kind + "): " + e.Err.Error()
}

func (e *DecodeError) Unwrap() error { return e.Err }
