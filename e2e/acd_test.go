package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/store"
)

// ACDDialplan is what TestACDLoad needs in Asterisk's extensions.conf (then
// `asterisk -rx 'dialplan reload'`). Agents are Local channels, since a test
// machine has no SIP phones: an agent's "phone" rings for a second, answers,
// talks 3 to 8 seconds and hangs up. Callers are Local channels too: one half
// enters ccd through ccd-inbound (as a DID would), the other half is the
// caller's own phone in ccd-callers, which either listens until ccd hangs up
// or gives up 2 s after ccd answered.
const ACDDialplan = `[ccd-inbound]
exten => _X.,1,Stasis(ccd,inbound,${EXTEN})
 same => n,Hangup()

[ccd-agents]
; An agent's phone: rings 1 s, answers, talks 3 to 8 s, hangs up.
exten => _7XXX,1,Ringing()
 same => n,Wait(1)
 same => n,Answer()
 same => n,Wait(${RAND(3,8)})
 same => n,Hangup()

[ccd-callers]
; The caller's own side of a call into ccd-inbound, once ccd has answered it:
; "talk" stays until ccd hangs up, "abandon" gives up after 2 s.
exten => talk,1,Wait(600)
 same => n,Hangup()
exten => abandon,1,Wait(2)
 same => n,Hangup()
`

// The numbers TestACDLoad's callers dial, routed to the queues of the same
// names.
const (
	dnisSales   = "5551000"
	dnisSupport = "5552000"
)

// acdAgents are TestACDLoad's agents. Sales needs sales level 3, so agent
// 7004 (sales 2) must never get a sales call: selection by level is checked
// too.
var acdAgents = []config.Agent{
	{ID: "7001", Name: "Ann", Endpoint: "Local/7001@ccd-agents", Skills: map[string]int{"sales": 5}},
	{ID: "7002", Name: "Bob", Endpoint: "Local/7002@ccd-agents", Skills: map[string]int{"sales": 3, "support": 3}},
	{ID: "7003", Name: "Cid", Endpoint: "Local/7003@ccd-agents", Skills: map[string]int{"support": 4}},
	{ID: "7004", Name: "Dee", Endpoint: "Local/7004@ccd-agents", Skills: map[string]int{"sales": 2, "support": 6}},
	{ID: "7005", Name: "Eve", Endpoint: "Local/7005@ccd-agents", Skills: map[string]int{"sales": 4, "support": 2}},
}

func acdConfig() config.ACD {
	return config.ACD{
		Routes: []config.Route{{DNIS: dnisSales, Queue: "sales"}, {DNIS: dnisSupport, Queue: "support"}},
		Queues: []config.Queue{
			{Code: "sales", Skills: map[string]int{"sales": 3}, Record: true, RingTimeout: 15 * time.Second, WrapUp: time.Second},
			{Code: "support", Skills: map[string]int{"support": 1}, Record: true, RingTimeout: 15 * time.Second, WrapUp: 2 * time.Second},
		},
		Agents: acdAgents,
	}
}

// testCaller is one caller TestACDLoad places.
type testCaller struct {
	origID  string // ChannelId of the originated Local channel (the caller's phone side)
	callID  string // the Stasis side, ccd's call id: origID + ";2"
	queue   string
	abandon bool
}

