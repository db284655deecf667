package webui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/store"
)

// fakeACD is an ACD with agent 1001 talking on call c1 (agent channel
// c1-1), 1002 logged out, and call c2 waiting; it records the supervisor's
// changes to waiting calls.
type fakeACD struct {
	mu      sync.Mutex
	agents  map[string]ccd.AgentStatus
	calls   []ccd.Call
	changes []string
}

func newFakeACD() *fakeACD {
	return &fakeACD{
		agents: map[string]ccd.AgentStatus{
			"1001": {ID: "1001", State: ccd.AgentOnCall, CallID: "c1"},
			"1002": {ID: "1002", State: ccd.AgentLoggedOut},
		},
		calls: []ccd.Call{
			{ID: "c1", State: ccd.CallConnected, Agent: "1001", Channel: "c1-1", Queue: "sales"},
			{ID: "c2", State: ccd.CallWaiting, Queue: "sales", CLID: "5550002", Priority: 5},
		},
	}
}

func (f *fakeACD) Login(context.Context, string, string) error       { return nil }
func (f *fakeACD) Logout(context.Context, string) error              { return nil }
func (f *fakeACD) Ready(context.Context, string) error               { return nil }
func (f *fakeACD) NotReady(context.Context, string, string) error    { return nil }
func (f *fakeACD) Queues(context.Context) ([]ccd.QueueStatus, error) { return nil, nil }
func (f *fakeACD) Hold(context.Context, string, bool) error          { return nil }
func (f *fakeACD) Transfer(context.Context, string, string, string) error {
	return nil
}

func (f *fakeACD) Agent(_ context.Context, id string) (ccd.AgentStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.agents[id]
	if !ok {
		return st, &ccd.Error{Code: ccd.ENOTFOUND, Message: "no agent " + id}
	}
	return st, nil
}

func (f *fakeACD) Agents(context.Context) ([]ccd.AgentStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return []ccd.AgentStatus{f.agents["1001"], f.agents["1002"]}, nil
}

func (f *fakeACD) Calls(context.Context) ([]ccd.Call, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ccd.Call(nil), f.calls...), nil
}

func (f *fakeACD) waiting(id string) error {
	for _, c := range f.calls {
		if c.ID == id && c.State == ccd.CallWaiting {
			return nil
		}
	}
	return &ccd.Error{Code: ccd.ECONFLICT, Message: "call " + id + " is not waiting"}
}

func (f *fakeACD) MoveWaiting(_ context.Context, id, queue, agent string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.waiting(id); err != nil {
		return err
	}
	f.changes = append(f.changes, "move "+id+" "+queue+agent)
	return nil
}

func (f *fakeACD) SetPriority(_ context.Context, id string, p int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.waiting(id); err != nil {
		return err
	}
	f.changes = append(f.changes, "priority "+id+" "+string(rune('0'+p)))
	return nil
}

// fakeSpy records what it was asked to snoop on.
type fakeSpy struct {
	mu   sync.Mutex
	asks []string
}

func (s *fakeSpy) Spy(_ context.Context, channel, mode, endpoint string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asks = append(s.asks, channel+" "+mode+" "+endpoint)
	return "spy-1-snoop", nil
}

// audits are the supervisor.action events so far, as "action call agent
// error?".
func (f *fixture) audits() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, ev := range f.events {
		if ev.Kind != ccd.EventSupervisorAction {
			continue
		}
		var p ccd.SupervisorAction
		_ = json.Unmarshal(ev.Payload, &p)
		line := p.Action + " " + ev.CallID + " " + ev.Agent + " " + p.By
		if p.Error != "" {
			line += " refused"
		}
		out = append(out, line)
	}
	return out
}

