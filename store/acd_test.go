package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// The restore query returns the events of calls that have not ended and the last
// state of each agent, in log order, and nothing of finished calls.
func TestACDOpenEvents(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	n := 0
	ev := func(kind, call, agent string) eventlog.Event {
		n++
		return eventlog.Event{At: at.Add(time.Duration(n) * time.Second), Kind: kind, CallID: call, Agent: agent,
			Source: eventlog.SourceACD, Key: fmt.Sprint("k", n), Payload: eventlog.Payload(map[string]int{"n": n})}
	}
	batch := []eventlog.Event{
		ev("agent.logged_in", "", "a1"),
		ev("agent.ready", "", "a1"),
		ev("call.offered", "done", ""),
		ev("call.queued", "done", ""),
		ev("call.offered", "open", ""),
		ev("call.queued", "open", ""),
		ev("agent.ringing", "done", "a1"),
		ev("call.ringing", "done", "a1"),
		ev("call.abandoned", "done", ""),
		ev("call.ended", "done", ""),
		ev("agent.ready", "", "a1"),
		ev("agent.not_ready", "", "a2"),
	}
	old := ev("call.offered", "stale", "")
	old.At = time.Now().Add(-48 * time.Hour)
	batch = append(batch, old)
	other := ev("ari.StasisStart", "open", "")
	other.Source = eventlog.SourceARI
	batch = append(batch, other)
	if err := (store.EventSink{DB: db}).Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := db.ACDOpenEvents(ctx, time.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range got {
		kinds = append(kinds, e.Kind+":"+e.CallID+e.Agent)
	}
	want := "[call.offered:open call.queued:open agent.ready:a1 agent.not_ready:a2]"
	if fmt.Sprint(kinds) != want {
		t.Fatalf("got %v\nwant %s", kinds, want)
	}
}
