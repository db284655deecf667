package daemon_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
)

const (
	c2cAgentPassword = "agent-password-0123456789"
	c2cCustomer      = "PJSIP/0611223344"
	flexAccount      = "flexfone-account"
	flexHash         = "flexfone-hash-0123456789"
)

func newClickToCallHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.cfg.ACD.Agents = []config.Agent{{ID: "a1", Name: "Ann Agent", Email: "ann@example.com", Endpoint: "PJSIP/1001",
		Endpoints: []string{"PJSIP/1011"}, Password: c2cAgentPassword}}
	h.cfg.ACD.Queues = append(h.cfg.ACD.Queues, config.Queue{Code: "support", RingTimeout: 5 * time.Second})
	h.cfg.ClickToCall.DialEndpoint = "PJSIP/{number}"
	h.cfg.ClickToCall.CallerID = "4570000000"
	h.cfg.ClickToCall.Queues = []config.ClickToCallQueue{{Queue: "sales", CallerID: "4571111111"}}
	h.cfg.API.FlexfoneAccount, h.cfg.API.FlexfoneHash = flexAccount, flexHash
	for _, ep := range []string{"PJSIP/1001", "PJSIP/1011", "PJSIP/1002", c2cCustomer} {
		h.ari.SetEndpoint(ep, aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	}
	return h
}

// clickToCall is the click-to-call's events' payloads, in order.
func (h *harness) clickToCalls(kind string) []ccd.ClickToCall {
	var raw []string
	_ = h.db.Select(&raw, `SELECT payload::text FROM call_event WHERE kind = $1 ORDER BY id`, kind)
	out := make([]ccd.ClickToCall, len(raw))
	for i, r := range raw {
		h.decode(r, &out[i])
	}
	return out
}

// bridged reports whether the click-to-call's bridge holds both sides.
func (h *harness) bridged(id string) bool {
	b, ok := h.ari.Bridge("ccd-" + id)
	return ok && len(b.Channels) == 2
}

// agentColumn sums a column of the agent's AgentStat rows.
func (h *harness) agentColumn(agent, col string) int {
	var n int
	_ = h.db.Get(&n, `SELECT coalesce(sum(`+col+`), 0) FROM stat.agentstat s
		JOIN stat.code a ON a.kind = 'agent' AND a.code = s.usercode AND a.name = $1`, agent)
	return n
}

func (h *harness) callType(ucid string) int {
	var n int
	_ = h.db.Get(&n, `SELECT coalesce(max(calltype), 0) FROM stat.callsstat WHERE ucid = $1`, ucid)
	return n
}

