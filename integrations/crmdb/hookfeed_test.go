package crmdb

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// The hooks follow the event log: an agent's session gives Agent Logout its
// times (across a restart of the feed), an ACD call runs Call Start and Call
// End, and Call Start's answer (the CRM's call id, a screen pop) goes into
// the log and into Call End.
func TestHookFeedFollowsTheLog(t *testing.T) {
	logDB := pgtest.NewDB(t)
	dsn, crm := sqliteCRM(t)
	execAll(t, crm, crmCallLog, crmAgentStats, `CREATE TABLE pops (dnis text, crm_id text)`, `INSERT INTO pops VALUES ('5551000', 'CRM-42')`)
	cfg := seedHooks("sqlite", dsn)
	cfg.CallStart.Statement = `SELECT 'https://crm.example.com/pop?id={CallId}&ani={Ani}' AS Url, crm_id AS CallId FROM pops WHERE dnis = '{Dnis}'`
	hooks := mustHooks(t, cfg)
	var mu sync.Mutex
	var emitted []eventlog.Event
	newFeed := func() *HookFeed {
		f := NewHookFeed(logDB, hooks, slog.New(slog.DiscardHandler))
		f.Emit = func(ev eventlog.Event) error { mu.Lock(); emitted = append(emitted, ev); mu.Unlock(); return nil }
		return f
	}
	t0 := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	agentEv := func(kind, prev string, prevMS int64, at time.Duration) eventlog.Event {
		return eventlog.Event{At: t0.Add(at), Kind: kind, Agent: "7", Source: eventlog.SourceACD, Key: kind + prev,
			Payload: eventlog.Payload(ccd.EventData{Previous: prev, PreviousMS: prevMS})}
	}
	appendAll := func(evs ...eventlog.Event) {
		if err := (store.EventSink{DB: logDB}).Append(context.Background(), evs); err != nil {
			t.Fatal(err)
		}
	}
	drain := func(f *HookFeed) {
		for {
			n, err := f.Step(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
		}
	}
	appendAll(agentEv(ccd.EventAgentLoggedIn, "", 0, 0), agentEv(ccd.EventAgentReady, ccd.AgentLoggedOut, 0, 0),
		agentEv(ccd.EventAgentRinging, ccd.AgentReady, 60_000, time.Minute),
		eventlog.Event{At: t0.Add(time.Minute), Kind: ccd.EventCallOffered, CallID: "c1", DNIS: "5551000", CLID: "+4512345678", Source: eventlog.SourceACD, Key: "offered"})
	drain(newFeed())

	summary := &ccd.Call{ID: "c1", CLID: "+4512345678", DNIS: "5551000", Agent: "7", OfferedAt: t0.Add(time.Minute),
		AnsweredAt: t0.Add(70 * time.Second), EndedAt: t0.Add(190 * time.Second), HoldMS: 15_000}
	appendAll(agentEv(ccd.EventAgentOnCall, ccd.AgentRinging, 10_000, 70*time.Second),
		eventlog.Event{At: t0.Add(190 * time.Second), Kind: ccd.EventCallEnded, CallID: "c1", Source: eventlog.SourceACD, Key: "ended",
			Payload: eventlog.Payload(ccd.EventData{Summary: summary})},
		agentEv(ccd.EventAgentNotReady, ccd.AgentOnCall, 120_000, 190*time.Second),
		agentEv(ccd.EventAgentLoggedOut, ccd.AgentNotReady, 30_000, 220*time.Second))
	drain(newFeed()) // another feed, as after a restart: the session comes from the stored state

	var callID, start, end string
	var talk, hold, duration, agent int
	if err := crm.QueryRow(`SELECT CallId, TalkTime, HoldTime, TrueDuration, AgentId, StartDateTime, EndDateTime FROM CallLog`).
		Scan(&callID, &talk, &hold, &duration, &agent, &start, &end); err != nil {
		t.Fatal(err)
	}
	if callID != "CRM-42" || talk != 120 || hold != 15 || duration != 130 || agent != 7 {
		t.Errorf("CallLog: id %s talk %d hold %d duration %d agent %d", callID, talk, hold, duration, agent)
	}
	var away, idle, phone, ready int
	var login string
	if err := crm.QueryRow(`SELECT AwayTime, IdleTime, OnPhoneTime, ReadyTime, LoginDateTime FROM AgentStats WHERE AgentId = 7`).
		Scan(&away, &idle, &phone, &ready, &login); err != nil {
		t.Fatal(err)
	}
	if away != 30 || phone != 130 || ready != 60 || idle != 0 || !strings.HasPrefix(login, "2026-03-10") || !strings.Contains(login, "08:00:00") {
		t.Errorf("AgentStats: away %d idle %d phone %d ready %d login %s", away, idle, phone, ready, login)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(emitted) != 1 || emitted[0].Kind != ccd.EventCallCRMData || emitted[0].CallID != "c1" ||
		!jsonHas(emitted[0].Payload, `"url":"https://crm.example.com/pop?id=CRM-42\u0026ani=%2B4512345678"`) {
		t.Errorf("emitted %+v", emitted)
	}
}

func jsonHas(b []byte, s string) bool { return strings.Contains(string(b), s) }

// A click-to-call runs Call Start and Call End as an outbound call
// (CallType 2) of its agent: Dnis the number called, Ani the agent's
// extension; a customer handed to a queue runs neither (the queue's call
// does).
func TestHookFeedClickToCallIsOutbound(t *testing.T) {
	logDB := pgtest.NewDB(t)
	dsn, crm := sqliteCRM(t)
	execAll(t, crm, crmCallLog, crmCallStart)
	f := NewHookFeed(logDB, mustHooks(t, seedHooks("sqlite", dsn)), slog.New(slog.DiscardHandler))
	t0 := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	c := ccd.ClickToCall{ID: "c2c-1", Order: ccd.ClickToCallAgentFirst, Agent: "7", Extension: "1001", Number: "+4586515151", StartedAt: t0}
	queued := ccd.ClickToCall{ID: "c2c-2", Order: ccd.ClickToCallCustomerFirst, Number: "86515151", ToQueue: "sales", StartedAt: t0}
	ev := func(kind string, c ccd.ClickToCall) eventlog.Event {
		return eventlog.Event{At: t0, Kind: kind, CallID: c.ID, Source: eventlog.SourceACD, Key: c.ID + kind, Payload: eventlog.Payload(c)}
	}
	started, startedQ := ev(ccd.EventClickToCallStarted, c), ev(ccd.EventClickToCallStarted, queued)
	c.AnsweredAt, c.EndedAt, c.Result = t0.Add(5*time.Second), t0.Add(65*time.Second), "answered"
	queued.AnsweredAt, queued.EndedAt = t0.Add(5*time.Second), t0.Add(5*time.Second)
	if err := (store.EventSink{DB: logDB}).Append(context.Background(),
		[]eventlog.Event{started, startedQ, ev(ccd.EventClickToCallEnded, c), ev(ccd.EventClickToCallEnded, queued)}); err != nil {
		t.Fatal(err)
	}
	for {
		n, err := f.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	var dnis, ani string
	var callType, agent, n int
	if err := crm.QueryRow(`SELECT Dnis, Ani, CallType, AgentId, (SELECT count(*) FROM CallStart) FROM CallStart`).Scan(&dnis, &ani, &callType, &agent, &n); err != nil {
		t.Fatal(err)
	}
	if dnis != "+4586515151" || ani != "1001" || callType != 2 || agent != 7 || n != 1 {
		t.Errorf("CallStart: dnis %s ani %s type %d agent %d rows %d", dnis, ani, callType, agent, n)
	}
	var talk, duration int
	if err := crm.QueryRow(`SELECT TalkTime, TrueDuration, CallType, DNIS, (SELECT count(*) FROM CallLog) FROM CallLog`).Scan(&talk, &duration, &callType, &dnis, &n); err != nil {
		t.Fatal(err)
	}
	if talk != 60 || duration != 65 || callType != 2 || dnis != "+4586515151" || n != 1 {
		t.Errorf("CallLog: talk %d duration %d type %d dnis %s rows %d", talk, duration, callType, dnis, n)
	}
}
