package store_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// Only the callbacks still waiting for an agent count as pending, by queue.
func TestWaitingCallbacksByQueue(t *testing.T) {
	db, ctx := pgtest.NewDB(t), context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	for i, c := range []struct{ queue, state string }{
		{"sales", ccd.CallbackWaiting}, {"sales", ccd.CallbackWaiting}, {"support", ccd.CallbackWaiting},
		{"sales", ccd.CallbackCalling}, {"support", ccd.CallbackDone}, {"billing", ccd.CallbackCancelled},
	} {
		r := store.CallbackRow{ID: "cb-" + string(rune('a'+i)), Queue: c.queue, Number: "5551234", Origin: ccd.CallbackFromWeb,
			State: c.state, PlaceAt: now, MaxAttempts: 3, RetryInterval: time.Minute, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		if err := db.PutCallback(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.WaitingCallbacks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"sales": 2, "support": 1}; !maps.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