// TestACDLoad runs ccd's ACD against a real Asterisk: two queues with
// different skills, five agents whose phones are Local channels, 17 callers
// who are answered and 3 who hang up while every agent is busy. It needs the
// dialplan in ACDDialplan:
//
//	[ccd-inbound]
//	exten => _X.,1,Stasis(ccd,inbound,${EXTEN})
//	 same => n,Hangup()
//
//	[ccd-agents]
//	exten => _7XXX,1,Ringing()
//	 same => n,Wait(1)
//	 same => n,Answer()
//	 same => n,Wait(${RAND(3,8)})
//	 same => n,Hangup()
//
//	[ccd-callers]
//	exten => talk,1,Wait(600)
//	 same => n,Hangup()
//	exten => abandon,1,Wait(2)
//	 same => n,Hangup()
func TestACDLoad(t *testing.T) {
	if os.Getenv("CCD_ASTERISK_TEST") != "1" {
		t.Skip("real-Asterisk ACD test skipped: set CCD_ASTERISK_TEST=1 and the CCD_ARI_*/CCD_AMI_* credentials, " +
			"with this in Asterisk's extensions.conf:\n" + ACDDialplan)
	}
	e := setup(t)
	mc := e.amiClient(t)
	e.checkDialplan(t, mc, "ccd-inbound", "ccd-agents", "ccd-callers")

	e.cfg.ACD = acdConfig()
	e.cfg.API.Token = randomHex(16)
	logs := &logTap{}
	daemontest.Start(t, e.cfg, slog.New(logs.handler(slog.LevelWarn)), true)
	ctx := ctxT(t, 5*time.Minute)

	for _, ag := range acdAgents {
		e.agentRequest(t, ctx, ag.ID, "login")
	}

	run := uniq("itest-acd")
	var callers []testCaller
	add := func(queue string, abandon bool) {
		id := fmt.Sprintf("%s-%02d", run, len(callers)+1)
		callers = append(callers, testCaller{origID: id, callID: id + ";2", queue: queue, abandon: abandon})
	}
	for i := range 17 {
		add([]string{"sales", "support"}[i%2], false)
	}
	// The first 17 fill every agent and leave a dozen callers waiting; the
	// 3 who give up come after all of them, so no agent can reach them within
	// their 2 seconds (an agent is busy at least 1 s ringing + 3 s talking +
	// wrap-up, and takes the oldest call of its queues first).
	first := len(callers)
	add("sales", true)
	add("support", true)
	add("sales", true)

	var wg sync.WaitGroup
	errs := make(chan error, len(callers))
	place := func(c testCaller, n int) {
		defer wg.Done()
		dnis, exten := dnisSales, "talk"
		if c.queue == "support" {
			dnis = dnisSupport
		}
		if c.abandon {
			exten = "abandon"
		}
		// Originate waits for the answer, which ccd gives at once.
		resp, err := mc.Originate(ctx, ami.Action{Fields: []ami.Field{
			{Key: "Channel", Value: "Local/" + dnis + "@ccd-inbound"},
			{Key: "Context", Value: "ccd-callers"}, {Key: "Exten", Value: exten}, {Key: "Priority", Value: "1"},
			{Key: "CallerID", Value: fmt.Sprintf(`"Caller %02d" <55590%02d>`, n, n)},
			{Key: "ChannelId", Value: c.origID}, {Key: "Timeout", Value: "30000"},
		}})
		if err != nil {
			errs <- fmt.Errorf("originate caller %s: %v (%v)", c.origID, err, resp)
		}
	}
	for i, c := range callers[:first] {
		wg.Add(1)
		go place(c, i+1)
	}
	// Wait until no agent is ready (all ringing or talking) before the
	// abandoning callers come in.
	waitFor(t, time.Minute, "every agent busy", func() bool {
		for _, st := range e.agentStates(t, ctx) {
			if st.State == acd.Ready {
				return false
			}
		}
		return true
	})
	for i, c := range callers[first:] {
		wg.Add(1)
		go place(c, first+i+1)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}

	// Every caller's call ends; then every agent is ready again after its
	// wrap-up.
	ids := map[string]testCaller{}
	for _, c := range callers {
		ids[c.callID] = c
	}
	waitFor(t, 4*time.Minute, "every call ended in the event log", func() bool {
		n := 0
		for _, ev := range e.acdEvents(t, ctx, "call.ended") {
			if _, ok := ids[ev.CallID]; ok {
				n++
			}
		}
		return n >= len(callers)
	})
	waitFor(t, time.Minute, "every agent ready after wrap-up", func() bool {
		for _, st := range e.agentStates(t, ctx) {
			if st.State != acd.Ready {
				return false
			}
		}
		return true
	})

	// The API answers from the ACD's memory; the event log follows within a
	// flush interval.
	waitFor(t, 30*time.Second, "every agent's last event agent.ready", func() bool {
		last := map[string]string{}
		for _, ev := range e.acdEvents(t, ctx, "") {
			if strings.HasPrefix(ev.Kind, "agent.") {
				last[ev.Agent] = ev.Kind
			}
		}
		for _, ag := range acdAgents {
			if last[ag.ID] != "agent.ready" {
				return false
			}
		}
		return true
	})
	evs := e.acdEvents(t, ctx, "")
	defer func() {
		if t.Failed() {
			for _, ev := range evs {
				t.Logf("%s %-16s call=%s agent=%s queue=%s %s", ev.At.Format("15:04:05.000"), ev.Kind, ev.CallID, ev.Agent, ev.Queue, ev.Payload)
			}
		}
	}()
	checkCalls(t, evs, callers)
	checkAgents(t, evs)
	e.checkRecordings(t, ctx, evs, callers)
	e.checkStats(t, ctx, callers)
	for _, r := range logs.records() {
		// Every refusal by Asterisk is a mismatch between what the queue
		// application assumes and what Asterisk does.
		t.Errorf("ccd logged %s: %s %v", r.level, r.msg, r.attrs)
	}
}

