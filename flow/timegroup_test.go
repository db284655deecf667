package flow

import (
	"testing"
	"time"
)

func TestTimeGroupReadsTheWallClockOfItsZoneAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	g := TimeGroup{Weekly: []Weekly{{Days: "mon-sun", From: "08:00", To: "17:00"}}}
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, c := range []struct {
		at   string
		want bool
	}{
		{"2026-03-28T06:30:00Z", false}, // 07:30 CET, the day before clocks go forward
		{"2026-03-29T06:30:00Z", true},  // 08:30 CEST, the same UTC time one day later
		{"2026-03-29T14:59:00Z", true},  // 16:59 CEST
		{"2026-03-29T15:00:00Z", false}, // 17:00 CEST
		{"2026-10-25T07:00:00Z", true},  // 08:00 CET, the day clocks go back
		{"2026-10-24T06:30:00Z", true},  // 08:30 CEST
		{"2026-10-25T06:30:00Z", false}, // 07:30 CET
	} {
		if got := g.Contains(utc(c.at), berlin); got != c.want {
			t.Errorf("%s (%s): got %v, want %v", c.at, utc(c.at).In(berlin).Format("15:04 MST"), got, c.want)
		}
	}
}

func TestTimeGroupNightRangesDatesAndHolidays(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	g := TimeGroup{
		Weekly:   []Weekly{{Days: "fri", From: "22:00", To: "06:00"}, {Days: "mon-fri", From: "08:00", To: "17:00"}},
		Dates:    []DateRange{{From: "2026-12-24", To: "2026-12-26", FromTime: "10:00", ToTime: "12:00"}},
		Holidays: []string{"2026-12-25", "2026-12-31"},
	}
	for _, c := range []struct {
		at   string
		want bool
	}{
		{"2026-12-04 23:00", true},  // Friday night
		{"2026-12-05 05:59", true},  // Saturday morning after it
		{"2026-12-05 06:00", false}, // the night range ends
		{"2026-12-06 03:00", false}, // Sunday morning: Saturday is not listed
		{"2026-12-26 11:00", true},  // a Saturday in the date range
		{"2026-12-26 13:00", false}, // ... outside its time
		{"2026-12-25 11:00", false}, // a holiday wins over the date range and the week
		{"2026-12-31 09:00", false}, // a holiday on a Thursday
		{"2026-12-30 09:00", true},
	} {
		if got := g.Contains(at(c.at), loc); got != c.want {
			t.Errorf("%s: got %v, want %v", c.at, got, c.want)
		}
	}
}
