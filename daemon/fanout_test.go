package daemon_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ccdhq/ccd/daemon"
	"github.com/ccdhq/ccd/eventlog"
)

// The running daemon hands what its event log commits to in-process
// subscribers, with the ids the log gave the events, and reports every
// consumer's lag: the statistics consumer catches up to 0.
func TestDaemonFansOutCommittedEvents(t *testing.T) {
	h := newHarness(t)
	hubs := make(chan *eventlog.Hub, 1)
	daemon.FanoutHook = func(hb *eventlog.Hub) { hubs <- hb }
	defer func() { daemon.FanoutHook = nil }()
	h.start()
	var hub *eventlog.Hub
	select {
	case hub = <-hubs:
	default:
		t.Fatal("the daemon did not hand out its hub")
	}
	if got := h.metric(`ccd_consumer_lag_events{consumer="stats"}`); got == "" {
		t.Fatal("no lag metric for the statistics consumer")
	}
	sub := hub.Subscribe(1000)
	defer sub.Close()
	if code, body := h.send("POST", "/api/agents/a1/login", ""); code != http.StatusOK {
		t.Fatalf("login: %d %s", code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var login eventlog.Event
	for login.ID == 0 {
		d, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("no login event fanned out: %v", err)
		}
		for _, e := range d.Events {
			if e.Agent == "a1" && e.ID != 0 {
				login = e
			}
		}
	}
	var kind string
	if err := h.db.Get(&kind, `SELECT kind FROM call_event WHERE id = $1`, login.ID); err != nil || kind != login.Kind {
		t.Fatalf("the fanned-out event %d (%s) is %q in the log, %v", login.ID, login.Kind, kind, err)
	}
	h.waitFor("the statistics consumer to catch up", func() bool {
		return h.metric(`ccd_consumer_lag_events{consumer="stats"}`) == "0" && h.metric(`ccd_consumer_lag_seconds{consumer="stats"}`) == "0"
	})
}
