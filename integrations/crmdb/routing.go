package crmdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/internal/textcheck"
	"github.com/go-sql-driver/mysql"
	"github.com/lib/pq"
	mssql "github.com/microsoft/go-mssqldb"
	_ "modernc.org/sqlite" // registers "sqlite"
)

// DefaultTimeout bounds a lookup when the route sets none.
const DefaultTimeout = 2 * time.Second

// Pool limits: a slow or hung CRM holds at most poolSize connections; lookups
// beyond that wait for one until their own deadline.
const (
	poolSize        = 4
	poolIdle        = 2
	poolIdleTime    = time.Minute
	poolMaxLifetime = 30 * time.Minute // so connections follow a CRM fail-over
)

// Optimus widths of the procedure's inputs: P_DNIS varchar(20), P_CLID
// varchar(20), P_ATTACH_DATA_IN varchar(200).
const (
	widthDNIS       = 20
	widthCLID       = 20
	widthAttachData = 200
)

var (
	// ErrNoRow: the query found no row for the call (an unknown caller).
	ErrNoRow = errors.New("no matching row")
	// ErrNoQueue: the row or procedure gave a NULL or blank queue code, which is
	// how a procedure says it does not know the caller.
	ErrNoQueue = errors.New("no queue code (NULL or blank)")
)

// Request is what ccd knows of a call when it asks the database.
type Request struct{ CLID, DNIS, AttachData string }

// Result is the database's answer.
type Result struct {
	Queue      string // queue code as text (Optimus codes are ints; ccd queue codes are strings)
	Priority   int    // 1..9; 0 from the database (NULL) means "route's default"
	AttachData string
}

// Lookup asks one database for routing information. It is safe for concurrent
// use.
type Lookup struct {
	driver  string
	db      *sql.DB
	timeout time.Duration
	run     func(ctx context.Context, req Request) (row, error)

	// Query mode: the translated statement and the variable of each placeholder.
	query string
	vars  []variable

	// pgCall: the PostgreSQL routine is a PROCEDURE (CALL) rather than a
	// FUNCTION (SELECT); learnt from the server's answer, see pgProcedure.
	pgCall atomic.Bool
}

// row is an answer before validation.
type row struct {
	queue    sql.NullString
	priority sql.NullInt64
	attach   sql.NullString
}

// Open prepares a lookup. The DSN comes from cfg.DSN or from the variable
// cfg.DSNEnv looked up with env (os.LookupEnv when nil). The query is translated
// and checked here, but no connection is made: the CRM may be down when ccd
// starts, and each Do connects as needed.
func Open(cfg config.RouteLookup, env func(string) (string, bool)) (*Lookup, error) {
	if env == nil {
		env = os.LookupEnv
	}
	d, ok := dialects[cfg.Driver]
	if !ok {
		return nil, fmt.Errorf("routing: driver %q: want postgres, mysql, sqlserver or sqlite", cfg.Driver)
	}
	l := &Lookup{driver: cfg.Driver, timeout: cfg.Timeout}
	switch {
	case cfg.Timeout < 0:
		return nil, l.errorf("timeout must not be negative, got %s", cfg.Timeout)
	case cfg.Timeout == 0:
		l.timeout = DefaultTimeout
	}
	dsn, err := l.dsn(cfg, env)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Procedure && cfg.Query != "":
		return nil, l.errorf("set either procedure: true or query, not both")
	case cfg.Procedure:
		switch cfg.Driver {
		case "postgres":
			l.run = l.pgProcedure
		case "mysql":
			l.run = l.mysqlProcedure
		case "sqlserver":
			l.run = l.mssqlProcedure
		default:
			return nil, l.errorf("SQLite has no stored procedures; use query")
		}
	case strings.TrimSpace(cfg.Query) == "":
		return nil, l.errorf("needs procedure: true or a query")
	default:
		if l.query, l.vars, err = translate(cfg.Query, d); err != nil {
			return nil, l.errorf("query: %w", err)
		}
		l.run = l.runQuery
	}
	if l.db, err = openDB(cfg.Driver, dsn); err != nil {
		// Drivers may quote the DSN in parse errors; it can hold a password.
		return nil, l.errorf("dsn: %s", strings.ReplaceAll(err.Error(), dsn, "<dsn>"))
	}
	l.db.SetMaxOpenConns(poolSize)
	l.db.SetMaxIdleConns(poolIdle)
	l.db.SetConnMaxIdleTime(poolIdleTime)
	l.db.SetConnMaxLifetime(poolMaxLifetime)
	return l, nil
}

