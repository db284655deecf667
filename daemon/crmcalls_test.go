package daemon_test

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
)

// crmCallStart is a CRM database (SQLite) whose Call Start answers per
// DNIS, as 001 describes it.
func crmCallStart(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crm.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE callstart (dnis TEXT, url TEXT, callid TEXT, record TEXT, transfer TEXT, skills TEXT, custom TEXT)`,
		`INSERT INTO callstart VALUES ('5550100', 'https://crm.example/callstart?dnis={Dnis}&ani={Ani}&callid={CallId}&calltype={CallType}',
			'CRM-1001', 'Y', '5559000', '', 'app=remote')`,
		`INSERT INTO callstart VALUES ('5550200', '', 'CRM-2002', 'N', '', 'french', '')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func withCallStartHook(h *harness, crm string) {
	h.cfg.SQLHooks.Driver, h.cfg.SQLHooks.DSN = "sqlite", crm
	h.cfg.SQLHooks.CallStart = config.SQLHook{Statement: `select Url, CallId, Record, transfer AS DefaultTransferNumber, Skills,
		custom AS CustomData from callstart where dnis = '{Dnis}'`}
}

// A queue call on the ARI simulation: the CRM's Call Start answer reaches
// the agent's toolbar (its URL, with its own replacements, and its transfer
// number), the call is recorded under the CRM's call id though its queue
// does not record, and /api/calls shows the transfer number.
func TestCallStartAnswerPopsRecordsAndOffersTransfer(t *testing.T) {
	h := newToolbarHarness(t, "https://crm.example")
	h.cfg.ACD.Queues[0].Record = false
	h.cfg.ACD.Queues[0].ScreenPopFetch = false
	withCallStartHook(h, crmCallStart(t))
	h.ari.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 300 * time.Millisecond})
	h.start()
	_, ws := h.toolbarOf("a1", toolbarPassword, "")
	h.callInbound()
	want := "https://crm.example/callstart?dnis=5550100&ani=5551234&callid=CRM-1001&calltype=1"
	var pop toolbarMsg
	for !strings.Contains(strings.Join(pop.URLs, " "), want) {
		pop = next(t, ws, "OnScreenPopUpData")
	}
	if pop.DefaultTransferNumber != "5559000" || pop.AttachData == nil || !strings.Contains(*pop.AttachData, "app=remote") {
		t.Fatalf("OnScreenPopUpData with the CRM's answer %+v", pop)
	}
	h.waitFor("the recording named by the CRM's call id", func() bool {
		var n int
		_ = h.db.Get(&n, `SELECT count(*) FROM call_event WHERE kind = 'call.recording' AND payload->>'recording' = 'CRM-1001'`)
		return n == 1
	})
	h.waitFor("the bridge recorded", func() bool { _, ok := h.ari.LiveRecording("CRM-1001"); return ok })
	var calls []ccd.Call
	h.getJSON("/api/calls", &calls)
	if len(calls) != 1 || calls[0].DefaultTransferNumber != "5559000" {
		t.Fatalf("/api/calls %+v", calls)
	}
}

// The CRM's Skills keep a waiting call from an agent without them: it goes
// to the agent who has them.
func TestCallStartSkillsMoveTheWaitingCall(t *testing.T) {
	h := newHarness(t)
	h.cfg.ACD.Queues = []config.Queue{{Code: "sales", Skills: map[string]int{"sales": 1}, RingTimeout: 5 * time.Second}}
	h.cfg.ACD.Routes = []config.Route{{DNIS: "5550200", Queue: "sales"}}
	h.cfg.ACD.Agents = []config.Agent{{ID: "a1", Endpoint: "PJSIP/1001", Skills: map[string]int{"sales": 5}},
		{ID: "a2", Endpoint: "PJSIP/1002", Skills: map[string]int{"sales": 1, "french": 1}}}
	withCallStartHook(h, crmCallStart(t))
	h.ari.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 50 * time.Millisecond})
	h.ari.SetEndpoint("PJSIP/1002", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 50 * time.Millisecond})
	h.start()
	if _, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550200"}, Number: "5551234", ChannelID: "c1"}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the CRM's skills on the waiting call", func() bool {
		var calls []ccd.Call
		h.getJSON("/api/calls", &calls)
		return len(calls) == 1 && strings.Join(calls[0].RequiredSkills, ",") == "french"
	})
	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login a1: %d", code)
	}
	if code := h.post("/api/agents/a2/login"); code != http.StatusOK {
		t.Fatalf("login a2: %d", code)
	}
	h.waitFor("a2 answers", func() bool {
		var agent string
		_ = h.db.Get(&agent, `SELECT agent FROM call_event WHERE kind = 'call.answered'`)
		return agent == "a2"
	})
	var rangA1 int
	if err := h.db.Get(&rangA1, `SELECT count(*) FROM call_event WHERE kind = 'call.ringing' AND agent = 'a1'`); err != nil || rangA1 != 0 {
		t.Fatalf("a1 rang %d times (%v), though it lacks the CRM's skill", rangA1, err)
	}
}

