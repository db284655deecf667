package omnileads_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/integrations/omnileads"
	"github.com/ccdhq/ccd/internal/apitest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

type dialerFixture struct {
	s        *api.Server
	db       *store.DB
	alice    string // Alice's session token
	campaign int
	// the campaign's options
	success, agenda, angry int
}

func newDialerFixture(t *testing.T) *dialerFixture {
	t.Helper()
	s, _ := apitest.NewAgentServer(t)
	db := pgtest.NewDB(t)
	get := func() (*store.DB, error) { return db, nil }
	s.MountDialer(get)
	s.MountDispositionOptions(get)
	omnileads.MountDialer(s, get)
	f := &dialerFixture{s: s, db: db}
	tok := apitest.IntegrationToken
	_, m := f.must(t, "POST", "/api/dialer/campaigns", tok, `{"name":"Encuesta","queueCode":"sales","timeZone":"America/Argentina/Buenos_Aires"}`, 201)
	f.campaign = int(m["campaignId"].(float64))
	opts := fmt.Sprintf("/api/dialer/campaigns/%d/dispositionOptions", f.campaign)
	for _, o := range []struct {
		body string
		to   *int
	}{
		{`{"name":"Success","kind":"engaged"}`, &f.success},
		{`{"name":"Agenda","kind":"agenda"}`, &f.agenda},
		{`{"name":"Hangs up angry","hidden":true}`, &f.angry},
	} {
		_, m := f.must(t, "POST", opts, tok, o.body, 201)
		*o.to = int(m["id"].(float64))
	}
	_, m = f.must(t, "POST", "/api/v1/login", "", apitest.LoginBody("1001", "alice-pw"), 200)
	f.alice = m["token"].(string)
	return f
}

// must sends a JSON request and wants status code.
func (f *dialerFixture) must(t *testing.T, method, path, token, body string, code int) (string, map[string]any) {
	t.Helper()
	got, m, raw := apitest.Do(t, f.s, method, path, token, "application/json", body)
	if got != code {
		t.Fatalf("%s %s: %d %s, want %d", method, path, got, raw, code)
	}
	return raw, m
}

func jsonEq(t *testing.T, raw, want string) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("answer %s\nwant   %s", ja, jb)
	}
}

