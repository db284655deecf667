package job_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/stats/job"
	"github.com/ccdhq/ccd/store"
)

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortStrings(s []string) { sort.Strings(s) }

// sortByTime merges several scenarios into one log order; equal times keep
// their order.
func sortByTime(evs []eventlog.Event) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
}

// feedLive logs evs in chunks of 1 to sizes events (numbered by the log),
// running the live job lag after each chunk's last event, and once more tail
// after the last event, when every open state is over: that last time it returns.
func feedLive(t *testing.T, sink store.EventSink, live *job.Live, evs []eventlog.Event, sizes int, lag, tail time.Duration) time.Time {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < len(evs); {
		n := min(1+i%sizes, len(evs)-i)
		chunk := append([]eventlog.Event(nil), evs[i:i+n]...)
		for j := range chunk {
			chunk[j].ID = 0
		}
		if err := sink.Append(ctx, chunk); err != nil {
			t.Fatal(err)
		}
		i += n
		live.Now = func() time.Time { return evs[i-1].At.Add(lag) }
		if _, err := live.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	end := evs[len(evs)-1].At.Add(tail)
	live.Now = func() time.Time { return end }
	if _, err := live.Step(ctx); err != nil {
		t.Fatal(err)
	}
	return end
}
