package stats_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/flow"
	"github.com/ccdhq/ccd/stats"
)

// step logs a flow event of call id on DNIS 5551000 as the flow application
// writes it.
func (c *overflowCenter) step(at time.Time, id, kind string, st ccd.FlowStep) {
	if st.Version == 0 {
		st.Version = 1
	}
	c.evs = append(c.evs, eventlog.Event{ID: int64(len(c.evs) + 1), At: at, CallID: id, DNIS: "5551000", CLID: "0611" + id,
		Kind: kind, Source: eventlog.SourceARI, Payload: eventlog.Payload(st)})
}

// routerRow is the RouterStat row of a flow (node "") or a node.
func routerRow(t *testing.T, rows map[stats.RowKey]stats.Row, flowName, node string) map[string]int64 {
	t.Helper()
	k := stats.RowKey{Table: stats.RouterStat, Name: flowName, Type: stats.DevRouter}
	if node != "" {
		k = stats.RowKey{Table: stats.RouterStat, Name: flowName, Name2: node, Type: stats.DevRouterBlock}
	}
	var r stats.Row
	for rk, v := range rows {
		if rk.Table == k.Table && rk.Name == k.Name && rk.Name2 == k.Name2 && rk.Type == k.Type {
			if r != nil {
				t.Fatalf("%s/%s has rows in more than one quarter-hour", flowName, node)
			}
			r = v
		}
	}
	out := map[string]int64{}
	for i, c := range stats.Tables[stats.RouterStat].Cols {
		if r != nil && r[i] != stats.None {
			out[c.Name] = r[i]
		}
	}
	return out
}

