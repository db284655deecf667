package callback_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/callback"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/apitest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// placer records what the manager places in and takes out of the queues.
type placer struct {
	mu       sync.Mutex
	placed   []string // call ids, in order
	withdrew []string
	noQueue  bool // the queues were removed from the configuration
}

func (p *placer) Place(_ context.Context, cb ccd.Callback, callID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.noQueue {
		return &ccd.Error{Code: ccd.ENOTFOUND, Message: "acd: no queue " + cb.Queue}
	}
	p.placed = append(p.placed, callID)
	return nil
}

func (p *placer) Withdraw(_ context.Context, callID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.withdrew = append(p.withdrew, callID)
	return nil
}

func (p *placer) calls() ([]string, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.placed...), append([]string(nil), p.withdrew...)
}

type events struct {
	mu   sync.Mutex
	list []eventlog.Event
}

func (e *events) add(ev eventlog.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
	return nil
}

func (e *events) kinds() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.list {
		out = append(out, ev.Kind)
	}
	return out
}

var start = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func callbackConfig() config.Callbacks {
	c := config.DefaultCallbacks()
	c.Queues = []config.CallbackQueue{{Queue: "sales", OfferAfter: 30 * time.Second, OfferKey: "1", MaxAttempts: 3, RetryInterval: 5 * time.Minute}}
	return c
}

type rig struct {
	db    *store.DB
	m     *callback.Manager
	p     *placer
	ev    *events
	now   time.Time
	nowMu sync.Mutex
}

func (r *rig) clock() time.Time {
	r.nowMu.Lock()
	defer r.nowMu.Unlock()
	return r.now
}

func (r *rig) advance(d time.Duration) {
	r.nowMu.Lock()
	r.now = r.now.Add(d)
	r.nowMu.Unlock()
}

// manager is a fresh manager on db, as after a start of ccd.
func (r *rig) manager() *callback.Manager {
	r.p, r.ev = &placer{}, &events{}
	m := callback.New(r.db, callbackConfig(), r.ev.add, nil)
	m.SetClock(r.clock)
	m.SetPlacer(r.p)
	r.m = m
	return m
}

func newRig(t *testing.T) *rig {
	r := &rig{db: pgtest.NewDB(t), now: start}
	r.manager()
	return r
}

var web = ccd.NewPrincipal(ccd.Integration, "crm")

// A busy or unanswered customer is tried again after the queue's interval,
// up to its number of attempts; then the callback fails with the last
// result as its reason. An agent who does not take it costs no attempt.
func TestRetriesUpToMaxAttempts(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	cb, err := r.m.RequestCallback(ctx, web, ccd.CallbackRequest{Queue: "sales", Number: "0611223344"})
	if err != nil {
		t.Fatal(err)
	}
	if placed, _ := r.p.calls(); !reflect.DeepEqual(placed, []string{cb.ID + "-1"}) {
		t.Fatalf("placed %v", placed)
	}
	r.m.Tick(ctx) // placed once only
	results := []string{callback.AgentNoAnswer, callback.Busy, callback.NoAnswer, callback.Busy}
	for i, res := range results {
		placed, _ := r.p.calls()
		callID := placed[len(placed)-1]
		if err := r.m.AttemptStarted(ctx, callID, "1001"); err != nil {
			t.Fatal(err)
		}
		got, err := r.m.AttemptEnded(ctx, callID, res)
		if err != nil {
			t.Fatal(err)
		}
		if i < len(results)-1 {
			if got.State != ccd.CallbackWaiting {
				t.Fatalf("after %s: %+v", res, got)
			}
			r.m.Tick(ctx)
			if placed2, _ := r.p.calls(); res != callback.AgentNoAnswer && len(placed2) != len(placed) {
				t.Fatalf("placed again before the retry interval: %v", placed2)
			}
			r.advance(5 * time.Minute)
			r.m.Tick(ctx)
			if placed2, _ := r.p.calls(); len(placed2) != len(placed)+1 {
				t.Fatalf("not placed again after the interval: %v", placed2)
			}
		} else if got.State != ccd.CallbackFailed || got.EndReason != callback.Busy || got.Attempts != 3 {
			t.Fatalf("after the last attempt: %+v", got)
		}
	}
	placed, _ := r.p.calls()
	if want := []string{cb.ID + "-1", cb.ID + "-1", cb.ID + "-2", cb.ID + "-3"}; !reflect.DeepEqual(placed, want) {
		t.Fatalf("placed %v, want %v", placed, want)
	}
	kinds := r.ev.kinds()
	if kinds[0] != ccd.EventCallbackRequested || kinds[len(kinds)-1] != ccd.EventCallbackEnded {
		t.Fatalf("events %v", kinds)
	}
}

