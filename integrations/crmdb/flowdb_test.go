package crmdb

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/flow"
)

// accounts is the self-service table of the database step's tests, in SQL
// every database takes.
var accounts = []string{
	`CREATE TABLE accounts (id varchar(40) PRIMARY KEY, phone varchar(40), balance int, tier int, name varchar(40), pin varchar(8))`,
	`INSERT INTO accounts VALUES ('1234', '0611', 250, 2, 'Ann Smith', '0000')`,
	`INSERT INTO accounts VALUES ('5678', '0622', NULL, 3, 'Bob', NULL)`,
	// An id that is an injection attempt: found only when compared as data.
	`INSERT INTO accounts VALUES ('1'' OR ''1''=''1', '0633', 1, 1, 'quote', NULL)`,
	`CREATE TABLE requests (id varchar(40), phone varchar(40))`,
}

func openSteps(t *testing.T, driver, dsn string) *FlowDatabases {
	t.Helper()
	f, err := OpenFlowDatabases([]config.CRMDatabase{{Name: "crm", Driver: driver, DSN: dsn}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

func step(query string) *flow.Database {
	return &flow.Database{Database: "crm", Query: query, Found: "a", NotFound: "b", Error: "c"}
}

// checkSteps runs what every database must answer alike: reads with
// profile fields bound (never spliced), writes back, and failures.
func checkSteps(t *testing.T, f *FlowDatabases, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	lookup := step(`SELECT balance, tier AS priority, name FROM accounts WHERE id = %CUSTOMER_NUMBER% AND phone = %ani%`)
	for _, c := range []struct {
		name   string
		values map[string]string
		found  bool
		cols   map[string]string
	}{
		{"found", map[string]string{"customer_number": "1234", "ani": "0611"}, true,
			map[string]string{"balance": "250", "priority": "2", "name": "Ann Smith"}},
		{"NULL columns are left out", map[string]string{"customer_number": "5678", "ani": "0622"}, true,
			map[string]string{"priority": "3", "name": "Bob"}},
		{"another caller's account", map[string]string{"customer_number": "1234", "ani": "0622"}, false, nil},
		{"an injection is data", map[string]string{"customer_number": "x' OR '1'='1", "ani": "0611"}, false, nil},
		{"the odd id compared as data", map[string]string{"customer_number": "1' OR '1'='1", "ani": "0633"}, true,
			map[string]string{"balance": "1", "priority": "1", "name": "quote"}},
		{"an unset field is NULL", map[string]string{"ani": "0611"}, false, nil},
	} {
		r := f.Run(ctx, &flow.Query{Step: lookup, Values: c.values})
		if r.Err != nil || r.Found != c.found || !reflect.DeepEqual(r.Columns, c.cols) {
			t.Errorf("%s: %+v, want found %v %v", c.name, r, c.found, c.cols)
		}
	}

	// A LIKE pattern in a literal is text, not a field.
	like := step(`SELECT id FROM accounts WHERE name LIKE '%Smith%' AND phone = %ANI%`)
	if r := f.Run(ctx, &flow.Query{Step: like, Values: map[string]string{"ani": "0611"}}); !r.Found || r.Columns["id"] != "1234" {
		t.Errorf("LIKE: %+v", r)
	}

	// Self-service write-back: found when a row changed.
	update := step(`UPDATE accounts SET pin = %input% WHERE id = %customer_number%`)
	update.Write = true
	if r := f.Run(ctx, &flow.Query{Step: update, Values: map[string]string{"input": "4321", "customer_number": "1234"}}); r.Err != nil || !r.Found {
		t.Errorf("update: %+v", r)
	}
	if r := f.Run(ctx, &flow.Query{Step: update, Values: map[string]string{"input": "4321", "customer_number": "9"}}); r.Err != nil || r.Found {
		t.Errorf("update of nothing: %+v", r)
	}
	var pin string
	if err := db.QueryRow(`SELECT pin FROM accounts WHERE id = '1234'`).Scan(&pin); err != nil || pin != "4321" {
		t.Errorf("pin %q, %v", pin, err)
	}
	insert := step(`INSERT INTO requests (id, phone) VALUES (%customer_number%, %ani%)`)
	insert.Write = true
	if r := f.Run(ctx, &flow.Query{Step: insert, Values: map[string]string{"customer_number": "5678", "ani": "0'; DROP TABLE accounts; --"}}); r.Err != nil || !r.Found {
		t.Errorf("insert: %+v", r)
	}
	var phone string
	if err := db.QueryRow(`SELECT phone FROM requests WHERE id = '5678'`).Scan(&phone); err != nil || phone != "0'; DROP TABLE accounts; --" {
		t.Errorf("inserted phone %q, %v", phone, err)
	}

	// A failure is an error that names the database.
	bad := step(`SELECT x FROM nowhere WHERE id = %customer_number%`)
	if r := f.Run(ctx, &flow.Query{Step: bad, Values: map[string]string{}}); r.Err == nil || !strings.Contains(r.Err.Error(), "database step (crm,") {
		t.Errorf("missing table: %+v", r)
	}
}

func TestDatabaseStepPostgres(t *testing.T) {
	dsn, db := pgDB(t)
	execAll(t, db, accounts...)
	f := openSteps(t, "postgres", dsn)
	checkSteps(t, f, db)

	execAll(t, db, `CREATE FUNCTION balance_of(p_id text, p_phone text) RETURNS TABLE (balance int)
		LANGUAGE sql AS $$ SELECT balance FROM accounts WHERE id = p_id AND phone = p_phone $$`)
	proc := &flow.Database{Database: "crm", Procedure: "balance_of", Params: []string{"customer_number", "ani"}}
	r := f.Run(context.Background(), &flow.Query{Step: proc, Values: map[string]string{"customer_number": "1234", "ani": "0611"}})
	if r.Err != nil || !r.Found || r.Columns["balance"] != "250" {
		t.Errorf("procedure: %+v", r)
	}
}

// A database that does not answer in time is an error at the step's
// timeout; the server stops the query and the pool stays usable.
func TestDatabaseStepTimeout(t *testing.T) {
	dsn, db := pgDB(t)
	f := openSteps(t, "postgres", dsn)
	slow := step(`SELECT 1 AS one FROM pg_sleep(CASE WHEN %input% = 'slow' THEN 30 ELSE 0 END)`)
	slow.Timeout = 200 * time.Millisecond
	r := f.Run(context.Background(), &flow.Query{Step: slow, Values: map[string]string{"input": "slow"}})
	if !errors.Is(r.Err, context.DeadlineExceeded) || !strings.Contains(r.Err.Error(), "timeout after 200ms") {
		t.Fatalf("got %+v, want a timeout", r)
	}
	waitIdle(t, db, "pg_sleep")
	if r := f.Run(context.Background(), &flow.Query{Step: slow, Values: map[string]string{"input": "fast"}}); !r.Found {
		t.Errorf("after a timeout: %+v", r)
	}
}

func TestDatabaseStepSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crm.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	execAll(t, db, accounts...)
	checkSteps(t, openSteps(t, "sqlite", path), db)
}

// The fields become the dialect's placeholders; the driver's own
// placeholders and blank statements are refused when the flow is saved.
func TestDatabaseStepStatements(t *testing.T) {
	for _, c := range []struct {
		driver, query, want string
		vars                []string
		err                 string
	}{
		{"postgres", "select a from t where x = %ANI% and y = %Tier% and z = %ani%", "select a from t where x = $1 and y = $2 and z = $3",
			[]string{"ani", "Tier", "ani"}, ""},
		{"mysql", "update t set a = %input% where b = %customer_number%", "update t set a = ? where b = ?", []string{"input", "customer_number"}, ""},
		{"sqlserver", "select a from t where x = %dnis%", "select a from t where x = @p1", []string{"dnis"}, ""},
		{"postgres", "select a % 2 from t where n like '%x%' -- %ani%", "select a % 2 from t where n like '%x%' -- %ani%", nil, ""},
		{"sqlite", "select a from t where x = ?", "", nil, "placeholder ?"},
		{"postgres", "select a from t where x = $1", "", nil, "placeholder $1"},
		{"postgres", "  ", "", nil, "blank"},
	} {
		got, vars, err := translatePercent(c.query, dialects[c.driver])
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %q: %v, want %q", c.driver, c.query, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want || !reflect.DeepEqual(vars, c.vars) {
			t.Errorf("%s %q: %q %v %v, want %q %v", c.driver, c.query, got, vars, err, c.want, c.vars)
		}
	}
	f := openSteps(t, "sqlite", filepath.Join(t.TempDir(), "x.db"))
	if err := f.Check(step("select 1 where 1 = ?")); err == nil {
		t.Error("Check took a native placeholder")
	}
	if err := f.Check(&flow.Database{Database: "crm", Procedure: "p"}); err == nil || !strings.Contains(err.Error(), "SQLite") {
		t.Errorf("Check of a SQLite procedure: %v", err)
	}
}
