package store

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ccdhq/ccd/stats"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// BIRole describes the read-only role BI tools log in with.
type BIRole struct {
	User, Password string
	// TimeZone, when neither empty nor "Local", becomes the role's session time
	// zone so that thedate reads in the call center's zone; otherwise the
	// server's default applies.
	TimeZone string
	// StatementTimeout is the role's default statement_timeout (at least 1ms).
	StatementTimeout time.Duration
	// ConnectionLimit bounds the role's concurrent sessions (at least 1).
	ConnectionLimit int
}

// biTables are the stat tables meant for BI: the quarter-hour tables, the
// calls, and the names and queue membership the bi functions read (they are
// SECURITY INVOKER). Anything else in schema stat (tables later migrations
// add for ccd's own bookkeeping) stays closed until it is listed here, and
// ccd's tables in public (the event log, the consumers' positions) are closed.
func biTables() []string {
	names := []string{"stat.callsstat", "stat.code", "stat.queueagent"}
	for _, t := range stats.Tables {
		names = append(names, "stat."+t.Name)
	}
	return names
}

// EnsureBIRole creates or updates the read-only role BI tools log in with: it
// may read the stat tables meant for BI (biTables), run the functions of schema
// bi and the recording look-ups (migration 0003), and nothing else. Everything
// is (re)applied on every call, so a changed password, time zone or limit takes
// effect at the next start, and a privilege someone removed by hand comes back.
//
// Limits and what PostgreSQL 15 lets the role undo itself:
//   - it owns nothing and has no write privilege anywhere, not even temporary
//     tables (TEMPORARY is revoked from PUBLIC on ccd's database), so nothing
//     it does in a session can write;
//   - CONNECTION LIMIT needs CREATEROLE to change: the role cannot raise it;
//   - default_transaction_read_only and statement_timeout are session defaults:
//     any role may SET them in its own session, and PostgreSQL lets a role
//     ALTER ROLE itself (its password and its defaults) once its session is no
//     longer read-only. That first needs an explicit SET, and whatever it
//     changed is reset here at the next start (RESET ALL, in every scope).
//
// The caller's role needs CREATEROLE (or to be a superuser) and must own the
// database and the stat, bi and configuration schemas, as the role that ran the
// migrations does.
func (db *DB) EnsureBIRole(ctx context.Context, role BIRole) error {
	return db.ensureLoginRole(ctx, role.login(), role.statements)
}

func (r BIRole) login() loginRole {
	return loginRole{what: "bi role", user: r.User, password: r.Password, timeZone: r.TimeZone,
		statementTimeout: r.StatementTimeout, connectionLimit: r.ConnectionLimit}
}

// createRole creates the role when it is missing, and refuses a role that
// exists with powers only a superuser could take away. what names the role's
// purpose in errors.
func createRole(ctx context.Context, tx *sqlx.Tx, what, user string) error {
	var super, repl, bypass bool
	err := tx.QueryRowContext(ctx, `SELECT rolsuper, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1`,
		user).Scan(&super, &repl, &bypass)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `CREATE ROLE `+pq.QuoteIdentifier(user)+` NOSUPERUSER NOREPLICATION NOBYPASSRLS`); err != nil {
			return fmt.Errorf("store: %s: create %s: %w", what, user, err)
		}
	case err != nil:
		return fmt.Errorf("store: %s: %w", what, err)
	case super || repl || bypass:
		// Only a superuser may take these away, and demoting a role someone
		// else relies on is not ccd's call to make.
		return fmt.Errorf("store: %s: role %q exists with SUPERUSER, REPLICATION or BYPASSRLS; name another role", what, user)
	}
	return nil
}

// biStmt is one statement of the role's set-up. When args is set, sql is a
// format() call whose result is the statement: ALTER ROLE takes no bind
// parameters, so the password and the settings go in as literals quoted by the
// server (format's %L), never spliced in here.
type biStmt struct {
	sql  string
	args []any
}