// OMniLeads makeCall (003 §18.1.4) with the agent's own token: the
// agent's phone rings first, then the customer with the campaign's caller
// ID; both are bridged. The agent is on a direct call meanwhile; the call
// is the agent's outbound call in the statistics (ExtDialed, CallsStat
// call type 2).
func TestClickToCallAgentFirstOverOMniLeads(t *testing.T) {
	h := newClickToCallHarness(t)
	h.start()
	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	token := h.agentToken("a1", c2cAgentPassword)
	code, body := h.sendAs(token, "POST", "/api/v1/makeCall",
		`{"idAgent": "a1", "idContact": "7", "idCampaign": "sales", "phone": "0611223344"}`)
	if code != http.StatusOK {
		t.Fatalf("makeCall: %d %s", code, body)
	}
	var ok struct{ Status, Callid string }
	h.decode(body, &ok)
	if ok.Status != "OK" || !strings.HasPrefix(ok.Callid, "c2c-") {
		t.Fatalf("makeCall answered %s", body)
	}
	h.waitFor("agent and customer bridged", func() bool { return h.bridged(ok.Callid) })
	h.waitFor("the legs in the log", func() bool {
		return h.firstARIEvent("ari.StasisStart", "PJSIP/1001") > 0 && h.firstARIEvent("ari.Dial", c2cCustomer) > 0
	})
	agentUp, customerDialled := h.firstARIEvent("ari.StasisStart", "PJSIP/1001"), h.firstARIEvent("ari.Dial", c2cCustomer)
	if agentUp == 0 || customerDialled < agentUp {
		t.Fatalf("agent in the application at event %d, customer dialled at %d", agentUp, customerDialled)
	}
	var shown string
	_ = h.db.Get(&shown, `SELECT payload->'peer'->'caller'->>'number' FROM call_event WHERE kind = 'ari.Dial'
		AND payload->'peer'->>'name' LIKE $1 || '%' LIMIT 1`, c2cCustomer)
	if shown != "4571111111" {
		t.Errorf("the customer's phone shows %q, want the campaign's caller ID", shown)
	}
	var st ccd.AgentStatus
	h.getJSON("/api/agents/a1", &st)
	if st.State != ccd.AgentOnDirectCall {
		t.Errorf("agent state during the click-to-call: %s", st.State)
	}
	// A second call while the agent talks is refused, naming the agent.
	code, body = h.sendAs(token, "POST", "/api/v1/makeCall", `{"idAgent": "a1", "idCampaign": "sales", "phone": "0611223355"}`)
	if code != http.StatusConflict || !strings.Contains(body, `"idAgent"`) {
		t.Errorf("a second call while on the first: %d %s", code, body)
	}
	// The customer hangs up: the agent is hung up, the agent ready again.
	if err := h.ari.Channel(ok.Callid + "-c").Hangup(16); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the click-to-call ended", func() bool { return len(h.clickToCalls(ccd.EventClickToCallEnded)) == 1 })
	ended := h.clickToCalls(ccd.EventClickToCallEnded)[0]
	if ended.Result != "answered" || ended.Agent != "a1" || ended.Extension != "1001" || ended.Via != "omnileads" || ended.AnsweredAt.IsZero() {
		t.Errorf("ended %+v", ended)
	}
	h.waitFor("the agent's phone hung up", func() bool { return !h.ari.Channel(ok.Callid + "-a1").Exists() })
	h.waitFor("the agent ready again", func() bool { h.getJSON("/api/agents/a1", &st); return st.State == ccd.AgentReady })
	h.waitFor("the statistics", func() bool {
		return h.agentColumn("a1", "extdialed") == 1 && h.agentColumn("a1", "extansweredto") == 1 && h.callType(ok.Callid) == 2
	})
}

// Customer first over ccd's API: the customer is dialled, then the
// extension rings and both are bridged; another customer goes to a queue
// and an agent answers it there.
func TestClickToCallCustomerFirst(t *testing.T) {
	h := newClickToCallHarness(t)
	h.start()
	code, body := h.sendAs(h.cfg.API.Token, "POST", "/api/clicktocall",
		`{"order": "customer_first", "phone": "1002", "number": "0611223344", "queue": "support"}`)
	if code != http.StatusCreated {
		t.Fatalf("click-to-call: %d %s", code, body)
	}
	var call ccd.ClickToCall
	h.decode(body, &call)
	h.waitFor("customer and extension bridged", func() bool { return h.bridged(call.ID) })
	h.waitFor("the legs in the log", func() bool {
		return h.firstARIEvent("ari.StasisStart", c2cCustomer) > 0 && h.firstARIEvent("ari.Dial", "PJSIP/1002") > 0
	})
	customerUp, extensionDialled := h.firstARIEvent("ari.StasisStart", c2cCustomer), h.firstARIEvent("ari.Dial", "PJSIP/1002")
	if customerUp == 0 || extensionDialled < customerUp {
		t.Fatalf("customer in the application at event %d, extension dialled at %d", customerUp, extensionDialled)
	}
	if err := h.ari.Channel(call.ID + "-a1").Hangup(16); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the customer hung up", func() bool { return !h.ari.Channel(call.ID + "-c").Exists() })
	h.waitFor("counted for the extension", func() bool {
		var n int
		_ = h.db.Get(&n, `SELECT coalesce(sum(extdialed), 0) FROM stat.extensionstat s
			JOIN stat.code e ON e.kind = 'extension' AND e.code = s.extension AND e.name = '1002'`)
		return n == 1 && h.callType(call.ID) == 2
	})

	// To a queue: the customer waits there like any caller until a1 answers.
	code, body = h.sendAs(h.cfg.API.Token, "POST", "/api/clicktocall",
		`{"order": "customer_first", "to_queue": "sales", "number": "0611223344"}`)
	if code != http.StatusCreated {
		t.Fatalf("click-to-call to a queue: %d %s", code, body)
	}
	h.decode(body, &call)
	h.waitFor("the customer queued", func() bool {
		var n int
		_ = h.db.Get(&n, `SELECT count(*) FROM call_event WHERE kind = 'call.queued' AND call_id = $1 AND queue = 'sales'`, call.ID+"-c")
		return n == 1
	})
	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	h.waitFor("a1 answers the customer", func() bool {
		var n int
		_ = h.db.Get(&n, `SELECT count(*) FROM call_event WHERE kind = 'call.answered' AND call_id = $1 AND agent = 'a1'`, call.ID+"-c")
		return n == 1
	})
}