// checkCalls checks each caller's record: one end, of the right type, by an
// agent who has the queue's skill.
func checkCalls(t *testing.T, evs []eventlog.Event, callers []testCaller) {
	t.Helper()
	skilled := map[string]map[string]bool{}
	for _, q := range acdConfig().Queues {
		skilled[q.Code] = map[string]bool{}
		for _, ag := range acdAgents {
			ok := true
			for s, min := range q.Skills {
				ok = ok && ag.Skills[s] >= min
			}
			skilled[q.Code][ag.ID] = ok
		}
	}
	byCall := map[string][]eventlog.Event{}
	for _, ev := range evs {
		byCall[ev.CallID] = append(byCall[ev.CallID], ev)
	}
	answered := 0
	for _, c := range callers {
		var ends, answers []eventlog.Event
		for _, ev := range byCall[c.callID] {
			switch ev.Kind {
			case "call.ended":
				ends = append(ends, ev)
			case "call.answered":
				answers = append(answers, ev)
			case "call.returned":
				t.Errorf("caller %s returned from agent %s: %s", c.callID, ev.Agent, ev.Payload)
			}
		}
		if len(ends) != 1 {
			t.Errorf("caller %s: %d call.ended events, want 1", c.callID, len(ends))
			continue
		}
		var p struct{ Summary acd.Call }
		if err := json.Unmarshal(ends[0].Payload, &p); err != nil {
			t.Fatalf("call.ended payload: %v: %s", err, ends[0].Payload)
		}
		s := p.Summary
		want := acd.EndTalked
		if c.abandon {
			want = acd.EndAbandoned
		}
		if s.EndType != want {
			t.Errorf("caller %s (abandon %v): end_type %d, want %d", c.callID, c.abandon, s.EndType, want)
		}
		if s.InitialQueue != c.queue || s.Queue != c.queue {
			t.Errorf("caller %s: queues %q/%q, want %q", c.callID, s.InitialQueue, s.Queue, c.queue)
		}
		if c.abandon {
			if len(answers) != 0 || s.Offers != 0 {
				t.Errorf("abandoning caller %s was offered %d times, answered %d times", c.callID, s.Offers, len(answers))
			}
			continue
		}
		answered++
		if len(answers) != 1 || answers[0].Agent != s.Agent {
			t.Errorf("caller %s: %d answers, summary agent %q", c.callID, len(answers), s.Agent)
			continue
		}
		if !skilled[c.queue][s.Agent] {
			t.Errorf("caller %s of queue %s answered by agent %s, who lacks the queue's skill", c.callID, c.queue, s.Agent)
		}
		if s.AnsweredAt.IsZero() || s.EndedAt.Before(s.AnsweredAt.Add(2*time.Second)) {
			// The agent's phone talks at least 3 s.
			t.Errorf("caller %s: answered %s, ended %s: too short a talk", c.callID, s.AnsweredAt, s.EndedAt)
		}
	}
	if answered != 17 {
		t.Errorf("%d callers answered, want 17", answered)
	}
}