func (l *Lookup) dsn(cfg config.RouteLookup, env func(string) (string, bool)) (string, error) {
	switch {
	case cfg.DSN != "" && cfg.DSNEnv != "":
		return "", l.errorf("set either dsn or dsn_env, not both")
	case cfg.DSN != "":
		return cfg.DSN, nil
	case cfg.DSNEnv == "":
		return "", l.errorf("needs dsn or dsn_env")
	}
	v, ok := env(cfg.DSNEnv)
	if !ok || v == "" {
		return "", l.errorf("dsn_env: environment variable %s is not set", cfg.DSNEnv)
	}
	return v, nil
}

// openDB parses the DSN where the driver lets us (so that a typo is reported at
// start, not at the first call) without connecting.
func openDB(driver, dsn string) (*sql.DB, error) {
	switch driver {
	case "postgres":
		c, err := pq.NewConnector(dsn)
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(c), nil
	case "mysql":
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, err
		}
		c, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(c), nil
	case "sqlserver":
		c, err := mssql.NewConnector(dsn)
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(c), nil
	default:
		return sql.Open("sqlite", dsn)
	}
}

// Do asks the database about one call. It returns by the lookup's timeout (or
// ctx's deadline, if earlier) even when the database does not answer: drivers
// differ in how fast they give up on a hung server, so the query runs in its own
// goroutine, which ends once the driver notices the cancelled context. The pool
// limit bounds how many such stragglers can hold a connection.
//
// Errors name the driver; ErrNoRow and ErrNoQueue (errors.Is) mean the database
// does not know the caller, a timeout wraps context.DeadlineExceeded.
func (l *Lookup) Do(ctx context.Context, req Request) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	type answer struct {
		r   row
		err error
	}
	done := make(chan answer, 1) // buffered: a late answer must not block
	go func() {
		r, err := l.run(ctx, req)
		done <- answer{r, err}
	}()
	select {
	case a := <-done:
		if a.err != nil {
			if ctx.Err() != nil {
				return Result{}, l.ctxError(ctx)
			}
			return Result{}, l.errorf("%w", a.err)
		}
		return l.result(a.r)
	case <-ctx.Done():
		return Result{}, l.ctxError(ctx)
	}
}

func (l *Lookup) ctxError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return l.errorf("timeout after %s: %w", l.timeout, ctx.Err())
	}
	return l.errorf("%w", ctx.Err())
}

// result validates a row. A priority outside 1..9 is an error rather than
// clamped: it means the query reads the wrong column, and the route's own queue
// is a safer guess than a made-up priority.
func (l *Lookup) result(r row) (Result, error) {
	queue := strings.TrimSpace(r.queue.String) // CHAR(n) columns come blank-padded
	if !r.queue.Valid || queue == "" {
		return Result{}, l.errorf("%w", ErrNoQueue)
	}
	if p := r.priority.Int64; r.priority.Valid && (p < 0 || p > 9) {
		return Result{}, l.errorf("priority %d is outside 1..9 (0 or NULL: the route's default)", p)
	}
	// The attach data goes to the event log with the call, and PostgreSQL
	// refuses NUL and invalid UTF-8 that a CRM's database may well hold: the
	// call keeps its lookup, with the text repaired.
	return Result{Queue: textcheck.Clean(queue), Priority: int(r.priority.Int64), AttachData: textcheck.Clean(r.attach.String)}, nil
}

// Close closes the connection pool.
func (l *Lookup) Close() error { return l.db.Close() }

func (l *Lookup) errorf(format string, args ...any) error {
	return fmt.Errorf("routing: %s lookup: "+format, append([]any{l.driver}, args...)...)
}

// runQuery runs the configured statement and reads its first row (add ORDER BY
// to choose among several).
func (l *Lookup) runQuery(ctx context.Context, req Request) (row, error) {
	args := make([]any, len(l.vars))
	for i, v := range l.vars {
		args[i] = v.value(req)
	}
	return scanFirst(l.db.QueryContext(ctx, l.query, args...))
}