// Flexfone MakeCall (004) in JSON and XML, with an empty Device (the
// employee's phones: all of them ring while the agent is logged out, the
// first to answer wins) and the answer in XML when Accept asks for it; the
// employee directory lists the agent with its phones.
func TestFlexfoneMakeCallAndEmployees(t *testing.T) {
	h := newClickToCallHarness(t)
	h.ari.SetEndpoint("PJSIP/1011", aritest.Behavior{Action: aritest.EndpointRing})
	h.start()
	// request sends body (none when empty) with the headers Flexfone's
	// clients set; an empty accept sends none.
	request := func(method, path, contentType, accept, body string) (int, string) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, "http://"+h.cfg.Listen+path, rd)
		req.Header.Set("Content-Type", contentType)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(contentType, accept, body string) (int, string) {
		return request("POST", "/api/flexfone/MakeCall", contentType, accept, body)
	}
	code, body := post("application/json", "", `{"Device":"","Callee":"0611223344","Username":"a1","Password":"`+c2cAgentPassword+`"}`)
	if code != http.StatusOK {
		t.Fatalf("MakeCall JSON: %d %s", code, body)
	}
	var res struct{ Status, CallId string }
	h.decode(body, &res)
	h.waitFor("bridged", func() bool { return h.bridged(res.CallId) })
	h.waitFor("the other phone stops ringing", func() bool { return !h.ari.Channel(res.CallId + "-a2").Exists() })

	code, body = post("application/xml", "application/xml", `<Call xmlns:i="http://www.w3.org/2001/XMLSchema-instance"
xmlns="http://schemas.datacontract.org/2004/07/MyFone_API.Models">
<Password>`+c2cAgentPassword+`</Password>
<Username>a1</Username>
<Callee> 0611223344</Callee>
<Device>1001</Device>
</Call>`)
	var xres struct {
		Status, CallId string
	}
	if err := xml.Unmarshal([]byte(body), &xres); code != http.StatusOK || err != nil || xres.Status != "OK" {
		t.Fatalf("MakeCall XML: %d %s (%v)", code, body, err)
	}
	h.waitFor("bridged", func() bool { return h.bridged(xres.CallId) })

	// Refusals name the field, in the dialect's shape.
	for _, c := range []struct {
		body, field string
		status      int
	}{
		{`{"Device":"","Callee":"0611223344","Username":"a1","Password":"wrong-password-0123456789"}`, "Username", 401},
		{`{"Device":"","Callee":"06-11","Username":"a1","Password":"` + c2cAgentPassword + `"}`, "Callee", 400},
		{`{"Device":"1002","Callee":"0611223344","Username":"a1","Password":"` + c2cAgentPassword + `"}`, "Device", 403},
		{`{"Callee":"0611223344","Username":"a1","Password":"` + c2cAgentPassword + `"}`, "Device", 400},
		{`{"Device":"","Callee":"0900123456","Username":"a1","Password":"` + c2cAgentPassword + `"}`, "Callee", 403},
	} {
		code, body := post("application/json", "", c.body)
		var e struct{ Status, Field string }
		_ = json.Unmarshal([]byte(body), &e)
		if code != c.status || e.Status != "ERROR" || e.Field != c.field {
			t.Errorf("%s: %d %s, want %d naming %s", c.body, code, body, c.status, c.field)
		}
	}

	get := func(path, contentType string) (int, string) { return request("GET", path, contentType, "", "") }
	auth := "?account=" + flexAccount + "&hash=" + flexHash
	code, body = get("/api/flexfone/employee"+auth, "application/json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list) != 1 {
		t.Fatalf("employees: %d %s", code, body)
	}
	e := list[0]
	for _, f := range []string{"Localnumber", "Name", "Description", "Email", "Phonenumbers", "Phones", "Info", "Department"} {
		if _, ok := e[f]; !ok {
			t.Errorf("employee has no %s: %s", f, body)
		}
	}
	if e["Localnumber"] != float64(1001) || e["Name"] != "Ann Agent" || e["Email"] != "ann@example.com" || len(e["Phones"].([]any)) != 2 {
		t.Errorf("employee %s", body)
	}
	code, body = get("/api/flexfone/employee/1001"+auth, "application/xml")
	if code != 200 || !strings.Contains(body, "<Employee><Localnumber>1001</Localnumber><Name>Ann Agent</Name>") ||
		!strings.Contains(body, "<Phone><LocalNumber>1011</LocalNumber><Name>PJSIP/1011</Name>") {
		t.Errorf("one employee in XML: %d %s", code, body)
	}
	if code, _ := get("/api/flexfone/employee?account="+flexAccount+"&hash=wrong", "application/json"); code != 401 {
		t.Errorf("wrong hash: %d", code)
	}
	if code, _ := get("/api/flexfone/employee/2000"+auth, "application/json"); code != 404 {
		t.Errorf("unknown local number: %d", code)
	}
}

