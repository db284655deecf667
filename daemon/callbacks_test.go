package daemon_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/stats"
)

const customer = "PJSIP/0611223344"

func newCallbackHarness(t *testing.T, attempts int) *harness {
	h := newHarness(t)
	h.cfg.Callbacks.DialEndpoint = "PJSIP/{number}"
	h.cfg.Callbacks.DialTimeout = time.Second
	h.cfg.Callbacks.Queues = []config.CallbackQueue{{Queue: "sales", MaxAttempts: attempts, RetryInterval: time.Second}}
	h.ari.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	return h
}

// requestCallback asks for a callback over REST, as a web form does.
func (h *harness) requestCallback() string {
	h.t.Helper()
	code, body := h.sendAs(h.cfg.API.Token, "POST", "/api/callbacks", `{"queue":"sales","number":"0611223344"}`)
	if code != http.StatusCreated {
		h.t.Fatalf("request callback: HTTP %d %s", code, body)
	}
	var cb ccd.Callback
	h.decode(body, &cb)
	return cb.ID
}

func (h *harness) callback(id string) ccd.Callback {
	h.t.Helper()
	var cb ccd.Callback
	h.getJSON("/api/callbacks/"+id, &cb)
	return cb
}

// firstARIEvent is the id of the first Stasis event of kind naming
// channel (by its name), 0 when there is none.
func (h *harness) firstARIEvent(kind, channel string) int64 {
	var id int64
	_ = h.db.Get(&id, `SELECT coalesce(min(id), 0) FROM call_event WHERE kind = $1 AND payload::text LIKE '%' || $2 || '%'`, kind, channel)
	return id
}

// customerLegs counts the channels dialled to the customer.
func (h *harness) customerLegs() int {
	var n int
	_ = h.db.Get(&n, `SELECT count(DISTINCT payload->'peer'->>'id') FROM call_event WHERE kind = 'ari.Dial'
		AND payload->'peer'->>'name' LIKE $1 || '%'`, customer)
	return n
}

