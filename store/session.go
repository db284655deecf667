package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// sessionLock serialises the logins of every ccd instance on the database
// while one trims the sessions to their bounds: two logins counting at once
// would both keep a session over the bound.
const sessionLock = 7233011 // arbitrary, constant: "ccd agent sessions"

// OpenAgentSession stores an agent's login session by the SHA-256 of its
// token (agent_session). In the same transaction it deletes the expired
// sessions and the oldest ones beyond perAgent for the agent and beyond
// total in all, so that the table stays bounded whoever logs in.
func (db *DB) OpenAgentSession(ctx context.Context, hash []byte, agent string, created, expires time.Time, perAgent, total int) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: open session: %w", err)
	}
	defer tx.Rollback()
	for _, step := range []struct {
		q    string
		args []any
	}{
		{`SELECT pg_advisory_xact_lock($1)`, []any{sessionLock}},
		{`DELETE FROM agent_session WHERE expires_at <= $1`, []any{created}},
		{`DELETE FROM agent_session WHERE token_hash IN (
			SELECT token_hash FROM agent_session WHERE agent = $1 ORDER BY created_at DESC OFFSET $2)`, []any{agent, max(perAgent-1, 0)}},
		{`DELETE FROM agent_session WHERE token_hash IN (
			SELECT token_hash FROM agent_session ORDER BY created_at DESC OFFSET $1)`, []any{max(total-1, 0)}},
		{`INSERT INTO agent_session (token_hash, agent, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			[]any{hash, agent, created, expires}},
	} {
		if _, err := tx.ExecContext(ctx, step.q, step.args...); err != nil {
			return fmt.Errorf("store: open session: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: open session: %w", err)
	}
	return nil
}

// AgentOfSession is the agent of the session whose token hashes to hash,
// when it is open at now.
func (db *DB) AgentOfSession(ctx context.Context, hash []byte, now time.Time) (string, bool, error) {
	var agent string
	err := db.QueryRowContext(ctx, `SELECT agent FROM agent_session WHERE token_hash = $1 AND expires_at > $2`, hash, now).Scan(&agent)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("store: session: %w", err)
	}
	return agent, true, nil
}

// RevokeAgentSessions ends every session of agent (a logout).
func (db *DB) RevokeAgentSessions(ctx context.Context, agent string) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM agent_session WHERE agent = $1`, agent); err != nil {
		return fmt.Errorf("store: revoke sessions: %w", err)
	}
	return nil
}
