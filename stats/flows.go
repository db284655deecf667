package stats

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
)

// The call flows in the statistics (000 §5.3.8, Stat.RouterStat): a flow is a
// router (DeviceType 11, BlockID -1) and each of its nodes a block of it
// (DeviceType 12). A flow or node entered is Offered; left for another step
// or a destination it "received treatment" (Answered, with the time spent in
// it as answer time); left by the caller hanging up it is Abandoned (with the
// time as abandon time). A call the flow itself ends (a hangup node, a
// number or voicemail, a missing flow) has its CallsStat row written here; a
// call the flow sends to a queue gets its row from the ACD, with the flow as
// its Router and the flow's attached data.

var (
	rsOffered    = col(RouterStat, "offered")
	rsAnswered   = col(RouterStat, "answered")
	rsAbandoned  = col(RouterStat, "abandoned")
	rsAnswerTime = col(RouterStat, "minanswertime")
	rsAbdTime    = col(RouterStat, "minabdtime")
	rsBlockType  = col(RouterStat, "blocktype")
)

// BlockTypes numbers the node kinds as RouterStat's BlockType (the seed
// refers to a Router.BlockTypes list it does not give): a kind's type is its
// position here plus one.
var BlockTypes = []string{"menu", "time", "switch", "identify", "http", "play", "say", "set", "branch", "goto",
	"hangup", "queue", "agent", "number", "voicemail", "flow", "database"}

// BlockType is the BlockType of a node kind, 0 for an unknown kind.
func BlockType(kind string) int64 {
	for i, k := range BlockTypes {
		if k == kind {
			return int64(i + 1)
		}
	}
	return 0
}

// FlowBlockID is RouterStat's BlockID of a flow's own row (the seed's -1).
const FlowBlockID = -1

// FlowState is where a call stands in the call flows.
type FlowState struct {
	Flow     string `json:"flow,omitempty"`      // the flow the call is in now
	FlowMS   int64  `json:"flow_ms,omitempty"`   // when it entered it
	Node     string `json:"node,omitempty"`      // the node it is in now
	NodeMS   int64  `json:"node_ms,omitempty"`   // when it entered it
	NodeType int64  `json:"node_type,omitempty"` // its BlockType
	// Router is the first flow the call went through (CallsStat Router),
	// FirstMS when it entered it: the call's OfferedTS.
	Router  string `json:"router,omitempty"`
	FirstMS int64  `json:"first_ms,omitempty"`
	// Adata are the flow's attached data of the call, set when it left the
	// flows.
	Adata    [2]string `json:"adata,omitzero"`
	HasAdata bool      `json:"has_adata,omitempty"`
	CLID     string    `json:"clid,omitempty"`
}

