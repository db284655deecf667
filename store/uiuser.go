package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// UIUser is a supervisor or administrator of the web interface (ui_user).
type UIUser struct {
	Username     string    `db:"username"`
	Role         string    `db:"role"`
	PasswordHash string    `db:"password_hash"`
	Endpoint     string    `db:"endpoint"` // the supervisor's phone; "" = none configured
	CreatedAt    time.Time `db:"created_at"`
}

// PutUIUser creates a user or replaces its role, password hash and
// endpoint.
func (db *DB) PutUIUser(ctx context.Context, u UIUser) error {
	_, err := db.ExecContext(ctx, `INSERT INTO ui_user (username, role, password_hash, endpoint) VALUES ($1, $2, $3, $4)
		ON CONFLICT (username) DO UPDATE SET role = EXCLUDED.role, password_hash = EXCLUDED.password_hash, endpoint = EXCLUDED.endpoint`,
		u.Username, u.Role, u.PasswordHash, u.Endpoint)
	if err != nil {
		return fmt.Errorf("store: put user: %w", err)
	}
	return nil
}

// UIUserByName is the user called username; ok is false when there is none.
func (db *DB) UIUserByName(ctx context.Context, username string) (UIUser, bool, error) {
	var u UIUser
	err := db.GetContext(ctx, &u, `SELECT username, role, password_hash, endpoint, created_at FROM ui_user WHERE username = $1`, username)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return UIUser{}, false, nil
	case err != nil:
		return UIUser{}, false, fmt.Errorf("store: user: %w", err)
	}
	return u, true, nil
}

// UISession is a web interface session: who it is (kind and name) and
// until when.
type UISession struct {
	Kind    string `db:"kind"`
	Name    string `db:"name"`
	Expires time.Time
}

// OpenUISession stores a session by the SHA-256 of its token, deleting the
// expired ones and the oldest beyond total in the same transaction, so the
// table stays bounded whoever logs in.
func (db *DB) OpenUISession(ctx context.Context, hash []byte, kind, name string, created, expires time.Time, total int) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: open ui session: %w", err)
	}
	defer tx.Rollback()
	for _, step := range []struct {
		q    string
		args []any
	}{
		{`SELECT pg_advisory_xact_lock($1)`, []any{uiSessionLock}},
		{`DELETE FROM ui_session WHERE expires_at <= $1`, []any{created}},
		{`DELETE FROM ui_session WHERE token_hash IN (
			SELECT token_hash FROM ui_session ORDER BY created_at DESC OFFSET $1)`, []any{max(total-1, 0)}},
		{`INSERT INTO ui_session (token_hash, kind, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			[]any{hash, kind, name, created, expires}},
	} {
		if _, err := tx.ExecContext(ctx, step.q, step.args...); err != nil {
			return fmt.Errorf("store: open ui session: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: open ui session: %w", err)
	}
	return nil
}

// uiSessionLock serialises the trimming of ui_session between logins.
const uiSessionLock = 7233017 // arbitrary, constant: "ccd ui sessions"

// UISessionOf is the session whose token hashes to hash, when it is open at
// now.
func (db *DB) UISessionOf(ctx context.Context, hash []byte, now time.Time) (UISession, bool, error) {
	var s UISession
	err := db.QueryRowContext(ctx, `SELECT kind, name, expires_at FROM ui_session WHERE token_hash = $1 AND expires_at > $2`,
		hash, now).Scan(&s.Kind, &s.Name, &s.Expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return UISession{}, false, nil
	case err != nil:
		return UISession{}, false, fmt.Errorf("store: ui session: %w", err)
	}
	return s, true, nil
}

// CloseUISession ends one session (a logout).
func (db *DB) CloseUISession(ctx context.Context, hash []byte) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM ui_session WHERE token_hash = $1`, hash); err != nil {
		return fmt.Errorf("store: close ui session: %w", err)
	}
	return nil
}