// An answered attempt ends the callback done.
func TestAnsweredIsDone(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	call := ccd.Call{ID: "1700000000.1", CLID: "0611223344", DNIS: "5551000", Priority: 3}
	cb, err := r.m.CallerAccepted(ctx, call, "sales", "0611223344", start.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if cb.Origin != ccd.CallbackFromQueue || cb.CallID != call.ID || cb.Priority != 3 || !cb.PlaceAt.Equal(start.Add(-time.Minute)) {
		t.Fatalf("callback %+v", cb)
	}
	if err := r.m.AttemptStarted(ctx, cb.ID+"-1", "1001"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.m.CancelCallback(ctx, web, cb.ID); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Fatalf("cancel while calling: %v", err)
	}
	got, err := r.m.AttemptEnded(ctx, cb.ID+"-1", callback.Answered)
	if err != nil || got.State != ccd.CallbackDone || got.Attempts != 1 || got.Agent != "1001" {
		t.Fatalf("%+v %v", got, err)
	}
}

// Callbacks are rows: a new manager (ccd restarted) places the waiting
// ones, and one that was being called when ccd stopped waits again without
// losing an attempt.
func TestRestartKeepsCallbacks(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	a, _ := r.m.RequestCallback(ctx, web, ccd.CallbackRequest{Queue: "sales", Number: "0611000001"})
	b, _ := r.m.RequestCallback(ctx, web, ccd.CallbackRequest{Queue: "sales", Number: "0611000002"})
	if err := r.m.AttemptStarted(ctx, b.ID+"-1", "1001"); err != nil {
		t.Fatal(err)
	}
	r.manager() // restart
	if err := r.m.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	r.m.Tick(ctx)
	placed, _ := r.p.calls()
	if len(placed) != 2 || !strings.Contains(strings.Join(placed, " "), a.ID+"-1") || !strings.Contains(strings.Join(placed, " "), b.ID+"-1") {
		t.Fatalf("after restart placed %v", placed)
	}
	got, _ := r.m.Callback(ctx, b.ID)
	if got.State != ccd.CallbackWaiting || got.Attempts != 0 || got.LastResult != callback.Interrupted {
		t.Fatalf("interrupted callback %+v", got)
	}
}

// A requested window: not placed before not_before, expired after not_after.
func TestWindow(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	cb, err := r.m.RequestCallback(ctx, web, ccd.CallbackRequest{Queue: "sales", Number: "0611000001",
		NotBefore: start.Add(time.Hour), NotAfter: start.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if placed, _ := r.p.calls(); len(placed) != 0 {
		t.Fatalf("placed before its window: %v", placed)
	}
	r.advance(time.Hour)
	r.m.Tick(ctx)
	if placed, _ := r.p.calls(); len(placed) != 1 {
		t.Fatalf("not placed in its window: %v", placed)
	}
	r.advance(time.Hour)
	r.m.Tick(ctx)
	got, _ := r.m.Callback(ctx, cb.ID)
	if _, withdrew := r.p.calls(); got.State != ccd.CallbackExpired || !reflect.DeepEqual(withdrew, []string{cb.ID + "-1"}) {
		t.Fatalf("after its last time: %+v, withdrew %v", got, withdrew)
	}
}

// Over REST: a web form requests, lists and cancels with the callbacks
// role; an agent lists those of the queues it serves and does nothing
// else; bad input names its field.
func TestREST(t *testing.T) {
	r := newRig(t)
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken, Now: r.clock})
	const supervisor, agentTok, bi = "supervisor-token-0123456789", "agent-token-0123456789", "bi-token-0123456789"
	s.Grant(supervisor, ccd.NewPrincipal(ccd.Supervisor, "floor"))
	s.Grant(agentTok, ccd.AgentPrincipal("1001"))
	s.Grant(bi, ccd.NewPrincipal(ccd.BI, "reports"))
	s.MountCallbacks(r.m, time.UTC)

	code, m, raw := apitest.Do(t, s, "POST", "/api/callbacks", apitest.IntegrationToken, "application/json",
		`{"queue":"sales","number":"0611223344","priority":2,"not_after":"2026-03-10T18:00:00Z"}`)
	if code != http.StatusCreated || m["state"] != ccd.CallbackWaiting || m["requested_by"] != "integration:integration" {
		t.Fatalf("request: %d %s", code, raw)
	}
	id := m["id"].(string)
	if code, _, raw := apitest.Do(t, s, "GET", "/api/callbacks", bi, "", ""); code != http.StatusForbidden {
		t.Fatalf("list as BI: %d %s", code, raw)
	}
	ownList := func() string {
		code, _, raw := apitest.Do(t, s, "GET", "/api/callbacks", agentTok, "", "")
		if code != http.StatusOK {
			t.Fatalf("list as an agent: %d %s", code, raw)
		}
		return raw
	}
	if raw := ownList(); raw != "[]\n" && raw != "[]" {
		t.Fatalf("an agent with no queues known sees %s", raw)
	}
	serves := map[string][]string{"1001": {"support"}}
	s.SetAgentQueues(func(agent string) []string { return serves[agent] })
	if raw := ownList(); strings.Contains(raw, id) {
		t.Fatalf("an agent of support sees a callback of sales: %s", raw)
	}
	serves["1001"] = []string{"support", "sales"}
	if raw := ownList(); !strings.Contains(raw, id) {
		t.Fatalf("an agent of sales does not see its callback: %s", raw)
	}
	for _, req := range [][2]string{{"GET", "/api/callbacks/" + id}, {"DELETE", "/api/callbacks/" + id}, {"POST", "/api/callbacks"}} {
		if code, _, raw := apitest.Do(t, s, req[0], req[1], agentTok, "application/json", `{"queue":"sales","number":"0611223344"}`); code != http.StatusForbidden {
			t.Fatalf("%s %s as an agent: %d %s", req[0], req[1], code, raw)
		}
	}
	code, _, raw = apitest.Do(t, s, "GET", "/api/callbacks?state=waiting", supervisor, "", "")
	var list []ccd.Callback
	if err := json.Unmarshal([]byte(raw), &list); code != 200 || err != nil || len(list) != 1 || list[0].ID != id {
		t.Fatalf("list: %d %s", code, raw)
	}
	if code, m, raw = apitest.Do(t, s, "DELETE", "/api/callbacks/"+id, supervisor, "", ""); code != 200 || m["state"] != ccd.CallbackCancelled {
		t.Fatalf("cancel: %d %s", code, raw)
	}
	if code, _, raw = apitest.Do(t, s, "DELETE", "/api/callbacks/"+id, supervisor, "", ""); code != http.StatusConflict {
		t.Fatalf("second cancel: %d %s", code, raw)
	}
	if _, withdrew := r.p.calls(); !reflect.DeepEqual(withdrew, []string{id + "-1"}) {
		t.Fatalf("cancel did not take the place out of the queue: %v", withdrew)
	}
	if code, _, raw = apitest.Do(t, s, "GET", "/api/callbacks/cb-none", supervisor, "", ""); code != http.StatusNotFound {
		t.Fatalf("unknown: %d %s", code, raw)
	}
	for body, field := range map[string]string{
		`{"number":"0611223344"}`:                                              "queue",
		`{"queue":"support","number":"0611223344"}`:                            "queue",
		`{"queue":"sales","number":"0900;DROP"}`:                               "number",
		`{"queue":"sales"}`:                                                    "number",
		`{"queue":"sales","number":"0611","priority":12}`:                      "priority",
		`{"queue":"sales","number":"0611","not_after":"tomorrow"}`:             "not_after",
		`{"queue":"sales","number":"0611","not_after":"2026-03-10T08:00:00Z"}`: "not_after",
		`{"queue":"sales","number":"0611","not_before":"2026-03-10T12:00:00Z","not_after":"2026-03-10T11:00:00Z"}`: "not_after",
		`{"queue":"sales","number":7}`: "number",
	} {
		code, m, raw := apitest.Do(t, s, "POST", "/api/callbacks", apitest.IntegrationToken, "application/json", body)
		e, _ := m["error"].(map[string]any)
		if code != http.StatusBadRequest || e["field"] != field {
			t.Errorf("%s: %d %s, want 400 naming %s", body, code, raw, field)
		}
	}
	if code, m, raw := apitest.Do(t, s, "GET", "/api/callbacks?state=lost", supervisor, "", ""); code != 400 || m["error"].(map[string]any)["field"] != "state" {
		t.Fatalf("bad state: %d %s", code, raw)
	}
}

// A callback whose queue was removed from the configuration is not placed
// again every second with a warning each time: it is reported once, and
// fails ("queue removed") when the queue stays away; a queue that comes
// back in time keeps its callbacks.
func TestCallbackOfARemovedQueue(t *testing.T) {
	r := newRig(t)
	var logged strings.Builder
	var logMu sync.Mutex
	r.m = callback.New(r.db, callbackConfig(), r.ev.add, slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logged}, nil)))
	r.m.SetClock(r.clock)
	r.p.noQueue = true
	r.m.SetPlacer(r.p)
	ctx := context.Background()
	cb, err := r.m.RequestCallback(ctx, web, ccd.CallbackRequest{Queue: "sales", Number: "0611223344"})
	if err != nil {
		t.Fatal(err)
	}
	for range 30 {
		r.advance(time.Second)
		r.m.Tick(ctx)
	}
	if got, _ := r.m.Callback(ctx, cb.ID); got.State != ccd.CallbackWaiting {
		t.Fatalf("after 30 s: %+v, want still waiting", got)
	}
	r.advance(callback.QueueGoneAfter)
	r.m.Tick(ctx)
	got, _ := r.m.Callback(ctx, cb.ID)
	if got.State != ccd.CallbackFailed || got.EndReason != callback.ReasonQueueRemoved {
		t.Fatalf("callback %+v, want failed: %s", got, callback.ReasonQueueRemoved)
	}
	logMu.Lock()
	n := strings.Count(logged.String(), "level=WARN")
	logMu.Unlock()
	if n != 2 {
		t.Fatalf("%d warnings, want 2 (missing once, then failed):\n%s", n, logged.String())
	}

	// A queue back within the grace period: the callback is placed.
	cb, _ = r.m.RequestCallback(ctx, web, ccd.CallbackRequest{Queue: "sales", Number: "0611223345"})
	r.advance(30 * time.Second)
	r.m.Tick(ctx)
	r.p.mu.Lock()
	r.p.noQueue = false
	r.p.mu.Unlock()
	r.advance(callback.QueueGoneAfter)
	r.m.Tick(ctx)
	if got, _ := r.m.Callback(ctx, cb.ID); got.State != ccd.CallbackWaiting {
		t.Fatalf("callback %+v, want waiting (its queue came back)", got)
	}
	if placed, _ := r.p.calls(); len(placed) != 1 || !strings.HasPrefix(placed[0], cb.ID) {
		t.Fatalf("placed %v, want %s", placed, cb.ID)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