// A supervisor listens to, whispers to or barges into the call of an agent
// on a call: the agent's channel is snooped to the supervisor's configured
// phone, audited. An agent logged out is a 409 (audited as refused), a
// wrong mode a 400, an agent's session a 403.
func TestSupervisorSpy(t *testing.T) {
	acd, spy := newFakeACD(), &fakeSpy{}
	f := newFixtureCtl(t, nil, nil, acd, spy)
	sup := f.mustLogin("sue", supervisorPW)
	w := f.do("POST", "/ui/agents/1001/spy", sup, url.Values{"mode": {"barge"}}, sup.csrf)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"snoop":"spy-1-snoop"`) {
		t.Fatalf("barge: %d %s", w.Code, w.Body)
	}
	if strings.Join(spy.asks, ",") != "c1-1 barge PJSIP/2000" {
		t.Fatalf("snooped %v", spy.asks)
	}
	if w := f.do("POST", "/ui/agents/1002/spy", sup, url.Values{"mode": {"listen"}}, sup.csrf); w.Code != http.StatusConflict ||
		!strings.Contains(w.Body.String(), "logged out") {
		t.Fatalf("listen to a logged-out agent: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/ui/agents/1001/spy", sup, url.Values{"mode": {"spy"}}, sup.csrf); w.Code != 400 || !strings.Contains(w.Body.String(), `"field":"mode"`) {
		t.Fatalf("bad mode: %d %s", w.Code, w.Body)
	}
	// A typed phone must be a free extension (none are configured here):
	// never a trunk.
	if w := f.do("POST", "/ui/agents/1001/spy", sup, url.Values{"mode": {"listen"}, "endpoint": {"PJSIP/trunk/0900123"}}, sup.csrf); w.Code != http.StatusForbidden ||
		!strings.Contains(w.Body.String(), `"field":"endpoint"`) {
		t.Fatalf("a trunk as the supervisor's phone: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/ui/agents/1001/spy", sup, url.Values{"mode": {"listen"}}, ""); w.Code != http.StatusForbidden {
		t.Fatalf("without CSRF: %d", w.Code)
	}
	agent := f.mustLogin("1001", agentPW)
	if w := f.do("POST", "/ui/agents/1001/spy", agent, url.Values{"mode": {"listen"}}, agent.csrf); w.Code != http.StatusForbidden {
		t.Fatalf("an agent listens: %d", w.Code)
	}
	if got := strings.Join(f.audits(), ","); got != "barge c1 1001 supervisor:sue,listen  1002 supervisor:sue refused" {
		t.Fatalf("audit %q", got)
	}
	if len(spy.asks) != 1 {
		t.Fatalf("refused requests reached Asterisk: %v", spy.asks)
	}
}

// A supervisor transfers a waiting call to a queue or an agent and changes
// its priority, audited; a call no longer waiting is a 409; bad input a 400
// naming the field.
func TestSupervisorWaitingCalls(t *testing.T) {
	acd := newFakeACD()
	f := newFixtureCtl(t, nil, nil, acd, nil)
	sup := f.mustLogin("sue", supervisorPW)
	for _, c := range []struct {
		path  string
		form  url.Values
		code  int
		field string
	}{
		{"/ui/calls/c2/transfer", url.Values{}, 400, "queue"},
		{"/ui/calls/c2/transfer", url.Values{"queue": {"support"}, "agent": {"1001"}}, 400, "queue"},
		{"/ui/calls/c2/transfer", url.Values{"queue": {"support"}}, 200, ""},
		{"/ui/calls/c2/transfer", url.Values{"agent": {"1001"}}, 200, ""},
		{"/ui/calls/c1/transfer", url.Values{"queue": {"support"}}, 409, ""},
		{"/ui/calls/c2/priority", url.Values{"priority": {"0"}}, 400, "priority"},
		{"/ui/calls/c2/priority", url.Values{"priority": {"x"}}, 400, "priority"},
		{"/ui/calls/c2/priority", url.Values{"priority": {"2"}}, 200, ""},
		{"/ui/calls/gone/priority", url.Values{"priority": {"2"}}, 409, ""},
	} {
		w := f.do("POST", c.path, sup, c.form, sup.csrf)
		if w.Code != c.code || (c.field != "" && !strings.Contains(w.Body.String(), `"field":"`+c.field+`"`)) {
			t.Errorf("%s %v: %d %s, want %d naming %q", c.path, c.form, w.Code, w.Body, c.code, c.field)
		}
	}
	if got := strings.Join(acd.changes, ","); got != "move c2 support,move c2 1001,priority c2 2" {
		t.Fatalf("changes %q", got)
	}
	if got := strings.Join(f.audits(), ","); got != "transfer c2  supervisor:sue,transfer c2 1001 supervisor:sue,"+
		"transfer c1  supervisor:sue refused,priority c2  supervisor:sue,priority gone  supervisor:sue refused" {
		t.Fatalf("audit %q", got)
	}
}

// The live stream carries the calls not answered yet to supervisors (the
// calls grid), not to agents.
func TestLiveCallsForSupervisorsOnly(t *testing.T) {
	f := newFixtureCtl(t, &fakeRealtime{}, nil, newFakeACD(), nil)
	ts := httptest.NewServer(f.srv)
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go f.ui.Run(ctx)
	first := func(user, pw string) streamed { return nextStreamed(t, f.openEvents(ctx, ts.URL, user, pw)) }
	if got := first("sue", supervisorPW); len(got.Calls) != 1 || got.Calls[0].ID != "c2" || got.Calls[0].Priority != 5 {
		t.Fatalf("a supervisor's calls: %+v", got.Calls)
	}
	if got := first("1001", agentPW); got.Calls != nil {
		t.Fatalf("an agent sees the calls: %+v", got.Calls)
	}
}

// The live stream carries the dialer's campaign grid, counted from
// midnight, to supervisors and not to agents; it is read at most once a
// second however many snapshots go out.
func TestLiveCampaignsForSupervisorsOnly(t *testing.T) {
	hub := eventlog.NewHub()
	f := newFixture(t, &fakeRealtime{}, hub)
	f.st.setGrid(store.CampaignLine{ID: 7, Name: "Renewals", Queue: "support", Calls: 3})
	ts := httptest.NewServer(f.srv)
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go f.ui.Run(ctx)
	sup := f.openEvents(ctx, ts.URL, "sue", supervisorPW)
	calls := func(s streamed) int {
		if len(s.Campaigns) != 1 || s.Campaigns[0].ID != 7 {
			t.Fatalf("a supervisor's campaigns: %+v", s.Campaigns)
		}
		return s.Campaigns[0].Calls
	}
	if got := calls(nextStreamed(t, sup)); got != 3 {
		t.Fatalf("calls %d, want 3", got)
	}
	now := f.clock.Now().In(time.Local)
	if _, since := f.st.gridRead(); !since.Equal(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)) {
		t.Fatalf("counted since %s, want midnight", since)
	}

	// An event within the second: a new snapshot with the same reading.
	f.st.setGrid(store.CampaignLine{ID: 7, Name: "Renewals", Queue: "support", Calls: 4})
	hub.Publish([]eventlog.Event{{ID: 1, Kind: ccd.EventCallQueued}}, time.Now())
	if got := calls(nextStreamed(t, sup)); got != 3 {
		t.Fatalf("calls %d within the second, want the last reading, 3", got)
	}
	if reads, _ := f.st.gridRead(); reads != 1 {
		t.Fatalf("the grid was read %d times within a second", reads)
	}
	f.clock.Add(time.Second)
	hub.Publish([]eventlog.Event{{ID: 2, Kind: ccd.EventCallQueued}}, time.Now())
	if got := calls(nextStreamed(t, sup)); got != 4 {
		t.Fatalf("calls %d a second later, want 4", got)
	}
	if got := nextStreamed(t, f.openEvents(ctx, ts.URL, "1001", agentPW)); got.Campaigns != nil {
		t.Fatalf("an agent sees the campaigns: %+v", got.Campaigns)
	}
}
