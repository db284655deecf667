package crmdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/internal/pgtest"
)

// customers is the CRM table of the tests, in SQL every database takes.
var customers = []string{
	`CREATE TABLE customers (phone varchar(40) PRIMARY KEY, queue_code int, priority int, attachdata varchar(200))`,
	`INSERT INTO customers VALUES ('5551234', 7, 2, 'VIP gold')`,
	`INSERT INTO customers VALUES ('5558888', 6, NULL, NULL)`,
	`INSERT INTO customers VALUES ('5550000', NULL, 1, 'no queue')`,
	`INSERT INTO customers VALUES ('5559999', 8, 12, 'bad priority')`,
	// A phone number that is an injection attempt: found only when compared as data.
	`INSERT INTO customers VALUES ('1'' OR ''1''=''1', 9, 3, 'quote')`,
}

const customersQuery = `select queue_code, priority, attachdata from customers where phone = $CLID`

func execAll(t testing.TB, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func mustOpen(t testing.TB, cfg config.RouteLookup) *Lookup {
	t.Helper()
	l, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// pgDB returns the DSN of a fresh PostgreSQL database and a connection to it.
func pgDB(t testing.TB) (string, *sql.DB) {
	t.Helper()
	dsn := pgtest.NewEmptyDB(t)
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

// checkCustomers runs the lookups every query-mode database must answer alike.
func checkCustomers(t *testing.T, l *Lookup) {
	t.Helper()
	ctx := context.Background()
	for _, tt := range []struct {
		clid string
		want Result
		err  string
		is   error
	}{
		{clid: "5551234", want: Result{Queue: "7", Priority: 2, AttachData: "VIP gold"}},
		{clid: "5558888", want: Result{Queue: "6"}}, // NULL priority: the route's default
		{clid: "5550000", err: "no queue code", is: ErrNoQueue},
		{clid: "5559999", err: "priority 12 is outside 1..9"},
		{clid: "0000000", err: "no matching row", is: ErrNoRow},
		// Injection attempts are data: the first is a customer's phone number,
		// the others match nobody, and the table survives.
		{clid: "1' OR '1'='1", want: Result{Queue: "9", Priority: 3, AttachData: "quote"}},
		{clid: "x' OR '1'='1", err: "no matching row", is: ErrNoRow},
		{clid: "'; DROP TABLE customers; --", err: "no matching row", is: ErrNoRow},
		{clid: `\'; DROP TABLE customers; -- `, err: "no matching row", is: ErrNoRow},
	} {
		got, err := l.Do(ctx, Request{CLID: tt.clid, DNIS: "5551000"})
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("CLID %q: %v", tt.clid, err)
		case tt.err == "" && got != tt.want:
			t.Errorf("CLID %q: got %+v, want %+v", tt.clid, got, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("CLID %q: got %+v, %v; want error %q", tt.clid, got, err, tt.err)
		case tt.is != nil && !errors.Is(err, tt.is):
			t.Errorf("CLID %q: error %v is not %v", tt.clid, err, tt.is)
		case err != nil && !strings.HasPrefix(err.Error(), "routing: "+l.driver+" lookup: "):
			t.Errorf("CLID %q: error %q does not name the driver", tt.clid, err)
		}
	}
	// Still five rows: nothing was dropped.
	if _, err := l.Do(ctx, Request{CLID: "5551234"}); err != nil {
		t.Errorf("after the injection attempts: %v", err)
	}
}

func TestPostgresQuery(t *testing.T) {
	dsn, db := pgDB(t)
	execAll(t, db, customers...)
	l := mustOpen(t, config.RouteLookup{Driver: "postgres", DSN: dsn, Query: customersQuery})
	checkCustomers(t, l)
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM customers`).Scan(&n); err != nil || n != 5 {
		t.Errorf("customers has %d rows (%v), want 5", n, err)
	}
}

func TestPostgresAllVariables(t *testing.T) {
	dsn, _ := pgDB(t)
	// Each variable, repeated and in any case, with a literal that looks like one.
	q := `select $DNIS::text, 4, $attachdata::text || '|' || $Clid::text || '|$CLID|' || $CLID::text`
	l := mustOpen(t, config.RouteLookup{Driver: "postgres", DSN: dsn, Query: q})
	got, err := l.Do(context.Background(), Request{CLID: "5551234", DNIS: "5551000", AttachData: "acct=42'"})
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Queue: "5551000", Priority: 4, AttachData: "acct=42'|5551234|$CLID|5551234"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// Inputs are not cut in query mode.
	long := strings.Repeat("9", 300)
	got, err = l.Do(context.Background(), Request{CLID: long, DNIS: long, AttachData: long})
	if err != nil || got.Queue != long || len(got.AttachData) != 3*300+len("||$CLID|") {
		t.Errorf("long inputs: %+v, %v", got, err)
	}
}

func TestPostgresColumns(t *testing.T) {
	dsn, _ := pgDB(t)
	l := mustOpen(t, config.RouteLookup{Driver: "postgres", DSN: dsn, Query: `select 'sales', 1`})
	if _, err := l.Do(context.Background(), Request{}); err == nil || !strings.Contains(err.Error(), "2 columns, want 3") {
		t.Errorf("two columns: %v", err)
	}
	// First row wins; blank padding of CHAR columns goes.
	l = mustOpen(t, config.RouteLookup{Driver: "postgres", DSN: dsn,
		Query: `select q::char(10), p, null from (values ('a', 1), ('b', 2)) v(q, p) order by p desc`})
	if got, err := l.Do(context.Background(), Request{}); err != nil || got != (Result{Queue: "b", Priority: 2}) {
		t.Errorf("got %+v, %v", got, err)
	}
}

// TestPostgresTimeout: a database that does not answer in time gives a timeout
// error at the deadline, the server stops the query, and the pool stays usable.
func TestPostgresTimeout(t *testing.T) {
	dsn, db := pgDB(t)
	q := `select 'sales', 1, 'x' from pg_sleep(case when $CLID = 'slow' then 30 else 0 end)`
	l := mustOpen(t, config.RouteLookup{Driver: "postgres", DSN: dsn, Query: q, Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := l.Do(context.Background(), Request{CLID: "slow"})
	took := time.Since(start)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "routing: postgres lookup: timeout after 200ms") {
		t.Fatalf("got %v, want a timeout", err)
	}
	if took > time.Second {
		t.Errorf("Do returned after %s, want about 200ms", took)
	}
	waitIdle(t, db, "pg_sleep")
	if got, err := l.Do(context.Background(), Request{CLID: "fast"}); err != nil || got.Queue != "sales" {
		t.Errorf("after a timeout: %+v, %v", got, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Do(ctx, Request{CLID: "fast"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// waitIdle waits until no query containing text runs on the server.
func waitIdle(t *testing.T, db *sql.DB, text string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var n int
		err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%' || $1 || '%'`, text).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d queries with %s still run on the server", n, text)
		}
	}
}

