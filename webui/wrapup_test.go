package webui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/apitest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// The dialer's campaigns and dispositions of the fixture's store: its
// PostgreSQL database (memStore.disp).
func (m *memStore) CampaignCallOf(ctx context.Context, callID string) (store.CampaignCall, bool, error) {
	return m.disp.CampaignCallOf(ctx, callID)
}

func (m *memStore) Campaign(ctx context.Context, id int) (dialer.Campaign, error) {
	return m.disp.Campaign(ctx, id)
}

func (m *memStore) DispositionOptions(ctx context.Context, campaign int, field string) ([]store.DispositionOption, error) {
	return m.disp.DispositionOptions(ctx, campaign, field)
}

func (m *memStore) DispositionOption(ctx context.Context, id int) (store.DispositionOption, error) {
	return m.disp.DispositionOption(ctx, id)
}

func (m *memStore) DispositionOfCall(ctx context.Context, c store.CampaignCall) (*store.CallDisposition, error) {
	return m.disp.DispositionOfCall(ctx, c)
}

func (m *memStore) LastCallOfAgent(ctx context.Context, agent string) (string, error) {
	return m.disp.LastCallOfAgent(ctx, agent)
}

func (m *memStore) SetCallDisposition(ctx context.Context, c store.CampaignCall, d store.Disposition) (store.Disposition, bool, error) {
	return m.disp.SetCallDisposition(ctx, c, d)
}

// onCallAgents is the fake ACD with each agent's present call.
type onCallAgents struct {
	*apitest.FakeAgents
	mu    sync.Mutex
	calls map[string]ccd.AgentStatus
}

func (a *onCallAgents) Agent(ctx context.Context, id string) (ccd.AgentStatus, error) {
	a.mu.Lock()
	st, ok := a.calls[id]
	a.mu.Unlock()
	if ok {
		return st, nil
	}
	return a.FakeAgents.Agent(ctx, id)
}

func (a *onCallAgents) set(id, state, call string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls[id] = ccd.AgentStatus{ID: id, State: state, CallID: call}
}

// wrapUpFixture: agent 1001 (Alice) with a call of a campaign with a
// normal, an agenda and a hidden option, and a second campaign's option.
type wrapUpFixture struct {
	*fixture
	ctl                           *onCallAgents
	db                            *store.DB
	campaign                      int
	call                          string
	sold, callBack, old, otherOpt int
}

