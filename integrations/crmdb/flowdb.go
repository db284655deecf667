package crmdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/flow"
)

// The database step of the call flows (Mitel's SQLExecute in a call control
// script): a flow's node runs a statement or a procedure against one of the
// configured CRM databases (acd.databases), with call profile fields as
// bound parameters. In a statement they are written %Name%: %ANI%,
// %CUSTOMER_NUMBER%, %account% (the fixed fields' names are
// case-insensitive, custom fields are as written). They are recognised in
// the SQL code only: text in string literals, quoted identifiers and
// comments is left as written, so LIKE '%smith%' stays a pattern; to
// compare with a field write it unquoted (phone = %ANI%), and to build a
// pattern from one use SQL ('%' || %name% || '%'). A field that is not set
// is NULL.

// DefaultStepTimeout bounds a database step when neither the step nor its
// database sets a timeout.
const DefaultStepTimeout = 2 * time.Second

// FlowDatabases are the CRM databases of the flows' database steps. It is
// safe for concurrent use.
type FlowDatabases struct {
	dbs map[string]*flowDB
}

type flowDB struct {
	name    string
	driver  string
	d       *dialect
	db      *sql.DB
	timeout time.Duration

	mu    sync.Mutex
	stmts map[stepKey]hookStatement // translated once per statement
}

// stepKey is what a step's SQL depends on.
type stepKey struct {
	query, procedure string
	params           string // joined
	write            bool
}

// OpenFlowDatabases prepares the pools of the configured databases without
// connecting (a CRM may be down when ccd starts). Errors name the key.
func OpenFlowDatabases(cfgs []config.CRMDatabase, env func(string) (string, bool)) (*FlowDatabases, error) {
	if env == nil {
		env = os.LookupEnv
	}
	f := &FlowDatabases{dbs: map[string]*flowDB{}}
	for i, c := range cfgs {
		key := fmt.Sprintf("acd.databases[%d]", i)
		d, ok := dialects[c.Driver]
		if !ok {
			f.Close()
			return nil, &config.Error{Key: key + ".driver", Problem: "want postgres, mysql, sqlserver or sqlite"}
		}
		dsn := c.DSN
		if c.DSNEnv != "" {
			v, ok := env(c.DSNEnv)
			if !ok || v == "" {
				f.Close()
				return nil, &config.Error{Key: key + ".dsn_env", Problem: "environment variable " + c.DSNEnv + " is not set"}
			}
			dsn = v
		}
		db, err := openDB(c.Driver, dsn)
		if err != nil {
			f.Close()
			return nil, &config.Error{Key: key + ".dsn", Problem: strings.ReplaceAll(err.Error(), dsn, "<dsn>")}
		}
		conns := c.Connections
		if conns == 0 {
			conns = poolSize
		}
		db.SetMaxOpenConns(conns)
		db.SetMaxIdleConns(min(conns, poolIdle))
		db.SetConnMaxIdleTime(poolIdleTime)
		db.SetConnMaxLifetime(poolMaxLifetime)
		timeout := c.Timeout
		if timeout == 0 {
			timeout = DefaultStepTimeout
		}
		f.dbs[c.Name] = &flowDB{name: c.Name, driver: c.Driver, d: d, db: db, timeout: timeout, stmts: map[stepKey]hookStatement{}}
	}
	return f, nil
}

// Close closes every pool.
func (f *FlowDatabases) Close() {
	for _, db := range f.dbs {
		_ = db.db.Close()
	}
}

// Check tells whether a step's SQL is one its database's driver takes: the
// flows call it when they are saved.
func (f *FlowDatabases) Check(step *flow.Database) error {
	db, ok := f.dbs[step.Database]
	if !ok {
		return fmt.Errorf("unknown database %q", step.Database)
	}
	_, err := db.statement(step)
	return err
}

// Run runs a step with the profile's values and returns its answer; it
// returns by the step's timeout (else its database's) even when the
// database hangs.
func (f *FlowDatabases) Run(ctx context.Context, q *flow.Query) flow.QueryResult {
	db, ok := f.dbs[q.Step.Database]
	if !ok {
		return flow.QueryResult{Err: fmt.Errorf("database step: unknown database %q", q.Step.Database)}
	}
	return db.run(ctx, q)
}

func (db *flowDB) statement(step *flow.Database) (hookStatement, error) {
	k := stepKey{step.Query, step.Procedure, strings.Join(step.Params, ","), step.Write}
	db.mu.Lock()
	defer db.mu.Unlock()
	if st, ok := db.stmts[k]; ok {
		return st, nil
	}
	var st hookStatement
	var err error
	if step.Procedure != "" {
		st, err = db.procedure(step)
	} else {
		st.query, st.vars, err = translatePercent(step.Query, db.d)
	}
	if err != nil {
		return hookStatement{}, err
	}
	if len(db.stmts) < 1024 { // flows are edited, not generated: a bound that never bites
		db.stmts[k] = st
	}
	return st, nil
}

