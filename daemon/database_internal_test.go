package daemon

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/internal/localpg"
)

// A one-shot command (ccd migrate, config import, user add) run beside a
// serving ccd that uses the private cluster adopts that cluster; on its way
// out it must leave it running, or the serving ccd loses its database.
func TestOneShotCommandLeavesTheServingClusterRunning(t *testing.T) {
	cfg := config.Default()
	cfg.StateDir = t.TempDir()
	cfg.Database.URL = ""
	if _, err := localpg.Open(filepath.Join(cfg.StateDir, "postgres")); err != nil {
		t.Skip("no PostgreSQL server binaries here:", err)
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, _, stop, err := database(ctx, cfg, log, false)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := Migrate(ctx, cfg, log); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Ping(ctx); err != nil {
		t.Fatalf("the serving daemon's database stopped after a one-shot command: %v", err)
	}
}
