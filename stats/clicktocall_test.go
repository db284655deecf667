package stats_test

import (
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/stats"
)

func clickToCallEnded(id int64, c ccd.ClickToCall) eventlog.Event {
	return eventlog.Event{ID: id, At: c.EndedAt, CallID: c.ID, Kind: ccd.EventClickToCallEnded, Agent: c.Agent,
		DNIS: c.Number, Source: eventlog.SourceACD, Key: c.ID, Payload: eventlog.Payload(c)}
}

// agentSum adds column col of an agent's AgentStat rows over all intervals.
func agentSum(rows map[stats.RowKey]stats.Row, table stats.TableID, name, col string) int64 {
	var n int64
	for k := range rows {
		if k.Table == table && k.Name == name {
			n += value(rows, k, col)
		}
	}
	return n
}

// A click-to-call is an outbound call of its agent and extension: an
// answered external one counts ExtDialed and ExtAnsweredTo with its talk
// time, an unanswered internal one IntDialed only; each has a CallsStat
// row of type 2 (external) or 3 (internal). One handed to a queue is left
// to the queue.
func TestClickToCallCountsAsOutbound(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	answered := ccd.ClickToCall{ID: "c2c-1", Order: ccd.ClickToCallAgentFirst, Agent: "a1", Extension: "1001", Number: "+4586515151",
		Queue: "sales", StartedAt: start, AnsweredAt: start.Add(10 * time.Second), EndedAt: start.Add(70 * time.Second), Result: "answered"}
	unanswered := ccd.ClickToCall{ID: "c2c-2", Order: ccd.ClickToCallCustomerFirst, Agent: "a1", Extension: "1001", Number: "1002",
		Internal: true, StartedAt: start.Add(2 * time.Minute), EndedAt: start.Add(2*time.Minute + 20*time.Second), Result: "no_answer"}
	queued := ccd.ClickToCall{ID: "c2c-3", Order: ccd.ClickToCallCustomerFirst, Number: "86515151", ToQueue: "sales",
		StartedAt: start.Add(3 * time.Minute), AnsweredAt: start.Add(3*time.Minute + 5*time.Second), EndedAt: start.Add(3*time.Minute + 5*time.Second)}
	rows, recs := foldAll(t, []eventlog.Event{clickToCallEnded(1, answered), clickToCallEnded(2, unanswered), clickToCallEnded(3, queued)})
	for _, table := range []struct {
		t    stats.TableID
		name string
	}{{stats.AgentStat, "a1"}, {stats.ExtensionStat, "1001"}} {
		for col, want := range map[string]int64{"extdialed": 1, "extansweredto": 1, "intdialed": 1, "intansweredto": 0} {
			if got := agentSum(rows, table.t, table.name, col); got != want {
				t.Errorf("%v %s: %s = %d, want %d", table.t, table.name, col, got, want)
			}
		}
	}
	if len(recs) != 2 {
		t.Fatalf("call records %+v", recs)
	}
	if r := recs[0]; r.UCID != "c2c-1" || r.CallType != stats.CallOutExternal || r.Agent != "a1" || r.AgentExtension != "1001" ||
		r.DNIS != "+4586515151" || r.EndType != acd.EndTalked || !r.AnsweredTS.Equal(answered.AnsweredAt) || r.HandledOnQueue != "sales" {
		t.Errorf("answered click-to-call %+v", r)
	}
	if r := recs[1]; r.UCID != "c2c-2" || r.CallType != stats.CallOutInternal || r.EndType != acd.EndOutboundUnanswered {
		t.Errorf("unanswered click-to-call %+v", r)
	}
}
