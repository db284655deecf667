package dialer

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/robfig/cron/v3"
)

func TestCheckPhone(t *testing.T) {
	for _, ok := range []string{"0536608810", "+972536608810", "5", strings.Repeat("9", MaxPhoneLen)} {
		if err := CheckPhone(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for bad, why := range map[string]string{
		"":                                 "empty",
		"05366O8810":                       "letter",
		"053 660":                          "space",
		"05+3":                             "+",
		"+":                                "+",
		strings.Repeat("9", MaxPhoneLen+1): "longer",
		"053-660":                          "only digits",
		"053\x00":                          "only digits",
	} {
		err := CheckPhone(bad)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%q: %v, want an error saying %q", bad, err, why)
		}
	}
}

func TestTargetValidateNamesTheField(t *testing.T) {
	cases := map[string]Target{
		"phoneI":   {PhoneI: "abc"},
		"phoneII":  {PhoneI: "1", PhoneII: "1 2"},
		"phoneIII": {PhoneI: "1", PhoneIII: "x"},
		"priority": {PhoneI: "1", Priority: 4},
		"dataI":    {PhoneI: "1", DataI: strings.Repeat("d", MaxTextLen+1)},
		"fName":    {PhoneI: "1", FirstName: "\xff"},
		"timeZone": {PhoneI: "1", TimeZone: "Mars/Base"},
	}
	for field, tg := range cases {
		err := tg.WithDefaults().Validate()
		if e, ok := err.(*ccd.Error); !ok || e.Field != field || e.Code != ccd.EINVALID {
			t.Errorf("%s: %v", field, err)
		}
	}
	if err := (Target{PhoneI: "1", PhoneII: "+2"}).WithDefaults().Validate(); err != nil {
		t.Errorf("valid target refused: %v", err)
	}
}

func TestCampaignValidateNamesTheField(t *testing.T) {
	good := Campaign{Name: "c", QueueCode: "sales"}.WithDefaults()
	if err := good.Validate(); err != nil {
		t.Fatalf("default campaign refused: %v", err)
	}
	mod := map[string]func(*Campaign){
		"name":             func(c *Campaign) { c.Name = " " },
		"queueCode":        func(c *Campaign) { c.QueueCode = "" },
		"noAnswerDuration": func(c *Campaign) { c.NoAnswerDuration = 10 },
		"callPriority":     func(c *Campaign) { c.CallPriority = 10 },
		"maxAbandonRate":   func(c *Campaign) { c.MaxAbandonRate = 0.05 },
		"mode":             func(c *Campaign) { c.Mode = "turbo" },
		"windowStart":      func(c *Campaign) { c.WindowStart = "9am" },
		"windowEnd":        func(c *Campaign) { c.WindowEnd = "08:00" },
		"timeZone":         func(c *Campaign) { c.TimeZone = "Nowhere/City" },
		"retryRules":       func(c *Campaign) { c.RetryRules = []RetryRule{{StatusCode: StatusAnswered}} },
		"maxDialRatio":     func(c *Campaign) { c.MaxDialRatio = 0.5 },
		"previewTimeout":   func(c *Campaign) { c.PreviewTimeout = 5 },
	}
	for field, f := range mod {
		c := good
		f(&c)
		err := c.Validate()
		if e, ok := err.(*ccd.Error); !ok || e.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
}

func TestScheduleValidate(t *testing.T) {
	from := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	s := Schedule{ScheduleName: "s", FromDateTime: from, ToDateTime: from.Add(-time.Hour)}
	if e, ok := s.Validate().(*ccd.Error); !ok || e.Field != "toDateTime" {
		t.Errorf("end before start: %v", s.Validate())
	}
	s.ToDateTime = from.AddDate(0, 1, 0).Add(-2 * time.Hour) // later date, earlier time of day
	if e, ok := s.Validate().(*ccd.Error); !ok || e.Field != "toDateTime" {
		t.Errorf("daily end before start: %v", s.Validate())
	}
	s.ToDateTime = from.AddDate(0, 1, 0).Add(8 * time.Hour)
	if err := s.Validate(); err != nil {
		t.Errorf("valid schedule: %v", err)
	}
}

func TestScheduleActive(t *testing.T) {
	s := Schedule{FromDateTime: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		ToDateTime: time.Date(2026, 3, 31, 17, 30, 0, 0, time.UTC), IsMonday: true, IsFriday: true}
	paris, _ := time.LoadLocation("Europe/Paris")
	mon := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, paris) } // a Monday
	for _, c := range []struct {
		at      time.Time
		special bool
		want    bool
	}{
		{mon(9, 0), false, true},
		{mon(8, 59), false, false},
		{mon(17, 29), false, true},
		{mon(17, 30), false, false},
		{mon(12, 0).AddDate(0, 0, 1), false, false}, // Tuesday
		{mon(12, 0), true, false},                   // a holiday: only special-days schedules
		{mon(12, 0).AddDate(0, 1, 0), false, false}, // after the date range
	} {
		if got := s.Active(c.at, c.special); got != c.want {
			t.Errorf("%s special=%v: %v, want %v", c.at, c.special, got, c.want)
		}
	}
	holiday := s
	holiday.IsSpecialDays = true
	special := func(d time.Time) bool { return d.Day() == 2 }
	if InSchedule([]Schedule{s}, paris, mon(12, 0), special) {
		t.Error("normal schedule active on a special day")
	}
	if !InSchedule([]Schedule{s, holiday}, paris, mon(12, 0), special) {
		t.Error("special-days schedule not active on its day")
	}
	if !InSchedule(nil, paris, mon(3, 0), nil) {
		t.Error("a campaign without schedules is always in schedule")
	}
}

