package queue

import (
	"errors"
	"testing"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ari/aritest"
)

// The CRM asks, after the answer, to record a call its queue does not
// record: the bridge is recorded at once, under the CRM's call id; its
// transfer number shows with the call.
func TestCRMDataRecordsAConnectedCall(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	answering(sim, "PJSIP/1002")
	e := newEnv(t, sim, testACD(), nil)
	e.login("a2")
	e.caller("c1", "200") // support: not recorded
	ans := e.waitEvent("call.answered", "c1", "a2")
	until(t, "bridged", func() bool { return sim.Channel(ans.Data.Channel).BridgeID() != "" })
	if err := e.app.ApplyCRMData(e.ctx, "c1", CRMData{Record: true, RecordAs: "CRM 42", TransferNumber: "5559000"}); err != nil {
		t.Fatal(err)
	}
	rec := e.waitEvent("call.recording", "c1", "")
	if rec.Data.Recording != "CRM_42" {
		t.Fatalf("recording %q, want the CRM's call id", rec.Data.Recording)
	}
	until(t, "the bridge is being recorded", func() bool { _, ok := sim.LiveRecording("CRM_42"); return ok })
	calls, err := e.app.Calls(e.ctx)
	if err != nil || len(calls) != 1 || calls[0].DefaultTransferNumber != "5559000" {
		t.Fatalf("calls %+v %v", calls, err)
	}
	var ce *ccd.Error
	if err := e.app.ApplyCRMData(e.ctx, "c1", CRMData{Skills: []string{"support"}}); !errors.As(err, &ce) || ce.Code != ccd.ECONFLICT {
		t.Fatalf("skills for a connected call: want ECONFLICT, got %v", err)
	}
	if err := e.app.ApplyCRMData(e.ctx, "nope", CRMData{Record: true}); !errors.As(err, &ce) || ce.Code != ccd.ENOTFOUND {
		t.Fatalf("unknown call: want ENOTFOUND, got %v", err)
	}
}

// The CRM's skills keep a waiting call from an agent without them and give
// it to one with them; its Record=Y names the recording when it connects.
func TestCRMDataSkillsMoveAWaitingCall(t *testing.T) {
	sim := aritest.NewSim()
	defer sim.Close()
	answering(sim, "PJSIP/1001", "PJSIP/1002")
	e := newEnv(t, sim, testACD(), nil)
	e.login("a1")
	if err := e.app.NotReady(e.ctx, "a1", ""); err != nil {
		t.Fatal(err)
	}
	e.caller("c1", "100") // sales: a1 (sales) would take it
	e.waitEvent("call.queued", "c1", "")
	if err := e.app.ApplyCRMData(e.ctx, "c1", CRMData{Skills: []string{"support"}, Record: true, RecordAs: "crm-7"}); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Ready(e.ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	e.login("a2") // sales and support
	e.waitEvent("call.answered", "c1", "a2")
	for _, ev := range FromLog(e.log()) {
		if ev.Kind == "call.ringing" && ev.Agent == "a1" {
			t.Fatal("the call rang a1, who lacks the CRM's skill")
		}
	}
	if rec := e.waitEvent("call.recording", "c1", ""); rec.Data.Recording != "crm-7" {
		t.Fatalf("recording %q", rec.Data.Recording)
	}
	if c, _ := e.app.Calls(e.ctx); len(c) != 1 || c[0].State != acd.Connected {
		t.Fatalf("calls %+v", c)
	}
}
