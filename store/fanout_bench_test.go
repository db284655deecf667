package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// BenchmarkAppendFanout is BenchmarkAppend as the daemon writes: through a
// hub with a subscriber, so every batch returns its ids and is published.
func BenchmarkAppendFanout(b *testing.B) {
	hub := eventlog.NewHub()
	sub := hub.Subscribe(1 << 30)
	defer sub.Close()
	w := benchWriter(b, hub)
	ctx := ctxT(b)
	go func() { // a reader that keeps up
		for {
			if _, err := sub.Next(ctx); err != nil {
				return
			}
		}
	}()
	benchAppendRate(b, w)
}

// BenchmarkFanoutLatency measures the time from the database acknowledging a
// batch to an in-process subscriber holding it, while events arrive at 2,000
// per second into a real PostgreSQL; it reports the 50th and 99th
// percentiles and the maximum over b.N events:
// go test -run '^$' -bench FanoutLatency -benchtime 20000x ./store
func BenchmarkFanoutLatency(b *testing.B) {
	const rate = 2000 // events per second
	db := pgtest.NewDB(b)
	hub := eventlog.NewHub()
	sub := hub.Subscribe(100000)
	defer sub.Close()
	w, err := eventlog.NewWriter(store.EventSink{DB: db}, eventlog.Options{
		SpillPath: filepath.Join(b.TempDir(), "spill.jsonl"), Hub: hub, // the daemon's defaults otherwise
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := ctxT(b)
	lat := make([]time.Duration, 0, b.N)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for len(lat) < b.N {
			d, err := sub.Next(ctx)
			if err != nil {
				return
			}
			got := time.Since(d.Committed)
			for range d.Events {
				lat = append(lat, got)
			}
		}
	}()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		// Paced in 5 ms steps of 10 events: 2,000 per second.
		if due := start.Add(time.Duration(i) * time.Second / rate); time.Until(due) > 0 {
			time.Sleep(time.Until(due))
		}
		e := sampleEvent(i)
		e.Key = fmt.Sprintf("fanout-%d-%d", b.N, i)
		w.Add(e)
	}
	<-done
	b.StopTimer()
	if len(lat) < b.N {
		b.Fatalf("%d of %d events reached the subscriber", len(lat), b.N)
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	w.Close(context.Background())
}