// Property: the cron expressions fire exactly where Active changes within the
// date range: a start firing is the first minute Active, a stop firing the
// first minute not.
func TestCronSpecsMatchActive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	zones := []string{"UTC", "Europe/Paris", "America/New_York"}
	for range 50 {
		zone := zones[rng.IntN(len(zones))]
		loc, _ := time.LoadLocation(zone)
		h1 := rng.IntN(20)
		s := Schedule{FromDateTime: time.Date(2026, 1, 1, h1, rng.IntN(60), 0, 0, time.UTC),
			ToDateTime: time.Date(2026, 12, 31, h1+1+rng.IntN(23-h1), rng.IntN(60), 0, 0, time.UTC),
			IsSunday:   rng.IntN(2) == 0, IsWednesday: rng.IntN(2) == 0, IsSaturday: true}
		start, stop := s.CronSpecs(zone)
		for _, spec := range []struct {
			text   string
			active bool
		}{{start, true}, {stop, false}} {
			sched, err := cron.ParseStandard(spec.text)
			if err != nil {
				t.Fatalf("%q: %v", spec.text, err)
			}
			at := time.Date(2026, 2, 1, 0, 0, 0, 0, loc)
			for range 5 {
				at = sched.Next(at)
				if s.Active(at.In(loc), false) != spec.active {
					t.Fatalf("%q fires at %s where Active is %v", spec.text, at, !spec.active)
				}
				if s.Active(at.Add(-time.Minute).In(loc), false) == spec.active {
					t.Fatalf("%q fires at %s, but Active was already %v a minute before", spec.text, at, spec.active)
				}
			}
		}
	}
}

func TestSchedulerReportsChanges(t *testing.T) {
	active := false
	var seen []bool
	s := NewScheduler(func(int, time.Time) bool { return active }, func(_ int, a bool) { seen = append(seen, a) })
	defer s.Stop()
	sc := Schedule{ID: 1, FromDateTime: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), ToDateTime: time.Date(2026, 2, 1, 17, 0, 0, 0, time.UTC), IsMonday: true}
	if err := s.Set(7, "UTC", []Schedule{sc}); err != nil {
		t.Fatal(err)
	}
	if len(s.cron.Entries()) != 2 {
		t.Errorf("%d cron entries, want a start and a stop", len(s.cron.Entries()))
	}
	s.Check(7) // no change: not reported again
	active = true
	s.Check(7)
	if len(seen) != 2 || seen[0] || !seen[1] {
		t.Errorf("changes %v, want [false true]", seen)
	}
	if err := s.Set(7, "Bad/Zone", []Schedule{sc}); err == nil {
		t.Error("a schedule in an unknown zone installed")
	}
	s.Remove(7)
	if len(s.cron.Entries()) != 0 {
		t.Errorf("%d entries after Remove", len(s.cron.Entries()))
	}
}

func TestAfterAttempt(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	c := Campaign{RetryNumber: 2, RetryRules: []RetryRule{{StatusCode: StatusBusy, DelayMinutes: 5, MaxAttempts: 5}}}
	tg := Target{PhoneI: "1", PhoneIII: "3"}
	o := AfterAttempt(c, tg, 1, StatusBusy, 1, now)
	if o.NextCall == nil || !o.NextCall.Equal(now.Add(5*time.Minute)) || o.NextPhone != 3 {
		t.Errorf("busy: %+v, want phone 3 in 5 min", o)
	}
	o = AfterAttempt(c, tg, 3, StatusNoAnswer, 3, now)
	if o.StatusCode != StatusRetriesExhausted || o.NextCall != nil {
		t.Errorf("no answer, 3 attempts of 3: %+v", o)
	}
	o = AfterAttempt(c, tg, 3, StatusBusy, 3, now) // the rule allows 5
	if o.NextCall == nil || o.NextPhone != 1 {
		t.Errorf("busy, 3 attempts of 5: %+v", o)
	}
	o = AfterAttempt(c, tg, 1, StatusAnswered, 1, now)
	if o.StatusCode != StatusAnswered || o.NextCall != nil {
		t.Errorf("answered: %+v", o)
	}
	c.Chase = true
	o = AfterAttempt(c, tg, 1, StatusNoAnswer, 1, now)
	if o.NextCall == nil || !o.NextCall.Equal(now) || o.NextPhone != 3 {
		t.Errorf("chase: %+v, want phone 3 at once", o)
	}
}

// A skipped preview target waits the campaign's no-answer retry delay,
// the default's hour without a rule.
func TestSkipDelayFollowsTheNoAnswerRule(t *testing.T) {
	c := Campaign{Name: "c", QueueCode: "sales"}.WithDefaults()
	if got := SkipDelay(c); got != time.Hour {
		t.Errorf("default skip delay %v", got)
	}
	c.RetryRules = []RetryRule{{StatusCode: StatusBusy, DelayMinutes: 5}, {StatusCode: StatusNoAnswer, DelayMinutes: 15}}
	if got := SkipDelay(c); got != 15*time.Minute {
		t.Errorf("skip delay with a rule %v", got)
	}
	if c.PreviewTimeout != DefaultPreviewTimeout {
		t.Errorf("preview timeout default %d", c.PreviewTimeout)
	}
}

// Every call of a campaign rings its noAnswerDuration, and never less than
// the law's 15 s, whatever the campaign says.
func TestRingSecondsIsTheNoAnswerDurationAtLeastTheLaws(t *testing.T) {
	for _, tc := range []struct{ noAnswer, want int }{{40, 40}, {15, 15}, {10, MinNoAnswer}, {0, MinNoAnswer}} {
		if got := RingSeconds(Campaign{NoAnswerDuration: tc.noAnswer}); got != tc.want {
			t.Errorf("noAnswerDuration %d: rings %d s, want %d", tc.noAnswer, got, tc.want)
		}
	}
}
