package omnileads_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ccdhq/ccd/integrations/omnileads"
	"github.com/ccdhq/ccd/internal/apitest"
)

// targetRow is what a disposition changes on its contact.
func (f *dialerFixture) targetRow(t *testing.T, contact int64) (status, callMe int, next *time.Time) {
	t.Helper()
	if err := f.db.QueryRow(`SELECT status_code, call_me, next_call_ts FROM dialer.target WHERE target_id=$1`, contact).
		Scan(&status, &callMe, &next); err != nil {
		t.Fatal(err)
	}
	return status, callMe, next
}

func (f *dialerFixture) agendaCount(t *testing.T, contact int64) int {
	t.Helper()
	var n int
	if err := f.db.QueryRow(`SELECT count(*) FROM dialer.agenda WHERE target_id=$1`, contact).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// PUT disposition/<id> from Agenda to a normal option leaves the contact
// as a POST of the normal option leaves a contact (here never dialled:
// new, due now) and cancels the personal callback; back to Agenda
// schedules it again.
func TestOMniLeadsPutAgendaToNormalAndBack(t *testing.T) {
	f := newDialerFixture(t)
	c := fmt.Sprint(f.campaign)
	_, m := f.must(t, "POST", omnileads.NewContactRoute, f.alice, `{"idCampaign":"`+c+`","fName":"Juan","phoneI":"351222221"}`, 200)
	contact := int64(m["id"].(float64))
	_, m = f.must(t, "POST", omnileads.NewContactRoute, f.alice, `{"idCampaign":"`+c+`","fName":"Twin","phoneI":"351222222"}`, 200)
	twin := int64(m["id"].(float64))
	f.must(t, "POST", omnileads.DispositionsRoute, f.alice, fmt.Sprintf(`{"idContact":"%d","idDispositionOption":%d}`, twin, f.success), 201)
	wantStatus, wantCallMe, wantNext := f.targetRow(t, twin)

	agenda := fmt.Sprintf(`{"idContact":"%d","idDispositionOption":%d,
		"agenda":{"date":"2030-04-10","time":"18:13","type":"PERSONAL","comments":"llamar nuevamente"}}`, contact, f.agenda)
	_, m = f.must(t, "POST", omnileads.DispositionsRoute, f.alice, agenda, 201)
	disp := int64(m["id"].(float64))
	if status, _, _ := f.targetRow(t, contact); status != 12 {
		t.Fatalf("after the Agenda: status %d", status)
	}
	f.must(t, "PUT", fmt.Sprintf("/api/v1/disposition/%d", disp), f.alice,
		fmt.Sprintf(`{"idContact":"%d","idDispositionOption":%d}`, contact, f.success), 200)
	status, callMe, next := f.targetRow(t, contact)
	if status != wantStatus || callMe != wantCallMe || (next == nil) != (wantNext == nil) {
		t.Errorf("after PUT Agenda -> Success: status %d call_me %d next %v, want as POST Success left its twin: %d %d %v",
			status, callMe, next, wantStatus, wantCallMe, wantNext)
	}
	if n := f.agendaCount(t, contact); n != 0 {
		t.Errorf("%d callbacks left after the Agenda was changed", n)
	}
	f.must(t, "PUT", fmt.Sprintf("/api/v1/disposition/%d", disp), f.alice, agenda, 200)
	if status, callMe, _ := f.targetRow(t, contact); status != 12 || callMe != 1 || f.agendaCount(t, contact) != 1 {
		t.Errorf("after PUT Success -> Agenda: status %d call_me %d, %d callbacks", status, callMe, f.agendaCount(t, contact))
	}
}

// A PERSONAL callback for an agent who does not serve the campaign's
// queue is refused with a 400 naming idAgent, through POST, PUT and
// new_contact/disposition; nothing is stored. A GLOBAL one is taken.
func TestOMniLeadsRefusesAPersonalCallbackOfAnAgentOutsideTheQueue(t *testing.T) {
	f := newDialerFixture(t)
	f.db.SetAgentServes(func(agent, queue string) bool { return agent == "1001" && queue == "sales" })
	c := fmt.Sprint(f.campaign)
	_, m := f.must(t, "POST", omnileads.NewContactRoute, f.alice, `{"idCampaign":"`+c+`","fName":"Juan","phoneI":"351222221"}`, 200)
	contact := int64(m["id"].(float64))
	personal := func(agent string) string {
		return fmt.Sprintf(`{"idContact":"%d","idDispositionOption":%d,"idAgent":"%s",
			"agenda":{"date":"2030-04-10","time":"18:13","type":"PERSONAL","comments":"x"}}`, contact, f.agenda, agent)
	}
	namesIDAgent := func(what string, m map[string]any) {
		t.Helper()
		errs, _ := m["errors"].(map[string]any)
		if m["status"] != "ERROR" || errs == nil || errs["idAgent"] == nil {
			t.Errorf("%s: %v, want an error naming idAgent", what, m)
		}
	}
	_, m = f.must(t, "POST", omnileads.DispositionsRoute, apitest.IntegrationToken, personal("1002"), 400)
	namesIDAgent("POST for 1002", m)
	_, m = f.must(t, "POST", omnileads.DispositionsRoute, apitest.IntegrationToken, personal(""), 400)
	namesIDAgent("POST for no agent", m)
	_, m = f.must(t, "POST", omnileads.NewContactDispositionRoute, apitest.IntegrationToken, fmt.Sprintf(`{"phone":"351333333",
		"idDispositionOption":%d,"idAgent":"1002","agenda":{"date":"2030-04-10","time":"18:13","type":"PERSONAL","comments":"x"}}`, f.agenda), 400)
	namesIDAgent("new_contact/disposition for 1002", m)
	if status, _, _ := f.targetRow(t, contact); status != 0 || f.agendaCount(t, contact) != 0 {
		t.Fatalf("a refused disposition changed the contact: status %d", status)
	}
	var contacts int
	if err := f.db.QueryRow(`SELECT count(*) FROM dialer.target`).Scan(&contacts); err != nil || contacts != 1 {
		t.Fatalf("%d contacts (%v): a refused new_contact/disposition left its contact", contacts, err)
	}

	_, m = f.must(t, "POST", omnileads.DispositionsRoute, apitest.IntegrationToken,
		fmt.Sprintf(`{"idContact":"%d","idDispositionOption":%d,"idAgent":"1002"}`, contact, f.success), 201)
	disp := int64(m["id"].(float64))
	_, m = f.must(t, "PUT", fmt.Sprintf("/api/v1/disposition/%d", disp), apitest.IntegrationToken, personal("1002"), 400)
	namesIDAgent("PUT for 1002", m)
	f.must(t, "PUT", fmt.Sprintf("/api/v1/disposition/%d", disp), apitest.IntegrationToken, fmt.Sprintf(`{"idContact":"%d",
		"idDispositionOption":%d,"idAgent":"1002","agenda":{"date":"2030-04-10","time":"18:13","type":"GLOBAL","comments":"x"}}`,
		contact, f.agenda), 200)
	f.must(t, "PUT", fmt.Sprintf("/api/v1/disposition/%d", disp), apitest.IntegrationToken, personal("1001"), 200)
}
