package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

func newCampaign(t *testing.T, db *store.DB, c dialer.Campaign) int {
	t.Helper()
	c = c.WithDefaults()
	if c.Name == "" {
		c.Name = "c"
	}
	if c.QueueCode == "" {
		c.QueueCode = "sales"
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	id, err := db.CreateCampaign(ctxT(t), c)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func addTarget(t *testing.T, db *store.DB, tg dialer.Target) int64 {
	t.Helper()
	tg = tg.WithDefaults()
	if err := tg.Validate(); err != nil {
		t.Fatal(err)
	}
	id, err := db.AddTarget(ctxT(t), tg)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCampaignRoundTripAndUnknownIDs(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	sched, err := db.CreateSchedule(ctx, dialer.Schedule{ScheduleName: "weekdays",
		FromDateTime: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), ToDateTime: time.Date(2026, 12, 31, 18, 0, 0, 0, time.UTC), IsMonday: true})
	if err != nil {
		t.Fatal(err)
	}
	want := dialer.Campaign{Name: "winter", QueueCode: "sales", RetryNumber: 4, Chase: true, CallPriority: 2, IsActive: true,
		Mode: "predictive", MaxAbandonRate: 0.02, WindowStart: "10:00", WindowEnd: "19:30", TimeZone: "Europe/Paris",
		NoRedialHours: 6, RetryRules: []dialer.RetryRule{{StatusCode: dialer.StatusBusy, DelayMinutes: 5, MaxAttempts: 2}},
		ScheduleIDs: []int{sched}}.WithDefaults()
	id := newCampaign(t, db, want)
	got, err := db.Campaign(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want.ID = id
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
	if _, err := db.Campaign(ctx, id+100); ccd.ErrorCode(err) != ccd.ENOTFOUND {
		t.Errorf("unknown campaign: %v", err)
	}
	want.ID = id + 100
	if err := db.UpdateCampaign(ctx, want); ccd.ErrorCode(err) != ccd.ENOTFOUND {
		t.Errorf("update of an unknown campaign: %v", err)
	}
	if _, err := db.AddTarget(ctx, dialer.Target{CampaignID: id + 100, PhoneI: "1", Priority: 2}); ccd.ErrorCode(err) != ccd.ENOTFOUND {
		t.Errorf("target of an unknown campaign: %v", err)
	}
	want.ID, want.ScheduleIDs = id, []int{sched + 7}
	if err := db.UpdateCampaign(ctx, want); ccd.ErrorCode(err) != ccd.EINVALID {
		t.Errorf("unknown schedule: %v", err)
	}
	if ok, err := db.HideCampaign(ctx, id); err != nil || !ok {
		t.Fatalf("hide: %v %v", ok, err)
	}
	if _, err := db.Campaign(ctx, id); ccd.ErrorCode(err) != ccd.ENOTFOUND {
		t.Errorf("a deleted campaign is still listed: %v", err)
	}
	var hidden bool
	if err := db.GetContext(ctx, &hidden, `SELECT hidden FROM dialer.campaign WHERE campaign_id=$1`, id); err != nil || !hidden {
		t.Errorf("DeleteCampaign removed the row: %v", err)
	}
}

// The selection function, as a property over random targets, zones, DNC
// entries and times: a claimed target is inside its calling window, not on a
// do-not-call list, and no target nor number is claimed twice while its
// attempt is in progress, even by concurrent claimers.
func TestClaimTargetsProperties(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	rng := rand.New(rand.NewPCG(1, 2))
	zones := []string{"UTC", "America/New_York", "Asia/Tokyo", "Europe/Paris"}
	var camps []int
	for i := range 3 {
		camps = append(camps, newCampaign(t, db, dialer.Campaign{Name: fmt.Sprint("c", i), IsActive: true,
			WindowStart: "09:00", WindowEnd: "17:00", TimeZone: zones[i]}))
	}
	phone := func() string { return fmt.Sprintf("55500%02d", rng.IntN(60)) } // shared numbers across targets
	type info struct{ zone string }
	targets := map[int64]info{}
	campOf := map[int64]int{}
	for range 300 {
		c := camps[rng.IntN(len(camps))]
		tg := dialer.Target{CampaignID: c, PhoneI: phone(), Priority: 1 + rng.IntN(3)}
		if rng.IntN(2) == 0 {
			tg.PhoneII = phone()
		}
		if rng.IntN(3) == 0 {
			tg.TimeZone = zones[rng.IntN(len(zones))]
		}
		id := addTarget(t, db, tg)
		targets[id] = info{zone: tg.TimeZone}
		campOf[id] = c
	}
	dnc := map[string]bool{}
	for range 8 {
		p := phone()
		dnc[p] = true
		if err := db.AddDNC(ctx, p, nil, "asked"); err != nil {
			t.Fatal(err)
		}
	}
	campDNC := phone()
	if err := db.AddDNC(ctx, campDNC, &camps[0], ""); err != nil {
		t.Fatal(err)
	}
	zoneOfCamp := map[int]string{camps[0]: zones[0], camps[1]: zones[1], camps[2]: zones[2]}

	var mu sync.Mutex
	dialing := map[int64]bool{}
	numbers := map[string]bool{}
	claimed := 0
	now := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for step := range 60 {
		now = now.Add(time.Duration(rng.IntN(120)) * time.Minute)
		var wg sync.WaitGroup
		for w := range 4 { // concurrent claimers
			wg.Add(1)
			n := 1 + rng.IntN(5)
			go func() {
				defer wg.Done()
				c := camps[(step+w)%len(camps)]
				cs, err := db.ClaimTargets(context.Background(), c, now, n)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for _, cl := range cs {
					claimed++
					zone := targets[cl.TargetID].zone
					if zone == "" {
						zone = zoneOfCamp[campOf[cl.TargetID]]
					}
					loc, _ := time.LoadLocation(zone)
					if h := now.In(loc).Hour(); h < 9 || h >= 17 {
						t.Errorf("target %d claimed at %s local, outside 09:00-17:00", cl.TargetID, now.In(loc).Format("15:04"))
					}
					if dnc[cl.Phone] || (cl.Phone == campDNC && campOf[cl.TargetID] == camps[0]) {
						t.Errorf("target %d claimed on a do-not-call number %s", cl.TargetID, cl.Phone)
					}
					if dialing[cl.TargetID] {
						t.Errorf("target %d claimed twice at once", cl.TargetID)
					}
					if numbers[cl.Phone] {
						t.Errorf("number %s dialled twice at once", cl.Phone)
					}
					dialing[cl.TargetID], numbers[cl.Phone] = true, true
				}
			}()
		}
		wg.Wait()
		// some attempts end
		for id := range dialing {
			if rng.IntN(2) == 0 {
				tg, err := db.Target(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.FinishAttempt(ctx, id, dialer.StatusBusy, now); err != nil {
					t.Fatal(err)
				}
				delete(dialing, id)
				for i := 1; i <= 3; i++ {
					delete(numbers, tg.Phone(i))
				}
			}
		}
	}
	if claimed < 50 {
		t.Fatalf("only %d claims: the property was hardly exercised", claimed)
	}
}

// An inactive or deleted campaign gives nothing; a removed target is never
// claimed; a number is not redialled within the no-redial hours.
func TestClaimTargetsRules(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	noon := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	off := newCampaign(t, db, dialer.Campaign{Name: "off"})
	addTarget(t, db, dialer.Target{CampaignID: off, PhoneI: "100"})
	if cs, err := db.ClaimTargets(ctx, off, noon, 5); err != nil || len(cs) != 0 {
		t.Errorf("inactive campaign: %v %v", cs, err)
	}
	on := newCampaign(t, db, dialer.Campaign{Name: "on", IsActive: true, NoRedialHours: 4, RetryNumber: 3})
	a := addTarget(t, db, dialer.Target{CampaignID: on, PhoneI: "200"})
	addTarget(t, db, dialer.Target{CampaignID: on, PhoneI: "300"})
	if n, err := db.RemoveTargets(ctx, on, "300"); err != nil || n != 1 {
		t.Fatalf("remove: %d %v", n, err)
	}
	cs, err := db.ClaimTargets(ctx, on, noon, 5)
	if err != nil || len(cs) != 1 || cs[0].TargetID != a {
		t.Fatalf("claims %v %v, want only target %d", cs, err, a)
	}
	out, err := db.FinishAttempt(ctx, a, dialer.StatusBusy, noon)
	if err != nil || out.NextCall == nil {
		t.Fatalf("busy: %+v %v", out, err)
	}
	// due again after 10 minutes, but the number waits 4 hours
	if cs, _ := db.ClaimTargets(ctx, on, noon.Add(time.Hour), 5); len(cs) != 0 {
		t.Errorf("redialled within the no-redial hours: %v", cs)
	}
	if cs, _ := db.ClaimTargets(ctx, on, noon.Add(4*time.Hour+time.Minute), 5); len(cs) != 1 {
		t.Errorf("not redialled after the no-redial hours: %v", cs)
	}
	tg, _ := db.Target(ctx, a)
	if tg.PhoneICounter != 2 || tg.TotalDials != 2 || tg.StatusCode != dialer.StatusDialing {
		t.Errorf("counters %+v", tg)
	}
	if ok, _ := db.HideCampaign(ctx, on); !ok {
		t.Fatal("hide")
	}
	if _, err := db.FinishAttempt(ctx, a, dialer.StatusAnswered, noon.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if code, sum, found, err := db.TargetStatus(ctx, off, store.TargetMatch{PhoneI: "100"}); err != nil || !found || code != 0 || sum != 0 {
		t.Errorf("status %d %d %v %v", code, sum, found, err)
	}
}

func TestRetriesFollowTheRules(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	c := newCampaign(t, db, dialer.Campaign{Name: "r", IsActive: true, RetryNumber: 2, Chase: true,
		RetryRules: []dialer.RetryRule{{StatusCode: dialer.StatusNoAnswer, DelayMinutes: 30}}})
	id := addTarget(t, db, dialer.Target{CampaignID: c, PhoneI: "111", PhoneII: "222"})
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var phones []string
	for range 5 {
		cs, err := db.ClaimTargets(ctx, c, now, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			now = now.Add(31 * time.Minute)
			continue
		}
		phones = append(phones, cs[0].Phone)
		if _, err := db.FinishAttempt(ctx, id, dialer.StatusNoAnswer, now); err != nil {
			t.Fatal(err)
		}
	}
	// chase: the second phone at once, then back to the first after 30 min; 3 attempts in all
	if fmt.Sprint(phones) != "[111 222 111]" {
		t.Errorf("dialled %v, want [111 222 111]", phones)
	}
	tg, _ := db.Target(ctx, id)
	if tg.StatusCode != dialer.StatusRetriesExhausted || tg.PhoneICounter != 2 || tg.PhoneIICounter != 1 {
		t.Errorf("after the retries: %+v", tg)
	}
	var desc string
	if err := db.GetContext(ctx, &desc, `SELECT dialer.getcallstatusdescription($1, 7)`, tg.StatusCode); err != nil || desc != "No more attempts left" {
		t.Errorf("description %q %v", desc, err)
	}
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM bi.getdialertargetsbystatus($1, $2, $3, $4)`, c,
		now.Add(-3*time.Hour), now.Add(time.Hour), tg.StatusCode); err != nil || n != 1 {
		t.Errorf("bi.getdialertargetsbystatus: %d %v", n, err)
	}
}

func TestTargetImportIsAllOrNothing(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	c := newCampaign(t, db, dialer.Campaign{Name: "imp"})
	if _, err := db.BeginTargetImport(ctx, c+9, "campaignId"); ccd.ErrorCode(err) != ccd.ENOTFOUND {
		t.Errorf("import into an unknown campaign: %v", err)
	}
	count := func() int {
		var n int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM dialer.target WHERE campaign_id=$1`, c); err != nil {
			t.Fatal(err)
		}
		return n
	}
	im, err := db.BeginTargetImport(ctx, c, "campaignId")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2500 {
		if err := im.Add(dialer.Target{PhoneI: fmt.Sprint(1000 + i), Priority: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d rows after a rollback", n)
	}
	im, _ = db.BeginTargetImport(ctx, c, "campaignId")
	ext := int64(77)
	for i := range 2500 {
		if err := im.Add(dialer.Target{PhoneI: fmt.Sprint(1000 + i), Priority: 3, ExternalTargetID: &ext}); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2500 || im.Added != 2500 {
		t.Errorf("%d rows (%d added), want 2500", n, im.Added)
	}
}

// Property: over random times, a campaign with schedules claims a target only
// when one of its schedules is active at that time in the campaign's zone,
// and on a special day only by a special-days schedule.
func TestClaimDueNeverOutsideTheSchedule(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	weekdays, err := db.CreateSchedule(ctx, dialer.Schedule{ScheduleName: "mon-wed", IsMonday: true, IsWednesday: true,
		FromDateTime: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), ToDateTime: time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	holiday, err := db.CreateSchedule(ctx, dialer.Schedule{ScheduleName: "holiday", IsSpecialDays: true, IsMonday: true,
		FromDateTime: time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC), ToDateTime: time.Date(2026, 3, 31, 16, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	holidayDate := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC) // a Monday
	if err := db.AddSpecialDay(ctx, holidayDate, "holiday"); err != nil {
		t.Fatal(err)
	}
	// the calling window is the whole day: only the schedules decide
	c := newCampaign(t, db, dialer.Campaign{Name: "sched", IsActive: true, TimeZone: "Asia/Tokyo", WindowStart: "00:00",
		WindowEnd: "23:59", RetryNumber: 100, ScheduleIDs: []int{weekdays, holiday}})
	id := addTarget(t, db, dialer.Target{CampaignID: c, PhoneI: "777"})
	schedules, err := db.CampaignSchedules(ctx, c)
	if err != nil || len(schedules) != 2 {
		t.Fatalf("schedules %v %v", schedules, err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	claims := 0
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, tokyo)
	for range 400 {
		now = now.Add(time.Duration(rng.IntN(120)) * time.Minute) // forward: a number's last dial is never in the future
		local := now.In(tokyo)
		special := local.Month() == 3 && local.Day() == 16
		want := false
		for _, s := range schedules {
			want = want || s.Active(local, special)
		}
		cs, err := db.ClaimDue(ctx, c, now, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) > 0 && !want {
			t.Fatalf("claimed at %s (special day %v), outside every schedule", local, special)
		}
		if len(cs) > 0 {
			claims++
			if _, err := db.FinishAttempt(ctx, id, dialer.StatusInvalidNumber, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	if claims < 5 {
		t.Fatalf("%d claims: the property was hardly exercised", claims)
	}
	_, _ = db.ExecContext(ctx, `UPDATE dialer.phone_dial SET last_dial_ts = '-infinity'`)
	_, _ = db.ExecContext(ctx, `UPDATE dialer.target SET next_call_ts = NULL`)
	if cs, _ := db.ClaimDue(ctx, c, time.Date(2026, 3, 16, 15, 30, 0, 0, tokyo), 1); len(cs) != 1 {
		t.Errorf("the special-days schedule did not dial on the holiday")
	}
}

// The campaign grid counts each campaign's targets: all, open, being
// dialled, dialled since a time, finished; and its calls since that time:
// placed, answered by a person, abandoned. A deleted campaign is left out.
func TestCampaignGrid(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	a := newCampaign(t, db, dialer.Campaign{Name: "spring", QueueCode: "sales"})
	b := newCampaign(t, db, dialer.Campaign{Name: "gone"})
	newCampaign(t, db, dialer.Campaign{Name: "empty", QueueCode: "support"})
	for i := range 3 {
		addTarget(t, db, dialer.Target{CampaignID: a, PhoneI: fmt.Sprintf("55500%02d", i)})
	}
	addTarget(t, db, dialer.Target{CampaignID: b, PhoneI: "5559999"})
	if _, err := db.HideCampaign(ctx, b); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := db.ExecContext(ctx, `UPDATE dialer.target SET last_call_ts = $2, dialing_since = $2
		WHERE target_id = (SELECT min(target_id) FROM dialer.target WHERE campaign_id = $1)`, a, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE dialer.target SET status_code = (SELECT min(status_code) FROM dialer.status_code WHERE final)
		WHERE target_id = (SELECT max(target_id) FROM dialer.target WHERE campaign_id = $1)`, a); err != nil {
		t.Fatal(err)
	}
	var target int64
	if err := db.GetContext(ctx, &target, `SELECT min(target_id) FROM dialer.target WHERE campaign_id = $1`, a); err != nil {
		t.Fatal(err)
	}
	// Yesterday's call is not counted; of today's three, two answered by a
	// person, one of them abandoned, one a machine.
	for _, c := range []struct {
		started          time.Time
		human, abandoned bool
	}{{now.Add(-25 * time.Hour), true, false}, {now, true, false}, {now, true, true}, {now, false, false}} {
		id, err := db.StartAttempt(ctx, store.Attempt{CampaignID: a, TargetID: target, Phone: "5550000", PhoneIndex: 1, StartedAt: c.started})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.EndAttempt(ctx, store.AttemptEnd{ID: id, EndedAt: c.started, Human: c.human, Abandoned: c.abandoned}); err != nil {
			t.Fatal(err)
		}
	}
	grid, err := db.CampaignGrid(ctx, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(grid)
	want := fmt.Sprint([]store.CampaignLine{
		{ID: a, Name: "spring", Queue: "sales", Mode: "progressive", Targets: 3, Open: 2, Dialing: 1, Dialled: 1, Final: 1,
			Calls: 3, Answered: 2, Abandoned: 1},
		{ID: a + 2, Name: "empty", Queue: "support", Mode: "progressive"},
	})
	if got != want {
		t.Fatalf("grid\n%s\nwant\n%s", got, want)
	}
}
