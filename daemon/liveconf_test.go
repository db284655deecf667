package daemon_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
)

const adminToken = "admin-token-of-the-live-config-tests"

// admin calls the admin API with the admin token and a JSON body.
func (h *harness) admin(method, path, body string) (int, string) {
	h.t.Helper()
	return h.sendAs(adminToken, method, path, body)
}

func (h *harness) sendAs(token, method, path, body string) (int, string) {
	h.t.Helper()
	req, _ := http.NewRequest(method, "http://"+h.cfg.Listen+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (h *harness) mustAdmin(method, path, body string, want int) string {
	h.t.Helper()
	code, b := h.admin(method, path, body)
	if code != want {
		h.t.Fatalf("%s %s: HTTP %d %s, want %d", method, path, code, b, want)
	}
	return b
}

func newLiveHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.cfg.API.AdminToken = adminToken
	return h
}

// An admin adds a queue, a route and an agent with a password over REST;
// the agent logs in with that password, and a call to the route is answered
// by that agent in that queue, without a restart. Every change is an audit
// event in call_event, with who made it and the password masked.
func TestAdminAddsQueueAndAgentThenACallIsAnswered(t *testing.T) {
	h := newLiveHarness(t)
	h.ari.SetEndpoint("PJSIP/1009", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	h.start()
	const password = "the-password-of-agent-a9"
	h.mustAdmin("PUT", "/api/admin/queues/vip", `{"name":"VIP","skills":{"vip":1},"ring_timeout":"10s","service_level":"20s"}`, http.StatusCreated)
	h.mustAdmin("PUT", "/api/admin/routes/5550200", `{"queue":"vip"}`, http.StatusCreated)
	h.mustAdmin("PUT", "/api/admin/agents/a9", `{"name":"Nine","endpoint":"PJSIP/1009","skills":{"vip":2},"password":"`+password+`"}`, http.StatusCreated)

	// The OMniLeads login reads the password from the live configuration.
	resp, err := http.Post("http://"+h.cfg.Listen+"/api/v1/login", "application/json",
		strings.NewReader(`{"username":"a9","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &login) != nil || login.Token == "" {
		t.Fatalf("login of the new agent: HTTP %d %s", resp.StatusCode, b)
	}
	h.asteriskLogin(login.Token)
	if _, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550200"}, Number: "5551234", ChannelID: "c1"}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the call answered", func() bool { return h.count("call.answered") == 1 })
	var agent, queue string
	if err := h.db.QueryRow(`SELECT agent, queue FROM call_event WHERE kind = 'call.answered'`).Scan(&agent, &queue); err != nil {
		t.Fatal(err)
	}
	if agent != "a9" || queue != "vip" {
		t.Fatalf("answered by %q in %q", agent, queue)
	}

	// The audit: the seed at start, then the three changes by the admin.
	h.waitFor("the audit events", func() bool { return h.count("config.changed") == 4 })
	var audits []string
	if err := h.db.Select(&audits, `SELECT payload::text FROM call_event WHERE kind = 'config.changed' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	var last struct {
		Item, ID, Action, By string
		After                map[string]any
	}
	if err := json.Unmarshal([]byte(audits[3]), &last); err != nil {
		t.Fatal(err)
	}
	if last.Item != "agent" || last.ID != "a9" || last.Action != "created" || last.By != "admin:admin" || last.After["password"] != "(set)" {
		t.Fatalf("audit of the agent: %s", audits[3])
	}
	for _, a := range audits {
		if strings.Contains(a, password) || strings.Contains(a, "$2a$") {
			t.Fatalf("an audit event holds the password or its hash: %s", a)
		}
	}
	// The real-time view knows the new queue's service level.
	var realtime []struct {
		Code  string `json:"code"`
		Today struct {
			ServiceLevelSeconds *int64 `json:"service_level_seconds"`
		} `json:"today"`
	}
	h.getJSON("/api/stats/realtime/queues", &realtime)
	if len(realtime) != 2 || realtime[1].Code != "vip" || realtime[1].Today.ServiceLevelSeconds == nil || *realtime[1].Today.ServiceLevelSeconds != 20 {
		t.Fatalf("realtime queues: %+v", realtime)
	}
	// The BI functions' names and queue membership follow the change.
	var members int
	if err := h.db.Get(&members, `SELECT count(*) FROM stat.queueagent m
		JOIN stat.code q ON q.kind = 'queue' AND q.code = m.queuecode AND q.name = 'vip' AND q.description = 'VIP'
		JOIN stat.code a ON a.kind = 'agent' AND a.code = m.usercode AND a.name = 'a9'`); err != nil || members != 1 {
		t.Fatalf("stat.queueagent rows of vip and a9: %d (%v)", members, err)
	}
	var stored string
	if err := h.db.Get(&stored, `SELECT item::text FROM acd_config WHERE kind = 'agent' AND id = 'a9'`); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, password) || !strings.Contains(stored, `"password_hash": "$2a$`) {
		t.Fatalf("the stored agent: %s", stored)
	}
}

// A queue removed while callers wait in it takes no new calls (they go by
// the default extension) and drains: the caller waiting is answered when an
// agent logs in, and then the queue is gone.
func TestAdminRemovedQueueDrains(t *testing.T) {
	h := newLiveHarness(t)
	h.ari.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	h.start()
	h.callInbound()
	h.waitFor("the caller queued", func() bool { return h.count("call.queued") == 1 })

	// A route still sends calls to it: removing it first is a conflict
	// that names the route.
	if code, body := h.admin("DELETE", "/api/admin/queues/sales", ""); code != http.StatusConflict || !strings.Contains(body, `route \"5550100\"`) {
		t.Fatalf("removing a queue a route names: HTTP %d %s", code, body)
	}
	h.mustAdmin("DELETE", "/api/admin/routes/5550100", "", http.StatusNoContent)
	h.mustAdmin("DELETE", "/api/admin/queues/sales", "", http.StatusNoContent)
	var queues []struct {
		Code    string `json:"code"`
		Waiting int    `json:"waiting"`
	}
	h.getJSON("/api/queues", &queues)
	if len(queues) != 1 || queues[0].Code != "sales" || queues[0].Waiting != 1 {
		t.Fatalf("queues while draining: %+v", queues)
	}
	if _, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"queue", "sales"}, Number: "5559999", ChannelID: "c2"}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the new caller sent to the default extension", func() bool { return h.count("call.to_default") == 1 })

	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login: HTTP %d", code)
	}
	h.waitFor("the waiting caller answered", func() bool { return h.count("call.answered") == 1 })
	h.waitFor("the drained queue gone", func() bool {
		h.getJSON("/api/queues", &queues)
		return len(queues) == 0
	})
}