func TestOMniLeadsContactsAndDispositions(t *testing.T) {
	f := newDialerFixture(t)
	c := fmt.Sprint(f.campaign)

	raw, _ := f.must(t, "POST", omnileads.DatabaseMetadataRoute, f.alice, `{"idCampaign":"`+c+`"}`, 200)
	jsonEq(t, raw, `{"status":"OK","fields":["fName","lName","phoneI","phoneII","phoneIII","dataI","dataII","dataIII","externalTargetId"],
		"main_phone":"phoneI","external_id":"externalTargetId"}`)

	raw, m := f.must(t, "POST", omnileads.NewContactRoute, f.alice,
		`{"idCampaign":"`+c+`","fName":"Juan","phoneI":"351222221","externalTargetId":"7"}`, 200)
	contact := int64(m["id"].(float64))
	jsonEq(t, raw, fmt.Sprintf(`{"status":"OK","id":%d,"message":"Contacto agregado","contacto":{"fName":"Juan","lName":"",
		"phoneI":"351222221","phoneII":"","phoneIII":"","dataI":"","dataII":"","dataIII":"","externalTargetId":"7"}}`, contact))
	_, m = f.must(t, "POST", omnileads.NewContactRoute, f.alice, `{"idCampaign":"`+c+`","phoneI":"351222222","externalTargetId":"7"}`, 400)
	if m["status"] != "ERROR" || m["errors"].(map[string]any)["externalTargetId"] == nil {
		t.Fatalf("a second contact with external id 7: %v", m)
	}

	// the options, by ccd's id and by an external system's
	want := fmt.Sprintf(`[{"id":%d,"name":"Success","hidden":false,"kind":"engaged"},{"id":%d,"name":"Agenda","hidden":false,"kind":"agenda"},
		{"id":%d,"name":"Hangs up angry","hidden":true,"kind":"normal"}]`, f.success, f.agenda, f.angry)
	raw, _ = f.must(t, "GET", "/api/v1/campaign/"+c+"/dispositionOptions/", f.alice, "", 200)
	jsonEq(t, raw, want)
	f.must(t, "PUT", "/api/dialer/external/3/crm-encuesta", apitest.IntegrationToken, `{"campaignId":`+c+`}`, 200)
	raw, _ = f.must(t, "GET", "/api/v1/campaign/crm-encuesta/dispositionOptions/3/", f.alice, "", 200)
	jsonEq(t, raw, want)
	for _, path := range []string{"/api/v1/campaign/999/dispositionOptions/", "/api/v1/campaign/crm-encuesta/dispositionOptions/4/"} {
		raw, _ = f.must(t, "GET", path, f.alice, "", 404)
		jsonEq(t, raw, `{"detail":"No encontrado."}`)
	}

	// a disposition, then the refusals of the seed
	body := fmt.Sprintf(`{"idContact":"%d","idDispositionOption":%d,"callid":"96855041","comments":"Create peace."}`, contact, f.success)
	raw, m = f.must(t, "POST", omnileads.DispositionsRoute, f.alice, body, 201)
	disp := int64(m["id"].(float64))
	jsonEq(t, raw, fmt.Sprintf(`{"id":%d,"idContact":%d,"callid":"96855041","idDispositionOption":%d,"comments":"Create peace."}`, disp, contact, f.success))
	raw, _ = f.must(t, "POST", omnileads.DispositionsRoute, f.alice, body, 400)
	jsonEq(t, raw, `{"status":"ERROR","msg":"There is another disposition for this contact on this campaign",
		"errors":{"idContact":"There is another disposition for this contact on this campaign"}}`)
	raw, _ = f.must(t, "POST", omnileads.DispositionsRoute, f.alice, fmt.Sprintf(`{"idContact":"999","idDispositionOption":%d}`, f.success), 400)
	jsonEq(t, raw, `{"contact":"Contact id not found"}`)
	raw, _ = f.must(t, "POST", omnileads.DispositionsRoute, f.alice, fmt.Sprintf(`{"idContact":"%d","idDispositionOption":9999}`, contact), 400)
	jsonEq(t, raw, `{"idDispositionOption":"Disposition option id not found"}`)

	// the agent schedules a personal callback: Agenda, by the contact's external id
	raw, _ = f.must(t, "PUT", fmt.Sprintf("/api/v1/disposition/%d", disp), f.alice, fmt.Sprintf(`{"idExternalSystem":3,"idContact":"7",
		"idDispositionOption":%d,"callid":"96855041","comments":"Create peace. asdasd",
		"agenda":{"date":"2030-04-10","time":"18:13","type":"PERSONAL","comments":"llamar nuevamente"}}`, f.agenda), 200)
	jsonEq(t, raw, fmt.Sprintf(`{"id":%d,"idContact":%d,"callid":"96855041","idDispositionOption":%d,"comments":"Create peace. asdasd",
		"agenda":{"date":"2030-04-10","time":"18:13","type":"PERSONAL","comments":"llamar nuevamente"}}`, disp, contact, f.agenda))
	var status, callMe int
	var next time.Time
	if err := f.db.QueryRow(`SELECT status_code, call_me, next_call_ts FROM dialer.target WHERE target_id=$1`, contact).Scan(&status, &callMe, &next); err != nil {
		t.Fatal(err)
	}
	buenosAires, _ := time.LoadLocation("America/Argentina/Buenos_Aires")
	// A personal callback is dialled for its agent at its time; the
	// target's next call is when any agent may take it: never, without the
	// campaign's agendaFallbackMinutes.
	if status != 12 || callMe != 1 || !next.Equal(store.Never) {
		t.Fatalf("the target after the agenda: status %d call_me %d next call %s", status, callMe, next)
	}
	if a, err := f.db.AgendaOf(t.Context(), disp); err != nil || a == nil || a.Kind != "personal" || a.Comments != "llamar nuevamente" ||
		!a.At.Equal(time.Date(2030, 4, 10, 18, 13, 0, 0, buenosAires)) {
		t.Fatalf("agenda %+v, %v", a, err)
	}
	raw, _ = f.must(t, "PUT", "/api/v1/disposition/9999", f.alice, body, 404)
	jsonEq(t, raw, `{"detail":"No encontrado."}`)
	_, m = f.must(t, "PUT", fmt.Sprintf("/api/v1/disposition/%d", disp), f.alice,
		fmt.Sprintf(`{"idContact":"%d","idDispositionOption":%d}`, contact, f.agenda), 400)
	if m["errors"].(map[string]any)["agenda"] == nil {
		t.Fatalf("an Agenda disposition without its callback: %v", m)
	}

	// a contact and its disposition at once, by an integration for Bob
	raw, m = f.must(t, "POST", omnileads.NewContactDispositionRoute, apitest.IntegrationToken,
		fmt.Sprintf(`{"phone":"351333333","idExternalContact":"8","idDispositionOption":%d,"comments":"Me indeed open.","callid":"93178525",
		"fName":"Ana","idAgent":"1002"}`, f.angry), 201)
	bobs := int64(m["id"].(float64))
	newContact := int64(m["idContact"].(float64))
	jsonEq(t, raw, fmt.Sprintf(`{"id":%d,"idContact":%d,"callid":"93178525","idDispositionOption":%d,"comments":"Me indeed open."}`, bobs, newContact, f.angry))
	if tg, err := f.db.Target(t.Context(), newContact); err != nil || tg.PhoneI != "351333333" || tg.FirstName != "Ana" || *tg.ExternalTargetID != 8 {
		t.Fatalf("new contact %+v, %v", tg, err)
	}
	before := countTargets(t, f.db)
	raw, _ = f.must(t, "POST", omnileads.NewContactDispositionRoute, f.alice, `{"phone":"351444444","idDispositionOption":9999}`, 400)
	jsonEq(t, raw, `{"idDispositionOption":"Disposition option id not found"}`)
	if countTargets(t, f.db) != before {
		t.Fatal("a refused new_contact/disposition left its contact behind")
	}

	// each agent lists and changes its own dispositions; an integration all
	raw, _ = f.must(t, "GET", omnileads.DispositionsRoute, f.alice, "", 200)
	jsonEq(t, raw, fmt.Sprintf(`[{"id":%d,"idContact":%d,"callid":"96855041","idDispositionOption":%d,"comments":"Create peace. asdasd"}]`, disp, contact, f.agenda))
	_, all, _ := apitest.Get(t, f.s, omnileads.DispositionsRoute, apitest.IntegrationToken)
	if list, _ := all.([]any); len(list) != 2 {
		t.Fatalf("the integration lists %v", all)
	}
	f.must(t, "PUT", fmt.Sprintf("/api/v1/disposition/%d", bobs), f.alice, fmt.Sprintf(`{"idContact":"%d","idDispositionOption":%d}`, newContact, f.success), 404)
	f.must(t, "POST", omnileads.DispositionsRoute, f.alice, fmt.Sprintf(`{"idContact":"%d","idDispositionOption":%d,"idAgent":"1002"}`, newContact, f.success), 403)

	// Every disposition stored (POST, PUT, new_contact/disposition) is in
	// the event log, the refused ones are not.
	var logged int
	if err := f.db.QueryRow(`SELECT count(*) FROM call_event WHERE kind='dialer.disposition'`).Scan(&logged); err != nil || logged != 3 {
		t.Fatalf("%d dialer.disposition events (%v), want 3", logged, err)
	}
}

