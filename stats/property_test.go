package stats_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/statstest"
)

func berlin(t testing.TB) stats.Clock {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	return stats.Clock{Loc: loc}
}

// fold runs events through one aggregator in chunks, accounting open states at
// the given instants in between (what the live aggregator does), and merges
// every chunk's output the way the database does.
func fold(t testing.TB, clock stats.Clock, evs []eventlog.Event, cuts []int, advances []time.Time, end time.Time) (map[stats.RowKey]stats.Row, []stats.CallRecord) {
	a := stats.New(clock)
	rows := map[stats.RowKey]stats.Row{}
	var recs []stats.CallRecord
	merge := func() {
		rs, cs := a.Take()
		for k, r := range rs {
			if have := rows[k]; have != nil {
				have.Merge(&stats.Tables[k.Table], r)
			} else {
				rows[k] = r
			}
		}
		recs = append(recs, cs...)
	}
	prev := 0
	for i, cut := range append(cuts, len(evs)) {
		for j := prev; j < cut; j++ {
			if err := a.Apply(&evs[j]); err != nil {
				t.Fatal(err)
			}
		}
		prev = cut
		if i < len(advances) {
			a.Advance(advances[i])
		}
		merge()
	}
	a.Advance(end)
	merge()
	for k, r := range rows {
		if r.Empty(&stats.Tables[k.Table]) {
			delete(rows, k)
		}
	}
	return rows, recs
}

// TestLiveEqualsRebuild: folding a stream in random chunks, with open states
// accounted at random moments (even before events already folded, as a late
// event makes happen), gives exactly the rows of one pass.
func TestLiveEqualsRebuild(t *testing.T) {
	clock := berlin(t)
	start := time.Date(2025, 3, 30, 0, 40, 0, 0, clock.Loc) // across the spring-forward change
	for seed := range uint64(60) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			evs := statstest.Scenario(seed, 600, start)
			end := evs[len(evs)-1].At.Add(time.Hour)
			once, onceRecs := fold(t, clock, evs, nil, nil, end)

			r := rand.New(rand.NewPCG(seed, 3))
			var cuts []int
			var advances []time.Time
			for i := 0; i < len(evs); i += 1 + r.IntN(40) {
				cuts = append(cuts, i)
				at := evs[i].At.Add(time.Duration(r.IntN(120)-30) * time.Second)
				advances = append(advances, at)
			}
			live, liveRecs := fold(t, clock, evs, cuts, advances, end)
			if !reflect.DeepEqual(once, live) {
				for k, v := range once {
					if !reflect.DeepEqual(live[k], v) {
						t.Errorf("%s %+v: rebuild %v, live %v", stats.Tables[k.Table].Name, k, v, live[k])
					}
				}
				for k, v := range live {
					if once[k] == nil {
						t.Errorf("%s %+v: only live has %v", stats.Tables[k.Table].Name, k, v)
					}
				}
				t.FailNow()
			}
			if !reflect.DeepEqual(onceRecs, liveRecs) {
				t.Fatalf("call records differ")
			}
			checkSums(t, once, onceRecs)
		})
	}
}

func value(rows map[stats.RowKey]stats.Row, k stats.RowKey, col string) int64 {
	r := rows[k]
	if r == nil {
		return 0
	}
	return r[stats.Tables[k.Table].ColumnIndex(col)]
}

// checkSums checks what §5.3 implies must add up.
func checkSums(t *testing.T, rows map[stats.RowKey]stats.Row, recs []stats.CallRecord) {
	t.Helper()
	type total struct{ offered, answered, recalled, abdRinging, login, ready, notReady, activity int64 }
	agents := map[string]*total{}
	get := func(name string) *total {
		if agents[name] == nil {
			agents[name] = &total{}
		}
		return agents[name]
	}
	dnisOffered := map[string]int64{}
	for k := range rows {
		switch k.Table {
		case stats.AgentStat:
			login := value(rows, k, "logintime")
			if login < 0 || login > stats.QuarterHour {
				t.Errorf("agent %s logged in %d s in the quarter-hour %d", k.Name, login, k.Start)
			}
			if k.Start%stats.QuarterHour != 0 {
				t.Errorf("interval start %d is not on a quarter-hour", k.Start)
			}
			tt := get(k.Name)
			tt.offered += value(rows, k, "acdoffered")
			tt.answered += value(rows, k, "acdanswered")
			tt.recalled += value(rows, k, "acdrecalled")
			tt.abdRinging += value(rows, k, "acdabdringing")
			tt.login += login
			tt.ready += value(rows, k, "readytime")
			tt.notReady += value(rows, k, "notreadytime")
			if value(rows, k, "idletime") > value(rows, k, "readytime") {
				t.Errorf("agent %s idle longer than ready", k.Name)
			}
		case stats.AgentActivityStat:
			get(k.Name).activity += value(rows, k, "activitytime")
		case stats.DeviceStat:
			if k.Type == stats.DevDNIS {
				dnisOffered[k.Name] += value(rows, k, "offered")
			}
		}
	}
	for id, tt := range agents {
		// An offer ends in exactly one of: answer, recall, abandon while ringing
		// (none is open at the end: every call of the stream is folded).
		if tt.offered < tt.answered+tt.recalled+tt.abdRinging || tt.offered > tt.answered+tt.recalled+tt.abdRinging+1 {
			t.Errorf("agent %s: offered %d, answered %d + recalled %d + abandoned ringing %d", id, tt.offered, tt.answered, tt.recalled, tt.abdRinging)
		}
		if tt.login != tt.ready+tt.notReady {
			t.Errorf("agent %s: login %d s != ready %d s + not ready %d s", id, tt.login, tt.ready, tt.notReady)
		}
		if tt.activity != tt.notReady {
			t.Errorf("agent %s: activities %d s != not ready %d s", id, tt.activity, tt.notReady)
		}
	}
	// Every ACD call offered on a DNIS that ended has one record.
	ended := map[string]int64{}
	for _, r := range recs {
		if r.CallType == stats.CallACD && r.DNIS != "" {
			ended[r.DNIS]++
		}
	}
	for d, n := range ended {
		if dnisOffered[d] < n {
			t.Errorf("DNIS %s: %d offered, %d calls ended", d, dnisOffered[d], n)
		}
	}
}
