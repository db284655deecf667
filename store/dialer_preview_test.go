package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

func previewCampaign(t *testing.T, db *store.DB, c dialer.Campaign) int {
	t.Helper()
	c.Mode, c.IsActive = "preview", true
	return newCampaign(t, db, c)
}

// Many agents asking at once each get a different target, and no more
// reservations than due targets exist.
func TestPreviewAgentsAskingAtOnceNeverShareATarget(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	c := previewCampaign(t, db, dialer.Campaign{Name: "p"})
	const targets, agents = 12, 30
	for i := range targets {
		addTarget(t, db, dialer.Target{CampaignID: c, PhoneI: fmt.Sprint(5550000 + i)})
	}
	noon := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	got := map[int64][]string{}
	var wg sync.WaitGroup
	for i := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := fmt.Sprint("a", i)
			r, ok, err := db.ReservePreview(ctx, c, agent, noon)
			if err != nil {
				t.Error(agent, err)
				return
			}
			if ok {
				mu.Lock()
				got[r.TargetID] = append(got[r.TargetID], agent)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(got) != targets {
		t.Errorf("%d targets reserved, want all %d: %v", len(got), targets, got)
	}
	for id, who := range got {
		if len(who) != 1 {
			t.Errorf("target %d reserved for %v", id, who)
		}
	}
}

// A skipped target comes back without an attempt counted: counters,
// status, last call and the number's no-redial clock as before, one skip
// more, behind the other due targets.
func TestPreviewSkipConsumesNoAttempt(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	c := previewCampaign(t, db, dialer.Campaign{Name: "p", NoRedialHours: 24,
		RetryRules: []dialer.RetryRule{{StatusCode: dialer.StatusNoAnswer, DelayMinutes: 20}}})
	first := addTarget(t, db, dialer.Target{CampaignID: c, PhoneI: "111", Priority: 1})
	second := addTarget(t, db, dialer.Target{CampaignID: c, PhoneI: "222", Priority: 1})
	noon := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	before, _ := db.Target(ctx, first)
	r, ok, err := db.ReservePreview(ctx, c, "a1", noon)
	if err != nil || !ok || r.TargetID != first || r.Phone != "111" || !r.ExpiresAt.Equal(noon.Add(120*time.Second)) {
		t.Fatalf("reserve: %+v %v %v", r, ok, err)
	}
	// asking again hands the same target
	if again, ok, err := db.ReservePreview(ctx, c, "a1", noon.Add(time.Second)); err != nil || !ok || again.TargetID != first {
		t.Fatalf("asking twice: %+v %v %v", again, ok, err)
	}
	if _, found, err := db.ReleasePreview(ctx, "a1", noon.Add(10*time.Second), true); err != nil || !found {
		t.Fatalf("skip: %v %v", found, err)
	}
	after, _ := db.Target(ctx, first)
	if after.TotalDials != before.TotalDials || after.PhoneICounter != 0 || after.StatusCode != dialer.StatusNew ||
		after.LastCallTS != nil {
		t.Errorf("skip consumed an attempt: %+v", after)
	}
	var skips int
	if err := db.GetContext(ctx, &skips, `SELECT preview_skips FROM dialer.target WHERE target_id=$1`, first); err != nil || skips != 1 {
		t.Errorf("skips %d %v", skips, err)
	}
	// the other target comes first; the skipped one is due again after
	// the no-answer retry delay (the campaign's rule: 20 minutes), and
	// its number is free (no-redial counts calls, not previews)
	r, ok, err = db.ReservePreview(ctx, c, "a1", noon.Add(11*time.Second))
	if err != nil || !ok || r.TargetID != second {
		t.Fatalf("after the skip: %+v %v %v, want target %d", r, ok, err, second)
	}
	if r, ok, err := db.ReservePreview(ctx, c, "a2", noon.Add(19*time.Minute)); err != nil || ok {
		t.Fatalf("the skipped target came back early: %+v %v %v", r, ok, err)
	}
	r, ok, err = db.ReservePreview(ctx, c, "a2", noon.Add(20*time.Minute+10*time.Second))
	if err != nil || !ok || r.TargetID != first {
		t.Fatalf("the skipped target: %+v %v %v, want %d", r, ok, err, first)
	}
	if _, found, _ := db.ReleasePreview(ctx, "nobody", noon, true); found {
		t.Error("released a reservation nobody holds")
	}
}

// Dialling another phone of the target moves the claim to it: the counter
// of that phone, the number's dialling flag; an attempt follows the retry
// rules like the automatic modes'.
func TestPreviewDialChoosesAPhone(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	c := previewCampaign(t, db, dialer.Campaign{Name: "p", RetryNumber: 3})
	id := addTarget(t, db, dialer.Target{CampaignID: c, PhoneI: "111", PhoneII: "222", PhoneIII: "333"})
	if err := db.AddDNC(ctx, "333", nil, "asked"); err != nil {
		t.Fatal(err)
	}
	noon := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	if _, _, err := db.DialPreview(ctx, "a1", 0, noon); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Errorf("dial without a reservation: %v", err)
	}
	if _, ok, err := db.ReservePreview(ctx, c, "a1", noon); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, _, err := db.DialPreview(ctx, "a1", 3, noon); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Errorf("dial a number on the do-not-call list: %v", err)
	}
	campaign, cl, err := db.DialPreview(ctx, "a1", 2, noon)
	if err != nil || campaign != c || cl.Phone != "222" || cl.PhoneIndex != 2 || cl.TargetID != id {
		t.Fatalf("dial phone II: %d %+v %v", campaign, cl, err)
	}
	tg, _ := db.Target(ctx, id)
	if tg.PhoneICounter != 0 || tg.PhoneIICounter != 1 || tg.TotalDials != 1 || tg.StatusCode != dialer.StatusDialing {
		t.Errorf("counters after dialling phone II: %+v", tg)
	}
	if _, ok, _ := db.PreviewOf(ctx, "a1"); ok {
		t.Error("the reservation outlived the dial")
	}
	var dialing []string
	if err := db.SelectContext(ctx, &dialing, `SELECT phone FROM dialer.phone_dial WHERE dialing ORDER BY phone`); err != nil ||
		fmt.Sprint(dialing) != "[222]" {
		t.Errorf("numbers being dialled %v %v", dialing, err)
	}
	out, err := db.FinishAttempt(ctx, id, dialer.StatusBusy, noon.Add(time.Minute))
	if err != nil || out.StatusCode != dialer.StatusBusy || out.NextPhone != 3 || out.NextCall == nil {
		t.Errorf("after the attempt: %+v %v", out, err)
	}
}

