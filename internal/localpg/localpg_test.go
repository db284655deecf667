package localpg

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

func TestStartCreateStop(t *testing.T) {
	if _, err := FindBinaries(); err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(ctx)
	if err := c.Start(ctx); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	dsn, err := c.EnsureDatabase(ctx, "ccd_test")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := c.EnsureDatabase(ctx, "ccd_test"); err != nil || again != dsn {
		t.Fatalf("EnsureDatabase not idempotent: %v %q", err, again)
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var who string
	if err := db.QueryRowContext(ctx, "SELECT current_user").Scan(&who); err != nil || who != "ccd_test" {
		t.Fatalf("current_user = %q, %v", who, err)
	}
	if _, err := c.EnsureDatabase(ctx, "bad;name"); err == nil {
		t.Fatal("accepted an unsafe database name")
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(ctx); err == nil {
		t.Fatal("server still answers after Stop")
	}
}

// A ccd killed hard leaves its server running; the next start adopts it and
// uses it as it is rather than failing or starting another.
func TestStartAdoptsServerLeftRunning(t *testing.T) {
	if _, err := FindBinaries(); err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	first, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	adopted, err := first.StartOrAdopt(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Stop(context.Background())
	if adopted {
		t.Fatal("a fresh cluster reported as adopted")
	}
	dsn, err := first.EnsureDatabase(ctx, "ccd")
	if err != nil {
		t.Fatal(err)
	}
	// The first owner goes away without Stop (its deferred Stop only cleans up
	// after a failure): the next one opens the same directory afresh.

	next, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if adopted, err = next.StartOrAdopt(ctx); err != nil || !adopted {
		t.Fatalf("second start: adopted %v, %v", adopted, err)
	}
	if again, err := next.EnsureDatabase(ctx, "ccd"); err != nil || again != dsn {
		t.Fatalf("EnsureDatabase on the adopted cluster: %q, %v", again, err)
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "CREATE TABLE t AS SELECT 1 AS x; SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("adopted cluster not usable: %d, %v", n, err)
	}
	if err := next.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(ctx); err == nil {
		t.Fatal("adopted server still answers after Stop")
	}
}

// Exists tells a directory without a cluster from one with, and one it
// cannot look into from both: ccd asterisk-config must not take a cluster
// it may not read for no cluster at all.
func TestExistsTellsMissingFromUnreadable(t *testing.T) {
	dir := t.TempDir()
	if ok, err := Exists(dir); ok || err != nil {
		t.Fatalf("empty directory: %v %v", ok, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "PG_VERSION"), []byte("17\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, err := Exists(dir); !ok || err != nil {
		t.Fatalf("initialised directory: %v %v", ok, err)
	}
	file := filepath.Join(dir, "data", "PG_VERSION")
	if ok, err := Exists(file); ok || err == nil {
		t.Fatalf("a path under a file: %v %v", ok, err)
	}
}
