package daemon_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// readyzCheck reports whether /readyz lists the check name with ok.
func (h *harness) readyzCheck(name string, ok bool) bool {
	resp, err := http.Get("http://" + h.cfg.Listen + "/readyz")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.Contains(string(b), `"name":"`+name+`","ok":`+strconv.FormatBool(ok))
}

// An event PostgreSQL refuses (the agent's pause_id "x\u0000y" of the report) left
// in the spill file by the last run: ccd starts, restores its queues (readyz
// waits for the acd check), writes the events around it and quarantines it.
func TestStartWithARefusedEventInTheSpillFile(t *testing.T) {
	h := newHarness(t)
	at := time.Now().UTC().Add(-time.Minute)
	events := []eventlog.Event{
		{At: at, Kind: "test.before", Source: eventlog.SourceAPI, Key: "before"},
		{At: at, Kind: "agent.paused", Agent: "x\x00y", Source: eventlog.SourceAPI, Key: "poison",
			Payload: json.RawMessage(`{"pause_id":"x\u0000y"}`)},
		{At: at, Kind: "test.after", Source: eventlog.SourceAPI, Key: "after"},
	}
	var spill []byte
	for _, e := range events {
		line, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		spill = append(append(spill, line...), '\n')
	}
	dir := filepath.Join(h.cfg.StateDir, "spill")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "events.jsonl"), spill, 0o600); err != nil {
		t.Fatal(err)
	}
	h.start()
	if h.count("test.before") != 1 || h.count("test.after") != 1 {
		t.Fatalf("events around the refused one: before %d, after %d", h.count("test.before"), h.count("test.after"))
	}
	var keys []string
	if err := h.db.Select(&keys, `SELECT key FROM event_quarantine`); err != nil || len(keys) != 1 || keys[0] != "poison" {
		t.Fatalf("quarantine holds %v (%v), want the refused event", keys, err)
	}
	if got := h.metric("ccd_eventlog_quarantined_total"); got != "1" {
		t.Fatalf("ccd_eventlog_quarantined_total = %q, want 1", got)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}

// While events cannot be written for longer than eventlog.unready_after, the
// eventlog check fails; it passes again once they are written.
func TestEventLogUnreadyWhileWritesFail(t *testing.T) {
	cluster, dsn := pgtest.NewCluster(t)
	h := newHarness(t)
	h.cfg.Database.URL = dsn
	h.cfg.EventLog.UnreadyAfter = 50 * time.Millisecond
	ctx := t.Context()
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	stop := daemontest.Start(t, h.cfg, nil, false)
	h.waitFor("AMI login", func() bool { return h.ami.Connections() == 1 })
	h.waitFor("readyz answering with the event log ready", func() bool { return h.readyzCheck("eventlog", true) })
	h.ami.Emit(ami.NewMessage("Event", "Hangup", "Channel", "PJSIP/1001-1", "Uniqueid", "u1", "Linkedid", "x", "Cause", "16"))
	h.waitFor("readyz naming the event log", func() bool { return h.readyzCheck("eventlog", false) })
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dsn, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h.db = db
	h.waitFor("the event in the database", func() bool { return h.count("pbx.hangup") == 1 })
	h.waitFor("the event log ready again", func() bool { return h.readyzCheck("eventlog", true) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
