package stats

import (
	"encoding/json"
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
	"time"
)

func isClickToCall(kind string) bool { return strings.HasPrefix(kind, "clicktocall.") }

// clickToCall counts a click-to-call when it ends, as the outbound call of
// its agent and extension (ExtDialed/IntDialed and their talk and dial
// times, like a call dialled from the phone) with a CallsStat row of call
// type 2 (3 to an extension). A customer handed to a queue is counted by
// the queue, as an ACD call.
func (a *Aggregator) clickToCall(ev *eventlog.Event) error {
	if ev.Kind != ccd.EventClickToCallEnded {
		return nil
	}
	var c ccd.ClickToCall
	if err := json.Unmarshal(ev.Payload, &c); err != nil {
		return &DecodeError{ID: ev.ID, Kind: ev.Kind, Err: err}
	}
	if c.ToQueue != "" {
		return nil
	}
	answered := !c.AnsweredAt.IsZero()
	end := c.EndedAt
	if end.IsZero() {
		end = ev.At
	}
	var talk, wait int64
	if answered {
		talk, wait = seconds(end.UnixMilli()-c.AnsweredAt.UnixMilli()), seconds(c.AnsweredAt.UnixMilli()-c.StartedAt.UnixMilli())
	} else {
		wait = seconds(end.UnixMilli() - c.StartedAt.UnixMilli())
	}
	a.countDialled(ev.At.Unix(), a.clickToCallRows(&c), c.Internal, answered, talk, max(wait, 0))
	a.clickToCallRecord(ev, &c, end)
	return nil
}

// clickToCallRows are the rows a click-to-call counts in: its extension's
// and its agent's (else the agent logged in at the extension).
func (a *Aggregator) clickToCallRows(c *ccd.ClickToCall) []RowKey {
	var rows []RowKey
	agent := c.Agent
	if c.Extension != "" {
		rows = append(rows, RowKey{Table: ExtensionStat, Name: c.Extension})
		if agent == "" {
			agent = a.state.Extensions[c.Extension]
		}
	}
	if agent != "" {
		rows = append(rows, RowKey{Table: AgentStat, Name: agent})
	}
	return rows
}

func (a *Aggregator) clickToCallRecord(ev *eventlog.Event, c *ccd.ClickToCall, end time.Time) {
	if !a.inWindow(ev.At.Unix()) {
		return
	}
	r := CallRecord{CallID: ev.ID, UCID: c.ID, CallType: CallOutExternal, DNIS: c.Number, CLID: c.Extension,
		OfferedTS: c.StartedAt, Agent: c.Agent, AgentExtension: c.Extension, HandledOnQueue: c.Queue,
		EndType: acd.EndOutboundUnanswered, LastTS: ev.At}
	if c.Internal {
		r.CallType = CallOutInternal
	}
	if !c.AnsweredAt.IsZero() {
		r.AnsweredTS, r.EndedTS, r.EndType = c.AnsweredAt, end, acd.EndTalked
	}
	a.records = append(a.records, r)
}
