package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// CRMRole describes the database role a CRM logs in with to use the Optimus
// dialer's SQL interface (seed 000 §6.2).
type CRMRole struct {
	User, Password string
	// TimeZone, when neither empty nor "Local", is the role's session time
	// zone, so that the timestamps it reads are the call center's times.
	TimeZone string
	// StatementTimeout is the role's default statement_timeout (at least 1ms).
	StatementTimeout time.Duration
	// ConnectionLimit bounds the role's concurrent sessions (at least 1).
	ConnectionLimit int
}

// CRMFunctions are the functions the CRM role may run, and all it may do:
// it has no privilege on any table, the functions that read or write the
// dialer's tables run as their owner (migration 0023).
var CRMFunctions = []string{
	"dialer.inserttargettocampaign(int, text, text, text, text, text, text, text, text, int, int, int)",
	"dialer.deletetarget(bigint)",
	"dialer.gettargetslaststatus(int, text)",
	"dialer.getcallstatusdescription(int, int)",
	"bi.getdialertargetsbystatus(int, timestamptz, timestamptz, int)",
	"bi.dialertargetsdata(text)",
}

// EnsureCRMRole creates or updates the CRM's role: it may log in and run
// CRMFunctions, nothing else (no table, no temporary table, nothing in
// public). Everything is (re)applied on every call, like EnsureBIRole: a
// changed password or limit takes effect at the next start, a privilege
// removed by hand comes back, settings the role gave itself go. Unlike the BI
// role its sessions are not read-only: dialer.inserttargettocampaign writes,
// as the function's owner. The caller's role needs CREATEROLE and must own
// the database and the dialer and bi schemas.
func (db *DB) EnsureCRMRole(ctx context.Context, role CRMRole) error {
	if err := role.check(); err != nil {
		return err
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: crm role: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('ccd:crm role'))`); err != nil {
		return fmt.Errorf("store: crm role: %w", err)
	}
	var current, dbName string
	if err := tx.QueryRowContext(ctx, `SELECT current_user, current_database()`).Scan(&current, &dbName); err != nil {
		return fmt.Errorf("store: crm role: %w", err)
	}
	if role.User == current {
		return fmt.Errorf("store: crm role: %q is the role ccd connects as; name another role", role.User)
	}
	if err := createRole(ctx, tx, "crm role", role.User); err != nil {
		return err
	}
	stmts, err := role.statements(dbName)
	if err != nil {
		return err
	}
	for _, s := range stmts {
		q := s.sql
		if s.args != nil {
			if err := tx.QueryRowContext(ctx, `SELECT `+q, s.args...).Scan(&q); err != nil {
				return fmt.Errorf("store: crm role: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: crm role %s: %w", role.User, err)
		}
	}
	if err := checkRoleCannotCreate(ctx, tx, "crm role", role.User, dbName); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: crm role: %w", err)
	}
	return nil
}

func (r CRMRole) check() error {
	switch {
	case r.User == "":
		return errors.New("store: crm role: empty role name")
	case r.Password == "":
		return errors.New("store: crm role: empty password")
	case r.StatementTimeout < time.Millisecond:
		return fmt.Errorf("store: crm role: statement timeout %s is below 1ms", r.StatementTimeout)
	case r.ConnectionLimit < 1:
		return fmt.Errorf("store: crm role: connection limit %d is below 1", r.ConnectionLimit)
	}
	return nil
}

func (r CRMRole) statements(dbName string) ([]biStmt, error) {
	secret, err := passwordSecret(r.Password)
	if err != nil {
		return nil, fmt.Errorf("store: crm role: %w", err)
	}
	role, database := pq.QuoteIdentifier(r.User), pq.QuoteIdentifier(dbName)
	stmts := []biStmt{
		{sql: fmt.Sprintf(`ALTER ROLE %s LOGIN NOCREATEDB NOCREATEROLE NOINHERIT CONNECTION LIMIT %d`, role, r.ConnectionLimit)},
		{sql: `format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)`, args: []any{r.User, secret}},
		{sql: `ALTER ROLE ` + role + ` RESET ALL`},
		{sql: `ALTER ROLE ` + role + ` IN DATABASE ` + database + ` RESET ALL`},
		{sql: `format('ALTER ROLE %I SET statement_timeout TO %L', $1::text, $2::text)`,
			args: []any{r.User, fmt.Sprintf("%dms", r.StatementTimeout.Milliseconds())}},
	}
	if r.TimeZone != "" && r.TimeZone != "Local" {
		stmts = append(stmts, biStmt{sql: `format('ALTER ROLE %I SET timezone TO %L', $1::text, $2::text)`, args: []any{r.User, r.TimeZone}})
	}
	for _, s := range []string{
		`GRANT CONNECT ON DATABASE ` + database + ` TO ` + role,
		`REVOKE TEMPORARY ON DATABASE ` + database + ` FROM PUBLIC, ` + role,
		`GRANT USAGE ON SCHEMA dialer, bi TO ` + role,
		// Nothing but the functions: a grant given by hand goes.
		`REVOKE ALL ON ALL TABLES IN SCHEMA dialer, bi, stat, public FROM ` + role,
		`REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dialer, bi FROM ` + role,
		`REVOKE CREATE ON SCHEMA public FROM ` + role,
	} {
		stmts = append(stmts, biStmt{sql: s})
	}
	for _, f := range CRMFunctions {
		stmts = append(stmts, biStmt{sql: `GRANT EXECUTE ON FUNCTION ` + f + ` TO ` + role})
	}
	return stmts, nil
}
