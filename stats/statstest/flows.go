package statstest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/eventlog"
)

// FlowLog writes the flow.* events of calls as the flow application writes
// them (source ari, the call's DNIS and CLID on each).
type FlowLog struct {
	Events []eventlog.Event
	Prefix string // of the events' keys
}

// Step logs one flow event of call at at.
func (l *FlowLog) Step(at time.Time, call, dnis, clid, kind string, st ccd.FlowStep) {
	ev := eventlog.Event{ID: int64(len(l.Events) + 1), At: at, CallID: call, DNIS: dnis, CLID: clid,
		Kind: kind, Source: eventlog.SourceARI, Payload: eventlog.Payload(st)}
	ev.Key = fmt.Sprintf("%s:%d", l.Prefix, ev.ID)
	l.Events = append(l.Events, ev)
}

// FlowCalls returns the flow events of n random calls through two flows,
// "main" (a menu, a play, a time condition) and "night" (a play), starting at
// start and a few seconds to minutes apart, with ids 1, 2, ... in log order.
// Each call ends in the flows: the caller hangs up in a node, a node hangs
// up, the call is sent to a number or to a flow that does not exist.
func FlowCalls(seed uint64, n int, start time.Time) []eventlog.Event {
	r := rand.New(rand.NewPCG(seed, 29))
	l := &FlowLog{Prefix: fmt.Sprintf("flow:%d", seed)}
	type live struct {
		id, dnis, clid string
		flow, node     string
	}
	var calls []*live
	now := start
	started := 0
	dnis := []string{"5551000", "5553000"}
	for started < n || len(calls) > 0 {
		now = now.Add(time.Duration(r.IntN(20000)) * time.Millisecond)
		if r.IntN(50) == 0 {
			now = now.Add(time.Duration(r.IntN(1200)) * time.Second)
		}
		if started < n && (len(calls) == 0 || r.IntN(3) == 0) {
			started++
			c := &live{id: fmt.Sprintf("f%d-%d", seed, started), dnis: dnis[r.IntN(2)], clid: fmt.Sprint("0611", r.IntN(9))}
			l.Step(now, c.id, c.dnis, c.clid, ccd.EventFlowEntered, ccd.FlowStep{Flow: "main", Version: 1})
			l.Step(now, c.id, c.dnis, c.clid, ccd.EventFlowNodeIn, ccd.FlowStep{Flow: "main", Version: 1, Node: "menu", NodeKind: "menu"})
			c.flow, c.node = "main", "menu"
			calls = append(calls, c)
			continue
		}
		i := r.IntN(len(calls))
		c := calls[i]
		step := func(kind string, st ccd.FlowStep) {
			st.Flow, st.Version = c.flow, 1
			l.Step(now, c.id, c.dnis, c.clid, kind, st)
		}
		done := true
		switch k := r.IntN(10); {
		case k < 2:
			step(ccd.EventFlowNodeOut, ccd.FlowStep{Node: c.node, To: "hangup", Reason: "abandoned", Adata1: "acct" + c.clid})
		case k < 4 && c.flow == "main" && c.node == "menu":
			step(ccd.EventFlowNodeOut, ccd.FlowStep{Node: "menu", To: "bye", Reason: "key 1"})
			step(ccd.EventFlowNodeIn, ccd.FlowStep{Node: "bye", NodeKind: "play"})
			c.node, done = "bye", false
		case k < 5 && c.flow == "main":
			step(ccd.EventFlowNodeOut, ccd.FlowStep{Node: c.node, To: "flow:night", Reason: "key 2"})
			step(ccd.EventFlowLeft, ccd.FlowStep{To: "flow:night"})
			c.flow, c.node = "night", "closed"
			step(ccd.EventFlowEntered, ccd.FlowStep{})
			step(ccd.EventFlowNodeIn, ccd.FlowStep{Node: "closed", NodeKind: "play"})
			done = false
		case k < 6:
			step(ccd.EventFlowNodeOut, ccd.FlowStep{Node: c.node, To: "flow:gone", Reason: "played"})
			step(ccd.EventFlowLeft, ccd.FlowStep{To: "flow:gone"})
			l.Step(now, c.id, c.dnis, c.clid, ccd.EventFlowStepFailed, ccd.FlowStep{Flow: "gone", Reason: "no such flow"})
		case k < 8:
			step(ccd.EventFlowNodeOut, ccd.FlowStep{Node: c.node, To: "hangup", Reason: "played"})
			step(ccd.EventFlowLeft, ccd.FlowStep{To: "hangup", Adata2: "vip"})
		default:
			step(ccd.EventFlowNodeOut, ccd.FlowStep{Node: c.node, To: "out", Reason: "no_match"})
			step(ccd.EventFlowNodeIn, ccd.FlowStep{Node: "out", NodeKind: "number"})
			step(ccd.EventFlowLeft, ccd.FlowStep{To: "number:5559999"})
		}
		if done {
			calls = append(calls[:i], calls[i+1:]...)
		}
	}
	return l.Events
}