// flowEvent folds a flow.* event.
func (a *Aggregator) flowEvent(ev *eventlog.Event) error {
	var st ccd.FlowStep
	if len(ev.Payload) > 0 && !scanFlowStep(ev.Payload, &st, a.names) {
		st = ccd.FlowStep{}
		if err := json.Unmarshal(ev.Payload, &st); err != nil {
			return &DecodeError{ID: ev.ID, Kind: ev.Kind, Err: err}
		}
	}
	cs := a.state.Calls[ev.CallID]
	ms := ev.At.UnixMilli()
	s := ev.At.Unix()
	switch ev.Kind {
	case ccd.EventFlowEntered:
		if cs == nil {
			cs = &CallState{FirstID: ev.ID}
			a.state.Calls[ev.CallID] = cs
		}
		f := cs.flow()
		if f.Router == "" {
			// The call arrived on its DNIS here: Offered there, once.
			f.Router, f.FirstMS, f.CLID = st.Flow, ms, ev.CLID
			cs.DNISOffered = true
			if ev.DNIS != "" {
				a.add(s, RowKey{Table: DeviceStat, Name: ev.DNIS, Type: DevDNIS}, dsOffered, 1)
			}
		}
		// A call entering a flow again without having left it (ccd stopped
		// meanwhile and starts it again) begins a new visit: the lost one
		// stays offered without an outcome.
		f.Flow, f.FlowMS, f.Node, f.NodeMS, f.NodeType = st.Flow, ms, "", 0, 0
		a.add(s, routerKey(st.Flow), rsOffered, 1)
	case ccd.EventFlowNodeIn:
		if cs == nil || cs.Flow == nil || cs.Flow.Flow != st.Flow {
			return nil
		}
		f := cs.Flow
		f.Node, f.NodeMS, f.NodeType = st.Node, ms, BlockType(st.NodeKind)
		k := blockKey(f.Flow, f.Node)
		a.add(s, k, rsOffered, 1)
		a.add(s, k, rsBlockType, f.NodeType)
	case ccd.EventFlowNodeOut:
		if cs == nil || cs.Flow == nil || cs.Flow.Node != st.Node {
			return nil
		}
		if st.Reason == "abandoned" {
			a.flowAbandoned(ev, cs, st)
			return nil
		}
		a.nodeTreated(s, ms, cs.Flow)
	case ccd.EventFlowLeft:
		if cs == nil || cs.Flow == nil || cs.Flow.Flow != st.Flow {
			return nil
		}
		a.flowLeft(ev, cs, st)
	case ccd.EventFlowStepFailed:
		// A step failing without a node is the call sent to a flow that does
		// not exist, or round a circle of flows: ccd hangs it up.
		if st.Node == "" && cs == nil {
			cs = a.arrivedInMissingFlow(ev, st)
		}
		if st.Node == "" && cs != nil && cs.Flow != nil && cs.Flow.Flow == "" && !cs.Queued {
			a.flowRecord(ev, cs, acd.EndInIVR, "")
			a.count(s, "", ev.DNIS, dsEndedInIVR)
			delete(a.state.Calls, ev.CallID)
		}
	}
	return nil
}

// arrivedInMissingFlow is a new call whose route names a flow that does
// not exist: its only event is the failure, yet it arrived on its DNIS and
// ccd hung it up, so it is offered there and gets its CallsStat row like a
// call the flow hung up (Router is the flow it was sent to).
func (a *Aggregator) arrivedInMissingFlow(ev *eventlog.Event, st ccd.FlowStep) *CallState {
	cs := &CallState{FirstID: ev.ID}
	a.state.Calls[ev.CallID] = cs
	cs.flow().Router, cs.Flow.FirstMS, cs.Flow.CLID = st.Flow, ev.At.UnixMilli(), ev.CLID
	cs.DNISOffered = true
	if ev.DNIS != "" {
		a.add(ev.At.Unix(), RowKey{Table: DeviceStat, Name: ev.DNIS, Type: DevDNIS}, dsOffered, 1)
	}
	return cs
}

func routerKey(flow string) RowKey { return RowKey{Table: RouterStat, Name: flow, Type: DevRouter} }

func blockKey(flow, node string) RowKey {
	return RowKey{Table: RouterStat, Name: flow, Name2: node, Type: DevRouterBlock}
}

// flow returns the call's flow state, creating it.
func (cs *CallState) flow() *FlowState {
	if cs.Flow == nil {
		cs.Flow = &FlowState{}
	}
	return cs.Flow
}

// nodeTreated counts the call's node as having received treatment.
func (a *Aggregator) nodeTreated(s, ms int64, f *FlowState) {
	if f.Node == "" {
		return
	}
	k := blockKey(f.Flow, f.Node)
	a.add(s, k, rsAnswered, 1)
	a.measure(s, k, rsAnswerTime, seconds(ms-f.NodeMS))
	a.add(s, k, rsBlockType, f.NodeType)
	f.Node, f.NodeMS, f.NodeType = "", 0, 0
}

