package store_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// A database whose live statistics stood at some event (stat.aggregator)
// keeps that position and state as the consumer "stats": losing it would make
// the statistics count the whole log again.
func TestMigrationKeepsTheStatisticsPosition(t *testing.T) {
	ctx := ctxT(t)
	db, err := store.Open(ctx, pgtest.NewEmptyDB(t), 2, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MigrateUpTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO stat.aggregator (name, last_id, state) VALUES ('live', 4242, '{"advanced_to": 1764590400}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	pos, found, err := db.Consumer(ctx, "stats")
	if err != nil || !found || pos.LastID != 4242 || string(pos.State) != `{"advanced_to": 1764590400}` {
		t.Fatalf("consumer stats after the migration: %+v found=%v err=%v", pos, found, err)
	}
	var left bool
	if err := db.Get(&left, `SELECT to_regclass('stat.aggregator') IS NOT NULL`); err != nil || left {
		t.Fatalf("stat.aggregator still there: %v %v", left, err)
	}
}

// AdvanceConsumer moves a position only from the one the consumer read;
// SetConsumer sets it whatever it was.
func TestAdvanceConsumerComparesAndSets(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	zero := store.ConsumerPosition{}
	if err := store.AdvanceConsumer(ctx, db, "c", zero, false, store.ConsumerPosition{LastID: 5}); err != nil {
		t.Fatal(err)
	}
	// A second "first" advance finds the row there.
	if err := store.AdvanceConsumer(ctx, db, "c", zero, false, store.ConsumerPosition{LastID: 7}); err == nil {
		t.Fatal("a consumer that read no position overwrote a stored one")
	}
	if err := store.AdvanceConsumer(ctx, db, "c", store.ConsumerPosition{LastID: 4}, true, store.ConsumerPosition{LastID: 9}); err == nil {
		t.Fatal("a consumer moved from a position that was not stored")
	}
	if err := store.AdvanceConsumer(ctx, db, "c", store.ConsumerPosition{LastID: 5}, true, store.ConsumerPosition{LastID: 9, State: []byte(`{"x": 1}`)}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetConsumer(ctx, db, "c", store.ConsumerPosition{LastID: 3}); err != nil {
		t.Fatal(err)
	}
	pos, _, err := db.Consumer(ctx, "c")
	if err != nil || pos.LastID != 3 || string(pos.State) != `{}` {
		t.Fatalf("position %+v, %v", pos, err)
	}
}
