// Package store is ccd's PostgreSQL: opening the database (with retries, because ccd
// may start before its database), the embedded schema migrations, and plain SQL for
// each entity, one file per entity.
package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the application's database handle.
type DB struct {
	*sqlx.DB
	dsn       string // for the connections of their own (Listen)
	log       *slog.Logger
	statCols  sync.Map // table name → []tableColumn
	codeNames codeNames
	// serves, when set, is the live ACD configuration's "agent serves
	// queue" (SetAgentServes): personal callbacks are checked against it.
	serves atomic.Pointer[AgentServes]
}

// Open connects to dsn, retrying with backoff until the server answers or ctx ends.
// Every failed attempt is logged with the reason, so a user sees why ccd waits.
func Open(ctx context.Context, dsn string, maxOpen int, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.Default()
	}
	conn, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	conn.Dialer(bufferedDialer{})
	db := sqlx.NewDb(sql.OpenDB(conn), "postgres")
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
	db.SetConnMaxIdleTime(5 * time.Minute)
	delay := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = db.PingContext(pctx)
		cancel()
		if err == nil {
			if attempt > 1 {
				log.Info("database reachable", "attempts", attempt)
			}
			return &DB{DB: db, dsn: dsn, log: log}, nil
		}
		log.Warn("database not reachable yet; retrying", "attempt", attempt, "retry_in", delay.String(), "err", err)
		select {
		case <-ctx.Done():
			db.Close()
			return nil, fmt.Errorf("store: database not reachable: %w", err)
		case <-time.After(delay/2 + rand.N(delay/2+1)):
		}
		delay = min(2*delay, 10*time.Second)
	}
}

// Migrate applies the embedded migrations that have not run yet, each in its own
// transaction, under an advisory lock so that two ccd processes starting together do
// not race. It returns the versions applied.
func (db *DB) Migrate(ctx context.Context) ([]int, error) {
	return db.migrate(ctx, math.MaxInt)
}

// migrate applies the migrations up to version upTo.
func (db *DB) migrate(ctx context.Context, upTo int) ([]int, error) {
	conn, err := db.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	const lockID = 7233001 // arbitrary, constant: "ccd migrations"
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return nil, fmt.Errorf("store: migrate lock: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, lockID)

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migration (
		version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	done := map[int]bool{}
	var have []int
	if err := conn.SelectContext(ctx, &have, `SELECT version FROM schema_migration`); err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	for _, v := range have {
		done[v] = true
	}
	files, err := migrationFiles()
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range files {
		if done[m.version] || m.version > upTo {
			continue
		}
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return applied, err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migration (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		db.log.Info("migration applied", "version", m.version, "name", m.name)
		applied = append(applied, m.version)
	}
	return applied, nil
}

type migration struct {
	version int
	name    string
	sql     string
}

// migrationFiles reads migrations/NNNN_name.sql in version order.
func migrationFiles() ([]migration, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration file %q is not NNNN_name.sql", e.Name())
		}
		b, err := migrations.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(e.Name(), ".sql"), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// Ping measures one round trip, for /readyz and the latency metric.
func (db *DB) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	var one int
	err := db.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
	return time.Since(start), err
}
