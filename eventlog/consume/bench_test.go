package consume_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/eventlog/consume"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
	"github.com/jmoiron/sqlx"
)

// fill writes n events with payloads like the log's, in batches.
func fill(b *testing.B, db *store.DB, n int) {
	b.Helper()
	sink := store.EventSink{DB: db}
	for i := 0; i < n; i += 2000 {
		batch := events(fmt.Sprintf("bench-%d", n), i, min(2000, n-i))
		for j := range batch {
			batch[j].CallID, batch[j].Agent, batch[j].Queue = fmt.Sprintf("call-%d", (i+j)/10), "1001", "support"
			batch[j].Payload = eventlog.Payload(map[string]any{"n": i + j, "channel": "PJSIP/1001-00000001"})
		}
		if err := sink.Append(ctxT(b), batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConsumer measures how fast a durable consumer works through a
// backlog in a real PostgreSQL, reading 1,000 events at a time and moving its
// cursor after each batch, at least once (Step) and exactly once (Apply):
// go test -run '^$' -bench Consumer -benchtime 200000x ./eventlog/consume
func BenchmarkConsumer(b *testing.B) {
	for _, mode := range []string{"at-least-once", "exactly-once"} {
		b.Run(mode, func(b *testing.B) {
			db := pgtest.NewDB(b)
			fill(b, db, b.N)
			ctx := ctxT(b)
			c := consume.New(db, "bench")
			handled := 0
			count := func(_ context.Context, evs []eventlog.Event) error { handled += len(evs); return nil }
			b.ResetTimer()
			start := time.Now()
			for handled < b.N {
				var err error
				if mode == "at-least-once" {
					_, err = c.Step(ctx, 1000, count)
				} else {
					err = applyNext(ctx, c, count)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(handled)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// applyNext reads the next batch and moves the cursor in a transaction of
// its own, as a consumer that writes its effects there does.
func applyNext(ctx context.Context, c *consume.Consumer, h consume.Handler) error {
	evs, err := c.Next(ctx, 1000)
	if err != nil || len(evs) == 0 {
		return err
	}
	return c.Apply(ctx, func(ctx context.Context, _ *sqlx.Tx) (store.ConsumerPosition, error) {
		return store.ConsumerPosition{LastID: evs[len(evs)-1].ID}, h(ctx, evs)
	})
}