// scanFirst reads the first row of exactly three columns: queue, priority, attach
// data, whatever their names.
func scanFirst(rows *sql.Rows, err error) (row, error) {
	if err != nil {
		return row{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return row{}, err
	}
	if len(cols) != 3 {
		return row{}, fmt.Errorf("result has %d columns, want 3: queue code, priority, attach data", len(cols))
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return row{}, err
		}
		return row{}, ErrNoRow
	}
	var r row
	if err := rows.Scan(&r.queue, &r.priority, &r.attach); err != nil {
		return row{}, err
	}
	return r, rows.Close() // reports an error that ended the result early
}

// procInputs truncates the inputs to the Optimus parameter widths (counted in
// characters): MySQL in strict mode rejects a longer value, SQL Server cuts it
// silently, so cutting here makes every database see the same thing.
func procInputs(req Request) (dnis, clid, attach string) {
	return truncate(req.DNIS, widthDNIS), truncate(req.CLID, widthCLID), truncate(req.AttachData, widthAttachData)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return s[:i]
}

// pgProcedure calls optimus_get_routing_info, written either as a FUNCTION with
// OUT parameters (SELECT) or as a PROCEDURE with INOUT/OUT parameters (CALL,
// PostgreSQL 11+). Using the wrong form fails with 42883 (no such function) or
// 42809 (not a procedure); then the other form is tried and, unless it fails the
// same way, remembered, so a DBA may replace one with the other at any time.
// When neither exists, or the routine's own body raised such an error, the first
// error is the one returned.
func (l *Lookup) pgProcedure(ctx context.Context, req Request) (row, error) {
	dnis, clid, attach := procInputs(req)
	call := l.pgCall.Load()
	r, err := l.pgRoutine(ctx, call, dnis, clid, attach)
	if !wrongRoutineForm(err) {
		return r, err
	}
	r2, err2 := l.pgRoutine(ctx, !call, dnis, clid, attach)
	if wrongRoutineForm(err2) {
		return r, err
	}
	l.pgCall.CompareAndSwap(call, !call)
	return r2, err2
}

func (l *Lookup) pgRoutine(ctx context.Context, call bool, dnis, clid, attach string) (row, error) {
	q := `SELECT * FROM optimus_get_routing_info($1, $2, $3)`
	if call {
		q = `CALL optimus_get_routing_info($1, $2, $3, NULL, NULL, NULL)`
	}
	return scanFirst(l.db.QueryContext(ctx, q, dnis, clid, attach)) // ErrNoRow: a set-returning function found nothing
}

func wrongRoutineForm(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && (pe.Code == "42883" || pe.Code == "42809")
}

// mysqlProcedure: MySQL returns OUT parameters only through session variables, so
// the CALL and the SELECT of the variables must share one connection. A
// procedure that does not set an OUT parameter leaves it NULL (MySQL copies OUT
// values back on every call), so no stale value from an earlier call can leak.
func (l *Lookup) mysqlProcedure(ctx context.Context, req Request) (row, error) {
	dnis, clid, attach := procInputs(req)
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return row{}, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx,
		"CALL OPTIMUS_GET_ROUTING_INFO(?, ?, ?, @ccd_queue_code, @ccd_call_priority, @ccd_attach_data)",
		dnis, clid, attach); err != nil {
		return row{}, err
	}
	var r row
	err = conn.QueryRowContext(ctx, "SELECT @ccd_queue_code, @ccd_call_priority, @ccd_attach_data").
		Scan(&r.queue, &r.priority, &r.attach)
	return r, err
}

// mssqlProcedure calls the procedure by RPC with named parameters, as the
// Optimus sample declares them. The queue code is read as text, which SQL Server
// converts from the documented int.
func (l *Lookup) mssqlProcedure(ctx context.Context, req Request) (row, error) {
	dnis, clid, attach := procInputs(req)
	var r row
	_, err := l.db.ExecContext(ctx, "OPTIMUS_GET_ROUTING_INFO",
		sql.Named("P_DNIS", dnis),
		sql.Named("P_CLID", clid),
		sql.Named("P_ATTACH_DATA_IN", attach),
		sql.Named("P_QUEUE_CODE", sql.Out{Dest: &r.queue}),
		sql.Named("P_CALL_PRIORITY", sql.Out{Dest: &r.priority}),
		sql.Named("P_ATTACH_DATA", sql.Out{Dest: &r.attach}),
	)
	return r, err
}
