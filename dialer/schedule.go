package dialer

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/robfig/cron/v3"
)

// Schedule is an Optimus schedule (AddNewSchedule, seed 000 §6.1.8): the days
// from FromDateTime to ToDateTime, on the weekdays flagged, between the two
// times of day, in the campaign's time zone. A special-days schedule applies
// on special days (holidays) only, and on a special day only those apply.
type Schedule struct {
	ID            int       `json:"scheduleId" db:"schedule_id"`
	ScheduleName  string    `json:"scheduleName" db:"schedule_name"`
	FromDateTime  time.Time `json:"fromDateTime" db:"from_date_time"`
	ToDateTime    time.Time `json:"toDateTime" db:"to_date_time"`
	IsSpecialDays bool      `json:"isSpecialDays" db:"is_special_days"`
	IsSunday      bool      `json:"isSunday" db:"is_sunday"`
	IsMonday      bool      `json:"isMonday" db:"is_monday"`
	IsTuesday     bool      `json:"isTuesday" db:"is_tuesday"`
	IsWednesday   bool      `json:"isWednesday" db:"is_wednesday"`
	IsThursday    bool      `json:"isThursday" db:"is_thursday"`
	IsFriday      bool      `json:"isFriday" db:"is_friday"`
	IsSaturday    bool      `json:"isSaturday" db:"is_saturday"`
}

// Validate checks a schedule; the error names the field.
func (s Schedule) Validate() error {
	switch {
	case strings.TrimSpace(s.ScheduleName) == "":
		return ccd.Invalid("scheduleName", "is required")
	case len(s.ScheduleName) > 200:
		return ccd.Invalid("scheduleName", "is longer than 200 characters")
	case s.FromDateTime.IsZero():
		return ccd.Invalid("fromDateTime", "is required")
	case s.ToDateTime.IsZero():
		return ccd.Invalid("toDateTime", "is required")
	case !s.ToDateTime.After(s.FromDateTime):
		return ccd.Invalid("toDateTime", "must be after fromDateTime")
	case clock(s.ToDateTime) <= clock(s.FromDateTime):
		return ccd.Invalid("toDateTime", "its time of day must be after fromDateTime's (the daily calling hours)")
	}
	return nil
}

// dateTimeLayouts are the forms a schedule's time may take; an offset, if
// any, is dropped: the times are wall-clock times in the campaign's zone.
var dateTimeLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", time.RFC3339}

// ParseDateTime reads a schedule's time (field names it in the error).
func ParseDateTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, ccd.Invalid(field, "is required")
	}
	for _, l := range dateTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			y, m, d := t.Date()
			return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, time.UTC), nil
		}
	}
	return time.Time{}, ccd.Invalid(field, "want a date and time like 2026-03-01T09:00:00")
}

func clock(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
}

func (s Schedule) weekdays() [7]bool {
	return [7]bool{s.IsSunday, s.IsMonday, s.IsTuesday, s.IsWednesday, s.IsThursday, s.IsFriday, s.IsSaturday}
}

// Active says whether the schedule lets its campaign dial at local (a time in
// the campaign's zone; the schedule's times are wall-clock times there).
func (s Schedule) Active(local time.Time, specialDay bool) bool {
	if s.IsSpecialDays != specialDay || !s.weekdays()[local.Weekday()] {
		return false
	}
	day := civil(local)
	if day.Before(civil(s.FromDateTime)) || day.After(civil(s.ToDateTime)) {
		return false
	}
	c := clock(local)
	return c >= clock(s.FromDateTime) && c < clock(s.ToDateTime)
}

// civil is t's date as a UTC midnight, to compare dates across zones.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// InSchedule says whether a campaign with schedules may dial at now: with no
// schedule always, else when one of them is active. special says whether a
// date is a special day.
func InSchedule(schedules []Schedule, loc *time.Location, now time.Time, special func(time.Time) bool) bool {
	if len(schedules) == 0 {
		return true
	}
	local := now.In(loc)
	isSpecial := special != nil && special(civil(local))
	for _, s := range schedules {
		if s.Active(local, isSpecial) {
			return true
		}
	}
	return false
}

// CronSpecs are the cron expressions (robfig/cron, with CRON_TZ) at which the
// schedule starts and stops its campaign on its weekdays; "" when it flags no
// weekday. The date range and special days are not cron's: at each firing the
// scheduler asks InSchedule.
func (s Schedule) CronSpecs(zone string) (start, stop string) {
	var days []string
	for i, on := range s.weekdays() {
		if on {
			days = append(days, fmt.Sprint(i))
		}
	}
	if len(days) == 0 {
		return "", ""
	}
	dow := strings.Join(days, ",")
	at := func(t time.Time) string {
		return fmt.Sprintf("CRON_TZ=%s %d %d * * %s", zone, t.Minute(), t.Hour(), dow)
	}
	return at(s.FromDateTime), at(s.ToDateTime)
}

// Scheduler starts and stops campaigns at their schedules' boundaries with
// robfig/cron. At every boundary it asks In (the campaign's InSchedule) and
// calls Changed when the answer changed, so a dialer loop starts or stops the
// campaign; a call in progress at a stop finishes.
type Scheduler struct {
	// In says whether campaign id may dial now.
	In func(id int, now time.Time) bool
	// Changed is told when a campaign's answer changes.
	Changed func(id int, active bool)

	mu      sync.Mutex
	cron    *cron.Cron
	entries map[int][]cron.EntryID
	state   map[int]bool
}

// NewScheduler returns a started scheduler.
func NewScheduler(in func(int, time.Time) bool, changed func(int, bool)) *Scheduler {
	s := &Scheduler{In: in, Changed: changed, cron: cron.New(), entries: map[int][]cron.EntryID{}, state: map[int]bool{}}
	s.cron.Start()
	return s
}

// Stop stops the cron; running checks finish.
func (s *Scheduler) Stop() { <-s.cron.Stop().Done() }

// Set (re)installs campaign id's schedules and checks it at once.
func (s *Scheduler) Set(id int, zone string, schedules []Schedule) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries[id] {
		s.cron.Remove(e)
	}
	delete(s.entries, id)
	for _, sc := range schedules {
		start, stop := sc.CronSpecs(zone)
		for _, spec := range []string{start, stop} {
			if spec == "" {
				continue
			}
			e, err := s.cron.AddFunc(spec, func() { s.Check(id) })
			if err != nil {
				return fmt.Errorf("schedule %d: %w", sc.ID, err)
			}
			s.entries[id] = append(s.entries[id], e)
		}
	}
	s.checkLocked(id, time.Now())
	return nil
}

// Remove forgets campaign id.
func (s *Scheduler) Remove(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries[id] {
		s.cron.Remove(e)
	}
	delete(s.entries, id)
	delete(s.state, id)
}

// Check asks whether campaign id may dial now and reports a change.
func (s *Scheduler) Check(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkLocked(id, time.Now())
}

func (s *Scheduler) checkLocked(id int, now time.Time) {
	active := s.In(id, now)
	if was, known := s.state[id]; known && was == active {
		return
	}
	s.state[id] = active
	if s.Changed != nil {
		s.Changed(id, active)
	}
}
