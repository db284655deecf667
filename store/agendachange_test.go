package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/store"
)

// targetState is what a disposition may change on a target.
type targetState struct {
	Status    int        `db:"status_code"`
	NextCall  *time.Time `db:"next_call_ts"`
	NextPhone int        `db:"next_phone"`
	CallMe    int        `db:"call_me"`
}

func stateOf(t *testing.T, db *store.DB, target int64) targetState {
	t.Helper()
	var s targetState
	if err := db.GetContext(ctxT(t), &s, `SELECT status_code, next_call_ts, next_phone, call_me FROM dialer.target
		WHERE target_id=$1`, target); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s targetState) equal(o targetState) bool {
	sameNext := (s.NextCall == nil) == (o.NextCall == nil) && (s.NextCall == nil || s.NextCall.Equal(*o.NextCall))
	return s.Status == o.Status && sameNext && s.NextPhone == o.NextPhone && s.CallMe == o.CallMe
}

// dialOnce claims target (due at at), records an attempt that ends with
// result after a minute, and applies the retry rules.
func (f agendaFixture) dialOnce(t *testing.T, target int64, result int, at time.Time) {
	t.Helper()
	ctx := ctxT(t)
	if _, err := f.db.ExecContext(ctx, `UPDATE dialer.target SET next_call_ts=NULL WHERE target_id=$1`, target); err != nil {
		t.Fatal(err)
	}
	var phone string
	if err := f.db.GetContext(ctx, &phone, `SELECT phone_i FROM dialer.target WHERE target_id=$1`, target); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ExecContext(ctx, `UPDATE dialer.target SET dialing_since=$2, dialing_phone=1, status_code=1,
		total_dials=total_dials+1, phone_i_counter=phone_i_counter+1 WHERE target_id=$1`, target, at); err != nil {
		t.Fatal(err)
	}
	id, err := f.db.StartAttempt(ctx, store.Attempt{CampaignID: f.campaign, TargetID: target, Phone: phone, PhoneIndex: 1,
		Mode: "progressive", StartedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	end := at.Add(time.Minute)
	if err := f.db.EndAttempt(ctx, store.AttemptEnd{ID: id, EndedAt: end, Result: result, Human: result == dialer.StatusAnswered}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.FinishAttempt(ctx, target, result, end); err != nil {
		t.Fatal(err)
	}
}

// Changing an Agenda disposition into a normal one (PUT) leaves the target
// as a POST of that normal disposition would have: the last attempt's
// result under the retry rules, not the callback status with its time, and
// the personal callback is cancelled (no agenda, nothing to claim for its
// agent).
func TestChangingAgendaToNormalFollowsTheNormalDisposition(t *testing.T) {
	for _, result := range []int{dialer.StatusNoAnswer, dialer.StatusAnswered} {
		t.Run(map[int]string{dialer.StatusNoAnswer: "no answer", dialer.StatusAnswered: "answered"}[result], func(t *testing.T) {
			f := newAgendaFixture(t, nil)
			ctx := ctxT(t)
			twin := addTarget(t, f.db, dialer.Target{CampaignID: f.campaign, PhoneI: "5550002", FirstName: "Twin"})
			f.dialOnce(t, f.target, result, f.morning)
			f.dialOnce(t, twin, result, f.morning)
			if _, err := f.db.CreateDisposition(ctx, store.ContactRef{ID: twin}, store.Disposition{DispositionOptionID: f.normal,
				Agent: "1001"}); err != nil {
				t.Fatal(err)
			}
			want := stateOf(t, f.db, twin)

			d := f.personal(t, "1001", f.evening)
			if s := stateOf(t, f.db, f.target); s.Status != dialer.StatusCallback {
				t.Fatalf("agenda: %+v, want the callback status", s)
			}
			if _, err := f.db.UpdateDisposition(ctx, nil, store.ContactRef{ID: f.target}, store.Disposition{ID: d.ID,
				DispositionOptionID: f.normal}); err != nil {
				t.Fatal(err)
			}
			if got := stateOf(t, f.db, f.target); !got.equal(want) {
				t.Errorf("after agenda -> normal: %+v, want as the normal disposition left its twin: %+v", got, want)
			}
			if list, err := f.db.AgentAgenda(ctx, "1001"); err != nil || len(list) != 0 {
				t.Errorf("the agent's agenda still lists %+v (%v)", list, err)
			}
			if due, err := f.db.PendingAgendaAgents(ctx, f.evening.Add(time.Hour)); err != nil || len(due) != 0 {
				t.Errorf("callbacks still due: %v %v", due, err)
			}
			if _, ok, err := f.db.ClaimAgenda(ctx, f.campaign, "1001", f.evening.Add(time.Hour)); err != nil || ok {
				t.Errorf("the cancelled callback was claimed (%v)", err)
			}
		})
	}
}

// A target never dialled (added with its Agenda disposition) is new again
// when the disposition becomes a normal one.
func TestChangingAgendaToNormalOfANewContactMakesItNew(t *testing.T) {
	f := newAgendaFixture(t, nil)
	ctx := ctxT(t)
	d := f.personal(t, "1001", f.evening)
	if _, err := f.db.UpdateDisposition(ctx, nil, store.ContactRef{ID: f.target}, store.Disposition{ID: d.ID,
		DispositionOptionID: f.normal}); err != nil {
		t.Fatal(err)
	}
	if s := stateOf(t, f.db, f.target); s.Status != dialer.StatusNew || s.NextCall != nil || s.CallMe != 0 {
		t.Errorf("after agenda -> normal: %+v, want new", s)
	}
	if cs := f.claimAll(t, f.morning); len(cs) != 1 {
		t.Errorf("the target is not dialled by the ordinary claims: %v", cs)
	}
}

// An Agenda changed into a normal disposition while the call is still up:
// the attempt's end gives the target its result, not the callback.
func TestChangingAgendaToNormalDuringTheCallTakesTheAttemptsResult(t *testing.T) {
	f := newAgendaFixture(t, nil)
	ctx := ctxT(t)
	if len(f.claimAll(t, f.morning)) != 1 {
		t.Fatal("target not claimed")
	}
	d := f.personal(t, "1001", f.evening)
	if _, err := f.db.UpdateDisposition(ctx, nil, store.ContactRef{ID: f.target}, store.Disposition{ID: d.ID,
		DispositionOptionID: f.normal}); err != nil {
		t.Fatal(err)
	}
	out, err := f.db.FinishAttempt(ctx, f.target, dialer.StatusNoAnswer, f.morning.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if s := stateOf(t, f.db, f.target); s.Status != dialer.StatusNoAnswer || out.StatusCode != dialer.StatusNoAnswer ||
		s.NextCall == nil || s.NextCall.Equal(store.Never) || s.CallMe != 0 {
		t.Errorf("after the attempt: %+v (outcome %+v), want no answer retried by the rules", s, out)
	}
}

// The reverse: a normal disposition changed into an Agenda one schedules
// the callback, as a POST of the Agenda disposition would have.
func TestChangingNormalToAgendaSchedulesTheCallback(t *testing.T) {
	f := newAgendaFixture(t, nil)
	ctx := ctxT(t)
	twin := addTarget(t, f.db, dialer.Target{CampaignID: f.campaign, PhoneI: "5550002", FirstName: "Twin"})
	f.dialOnce(t, f.target, dialer.StatusAnswered, f.morning)
	f.dialOnce(t, twin, dialer.StatusAnswered, f.morning)
	agenda := &store.Agenda{At: f.evening, Kind: "personal", Comments: "after six"}
	if _, err := f.db.CreateDisposition(ctx, store.ContactRef{ID: twin}, store.Disposition{DispositionOptionID: f.agenda,
		Agent: "1002", Agenda: agenda}); err != nil {
		t.Fatal(err)
	}
	want := stateOf(t, f.db, twin)
	d, err := f.db.CreateDisposition(ctx, store.ContactRef{ID: f.target}, store.Disposition{DispositionOptionID: f.normal, Agent: "1001"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.UpdateDisposition(ctx, nil, store.ContactRef{ID: f.target}, store.Disposition{ID: d.ID,
		DispositionOptionID: f.agenda, Agenda: agenda}); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, f.db, f.target); !got.equal(want) || got.Status != dialer.StatusCallback {
		t.Errorf("after normal -> agenda: %+v, want the callback as the twin's %+v", got, want)
	}
	list, err := f.db.AgentAgenda(ctx, "1001")
	if err != nil || len(list) != 1 || list[0].TargetID != f.target || !list[0].CallbackAt.Equal(f.evening) {
		t.Errorf("the agent's agenda: %+v %v", list, err)
	}
	cl, ok, err := f.db.ClaimAgenda(ctx, f.campaign, "1001", f.evening)
	if err != nil || !ok || cl.TargetID != f.target {
		t.Errorf("the callback is not claimed for its agent at its time: %+v %v %v", cl, ok, err)
	}
}

// With the live configuration's check set, a PERSONAL callback is refused
// when its agent does not serve the campaign's queue, or names none,
// whichever way it is saved, and nothing of the refused disposition is
// kept; a GLOBAL one, or one of an agent of the queue, is saved.
func TestPersonalCallbackOfAnAgentOutsideTheQueueIsRefused(t *testing.T) {
	f := newAgendaFixture(t, nil)
	ctx := ctxT(t)
	var queue string
	if err := f.db.GetContext(ctx, &queue, `SELECT queue_code FROM dialer.campaign WHERE campaign_id=$1`, f.campaign); err != nil {
		t.Fatal(err)
	}
	f.db.SetAgentServes(func(agent, q string) bool { return agent == "1001" && q == queue })
	personal := &store.Agenda{At: f.evening, Kind: "personal"}
	refused := func(what string, err error, agent string) {
		t.Helper()
		var ae *store.AgendaAgentError
		if !errors.As(err, &ae) || ae.Agent != agent || ae.Queue != queue || ae.CampaignID != f.campaign {
			t.Errorf("%s: %v, want refused for agent %q", what, err, agent)
		}
	}
	before := stateOf(t, f.db, f.target)
	_, err := f.db.CreateDisposition(ctx, store.ContactRef{ID: f.target}, store.Disposition{DispositionOptionID: f.agenda,
		Agent: "1002", Agenda: personal})
	refused("POST for 1002", err, "1002")
	_, err = f.db.CreateDisposition(ctx, store.ContactRef{ID: f.target}, store.Disposition{DispositionOptionID: f.agenda, Agenda: personal})
	refused("POST for nobody", err, "")
	targets := countRows(t, f.db, "dialer.target")
	_, err = f.db.CreateContactWithDisposition(ctx, dialer.Target{PhoneI: "5550009"}.WithDefaults(),
		store.Disposition{DispositionOptionID: f.agenda, Agent: "1002", Agenda: personal})
	refused("new contact for 1002", err, "1002")
	if countRows(t, f.db, "dialer.target") != targets || countRows(t, f.db, "dialer.disposition") != 0 ||
		!stateOf(t, f.db, f.target).equal(before) {
		t.Fatal("a refused disposition left something behind")
	}
	d, err := f.db.CreateDisposition(ctx, store.ContactRef{ID: f.target}, store.Disposition{DispositionOptionID: f.normal, Agent: "1002"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.db.UpdateDisposition(ctx, nil, store.ContactRef{ID: f.target}, store.Disposition{ID: d.ID,
		DispositionOptionID: f.agenda, Agenda: personal})
	refused("PUT keeping the disposition's agent 1002", err, "1002")
	if got := stateOf(t, f.db, f.target); !got.equal(before) {
		t.Errorf("a refused PUT changed the target: %+v", got)
	}
	if _, err := f.db.UpdateDisposition(ctx, nil, store.ContactRef{ID: f.target}, store.Disposition{ID: d.ID,
		DispositionOptionID: f.agenda, Agenda: &store.Agenda{At: f.evening, Kind: "global"}}); err != nil {
		t.Errorf("a GLOBAL callback scheduled by 1002: %v", err)
	}
	if _, err := f.db.UpdateDisposition(ctx, nil, store.ContactRef{ID: f.target}, store.Disposition{ID: d.ID,
		DispositionOptionID: f.agenda, Agent: "1001", Agenda: personal}); err != nil {
		t.Errorf("a PERSONAL callback for 1001, of the queue: %v", err)
	}
}

// ReleaseAgenda gives an agent's pending personal callbacks of a campaign
// to any agent, due at their time: the ordinary claims take them.
func TestReleaseAgendaMakesTheCallbackAnyAgents(t *testing.T) {
	f := newAgendaFixture(t, nil)
	ctx := ctxT(t)
	f.personal(t, "1002", f.evening)
	if cs := f.claimAll(t, f.evening.Add(time.Minute)); len(cs) != 0 {
		t.Fatalf("a personal callback was claimed for any agent: %v", cs)
	}
	ids, err := f.db.ReleaseAgenda(ctx, f.campaign, "1002")
	if err != nil || len(ids) != 1 || ids[0] != f.target {
		t.Fatalf("released %v %v", ids, err)
	}
	if list, err := f.db.AgentAgenda(ctx, "1002"); err != nil || len(list) != 0 {
		t.Errorf("1002's agenda: %+v %v", list, err)
	}
	if s := stateOf(t, f.db, f.target); s.CallMe != 2 || s.NextCall == nil || !s.NextCall.Equal(f.evening) {
		t.Errorf("target %+v, want a callback for any agent at its time", s)
	}
	if cs := f.claimAll(t, f.evening.Add(-time.Minute)); len(cs) != 0 {
		t.Errorf("claimed before its time: %v", cs)
	}
	if cs := f.claimAll(t, f.evening.Add(time.Minute)); len(cs) != 1 || cs[0].TargetID != f.target {
		t.Errorf("claimed %v at its time, want the callback", cs)
	}
}

func countRows(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.GetContext(ctxT(t), &n, `SELECT count(*) FROM `+table); err != nil {
		t.Fatal(err)
	}
	return n
}