// A call that enters ccd with 001's call data in SIP headers (the CCD_X_*
// variables of the dialplan asterisk-config prints): its skills send it
// past the longest-idle agent to the one who has them, whose toolbar pops
// the header's URL and transfer number at the ring; the call is recorded
// under the header's CallId, and reported with the header's Ani and Dnis.
func TestSIPHeadersSteerPopAndRecordTheCall(t *testing.T) {
	h := newToolbarHarness(t, "https://crm.example")
	h.cfg.ACD.Queues[0].Record = false
	h.cfg.ACD.Queues[0].ScreenPopFetch = false
	h.cfg.ACD.Queues[0].Skills = map[string]int{"sales": 1}
	h.cfg.ACD.Agents[0].Skills = map[string]int{"sales": 5}
	h.cfg.ACD.Agents[1].Skills = map[string]int{"sales": 1, "french": 1}
	h.ari.SetEndpoint("PJSIP/1002", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 300 * time.Millisecond})
	h.start()
	for _, a := range []string{"a1", "a2"} { // a1 first: the longest idle
		if code := h.post("/api/agents/" + a + "/login"); code != http.StatusOK {
			t.Fatalf("login %s: %d", a, code)
		}
	}
	ws, _, err := h.dialToolbar("a2", h.agentToken("a2", toolbarPassword), "")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	vars := map[string]string{"CCD_X_DNIS": "5557777", "CCD_X_ANI": "5551234", "CCD_X_URL": "https://crm.example/ivr?case=42",
		"CCD_X_TRANSFER": "5559000", "CCD_X_CALLID": "IVR-42", "CCD_X_SKILLS": "french", "CCD_X_RECORD": "Y"}
	if _, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550100"}, Number: "5550000", ChannelID: "c1",
		Endpoint: "PJSIP/trunk", ChannelVars: vars}); err != nil {
		t.Fatal(err)
	}
	// The header's data reaches the toolbar with the ring's pop, or, when the
	// offer went out first, with a second pop of the same call.
	pop := next(t, ws, "OnScreenPopUpData")
	if len(pop.URLs) != 2 {
		pop = next(t, ws, "OnScreenPopUpData")
	}
	if len(pop.URLs) != 2 || pop.URLs[1] != "https://crm.example/ivr?case=42" || pop.DefaultTransferNumber != "5559000" ||
		pop.CLID != "5551234" || pop.DNIS != "5557777" || pop.CallID != "c1" {
		t.Fatalf("OnScreenPopUpData %+v", pop)
	}
	h.waitFor("the recording named by the header's CallId", func() bool {
		var n int
		_ = h.db.Get(&n, `SELECT count(*) FROM call_event WHERE kind = 'call.recording' AND payload->>'recording' = 'IVR-42'`)
		return n == 1
	})
	var rangA1 int
	if err := h.db.Get(&rangA1, `SELECT count(*) FROM call_event WHERE kind = 'call.ringing' AND agent = 'a1'`); err != nil || rangA1 != 0 {
		t.Fatalf("a1 rang %d times (%v), though it lacks the header's skill", rangA1, err)
	}
}

// An agent logged in by the CRM's Agent Login hook gets, for that session,
// the PhoneExtension it answered as its endpoint (through
// acd.extension_endpoint) and its AgentSkills in place of the configured
// ones: a call of a queue the configuration does not let it serve rings it
// at that extension. The configuration is not changed.
func TestAgentLoginHookSetsTheSessionsExtensionAndSkills(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crm.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE users (Username TEXT, Password TEXT, AgentId INT, CallerId TEXT, CallerIdName TEXT, AgentSkills TEXT, PhoneExtension TEXT, UserLevel INT)`,
		`INSERT INTO users VALUES ('a1', 'crm-secret', 7001, '5550100', 'Joe Smith', 'support, sales', '2001', 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	h := newHarness(t)
	h.cfg.ACD.Queues = []config.Queue{{Code: "sales", Skills: map[string]int{"sales": 1}, RingTimeout: 5 * time.Second},
		{Code: "support", Skills: map[string]int{"support": 1}, RingTimeout: 5 * time.Second}}
	h.cfg.ACD.Routes = []config.Route{{DNIS: "5550200", Queue: "support"}}
	h.cfg.ACD.Agents = []config.Agent{{ID: "a1", Endpoint: "PJSIP/1001", Skills: map[string]int{"sales": 5}}}
	h.cfg.API.AdminToken = adminToken
	h.cfg.SQLHooks.Driver, h.cfg.SQLHooks.DSN = "sqlite", path
	h.cfg.SQLHooks.AgentLogin = config.SQLHook{Statement: `select AgentId, CallerId, CallerIdName, AgentSkills, PhoneExtension, UserLevel
		FROM users where Username = '{USERNAME}' and Password = '{PASSWORD}'`}
	h.ari.SetEndpoint("PJSIP/2001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 50 * time.Millisecond})
	h.start()
	token := h.agentToken("a1", "crm-secret")
	h.asteriskLogin(token)
	var st ccd.AgentStatus
	h.getJSON("/api/agents/a1", &st)
	if st.Endpoint != "PJSIP/2001" || st.State != ccd.AgentReady {
		t.Fatalf("agent after the CRM's login %+v", st)
	}
	if _, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550200"}, Number: "5551234", ChannelID: "c1"}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("a1 answers the support call at the CRM's extension", func() bool {
		var n int
		_ = h.db.Get(&n, `SELECT count(*) FROM call_event WHERE kind = 'call.answered' AND agent = 'a1' AND payload->>'endpoint' = 'PJSIP/2001'`)
		return n == 1
	})
	code, body := h.admin("GET", "/api/admin/agents/a1", "")
	if code != http.StatusOK || strings.Contains(body, "support") || !strings.Contains(body, "PJSIP/1001") {
		t.Fatalf("the configured agent changed: HTTP %d %s", code, body)
	}
}
