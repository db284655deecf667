package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd"
)

// statRows reads a statistics table over the REST API, from a day before to a
// day after now (the test may run across midnight), narrowed by query.
func (e *env) statRows(t *testing.T, ctx context.Context, table string, query url.Values) []map[string]any {
	t.Helper()
	if query == nil {
		query = url.Values{}
	}
	now := time.Now()
	query.Set("from", now.Add(-24*time.Hour).Format(time.RFC3339))
	query.Set("to", now.Add(24*time.Hour).Format(time.RFC3339))
	resp := e.api(t, ctx, http.MethodGet, "/api/stats/"+table+"?"+query.Encode())
	defer resp.Body.Close()
	var answer struct {
		Rows []map[string]any `json:"rows"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/stats/%s: %s", table, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatalf("GET /api/stats/%s: %v", table, err)
	}
	return answer.Rows
}

// checkStats checks the statistics of TestACDLoad's calls as a supervisor or
// a BI tool reads them over REST: one CallsStat row per caller, ended as it
// was, and each queue's DeviceStat and the agents' AgentStat adding up to the
// calls. The live aggregator follows the event log within its interval.
func (e *env) checkStats(t *testing.T, ctx context.Context, callers []testCaller) {
	t.Helper()
	type want struct{ offered, answered, abandoned int }
	queues := map[string]*want{}
	byID := map[string]testCaller{}
	for _, c := range callers {
		byID[c.callID] = c
		w := queues[c.queue]
		if w == nil {
			w = &want{}
			queues[c.queue] = w
		}
		w.offered++
		if c.abandon {
			w.abandoned++
		} else {
			w.answered++
		}
	}
	var calls []map[string]any
	waitFor(t, 30*time.Second, "a CallsStat row for every caller", func() bool {
		calls = e.statRows(t, ctx, "callsstat", nil)
		return len(calls) >= len(callers)
	})
	seen := map[string]bool{}
	for _, r := range calls {
		id, _ := r["ucid"].(string)
		c, ok := byID[id]
		if !ok {
			t.Errorf("CallsStat row of a call the test did not place: %v", r)
			continue
		}
		if seen[id] {
			t.Errorf("call %s has two CallsStat rows", id)
		}
		seen[id] = true
		end, _ := r["endtype"].(float64)
		switch {
		case c.abandon && end != acd.EndAbandoned:
			t.Errorf("call %s gave up waiting: endtype %v, want %d", id, r["endtype"], acd.EndAbandoned)
		case !c.abandon && (end != acd.EndTalked || r["agent_id"] == nil || r["answeredts"] == nil):
			t.Errorf("call %s talked: endtype %v, agent %v, answered %v", id, r["endtype"], r["agent_id"], r["answeredts"])
		}
		if r["handled_on_queue_code"] != c.queue || r["initial_queue_code"] != c.queue {
			t.Errorf("call %s: queues %v → %v, want %s", id, r["initial_queue_code"], r["handled_on_queue_code"], c.queue)
		}
	}

	sum := func(rows []map[string]any, col string) int {
		n := 0
		for _, r := range rows {
			v, _ := r[col].(float64)
			n += int(v)
		}
		return n
	}
	answered := 0
	for q, w := range queues {
		rows := e.statRows(t, ctx, "devicestat", url.Values{"queue": {q}})
		got := want{sum(rows, "offered"), sum(rows, "answered"), sum(rows, "abandoned")}
		if got != *w {
			t.Errorf("queue %s DeviceStat: offered/answered/abandoned %v, want %v", q, got, *w)
		}
		answered += w.answered
	}
	if n := sum(e.statRows(t, ctx, "agentstat", nil), "acdanswered"); n != answered {
		t.Errorf("AgentStat: agents answered %d calls, want %d", n, answered)
	}
	if t.Failed() {
		for _, r := range calls {
			t.Logf("callsstat %s", fmt.Sprint(r))
		}
	}
}
