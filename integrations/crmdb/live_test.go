package crmdb

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/config"
)

// MySQL/MariaDB and SQL Server have no throwaway server in `make test`; these
// tests run against one named by a variable and are skipped otherwise. They
// replace the table customers and the procedure OPTIMUS_GET_ROUTING_INFO in that
// database. For example, with Debian's mariadb-server:
//
//	CREATE DATABASE crm; CREATE USER 'ccd'@'127.0.0.1' IDENTIFIED BY 'pw';
//	GRANT ALL ON crm.* TO 'ccd'@'127.0.0.1';
//	CCD_TEST_MYSQL_DSN='ccd:pw@tcp(127.0.0.1:3306)/crm' go test ./routing/
//
// and for SQL Server CCD_TEST_SQLSERVER_DSN='sqlserver://sa:pw@127.0.0.1?database=crm'.
const (
	envMySQL     = "CCD_TEST_MYSQL_DSN"
	envSQLServer = "CCD_TEST_SQLSERVER_DSN"
)

func liveDB(t *testing.T, env, driver string) (string, *sql.DB) {
	t.Helper()
	dsn := os.Getenv(env)
	if dsn == "" {
		t.Skipf("%s live test skipped: set %s to the DSN of a scratch database", driver, env)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

const mysqlProcedure = `CREATE PROCEDURE OPTIMUS_GET_ROUTING_INFO(
	IN P_DNIS varchar(20), IN P_CLID varchar(20), IN P_ATTACH_DATA_IN varchar(200),
	OUT P_QUEUE_CODE int, OUT P_CALL_PRIORITY int, OUT P_ATTACH_DATA varchar(200))
BEGIN
	SELECT queue_code, priority,
		CONCAT(attachdata, '|', P_DNIS, '|', CHAR_LENGTH(P_CLID), '|', CHAR_LENGTH(P_ATTACH_DATA_IN))
	INTO P_QUEUE_CODE, P_CALL_PRIORITY, P_ATTACH_DATA
	FROM customers WHERE phone = P_CLID;
END`

func TestMySQL(t *testing.T) {
	dsn, db := liveDB(t, envMySQL, "mysql")
	execAll(t, db, `DROP PROCEDURE IF EXISTS OPTIMUS_GET_ROUTING_INFO`, `DROP TABLE IF EXISTS customers`)
	execAll(t, db, customers...)
	execAll(t, db, mysqlProcedure)
	ctx := context.Background()

	t.Run("query", func(t *testing.T) {
		checkCustomers(t, mustOpen(t, config.RouteLookup{Driver: "mysql", DSN: dsn, Query: customersQuery}))
		l := mustOpen(t, config.RouteLookup{Driver: "mysql", DSN: dsn,
			Query: "select case when $DNIS = '5551000' then 'sales' end, 3, concat($ATTACHDATA, '/', $clid, '/$CLID') -- $X"})
		got, err := l.Do(ctx, Request{CLID: "5551234", DNIS: "5551000", AttachData: `a\'b`})
		if want := (Result{Queue: "sales", Priority: 3, AttachData: `a\'b/5551234/$CLID`}); err != nil || got != want {
			t.Errorf("got %+v, %v; want %+v", got, err, want)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		l := mustOpen(t, config.RouteLookup{Driver: "mysql", DSN: dsn, Timeout: 200 * time.Millisecond,
			Query: "select 'sales', 1, '' from (select sleep(case when $CLID = 'slow' then 30 else 0 end) s) t"})
		start := time.Now()
		if _, err := l.Do(ctx, Request{CLID: "slow"}); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
			t.Errorf("got %v after %s, want a timeout after 200ms", err, time.Since(start))
		}
		if got, err := l.Do(ctx, Request{CLID: "fast"}); err != nil || got.Queue != "sales" {
			t.Errorf("after a timeout: %+v, %v", got, err)
		}
	})

	t.Run("procedure", func(t *testing.T) {
		l := mustOpen(t, config.RouteLookup{Driver: "mysql", DSN: dsn, Procedure: true})
		l.db.SetMaxOpenConns(1) // one connection: an earlier answer must not leak
		// Strict mode rejects a P_CLID longer than 20; the lookup cuts it.
		checkProcedure(t, l, db, "é")
		execAll(t, db, `DROP PROCEDURE OPTIMUS_GET_ROUTING_INFO`)
		if _, err := l.Do(ctx, Request{CLID: "5551234"}); err == nil || !strings.Contains(err.Error(), "OPTIMUS_GET_ROUTING_INFO") {
			t.Errorf("missing procedure: %v", err)
		}
	})
}

const sqlServerProcedure = `CREATE OR ALTER PROCEDURE dbo.OPTIMUS_GET_ROUTING_INFO
	@P_DNIS varchar(20), @P_CLID varchar(20), @P_ATTACH_DATA_IN varchar(200),
	@P_QUEUE_CODE int OUT, @P_CALL_PRIORITY int OUT, @P_ATTACH_DATA varchar(200) OUT
AS
BEGIN
	SET NOCOUNT ON;
	SELECT @P_QUEUE_CODE = queue_code, @P_CALL_PRIORITY = priority,
		@P_ATTACH_DATA = attachdata + '|' + @P_DNIS + '|' + CAST(LEN(@P_CLID) AS varchar(10))
			+ '|' + CAST(LEN(@P_ATTACH_DATA_IN) AS varchar(10))
	FROM customers WHERE phone = @P_CLID;
END`

func TestSQLServer(t *testing.T) {
	dsn, db := liveDB(t, envSQLServer, "sqlserver")
	execAll(t, db, `IF OBJECT_ID('customers') IS NOT NULL DROP TABLE customers`)
	execAll(t, db, customers...)
	execAll(t, db, sqlServerProcedure)
	ctx := context.Background()

	t.Run("query", func(t *testing.T) {
		checkCustomers(t, mustOpen(t, config.RouteLookup{Driver: "sqlserver", DSN: dsn, Query: customersQuery}))
		l := mustOpen(t, config.RouteLookup{Driver: "sqlserver", DSN: dsn,
			Query: "select case when $DNIS = '5551000' then 'sales' end, 3, $ATTACHDATA + '/' + $clid + '/$CLID' -- $X"})
		got, err := l.Do(ctx, Request{CLID: "5551234", DNIS: "5551000", AttachData: "a'b"})
		if want := (Result{Queue: "sales", Priority: 3, AttachData: "a'b/5551234/$CLID"}); err != nil || got != want {
			t.Errorf("got %+v, %v; want %+v", got, err, want)
		}
	})

	t.Run("procedure", func(t *testing.T) {
		l := mustOpen(t, config.RouteLookup{Driver: "sqlserver", DSN: dsn, Procedure: true})
		checkProcedure(t, l, db, "9")
	})
}

// checkProcedure runs the checks every OPTIMUS_GET_ROUTING_INFO implementation
// must pass: a known caller, an unknown one, a quote in the CLID, and inputs
// longer than the procedure's parameters (pad is the character to lengthen with).
func checkProcedure(t *testing.T, l *Lookup, db *sql.DB, pad string) {
	t.Helper()
	ctx := context.Background()
	got, err := l.Do(ctx, Request{CLID: "5551234", DNIS: "5551000", AttachData: "x"})
	if want := (Result{Queue: "7", Priority: 2, AttachData: "VIP gold|5551000|7|1"}); err != nil || got != want {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	if got, err := l.Do(ctx, Request{CLID: "0000000"}); !errors.Is(err, ErrNoQueue) {
		t.Errorf("unknown caller: got %+v, %v; want ErrNoQueue", got, err)
	}
	if got, err := l.Do(ctx, Request{CLID: "1' OR '1'='1"}); err != nil || got.Queue != "9" {
		t.Errorf("quote in CLID: got %+v, %v", got, err)
	}
	long := strings.Repeat(pad, 300)
	execAll(t, db, `INSERT INTO customers VALUES ('5551234`+strings.Repeat(pad, 13)+`', 5, 5, 'long')`)
	got, err = l.Do(ctx, Request{CLID: "5551234" + long, DNIS: "5551000" + long, AttachData: long})
	if want := "long|5551000" + strings.Repeat(pad, 13) + "|20|200"; err != nil || got.AttachData != want {
		t.Errorf("long inputs: got %+v, %v; want attach data %q", got, err, want)
	}
}