// Six callers: five through flow "main" (menu m, play bye, terminal nodes q and
// out), each ending another way: queued and answered, hung up in the menu,
// hung up by the flow after a play, sent on to flow "night" which sends it
// to a number, sent to a flow that does not exist; one new call whose route
// names a flow that does not exist. RouterStat, DeviceStat and
// CallsStat must say exactly that.
func TestFlowStatistics(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := newOverflowCenter(t, start)
	sec := func(m, s int) time.Time {
		return start.Add(time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
	}

	// c1: key 1 -> node q (queue second) after 8 s; y answers 2 s later.
	c.step(sec(1, 0), "c1", ccd.EventFlowEntered, ccd.FlowStep{Flow: "main"})
	c.step(sec(1, 0), "c1", ccd.EventFlowNodeIn, ccd.FlowStep{Flow: "main", Node: "m", NodeKind: "menu"})
	c.step(sec(1, 8), "c1", ccd.EventFlowNodeOut, ccd.FlowStep{Flow: "main", Node: "m", To: "q", Reason: "key 1"})
	c.step(sec(1, 8), "c1", ccd.EventFlowNodeIn, ccd.FlowStep{Flow: "main", Node: "q", NodeKind: "queue"})
	c.step(sec(1, 8), "c1", ccd.EventFlowLeft, ccd.FlowStep{Flow: "main", To: "queue:second", Adata1: "A1", Adata2: "123"})
	c.do(sec(1, 8), func(now time.Time) error {
		return c.e.Arrive(now, acd.Arrival{CallID: "c1", Queue: "second", DNIS: "5551000", CLID: "0611c1", AttachData: "crm|x"})
	})
	call, _ := c.e.Call("c1")
	c.do(sec(1, 10), func(now time.Time) error { return c.e.OfferAnswered(now, call.Channel) })
	c.do(sec(2, 10), func(now time.Time) error { c.e.Hangup(now, "c1"); return nil })

	// c2: hangs up in the menu after 12 s.
	c.step(sec(3, 0), "c2", ccd.EventFlowEntered, ccd.FlowStep{Flow: "main"})
	c.step(sec(3, 0), "c2", ccd.EventFlowNodeIn, ccd.FlowStep{Flow: "main", Node: "m", NodeKind: "menu"})
	c.step(sec(3, 12), "c2", ccd.EventFlowNodeOut, ccd.FlowStep{Flow: "main", Node: "m", To: "hangup", Reason: "abandoned", Adata2: "777"})

	// c3: key 2 -> bye after 5 s, played 4 s, then hung up by the flow.
	c.step(sec(4, 0), "c3", ccd.EventFlowEntered, ccd.FlowStep{Flow: "main"})
	c.step(sec(4, 0), "c3", ccd.EventFlowNodeIn, ccd.FlowStep{Flow: "main", Node: "m", NodeKind: "menu"})
	c.step(sec(4, 5), "c3", ccd.EventFlowNodeOut, ccd.FlowStep{Flow: "main", Node: "m", To: "bye", Reason: "key 2"})
	c.step(sec(4, 5), "c3", ccd.EventFlowNodeIn, ccd.FlowStep{Flow: "main", Node: "bye", NodeKind: "play"})
	c.step(sec(4, 9), "c3", ccd.EventFlowNodeOut, ccd.FlowStep{Flow: "main", Node: "bye", To: "hangup", Reason: "played"})
	c.step(sec(4, 9), "c3", ccd.EventFlowLeft, ccd.FlowStep{Flow: "main", To: "hangup"})

	// c4: key 3 -> flow night after 4 s; night's node out sends it to 5559999.
	c.step(sec(5, 0), "c4", ccd.EventFlowEntered, ccd.FlowStep{Flow: "main"})
	c.step(sec(5, 0), "c4", ccd.EventFlowNodeIn, ccd.FlowStep{Flow: "main", Node: "m", NodeKind: "menu"})
	c.step(sec(5, 4), "c4", ccd.EventFlowNodeOut, ccd.FlowStep{Flow: "main", Node: "m", To: "flow:night", Reason: "key 3"})
	c.step(sec(5, 4), "c4", ccd.EventFlowLeft, ccd.FlowStep{Flow: "main", To: "flow:night"})
	c.step(sec(5, 4), "c4", ccd.EventFlowEntered, ccd.FlowStep{Flow: "night"})
	c.step(sec(5, 4), "c4", ccd.EventFlowNodeIn, ccd.FlowStep{Flow: "night", Node: "out", NodeKind: "number"})
	c.step(sec(5, 4), "c4", ccd.EventFlowLeft, ccd.FlowStep{Flow: "night", To: "number:5559999", Adata1: "n1"})

	// c5: timeout -> a flow that does not exist after 6 s.
	c.step(sec(6, 0), "c5", ccd.EventFlowEntered, ccd.FlowStep{Flow: "main"})
	c.step(sec(6, 0), "c5", ccd.EventFlowNodeIn, ccd.FlowStep{Flow: "main", Node: "m", NodeKind: "menu"})
	c.step(sec(6, 6), "c5", ccd.EventFlowNodeOut, ccd.FlowStep{Flow: "main", Node: "m", To: "flow:gone", Reason: "timeout"})
	c.step(sec(6, 6), "c5", ccd.EventFlowLeft, ccd.FlowStep{Flow: "main", To: "flow:gone"})
	c.step(sec(6, 6), "c5", ccd.EventFlowStepFailed, ccd.FlowStep{Flow: "gone", Reason: "no such flow"})

	// c6: a new call whose route names a flow that does not exist.
	c.step(sec(7, 0), "c6", ccd.EventFlowStepFailed, ccd.FlowStep{Flow: "missing", Reason: "no such flow"})

	rows, recs := foldAll(t, c.evs)
	menu := stats.BlockType("menu")
	for _, want := range []struct {
		flow, node string
		row        map[string]int64
	}{
		{"main", "", map[string]int64{"offered": 5, "answered": 4, "abandoned": 1,
			"minanswertime": 4, "sumanswertime": 8 + 9 + 4 + 6, "maxanswertime": 9, "minabdtime": 12, "sumabdtime": 12, "maxabdtime": 12}},
		{"main", "m", map[string]int64{"blocktype": menu, "offered": 5, "answered": 4, "abandoned": 1,
			"minanswertime": 4, "sumanswertime": 8 + 5 + 4 + 6, "maxanswertime": 8, "minabdtime": 12, "sumabdtime": 12, "maxabdtime": 12}},
		{"main", "q", map[string]int64{"blocktype": stats.BlockType("queue"), "offered": 1, "answered": 1,
			"minanswertime": 0, "sumanswertime": 0, "maxanswertime": 0, "abandoned": 0, "sumabdtime": 0}},
		{"main", "bye", map[string]int64{"blocktype": stats.BlockType("play"), "offered": 1, "answered": 1,
			"minanswertime": 4, "sumanswertime": 4, "maxanswertime": 4, "abandoned": 0, "sumabdtime": 0}},
		{"night", "", map[string]int64{"offered": 1, "answered": 1, "minanswertime": 0, "sumanswertime": 0, "maxanswertime": 0,
			"abandoned": 0, "sumabdtime": 0}},
		{"night", "out", map[string]int64{"blocktype": stats.BlockType("number"), "offered": 1, "answered": 1,
			"minanswertime": 0, "sumanswertime": 0, "maxanswertime": 0, "abandoned": 0, "sumabdtime": 0}},
	} {
		if got := routerRow(t, rows, want.flow, want.node); !reflect.DeepEqual(got, want.row) {
			t.Errorf("routerstat %s/%s:\n got %v\nwant %v", want.flow, want.node, got, want.row)
		}
	}
	for _, want := range []struct {
		name string
		typ  int16
		col  string
		n    int64
	}{
		{"5551000", stats.DevDNIS, "offered", 6}, {"5551000", stats.DevDNIS, "endedinivr", 3},
		{"5551000", stats.DevDNIS, "answered", 1}, {"5551000", stats.DevDNIS, "abandoned", 0},
		{"second", stats.DevQueue, "offered", 1}, {"second", stats.DevQueue, "answered", 1},
	} {
		if got := deviceSum(rows, want.name, want.typ, want.col); got != want.n {
			t.Errorf("%s: %s = %d, want %d", want.name, want.col, got, want.n)
		}
	}

	byCall := map[string]stats.CallRecord{}
	for _, r := range recs {
		byCall[r.UCID] = r
	}
	if len(recs) != 6 || len(byCall) != 6 {
		t.Fatalf("call records %+v", recs)
	}
	type rec struct {
		endType        int
		router, a1, a2 string
		transferTo     string
		offered        time.Time
		abandoned, out time.Time
	}
	for id, want := range map[string]rec{
		"c1": {acd.EndTalked, "main", "A1", "123", "", sec(1, 0), time.Time{}, time.Time{}},
		"c2": {acd.EndAbandoned, "main", "", "777", "", sec(3, 0), sec(3, 12), time.Time{}},
		"c3": {acd.EndInIVR, "main", "", "", "", sec(4, 0), time.Time{}, time.Time{}},
		"c4": {acd.EndTransferred, "main", "n1", "", "5559999", sec(5, 0), time.Time{}, sec(5, 4)},
		"c5": {acd.EndInIVR, "main", "", "", "", sec(6, 0), time.Time{}, time.Time{}},
		"c6": {acd.EndInIVR, "missing", "", "", "", sec(7, 0), time.Time{}, time.Time{}},
	} {
		r := byCall[id]
		got := rec{r.EndType, r.Router, r.Adata1, r.Adata2, r.TransferDestination, r.OfferedTS.UTC(), r.AbandonedTS.UTC(), r.Transferred2ExtTS.UTC()}
		if !got.offered.Equal(want.offered) || !got.abandoned.Equal(want.abandoned) || !got.out.Equal(want.out) {
			t.Errorf("%s times: %+v, want %+v", id, got, want)
		}
		got.offered, got.abandoned, got.out = want.offered, want.abandoned, want.out
		if got != want {
			t.Errorf("%s: %+v, want %+v", id, got, want)
		}
		if r.CallType != stats.CallACD || r.DNIS != "5551000" || r.CLID != "0611"+id || r.CallID == 0 {
			t.Errorf("%s: %+v", id, r)
		}
	}
	// The call's CallsStat id is its first event's, the flow's entry.
	first := int64(0)
	for _, ev := range c.evs {
		if ev.CallID == "c1" {
			first = ev.ID
			break
		}
	}
	if c.evs[first-1].Kind != ccd.EventFlowEntered || byCall["c1"].CallID != first {
		t.Errorf("c1's call id %d, want %d (its flow.entered)", byCall["c1"].CallID, first)
	}
}

// Every kind of node has a BlockType.
func TestEveryNodeKindHasABlockType(t *testing.T) {
	for _, k := range flow.NodeKinds {
		if stats.BlockType(k) == 0 {
			t.Errorf("node kind %q has no BlockType", k)
		}
	}
}
