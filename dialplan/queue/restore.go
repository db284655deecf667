package queue

import (
	"context"
	"encoding/json"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/eventlog"
)

// toLog turns an engine event into an event-log row.
func ToLog(ev acd.Event) eventlog.Event {
	return eventlog.Event{At: ev.At, CallID: ev.CallID, Kind: ev.Kind, Agent: ev.Agent, Queue: ev.Queue, DNIS: ev.DNIS,
		CLID: ev.CLID, Source: eventlog.SourceACD, Key: eventlog.NewKey(), Payload: eventlog.Payload(ev.Data)}
}

// FromLog turns event-log rows of the ACD back into engine events (for Fold).
func FromLog(rows []eventlog.Event) []acd.Event {
	out := make([]acd.Event, 0, len(rows))
	for _, r := range rows {
		if r.Source != eventlog.SourceACD {
			continue
		}
		ev := acd.Event{At: r.At, Kind: r.Kind, CallID: r.CallID, Agent: r.Agent, Queue: r.Queue, DNIS: r.DNIS, CLID: r.CLID}
		if len(r.Payload) > 0 {
			if err := json.Unmarshal(r.Payload, &ev.Data); err != nil {
				continue
			}
		}
		out = append(out, ev)
	}
	return out
}

// Load rebuilds the queues and agents from the event log after a start. It needs
// no Asterisk: agent requests are taken from then on. The calls of the last
// run wait for Reconcile, which knows whether their channels are still there.
func (a *App) Load(ctx context.Context, rows []eventlog.Event) error {
	return a.do(ctx, func() error {
		if a.loaded.Load() {
			return nil
		}
		snap := acd.Fold(FromLog(rows))
		a.engine.RestoreAgents(snap.Agents)
		a.pending = snap.Calls
		a.loaded.Store(true)
		return nil
	})
}

// Reconcile checks the application against the channels Asterisk reports in the
// Stasis application (inApp), at every ARI connection once Load has run. The
// first time it restores the calls read from the log: live callers are
// re-adopted, calls whose channels are gone are closed, ringing offers are
// withdrawn; ARI events are taken from then on. After a reconnect, calls whose
// channels are gone (Asterisk restarted) are closed.
func (a *App) Reconcile(ctx context.Context, inApp []ari.Channel) error {
	return a.do(ctx, func() error {
		if !a.loaded.Load() {
			return errStarting
		}
		live := map[string]bool{}
		for _, ch := range inApp {
			live[ch.ID] = true
		}
		if a.reconciled.Load() {
			a.closeGone(live)
			return nil
		}
		a.restoredVirtual(a.pending)
		a.engine.RestoreCalls(a.now(), a.pending, func(id string) bool { return live[id] || a.virtual[id] })
		for _, c := range a.engine.Calls() {
			a.calls[c.ID] = &callMedia{waiting: c.State != acd.Connected}
			a.claim(c.ID, c.Channel)
		}
		if n := len(a.pending); n > 0 {
			a.log.Info("restored calls from the event log", "calls", n, "in_application", len(a.calls))
		}
		a.pending = nil
		a.reconciled.Store(true)
		return nil
	})
}

// closeGone closes the calls whose caller, or whose agent, left the application.
func (a *App) closeGone(live map[string]bool) {
	now := a.now()
	for _, c := range a.engine.Calls() {
		switch {
		case !live[c.ID] && !a.virtual[c.ID]:
			delete(a.calls, c.ID)
			a.engine.Hangup(now, c.ID)
		case c.State == acd.Connected && !live[c.Channel]:
			a.engine.AgentGone(now, c.Channel, "")
		}
	}
}

// claim tells the dispatcher that the channels of a restored call are the
// application's.
func (a *App) claim(channels ...string) {
	if a.cfg.Owners == nil {
		return
	}
	for _, ch := range channels {
		if ch != "" {
			a.cfg.Owners.Handoff(ch, a)
		}
	}
}
