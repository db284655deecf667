package localpg

import (
	"context"
	"database/sql"
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
