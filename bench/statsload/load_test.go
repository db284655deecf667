package main

import (
	"context"
	"testing"

	"github.com/ccdhq/ccd/internal/pgtest"
)

// TestLoad copies a small generation into a fresh database and checks that
// every event arrived and that the indexes dropped for the copy are back,
// the key's unique constraint included.
func TestLoad(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	indexes := func() map[string]string {
		rows, err := db.QueryContext(ctx, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'call_event'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				t.Fatal(err)
			}
			out[name] = def
		}
		return out
	}
	before := indexes()
	if err := loadStep(ctx, db, smallConfig); err != nil {
		t.Fatal(err)
	}
	_, sum := generate(t, smallConfig)
	var n, keys int
	if err := db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT key) FROM call_event`).Scan(&n, &keys); err != nil {
		t.Fatal(err)
	}
	if n != sum.Events || keys != n {
		t.Errorf("%d events stored (%d keys), generated %d", n, keys, sum.Events)
	}
	after := indexes()
	if len(after) != len(before) {
		t.Errorf("indexes before the load %v, after %v", before, after)
	}
	for name, def := range before {
		if after[name] != def {
			t.Errorf("index %s was %q, is %q", name, def, after[name])
		}
	}
	var constraints int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_constraint WHERE conrelid = 'call_event'::regclass AND contype = 'u'`).Scan(&constraints); err != nil {
		t.Fatal(err)
	}
	if constraints != 1 {
		t.Errorf("%d unique constraints on call_event, want the key's", constraints)
	}
}
