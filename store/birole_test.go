package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/store"
	"github.com/lib/pq"
)

// withUser returns dsn logging in as user with password, in either DSN form.
func withUser(dsn, user, password string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			u.User = url.UserPassword(user, password)
			return u.String()
		}
	}
	q := func(s string) string { return `'` + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + `'` }
	return dsn + " user=" + q(user) + " password=" + q(password) // later keys win
}

// withParam returns dsn with one more run-time parameter, sent at connection
// start (lib/pq passes keys it does not know to the server).
func withParam(dsn, key, value string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set(key, value)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " " + key + "=" + value
}

// dropRoleAtEnd removes a test role: roles belong to the cluster, not to the
// throwaway database. DROP OWNED (which takes the role's privileges away so that
// it can go) needs the privileges of the role, hence the GRANT.
func dropRoleAtEnd(t *testing.T, db *store.DB, role string) {
	t.Cleanup(func() {
		r := pq.QuoteIdentifier(role)
		for _, q := range []string{`GRANT ` + r + ` TO CURRENT_USER`, `DROP OWNED BY ` + r, `DROP ROLE ` + r} {
			if _, err := db.Exec(q); err != nil {
				t.Errorf("cleanup: %s: %v", q, err)
				return
			}
		}
	})
}

// roleSettings are the role's ALTER ROLE ... SET values, comma-separated.
func roleSettings(t *testing.T, db *store.DB, role string) string {
	t.Helper()
	var settings sql.NullString
	err := db.QueryRow(`SELECT array_to_string(s.setconfig, ',') FROM pg_db_role_setting s
		JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = $1 AND s.setdatabase = 0`, role).Scan(&settings)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	return settings.String
}

// biRole is the role EnsureBIRole gets in these tests, with config's defaults.
func biRole(user, password, timeZone string) store.BIRole {
	return store.BIRole{User: user, Password: password, TimeZone: timeZone, StatementTimeout: time.Minute, ConnectionLimit: 5}
}

