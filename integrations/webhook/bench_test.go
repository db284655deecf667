package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/store"
)

// benchEnv is env on the real clock, with a receiver that only counts and
// notes when each message came.
type benchEnv struct {
	*env
	srv      *httptest.Server
	mu       sync.Mutex
	arrived  map[string]time.Time
	received atomic.Int64
}

func newBenchEnv(b *testing.B) *benchEnv {
	e := newEnv(b)
	e.feed = NewFeeder(e.db, Translator{AccountID: "4711"}, nil)
	e.del = newDeliverer(e.st, time.Now, loopback)
	e.del.opt.Poll = time.Second // the fan-out wakes it, not the poll
	e.feed.Enqueued = e.del.Kick
	be := &benchEnv{env: e, arrived: map[string]time.Time{}}
	be.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		be.mu.Lock()
		be.arrived[r.Header.Get("webhook-id")] = now
		be.mu.Unlock()
		be.received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(be.srv.Close)
	e.subscribe("crm", be.srv.URL, "json")
	return be
}

func benchEvent(i int) eventlog.Event {
	return eventlog.Event{At: time.Now(), Kind: ccd.EventCallAnswered, Source: eventlog.SourceACD, CallID: fmt.Sprintf("c%d", i),
		Agent: "1001", CLID: "+4512345678", Key: fmt.Sprintf("bench-%d-%d", i, time.Now().UnixNano())}
}

// BenchmarkCommitToPost is the latency from an event's commit to the
// receiver getting its POST, at 200 events/s: the event log's Hub wakes the
// feeder, the feeder the deliverer. Run with -benchtime=1000x (5 s).
func BenchmarkCommitToPost(b *testing.B) {
	be := newBenchEnv(b)
	hub := eventlog.NewHub()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wake, stop := hub.Wake()
	defer stop()
	go be.feed.Run(ctx, wake, time.Second, slog.New(slog.DiscardHandler))
	be.start()
	sink := store.EventSink{DB: be.db}
	committed := make(map[string]time.Time, b.N)
	tick := time.NewTicker(5 * time.Millisecond) // 200 events/s
	defer tick.Stop()
	b.ResetTimer()
	for i := range b.N {
		<-tick.C
		evs := []eventlog.Event{benchEvent(i)}
		ids, err := sink.AppendIDs(ctx, evs)
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		evs[0].ID = ids[0]
		hub.Publish(evs, now)
		committed[fmt.Sprintf("msg_%d_answered", ids[0])] = now
	}
	waitFor(b, "every POST", func() bool { return be.received.Load() >= int64(b.N) })
	b.StopTimer()
	be.mu.Lock()
	defer be.mu.Unlock()
	var lat []time.Duration
	for id, at := range committed {
		lat = append(lat, be.arrived[id].Sub(at))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkDeliveries is the sustained rate of deliveries to a local
// receiver from a full outbox, one subscription (in order). Run with
// -benchtime=20000x.
func BenchmarkDeliveries(b *testing.B) {
	be := newBenchEnv(b)
	evs := make([]eventlog.Event, 0, 1000)
	for i := range b.N {
		evs = append(evs, benchEvent(i))
		if len(evs) == cap(evs) || i == b.N-1 {
			if err := (store.EventSink{DB: be.db}).Append(context.Background(), evs); err != nil {
				b.Fatal(err)
			}
			evs = evs[:0]
		}
	}
	be.drain()
	b.ResetTimer()
	start := time.Now()
	be.start()
	waitFor(b, "every delivery", func() bool { return be.received.Load() >= int64(b.N) })
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
}
