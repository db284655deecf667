package toolbar_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/integrations/toolbar"
	"github.com/gorilla/websocket"
)

// nextPop reads messages until an OnScreenPopUpData.
func nextPop(t *testing.T, ws *websocket.Conn) toolbar.ScreenPop {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m toolbar.ScreenPop
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m.Event == toolbar.EventScreenPop {
			return m
		}
	}
}

func crmEvent(call string, d ccd.CRMCallData) eventlog.Event {
	return eventlog.Event{At: time.Now(), Kind: ccd.EventCallCRMData, CallID: call, Payload: eventlog.Payload(d)}
}

// The CRM's answer (call.crm_data) that comes after the call rang the agent
// pops again, with the CRM's URL, transfer number and custom data; one that
// comes before the ring is in the ring's pop.
func TestToolbarScreenPopCarriesTheCRMsAnswer(t *testing.T) {
	r := newRig(t, config.Toolbar{Interval: time.Hour, SendBuffer: 64}, 5)
	ws := r.dial(t, websocket.DefaultDialer, "a1")
	ctx := context.Background()
	at := time.Now()
	offered := func(call string) {
		r.svc.Handle(ctx, eventlog.Event{At: at, Kind: ccd.EventCallOffered, CallID: call, Queue: "sales", CLID: "0611", DNIS: "5550100",
			Payload: eventlog.Payload(ccd.EventData{AttachData: "cust=4711"})})
	}
	ringing := func(call string) {
		r.svc.Handle(ctx, eventlog.Event{At: at, Kind: ccd.EventCallRinging, CallID: call, Agent: "a1", Queue: "sales", CLID: "0611",
			DNIS: "5550100", Payload: eventlog.Payload(ccd.EventData{Endpoint: "PJSIP/1001"})})
	}
	crm := ccd.CRMCallData{URL: "https://crm/callstart?ani=0611", DefaultTransferNumber: "5559000", CustomData: "app=remote"}

	offered("c1")
	ringing("c1")
	if p := nextPop(t, ws); p.CallID != "c1" || len(p.URLs) != 0 || p.DefaultTransferNumber != "" {
		t.Fatalf("pop at the ring %+v", p)
	}
	r.svc.Handle(ctx, crmEvent("c1", crm))
	p := nextPop(t, ws)
	if p.CallID != "c1" || len(p.URLs) != 1 || p.URLs[0] != crm.URL || p.DefaultTransferNumber != "5559000" ||
		p.AttachData != "cust=4711;app=remote" {
		t.Fatalf("pop after the CRM's answer %+v", p)
	}

	offered("c2")
	r.svc.Handle(ctx, crmEvent("c2", crm))
	ringing("c2")
	if p := nextPop(t, ws); p.CallID != "c2" || len(p.URLs) != 1 || p.URLs[0] != crm.URL || p.DefaultTransferNumber != "5559000" {
		t.Fatalf("pop of a call the CRM answered first %+v", p)
	}
	// Ended: a late answer pops nothing more (the next pop is c3's).
	r.svc.Handle(ctx, eventlog.Event{At: at, Kind: ccd.EventCallEnded, CallID: "c2"})
	r.svc.Handle(ctx, crmEvent("c2", crm))
	offered("c3")
	ringing("c3")
	if p := nextPop(t, ws); p.CallID != "c3" || len(p.URLs) != 0 {
		t.Fatalf("want c3's pop without the CRM's URL, got %+v", p)
	}
}

// A call flow's profile fields (call.profile_changed) before the queue are
// what {PROFILE:name} pops: the customer number the caller keyed, any field
// a step stored.
func TestToolbarScreenPopCarriesTheCallProfile(t *testing.T) {
	r := newRig(t, config.Toolbar{Interval: time.Hour, SendBuffer: 64,
		ScreenPop: []string{"https://crm/customer/{PROFILE:customer_number}?segment={profile:Segment}"}}, 5)
	ws := r.dial(t, websocket.DefaultDialer, "a1")
	ctx := context.Background()
	at := time.Now()
	r.svc.Handle(ctx, eventlog.Event{At: at, Kind: ccd.EventProfileChanged, CallID: "c1", Payload: eventlog.Payload(ccd.ProfileChange{
		Changes: []ccd.ProfileFieldChange{{Field: "customer_number", New: "4711"}, {Field: "segment", New: "gold & silver"}}})})
	r.svc.Handle(ctx, eventlog.Event{At: at, Kind: ccd.EventCallOffered, CallID: "c1", Queue: "sales", CLID: "0611", DNIS: "5550100",
		Payload: eventlog.Payload(ccd.EventData{})})
	r.svc.Handle(ctx, eventlog.Event{At: at, Kind: ccd.EventCallRinging, CallID: "c1", Agent: "a1", Queue: "sales", CLID: "0611",
		DNIS: "5550100", Payload: eventlog.Payload(ccd.EventData{Endpoint: "PJSIP/1001"})})
	if p := nextPop(t, ws); len(p.URLs) != 1 || p.URLs[0] != "https://crm/customer/4711?segment=gold+%26+silver" {
		t.Fatalf("pop %+v", p)
	}
}
