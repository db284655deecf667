package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// agendaFixture is a campaign (in its calling window all day) with an
// agenda option and a normal one, and one target.
type agendaFixture struct {
	db               *store.DB
	campaign         int
	agenda, normal   int
	target           int64
	morning, evening time.Time
}

func newAgendaFixture(t *testing.T, fallback *int) agendaFixture {
	t.Helper()
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	c := newCampaign(t, db, dialer.Campaign{Name: "agenda", IsActive: true, RetryNumber: 3, WindowStart: "00:00", WindowEnd: "23:59",
		AgendaFallbackMinutes: fallback})
	agenda, err := db.AddDispositionOption(ctx, store.DispositionOption{CampaignID: c, Name: "Call back", Kind: store.DispositionAgenda})
	if err != nil {
		t.Fatal(err)
	}
	normal, err := db.AddDispositionOption(ctx, store.DispositionOption{CampaignID: c, Name: "Interested", Kind: store.DispositionEngaged})
	if err != nil {
		t.Fatal(err)
	}
	target := addTarget(t, db, dialer.Target{CampaignID: c, PhoneI: "5550001", FirstName: "Tami"})
	morning := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return agendaFixture{db: db, campaign: c, agenda: agenda, normal: normal, target: target, morning: morning,
		evening: morning.Add(9 * time.Hour)}
}