// TestHungServer: a server that accepts connections and never answers (a
// half-dead CRM) cannot hold a lookup past its deadline, whatever the driver.
func TestHungServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, cfg := range []config.RouteLookup{
		{Driver: "postgres", DSN: fmt.Sprintf("host=%s port=%s user=u dbname=d sslmode=disable connect_timeout=30", host, port), Query: customersQuery},
		{Driver: "mysql", DSN: fmt.Sprintf("u:p@tcp(%s:%s)/d?timeout=30s", host, port), Procedure: true},
		{Driver: "sqlserver", DSN: fmt.Sprintf("sqlserver://u:p@%s:%s?database=d&encrypt=disable&dial+timeout=30", host, port), Procedure: true},
	} {
		cfg.Timeout = 150 * time.Millisecond
		l := mustOpen(t, cfg)
		start := time.Now()
		_, err := l.Do(context.Background(), Request{CLID: "5551234"})
		if took := time.Since(start); took > time.Second {
			t.Errorf("%s: Do returned after %s", cfg.Driver, took)
		}
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timeout after 150ms") {
			t.Errorf("%s: got %v, want a timeout", cfg.Driver, err)
		}
	}
}

// TestDatabaseDown: Open does not need the database; Do reports the failure.
func TestDatabaseDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	host, port, _ := net.SplitHostPort(addr)
	l := mustOpen(t, config.RouteLookup{Driver: "postgres", Query: customersQuery,
		DSN: fmt.Sprintf("host=%s port=%s user=u dbname=d sslmode=disable", host, port)})
	_, err = l.Do(context.Background(), Request{CLID: "5551234"})
	if err == nil || !strings.HasPrefix(err.Error(), "routing: postgres lookup: ") || errors.Is(err, ErrNoRow) {
		t.Errorf("got %v, want a connection error", err)
	}
}

