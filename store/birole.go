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

	"github.com/lib/pq"
)

// EnsureBIRole creates or updates the read-only role BI tools log in with: it
// may read schema stat and run the functions of schema bi and the recording
// look-ups (migration 0003), and nothing else. Everything is (re)applied on
// every call, so a changed password or time zone takes effect at the next start
// and a privilege someone removed by hand comes back. timeZone, when neither
// empty nor "Local", becomes the role's session time zone so that thedate reads
// in the call center's zone; otherwise the server's default applies.
//
// The caller's role needs CREATEROLE (or to be a superuser) and must own the
// stat, bi and configuration schemas, as the role that ran the migrations does.
func (db *DB) EnsureBIRole(ctx context.Context, user, password, timeZone string) error {
	if user == "" {
		return errors.New("store: bi role: empty role name")
	}
	if password == "" {
		return errors.New("store: bi role: empty password")
	}
	secret, err := passwordSecret(password)
	if err != nil {
		return fmt.Errorf("store: bi role: %w", err)
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: bi role: %w", err)
	}
	defer tx.Rollback()
	// Two ccd processes starting together would both find the role missing and
	// one CREATE ROLE would fail; the lock makes the second see the first's role.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('ccd:bi role'))`); err != nil {
		return fmt.Errorf("store: bi role: %w", err)
	}
	var current, dbName string
	if err := tx.QueryRowContext(ctx, `SELECT current_user, current_database()`).Scan(&current, &dbName); err != nil {
		return fmt.Errorf("store: bi role: %w", err)
	}
	if user == current {
		// The ALTER ROLE below would strip ccd's own role of what it needs.
		return fmt.Errorf("store: bi role: %q is the role ccd connects as; name another role", user)
	}
	var super, repl, bypass bool
	err = tx.QueryRowContext(ctx, `SELECT rolsuper, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1`,
		user).Scan(&super, &repl, &bypass)
	r := pq.QuoteIdentifier(user)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `CREATE ROLE `+r+` NOSUPERUSER NOREPLICATION NOBYPASSRLS`); err != nil {
			return fmt.Errorf("store: bi role: create %s: %w", user, err)
		}
	case err != nil:
		return fmt.Errorf("store: bi role: %w", err)
	case super || repl || bypass:
		// Only a superuser may take these away, and demoting a role someone
		// else relies on is not ccd's call to make.
		return fmt.Errorf("store: bi role: role %q exists with SUPERUSER, REPLICATION or BYPASSRLS; name another role", user)
	}
	// ALTER ROLE takes no bind parameters: the password and the zone go in as
	// literals quoted by the server (format's %L), never spliced in here.
	type stmt struct {
		sql  string
		args []any // when set, sql is a format() call whose result is the statement
	}
	stmts := []stmt{
		{sql: `ALTER ROLE ` + r + ` LOGIN NOCREATEDB NOCREATEROLE NOINHERIT`},
		{sql: `format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)`, args: []any{user, secret}},
	}
	if timeZone != "" && timeZone != "Local" {
		stmts = append(stmts, stmt{sql: `format('ALTER ROLE %I SET timezone TO %L', $1::text, $2::text)`, args: []any{user, timeZone}})
	} else {
		stmts = append(stmts, stmt{sql: `ALTER ROLE ` + r + ` RESET timezone`})
	}
	for _, s := range []string{
		`GRANT CONNECT ON DATABASE ` + pq.QuoteIdentifier(dbName) + ` TO ` + r,
		`GRANT USAGE ON SCHEMA stat, bi, configuration TO ` + r,
		`GRANT SELECT ON ALL TABLES IN SCHEMA stat TO ` + r,
		`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA bi TO ` + r,
		`GRANT EXECUTE ON FUNCTION configuration.getcallrecordingfile(bigint) TO ` + r,
		`GRANT EXECUTE ON FUNCTION stat.getallrecordings(timestamptz, timestamptz, text) TO ` + r,
		// Tables and functions later migrations add are readable at once, not
		// only after the next start (default privileges of ccd's own objects).
		`ALTER DEFAULT PRIVILEGES IN SCHEMA stat GRANT SELECT ON TABLES TO ` + r,
		`ALTER DEFAULT PRIVILEGES IN SCHEMA bi GRANT EXECUTE ON FUNCTIONS TO ` + r,
		`REVOKE CREATE ON SCHEMA public FROM ` + r,
	} {
		stmts = append(stmts, stmt{sql: s})
	}
	for _, s := range stmts {
		q := s.sql
		if s.args != nil {
			if err := tx.QueryRowContext(ctx, `SELECT `+q, s.args...).Scan(&q); err != nil {
				return fmt.Errorf("store: bi role: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: bi role %s: %w", user, err)
		}
	}
	// Revoking from the role does not take away what PUBLIC has: before
	// PostgreSQL 15 PUBLIC may create in schema public. Say so rather than
	// hand BI tools a role that can write.
	var canCreate bool
	if err := tx.QueryRowContext(ctx, `SELECT has_schema_privilege($1, 'public', 'CREATE')`, user).Scan(&canCreate); err != nil {
		return fmt.Errorf("store: bi role: %w", err)
	}
	if canCreate {
		return fmt.Errorf("store: bi role: %q could create tables in schema public because PUBLIC may; "+
			"run REVOKE CREATE ON SCHEMA public FROM PUBLIC as the schema's owner", user)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: bi role: %w", err)
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
