package stats

import (
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	return loc
}

func TestQuarterHoursAcrossDST(t *testing.T) {
	c := Clock{Loc: mustZone(t, "Europe/Berlin")}
	// Fall back, 2025-10-26: 02:00-03:00 happens twice (CEST, then CET).
	from := time.Date(2025, 10, 26, 1, 50, 0, 0, c.Loc) // CEST
	to := time.Date(2025, 10, 26, 3, 10, 0, 0, c.Loc)   // CET
	var starts []int64
	var secs []int64
	c.Split(from.Unix(), to.Unix(), func(s, n int64) { starts, secs = append(starts, s), append(secs, n) })
	want := []int64{600, 900, 900, 900, 900, 900, 900, 900, 900, 600}
	if len(secs) != len(want) {
		t.Fatalf("pieces %v, want %v", secs, want)
	}
	hours := map[string]int{}
	for i, n := range secs {
		if n != want[i] {
			t.Fatalf("pieces %v, want %v", secs, want)
		}
		hours[c.Labels(starts[i]).Hour]++
	}
	if hours["02:00"] != 8 {
		t.Fatalf("the repeated hour should give 8 quarter-hours labelled 02:00, got %v", hours)
	}
	// Spring forward, 2025-03-30: 02:00-03:00 does not exist.
	from = time.Date(2025, 3, 30, 1, 50, 0, 0, c.Loc)
	to = time.Date(2025, 3, 30, 3, 10, 0, 0, c.Loc)
	secs, starts = nil, nil
	c.Split(from.Unix(), to.Unix(), func(s, n int64) { starts, secs = append(starts, s), append(secs, n) })
	if len(secs) != 2 || secs[0] != 600 || secs[1] != 600 {
		t.Fatalf("spring forward pieces %v", secs)
	}
	if got := c.Labels(starts[1]); got.Hour != "03:00" || got.Day != "2025-03-30" || got.Week != "2025-W13" || got.Month != "2025-03" {
		t.Fatalf("labels %+v", got)
	}
}

func TestQuarterHoursInHalfHourZone(t *testing.T) {
	c := Clock{Loc: mustZone(t, "Asia/Kathmandu")} // +05:45
	at := time.Date(2026, 1, 5, 10, 7, 30, 0, c.Loc)
	start := time.Unix(c.Start(at.Unix()), 0).In(c.Loc)
	if start.Hour() != 10 || start.Minute() != 0 {
		t.Fatalf("start %v, want 10:00 local", start)
	}
	login := time.Date(2026, 1, 5, 10, 7, 0, 0, c.Loc)
	logout := time.Date(2026, 1, 5, 11, 2, 0, 0, c.Loc)
	var pieces []int64
	c.Split(login.Unix(), logout.Unix(), func(_, n int64) { pieces = append(pieces, n) })
	want := []int64{480, 900, 900, 900, 120}
	for i := range want {
		if len(pieces) != len(want) || pieces[i] != want[i] {
			t.Fatalf("10:07-11:02 split into %v, want %v", pieces, want)
		}
	}
}

func TestTimeFrame(t *testing.T) {
	for in, want := range map[int64]int64{0: 0, 1: 2, 2: 2, 3: 4, 4: 4, 59: 60, 60: 60} {
		if got := TimeFrame(in); got != want {
			t.Errorf("TimeFrame(%d) = %d, want %d", in, got, want)
		}
	}
}
