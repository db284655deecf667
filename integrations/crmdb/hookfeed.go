package crmdb

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/eventlog/consume"
	"github.com/ccdhq/ccd/store"
)

// HookConsumerName is the SQL hooks' cursor in event_consumer.
const HookConsumerName = "sql_hooks"

// HookFeed runs the call and logout hooks from the event log, off the call
// path: a slow or hung CRM never delays a caller or an agent, it only makes
// the hooks late. The cursor moves after each event whose hooks ran (at
// least once: a crash between the two runs that event's hooks again).
type HookFeed struct {
	hooks *Hooks
	cons  *consume.Consumer
	log   *slog.Logger
	// Emit writes call.crm_data, Call Start's answer, into the event log.
	Emit func(eventlog.Event) error

	state hookState
	// Stats count the hooks run and failed since start (the metrics).
	Ran, Failed atomic.Uint64
}

// hookState is what the feed keeps with its cursor: the agents' sessions
// (for Agent Logout's times) and the CRM's ids of calls in progress.
type hookState struct {
	Sessions map[string]*agentSession `json:"sessions"`
	CRMIDs   map[string]string        `json:"crm_ids,omitempty"`
}

// agentSession is an agent's login and time per state, in milliseconds.
type agentSession struct {
	Login time.Time        `json:"login"`
	MS    map[string]int64 `json:"ms"`
}

// NewHookFeed returns the feed of hooks over db.
func NewHookFeed(db *store.DB, hooks *Hooks, log *slog.Logger) *HookFeed {
	return &HookFeed{hooks: hooks, cons: consume.New(db, HookConsumerName), log: log}
}

// Run follows the log until ctx ends (woken by wake, else every interval).
func (f *HookFeed) Run(ctx context.Context, wake <-chan struct{}, interval time.Duration) {
	followLog(ctx, wake, interval, f.Step, f.log, "sql hooks behind the event log: will retry")
}

// Step handles the next events; it returns how many.
func (f *HookFeed) Step(ctx context.Context) (int, error) {
	pos, found, err := f.cons.Position(ctx)
	if err != nil {
		return 0, err
	}
	if f.state.Sessions == nil {
		f.state = hookState{Sessions: map[string]*agentSession{}, CRMIDs: map[string]string{}}
		if found && len(pos.State) > 0 {
			_ = json.Unmarshal(pos.State, &f.state)
		}
	}
	evs, err := f.cons.Next(ctx, 200)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	for i, ev := range evs {
		ran := f.handle(ctx, ev)
		if ran || i == len(evs)-1 {
			state, _ := json.Marshal(f.state)
			if err := f.cons.Commit(ctx, store.ConsumerPosition{LastID: ev.ID, State: state}); err != nil {
				f.state.Sessions = nil // read again with the position
				return i, err
			}
		}
	}
	return len(evs), nil
}

// handle folds one event and runs its hook; it reports whether a hook ran.
func (f *HookFeed) handle(ctx context.Context, ev eventlog.Event) bool {
	var d ccd.EventData
	if len(ev.Payload) > 0 {
		_ = json.Unmarshal(ev.Payload, &d)
	}
	switch {
	case ccd.IsAgentEvent(ev.Kind) && ev.Agent != "":
		return f.agentEvent(ctx, ev, d)
	case ev.Kind == ccd.EventCallOffered && f.hooks.Has("call_start"):
		f.callStart(ctx, ev, CallStart{Dnis: ev.DNIS, Ani: ev.CLID, CallType: CallInbound})
		return true
	case ev.Kind == ccd.EventClickToCallStarted || ev.Kind == ccd.EventClickToCallEnded:
		return f.clickToCall(ctx, ev)
	case ev.Kind == ccd.EventCallEnded && d.Summary != nil:
		defer delete(f.state.CRMIDs, ev.CallID)
		if f.hooks.Has("call_end") {
			f.callEnd(ctx, ev, d.Summary)
			return true
		}
	}
	return false
}

func (f *HookFeed) agentEvent(ctx context.Context, ev eventlog.Event, d ccd.EventData) bool {
	s := f.state.Sessions[ev.Agent]
	if ev.Kind == ccd.EventAgentLoggedIn || s == nil {
		s = &agentSession{Login: ev.At, MS: map[string]int64{}}
		f.state.Sessions[ev.Agent] = s
	}
	if d.Previous != "" {
		s.MS[d.Previous] += d.PreviousMS
	}
	if ev.Kind != ccd.EventAgentLoggedOut {
		return false
	}
	delete(f.state.Sessions, ev.Agent)
	if !f.hooks.Has("agent_logout") {
		return false
	}
	secs := func(states ...string) int64 {
		var ms int64
		for _, st := range states {
			ms += s.MS[st]
		}
		return ms / 1000
	}
	out := Logout{AgentID: ev.Agent, LoginAt: s.Login, LogoutAt: ev.At,
		Away: secs(ccd.AgentNotReady), Busy: secs(ccd.AgentWrapUp),
		OnPhone: secs(ccd.AgentRinging, ccd.AgentOnCall, ccd.AgentOnDirectCall), Ready: secs(ccd.AgentReady)}
	f.report(f.hooks.AgentLogout(ctx, out), "agent_logout", "agent", ev.Agent)
	return true
}