// checkAgents follows every agent's states through the event log: an agent
// rings only when ready, and every call is followed by wrap-up and ready, so
// no agent ever has two calls at once.
func checkAgents(t *testing.T, evs []eventlog.Event) {
	t.Helper()
	next := map[string][]string{ // allowed transitions during the test
		acd.LoggedOut: {acd.Ready},
		acd.Ready:     {acd.Ringing},
		acd.Ringing:   {acd.OnCall},
		acd.OnCall:    {acd.WrapUp},
		acd.WrapUp:    {acd.Ready},
	}
	state := map[string]string{}
	current := map[string]string{} // agent -> call ringing or connected
	calls := map[string]int{}
	var wrapUps, readies int
	for _, ev := range evs {
		st, ok := strings.CutPrefix(ev.Kind, "agent.")
		if !ok || st == "logged_in" {
			continue
		}
		prev, seen := state[ev.Agent]
		if !seen {
			prev = acd.LoggedOut
		}
		if !slices.Contains(next[prev], st) {
			t.Errorf("%s agent %s: %s -> %s (call %s)", ev.At.Format("15:04:05.000"), ev.Agent, prev, st, ev.CallID)
		}
		state[ev.Agent] = st
		switch st {
		case acd.Ringing:
			if c := current[ev.Agent]; c != "" {
				t.Errorf("agent %s rings for %s while on %s", ev.Agent, ev.CallID, c)
			}
			current[ev.Agent] = ev.CallID
			calls[ev.Agent]++
		case acd.OnCall:
			if current[ev.Agent] != ev.CallID {
				t.Errorf("agent %s answers %s, rang for %s", ev.Agent, ev.CallID, current[ev.Agent])
			}
		case acd.WrapUp:
			wrapUps++
			current[ev.Agent] = ""
		case acd.Ready:
			readies++
		}
	}
	if wrapUps < 17 || readies < 17+len(acdAgents) {
		t.Errorf("%d agent.wrap_up and %d agent.ready events, want at least 17 and %d", wrapUps, readies, 17+len(acdAgents))
	}
	t.Logf("calls per agent: %v", calls)

	// The same from the calls' side: per agent, the time from ringing to the
	// end of one call never overlaps another's.
	type span struct {
		call     string
		from, to time.Time
	}
	spans := map[string][]span{}
	ringing := map[string]eventlog.Event{}
	for _, ev := range evs {
		switch ev.Kind {
		case "call.ringing":
			ringing[ev.CallID] = ev
		case "call.ended":
			if r, ok := ringing[ev.CallID]; ok && ev.Agent == r.Agent {
				spans[ev.Agent] = append(spans[ev.Agent], span{ev.CallID, r.At, ev.At})
			}
		}
	}
	for agent, ss := range spans {
		sort.Slice(ss, func(i, j int) bool { return ss[i].from.Before(ss[j].from) })
		for i := 1; i < len(ss); i++ {
			if ss[i].from.Before(ss[i-1].to) {
				t.Errorf("agent %s: call %s (from %s) overlaps call %s (until %s)", agent, ss[i].call,
					ss[i].from.Format("15:04:05.000"), ss[i-1].call, ss[i-1].to.Format("15:04:05.000"))
			}
		}
	}
}

// checkRecordings checks that every answered call has a recording with audio
// past the 44-byte WAV header, read through ARI (Asterisk's recording spool)
// and, when that spool is on this machine, from the file itself.
func (e *env) checkRecordings(t *testing.T, ctx context.Context, evs []eventlog.Event, callers []testCaller) {
	t.Helper()
	names := map[string]string{}
	for _, ev := range evs {
		if ev.Kind == "call.recording" {
			var p acd.Data
			if err := json.Unmarshal(ev.Payload, &p); err != nil {
				t.Fatal(err)
			}
			names[ev.CallID] = p.Recording
		}
	}
	const spool = "/var/spool/asterisk/recording"
	_, statErr := os.Stat(spool)
	for _, c := range callers {
		name := names[c.callID]
		if c.abandon {
			if name != "" {
				t.Errorf("abandoned caller %s has a recording %q", c.callID, name)
			}
			continue
		}
		if name == "" {
			t.Errorf("answered caller %s has no call.recording event", c.callID)
			continue
		}
		rec := e.ari.StoredRecording(name)
		// The recording is closed when ccd destroys the call's bridge, just
		// after call.ended.
		waitFor(t, 20*time.Second, "recording "+name+" with audio", func() bool {
			b, err := rec.Bytes(ctx)
			return err == nil && len(b) > 44
		})
		if statErr == nil {
			fi, err := os.Stat(filepath.Join(spool, name+".wav"))
			if !os.IsPermission(err) && (err != nil || fi.Size() <= 44) {
				t.Errorf("recording %s on disk: %v, %d bytes", name, err, sizeOf(fi))
			}
		}
		if !t.Failed() {
			_ = rec.Delete(ctx)
		}
	}
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return -1
	}
	return fi.Size()
}