// personal schedules a personal callback of the target for agent at at.
func (f agendaFixture) personal(t *testing.T, agent string, at time.Time) store.Disposition {
	t.Helper()
	d, err := f.db.CreateDisposition(ctxT(t), store.ContactRef{ID: f.target}, store.Disposition{DispositionOptionID: f.agenda,
		Agent: agent, Agenda: &store.Agenda{At: at, Kind: "personal", Comments: "after six"}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f agendaFixture) claimAll(t *testing.T, at time.Time) []store.Claim {
	t.Helper()
	cs, err := f.db.ClaimTargets(ctxT(t), f.campaign, at, 10)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestFinishAttemptSetsLastCallTS: bi.getdialertargetsbystatus's
// Last_Call_TS is the end of the target's last attempt, not its start.
func TestFinishAttemptSetsLastCallTS(t *testing.T) {
	f := newAgendaFixture(t, nil)
	ctx := ctxT(t)
	if len(f.claimAll(t, f.morning)) != 1 {
		t.Fatal("target not claimed")
	}
	end := f.morning.Add(47 * time.Second)
	if _, err := f.db.FinishAttempt(ctx, f.target, dialer.StatusNoAnswer, end); err != nil {
		t.Fatal(err)
	}
	var last time.Time
	if err := f.db.GetContext(ctx, &last, `SELECT last_call_ts FROM bi.getdialertargetsbystatus($1, $2, $3, NULL)`,
		f.campaign, f.morning.Add(-time.Hour), f.morning.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !last.Equal(end) {
		t.Fatalf("Last_Call_TS %v, want the attempt's end %v", last, end)
	}
}

// TestDispositionDuringTheCallSurvivesTheAttemptsEnd: an agent schedules a
// callback while the call is still up; whichever of the disposition and the
// end of the attempt is stored first, the target keeps the callback and the
// attempt its result.
func TestDispositionDuringTheCallSurvivesTheAttemptsEnd(t *testing.T) {
	for _, dispositionFirst := range []bool{true, false} {
		name := map[bool]string{true: "disposition first", false: "attempt end first"}[dispositionFirst]
		t.Run(name, func(t *testing.T) {
			f := newAgendaFixture(t, nil)
			ctx := ctxT(t)
			cs := f.claimAll(t, f.morning)
			if len(cs) != 1 {
				t.Fatal("target not claimed")
			}
			attempt, err := f.db.StartAttempt(ctx, store.Attempt{CampaignID: f.campaign, TargetID: f.target, Phone: cs[0].Phone,
				PhoneIndex: 1, Mode: "progressive", StartedAt: f.morning})
			if err != nil {
				t.Fatal(err)
			}
			end := f.morning.Add(3 * time.Minute)
			finish := func() {
				if err := f.db.EndAttempt(ctx, store.AttemptEnd{ID: attempt, EndedAt: end, Result: dialer.StatusAnswered, Human: true}); err != nil {
					t.Fatal(err)
				}
				if _, err := f.db.FinishAttempt(ctx, f.target, dialer.StatusAnswered, end); err != nil {
					t.Fatal(err)
				}
			}
			if !dispositionFirst {
				finish()
			}
			f.personal(t, "1001", f.evening)
			if dispositionFirst {
				finish()
			}
			tg, err := f.db.Target(ctx, f.target)
			if err != nil {
				t.Fatal(err)
			}
			if tg.StatusCode != dialer.StatusCallback || tg.NextCallTS == nil || !tg.NextCallTS.Equal(store.Never) {
				t.Fatalf("target after both: status %d next %v, want the personal callback (status 12, next call only for its agent)",
					tg.StatusCode, tg.NextCallTS)
			}
			if tg.LastCallTS == nil || !tg.LastCallTS.Equal(end) {
				t.Errorf("last_call_ts %v, want %v", tg.LastCallTS, end)
			}
			var result int
			if err := f.db.GetContext(ctx, &result, `SELECT result FROM dialer.attempt WHERE attempt_id=$1`, attempt); err != nil || result != dialer.StatusAnswered {
				t.Errorf("attempt result %d %v, want answered", result, err)
			}
			list, err := f.db.AgentAgenda(ctx, "1001")
			if err != nil || len(list) != 1 || !list[0].CallbackAt.Equal(f.evening) {
				t.Fatalf("agent's agenda %+v %v, want the callback at %v", list, err, f.evening)
			}
			// The callback is the agent's: due, only its claim takes it.
			if cs := f.claimAll(t, f.evening.Add(time.Minute)); len(cs) != 0 {
				t.Fatalf("a personal callback was claimed for any agent: %+v", cs)
			}
			if _, ok, err := f.db.ClaimAgenda(ctx, f.campaign, "1002", f.evening.Add(time.Minute)); ok || err != nil {
				t.Fatalf("another agent claimed the callback: %v %v", ok, err)
			}
			if _, ok, err := f.db.ClaimAgenda(ctx, f.campaign, "1001", f.evening.Add(-time.Minute)); ok || err != nil {
				t.Fatalf("the callback was claimed before its time: %v %v", ok, err)
			}
			if c, ok, err := f.db.ClaimAgenda(ctx, f.campaign, "1001", f.evening.Add(time.Minute)); !ok || err != nil || c.TargetID != f.target {
				t.Fatalf("the agent's claim: %+v %v %v", c, ok, err)
			}
		})
	}
}

// TestPersonalCallbackFallsBackToAnyAgent: with agendaFallbackMinutes, a
// callback its agent did not take goes to any agent that many minutes
// after its time.
func TestPersonalCallbackFallsBackToAnyAgent(t *testing.T) {
	fallback := 30
	f := newAgendaFixture(t, &fallback)
	f.personal(t, "1001", f.evening)
	if cs := f.claimAll(t, f.evening.Add(29*time.Minute)); len(cs) != 0 {
		t.Fatalf("claimed for any agent before the fallback: %+v", cs)
	}
	if cs := f.claimAll(t, f.evening.Add(30*time.Minute)); len(cs) != 1 || cs[0].TargetID != f.target {
		t.Fatalf("not claimed for any agent after the fallback: %+v", cs)
	}
}

// TestAnsweredCallbackLeavesTheAgenda: a callback that reached its person
// is done; one that did not is retried, still for its agent.
func TestAnsweredCallbackLeavesTheAgenda(t *testing.T) {
	f := newAgendaFixture(t, nil)
	ctx := ctxT(t)
	f.personal(t, "1001", f.evening)
	at := f.evening.Add(time.Minute)
	if _, ok, err := f.db.ClaimAgenda(ctx, f.campaign, "1001", at); !ok || err != nil {
		t.Fatal("not claimed", err)
	}
	if _, err := f.db.FinishAttempt(ctx, f.target, dialer.StatusBusy, at.Add(20*time.Second)); err != nil {
		t.Fatal(err)
	}
	list, err := f.db.AgentAgenda(ctx, "1001")
	if err != nil || len(list) != 1 || !list[0].CallbackAt.After(at) {
		t.Fatalf("after a busy attempt: %+v %v, want the callback moved to the retry", list, err)
	}
	if cs := f.claimAll(t, list[0].CallbackAt.Add(time.Minute)); len(cs) != 0 {
		t.Fatalf("the retry went to any agent: %+v", cs)
	}
	retry := list[0].CallbackAt.Add(time.Minute)
	if _, ok, err := f.db.ClaimAgenda(ctx, f.campaign, "1001", retry); !ok || err != nil {
		t.Fatal("retry not claimed", err)
	}
	if _, err := f.db.FinishAttempt(ctx, f.target, dialer.StatusAnswered, retry.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if list, err := f.db.AgentAgenda(ctx, "1001"); err != nil || len(list) != 0 {
		t.Fatalf("after the answered callback: %+v %v, want none", list, err)
	}
}

// TestDispositionsAreLogged: creating and changing a disposition each
// write a dialer.disposition event, in the disposition's transaction.
func TestDispositionsAreLogged(t *testing.T) {
	f := newAgendaFixture(t, nil)
	ctx := ctxT(t)
	d, err := f.db.CreateDisposition(ctx, store.ContactRef{ID: f.target}, store.Disposition{DispositionOptionID: f.normal, Agent: "1001", CallID: "c-1"})
	if err != nil {
		t.Fatal(err)
	}
	d.DispositionOptionID, d.Agenda = f.agenda, &store.Agenda{At: f.evening, Kind: "global"}
	if _, err := f.db.UpdateDisposition(ctx, nil, store.ContactRef{ID: f.target}, d); err != nil {
		t.Fatal(err)
	}
	// A refused one writes nothing.
	if _, err := f.db.CreateDisposition(ctx, store.ContactRef{ID: f.target}, store.Disposition{DispositionOptionID: f.normal}); err == nil {
		t.Fatal("a second disposition of the contact was accepted")
	}
	var rows []struct {
		CallID  string `db:"call_id"`
		Agent   string `db:"agent"`
		Payload []byte `db:"payload"`
	}
	if err := f.db.SelectContext(ctx, &rows, `SELECT call_id, agent, payload FROM call_event WHERE kind=$1 ORDER BY id`,
		ccd.EventDialerDisposition); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d dialer.disposition events, want 2", len(rows))
	}
	var first, second ccd.DialerDisposition
	if err := json.Unmarshal(rows[0].Payload, &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(rows[1].Payload, &second); err != nil {
		t.Fatal(err)
	}
	if first.OptionID != f.normal || first.CampaignID != f.campaign || first.TargetID != f.target || first.Changed ||
		first.Kind != store.DispositionEngaged || rows[0].CallID != "c-1" || rows[0].Agent != "1001" {
		t.Errorf("first event %+v %+v", rows[0], first)
	}
	if second.OptionID != f.agenda || !second.Changed || second.AgendaKind != "global" || !second.AgendaAt.Equal(f.evening) {
		t.Errorf("second event %+v", second)
	}
}