// An agent calls only as itself, agent first; numbers are checked; each
// refusal names the field in the dialect's names.
func TestClickToCallRefusals(t *testing.T) {
	h := newClickToCallHarness(t)
	h.cfg.ACD.Agents = append(h.cfg.ACD.Agents, config.Agent{ID: "a2", Endpoint: "PJSIP/1002"})
	h.start()
	token := h.agentToken("a1", c2cAgentPassword)
	for _, c := range []struct {
		token, path, body, field string
		status                   int
	}{
		{token, "/api/v1/makeCall", `{"idAgent":"a2","idCampaign":"sales","phone":"0611223344"}`, "idAgent", 403},
		{token, "/api/v1/makeCall", `{"idAgent":"a1","idCampaign":"nosuch","phone":"0611223344"}`, "idCampaign", 400},
		{token, "/api/v1/makeCall", `{"idAgent":"a1","idCampaign":"sales","phone":"061122x"}`, "phone", 400},
		{token, "/api/v1/makeCall", `{"idAgent":"a1","idCampaign":"sales"}`, "phone", 400},
		{token, "/api/v1/makeCall", `{"idAgent":"a1","idCampaign":"sales","phone":"+19005551234"}`, "phone", 403},
		{token, "/api/v1/makeCall", `{"idExternalSystem":"3","idAgent":"a1","idCampaign":"sales","phone":"0611223344"}`, "idExternalSystem", 400},
		{token, "/api/clicktocall", `{"agent":"a2","number":"0611223344"}`, "agent", 403},
		{token, "/api/clicktocall", `{"number":"0611223344","phone":"1002"}`, "phone", 403},
		{token, "/api/clicktocall", `{"order":"customer_first","to_queue":"sales","number":"0611223344"}`, "order", 403},
		{h.cfg.API.Token, "/api/clicktocall", `{"agent":"a1","number":"123456789012345678901234567890123"}`, "number", 400},
		{h.cfg.API.Token, "/api/clicktocall", `{"order":"customer_first","to_queue":"nosuch","number":"0611223344"}`, "to_queue", 400},
		{h.cfg.API.Token, "/api/clicktocall", `{"order":"sideways","agent":"a1","number":"0611223344"}`, "order", 400},
		{h.cfg.API.Token, "/api/clicktocall", `{"number":"0611223344"}`, "agent", 400},
		{h.cfg.API.Token, "/api/clicktocall", `{"agent":"nosuch","number":"0611223344"}`, "agent", 404},
	} {
		code, body := h.sendAs(c.token, "POST", c.path, c.body)
		var field string
		if c.path == "/api/v1/makeCall" {
			var e struct {
				Status string
				Errors map[string][]string
			}
			_ = json.Unmarshal([]byte(body), &e)
			if e.Status == "ERROR" && len(e.Errors[c.field]) == 1 {
				field = c.field
			}
		} else {
			var e struct{ Error ccd.Error }
			_ = json.Unmarshal([]byte(body), &e)
			field = e.Error.Field
		}
		if code != c.status || field != c.field {
			t.Errorf("%s %s: %d %s, want %d naming %s", c.path, c.body, code, body, c.status, c.field)
		}
	}
	if n := h.count(ccd.EventClickToCallStarted); n != 0 {
		t.Errorf("%d calls started by refused requests", n)
	}
}

