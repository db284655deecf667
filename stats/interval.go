package stats

import (
	"strconv"
	"time"
)

// QuarterHour is 900 s: the width of every interval of the stat tables.
const QuarterHour = 900

// Clock places instants in the call center's quarter-hours. Intervals start on
// the local wall clock's :00, :15, :30 and :45. They are computed in absolute
// time from the zone's offset at that instant, so the repeated hour of a
// fall-back change is two sets of four intervals (distinct thedate values with
// the same TheHour) and the skipped hour of a spring-forward change has none.
type Clock struct {
	Loc *time.Location
}

// Start is the start (unix seconds) of the quarter-hour holding unix second s.
func (c Clock) Start(s int64) int64 {
	_, off := time.Unix(s, 0).In(c.loc()).Zone()
	return s - mod(s+int64(off), QuarterHour)
}

func (c Clock) loc() *time.Location {
	if c.Loc == nil {
		return time.UTC
	}
	return c.Loc
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// Labels are the text columns every quarter-hour row carries, in local time:
// TheMonth "2026-11", TheWeek the ISO week "2026-W47", TheDay "2026-11-22",
// TheHour "14:00".
type Labels struct {
	Date  time.Time
	Month string
	Week  string
	Day   string
	Hour  string
}

// Labels of the quarter-hour starting at unix second start.
func (c Clock) Labels(start int64) Labels {
	t := time.Unix(start, 0).In(c.loc())
	y, w := t.ISOWeek()
	return Labels{
		Date:  t,
		Month: t.Format("2006-01"),
		Week:  strconv.Itoa(y) + "-W" + twoDigits(w),
		Day:   t.Format("2006-01-02"),
		Hour:  t.Format("15") + ":00",
	}
}

func twoDigits(n int) string {
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// Split cuts the span [from, to) (unix seconds) at quarter-hour boundaries and
// calls f with each interval's start and the seconds of the span inside it. The
// pieces of adjacent spans add up exactly: seconds are whole, so a state
// accounted in several steps gives what one step would.
func (c Clock) Split(from, to int64, f func(start, seconds int64)) {
	for from < to {
		start := c.Start(from)
		end := c.nextStart(start)
		if end > to {
			end = to
		}
		f(start, end-from)
		from = end
	}
}

// nextStart is the start of the quarter-hour after the one starting at start.
// Offsets change on whole quarter-hours, so it is always 900 s later; the loop
// guards against zones whose historical offsets are not multiples of 15 min.
func (c Clock) nextStart(start int64) int64 {
	next := start + QuarterHour
	for c.Start(next) <= start {
		next += QuarterHour
	}
	return c.Start(next)
}

// DayStart is the local midnight that begins the day holding t.
func (c Clock) DayStart(t time.Time) time.Time {
	l := t.In(c.loc())
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, c.loc())
}

// ParseTime reads a time as people type it for reports: RFC 3339, or a date
// (2026-11-01), or a date and time (2026-11-01T08:00, 2026-11-01 08:00,
// 2026-11-01T08:00:00) on the wall clock of loc.
func ParseTime(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