// clickToCall runs Call Start and Call End for a click-to-call, an
// outbound call (CallType 2) of its agent: Dnis is the number called, Ani
// the agent's extension. A customer handed to a queue is the queue's call.
func (f *HookFeed) clickToCall(ctx context.Context, ev eventlog.Event) bool {
	var c ccd.ClickToCall
	if err := json.Unmarshal(ev.Payload, &c); err != nil || c.ToQueue != "" {
		return false
	}
	agent, ani := c.Agent, c.Extension
	if agent == "" {
		agent = "0"
	}
	if ani == "" {
		ani = c.CallerID
	}
	if ev.Kind == ccd.EventClickToCallStarted {
		if !f.hooks.Has("call_start") {
			return false
		}
		f.callStart(ctx, ev, CallStart{Dnis: c.Number, Ani: ani, CallType: CallOutbound, AgentID: agent})
		return true
	}
	defer delete(f.state.CRMIDs, ev.CallID)
	if !f.hooks.Has("call_end") {
		return false
	}
	end := c.EndedAt
	if end.IsZero() {
		end = ev.At
	}
	var talk int64
	if !c.AnsweredAt.IsZero() {
		talk = int64(end.Sub(c.AnsweredAt) / time.Second)
	}
	callID := ev.CallID
	if id := f.state.CRMIDs[ev.CallID]; id != "" {
		callID = id
	}
	out := CallEnd{Segment: 1, TalkTime: max(talk, 0), TrueDuration: int64(end.Sub(c.StartedAt) / time.Second), CallType: CallOutbound,
		StartAt: c.StartedAt, ConnectAt: c.AnsweredAt, EndAt: end, AgentID: agent, Ani: ani, Dnis: c.Number, CallID: callID}
	f.report(f.hooks.CallEnd(ctx, out), "call_end", "call_id", ev.CallID)
	return true
}

func (f *HookFeed) callStart(ctx context.Context, ev eventlog.Event, in CallStart) {
	data, err := f.hooks.CallStart(ctx, in, ev.CallID)
	f.report(err, "call_start", "call_id", ev.CallID)
	if err != nil {
		return
	}
	for _, p := range data.Problems {
		f.log.Warn("sql hook call_start answered oddly", "call_id", ev.CallID, "problem", p)
	}
	if data.CallID != "" && data.CallID != ev.CallID {
		f.state.CRMIDs[ev.CallID] = data.CallID
	}
	if data.URL == "" && data.CallID == ev.CallID && !data.Record && data.DefaultTransferNumber == "" && len(data.Skills) == 0 && data.CustomData == "" {
		return
	}
	if f.Emit == nil {
		return
	}
	crm := ccd.CRMCallData{URL: data.URL, CRMCallID: data.CallID, Record: data.Record, DefaultTransferNumber: data.DefaultTransferNumber,
		Skills: data.Skills, CustomData: data.CustomData}
	if err := f.Emit(eventlog.Event{At: time.Now(), Kind: ccd.EventCallCRMData, Source: eventlog.SourceAPI, CallID: ev.CallID,
		Queue: ev.Queue, DNIS: ev.DNIS, CLID: ev.CLID, Key: "sqlhook:call_start:" + ev.CallID, Payload: eventlog.Payload(crm)}); err != nil {
		f.log.Warn("cannot record the CRM's call data", "call_id", ev.CallID, "err", err)
	}
}

func (f *HookFeed) callEnd(ctx context.Context, ev eventlog.Event, c *ccd.Call) {
	end := c.EndedAt
	if end.IsZero() {
		end = ev.At
	}
	talkEnd := end
	if !c.TransferAt.IsZero() {
		talkEnd = c.TransferAt
	}
	var talk int64
	if !c.AnsweredAt.IsZero() {
		talk = int64(talkEnd.Sub(c.AnsweredAt) / time.Second)
	}
	agent := c.Agent
	if agent == "" {
		agent = "0" // the seed's "no agent"
	}
	callID := ev.CallID
	if id := f.state.CRMIDs[ev.CallID]; id != "" {
		callID = id // the id the CRM gave at Call Start
	}
	start := c.OfferedAt
	if start.IsZero() {
		start = end
	}
	out := CallEnd{Segment: 1, TalkTime: max(talk, 0), HoldTime: c.HoldMS / 1000, TrueDuration: int64(end.Sub(start) / time.Second),
		CallType: CallInbound, StartAt: start, ConnectAt: c.AnsweredAt, EndAt: end,
		AgentID: agent, Ani: c.CLID, Dnis: c.DNIS, CallID: callID}
	f.report(f.hooks.CallEnd(ctx, out), "call_end", "call_id", ev.CallID)
}

// report logs a hook's failure with what it was for, and counts it.
func (f *HookFeed) report(err error, hook, key, id string) {
	f.Ran.Add(1)
	if err == nil {
		return
	}
	f.Failed.Add(1)
	f.log.Error("sql hook failed", "hook", hook, key, id, "err", strings.TrimSpace(err.Error()))
}

// followLog runs step until ctx ends: again at once while it finds events,
// else after interval or when wake says the log has more. A failing step
// is logged with behind and retried.
func followLog(ctx context.Context, wake <-chan struct{}, interval time.Duration, step func(context.Context) (int, error),
	log *slog.Logger, behind string) {
	for {
		n, err := step(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			log.Warn(behind, "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-wake:
			t.Stop()
		}
	}
}
