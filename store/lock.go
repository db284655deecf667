package store

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// ACDLockID is the advisory lock the running ACD holds: one ccd at a time
// drives the queues on a database, the others wait as standbys.
const ACDLockID = 7233012 // arbitrary, constant: "ccd ACD"

// SessionLock is a session-level advisory lock held on a connection of its
// own: PostgreSQL releases it when that connection ends, so a ccd that dies
// or loses its database frees it for another.
type SessionLock struct {
	conn *sqlx.Conn
	id   int64
	pid  int // the server process of conn
}

// TryLock takes the advisory lock id without waiting: ok is false when
// another session holds it.
func (db *DB) TryLock(ctx context.Context, id int64) (lock *SessionLock, ok bool, err error) {
	conn, err := db.Connx(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("store: lock %d: %w", id, err)
	}
	var pid int
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1), pg_backend_pid()`, id).Scan(&ok, &pid); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("store: lock %d: %w", id, err)
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	return &SessionLock{conn: conn, id: id, pid: pid}, true, nil
}

// advisoryLockMatch selects, in pg_locks, the advisory lock of a bigint key
// ($1) in this database (each database has its own keys; pg_locks shows the
// whole cluster): PostgreSQL shows the key's high and low halves as classid
// and objid.
const advisoryLockMatch = `locktype = 'advisory' AND granted
	AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
	AND classid = ($1::bigint >> 32)::oid AND objid = ($1::bigint & 4294967295)::oid AND objsubid = 1`

// HeldElsewhere reports whether a session other than the lock's own holds
// its key: after the lock's connection broke, the server may still hold the
// lock for it until it notices, which is not another holder.
func (db *DB) HeldElsewhere(ctx context.Context, l *SessionLock) (bool, error) {
	var other bool
	err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE `+advisoryLockMatch+` AND pid <> $2)`,
		l.id, l.pid).Scan(&other)
	if err != nil {
		return false, fmt.Errorf("store: lock %d: %w", l.id, err)
	}
	return other, nil
}

// Held checks, on the lock's connection, that the lock is still held: an
// error says the connection is gone (and the lock with it) or that the lock
// cannot be confirmed.
func (l *SessionLock) Held(ctx context.Context) error {
	var held bool
	err := l.conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE `+advisoryLockMatch+`
		AND pid = pg_backend_pid())`, l.id).Scan(&held)
	switch {
	case err != nil:
		return fmt.Errorf("store: lock %d: %w", l.id, err)
	case !held:
		return fmt.Errorf("store: lock %d is no longer held", l.id)
	}
	return nil
}

// Release gives the lock up and returns its connection to the pool; a
// connection that cannot say so is closed, which releases it too.
func (l *SessionLock) Release(ctx context.Context) {
	if _, err := l.conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, l.id); err != nil {
		// ErrBadConn makes the pool drop the connection instead of keeping
		// it, and the lock with it.
		_ = l.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	l.conn.Close()
}
