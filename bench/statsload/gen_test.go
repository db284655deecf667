package main

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
)

var smallConfig = Config{Calls: 2000, Queues: 5, Agents: 20, Days: 1, Seed: 1,
	Start: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)}

func generate(t *testing.T, cfg Config) ([]eventlog.Event, Summary) {
	t.Helper()
	var evs []eventlog.Event
	sum, err := Generate(cfg, func(ev eventlog.Event) error {
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs, sum
}

// digest sums up everything that is stored of the events.
func digest(evs []eventlog.Event) [32]byte {
	h := sha256.New()
	for _, ev := range evs {
		_ = binary.Write(h, binary.LittleEndian, ev.At.UnixNano())
		for _, s := range []string{ev.CallID, ev.Kind, ev.Agent, ev.Queue, ev.DNIS, ev.CLID, ev.Source, ev.Key, string(ev.Payload)} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
	}
	return [32]byte(h.Sum(nil))
}

func TestGenerate(t *testing.T) {
	evs, sum := generate(t, smallConfig)
	t.Logf("%d events: %+v", len(evs), sum)
	if sum.Events != len(evs) {
		t.Errorf("summary counts %d events, %d emitted", sum.Events, len(evs))
	}
	offered, ended := map[string]int{}, map[string]int{}
	keys := map[string]bool{}
	var abandoned, abandonedRinging, answered int
	loggedIn := map[string]bool{}
	for i, ev := range evs {
		if err := ev.Validate(); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if i > 0 && ev.At.Before(evs[i-1].At) {
			t.Fatalf("event %d (%s at %s) is before the one preceding it (%s)", i, ev.Kind, ev.At, evs[i-1].At)
		}
		if ev.Source != eventlog.SourceACD || keys[ev.Key] {
			t.Fatalf("event %d: source %q, key %q (duplicate %v)", i, ev.Source, ev.Key, keys[ev.Key])
		}
		keys[ev.Key] = true
		switch ev.Kind {
		case "call.offered":
			offered[ev.CallID]++
		case "call.ended":
			ended[ev.CallID]++
		case "call.answered":
			answered++
		case "call.abandoned":
			if ev.Agent == "" {
				abandoned++
			} else {
				abandonedRinging++
			}
		case "agent.logged_in":
			loggedIn[ev.Agent] = true
		case "agent.logged_out":
			loggedIn[ev.Agent] = false
		}
	}
	if len(offered) != smallConfig.Calls || sum.Calls != smallConfig.Calls {
		t.Errorf("%d calls offered (summary %d), want %d", len(offered), sum.Calls, smallConfig.Calls)
	}
	for id, n := range offered {
		if n != 1 || ended[id] != 1 {
			t.Errorf("call %s offered %d times, ended %d times", id, n, ended[id])
		}
	}
	if len(ended) != len(offered) {
		t.Errorf("%d calls ended, %d offered", len(ended), len(offered))
	}
	for id, in := range loggedIn {
		if in {
			t.Errorf("agent %s is still logged in at the end", id)
		}
	}
	// Every call ends one way, and the events of each way agree with the
	// end types of the call records.
	talked, abd, abdRinging, transferred := sum.ByEnd[acd.EndTalked], sum.ByEnd[acd.EndAbandoned], sum.ByEnd[acd.EndAbandonedRinging], sum.ByEnd[acd.EndTransferred]
	if talked+abd+abdRinging+transferred != smallConfig.Calls {
		t.Errorf("end types %v do not add up to %d calls", sum.ByEnd, smallConfig.Calls)
	}
	if abd != abandoned || abdRinging != abandonedRinging {
		t.Errorf("abandoned: %d waiting, %d ringing events; end types %d, %d", abandoned, abandonedRinging, abd, abdRinging)
	}
	if answered != sum.Answered || answered < talked {
		t.Errorf("%d answers (summary %d) for %d calls talked", answered, sum.Answered, talked)
	}
	// The mix looks like a working day.
	n := float64(smallConfig.Calls)
	if float64(talked) < 0.75*n || float64(abd) < 0.02*n || abdRinging == 0 || sum.Returned == 0 || sum.Holds == 0 ||
		sum.Transfers == 0 || sum.Overflows == 0 {
		t.Errorf("unlikely mix: %+v", sum)
	}
	if per := float64(len(evs)) / n; per < 7 || per > 13 {
		t.Errorf("%.1f events a call", per)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	a, _ := generate(t, smallConfig)
	b, _ := generate(t, smallConfig)
	if len(a) != len(b) || digest(a) != digest(b) {
		t.Fatalf("two runs with seed %d differ (%d and %d events)", smallConfig.Seed, len(a), len(b))
	}
	other := smallConfig
	other.Seed = 2
	c, _ := generate(t, other)
	if digest(a) == digest(c) {
		t.Fatal("seeds 1 and 2 give the same events")
	}
}
