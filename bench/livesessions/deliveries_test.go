package main

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func changes(values ...string) []sent {
	var out []sent
	for i, v := range values {
		out = append(out, sent{agent: "1001", value: v, at: at(500 * i)})
	}
	return out
}

func TestMatchCountsEveryShownChangeWithItsLatency(t *testing.T) {
	c := changes("not_ready:break", "ready", "not_ready:lunch")
	shown := []seen{{"ready", at(-100)}, {"not_ready:break", at(40)}, {"ready", at(530)}, {"not_ready:lunch", at(1070)}}
	o := match(c, shown)
	if o.delivered != 3 || o.missed != 0 {
		t.Fatalf("delivered %d, missed %d; want 3, 0", o.delivered, o.missed)
	}
	want := []time.Duration{40 * time.Millisecond, 30 * time.Millisecond, 70 * time.Millisecond}
	for i, l := range o.latencies {
		if l != want[i] {
			t.Errorf("latency %d = %s, want %s", i, l, want[i])
		}
	}
}

func TestMatchCountsSkippedAndUnshownChangesAsMissed(t *testing.T) {
	c := changes("not_ready:break", "ready", "not_ready:lunch", "ready")
	// The session jumped from the start straight to the third change and
	// never showed the fourth.
	shown := []seen{{"ready", at(-100)}, {"not_ready:lunch", at(1020)}}
	o := match(c, shown)
	if o.delivered != 1 || o.missed != 3 {
		t.Fatalf("delivered %d, missed %d; want 1, 3", o.delivered, o.missed)
	}
}

func TestMatchIgnoresAStateShownBeforeItsChange(t *testing.T) {
	c := changes("not_ready:break", "ready")
	// "ready" from before the first change is not the second change.
	shown := []seen{{"ready", at(-5)}, {"ready", at(100)}}
	o := match(c, shown)
	if o.delivered != 0 || o.missed != 2 {
		t.Fatalf("delivered %d, missed %d; want 0, 2", o.delivered, o.missed)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := percentile(ds, p); got != want {
			t.Errorf("p%.0f = %s, want %s", p, got, want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("p50 of nothing is not 0")
	}
}

func TestParseCPUSumsUserAndSystemTicks(t *testing.T) {
	// A command name with a space and a parenthesis must not shift the fields.
	stat := "4242 (cc d) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 37 0 0 20 0 9 0 100 1000 200"
	got, err := parseCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := 287 * clockTick; got != want {
		t.Fatalf("cpu = %s, want %s", got, want)
	}
	if _, err := parseCPU("4242 (ccd) S 1"); err == nil {
		t.Fatal("a short stat line parsed")
	}
}

func TestParseMemoryReadsRSSAndPeak(t *testing.T) {
	status := "Name:\tccd\nVmPeak:\t 900000 kB\nVmHWM:\t   61440 kB\nVmRSS:\t   40960 kB\nThreads:\t9\n"
	rss, peak, err := parseMemory(status)
	if err != nil {
		t.Fatal(err)
	}
	if rss != 40<<20 || peak != 60<<20 {
		t.Fatalf("rss %d, peak %d", rss, peak)
	}
	if _, _, err := parseMemory("Name:\tccd\n"); err == nil {
		t.Fatal("a status without VmRSS parsed")
	}
}
