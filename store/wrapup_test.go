package store_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// placeCall records an attempt of the fixture's target, as the dialer does,
// and returns its call id (the attempt's channel).
func (f agendaFixture) placeCall(t *testing.T) string {
	t.Helper()
	id, err := f.db.StartAttempt(ctxT(t), store.Attempt{CampaignID: f.campaign, TargetID: f.target, Phone: "5550001",
		PhoneIndex: 1, Mode: "progressive", StartedAt: f.morning})
	if err != nil {
		t.Fatal(err)
	}
	return "dialer-" + strconv.FormatInt(id, 10)
}

// TestCampaignCallOf: the dialer's call names its campaign and contact; a
// call the dialer did not place names none.
func TestCampaignCallOf(t *testing.T) {
	f := newAgendaFixture(t, nil)
	call := f.placeCall(t)
	c, ok, err := f.db.CampaignCallOf(ctxT(t), call)
	if err != nil || !ok || c.CampaignID != f.campaign || c.TargetID != f.target || c.CallID != call {
		t.Fatalf("CampaignCallOf(%s) = %+v %v %v", call, c, ok, err)
	}
	if c, ok, err := f.db.CampaignCallOf(ctxT(t), "inbound-1"); ok || err != nil {
		t.Fatalf("an inbound call: %+v %v %v", c, ok, err)
	}
}

// TestSetCallDisposition: the first save creates the contact's
// disposition for the call, a second one corrects it (one row, the new
// option and callback, an event each, the second marked changed); the
// call's disposition reads back as saved.
func TestSetCallDisposition(t *testing.T) {
	f := newAgendaFixture(t, nil)
	ctx := ctxT(t)
	c, _, err := f.db.CampaignCallOf(ctx, f.placeCall(t))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := f.db.DispositionOfCall(ctx, c); d != nil || err != nil {
		t.Fatalf("before any save: %+v %v", d, err)
	}
	first, changed, err := f.db.SetCallDisposition(ctx, c, store.Disposition{DispositionOptionID: f.normal, Agent: "1001", Comments: "keen"})
	if err != nil || changed {
		t.Fatalf("first save: %+v changed=%v %v", first, changed, err)
	}
	second, changed, err := f.db.SetCallDisposition(ctx, c, store.Disposition{DispositionOptionID: f.agenda, Agent: "1001",
		Comments: "busy now", Agenda: &store.Agenda{At: f.evening, Kind: "personal"}})
	if err != nil || !changed || second.ID != first.ID {
		t.Fatalf("correction: %+v changed=%v %v (first %d)", second, changed, err, first.ID)
	}
	got, err := f.db.DispositionOfCall(ctx, c)
	if err != nil || got == nil || got.ID != first.ID || got.DispositionOptionID != f.agenda || got.Comments != "busy now" ||
		got.AgendaAt == nil || !got.AgendaAt.Equal(f.evening) || *got.AgendaKind != "personal" {
		t.Fatalf("the call's disposition: %+v %v", got, err)
	}
	var events []bool
	if err := f.db.SelectContext(ctx, &events, `SELECT coalesce((payload->>'changed')::bool, false) FROM call_event WHERE kind=$1 AND call_id=$2 ORDER BY id`,
		ccd.EventDialerDisposition, c.CallID); err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0] || !events[1] {
		t.Fatalf("events (changed): %v, want [false true]", events)
	}
}

// TestSetCallDispositionRace: two saves of the same call at once (two tabs)
// both succeed, and the contact keeps one disposition.
func TestSetCallDispositionRace(t *testing.T) {
	f := newAgendaFixture(t, nil)
	ctx := ctxT(t)
	c, _, err := f.db.CampaignCallOf(ctx, f.placeCall(t))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			_, _, errs[i] = f.db.SetCallDisposition(ctx, c, store.Disposition{DispositionOptionID: f.normal, Agent: "1001"})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := f.db.GetContext(ctx, &n, `SELECT count(*) FROM dialer.disposition WHERE target_id=$1`, f.target); err != nil || n != 1 {
		t.Fatalf("%d dispositions of the contact (%v), want 1", n, err)
	}
}

