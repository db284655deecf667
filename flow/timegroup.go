package flow

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A time group is read on the wall clock of the flow's time zone: the
// instant is converted with the zone's rules at that instant, so a range
// "08:00-17:00" is 08:00 local in winter and in summer, and the hour that
// does not exist (clocks forward) or repeats (clocks back) is simply the
// wall clock Go's zone database gives.

// minuteOfDay parses "HH:MM" (00:00..24:00).
func minuteOfDay(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	return hh*60 + mm, nil
}

var dayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// weekdays parses "mon-fri", "sat,sun", "fri-mon" (wrapping) into a set.
func weekdays(s string) ([7]bool, error) {
	var set [7]bool
	if strings.TrimSpace(s) == "" {
		return set, fmt.Errorf("want days such as mon-fri or sat,sun")
	}
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, ok1 := dayNames[strings.ToLower(strings.TrimSpace(from))]
		b, ok2 := a, true
		if isRange {
			b, ok2 = dayNames[strings.ToLower(strings.TrimSpace(to))]
		}
		if !ok1 || !ok2 {
			return set, fmt.Errorf("want days such as mon-fri or sat,sun, got %q", s)
		}
		for d := a; ; d = (d + 1) % 7 {
			set[d] = true
			if d == b {
				break
			}
		}
	}
	return set, nil
}

const dateLayout = "2006-01-02"

func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return t, fmt.Errorf("want YYYY-MM-DD, got %q", s)
	}
	return t, nil
}

// check reports the group's first problem as (field, problem).
func (g *TimeGroup) check() (string, string) {
	for i, w := range g.Weekly {
		key := fmt.Sprintf("weekly[%d]", i)
		if _, err := weekdays(w.Days); err != nil {
			return key + ".days", err.Error()
		}
		if _, err := minuteOfDay(w.From); err != nil {
			return key + ".from", err.Error()
		}
		if _, err := minuteOfDay(w.To); err != nil {
			return key + ".to", err.Error()
		}
	}
	for i, d := range g.Dates {
		key := fmt.Sprintf("dates[%d]", i)
		from, err := parseDate(d.From)
		if err != nil {
			return key + ".from", err.Error()
		}
		if d.To != "" {
			to, err := parseDate(d.To)
			if err != nil {
				return key + ".to", err.Error()
			}
			if to.Before(from) {
				return key + ".to", "is before from"
			}
		}
		for _, t := range []struct{ k, v string }{{"from_time", d.FromTime}, {"to_time", d.ToTime}} {
			if t.v != "" {
				if _, err := minuteOfDay(t.v); err != nil {
					return key + "." + t.k, err.Error()
				}
			}
		}
	}
	for i, h := range g.Holidays {
		if _, err := parseDate(h); err != nil {
			return fmt.Sprintf("holidays[%d]", i), err.Error()
		}
	}
	if len(g.Weekly) == 0 && len(g.Dates) == 0 {
		return "weekly", "a time group needs weekly ranges or dates"
	}
	return "", ""
}

// Contains reports whether the instant t, read in loc, is in the group:
// not on a holiday, and in a weekly range or a date range. A group that
// does not pass validation contains nothing.
func (g *TimeGroup) Contains(t time.Time, loc *time.Location) bool {
	local := t.In(loc)
	day := local.Format(dateLayout)
	for _, h := range g.Holidays {
		if h == day {
			return false
		}
	}
	minute := local.Hour()*60 + local.Minute()
	for _, w := range g.Weekly {
		if w.contains(local.Weekday(), minute) {
			return true
		}
	}
	for _, d := range g.Dates {
		if d.contains(day, minute) {
			return true
		}
	}
	return false
}

func (w Weekly) contains(wd time.Weekday, minute int) bool {
	days, err := weekdays(w.Days)
	from, err1 := minuteOfDay(w.From)
	to, err2 := minuteOfDay(w.To)
	if err != nil || err1 != nil || err2 != nil {
		return false
	}
	if from <= to {
		return days[wd] && minute >= from && minute < to
	}
	// Across midnight: the evening of a listed day, or the morning after it.
	return (days[wd] && minute >= from) || (days[(wd+6)%7] && minute < to)
}

func (d DateRange) contains(day string, minute int) bool {
	to := d.To
	if to == "" {
		to = d.From
	}
	// YYYY-MM-DD texts compare as the dates do.
	if day < d.From || day > to {
		return false
	}
	if d.FromTime == "" && d.ToTime == "" {
		return true
	}
	from, end := 0, 24*60
	if d.FromTime != "" {
		from, _ = minuteOfDay(d.FromTime)
	}
	if d.ToTime != "" {
		end, _ = minuteOfDay(d.ToTime)
	}
	return minute >= from && minute < end
}