// ---- helpers ----

// amiClient connects the test's own AMI client and waits for its login.
func (e *env) amiClient(t *testing.T) *ami.Client {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	mc, err := ami.Connect(ctx, ami.Config{Addr: e.cfg.AMI.Addr, Username: e.cfg.AMI.Username, Secret: e.cfg.AMI.Secret,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mc.Close() })
	waitFor(t, 20*time.Second, "AMI login", func() bool { return mc.Status().Connected })
	return mc
}

// checkDialplan fails the test with the dialplan to add when a context the
// test dials is missing from Asterisk.
func (e *env) checkDialplan(t *testing.T, mc *ami.Client, contexts ...string) {
	t.Helper()
	for _, c := range contexts {
		if _, _, err := mc.ListAction(ctxT(t, 10*time.Second), ami.Action{Name: "ShowDialPlan", Fields: []ami.Field{{Key: "Context", Value: c}}}); err != nil {
			t.Fatalf("Asterisk has no dialplan context %s (%v); add this to extensions.conf and run `asterisk -rx 'dialplan reload'`:\n%s", c, err, ACDDialplan)
		}
	}
}

// api calls ccd's REST API with the integration token.
func (e *env) api(t *testing.T, ctx context.Context, method, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+e.cfg.Listen+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.cfg.API.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// agentRequest makes a ccd JSON agent request with the integration token.
func (e *env) agentRequest(t *testing.T, ctx context.Context, agent, op string) {
	t.Helper()
	resp := e.api(t, ctx, http.MethodPost, "/api/agents/"+agent+"/"+op)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/agents/%s/%s: %s %s", agent, op, resp.Status, body)
	}
}

type agentState struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

func (e *env) agentStates(t *testing.T, ctx context.Context) []agentState {
	t.Helper()
	resp := e.api(t, ctx, http.MethodGet, "/api/agents")
	defer resp.Body.Close()
	var out []agentState
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("GET /api/agents: %s: %v", resp.Status, err)
	}
	return out
}

// acdEvents reads the ACD's events (of one kind, or all) in log order.
func (e *env) acdEvents(t *testing.T, ctx context.Context, kind string) []eventlog.Event {
	t.Helper()
	all, err := e.db.Events(ctx, store.EventFilter{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	out := all[:0]
	for _, ev := range all {
		if ev.Source == eventlog.SourceACD {
			out = append(out, ev)
		}
	}
	return out
}

// waitFor polls cond until it holds or within has passed.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// logTap keeps the daemon's log records at or above a level (and writes
// them to stderr), so that the test can fail on warnings.
type logTap struct {
	mu  sync.Mutex
	got []logRecord
}

type logRecord struct {
	level slog.Level
	msg   string
	attrs []string
}

func (l *logTap) handler(level slog.Level) slog.Handler {
	return &tapHandler{tap: l, level: level, next: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})}
}

func (l *logTap) records() []logRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.got)
}

type tapHandler struct {
	tap   *logTap
	level slog.Level
	attrs []string
	next  slog.Handler
}

func (h *tapHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *tapHandler) Handle(ctx context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: slices.Clone(h.attrs)}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs = append(rec.attrs, a.String())
		return true
	})
	sort.Strings(rec.attrs)
	h.tap.mu.Lock()
	h.tap.got = append(h.tap.got, rec)
	h.tap.mu.Unlock()
	return h.next.Handle(ctx, r)
}

func (h *tapHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = slices.Clone(h.attrs)
	for _, a := range as {
		c.attrs = append(c.attrs, a.String())
	}
	c.next = h.next.WithAttrs(as)
	return &c
}

func (h *tapHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	return &c
}

// The dialplan a user copies from testdata/extensions.conf is the one the
// tests check for.
func TestACDDialplanInTestdata(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "extensions.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dp := range []string{ACDDialplan, AgentFaultsDialplan, FlowsDialplan, DialerDialplan, WebRTCDialplan} {
		if !strings.Contains(string(b), dp) {
			t.Errorf("testdata/extensions.conf does not contain:\n%s", dp)
		}
	}
}