// A reservation not acted on expires: listed once its time is over,
// released with the target in its place and no skip counted.
func TestPreviewReservationExpires(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	c := previewCampaign(t, db, dialer.Campaign{Name: "p", PreviewTimeout: 30})
	id := addTarget(t, db, dialer.Target{CampaignID: c, PhoneI: "111"})
	noon := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	if _, ok, err := db.ReservePreview(ctx, c, "a1", noon); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if rs, err := db.ExpiredPreviews(ctx, noon.Add(29*time.Second)); err != nil || len(rs) != 0 {
		t.Errorf("expired early: %v %v", rs, err)
	}
	rs, err := db.ExpiredPreviews(ctx, noon.Add(30*time.Second))
	if err != nil || len(rs) != 1 || rs[0].Agent != "a1" || rs[0].TargetID != id {
		t.Fatalf("expired: %+v %v", rs, err)
	}
	if _, found, err := db.ReleasePreview(ctx, "a1", noon.Add(30*time.Second), false); err != nil || !found {
		t.Fatal(found, err)
	}
	tg, _ := db.Target(ctx, id)
	if tg.NextCallTS != nil || tg.TotalDials != 0 || tg.StatusCode != dialer.StatusNew {
		t.Errorf("after expiry: %+v", tg)
	}
	if r, ok, err := db.ReservePreview(ctx, c, "a2", noon.Add(31*time.Second)); err != nil || !ok || r.TargetID != id {
		t.Errorf("not back in the pool: %+v %v %v", r, ok, err)
	}
}