// procedure is the call of a routine with the step's fields as its
// arguments, in order.
func (db *flowDB) procedure(step *flow.Database) (hookStatement, error) {
	marks := make([]string, len(step.Params))
	for i := range marks {
		marks[i] = db.d.placeholder(i + 1)
	}
	args := strings.Join(marks, ", ")
	st := hookStatement{vars: step.Params}
	switch db.driver {
	case "postgres":
		st.query = "SELECT * FROM " + step.Procedure + "(" + args + ")" // a FUNCTION
		if step.Write {
			st.query = "CALL " + step.Procedure + "(" + args + ")" // a PROCEDURE
		}
	case "mysql":
		st.query = "CALL " + step.Procedure + "(" + args + ")"
	case "sqlserver":
		st.query = "EXEC " + step.Procedure + " " + args
	default:
		return hookStatement{}, errors.New("SQLite has no stored procedures; use query")
	}
	return st, nil
}

func (db *flowDB) run(ctx context.Context, q *flow.Query) flow.QueryResult {
	st, err := db.statement(q.Step)
	if err != nil {
		return flow.QueryResult{Err: db.errorf("%w", err)}
	}
	args := make([]any, len(st.vars))
	for i, name := range st.vars {
		if v, ok := q.Values[name]; ok {
			args[i] = v
		} // else NULL: an unset field matches nothing
	}
	timeout := q.Step.Timeout
	if timeout <= 0 {
		timeout = db.timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan flow.QueryResult, 1) // buffered: a late answer must not block
	go func() { done <- db.exec(ctx, st, q.Step.Write, args) }()
	select {
	case r := <-done:
		if r.Err != nil && ctx.Err() != nil {
			return flow.QueryResult{Err: db.ctxError(ctx, timeout)}
		}
		if r.Err != nil {
			r.Err = db.errorf("%w", r.Err)
		}
		return r
	case <-ctx.Done():
		return flow.QueryResult{Err: db.ctxError(ctx, timeout)}
	}
}

func (db *flowDB) exec(ctx context.Context, st hookStatement, write bool, args []any) flow.QueryResult {
	if write {
		res, err := db.db.ExecContext(ctx, st.query, args...)
		if err != nil {
			return flow.QueryResult{Err: err}
		}
		n, err := res.RowsAffected()
		if err != nil {
			return flow.QueryResult{Err: err}
		}
		return flow.QueryResult{Found: n > 0}
	}
	r, err := query(ctx, db.db, st.query, args, 1)
	if err != nil {
		return flow.QueryResult{Err: err}
	}
	if len(r.rows) == 0 {
		return flow.QueryResult{}
	}
	return flow.QueryResult{Found: true, Columns: r.rows[0]}
}

func (db *flowDB) ctxError(ctx context.Context, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return db.errorf("timeout after %s: %w", timeout, ctx.Err())
	}
	return db.errorf("%w", ctx.Err())
}

func (db *flowDB) errorf(format string, args ...any) error {
	return fmt.Errorf("database step (%s, %s): "+format, append([]any{db.name, db.driver}, args...)...)
}

// translatePercent rewrites the %Name% fields in the code of a statement
// into the dialect's placeholders and returns the profile field bound to
// each, in order. Literals, quoted identifiers and comments are left as
// written; the driver's own placeholders are refused, as in the hooks.
func translatePercent(q string, d *dialect) (string, []string, error) {
	segs, err := d.split(q)
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	var vars []string
	offset := 0
	for _, s := range segs {
		if !s.code {
			b.WriteString(s.text)
			offset += len(s.text)
			continue
		}
		t := s.text
		var prev byte
		for i := 0; i < len(t); {
			if nat, ok := d.native(t, i, d.isIdent(prev)); ok {
				return "", nil, fmt.Errorf("placeholder %s at offset %d: use %%Name%% fields instead of the driver's own placeholders", nat, offset+i)
			}
			if t[i] == '%' {
				if j := strings.IndexByte(t[i+1:], '%'); j > 0 && flow.ValidFieldName(t[i+1:i+1+j]) {
					vars = append(vars, profileField(t[i+1:i+1+j]))
					b.WriteString(d.placeholder(len(vars)))
					prev, i = 0, i+j+2
					continue
				}
			}
			prev = t[i]
			b.WriteByte(t[i])
			i++
		}
		offset += len(t)
	}
	if strings.TrimSpace(b.String()) == "" {
		return "", nil, errors.New("is blank")
	}
	return b.String(), vars, nil
}

// profileField is the profile field a %Name% names: a fixed field whatever
// its case (%ANI% is ani), else the custom field as written.
func profileField(name string) string {
	for _, f := range flow.FixedFields {
		if strings.EqualFold(f, name) {
			return f
		}
	}
	return name
}