func (r BIRole) statements(dbName string) ([]biStmt, error) {
	stmts, err := r.login().settings(dbName,
		biStmt{sql: `ALTER ROLE ` + pq.QuoteIdentifier(r.User) + ` SET default_transaction_read_only TO on`})
	if err != nil {
		return nil, err
	}
	role, database := pq.QuoteIdentifier(r.User), pq.QuoteIdentifier(dbName)
	for _, s := range []string{
		`GRANT CONNECT ON DATABASE ` + database + ` TO ` + role,
		// TEMPORARY is PUBLIC's by default; only the database's owner can take
		// it from PUBLIC, and checkRoleCannotCreate says when that failed.
		`REVOKE TEMPORARY ON DATABASE ` + database + ` FROM PUBLIC, ` + role,
		`GRANT USAGE ON SCHEMA stat, bi, configuration TO ` + role,
		// Earlier versions granted every table of stat and future ones too.
		`REVOKE ALL ON ALL TABLES IN SCHEMA stat FROM ` + role,
		`ALTER DEFAULT PRIVILEGES IN SCHEMA stat REVOKE SELECT ON TABLES FROM ` + role,
		`GRANT SELECT ON ` + strings.Join(biTables(), ", ") + ` TO ` + role,
		`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA bi TO ` + role,
		`GRANT EXECUTE ON FUNCTION configuration.getcallrecordingfile(bigint) TO ` + role,
		`GRANT EXECUTE ON FUNCTION stat.getallrecordings(timestamptz, timestamptz, text) TO ` + role,
		// Functions later migrations add to bi are runnable at once, not only
		// after the next start (default privileges of ccd's own objects).
		`ALTER DEFAULT PRIVILEGES IN SCHEMA bi GRANT EXECUTE ON FUNCTIONS TO ` + role,
		`REVOKE CREATE ON SCHEMA public FROM ` + role,
	} {
		stmts = append(stmts, biStmt{sql: s})
	}
	return stmts, nil
}

// checkRoleCannotCreate refuses to hand BI tools or a CRM a role that could
// still create something because PUBLIC may: revoking from the role does not
// take away what PUBLIC has, and only the owner can revoke from PUBLIC.
func checkRoleCannotCreate(ctx context.Context, tx *sqlx.Tx, what, user, dbName string) error {
	var inPublic, temp bool
	if err := tx.QueryRowContext(ctx, `SELECT has_schema_privilege($1, 'public', 'CREATE'),
		has_database_privilege($1, $2, 'TEMPORARY')`, user, dbName).Scan(&inPublic, &temp); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if inPublic {
		return fmt.Errorf("store: %s: %q could create tables in schema public because PUBLIC may; "+
			"run REVOKE CREATE ON SCHEMA public FROM PUBLIC as the schema's owner", what, user)
	}
	if temp {
		return fmt.Errorf("store: %s: %q could create temporary tables because PUBLIC may; "+
			"run REVOKE TEMPORARY ON DATABASE %s FROM PUBLIC as the database's owner", what, user, pq.QuoteIdentifier(dbName))
	}
	return nil
}

// passwordSecret is what ALTER ROLE ... PASSWORD receives: a SCRAM-SHA-256
// verifier computed here, as psql's \password does, so the password itself
// never reaches the server, its statement log or pg_stat_activity. A password
// outside printable ASCII is sent as is: the server normalises those with
// SASLprep before hashing, which this does not reimplement.
func passwordSecret(password string) (string, error) {
	for i := 0; i < len(password); i++ {
		if c := password[i]; c < 0x20 || c > 0x7e {
			return password, nil
		}
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return scramVerifier(password, salt, 4096)
}

// scramVerifier is PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC
// 5802, RFC 7677): SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
func scramVerifier(password string, salt []byte, iterations int) (string, error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	stored := sha256.Sum256(mac(salted, "Client Key"))
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt),
		b64(stored[:]), b64(mac(salted, "Server Key"))), nil
}