func TestPostgresConcurrent(t *testing.T) {
	dsn, db := pgDB(t)
	execAll(t, db, customers...)
	l := mustOpen(t, config.RouteLookup{Driver: "postgres", DSN: dsn, Query: customersQuery})
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for range 20 {
		wg.Go(func() {
			for range 10 {
				if r, err := l.Do(context.Background(), Request{CLID: "5551234"}); err != nil || r.Queue != "7" {
					errs <- fmt.Errorf("%+v, %v", r, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := l.db.Stats().MaxOpenConnections; n != poolSize {
		t.Errorf("pool allows %d connections, want %d", n, poolSize)
	}
}

// The PostgreSQL routine, as a FUNCTION and as a PROCEDURE. The answer echoes the
// inputs so that the test sees what arrived.
const (
	pgFunction = `CREATE FUNCTION optimus_get_routing_info(
	p_dnis varchar(20), p_clid varchar(20), p_attach_data_in varchar(200),
	OUT p_queue_code int, OUT p_call_priority int, OUT p_attach_data varchar(200))
LANGUAGE plpgsql AS $$
BEGIN
	SELECT queue_code, priority, attachdata INTO p_queue_code, p_call_priority, p_attach_data
	FROM customers WHERE phone = p_clid;
	IF p_attach_data IS NOT NULL THEN
		p_attach_data := p_attach_data || '|' || p_dnis || '|' || length(p_clid) || '|' || length(p_attach_data_in);
	END IF;
END $$`
	pgProcedure = `CREATE PROCEDURE optimus_get_routing_info(
	p_dnis varchar(20), p_clid varchar(20), p_attach_data_in varchar(200),
	INOUT p_queue_code int, INOUT p_call_priority int, INOUT p_attach_data varchar(200))
LANGUAGE plpgsql AS $$
BEGIN
	SELECT queue_code, priority, 'proc:' || attachdata INTO p_queue_code, p_call_priority, p_attach_data
	FROM customers WHERE phone = p_clid;
END $$`
)

func TestPostgresProcedure(t *testing.T) {
	dsn, db := pgDB(t)
	execAll(t, db, customers...)
	execAll(t, db, pgFunction)
	l := mustOpen(t, config.RouteLookup{Driver: "postgres", DSN: dsn, Procedure: true})
	ctx := context.Background()

	got, err := l.Do(ctx, Request{CLID: "5551234", DNIS: "5551000", AttachData: "x"})
	if want := (Result{Queue: "7", Priority: 2, AttachData: "VIP gold|5551000|7|1"}); err != nil || got != want {
		t.Errorf("function: got %+v, %v; want %+v", got, err, want)
	}
	// Inputs are cut to 20, 20 and 200 characters.
	long := strings.Repeat("é", 300)
	got, err = l.Do(ctx, Request{CLID: "5551234" + long, DNIS: "5551000", AttachData: long})
	if err == nil || !errors.Is(err, ErrNoQueue) {
		t.Errorf("long CLID: got %+v, %v; want no queue (phone is cut to 20)", got, err)
	}
	execAll(t, db, `INSERT INTO customers VALUES ('5551234`+strings.Repeat("é", 13)+`', 5, 5, 'long')`)
	got, err = l.Do(ctx, Request{CLID: "5551234" + long, DNIS: "5551000" + long, AttachData: long})
	if want := "long|5551000" + strings.Repeat("é", 13) + "|20|200"; err != nil || got.AttachData != want {
		t.Errorf("long inputs: got %+v, %v; want attach data %q", got, err, want)
	}
	// An unknown caller: the function leaves its outputs NULL.
	if _, err := l.Do(ctx, Request{CLID: "0000000"}); !errors.Is(err, ErrNoQueue) {
		t.Errorf("unknown caller: %v", err)
	}
	if _, err := l.Do(ctx, Request{CLID: "1' OR '1'='1"}); err != nil {
		t.Errorf("quote in CLID: %v", err)
	}

	// The DBA replaces the function by a procedure, and back: both work.
	execAll(t, db, `DROP FUNCTION optimus_get_routing_info`, pgProcedure)
	got, err = l.Do(ctx, Request{CLID: "5551234"})
	if want := (Result{Queue: "7", Priority: 2, AttachData: "proc:VIP gold"}); err != nil || got != want {
		t.Errorf("procedure: got %+v, %v; want %+v", got, err, want)
	}
	if !l.pgCall.Load() {
		t.Error("CALL was not remembered")
	}
	if _, err := l.Do(ctx, Request{CLID: "0000000"}); !errors.Is(err, ErrNoQueue) {
		t.Errorf("procedure, unknown caller: %v", err)
	}
	execAll(t, db, `DROP PROCEDURE optimus_get_routing_info`, pgFunction)
	if got, err := l.Do(ctx, Request{CLID: "5558888"}); err != nil || got.Queue != "6" {
		t.Errorf("function again: got %+v, %v", got, err)
	}

	// No routine at all: the server's error, named.
	execAll(t, db, `DROP FUNCTION optimus_get_routing_info`)
	if _, err := l.Do(ctx, Request{CLID: "5551234"}); err == nil || !strings.Contains(err.Error(), "optimus_get_routing_info") {
		t.Errorf("missing routine: %v", err)
	}
	// A routine whose body fails: its own error, not the other form's.
	execAll(t, db, `CREATE FUNCTION optimus_get_routing_info(p_dnis varchar, p_clid varchar, p_attach_data_in varchar,
		OUT p_queue_code int, OUT p_call_priority int, OUT p_attach_data varchar)
		LANGUAGE plpgsql AS $$ BEGIN p_queue_code := no_such_function(p_clid); END $$`)
	if _, err := l.Do(ctx, Request{CLID: "5551234"}); err == nil || !strings.Contains(err.Error(), "no_such_function") {
		t.Errorf("failing body: %v", err)
	}
}

func TestDSNEnv(t *testing.T) {
	dsn, db := pgDB(t)
	execAll(t, db, customers...)
	env := map[string]string{"CRM_DSN": dsn}
	l, err := Open(config.RouteLookup{Driver: "postgres", DSNEnv: "CRM_DSN", Query: customersQuery},
		func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got, err := l.Do(context.Background(), Request{CLID: "5551234"}); err != nil || got.Queue != "7" {
		t.Errorf("got %+v, %v", got, err)
	}
	if l.timeout != DefaultTimeout {
		t.Errorf("timeout %s, want the default %s", l.timeout, DefaultTimeout)
	}
}

func TestOpenErrors(t *testing.T) {
	q := customersQuery
	tests := []struct {
		cfg  config.RouteLookup
		want string
	}{
		{config.RouteLookup{Driver: "oracle", DSN: "x", Query: q}, `routing: driver "oracle": want postgres, mysql, sqlserver or sqlite`},
		{config.RouteLookup{Driver: "postgres", Query: q}, "routing: postgres lookup: needs dsn or dsn_env"},
		{config.RouteLookup{Driver: "postgres", DSN: "x", DSNEnv: "CRM", Query: q}, "either dsn or dsn_env"},
		{config.RouteLookup{Driver: "postgres", DSNEnv: "CRM_MISSING", Query: q}, "environment variable CRM_MISSING is not set"},
		{config.RouteLookup{Driver: "postgres", DSNEnv: "CRM_EMPTY", Query: q}, "environment variable CRM_EMPTY is not set"},
		{config.RouteLookup{Driver: "postgres", DSN: "x"}, "needs procedure: true or a query"},
		{config.RouteLookup{Driver: "postgres", DSN: "x", Query: " \n"}, "needs procedure: true or a query"},
		{config.RouteLookup{Driver: "postgres", DSN: "x", Query: q, Procedure: true}, "either procedure: true or query"},
		{config.RouteLookup{Driver: "sqlite", DSN: "x", Procedure: true}, "routing: sqlite lookup: SQLite has no stored procedures"},
		{config.RouteLookup{Driver: "postgres", DSN: "x", Query: q, Timeout: -time.Second}, "timeout must not be negative, got -1s"},
		{config.RouteLookup{Driver: "mysql", DSN: "x", Query: "select a,b,c from t where x=$PHONE"}, "routing: mysql lookup: query: unknown variable $PHONE at offset 28"},
		{config.RouteLookup{Driver: "mysql", DSN: "x", Query: "select a,b,c from t where x=?"}, "placeholder ?"},
		{config.RouteLookup{Driver: "postgres", DSN: "x", Query: "select 'a"}, "unterminated"},
		{config.RouteLookup{Driver: "mysql", DSN: "u:secret@tcp(h:3306)db", Query: q}, "routing: mysql lookup: dsn: "},
		{config.RouteLookup{Driver: "postgres", DSN: "postgres://u:secret@h:badport/db", Query: q}, "routing: postgres lookup: dsn: "},
		{config.RouteLookup{Driver: "sqlserver", DSN: "sqlserver://u:secret@h?connection+timeout=x", Query: q}, "routing: sqlserver lookup: dsn: "},
	}
	env := func(k string) (string, bool) {
		if k == "CRM_EMPTY" {
			return "", true
		}
		return "", false
	}
	for _, tt := range tests {
		l, err := Open(tt.cfg, env)
		if err == nil {
			l.Close()
			t.Errorf("%+v: no error, want %q", tt.cfg, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v:\n got  %v\n want %q", tt.cfg, err, tt.want)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crm.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	execAll(t, db, customers...)
	l := mustOpen(t, config.RouteLookup{Driver: "sqlite", DSN: path, Query: customersQuery})
	checkCustomers(t, l)

	// DNIS-dependent routing with the other variables, in SQLite's own SQL.
	l = mustOpen(t, config.RouteLookup{Driver: "sqlite", DSN: path,
		Query: `select case when $dnis = '5551000' then 'sales' end, 3, $ATTACHDATA || '/' || $CLID`})
	got, err := l.Do(context.Background(), Request{CLID: "5551234", DNIS: "5551000", AttachData: "ivr=1"})
	if want := (Result{Queue: "sales", Priority: 3, AttachData: "ivr=1/5551234"}); err != nil || got != want {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	if _, err := l.Do(context.Background(), Request{DNIS: "5552000"}); !errors.Is(err, ErrNoQueue) {
		t.Errorf("other DNIS: %v", err)
	}
}

// BenchmarkLookupPostgres: one query-mode lookup by primary key against a real
// server on this machine.
func BenchmarkLookupPostgres(b *testing.B) {
	dsn, db := pgDB(b)
	execAll(b, db, customers[0],
		`INSERT INTO customers SELECT 'n' || i, i % 50, 1 + i % 9, 'row ' || i FROM generate_series(1, 10000) i`)
	l := mustOpen(b, config.RouteLookup{Driver: "postgres", DSN: dsn, Query: customersQuery})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Do(ctx, Request{CLID: "n4242", DNIS: "5551000"}); err != nil {
			b.Fatal(err)
		}
	}
}

// A CRM database may hold any bytes; the attach data goes to the event log,
// which refuses NUL and invalid UTF-8, so the lookup's answer is repaired.
func TestLookupCleansNULAndInvalidUTF8(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crm.db")
	l := mustOpen(t, config.RouteLookup{Driver: "sqlite", DSN: path,
		Query: `select 'sales' || char(0), 2, CAST(X'564950FF00206E6F7465' AS TEXT)`})
	got, err := l.Do(context.Background(), Request{CLID: "5551234", DNIS: "5551000"})
	if want := (Result{Queue: "sales", Priority: 2, AttachData: "VIP\uFFFD note"}); err != nil || got != want {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
}