// Preview reservations use the automatic modes' rules: only a preview
// campaign, never a number on the do-not-call list, none outside the
// calling window.
func TestPreviewFollowsTheClaimRules(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	noon := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	auto := newCampaign(t, db, dialer.Campaign{Name: "auto", IsActive: true})
	addTarget(t, db, dialer.Target{CampaignID: auto, PhoneI: "100"})
	if _, _, err := db.ReservePreview(ctx, auto, "a1", noon); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Errorf("a progressive campaign's target: %v", err)
	}
	c := previewCampaign(t, db, dialer.Campaign{Name: "p", WindowStart: "09:00", WindowEnd: "17:00"})
	addTarget(t, db, dialer.Target{CampaignID: c, PhoneI: "200", Priority: 1})
	low := addTarget(t, db, dialer.Target{CampaignID: c, PhoneI: "300", Priority: 3})
	if err := db.AddDNC(ctx, "200", &c, ""); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.ReservePreview(ctx, c, "a1", noon.Add(6*time.Hour)); err != nil || ok {
		t.Errorf("outside the calling window: %v %v", ok, err)
	}
	r, ok, err := db.ReservePreview(ctx, c, "a1", noon)
	if err != nil || !ok || r.TargetID != low {
		t.Errorf("reserved %+v %v %v, want %d (the other is on the do-not-call list)", r, ok, err, low)
	}
	if _, ok, err := db.ReservePreview(ctx, c, "a2", noon); err != nil || ok {
		t.Errorf("a second agent got a reserved target: %v %v", ok, err)
	}
}

// BenchmarkReservePreview is an agent asking for the next target of a
// campaign of 10 000 and skipping it: the reservation's claim, the read of
// what it changed, and the release.
func BenchmarkReservePreview(b *testing.B) {
	db := pgtest.NewDB(b)
	ctx := context.Background()
	id := campaignWithTargets(b, db, "preview", 10000, 5500000, func(int) int { return 2 })
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := range b.N {
		at := now.Add(time.Duration(i) * time.Millisecond)
		if _, ok, err := db.ReservePreview(ctx, id, "a1", at); err != nil || !ok {
			b.Fatal(ok, err)
		}
		if _, ok, err := db.ReleasePreview(ctx, "a1", at, true); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkClaimTargets is the pacer's claim of one target on a campaign of
// 100,000 due targets, half of them already finished (answered), as in the
// middle of a campaign's day: what each placed call costs the database.
func BenchmarkClaimTargets(b *testing.B) {
	db := pgtest.NewDB(b)
	ctx := context.Background()
	id := campaignWithTargets(b, db, "progressive", 100000, 5500000, func(i int) int { return 1 + i%3 })
	if _, err := db.ExecContext(ctx, `UPDATE dialer.target SET status_code = 2 WHERE campaign_id = $1 AND target_id % 2 = 0`, id); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE dialer.target`); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := range b.N {
		cs, err := db.ClaimTargets(ctx, id, now.Add(time.Duration(i)*time.Millisecond), 1)
		if err != nil || len(cs) != 1 {
			b.Fatal(len(cs), err)
		}
	}
}

// The claim reads the due targets in batches of 50: targets it passes over
// (here the first 120 in dialling order are on the do-not-call list) must
// not stop it from reaching the ones after them, and a claim of several
// takes them in order.
func TestClaimPassesOverMoreThanABatchOfTargets(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	id := campaignWithTargets(t, db, "progressive", 130, 5600000, func(int) int { return 2 })
	for i := range 120 {
		if err := db.AddDNC(ctx, fmt.Sprint(5600000+i), nil, "asked"); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	cs, err := db.ClaimTargets(ctx, id, now, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.Phone)
	}
	if want := []string{"5600120", "5600121", "5600122"}; !slices.Equal(got, want) {
		t.Fatalf("claimed %v, want %v", got, want)
	}
	rest, err := db.ClaimTargets(ctx, id, now, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 7 || rest[0].Phone != "5600123" || rest[6].Phone != "5600129" {
		t.Fatalf("the rest: %+v", rest)
	}
}

// campaignWithTargets creates an active campaign of mode on queue sales with
// n targets numbered from firstPhone, target i of priority(i).
func campaignWithTargets(tb testing.TB, db *store.DB, mode string, n, firstPhone int, priority func(i int) int) int {
	tb.Helper()
	ctx := context.Background()
	id, err := db.CreateCampaign(ctx, dialer.Campaign{Name: mode + " campaign", QueueCode: "sales", Mode: mode, IsActive: true}.WithDefaults())
	if err != nil {
		tb.Fatal(err)
	}
	im, err := db.BeginTargetImport(ctx, id, "campaignId")
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		if err := im.Add(dialer.Target{PhoneI: fmt.Sprint(firstPhone + i), Priority: priority(i)}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := im.Commit(); err != nil {
		tb.Fatal(err)
	}
	return id
}
