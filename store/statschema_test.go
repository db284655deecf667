package store_test

import (
	"reflect"
	"testing"

	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/stats"
)

// The migrated schema must hold every column the aggregator writes, with the
// semantics its Op needs (sums NOT NULL DEFAULT 0, minima and maxima nullable:
// "no call" is not "a zero-second call"), and each primary key must be thedate
// followed by the table's keys, the order the upserts and rebuild rely on.
func TestStatSchemaMatchesTables(t *testing.T) {
	db := pgtest.NewDB(t)
	for _, tb := range stats.Tables {
		type column struct {
			Name     string  `db:"column_name"`
			Nullable string  `db:"is_nullable"`
			Default  *string `db:"column_default"`
		}
		var cols []column
		if err := db.Select(&cols, `SELECT column_name, is_nullable, column_default
			FROM information_schema.columns WHERE table_schema = 'stat' AND table_name = $1`, tb.Name); err != nil {
			t.Fatal(err)
		}
		have := map[string]column{}
		for _, c := range cols {
			have[c.Name] = c
		}
		for _, name := range append([]string{"calcts", "thedate", "themonth", "theweek", "theday", "thehour"}, tb.Keys...) {
			if c, ok := have[name]; !ok || c.Nullable != "NO" {
				t.Errorf("stat.%s.%s: %+v, want a NOT NULL column", tb.Name, name, c)
			}
		}
		for _, col := range tb.Cols {
			c, ok := have[col.Name]
			switch {
			case !ok:
				t.Errorf("stat.%s has no column %s", tb.Name, col.Name)
			case col.Op == stats.Sum && (c.Nullable != "NO" || c.Default == nil || *c.Default != "0"):
				t.Errorf("stat.%s.%s is a sum: want NOT NULL DEFAULT 0, have nullable=%s default=%v", tb.Name, col.Name, c.Nullable, c.Default)
			case col.Op != stats.Sum && c.Nullable != "YES":
				t.Errorf("stat.%s.%s is a min/max: want nullable", tb.Name, col.Name)
			}
		}
		var key []string
		if err := db.Select(&key, `SELECT a.attname FROM pg_index i
			CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
			WHERE i.indrelid = ('stat.' || $1)::regclass AND i.indisprimary ORDER BY k.n`, tb.Name); err != nil {
			t.Fatal(err)
		}
		if want := append([]string{"thedate"}, tb.Keys...); !reflect.DeepEqual(key, want) {
			t.Errorf("stat.%s primary key %v, want %v", tb.Name, key, want)
		}
	}
}