// TestLastCallOfAgent: the call the agent was last connected to, not an
// earlier one nor another agent's; none before any.
func TestLastCallOfAgent(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	if call, err := db.LastCallOfAgent(ctx, "1001"); call != "" || err != nil {
		t.Fatalf("before any call: %q %v", call, err)
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ev := func(i int, kind, agent, call string) eventlog.Event {
		return eventlog.Event{At: at.Add(time.Duration(i) * time.Second), Kind: kind, Agent: agent, CallID: call,
			Source: eventlog.SourceACD, Key: "k" + strconv.Itoa(i)}
	}
	if err := (store.EventSink{DB: db}).Append(ctx, []eventlog.Event{
		ev(1, ccd.EventAgentOnCall, "1001", "call-1"), ev(2, ccd.EventAgentWrapUp, "1001", ""),
		ev(3, ccd.EventAgentOnCall, "1001", "call-2"), ev(4, ccd.EventAgentWrapUp, "1001", ""),
		ev(5, ccd.EventAgentOnCall, "1002", "call-3"), ev(6, "call.ended", "1001", "call-4"),
	}); err != nil {
		t.Fatal(err)
	}
	if call, err := db.LastCallOfAgent(ctx, "1001"); call != "call-2" || err != nil {
		t.Fatalf("LastCallOfAgent = %q %v, want call-2", call, err)
	}
}

// TestSetCallDispositionOfACallback: the call back of a contact (a second
// call) replaces the contact's disposition and takes it for the new call;
// the first call's panel shows none any more.
func TestSetCallDispositionOfACallback(t *testing.T) {
	f := newAgendaFixture(t, nil)
	ctx := ctxT(t)
	first, _, _ := f.db.CampaignCallOf(ctx, f.placeCall(t))
	second, _, _ := f.db.CampaignCallOf(ctx, f.placeCall(t))
	d1, _, err := f.db.SetCallDisposition(ctx, first, store.Disposition{DispositionOptionID: f.agenda, Agent: "1001",
		Agenda: &store.Agenda{At: f.evening, Kind: "personal"}})
	if err != nil {
		t.Fatal(err)
	}
	d2, changed, err := f.db.SetCallDisposition(ctx, second, store.Disposition{DispositionOptionID: f.normal, Agent: "1002", Comments: "done"})
	if err != nil || !changed || d2.ID != d1.ID {
		t.Fatalf("the callback's disposition: %+v changed=%v %v", d2, changed, err)
	}
	if got, err := f.db.DispositionOfCall(ctx, second); err != nil || got == nil || got.Agent != "1002" || got.AgendaAt != nil {
		t.Fatalf("the second call's disposition: %+v %v", got, err)
	}
	if got, err := f.db.DispositionOfCall(ctx, first); err != nil || got != nil {
		t.Fatalf("the first call's disposition: %+v %v, want none", got, err)
	}
}

// BenchmarkSetCallDisposition is the wrap-up panel's save: the look-up of
// the call's campaign and contact, then a correction of its disposition
// (with its event).
func BenchmarkSetCallDisposition(b *testing.B) {
	db := pgtest.NewDB(b)
	ctx := ctxT(b)
	c, err := db.CreateCampaign(ctx, benchCampaign())
	if err != nil {
		b.Fatal(err)
	}
	opt, err := db.AddDispositionOption(ctx, store.DispositionOption{CampaignID: c, Name: "Sold", Kind: store.DispositionNormal})
	if err != nil {
		b.Fatal(err)
	}
	target, err := db.AddTarget(ctx, benchTarget(c))
	if err != nil {
		b.Fatal(err)
	}
	id, err := db.StartAttempt(ctx, store.Attempt{CampaignID: c, TargetID: target, Phone: "5550001", PhoneIndex: 1, StartedAt: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	call := "dialer-" + strconv.FormatInt(id, 10)
	b.ResetTimer()
	for b.Loop() {
		cc, ok, err := db.CampaignCallOf(ctx, call)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		if _, _, err := db.SetCallDisposition(ctx, cc, store.Disposition{DispositionOptionID: opt, Agent: "1001", Comments: "x"}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCampaign() dialer.Campaign {
	return dialer.Campaign{Name: "bench", QueueCode: "sales", IsActive: true}.WithDefaults()
}

func benchTarget(campaign int) dialer.Target {
	return dialer.Target{CampaignID: campaign, PhoneI: "5550001"}.WithDefaults()
}
