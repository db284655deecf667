package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/store"
	"github.com/ccdhq/ccd/webui"
)

// The supervisor console's actions on waiting calls and on agents, driven
// through the routes the web interface uses (POST /ui/login, then the
// session cookie and X-CSRF-Token), against a real Asterisk. Queue supa
// needs skill a, queue supb skill b; agent 7101 serves only supb, agent
// 7102 only supa. Both phones are Local/7xxx@ccd-agents of ACDDialplan
// (ring 1 s, answer, talk 3 to 8 s); callers come in through ccd-inbound
// and listen in ccd-callers until ccd hangs up.

const (
	supDNISA  = "5553001" // routed to queue supa
	supAgentB = "7101"    // serves supb only
	supAgentA = "7102"    // serves supa only
)

func supervisorConfig() config.ACD {
	return config.ACD{
		Routes: []config.Route{{DNIS: supDNISA, Queue: "supa"}, {DNIS: "5553002", Queue: "supb"}},
		Queues: []config.Queue{
			{Code: "supa", Skills: map[string]int{"a": 1}, RingTimeout: 15 * time.Second, WrapUp: time.Second},
			{Code: "supb", Skills: map[string]int{"b": 1}, RingTimeout: 15 * time.Second, WrapUp: time.Second},
		},
		Agents: []config.Agent{
			{ID: supAgentB, Name: "Bea", Endpoint: "Local/" + supAgentB + "@ccd-agents", Skills: map[string]int{"b": 1}},
			{ID: supAgentA, Name: "Abe", Endpoint: "Local/" + supAgentA + "@ccd-agents", Skills: map[string]int{"a": 1}},
		},
		Activities: []config.Activity{{Code: "break", Name: "Break"}},
	}
}

// supervisorEnv is a running ccd with the supervisor queues, the test's
// AMI client and a supervisor logged in to the web interface.
type supervisorEnv struct {
	*env
	mc   *ami.Client
	sup  *consoleSession
	logs *logTap
}

func startSupervisorEnv(t *testing.T) *supervisorEnv {
	t.Helper()
	e := setup(t)
	mc := e.amiClient(t)
	e.checkDialplan(t, mc, "ccd-inbound", "ccd-agents", "ccd-callers")
	// A call of an earlier test may still be talking (up to 8 s) on an
	// agent's phone; neverOffered counts any channel to the phone as an
	// offer.
	waitFor(t, 30*time.Second, "no agent phone of an earlier test in Asterisk", func() bool {
		return len(e.phoneChannels(t, supAgentA))+len(e.phoneChannels(t, supAgentB)) == 0
	})
	e.cfg.ACD = supervisorConfig()
	e.cfg.API.Token = randomHex(16)
	logs := &logTap{}
	daemontest.Start(t, e.cfg, slog.New(logs.handler(slog.LevelWarn)), true)
	return &supervisorEnv{env: e, mc: mc, sup: e.supervisorSession(t), logs: logs}
}

// noWarnings fails the test on every warning or error ccd logged: an
// action Asterisk refused is logged, not answered to the supervisor.
func (e *supervisorEnv) noWarnings(t *testing.T) {
	t.Helper()
	for _, r := range e.logs.records() {
		t.Errorf("ccd logged %s: %s %v", r.level, r.msg, r.attrs)
	}
}

// consoleSession is a web interface session: its cookie in the jar and the
// CSRF token every change carries.
type consoleSession struct {
	client *http.Client
	base   string
	csrf   string
}