// A web callback waits for an agent; the agent is called first and hears
// the whisper, then the customer is dialled into the agent's bridge. A busy
// customer is tried again after the interval; the answered attempt ends
// the callback done.
func TestCallbackCallsAgentFirstThenCustomerAndRetries(t *testing.T) {
	h := newCallbackHarness(t, 3)
	h.ari.SetEndpoint(customer, aritest.Behavior{Action: aritest.EndpointBusy, Delay: 20 * time.Millisecond})
	h.start()
	id := h.requestCallback()
	if cb := h.callback(id); cb.State != ccd.CallbackWaiting {
		t.Fatalf("before any agent: %+v", cb)
	}
	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	h.waitFor("the first attempt busy", func() bool { return h.callback(id).LastResult == "busy" })
	cb := h.callback(id)
	if cb.State != ccd.CallbackWaiting || cb.Attempts != 1 || cb.Agent != "a1" {
		t.Fatalf("after a busy customer: %+v", cb)
	}
	// The agent's channel answered before the customer's was dialled; the
	// agent heard the whisper with the queue and the number.
	h.waitFor("the customer's dial in the log", func() bool { return h.firstARIEvent("ari.Dial", customer) > 0 })
	agentUp, customerDialled := h.firstARIEvent("ari.StasisStart", "PJSIP/1001"), h.firstARIEvent("ari.Dial", customer)
	if agentUp == 0 || customerDialled < agentUp {
		t.Fatalf("agent in the application at event %d, customer dialled at %d", agentUp, customerDialled)
	}
	h.waitFor("the whisper in the log", func() bool {
		var n int
		_ = h.db.Get(&n, `SELECT count(*) FROM call_event WHERE kind = 'ari.PlaybackStarted'
			AND payload->'playback'->>'target_uri' = 'channel:' || $1 || '-1-1' AND payload::text LIKE '%characters:sales%'`, id)
		return n >= 1
	})

	h.ari.SetEndpoint(customer, aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	h.waitFor("the callback done", func() bool { return h.callback(id).State == ccd.CallbackDone })
	cb = h.callback(id)
	if cb.Attempts != 2 || cb.EndReason != "answered" {
		t.Fatalf("done: %+v", cb)
	}
	// Agent and customer talk in one bridge.
	h.waitFor("agent and customer bridged", func() bool {
		for _, b := range h.ari.Bridges() {
			if len(b.Channels) == 2 && strings.HasPrefix(b.ID, "ccd-"+id) {
				return true
			}
		}
		return false
	})
	h.waitFor("two calls to the customer", func() bool { return h.customerLegs() == 2 })
}

// A customer who never answers ends the callback failed after the queue's
// attempts, with the reason.
func TestCallbackFailsAfterMaxAttempts(t *testing.T) {
	h := newCallbackHarness(t, 2)
	h.ari.SetEndpoint(customer, aritest.Behavior{Action: aritest.EndpointBusy, Delay: 20 * time.Millisecond})
	h.start()
	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	id := h.requestCallback()
	h.waitFor("the callback failed", func() bool { return h.callback(id).State == ccd.CallbackFailed })
	if cb := h.callback(id); cb.Attempts != 2 || cb.EndReason != "busy" {
		t.Fatalf("failed: %+v", cb)
	}
	h.waitFor("two calls to the customer", func() bool { return h.customerLegs() == 2 })
	h.waitFor("one callback.ended event", func() bool { return h.count(ccd.EventCallbackEnded) == 1 })
}

// ccd stops between the request and the callback: the new ccd finds the
// callback in PostgreSQL and its place in the event log, and calls back
// once an agent is free.
func TestCallbackSurvivesRestart(t *testing.T) {
	h := newCallbackHarness(t, 2)
	h.ari.SetEndpoint(customer, aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	h.start()
	id := h.requestCallback()
	h.waitFor("the callback's place in the queue", func() bool { return h.count(ccd.EventCallQueued) == 1 })
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	h.start()
	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	h.waitFor("the callback done after the restart", func() bool { return h.callback(id).State == ccd.CallbackDone })
	if n := h.count(ccd.EventCallQueued); n != 1 {
		t.Fatalf("the callback was queued %d times: its place was not kept", n)
	}
}

func (h *harness) decode(body string, v any) {
	h.t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		h.t.Fatalf("%s: %v", body, err)
	}
}

// A caller waiting in a queue is offered a callback after offer_after,
// hears its number read back, confirms it with 1 and is hung up: its call
// ends in the IVR (108). When an agent is free, the agent is called first,
// then the number confirmed; the statistics count the offer, the end in
// the IVR and the attempt as an outbound call.
func TestCallerAcceptsCallbackInQueue(t *testing.T) {
	h := newCallbackHarness(t, 2)
	h.cfg.Callbacks.Queues[0].OfferAfter = 200 * time.Millisecond
	h.ari.SetEndpoint(customer, aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	h.start()
	caller, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550100"}, Number: "0611223344", Endpoint: "PJSIP/trunk"})
	if err != nil {
		t.Fatal(err)
	}
	callID := caller.ID()
	h.waitFor("the callback offered", func() bool { return h.count(ccd.EventCallCallbackOffered) == 1 })
	h.waitFor("the number read back", func() bool {
		p := h.offerPrompts(callID)
		return len(p) == 1 && strings.Contains(p[0], "you-entered")
	})
	if err := caller.SendDTMF("1"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the caller's call ended in the IVR", func() bool {
		var n int
		_ = h.db.Get(&n, `SELECT count(*) FROM call_event WHERE kind = 'call.ended' AND call_id = $1
			AND (payload->'summary'->>'end_type')::int = 108`, callID)
		return n == 1
	})
	var list []ccd.Callback
	h.getJSON("/api/callbacks", &list)
	if len(list) != 1 || list[0].Origin != ccd.CallbackFromQueue || list[0].Number != "0611223344" || list[0].CallID != callID {
		t.Fatalf("callbacks %+v", list)
	}
	// Thanked, then hung up.
	var thanks string
	h.waitFor("the thanks", func() bool {
		p := h.offerPrompts(callID)
		if len(p) == 2 {
			thanks = p[1]
		}
		return thanks != ""
	})
	if err := h.ari.FinishPlayback(strings.Fields(thanks)[0]); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the caller hung up", func() bool { return !caller.Exists() })

	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	h.waitFor("the callback done", func() bool { return h.callback(list[0].ID).State == ccd.CallbackDone })
	h.waitFor("the statistics", func() bool {
		var offeredCB, endedInIVR, offered int
		_ = h.db.QueryRow(`SELECT coalesce(sum(offeredcb), 0), coalesce(sum(endedinivr), 0), coalesce(sum(offered), 0)
			FROM stat.devicestat d JOIN stat.code c ON c.kind = 'queue' AND c.code = d.devicecode AND d.devicetype = $1 WHERE c.name = 'sales'`, stats.DevQueue).
			Scan(&offeredCB, &endedInIVR, &offered)
		return offeredCB == 1 && endedInIVR == 1 && offered == 1
	})
}

// The queue's key asks for the offer at any time; * gives the caller back
// to the queue with its music; another number keyed with # is read back and
// confirmed with 1.
func TestCallerKeysAnotherNumber(t *testing.T) {
	h := newCallbackHarness(t, 2)
	h.cfg.Callbacks.Queues[0].OfferKey = "5"
	h.cfg.Callbacks.Queues[0].OfferEvery = 2 * time.Second
	h.start()
	caller, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550100"}, Number: "0611223344", Endpoint: "PJSIP/trunk"})
	if err != nil {
		t.Fatal(err)
	}
	callID := caller.ID()
	prompt := func(n int) {
		t.Helper()
		h.waitFor("offer prompt "+strconv.Itoa(n), func() bool { return len(h.offerPrompts(callID)) == n })
	}
	// The key is announced between stretches of music.
	var announced string
	h.waitFor("the key announced", func() bool {
		_ = h.db.Get(&announced, `SELECT coalesce(max(payload->'playback'->>'id'), '') FROM call_event WHERE kind = 'ari.PlaybackStarted'
			AND payload->'playback'->>'id' LIKE 'ann-' || $1 || '-cb%' AND payload->'playback'->>'media_uri' = 'sound:vm-press'`, callID)
		return announced != ""
	})
	if err := h.ari.FinishPlayback(announced); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the caller hears music", func() bool { on, _ := caller.MOH(); return on })
	if err := caller.SendDTMF("5"); err != nil {
		t.Fatal(err)
	}
	prompt(1)
	if err := caller.SendDTMF("*"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the music again", func() bool { on, _ := caller.MOH(); return on })
	if err := caller.SendDTMF("5"); err != nil {
		t.Fatal(err)
	}
	prompt(2)
	h.waitFor("two offers", func() bool { return h.count(ccd.EventCallCallbackOffered) == 2 })
	if err := caller.SendDTMF("0699887766#"); err != nil {
		t.Fatal(err)
	}
	prompt(3) // the new number read back
	if err := caller.SendDTMF("1"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the callback stored", func() bool {
		var list []ccd.Callback
		h.getJSON("/api/callbacks", &list)
		return len(list) == 1 && list[0].Number == "0699887766"
	})
}

// offerPrompts are the offer prompts played to a caller, in order: the
// playback id and its first media.
func (h *harness) offerPrompts(callID string) []string {
	var out []string
	_ = h.db.Select(&out, `SELECT (payload->'playback'->>'id') || ' ' || (payload->'playback'->>'media_uri') FROM call_event
		WHERE kind = 'ari.PlaybackStarted' AND payload->'playback'->>'id' LIKE 'cbo-' || $1 || '-%' ORDER BY id`, callID)
	return out
}

// api.supervisor_token is a supervisor: it lists and cancels callbacks and
// finds recordings, and does not act for agents.
func TestSupervisorToken(t *testing.T) {
	h := newCallbackHarness(t, 1)
	h.cfg.API.SupervisorToken = "supervisor-token-0123456789"
	h.start()
	id := h.requestCallback()
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/api/callbacks", http.StatusOK},
		{"GET", "/api/recordings?callid=1", http.StatusOK},
		{"GET", "/api/stats/realtime/queues", http.StatusOK},
		{"POST", "/api/agents/a1/login", http.StatusForbidden},
		{"GET", "/api/admin/recordings/retention", http.StatusForbidden},
		{"DELETE", "/api/callbacks/" + id, http.StatusOK},
	} {
		if code, body := h.sendAs(h.cfg.API.SupervisorToken, c.method, c.path, ""); code != c.want {
			t.Errorf("%s %s: HTTP %d %s, want %d", c.method, c.path, code, body, c.want)
		}
	}
}

// A customer who lets it ring counts an attempt as no answer.
func TestCallbackNoAnswer(t *testing.T) {
	h := newCallbackHarness(t, 1)
	h.ari.SetEndpoint(customer, aritest.Behavior{Action: aritest.EndpointRing})
	h.start()
	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	id := h.requestCallback()
	h.waitFor("the callback failed", func() bool { return h.callback(id).State == ccd.CallbackFailed })
	if cb := h.callback(id); cb.EndReason != "no_answer" || cb.Attempts != 1 {
		t.Fatalf("after an unanswered attempt: %+v", cb)
	}
}