// flowAbandoned is the caller hanging up in a node: the node and the flow
// count the abandon, and the call ends here (EndType 102).
func (a *Aggregator) flowAbandoned(ev *eventlog.Event, cs *CallState, st ccd.FlowStep) {
	s, ms := ev.At.Unix(), ev.At.UnixMilli()
	f := cs.Flow
	k := blockKey(f.Flow, f.Node)
	a.add(s, k, rsAbandoned, 1)
	a.measure(s, k, rsAbdTime, seconds(ms-f.NodeMS))
	a.add(s, k, rsBlockType, f.NodeType)
	rk := routerKey(f.Flow)
	a.add(s, rk, rsAbandoned, 1)
	a.measure(s, rk, rsAbdTime, seconds(ms-f.FlowMS))
	f.Adata, f.HasAdata = [2]string{st.Adata1, st.Adata2}, true
	a.flowRecord(ev, cs, acd.EndAbandoned, "")
	delete(a.state.Calls, ev.CallID)
}

// flowLeft is the call leaving its flow for a destination: the flow (and a
// terminal node not left yet) treated it. A queue or another flow goes on;
// the other destinations end the call in the flow.
func (a *Aggregator) flowLeft(ev *eventlog.Event, cs *CallState, st ccd.FlowStep) {
	s, ms := ev.At.Unix(), ev.At.UnixMilli()
	f := cs.Flow
	a.nodeTreated(s, ms, f)
	rk := routerKey(f.Flow)
	a.add(s, rk, rsAnswered, 1)
	a.measure(s, rk, rsAnswerTime, seconds(ms-f.FlowMS))
	f.Flow, f.FlowMS = "", 0
	f.Adata, f.HasAdata = [2]string{st.Adata1, st.Adata2}, true
	kind, target, _ := strings.Cut(st.To, ":")
	switch kind {
	case "flow":
		// the next flow.entered continues the call
	case "queue":
		cs.Queued = true
	case "hangup":
		a.flowRecord(ev, cs, acd.EndInIVR, "")
		a.count(s, "", ev.DNIS, dsEndedInIVR)
		delete(a.state.Calls, ev.CallID)
	default: // number, voicemail, agent: sent out of ccd to the dialplan
		dest := st.To
		if kind == "number" {
			dest = target
		}
		a.flowRecord(ev, cs, acd.EndTransferred, dest)
		delete(a.state.Calls, ev.CallID)
	}
}

// flowRecord emits the CallsStat row of a call that ended in a flow.
func (a *Aggregator) flowRecord(ev *eventlog.Event, cs *CallState, endType int, transferTo string) {
	if !a.inWindow(ev.At.Unix()) {
		return
	}
	f := cs.Flow
	r := CallRecord{
		CallID: cs.FirstID, UCID: ev.CallID, CallType: CallACD, DNIS: ev.DNIS, CLID: f.CLID,
		OfferedTS: time.UnixMilli(f.FirstMS), EndType: endType, TransferDestination: transferTo,
		Adata1: f.Adata[0], Adata2: f.Adata[1], Router: f.Router, LastTS: ev.At,
	}
	switch endType {
	case acd.EndAbandoned:
		r.AbandonedTS = ev.At
	case acd.EndTransferred:
		r.Transferred2ExtTS = ev.At
	}
	if cs.FirstID == 0 {
		r.CallID = ev.ID
	}
	a.records = append(a.records, r)
}

// scanFlowStep reads a flow event's payload as ccd writes it (a flat
// object without escapes); false sends it to encoding/json, as for the
// ACD's payloads (decode.go).
func scanFlowStep(b []byte, st *ccd.FlowStep, names map[string]string) bool {
	s := flatScanner{b: b, names: names}
	return s.object(func(key []byte) (ok bool) {
		switch string(key) {
		case "flow":
			st.Flow, ok = s.name()
		case "version":
			st.Version, ok = s.int()
		case "node":
			st.Node, ok = s.name()
		case "node_kind":
			st.NodeKind, ok = s.name()
		case "to":
			st.To, ok = s.name()
		case "reason":
			st.Reason, ok = s.name()
		case "adata1":
			st.Adata1, ok = s.str()
		case "adata2":
			st.Adata2, ok = s.str()
		default:
			ok = unknownKey(string(key)) && s.skip()
		}
		return ok
	})
}
