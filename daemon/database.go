package daemon

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/internal/localpg"
	"github.com/ccdhq/ccd/store"
)

// databaseLink is the database component. ccd may start before its
// database: Start connects in the background (retrying, and applying the
// migrations), and the components that need the database wait for ready,
// or answer that it is not connected yet.
type databaseLink struct {
	w     *wiring
	ready chan struct{} // closed once db is connected and migrated
	db    *store.DB
	dsn   string
	stop  func()
	tasks tasks
}

func newDatabaseLink(w *wiring) component {
	w.db = &databaseLink{w: w, ready: make(chan struct{}), stop: func() {}}
	return w.db
}

func (d *databaseLink) Name() string { return "database" }

func (d *databaseLink) Start(ctx context.Context) error {
	d.w.addCheck(api.Check{Name: "database", Func: d.check})
	d.tasks.goRun(ctx, func(ctx context.Context) {
		db, dsn, stop, err := database(ctx, d.w.cfg, d.w.log, false)
		if err != nil {
			if ctx.Err() == nil {
				d.w.fail(err)
			}
			return
		}
		d.db, d.dsn, d.stop = db, dsn, stop
		close(d.ready)
	})
	return nil
}

func (d *databaseLink) check(ctx context.Context) error {
	db, err := d.get()
	if err != nil {
		return errors.New("not connected yet")
	}
	took, err := db.Ping(ctx)
	d.w.m.DBLatency.WithLabelValues("ping").Observe(took.Seconds())
	return err
}

// errNoDatabase answers a request that needs the database before it is
// connected.
var errNoDatabase = &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "database not connected yet"}

// get returns the database once connected, errNoDatabase until then.
func (d *databaseLink) get() (*store.DB, error) {
	select {
	case <-d.ready:
		return d.db, nil
	default:
		return nil, errNoDatabase
	}
}

// load returns the database once connected, nil until then.
func (d *databaseLink) load() *store.DB {
	db, _ := d.get()
	return db
}

// wait returns the database once connected; false when ctx ends first.
func (d *databaseLink) wait(ctx context.Context) (*store.DB, bool) {
	select {
	case <-d.ready:
		return d.db, true
	case <-ctx.Done():
		return nil, false
	}
}

func (d *databaseLink) Close(context.Context) error {
	d.tasks.stop()
	d.stop()
	return nil
}

// database opens the configured database, or starts the private cluster under the
// state directory when none is configured; dsn is where it is. stop undoes
// what it started. The serving daemon also stops a private cluster it
// adopted (one a ccd killed hard left running); a one-shot command
// (oneShot: migrate, config import, user add) leaves an adopted cluster
// running, since it is the running ccd's.
func database(ctx context.Context, cfg config.Config, log *slog.Logger, oneShot bool) (db *store.DB, dsn string, stop func(), err error) {
	dsn = cfg.Database.URL
	stop = func() {}
	if dsn == "" {
		dir := filepath.Join(cfg.StateDir, "postgres")
		cluster, err := localpg.Open(dir)
		if err != nil {
			return nil, "", stop, err
		}
		adopted, err := cluster.StartOrAdopt(ctx)
		if err != nil {
			return nil, "", stop, err
		}
		if adopted {
			log.Info("no database.url configured: adopting the private PostgreSQL cluster left running at "+dir, "dir", dir)
		} else {
			log.Info("no database.url configured: started a private PostgreSQL cluster", "dir", dir)
		}
		stop = func() {
			if adopted && oneShot {
				return
			}
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := cluster.Stop(sctx); err != nil {
				log.Warn("stopping the private PostgreSQL cluster", "err", err)
			}
		}
		if dsn, err = cluster.EnsureDatabase(ctx, "ccd"); err != nil {
			stop()
			return nil, "", func() {}, err
		}
	}
	db, err = store.Open(ctx, dsn, cfg.Database.MaxOpenConns, log)
	if err != nil {
		stop()
		return nil, "", func() {}, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		stop()
		return nil, "", func() {}, err
	}
	stopCluster := stop
	return db, dsn, func() { db.Close(); stopCluster() }, nil
}

// Migrate brings the database schema up to date.
func Migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	_, _, stop, err := database(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	stop()
	log.Info("database is up to date")
	return nil
}
