package stats_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd"
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
			checkOffers(t, once, evs)
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
	checkDevices(t, rows, recs)
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

// checkOffers: a call is Offered in the queue it is routed to, and again only
// in a queue an agent transfers it to; a queue it overflows into (by a rule or
// because its queue is full, with or without search expansion) has it as
// Inflowed, not Offered (000 §4, the queue toolbar).
func checkOffers(t *testing.T, rows map[stats.RowKey]stats.Row, evs []eventlog.Event) {
	t.Helper()
	var offered, inflowed, routed, transferred, overflowedInto int64
	for k := range rows {
		if k.Table == stats.DeviceStat && k.Type == stats.DevQueue {
			offered += value(rows, k, "offered")
			inflowed += value(rows, k, "inflowed")
		}
	}
	for _, ev := range evs {
		switch {
		case ev.Kind == "call.offered" && ev.Queue != "":
			routed++
		case ev.Kind == "call.queued":
			var d acd.Data
			if err := json.Unmarshal(ev.Payload, &d); err != nil {
				t.Fatal(err)
			}
			switch d.Reason {
			case "transfer":
				transferred++
			case "overflow", "expand":
				overflowedInto++
			}
		}
	}
	if offered != routed+transferred || inflowed != overflowedInto {
		t.Errorf("queues offered %d calls (%d routed + %d transferred) and inflowed %d (%d overflowed into a queue)",
			offered, routed, transferred, inflowed, overflowedInto)
	}
}

// checkDevices checks each queue's and DNIS's DeviceStat against the same
// facts counted elsewhere: the agents' rows for that device (every answer,
// abandon while ringing and return is an agent's), the call records (an
// abandon ends the call), and §5's "offered calls are answered, abandoned or
// overflowed".
func checkDevices(t *testing.T, rows map[stats.RowKey]stats.Row, recs []stats.CallRecord) {
	t.Helper()
	type dev struct {
		name string
		typ  int16
	}
	type sums map[string]int64
	device, byAgents, byRecords := map[dev]sums{}, map[dev]sums{}, map[dev]sums{}
	add := func(m map[dev]sums, d dev, col string, n int64) {
		if m[d] == nil {
			m[d] = sums{}
		}
		m[d][col] += n
	}
	var agentAnswered int64
	for k := range rows {
		switch k.Table {
		case stats.DeviceStat:
			d := dev{k.Name, k.Type}
			for _, c := range []string{"offered", "answered", "abandoned", "abdringing", "retfromagent", "backflowed", "inflowed"} {
				add(device, d, c, value(rows, k, c))
			}
		case stats.AgentByDeviceStat:
			d := dev{k.Name2, k.Type}
			add(byAgents, d, "answered", value(rows, k, "acdanswered"))
			add(byAgents, d, "abdringing", value(rows, k, "acdabdringing"))
			add(byAgents, d, "retfromagent", value(rows, k, "acdrecalled"))
		case stats.AgentStat:
			agentAnswered += value(rows, k, "acdanswered")
		}
	}
	for _, r := range recs {
		col := map[int]string{acd.EndAbandoned: "abandoned", acd.EndAbandonedRinging: "abdringing"}[r.EndType]
		if col == "" {
			continue
		}
		if r.HandledOnQueue != "" {
			add(byRecords, dev{r.HandledOnQueue, stats.DevQueue}, col, 1)
		}
		if r.DNIS != "" {
			add(byRecords, dev{r.DNIS, stats.DevDNIS}, col, 1)
		}
	}
	var queueAnswered, queueOffered int64
	for d, s := range device {
		for _, c := range []string{"answered", "abdringing", "retfromagent"} {
			if s[c] != byAgents[d][c] {
				t.Errorf("%s %s: %s %d, its agents' rows say %d", d.name, c, c, s[c], byAgents[d][c])
			}
		}
		for _, c := range []string{"abandoned", "abdringing"} {
			if s[c] != byRecords[d][c] {
				t.Errorf("%s %s: %s %d, %d call records ended so", d.name, c, c, s[c], byRecords[d][c])
			}
		}
		if d.typ != stats.DevQueue {
			continue
		}
		queueAnswered += s["answered"]
		queueOffered += s["offered"]
		// A queue ends only calls that came to it: offered there (routed or
		// transferred) or inflowed (overflowed into it), never both.
		if ends := s["answered"] + s["abandoned"] + s["abdringing"]; ends > s["offered"]+s["inflowed"] {
			t.Errorf("queue %s: offered %d + inflowed %d < answered %d + abandoned %d + abandoned ringing %d",
				d.name, s["offered"], s["inflowed"], s["answered"], s["abandoned"], s["abdringing"])
		}
		if s["backflowed"] > s["answered"] {
			t.Errorf("queue %s: backflowed %d of %d answered", d.name, s["backflowed"], s["answered"])
		}
	}
	// Every answer is an agent's, in a queue.
	if queueAnswered != agentAnswered {
		t.Errorf("queues answered %d calls, agents %d", queueAnswered, agentAnswered)
	}
	// A call routed to a queue is offered in that queue only, however often it
	// overflows: the queues' offers are the routed calls and the transfers to a
	// queue, so at least every ended call that had a first queue.
	routed := int64(0)
	for _, r := range recs {
		if r.CallType == stats.CallACD && r.InitialQueue != "" {
			routed++
		}
	}
	if queueOffered < routed {
		t.Errorf("queues offered %d calls, %d calls routed to a queue ended", queueOffered, routed)
	}
}
