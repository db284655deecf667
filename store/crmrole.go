package store

import (
	"context"
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
	return db.ensureLoginRole(ctx, role.login(), role.statements)
}

func (r CRMRole) login() loginRole {
	return loginRole{what: "crm role", user: r.User, password: r.Password, timeZone: r.TimeZone,
		statementTimeout: r.StatementTimeout, connectionLimit: r.ConnectionLimit}
}

func (r CRMRole) statements(dbName string) ([]biStmt, error) {
	stmts, err := r.login().settings(dbName)
	if err != nil {
		return nil, err
	}
	role, database := pq.QuoteIdentifier(r.User), pq.QuoteIdentifier(dbName)
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