// supervisorSession creates a supervisor in ui_user, as `ccd user add
// -role supervisor` does, and logs in as the login form does.
func (e *env) supervisorSession(t *testing.T) *consoleSession {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	password := randomHex(12)
	hash, err := webui.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.PutUIUser(ctx, store.UIUser{Username: "sue", Role: "supervisor", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &consoleSession{client: &http.Client{Jar: jar, Timeout: 20 * time.Second}, base: "http://" + e.cfg.Listen}
	resp, err := s.client.PostForm(s.base+"/ui/login", url.Values{"username": {"sue"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var who struct {
		Kind string `json:"kind"`
		CSRF string `json:"csrf"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&who); err != nil || resp.StatusCode != http.StatusOK || who.CSRF == "" {
		t.Fatalf("POST /ui/login: %s %+v %v", resp.Status, who, err)
	}
	if who.Kind != string(ccd.Supervisor) {
		t.Fatalf("logged in as %q, want a supervisor", who.Kind)
	}
	s.csrf = who.CSRF
	return s
}

// post sends a console action and fails the test unless it answers 200.
func (s *consoleSession) post(t *testing.T, path string, form url.Values) {
	t.Helper()
	if status, body := s.send(t, path, form); status != http.StatusOK {
		t.Fatalf("POST %s %v: %d %s", path, form, status, body)
	}
}

// send sends a console action as the page does and returns the answer.
func (s *consoleSession) send(t *testing.T, path string, form url.Values) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", s.csrf)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// placeWaitingCaller calls queue supa's number and waits until ccd has
// queued the call there; it returns ccd's call id (the Stasis side of the
// Local channel). The caller is hung up when the test ends.
func (e *supervisorEnv) placeWaitingCaller(t *testing.T, n int) string {
	t.Helper()
	ctx := ctxT(t, time.Minute)
	id := uniq(fmt.Sprintf("itest-sup%d", n))
	t.Cleanup(func() { _ = e.ari.Channel(id).Hangup(ctxT(t, 5*time.Second), "normal") })
	// Originate returns once ccd answered the caller.
	resp, err := e.mc.Originate(ctx, ami.Action{Fields: []ami.Field{
		{Key: "Channel", Value: "Local/" + supDNISA + "@ccd-inbound"},
		{Key: "Context", Value: "ccd-callers"}, {Key: "Exten", Value: "talk"}, {Key: "Priority", Value: "1"},
		{Key: "CallerID", Value: fmt.Sprintf(`"Caller %d" <555300%d>`, n, n)},
		{Key: "ChannelId", Value: id}, {Key: "Timeout", Value: "30000"},
	}})
	if err != nil {
		t.Fatalf("originate caller %s: %v (%v)", id, err, resp)
	}
	call := id + ";2"
	e.waitACD(t, "call "+call+" queued in supa", func(ev eventlog.Event) bool {
		return ev.Kind == string(ccd.EventCallQueued) && ev.CallID == call && ev.Queue == "supa"
	})
	return call
}

// waitACD waits (generously: a real Asterisk under a loaded machine) for
// an event of the log matching match, and returns it.
func (e *env) waitACD(t *testing.T, what string, match func(eventlog.Event) bool) eventlog.Event {
	t.Helper()
	var found eventlog.Event
	waitFor(t, 45*time.Second, what, func() bool {
		evs, err := e.db.Events(context.Background(), store.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(evs, match)
		if i >= 0 {
			found = evs[i]
		}
		return i >= 0
	})
	return found
}

// eventsWhere are the log's events matching match, in log order.
func (e *env) eventsWhere(t *testing.T, match func(eventlog.Event) bool) []eventlog.Event {
	t.Helper()
	evs, err := e.db.Events(context.Background(), store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(evs, func(ev eventlog.Event) bool { return !match(ev) })
}

func callEvent(kind ccd.EventKind, call string) func(eventlog.Event) bool {
	return func(ev eventlog.Event) bool { return ev.Kind == string(kind) && ev.CallID == call }
}

func agentEvent(kind, agent string) func(eventlog.Event) bool {
	return func(ev eventlog.Event) bool { return ev.Kind == kind && ev.Agent == agent }
}

// answeredBy waits until agent answers call and checks Asterisk's own
// view of it: the agent's channel and the caller's in ccd's bridge.
func (e *supervisorEnv) answeredBy(t *testing.T, call, agent string) {
	t.Helper()
	ringing := e.waitACD(t, "call "+call+" ringing", callEvent(ccd.EventCallRinging, call))
	if ringing.Agent != agent {
		t.Fatalf("call %s rang agent %q, want %s", call, ringing.Agent, agent)
	}
	answered := e.waitACD(t, "call "+call+" answered", callEvent(ccd.EventCallAnswered, call))
	if answered.Agent != agent {
		t.Fatalf("call %s answered by agent %q, want %s", call, answered.Agent, agent)
	}
	agentCh, _ := payloadOf(t, answered)["channel"].(string)
	if agentCh == "" {
		t.Fatalf("call.answered without the agent's channel: %s", answered.Payload)
	}
	e.bridged(t, call, agentCh)
}

// bridged checks through ARI (GET /bridges) that one bridge holds both
// channels. The agent's phone talks at least 3 s, long enough to see it.
func (e *env) bridged(t *testing.T, a, b string) {
	t.Helper()
	ctx := ctxT(t, 10*time.Second)
	poll(t, a+" and "+b+" in one bridge", func() bool {
		bs, err := e.ari.ListBridges(ctx)
		if err != nil {
			return false
		}
		for _, br := range bs {
			if slices.Contains(br.Channels, a) && slices.Contains(br.Channels, b) {
				return true
			}
		}
		return false
	})
}

// neverOffered checks, over a few seconds, that ccd does not ring agent
// for call: no call.ringing in the log and no channel to the agent's phone
// in Asterisk, while the caller stays up waiting.
func (e *supervisorEnv) neverOffered(t *testing.T, call, agent string) {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		if evs := e.eventsWhere(t, callEvent(ccd.EventCallRinging, call)); len(evs) > 0 {
			t.Fatalf("call %s rang agent %s", call, evs[0].Agent)
		}
		if chans := e.phoneChannels(t, agent); len(chans) > 0 {
			t.Fatalf("Asterisk has a channel to agent %s's phone: %s", agent, chans)
		}
	}
	if ch, err := e.ari.Channel(call).Get(ctx); err != nil || ch.State != "Up" {
		t.Fatalf("caller %s no longer waiting: %+v %v", call, ch, err)
	}
}

// phoneChannels are the names of Asterisk's channels to agent's phone.
func (e *env) phoneChannels(t *testing.T, agent string) []string {
	t.Helper()
	chans, err := e.ari.ListChannels(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ch := range chans {
		if strings.HasPrefix(ch.Name, "Local/"+agent+"@ccd-agents") {
			names = append(names, ch.Name)
		}
	}
	return names
}

func (e *supervisorEnv) agentState(t *testing.T, agent string) string {
	t.Helper()
	for _, st := range e.agentStates(t, ctxT(t, 10*time.Second)) {
		if st.ID == agent {
			return st.State
		}
	}
	t.Fatalf("no agent %s in GET /api/agents", agent)
	return ""
}

// forced checks the audit of a supervisor's action on an agent: done, by
// the logged-in supervisor.
func (e *supervisorEnv) forced(t *testing.T, agent, action string) {
	t.Helper()
	ev := e.waitACD(t, "supervisor.forced "+action+" of "+agent, func(ev eventlog.Event) bool {
		return ev.Kind == string(ccd.EventAgentForced) && ev.Agent == agent && payloadOf(t, ev)["action"] == action
	})
	if p := payloadOf(t, ev); p["by"] != "supervisor:sue" || p["error"] != nil {
		t.Fatalf("supervisor.forced %s", ev.Payload)
	}
}

// A call waiting in supa, which no agent serves, moved by the supervisor
// to supb: it is queued there, agent 7101 rings and answers, and the
// caller and the agent talk in one bridge.
func TestSupervisorMovesWaitingCallToQueue(t *testing.T) {
	e := startSupervisorEnv(t)
	e.agentRequest(t, ctxT(t, 10*time.Second), supAgentB, "login")
	call := e.placeWaitingCaller(t, 1)
	e.neverOffered(t, call, supAgentB)

	e.sup.post(t, "/ui/calls/"+url.PathEscape(call)+"/transfer", url.Values{"queue": {"supb"}})
	moved := e.waitACD(t, "call queued in supb", func(ev eventlog.Event) bool {
		return callEvent(ccd.EventCallQueued, call)(ev) && ev.Queue == "supb"
	})
	if p := payloadOf(t, moved); p["reason"] != acd.ReasonSupervisor || p["from"] != "supa" {
		t.Fatalf("call.queued in supb: %s", moved.Payload)
	}
	e.answeredBy(t, call, supAgentB)
	action := e.waitACD(t, "supervisor.action transfer", callEvent(ccd.EventSupervisorAction, call))
	if p := payloadOf(t, action); p["action"] != "transfer" || p["to_queue"] != "supb" || p["error"] != nil {
		t.Fatalf("supervisor.action %s", action.Payload)
	}
	ended := e.waitACD(t, "call ended", callEvent(ccd.EventCallEnded, call))
	if s := payloadOf(t, ended)["summary"].(map[string]any); s["end_type"] != float64(acd.EndTalked) || s["queue"] != "supb" || s["agent"] != supAgentB {
		t.Fatalf("call.ended %s", ended.Payload)
	}
	e.movedCallCounted(t, call)
	e.noWarnings(t)
}

// movedCallCounted checks the statistics of a call moved from supa to supb
// and answered there, as a BI tool reads them over REST: its CallsStat row
// names both queues and the agent, and supb's DeviceStat counts it
// answered. The live aggregator follows the event log within its interval.
func (e *supervisorEnv) movedCallCounted(t *testing.T, call string) {
	t.Helper()
	ctx := ctxT(t, time.Minute)
	var row map[string]any
	waitFor(t, 30*time.Second, "the CallsStat row of "+call, func() bool {
		for _, r := range e.statRows(t, ctx, "callsstat", nil) {
			if r["ucid"] == call {
				row = r
			}
		}
		return row != nil
	})
	if row["initial_queue_code"] != "supa" || row["handled_on_queue_code"] != "supb" || row["agent_id"] != supAgentB ||
		row["endtype"] != float64(acd.EndTalked) {
		t.Errorf("CallsStat row of the moved call: %v", row)
	}
	answered := 0
	for _, r := range e.statRows(t, ctx, "devicestat", url.Values{"queue": {"supb"}}) {
		n, _ := r["answered"].(float64)
		answered += int(n)
	}
	if answered != 1 {
		t.Errorf("queue supb DeviceStat answered %d, want 1", answered)
	}
}

// A call waiting in supa rung at a ready agent the supervisor picks, who
// does not serve supa: the agent answers.
func TestSupervisorMovesWaitingCallToAgent(t *testing.T) {
	e := startSupervisorEnv(t)
	e.agentRequest(t, ctxT(t, 10*time.Second), supAgentB, "login")
	call := e.placeWaitingCaller(t, 1)

	e.sup.post(t, "/ui/calls/"+url.PathEscape(call)+"/transfer", url.Values{"agent": {supAgentB}})
	e.answeredBy(t, call, supAgentB)
	action := e.waitACD(t, "supervisor.action transfer", callEvent(ccd.EventSupervisorAction, call))
	if p := payloadOf(t, action); p["action"] != "transfer" || p["to_agent"] != supAgentB || p["error"] != nil {
		t.Fatalf("supervisor.action %s", action.Payload)
	}
	e.noWarnings(t)
}

// Two callers wait in supa; the supervisor raises the later one to
// priority 1; when supa's agent becomes ready it rings for that one
// first, then, after the call and its wrap-up, for the other.
func TestSupervisorRaisesPriority(t *testing.T) {
	e := startSupervisorEnv(t)
	e.agentRequest(t, ctxT(t, 10*time.Second), supAgentA, "login")
	e.sup.post(t, "/ui/agents/"+supAgentA+"/not_ready", url.Values{"activity": {"break"}})
	first := e.placeWaitingCaller(t, 1)
	later := e.placeWaitingCaller(t, 2)

	e.sup.post(t, "/ui/calls/"+url.PathEscape(later)+"/priority", url.Values{"priority": {"1"}})
	raised := e.waitACD(t, "call.priority", callEvent(ccd.EventCallPriority, later))
	if p := payloadOf(t, raised); p["priority"] != float64(1) {
		t.Fatalf("call.priority %s", raised.Payload)
	}
	e.sup.post(t, "/ui/agents/"+supAgentA+"/ready", nil)

	e.answeredBy(t, later, supAgentA)
	rang := e.eventsWhere(t, func(ev eventlog.Event) bool { return ev.Kind == string(ccd.EventCallRinging) && ev.Agent == supAgentA })
	if len(rang) == 0 || rang[0].CallID != later {
		var order []string
		for _, ev := range rang {
			order = append(order, ev.CallID)
		}
		t.Fatalf("agent %s rang for %v in this order, want %s first", supAgentA, order, later)
	}
	e.answeredBy(t, first, supAgentA)
	e.noWarnings(t)
}

// The supervisor forces supa's only agent not ready while a caller waits:
// the call is not offered to it; forced ready, the agent rings and
// answers; forced to log out, the next caller waits unoffered.
func TestSupervisorForcesAgentStates(t *testing.T) {
	e := startSupervisorEnv(t)
	e.agentRequest(t, ctxT(t, 10*time.Second), supAgentA, "login")
	e.sup.post(t, "/ui/agents/"+supAgentA+"/not_ready", url.Values{"activity": {"break"}})
	e.forced(t, supAgentA, "not_ready")
	notReady := e.waitACD(t, "agent.not_ready", agentEvent("agent.not_ready", supAgentA))
	if p := payloadOf(t, notReady); p["activity"] != "break" {
		t.Fatalf("agent.not_ready %s", notReady.Payload)
	}

	call := e.placeWaitingCaller(t, 1)
	e.neverOffered(t, call, supAgentA)
	// Not even rung at the agent by name while not ready.
	if status, body := e.sup.send(t, "/ui/calls/"+url.PathEscape(call)+"/transfer", url.Values{"agent": {supAgentA}}); status != http.StatusConflict {
		t.Fatalf("transfer to the not-ready agent: %d %s, want 409", status, body)
	}
	e.neverOffered(t, call, supAgentA)
	if st := e.agentState(t, supAgentA); st != acd.NotReady {
		t.Fatalf("agent %s is %s, want not_ready", supAgentA, st)
	}

	e.sup.post(t, "/ui/agents/"+supAgentA+"/ready", nil)
	e.forced(t, supAgentA, "ready")
	e.answeredBy(t, call, supAgentA)
	e.waitACD(t, "call ended", callEvent(ccd.EventCallEnded, call))
	waitFor(t, 30*time.Second, "agent ready after wrap-up", func() bool { return e.agentState(t, supAgentA) == acd.Ready })

	e.sup.post(t, "/ui/agents/"+supAgentA+"/logout", nil)
	e.forced(t, supAgentA, "logout")
	e.waitACD(t, "agent.logged_out", agentEvent("agent.logged_out", supAgentA))
	next := e.placeWaitingCaller(t, 2)
	e.neverOffered(t, next, supAgentA)
	if st := e.agentState(t, supAgentA); st != acd.LoggedOut {
		t.Fatalf("agent %s is %s, want logged_out", supAgentA, st)
	}
	// Only agents log themselves in: a logged-out agent cannot be forced
	// ready.
	if status, body := e.sup.send(t, "/ui/agents/"+supAgentA+"/ready", nil); status != http.StatusConflict {
		t.Fatalf("forcing the logged-out agent ready: %d %s, want 409", status, body)
	}
	e.neverOffered(t, next, supAgentA)
	e.noWarnings(t)
}
