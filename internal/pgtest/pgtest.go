// Package pgtest gives tests a real, empty PostgreSQL database.
//
// Tests use the server named by CCD_TEST_DATABASE_URL (`make test` starts a
// throwaway cluster and sets it); each call creates a fresh database on it and drops
// it when the test ends. Without the variable the test is skipped with a message
// saying how to run it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/localpg"
	"github.com/ccdhq/ccd/store"
	"github.com/jmoiron/sqlx"
)

// EnvURL is the variable naming the test server.
const EnvURL = "CCD_TEST_DATABASE_URL"

// URL returns the test server's connection string or skips the test.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		t.Skipf("PostgreSQL tests skipped: set %s or run `make test`, which starts a throwaway cluster", EnvURL)
	}
	return u
}

// WithDBName returns dsn pointing at database name instead.
func WithDBName(dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			u.Path = "/" + name
			return u.String()
		}
	}
	return dsn + " dbname=" + name // later keys win in lib/pq's key=value form
}

// NewDB creates a fresh database with ccd's migrations applied.
func NewDB(t testing.TB) *store.DB {
	t.Helper()
	return OpenMigrated(t, NewEmptyDB(t))
}

// OpenMigrated opens the database dsn, closed when the test ends, and applies
// ccd's migrations.
func OpenMigrated(t testing.TB, dsn string) *store.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, dsn, 8, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// NewEmptyDB creates a fresh database without migrations and returns its DSN.
func NewEmptyDB(t testing.TB) string {
	t.Helper()
	base := URL(t)
	admin, err := sqlx.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "ccdt_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sqlx.Open("postgres", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	return WithDBName(base, name)
}

// NewCluster starts a private cluster the test controls (to stop and restart the
// server mid-test). It needs PostgreSQL's server binaries; without them the test is
// skipped.
func NewCluster(t testing.TB) (*localpg.Cluster, string) {
	t.Helper()
	if _, err := localpg.FindBinaries(); err != nil {
		t.Skip(err)
	}
	c, err := localpg.Open(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop(context.Background()) })
	dsn, err := c.EnsureDatabase(ctx, "ccd")
	if err != nil {
		t.Fatal(err)
	}
	return c, dsn
}

// StatRows reads every stat table: its rows as column → value, calcts (the
// moment of the computation) left out and times in UTC, so that two databases
// holding the same statistics compare equal.
func StatRows(t testing.TB, db *store.DB) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, name := range store.StatTableNames() {
		rows, err := db.Queryx("SELECT * FROM stat." + name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				t.Fatal(err)
			}
			delete(m, "calcts")
			for k, v := range m {
				if tm, ok := v.(time.Time); ok {
					m[k] = tm.UTC()
				}
			}
			out[name] = append(out[name], m)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}
