package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// loginRole is what the BI and the CRM roles have in common: a role others
// log in with, whose password, limits and session defaults ccd (re)applies
// on every start.
type loginRole struct {
	what                     string // the role's purpose in errors and its lock: "bi role"
	user, password, timeZone string
	statementTimeout         time.Duration
	connectionLimit          int
}

func (r loginRole) check() error {
	switch {
	case r.user == "":
		return fmt.Errorf("store: %s: empty role name", r.what)
	case r.password == "":
		return fmt.Errorf("store: %s: empty password", r.what)
	case r.statementTimeout < time.Millisecond:
		return fmt.Errorf("store: %s: statement timeout %s is below 1ms", r.what, r.statementTimeout)
	case r.connectionLimit < 1:
		return fmt.Errorf("store: %s: connection limit %d is below 1", r.what, r.connectionLimit)
	}
	return nil
}

// ensureLoginRole creates the role when missing and runs the statements grants
// returns for the database, all in one transaction; then refuses a role
// that could still create something.
func (db *DB) ensureLoginRole(ctx context.Context, r loginRole, grants func(dbName string) ([]biStmt, error)) error {
	if err := r.check(); err != nil {
		return err
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: %w", r.what, err)
	}
	defer tx.Rollback()
	// Two ccd processes starting together would both find the role missing and
	// one CREATE ROLE would fail; the lock makes the second see the first's role.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "ccd:"+r.what); err != nil {
		return fmt.Errorf("store: %s: %w", r.what, err)
	}
	var current, dbName string
	if err := tx.QueryRowContext(ctx, `SELECT current_user, current_database()`).Scan(&current, &dbName); err != nil {
		return fmt.Errorf("store: %s: %w", r.what, err)
	}
	if r.user == current {
		// The ALTER ROLE below would strip ccd's own role of what it needs.
		return fmt.Errorf("store: %s: %q is the role ccd connects as; name another role", r.what, r.user)
	}
	if err := createRole(ctx, tx, r.what, r.user); err != nil {
		return err
	}
	stmts, err := grants(dbName)
	if err != nil {
		return err
	}
	for _, s := range stmts {
		q := s.sql
		if s.args != nil {
			if err := tx.QueryRowContext(ctx, `SELECT `+q, s.args...).Scan(&q); err != nil {
				return fmt.Errorf("store: %s: %w", r.what, err)
			}
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: %s %s: %w", r.what, r.user, err)
		}
	}
	if err := checkRoleCannotCreate(ctx, tx, r.what, r.user, dbName); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: %w", r.what, err)
	}
	return nil
}

// settings are the statements that make the role a login with ccd's
// password, limits and session defaults, and nothing it set itself; extra
// session defaults go before the time zone.
func (r loginRole) settings(dbName string, extra ...biStmt) ([]biStmt, error) {
	secret, err := passwordSecret(r.password)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", r.what, err)
	}
	role, database := pq.QuoteIdentifier(r.user), pq.QuoteIdentifier(dbName)
	stmts := []biStmt{
		{sql: fmt.Sprintf(`ALTER ROLE %s LOGIN NOCREATEDB NOCREATEROLE NOINHERIT CONNECTION LIMIT %d`, role, r.connectionLimit)},
		{sql: `format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)`, args: []any{r.user, secret}},
		// Settings the role gave itself (ALTER ROLE ... SET, in any scope) go;
		// only ccd's remain.
		{sql: `ALTER ROLE ` + role + ` RESET ALL`},
		{sql: `ALTER ROLE ` + role + ` IN DATABASE ` + database + ` RESET ALL`},
		{sql: `format('ALTER ROLE %I SET statement_timeout TO %L', $1::text, $2::text)`,
			args: []any{r.user, fmt.Sprintf("%dms", r.statementTimeout.Milliseconds())}},
	}
	stmts = append(stmts, extra...)
	if r.timeZone != "" && r.timeZone != "Local" {
		stmts = append(stmts, biStmt{sql: `format('ALTER ROLE %I SET timezone TO %L', $1::text, $2::text)`, args: []any{r.user, r.timeZone}})
	}
	return stmts, nil
}