// ccd restarts during a click-to-call: Asterisk keeps both sides talking
// in the application; when the customer hangs up afterwards, the new ccd
// hangs the agent up too.
func TestClickToCallAcrossRestart(t *testing.T) {
	h := newClickToCallHarness(t)
	h.start()
	code, body := h.sendAs(h.cfg.API.Token, "POST", "/api/clicktocall", `{"agent": "a1", "number": "0611223344"}`)
	if code != http.StatusCreated {
		t.Fatalf("click-to-call: %d %s", code, body)
	}
	var call ccd.ClickToCall
	h.decode(body, &call)
	h.waitFor("bridged", func() bool { return h.bridged(call.ID) })
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	h.start()
	if err := h.ari.Channel(call.ID + "-c").Hangup(16); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the agent hung up", func() bool { return !h.ari.Channel(call.ID + "-a1").Exists() })
	h.waitFor("the bridge gone", func() bool { _, ok := h.ari.Bridge("ccd-" + call.ID); return !ok })
}

// A busy customer ends the call "busy": the agent's phone is hung up, the
// agent is ready again, and the statistics count a dialled call that was
// not answered (CallsStat end type: outbound unanswered).
func TestClickToCallBusyCustomer(t *testing.T) {
	h := newClickToCallHarness(t)
	h.ari.SetEndpoint(c2cCustomer, aritest.Behavior{Action: aritest.EndpointBusy, Delay: 20 * time.Millisecond})
	h.start()
	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	code, body := h.sendAs(h.cfg.API.Token, "POST", "/api/clicktocall", `{"agent": "a1", "number": "0611223344"}`)
	if code != http.StatusCreated {
		t.Fatalf("click-to-call: %d %s", code, body)
	}
	var call ccd.ClickToCall
	h.decode(body, &call)
	h.waitFor("the call ended", func() bool { return len(h.clickToCalls(ccd.EventClickToCallEnded)) == 1 })
	if c := h.clickToCalls(ccd.EventClickToCallEnded)[0]; c.Result != "busy" || !c.AnsweredAt.IsZero() {
		t.Errorf("ended %+v", c)
	}
	h.waitFor("the agent's phone hung up", func() bool { return !h.ari.Channel(call.ID + "-a1").Exists() })
	var st ccd.AgentStatus
	h.waitFor("the agent ready", func() bool { h.getJSON("/api/agents/a1", &st); return st.State == ccd.AgentReady })
	h.waitFor("the statistics", func() bool {
		var endType int
		_ = h.db.Get(&endType, `SELECT coalesce(max(endtype), 0) FROM stat.callsstat WHERE ucid = $1`, call.ID)
		return h.agentColumn("a1", "extdialed") == 1 && h.agentColumn("a1", "extansweredto") == 0 && endType == 107
	})
}
