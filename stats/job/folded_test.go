package job_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/job"
	"github.com/ccdhq/ccd/stats/statstest"
	"github.com/ccdhq/ccd/store"
)

// Folded is called after a step that committed new events' figures, and
// not after a step that found nothing new (the live views rebuild on it).
func TestLiveAnnouncesFoldedEvents(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	clock := stats.Clock{Loc: time.UTC}
	evs := statstest.Scenario(1, 50, time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	for i := range evs {
		evs[i].ID = 0
	}
	live := job.NewLive(db, clock, nil)
	live.Now = func() time.Time { return evs[len(evs)-1].At }
	folded := 0
	live.Folded = func() { folded++ }
	if _, err := live.Step(ctx); err != nil || folded != 0 {
		t.Fatalf("an empty log: folded called %d times (%v), want 0", folded, err)
	}
	if err := (store.EventSink{DB: db}).Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if n, err := live.Step(ctx); err != nil || n == 0 || folded != 1 {
		t.Fatalf("%d events folded: folded called %d times (%v), want 1", n, folded, err)
	}
	if _, err := live.Step(ctx); err != nil || folded != 1 {
		t.Fatalf("nothing new: folded called %d times in all (%v), want 1", folded, err)
	}
}
