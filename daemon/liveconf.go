package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/liveconf"
	"github.com/ccdhq/ccd/store"
)

// ImportConfig replaces the live configuration in the database (queues,
// agents, groups, routes, activities) by the file's acd section, and audits
// it in the event log; it returns how many items it stored. A ccd that runs
// meanwhile keeps what it has until its next start.
func ImportConfig(ctx context.Context, cfg config.Config, log *slog.Logger) (int, error) {
	db, stop, err := database(ctx, cfg, log)
	if err != nil {
		return 0, err
	}
	defer stop()
	items, err := liveconf.Items(cfg.ACD)
	if err != nil {
		return 0, err
	}
	if err := db.ReplaceACDConfig(ctx, items); err != nil {
		return 0, err
	}
	audit := eventlog.Event{At: time.Now(), Kind: ccd.EventConfigChanged, Source: eventlog.SourceAPI, Key: eventlog.NewKey(),
		Payload: eventlog.Payload(ccd.ConfigChange{Action: ccd.ConfigImported, By: "ccd config import"})}
	if err := (store.EventSink{DB: db}).Append(ctx, []eventlog.Event{audit}); err != nil {
		return len(items), err
	}
	return len(items), nil
}

// liveACD is the live configuration the database holds, or the file's acd
// section when it holds none yet.
func liveACD(ctx context.Context, db *store.DB, file config.ACD) (config.ACD, error) {
	items, err := db.ACDConfig(ctx)
	if err != nil || len(items) == 0 {
		return file, err
	}
	return liveconf.FromItems(file, items)
}