func newWrapUpFixture(t *testing.T) wrapUpFixture {
	t.Helper()
	ctl := &onCallAgents{FakeAgents: apitest.NewFakeAgents(), calls: map[string]ccd.AgentStatus{}}
	f := newFixtureCtl(t, nil, nil, ctl, nil)
	db := pgtest.NewDB(t)
	f.st.disp = db
	ctx := context.Background()
	campaign := func(name string) int {
		c := dialer.Campaign{Name: name, QueueCode: "sales", IsActive: true}.WithDefaults()
		id, err := db.CreateCampaign(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	option := func(campaign int, name, kind string, hidden bool) int {
		id, err := db.AddDispositionOption(ctx, store.DispositionOption{CampaignID: campaign, Name: name, Kind: kind, Hidden: hidden})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	w := wrapUpFixture{fixture: f, ctl: ctl, db: db, campaign: campaign("Renewals")}
	w.sold = option(w.campaign, "Sold", store.DispositionEngaged, false)
	w.callBack = option(w.campaign, "Call back", store.DispositionAgenda, false)
	w.old = option(w.campaign, "Old offer", store.DispositionNormal, true)
	w.otherOpt = option(campaign("Other"), "Sold", store.DispositionNormal, false)
	target, err := db.AddTarget(ctx, dialer.Target{CampaignID: w.campaign, PhoneI: "5550001", FirstName: "Tami"}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	attempt, err := db.StartAttempt(ctx, store.Attempt{CampaignID: w.campaign, TargetID: target, Phone: "5550001", PhoneIndex: 1,
		Mode: "progressive", StartedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	w.call = "dialer-" + strconv.FormatInt(attempt, 10)
	ctl.set("1001", "on_call", w.call)
	return w
}

func (w wrapUpFixture) post(s *session, call string, form url.Values) (int, map[string]any) {
	r := w.do("POST", "/ui/calls/"+url.PathEscape(call)+"/disposition", s, form, s.csrf)
	var body map[string]any
	_ = json.Unmarshal(r.Body.Bytes(), &body)
	return r.Code, body
}

func errorField(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

// The wrap-up panel of a campaign call: the options without the hidden
// one; saving stores the disposition with the comments and writes the
// dialer.disposition event; a second save corrects it (one disposition,
// two events); the panel then shows the saved one.
func TestWrapUpSavesAndCorrectsDisposition(t *testing.T) {
	w := newWrapUpFixture(t)
	alice := w.mustLogin("1001", agentPW)
	r := w.do("GET", "/ui/calls/"+w.call+"/disposition", alice, nil, "")
	var panel struct {
		Campaign    string                    `json:"campaign"`
		Options     []store.DispositionOption `json:"options"`
		Disposition *store.CallDisposition    `json:"disposition"`
	}
	if err := json.Unmarshal(r.Body.Bytes(), &panel); err != nil || r.Code != http.StatusOK {
		t.Fatalf("GET: %d %s", r.Code, r.Body)
	}
	var names []string
	for _, o := range panel.Options {
		names = append(names, o.Name)
	}
	if panel.Campaign != "Renewals" || len(names) != 2 || names[0] != "Sold" || names[1] != "Call back" || panel.Disposition != nil {
		t.Fatalf("panel: %+v (options %v)", panel, names)
	}
	code, body := w.post(alice, w.call, url.Values{"optionId": {strconv.Itoa(w.sold)}, "comments": {"wants the yearly plan"}})
	if code != http.StatusCreated || body["changed"] != false {
		t.Fatalf("save: %d %v", code, body)
	}
	at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Minute)
	code, body = w.post(alice, w.call, url.Values{"optionId": {strconv.Itoa(w.callBack)}, "comments": {"call after six"},
		"agendaAt": {at.Format(time.RFC3339)}, "agendaKind": {"global"}})
	if code != http.StatusOK || body["changed"] != true {
		t.Fatalf("correction: %d %v", code, body)
	}
	ctx := context.Background()
	var rows []struct {
		Option   int    `db:"disposition_option_id"`
		Agent    string `db:"agent"`
		CallID   string `db:"callid"`
		Comments string `db:"comments"`
	}
	if err := w.db.SelectContext(ctx, &rows, `SELECT disposition_option_id, agent, callid, comments FROM dialer.disposition`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Option != w.callBack || rows[0].Agent != "1001" || rows[0].CallID != w.call || rows[0].Comments != "call after six" {
		t.Fatalf("dispositions: %+v", rows)
	}
	var events int
	if err := w.db.GetContext(ctx, &events, `SELECT count(*) FROM call_event WHERE kind=$1 AND call_id=$2 AND agent='1001'`,
		ccd.EventDialerDisposition, w.call); err != nil || events != 2 {
		t.Fatalf("%d dialer.disposition events (%v), want 2", events, err)
	}
	r = w.do("GET", "/ui/calls/"+w.call+"/disposition", alice, nil, "")
	if err := json.Unmarshal(r.Body.Bytes(), &panel); err != nil || panel.Disposition == nil ||
		panel.Disposition.DispositionOptionID != w.callBack || panel.Disposition.AgendaAt == nil || !panel.Disposition.AgendaAt.Equal(at) ||
		*panel.Disposition.AgendaKind != "global" {
		t.Fatalf("panel after the correction: %s", r.Body)
	}
}

// Bad input is a 400 naming the field, and nothing is stored: no option,
// an unknown one, another campaign's, a hidden one, an agenda option
// without its time, a time in the past, a wrong callback kind, control
// characters in the comments.
func TestWrapUpRefusesBadInput(t *testing.T) {
	w := newWrapUpFixture(t)
	alice := w.mustLogin("1001", agentPW)
	future := time.Now().Add(time.Hour).Format(time.RFC3339)
	for _, c := range []struct {
		name  string
		form  url.Values
		field string
	}{
		{"no option", url.Values{"comments": {"x"}}, "optionId"},
		{"not a number", url.Values{"optionId": {"1; DROP TABLE"}}, "optionId"},
		{"unknown option", url.Values{"optionId": {"999999"}}, "optionId"},
		{"another campaign's", url.Values{"optionId": {strconv.Itoa(w.otherOpt)}}, "optionId"},
		{"hidden", url.Values{"optionId": {strconv.Itoa(w.old)}}, "optionId"},
		{"agenda without time", url.Values{"optionId": {strconv.Itoa(w.callBack)}}, "agendaAt"},
		{"agenda in the past", url.Values{"optionId": {strconv.Itoa(w.callBack)}, "agendaAt": {"2020-01-01T10:00:00Z"}}, "agendaAt"},
		{"agenda not a time", url.Values{"optionId": {strconv.Itoa(w.callBack)}, "agendaAt": {"tomorrow"}}, "agendaAt"},
		{"agenda kind", url.Values{"optionId": {strconv.Itoa(w.callBack)}, "agendaAt": {future}, "agendaKind": {"team"}}, "agendaKind"},
		{"control characters", url.Values{"optionId": {strconv.Itoa(w.sold)}, "comments": {"a\x1b[2Jb"}}, "comments"},
	} {
		code, body := w.post(alice, w.call, c.form)
		if code != http.StatusBadRequest || errorField(body) != c.field {
			t.Errorf("%s: %d %v, want 400 naming %s", c.name, code, body, c.field)
		}
	}
	var n int
	if err := w.db.GetContext(context.Background(), &n, `SELECT count(*) FROM dialer.disposition`); err != nil || n != 0 {
		t.Fatalf("%d dispositions stored (%v)", n, err)
	}
}

// Who may set a call's disposition: not an agent whose present call it is
// not (403), not a supervisor (403: a correction on an agent's behalf goes
// through the dialer API, which names the agent), not without the CSRF
// token (403); a call that is not a campaign's takes none (409).
func TestWrapUpOnlyTheAgentsOwnCampaignCall(t *testing.T) {
	w := newWrapUpFixture(t)
	alice := w.mustLogin("1001", agentPW)
	sold := url.Values{"optionId": {strconv.Itoa(w.sold)}}
	if r := w.do("POST", "/ui/calls/"+w.call+"/disposition", alice, sold, ""); r.Code != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d %s", r.Code, r.Body)
	}
	sue := w.mustLogin("sue", supervisorPW)
	if code, body := w.post(sue, w.call, sold); code != http.StatusForbidden {
		t.Errorf("a supervisor: %d %v", code, body)
	}
	if r := w.do("GET", "/ui/calls/"+w.call+"/disposition", sue, nil, ""); r.Code != http.StatusForbidden {
		t.Errorf("a supervisor reads the panel: %d %s", r.Code, r.Body)
	}
	w.ctl.set("1001", "on_call", "another-agents-call")
	if code, body := w.post(alice, w.call, sold); code != http.StatusForbidden {
		t.Errorf("a call that is not the agent's: %d %v", code, body)
	}
	w.ctl.set("1001", "wrap_up", "inbound-7")
	if code, body := w.post(alice, "inbound-7", sold); code != http.StatusConflict {
		t.Errorf("an inbound call: %d %v", code, body)
	}
	w.ctl.set("1001", "ready", w.call) // the wrap-up is over
	if code, body := w.post(alice, w.call, sold); code != http.StatusForbidden {
		t.Errorf("after the wrap-up: %d %v", code, body)
	}
	// In the wrap-up the ACD has forgotten the call; the event log says
	// which call the agent was last connected to.
	w.ctl.set("1001", "wrap_up", "")
	if code, body := w.post(alice, w.call, sold); code != http.StatusForbidden {
		t.Errorf("in a wrap-up of no known call: %d %v", code, body)
	}
	onCall := func(i int, call string) eventlog.Event {
		return eventlog.Event{At: time.Now().Add(time.Duration(i) * time.Second), Kind: ccd.EventAgentOnCall, Agent: "1001", CallID: call,
			Source: eventlog.SourceACD, Key: "on-call-" + strconv.Itoa(i)}
	}
	if err := (store.EventSink{DB: w.db}).Append(context.Background(), []eventlog.Event{onCall(0, w.call), onCall(1, "inbound-8")}); err != nil {
		t.Fatal(err)
	}
	if code, body := w.post(alice, w.call, sold); code != http.StatusForbidden {
		t.Errorf("in the wrap-up of a later call: %d %v", code, body)
	}
	if err := (store.EventSink{DB: w.db}).Append(context.Background(), []eventlog.Event{onCall(2, w.call)}); err != nil {
		t.Fatal(err)
	}
	if code, body := w.post(alice, w.call, sold); code != http.StatusCreated {
		t.Errorf("in the wrap-up of the call: %d %v", code, body)
	}
}

// A personal callback from the console of an agent who does not serve
// the campaign's queue (it had the call by a transfer, or was taken off
// the queue) is refused with a 400 naming agendaKind, and nothing is
// stored; the same callback as global is saved.
func TestWrapUpRefusesAPersonalCallbackOutsideTheQueue(t *testing.T) {
	w := newWrapUpFixture(t)
	w.db.SetAgentServes(func(agent, queue string) bool { return agent == "1002" && queue == "sales" })
	alice := w.mustLogin("1001", agentPW)
	at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Minute).Format(time.RFC3339)
	form := url.Values{"optionId": {strconv.Itoa(w.callBack)}, "agendaAt": {at}, "agendaKind": {"personal"}}
	code, body := w.post(alice, w.call, form)
	if code != http.StatusBadRequest || errorField(body) != "agendaKind" {
		t.Fatalf("personal callback of an agent outside the queue: %d %v", code, body)
	}
	var n int
	if err := w.db.GetContext(context.Background(), &n, `SELECT count(*) FROM dialer.disposition`); err != nil || n != 0 {
		t.Fatalf("%d dispositions stored (%v)", n, err)
	}
	form.Set("agendaKind", "global")
	if code, body := w.post(alice, w.call, form); code != http.StatusCreated {
		t.Fatalf("global callback: %d %v", code, body)
	}
}