// A skill given to a logged-in agent moves the next offer: the caller that
// waited for lack of a qualified agent rings that agent at once.
func TestAdminSkillChangeMovesTheNextOffer(t *testing.T) {
	h := newLiveHarness(t)
	h.cfg.ACD.Queues = append(h.cfg.ACD.Queues, config.Queue{Code: "support", Skills: map[string]int{"support": 3}})
	h.cfg.ACD.Routes = append(h.cfg.ACD.Routes, config.Route{DNIS: "5550300", Queue: "support"})
	h.ari.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	h.start()
	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login: HTTP %d", code)
	}
	if _, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550300"}, Number: "5551234", ChannelID: "c1"}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the caller queued", func() bool { return h.count("call.queued") == 1 })
	if n := h.count("call.ringing"); n != 0 {
		t.Fatalf("%d offers before a1 has the skill", n)
	}
	h.mustAdmin("PUT", "/api/admin/agents/a1/skills/support", `{"level":3}`, http.StatusOK)
	h.waitFor("the call answered by a1", func() bool { return h.count("call.answered") == 1 })
}

// Bad input is a 400 naming the field within the item; the admin API needs
// the admin role.
func TestAdminValidationNamesTheField(t *testing.T) {
	h := newLiveHarness(t)
	h.start()
	for _, c := range []struct{ path, body, field string }{
		{"/api/admin/queues/q1", `{"ring_timeout":"soon"}`, "ring_timeout"},
		{"/api/admin/queues/q1", `{"skills":{"sales":11}}`, "skills.sales"},
		{"/api/admin/queues/q1", `{"overflow":[{"after_wait":"5s"}]}`, "overflow[0]"},
		{"/api/admin/queues/q1", `{"colour":"red"}`, "colour"},
		{"/api/admin/queues/q1", `{"code":"q2"}`, "code"},
		{"/api/admin/queues/q%20one", `{}`, "code"},
		{"/api/admin/agents/a7", `{"endpoint":"PJSIP/1 & 2"}`, "endpoint"},
		{"/api/admin/agents/a7", `{"password":"short"}`, "password"},
		{"/api/admin/agents/a7", `{"groups":["nobody"]}`, "groups"},
		{"/api/admin/routes/5550400", `{"queue":"nowhere"}`, "queue"},
	} {
		code, body := h.admin("PUT", c.path, c.body)
		var e struct {
			Error struct{ Field string } `json:"error"`
		}
		_ = json.Unmarshal([]byte(body), &e)
		if code != http.StatusBadRequest || e.Error.Field != c.field {
			t.Errorf("PUT %s %s: HTTP %d %s, want 400 naming %s", c.path, c.body, code, body, c.field)
		}
	}
	if code, body := h.send("PUT", "/api/admin/queues/q1", `{}`); code != http.StatusForbidden {
		t.Fatalf("the integration token on the admin API: HTTP %d %s", code, body)
	}
	if n := h.count("config.changed"); n != 1 { // the seed only
		t.Fatalf("%d config.changed events after refused changes", n)
	}
}

// The file seeds an empty database only: what the admin changed survives a
// restart, and the file's own change does not undo it.
func TestAdminChangesSurviveARestart(t *testing.T) {
	h := newLiveHarness(t)
	h.start()
	h.mustAdmin("PUT", "/api/admin/queues/vip", `{"skills":{"vip":1}}`, http.StatusCreated)
	h.mustAdmin("DELETE", "/api/admin/agents/a1", "", http.StatusNoContent)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	h.cfg.ACD.Queues[0].Name = "changed in the file"
	h.start()
	var queues []map[string]any
	if err := json.Unmarshal([]byte(h.mustAdmin("GET", "/api/admin/queues", "", http.StatusOK)), &queues); err != nil {
		t.Fatal(err)
	}
	if len(queues) != 2 || queues[0]["code"] != "sales" || queues[0]["name"] != "" || queues[1]["code"] != "vip" {
		t.Fatalf("queues after the restart: %v", queues)
	}
	if code, body := h.admin("GET", "/api/admin/agents/a1", ""); code != http.StatusNotFound {
		t.Fatalf("the removed agent after the restart: HTTP %d %s", code, body)
	}
	if code := h.post("/api/agents/a1/login"); code != http.StatusNotFound {
		t.Fatalf("login of the removed agent after the restart: HTTP %d", code)
	}
}