func countTargets(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM dialer.target`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOMniLeadsDialerRefusesBadInputNamingTheField(t *testing.T) {
	f := newDialerFixture(t)
	c := fmt.Sprint(f.campaign)
	for _, tc := range []struct {
		name, method, path, token, body string
		code                            int
		field                           string
	}{
		{"unknown campaign", "POST", omnileads.DatabaseMetadataRoute, f.alice, `{"idCampaign":"999"}`, 400, "idCampaign"},
		{"campaign not a number", "POST", omnileads.DatabaseMetadataRoute, f.alice, `{"idCampaign":"abc"}`, 400, "idCampaign"},
		{"unknown field", "POST", omnileads.DatabaseMetadataRoute, f.alice, `{"idCampaign":"` + c + `","speed":1}`, 400, "speed"},
		{"phone with a letter", "POST", omnileads.NewContactRoute, f.alice, `{"idCampaign":"` + c + `","phoneI":"35122O221"}`, 400, "phoneI"},
		{"no phone", "POST", omnileads.NewContactRoute, f.alice, `{"idCampaign":"` + c + `","fName":"x"}`, 400, "phoneI"},
		{"external id not a number", "POST", omnileads.NewContactRoute, f.alice, `{"idCampaign":"` + c + `","phoneI":"1","externalTargetId":"id7"}`, 400, "externalTargetId"},
		{"phone too long", "POST", omnileads.NewContactDispositionRoute, f.alice, fmt.Sprintf(`{"phone":"123456789012345678901","idDispositionOption":%d}`, f.success), 400, "phone"},
		{"option not a number", "POST", omnileads.DispositionsRoute, f.alice, `{"idContact":"1","idDispositionOption":"x"}`, 400, "idDispositionOption"},
		{"contact missing", "POST", omnileads.DispositionsRoute, f.alice, fmt.Sprintf(`{"idDispositionOption":%d}`, f.success), 400, "idContact"},
		{"comments not a text", "POST", omnileads.DispositionsRoute, f.alice, fmt.Sprintf(`{"idContact":"1","idDispositionOption":%d,"comments":{}}`, f.success), 400, "comments"},
		{"agenda time", "POST", omnileads.DispositionsRoute, f.alice, fmt.Sprintf(`{"idContact":"1","idDispositionOption":%d,"agenda":{"date":"2030-01-01","time":"25:00"}}`, f.agenda), 400, "agenda.time"},
		{"agenda type", "POST", omnileads.DispositionsRoute, f.alice, fmt.Sprintf(`{"idContact":"1","idDispositionOption":%d,"agenda":{"date":"2030-01-01","time":"10:00","type":"SOON"}}`, f.agenda), 400, "agenda.type"},
		{"campaign id in the path", "GET", "/api/v1/campaign/abc/dispositionOptions/", f.alice, "", 400, "idc"},
		{"disposition id in the path", "PUT", "/api/v1/disposition/abc", f.alice, `{}`, 400, "id"},
		{"query parameter", "GET", omnileads.DispositionsRoute + "?page=2", f.alice, "", 400, "page"},
		{"no token", "GET", omnileads.DispositionsRoute, "", "", 401, ""},
		{"option kind", "POST", "/api/dialer/campaigns/" + c + "/dispositionOptions", apitest.IntegrationToken, `{"name":"x","kind":"weird"}`, 400, "kind"},
		{"option twice", "POST", "/api/dialer/campaigns/" + c + "/dispositionOptions", apitest.IntegrationToken, `{"name":"Success"}`, 409, "name"},
		{"options of an unknown campaign", "GET", "/api/dialer/campaigns/999/dispositionOptions", apitest.IntegrationToken, "", 404, "campaignId"},
		{"external id of an unknown campaign", "PUT", "/api/dialer/external/1/x", apitest.IntegrationToken, `{"campaignId":999}`, 404, "campaignId"},
		{"agent managing options", "POST", "/api/dialer/campaigns/" + c + "/dispositionOptions", f.alice, `{"name":"y"}`, 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, m, raw := apitest.Do(t, f.s, tc.method, tc.path, tc.token, "application/json", tc.body)
			if code != tc.code {
				t.Fatalf("%d %s, want %d", code, raw, tc.code)
			}
			if tc.field == "" {
				return
			}
			errs, _ := m["errors"].(map[string]any)
			e, _ := m["error"].(map[string]any)
			if errs[tc.field] == nil && (e == nil || e["field"] != tc.field) {
				t.Fatalf("%s does not name %s", raw, tc.field)
			}
		})
	}
}