func randomRole(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func TestBIRolePrivileges(t *testing.T) {
	dsn := pgtest.NewEmptyDB(t)
	db := pgtest.OpenMigrated(t, dsn)
	ctx := ctxT(t)
	role := randomRole("ccd_bi_")
	dropRoleAtEnd(t, db, role)
	// Twice, and with a password that needs quoting: idempotent, and a new
	// password replaces the old.
	if err := db.EnsureBIRole(ctx, biRole(role, "first-password-1234", "Europe/Paris")); err != nil {
		t.Fatal(err)
	}
	const pw = `sec'ret\"; DROP ROLE x; --`
	if err := db.EnsureBIRole(ctx, biRole(role, pw, "America/Argentina/Buenos_Aires")); err != nil {
		t.Fatal(err)
	}
	var login, super, inherit, createdb, createrole bool
	if err := db.QueryRow(`SELECT rolcanlogin, rolsuper, rolinherit, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = $1`,
		role).Scan(&login, &super, &inherit, &createdb, &createrole); err != nil {
		t.Fatal(err)
	}
	if !login || super || inherit || createdb || createrole {
		t.Fatalf("role attributes login=%v super=%v inherit=%v createdb=%v createrole=%v", login, super, inherit, createdb, createrole)
	}
	// A table a later migration adds to stat for ccd's own bookkeeping is not
	// readable: only the tables meant for BI are.
	if _, err := db.Exec(`CREATE TABLE stat.later (x int); INSERT INTO stat.later VALUES (1)`); err != nil {
		t.Fatal(err)
	}

	// asRole runs one statement as the BI role. The throwaway cluster trusts
	// local connections (internal/localpg initdb -A trust), so logging in as the
	// role works whatever the password; the password itself is checked by
	// TestBIRolePasswordLogin. Against a server that does check it and refuses,
	// the fallback is SET ROLE in a transaction that is rolled back. The login
	// switches default_transaction_read_only off, as any client may: what is
	// refused below is refused by privileges, not by the read-only default
	// (TestBIRoleLimits covers that one).
	var asRole func(query string, args ...any) (string, error)
	loggedIn := false
	roleDB, err := sql.Open("postgres", withParam(withUser(dsn, role, pw), "default_transaction_read_only", "off"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { roleDB.Close() })
	if err := roleDB.PingContext(ctx); err == nil {
		t.Log("checking privileges over a login as the BI role")
		loggedIn = true
		asRole = func(query string, args ...any) (string, error) {
			var out sql.NullString
			err := roleDB.QueryRowContext(ctx, query, args...).Scan(&out)
			return out.String, err
		}
	} else {
		t.Logf("cannot log in as the BI role (%v); checking privileges with SET ROLE", err)
		if _, err := db.Exec(`GRANT ` + pq.QuoteIdentifier(role) + ` TO CURRENT_USER`); err != nil {
			t.Fatal(err)
		}
		asRole = func(query string, args ...any) (string, error) {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return "", err
			}
			defer tx.Rollback()
			if _, err := tx.Exec(`SET LOCAL ROLE ` + pq.QuoteIdentifier(role)); err != nil {
				return "", err
			}
			var out sql.NullString
			err = tx.QueryRowContext(ctx, query, args...).Scan(&out)
			return out.String, err
		}
	}

	now := time.Now()
	for _, c := range []struct {
		query string
		args  []any
		want  string
	}{
		{`SELECT current_user`, nil, role},
		{`SELECT count(*)::text FROM stat.agentstat`, nil, "0"},
		{`SELECT count(*)::text FROM stat.callsstat`, nil, "0"},
		{`SELECT count(*)::text FROM stat.devicestat`, nil, "0"},
		{`SELECT count(*)::text FROM bi.queuedata($1, $2)`, []any{now.Add(-time.Hour), now}, "0"},
		{`SELECT count(*)::text FROM bi.agentdata($1, $2)`, []any{now.Add(-time.Hour), now}, "0"},
		{`SELECT count(*)::text FROM bi.getallqueues()`, nil, "0"},
		{`SELECT count(*)::text FROM bi.getallqueuesagents()`, nil, "0"},
		{`SELECT configuration.getcallrecordingfile(1)`, nil, ""},
		{`SELECT count(*)::text FROM stat.getallrecordings($1, $2, '1')`, []any{now.Add(-time.Hour), now}, "0"},
	} {
		got, err := asRole(c.query, c.args...)
		if err != nil || got != c.want {
			t.Errorf("as the BI role, %s: %q, %v; want %q", c.query, got, err, c.want)
		}
	}
	// The role's session time zone: a login gets it; SET ROLE does not.
	if loggedIn {
		if tz, err := asRole(`SELECT current_setting('TimeZone')`); err != nil || tz != "America/Argentina/Buenos_Aires" {
			t.Errorf("BI role's time zone %q, %v", tz, err)
		}
	}
	if got := roleSettings(t, db, role); got != "statement_timeout=60000ms,default_transaction_read_only=on,TimeZone=America/Argentina/Buenos_Aires" {
		t.Errorf("BI role's settings %q", got)
	}
	for _, q := range []string{
		`SELECT count(*)::text FROM call_event`,
		`SELECT count(*)::text FROM schema_migration`,
		`SELECT count(*)::text FROM event_consumer`,
		`SELECT count(*)::text FROM stat.later`,
		`INSERT INTO stat.agentstat (calcts, thedate, themonth, theweek, theday, thehour, usercode)
			VALUES (now(), now(), '', '', '', '', 1) RETURNING 'inserted'`,
		`DELETE FROM stat.code RETURNING 'deleted'`,
		`SELECT stat.code_of('queue', 'x')::text`,
		`CREATE TABLE public.bi_was_here (x int); SELECT 'created'`,
		`CREATE TABLE stat.bi_was_here (x int); SELECT 'created'`,
	} {
		_, err := asRole(q)
		var pe *pq.Error
		if !errors.As(err, &pe) || pe.Code != "42501" { // insufficient_privilege
			t.Errorf("as the BI role, %s: %v; want permission denied", q, err)
		}
	}

	if err := db.EnsureBIRole(ctx, biRole(role, pw, "")); err != nil {
		t.Fatal(err)
	}
	if got := roleSettings(t, db, role); got != "statement_timeout=60000ms,default_transaction_read_only=on" {
		t.Fatalf("time zone kept after an empty one: %q", got)
	}

	var me string
	if err := db.QueryRow(`SELECT current_user`).Scan(&me); err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureBIRole(ctx, biRole(me, pw, "")); err == nil {
		t.Fatal("EnsureBIRole accepted ccd's own role")
	}
}

// The password really is the role's: against a private cluster whose pg_hba
// asks the BI role for it (SCRAM), the right one logs in and a wrong or an old
// one does not.
func TestBIRolePasswordLogin(t *testing.T) {
	c, dsn := pgtest.NewCluster(t)
	db := pgtest.OpenMigrated(t, dsn)
	ctx := ctxT(t)
	const role = "ccd_bi"
	first, second, unicode := `first'pass\word 1234`, "second-password-5678", "contraseña-ñandú-2026"
	if err := db.EnsureBIRole(ctx, biRole(role, first, "UTC")); err != nil {
		t.Fatal(err)
	}
	hba := filepath.Join(c.Dir, "data", "pg_hba.conf")
	if err := os.WriteFile(hba, []byte("local all "+role+" scram-sha-256\nlocal all all trust\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	super, err := sql.Open("postgres", c.ConnString("postgres", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close()
	if _, err := super.Exec(`SELECT pg_reload_conf()`); err != nil {
		t.Fatal(err)
	}
	tryLogin := func(pw string) error {
		d, err := sql.Open("postgres", withUser(dsn, role, pw))
		if err != nil {
			return err
		}
		defer d.Close()
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return d.PingContext(pctx)
	}
	// The reload is asynchronous: wait until a wrong password is refused.
	deadline := time.Now().Add(10 * time.Second)
	for tryLogin("wrong-password") == nil {
		if time.Now().After(deadline) {
			t.Fatal("pg_hba.conf reload did not take effect")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := tryLogin(first); err != nil {
		t.Fatalf("login with the password: %v", err)
	}
	if err := db.EnsureBIRole(ctx, biRole(role, second, "UTC")); err != nil {
		t.Fatal(err)
	}
	if err := tryLogin(first); err == nil {
		t.Fatal("the old password still logs in")
	}
	if err := tryLogin(second); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	// Outside ASCII the server hashes the password itself.
	if err := db.EnsureBIRole(ctx, biRole(role, unicode, "UTC")); err != nil {
		t.Fatal(err)
	}
	if err := tryLogin(unicode); err != nil {
		t.Fatalf("login with a non-ASCII password: %v", err)
	}
}

// The limits of the BI role, as far as PostgreSQL 15 lets them hold against the
// role itself: see EnsureBIRole.
func TestBIRoleLimits(t *testing.T) {
	dsn := pgtest.NewEmptyDB(t)
	db := pgtest.OpenMigrated(t, dsn)
	ctx := ctxT(t)
	role := randomRole("ccd_bi_")
	dropRoleAtEnd(t, db, role)
	const pw = "limits-password-5678"
	limits := biRole(role, pw, "UTC")
	limits.StatementTimeout, limits.ConnectionLimit = 45*time.Second, 2
	if err := db.EnsureBIRole(ctx, limits); err != nil {
		t.Fatal(err)
	}
	var connLimit int
	if err := db.QueryRow(`SELECT rolconnlimit FROM pg_roles WHERE rolname = $1`, role).Scan(&connLimit); err != nil || connLimit != 2 {
		t.Fatalf("connection limit %d, %v", connLimit, err)
	}

	// session is one connection as the BI role, with what its client asks for
	// at connection start.
	session := func(params ...string) *sql.Conn {
		t.Helper()
		d := withUser(dsn, role, pw)
		for i := 0; i+1 < len(params); i += 2 {
			d = withParam(d, params[i], params[i+1])
		}
		pool, err := sql.Open("postgres", d)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pool.Close() })
		c, err := pool.Conn(ctx)
		if err != nil {
			t.Fatalf("login as the BI role: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	wantCode := func(c *sql.Conn, code string, query string) {
		t.Helper()
		_, err := c.ExecContext(ctx, query)
		var pe *pq.Error
		if !errors.As(err, &pe) || string(pe.Code) != code {
			t.Errorf("as the BI role, %s: %v; want SQLSTATE %s", query, err, code)
		}
	}

	plain := session()
	for setting, want := range map[string]string{"statement_timeout": "45s", "default_transaction_read_only": "on", "TimeZone": "UTC"} {
		var got string
		if err := plain.QueryRowContext(ctx, `SELECT current_setting($1)`, setting).Scan(&got); err != nil || got != want {
			t.Errorf("BI session's %s = %q, %v; want %q", setting, got, err, want)
		}
	}
	// What BI tools run works in the read-only session they get: every stat
	// table meant for them, every BI function and the recording look-ups.
	now := time.Now()
	reads := []string{`SELECT count(*) FROM stat.callsstat`, `SELECT count(*) FROM stat.code`, `SELECT count(*) FROM stat.queueagent`,
		`SELECT count(*) FROM bi.agentdata($1, $2)`, `SELECT count(*) FROM bi.queuedata($1, $2)`,
		`SELECT count(*) FROM bi.getallqueues()`, `SELECT count(*) FROM bi.getallqueuesagents()`,
		`SELECT count(*) FROM stat.getallrecordings($1, $2, '1')`, `SELECT count(configuration.getcallrecordingfile(1))`}
	for _, tbl := range stats.Tables {
		reads = append(reads, `SELECT count(*) FROM stat.`+tbl.Name)
	}
	for _, q := range reads {
		var args []any
		if strings.Contains(q, "$2") {
			args = []any{now.Add(-time.Hour), now}
		}
		var n int
		if err := plain.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Errorf("as the BI role, %s: %v", q, err)
		}
	}
	const readOnly, denied = "25006", "42501" // read_only_sql_transaction, insufficient_privilege
	r := pq.QuoteIdentifier(role)
	// Read-only by default: the role cannot change its own settings or
	// password, nor write anything, in the session it gets.
	wantCode(plain, readOnly, `ALTER ROLE `+r+` SET statement_timeout = 0`)
	wantCode(plain, readOnly, `ALTER ROLE `+r+` PASSWORD 'mine-now-0123456789'`)
	wantCode(plain, readOnly, `CREATE TEMPORARY TABLE t (x int)`)

	// A client that switches read-only off still has no privilege to write
	// anywhere, not even a temporary table, nor to raise its limits.
	escaped := session("default_transaction_read_only", "off", "statement_timeout", "0")
	wantCode(escaped, denied, `CREATE TEMPORARY TABLE t (x int)`)
	wantCode(escaped, denied, `CREATE TABLE public.t (x int)`)
	wantCode(escaped, denied, `INSERT INTO event_consumer (name, last_id) VALUES ('x', 0)`)
	wantCode(escaped, denied, `UPDATE stat.agentstat SET usercode = 0`)
	wantCode(escaped, denied, `ALTER ROLE `+r+` CONNECTION LIMIT 100`)
	wantCode(escaped, denied, `ALTER ROLE `+r+` CREATEDB`)

	// The connection limit holds: two sessions are open, a third is refused.
	pool, err := sql.Open("postgres", withUser(dsn, role, pw))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	err = pool.PingContext(ctx)
	var pe *pq.Error
	if !errors.As(err, &pe) || pe.Code != "53300" { // too_many_connections
		t.Errorf("third session as the BI role: %v; want too many connections", err)
	}

	// PostgreSQL lets a role whose session is not read-only change its own
	// defaults, in any scope; the next EnsureBIRole (every start of ccd) puts
	// ccd's back and drops the others.
	for _, q := range []string{
		`ALTER ROLE ` + r + ` SET statement_timeout = 0`,
		`ALTER ROLE ` + r + ` SET work_mem = '1GB'`,
		`ALTER ROLE ` + r + ` IN DATABASE ` + pq.QuoteIdentifier(dbName(t, db)) + ` SET default_transaction_read_only = off`,
	} {
		if _, err := escaped.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v (PostgreSQL allowed this up to now; update EnsureBIRole's comment)", q, err)
		}
	}
	if err := db.EnsureBIRole(ctx, limits); err != nil {
		t.Fatal(err)
	}
	var all string
	if err := db.QueryRow(`SELECT coalesce(string_agg(array_to_string(s.setconfig, ','), ';'), '') FROM pg_db_role_setting s
		JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = $1`, role).Scan(&all); err != nil {
		t.Fatal(err)
	}
	if all != "statement_timeout=45000ms,default_transaction_read_only=on,TimeZone=UTC" {
		t.Fatalf("BI role's settings after a new start: %q", all)
	}
}

func dbName(t *testing.T, db *store.DB) string {
	t.Helper()
	var name string
	if err := db.QueryRow(`SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}
