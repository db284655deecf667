package stats_test

import (
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/stats"
)

// A preview call (the agent's phone, then the customer's) is one outbound
// call of the agent, counted from its clicktocall.ended, and one attempt
// of its campaign with its result and talk time: its dialer.result adds no
// second call record.
func TestPreviewCallCountsOnce(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 1, 0, 0, time.UTC)
	var evs []eventlog.Event
	add := func(ev eventlog.Event) {
		ev.ID = int64(len(evs) + 1)
		evs = append(evs, ev)
	}
	dialerEv := func(kind ccd.EventKind, t time.Time, p ccd.DialerAttempt) eventlog.Event {
		p.CampaignID, p.Queue, p.Mode, p.Agent = 7, "sales", "preview", "1001"
		return eventlog.Event{At: t, Kind: kind, Source: eventlog.SourceARI, CallID: "dialer-1", Queue: "sales",
			Payload: eventlog.Payload(p)}
	}
	c2c := func(id, result string, start, answered, end time.Time) eventlog.Event {
		return eventlog.Event{At: end, Kind: ccd.EventClickToCallEnded, Source: eventlog.SourceACD, CallID: id, Agent: "1001",
			Payload: eventlog.Payload(ccd.ClickToCall{ID: id, Order: ccd.ClickToCallAgentFirst, Agent: "1001", Endpoint: "PJSIP/1001",
				Number: "5550100", Queue: "sales", Via: "preview", StartedAt: start, AnsweredAt: answered, EndedAt: end, Result: result})}
	}
	// answered: 10 s to connect, 60 s of talk
	add(dialerEv(ccd.EventDialerAttempt, at, ccd.DialerAttempt{AttemptID: 1, TargetID: 10, Phone: "5550100"}))
	add(c2c("c2c-1", "answered", at, at.Add(10*time.Second), at.Add(70*time.Second)))
	add(dialerEv(ccd.EventDialerResult, at.Add(70*time.Second), ccd.DialerAttempt{AttemptID: 1, TargetID: 10, Phone: "5550100",
		Result: 2, Status: "answered", RingMS: 10000, TalkMS: 60000}))
	// busy
	at2 := at.Add(2 * time.Minute)
	add(dialerEv(ccd.EventDialerAttempt, at2, ccd.DialerAttempt{AttemptID: 2, TargetID: 20, Phone: "5550200"}))
	add(c2c("c2c-2", "busy", at2, time.Time{}, at2.Add(5*time.Second)))
	add(dialerEv(ccd.EventDialerResult, at2.Add(5*time.Second), ccd.DialerAttempt{AttemptID: 2, TargetID: 20, Phone: "5550200",
		Result: 4, Status: "busy", RingMS: 5000}))
	rows, recs := foldAll(t, evs)
	if len(recs) != 2 {
		t.Fatalf("%d call records, want 2 (one per call): %+v", len(recs), recs)
	}
	for _, r := range recs {
		if r.CallType != stats.CallOutExternal || r.Agent != "1001" {
			t.Errorf("record %+v", r)
		}
	}
	if recs[0].EndType != acd.EndTalked || recs[1].EndType != acd.EndOutboundUnanswered {
		t.Errorf("end types %d %d", recs[0].EndType, recs[1].EndType)
	}
	got := campaignRows(rows)[[2]int64{7, at.Truncate(15 * time.Minute).Unix()}]
	want := map[string]int64{"attempts": 2, "answered_human": 1, "busy": 1, "talktime": 60}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("campaign %s = %d, want %d (row %v)", k, got[k], v, got)
		}
	}
}
