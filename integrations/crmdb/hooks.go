package crmdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/internal/textcheck"
)

// The SQL hooks' variables, by hook, in the seed's spelling and order: the
// statement's {Name} placeholders, and a stored procedure's parameters.
var hookVars = map[string][]string{
	"agent_login":  {"Username", "Password"},
	"agent_logout": {"LoginDateTime", "LogoutDateTime", "AwayTime", "BusyTime", "OnPhoneTime", "ReadyTime", "AgentId"},
	"call_start":   {"Dnis", "Ani", "CallerIdName", "CallType", "AgentId"},
	"call_end": {"Segment", "TalkTime", "HoldTime", "CallType", "StartDateTime", "ConnectDateTime", "EndDateTime",
		"AgentId", "TrueDuration", "Ani", "Dnis", "CallId"},
}

// Call types of the call hooks.
const (
	CallInbound  = 1
	CallOutbound = 2
)

// maxCallerIDName is the longest CallerIDName the agent login may return.
const maxCallerIDName = 15

// Hooks runs the customer's SQL hooks against the CRM database. It is safe
// for concurrent use.
type Hooks struct {
	driver     string
	db         *sql.DB
	timeout    time.Duration
	retries    int
	retryDelay time.Duration
	stmts      map[string]hookStatement
}

// hookStatement is one hook, ready to run: the SQL and the variable bound to
// each of its parameters (procedure: by name, for SQL Server).
type hookStatement struct {
	query string
	vars  []string
	named bool
}

// OpenHooks prepares the configured hooks; like Open it checks every
// statement and the DSN without connecting. Errors name the key.
func OpenHooks(cfg config.SQLHooks, env func(string) (string, bool)) (*Hooks, error) {
	if env == nil {
		env = os.LookupEnv
	}
	d, ok := dialects[cfg.Driver]
	if !ok {
		return nil, &config.Error{Key: "sql_hooks.driver", Problem: "want postgres, mysql, sqlserver or sqlite"}
	}
	h := &Hooks{driver: cfg.Driver, timeout: cfg.Timeout, retries: cfg.Retries, retryDelay: cfg.RetryDelay, stmts: map[string]hookStatement{}}
	for name, hook := range cfg.Hooks() {
		st, err := prepareHook(cfg.Driver, d, hook, hookVars[name], name == "call_start")
		if err != nil {
			key := "sql_hooks." + name + ".statement"
			if hook.Procedure != "" {
				key = "sql_hooks." + name + ".procedure"
			}
			return nil, &config.Error{Key: key, Problem: err.Error()}
		}
		if st.query != "" {
			h.stmts[name] = st
		}
	}
	dsn := cfg.DSN
	if cfg.DSNEnv != "" {
		v, ok := env(cfg.DSNEnv)
		if !ok || v == "" {
			return nil, &config.Error{Key: "sql_hooks.dsn_env", Problem: "environment variable " + cfg.DSNEnv + " is not set"}
		}
		dsn = v
	}
	db, err := openDB(cfg.Driver, dsn)
	if err != nil {
		return nil, &config.Error{Key: "sql_hooks.dsn", Problem: strings.ReplaceAll(err.Error(), dsn, "<dsn>")}
	}
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolIdle)
	db.SetConnMaxIdleTime(poolIdleTime)
	db.SetConnMaxLifetime(poolMaxLifetime)
	h.db = db
	return h, nil
}

func prepareHook(driver string, d *dialect, hook config.SQLHook, vars []string, urlLiterals bool) (hookStatement, error) {
	switch {
	case hook.Statement != "":
		q, bound, err := translateBraces(hook.Statement, d, vars, urlLiterals)
		return hookStatement{query: q, vars: bound}, err
	case hook.Procedure == "":
		return hookStatement{}, nil
	}
	marks := make([]string, len(vars))
	for i := range vars {
		marks[i] = d.placeholder(i + 1)
	}
	switch driver {
	case "sqlserver": // RPC with the seed's @Name parameters
		return hookStatement{query: hook.Procedure, vars: vars, named: true}, nil
	case "postgres": // a FUNCTION, its parameters in the seed's order
		return hookStatement{query: "SELECT * FROM " + hook.Procedure + "(" + strings.Join(marks, ", ") + ")", vars: vars}, nil
	case "mysql":
		return hookStatement{query: "CALL " + hook.Procedure + "(" + strings.Join(marks, ", ") + ")", vars: vars}, nil
	}
	return hookStatement{}, errors.New("SQLite has no stored procedures; use statement")
}

// Has reports whether the hook name is configured.
func (h *Hooks) Has(name string) bool { _, ok := h.stmts[name]; return ok }

// Close closes the connection pool.
func (h *Hooks) Close() error { return h.db.Close() }

// result is the rows a hook answered, as texts by lower-cased column name;
// NULL is absent.
type result struct {
	rows []map[string]string
}

// run runs a hook once, with the hook's timeout: it returns by then even
// when the database hangs (the statement runs in a goroutine that ends when
// the driver notices the cancelled context). It reads at most maxRows rows.
func (h *Hooks) run(ctx context.Context, name string, values map[string]any, maxRows int) (result, error) {
	st, ok := h.stmts[name]
	if !ok {
		return result{}, fmt.Errorf("sql hook %s: not configured", name)
	}
	args := make([]any, len(st.vars))
	for i, v := range st.vars {
		args[i] = values[v]
		if st.named {
			args[i] = sql.Named(v, values[v])
		}
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	type answer struct {
		r   result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		r, err := query(ctx, h.db, st.query, args, maxRows)
		done <- answer{r, err}
	}()
	select {
	case a := <-done:
		if a.err != nil && ctx.Err() != nil {
			return result{}, fmt.Errorf("sql hook %s (%s): timeout after %s: %w", name, h.driver, h.timeout, ctx.Err())
		}
		if a.err != nil {
			return result{}, fmt.Errorf("sql hook %s (%s): %w", name, h.driver, a.err)
		}
		return a.r, nil
	case <-ctx.Done():
		return result{}, fmt.Errorf("sql hook %s (%s): timeout after %s: %w", name, h.driver, h.timeout, ctx.Err())
	}
}

func query(ctx context.Context, db *sql.DB, q string, args []any, maxRows int) (result, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return result{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return result{}, err
	}
	var r result
	for rows.Next() {
		if len(r.rows) == maxRows {
			r.rows = append(r.rows, nil) // marks "more rows than read"
			break
		}
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return result{}, err
		}
		m := make(map[string]string, len(cols))
		for i, c := range cols {
			if vals[i].Valid {
				m[strings.ToLower(c)] = textcheck.Clean(strings.TrimRight(vals[i].String, " "))
			}
		}
		r.rows = append(r.rows, m)
	}
	return r, rows.Err()
}

// write runs a write hook, again after a failure up to the configured
// retries, RetryDelay apart and doubling; it gives up when ctx ends.
func (h *Hooks) write(ctx context.Context, name string, values map[string]any) error {
	delay := h.retryDelay
	var err error
	for attempt := 0; attempt <= h.retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(delay):
			}
			delay *= 2
		}
		if _, err = h.run(ctx, name, values, 1); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w (after %d attempts)", err, h.retries+1)
}

// Login is the CRM's answer to an agent login.
type Login struct {
	AgentID      string
	CallerID     string
	CallerIDName string         // at most 15 characters
	Skills       map[string]int // AgentSkills: "sales, support:5" (level 1 unless given)
	Extension    string         // PhoneExtension
	Supervisor   bool           // UserLevel 2
	// Problems are what was wrong in the answer but could be used anyway
	// (a long CallerIDName cut, extra rows ignored): for the log.
	Problems []string
}

// ErrLoginRefused: the hook found no row for the username and password.
var ErrLoginRefused = errors.New("sql hook agent_login: no row: wrong username or password")

// AgentLogin runs the Agent Login hook with {Username} and {Password}.
func (h *Hooks) AgentLogin(ctx context.Context, username, password string) (Login, error) {
	r, err := h.run(ctx, "agent_login", map[string]any{"Username": username, "Password": password}, 1)
	if err != nil {
		return Login{}, err
	}
	if len(r.rows) == 0 {
		return Login{}, ErrLoginRefused
	}
	return parseLogin(r)
}

func parseLogin(r result) (Login, error) {
	row := r.rows[0]
	var l Login
	if len(r.rows) > 1 {
		l.Problems = append(l.Problems, "more than one row: the first is used")
	}
	l.AgentID = strings.TrimSpace(row["agentid"])
	if l.AgentID == "" {
		return Login{}, errors.New("sql hook agent_login: AgentId is missing or NULL")
	}
	l.CallerID, l.Extension = row["callerid"], strings.TrimSpace(row["phoneextension"])
	l.CallerIDName = row["calleridname"]
	if utf8.RuneCountInString(l.CallerIDName) > maxCallerIDName {
		l.CallerIDName = string([]rune(l.CallerIDName)[:maxCallerIDName])
		l.Problems = append(l.Problems, fmt.Sprintf("CallerIDName longer than %d characters: cut", maxCallerIDName))
	}
	switch level := strings.TrimSpace(row["userlevel"]); level {
	case "", "1":
	case "2":
		l.Supervisor = true
	default:
		return Login{}, fmt.Errorf("sql hook agent_login: UserLevel %q: want 1 (agent) or 2 (supervisor)", level)
	}
	skills, err := parseSkills(row["agentskills"])
	if err != nil {
		return Login{}, fmt.Errorf("sql hook agent_login: AgentSkills: %w", err)
	}
	l.Skills = skills
	return l, nil
}

// parseSkills reads a comma-separated skill list; a skill may carry a
// level, "sales:5" (1..10; 1 when none).
func parseSkills(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, level := part, 1
		if n, l, ok := strings.Cut(part, ":"); ok {
			v, err := strconv.Atoi(strings.TrimSpace(l))
			if err != nil || v < 1 || v > 10 {
				return nil, fmt.Errorf("skill %q: want name or name:level (1..10)", part)
			}
			name, level = strings.TrimSpace(n), v
		}
		out[name] = level
	}
	return out, nil
}

// Logout is what the Agent Logout hook gets. Times are whole seconds.
type Logout struct {
	AgentID                    string
	LoginAt, LogoutAt          time.Time
	Away, Busy, OnPhone, Ready int64
}

// AgentLogout runs the Agent Logout hook, with retries.
func (h *Hooks) AgentLogout(ctx context.Context, l Logout) error {
	return h.write(ctx, "agent_logout", map[string]any{
		"LoginDateTime": l.LoginAt, "LogoutDateTime": l.LogoutAt, "AwayTime": l.Away, "BusyTime": l.Busy,
		"OnPhoneTime": l.OnPhone, "ReadyTime": l.Ready, "AgentId": l.AgentID,
	})
}

// CallStart is what the Call Start hook gets.
type CallStart struct {
	Dnis, Ani, CallerIDName string
	CallType                int
	AgentID                 string // outbound calls; "0" for inbound, as the seed says
}

// CallData is the CRM's answer to Call Start: what ccd does with the call.
type CallData struct {
	URL                   string   `json:"url,omitempty"` // a screen pop, its {…} replaced (URL-encoded)
	CallID                string   `json:"crm_call_id,omitempty"`
	Record                bool     `json:"record,omitempty"` // Record = Y
	DefaultTransferNumber string   `json:"default_transfer_number,omitempty"`
	Skills                []string `json:"skills,omitempty"`
	CustomData            string   `json:"custom_data,omitempty"`
	Problems              []string `json:"-"`
}

// CallStart runs the Call Start hook once (no retries: its answer is for
// the call now). A statement that returns no row (an INSERT) answers an
// empty CallData.
func (h *Hooks) CallStart(ctx context.Context, c CallStart, callID string) (CallData, error) {
	if c.AgentID == "" {
		c.AgentID = "0"
	}
	values := map[string]any{"Dnis": c.Dnis, "Ani": c.Ani, "CallerIdName": c.CallerIDName, "CallType": c.CallType, "AgentId": c.AgentID}
	r, err := h.run(ctx, "call_start", values, 1)
	if err != nil || len(r.rows) == 0 {
		return CallData{}, err
	}
	row := r.rows[0]
	var d CallData
	if len(r.rows) > 1 {
		d.Problems = append(d.Problems, "more than one row: the first is used")
	}
	d.CallID = strings.TrimSpace(row["callid"])
	if d.CallID == "" {
		d.CallID = callID
	}
	d.Record = strings.EqualFold(strings.TrimSpace(row["record"]), "Y")
	d.DefaultTransferNumber = strings.TrimSpace(row["defaulttransfernumber"])
	d.CustomData = row["customdata"]
	for _, s := range strings.Split(row["skills"], ",") {
		if s = strings.TrimSpace(s); s != "" {
			d.Skills = append(d.Skills, s)
		}
	}
	if u := strings.TrimSpace(row["url"]); u != "" {
		d.URL = replaceURL(u, map[string]string{"Dnis": c.Dnis, "Ani": c.Ani, "CallerIdName": c.CallerIDName,
			"CallId": d.CallID, "CallType": strconv.Itoa(c.CallType), "AgentId": c.AgentID})
	}
	return d, nil
}

// replaceURL fills the {Name} variables of the CRM's URL, case-insensitive,
// URL-encoded; unknown ones stay as they are.
func replaceURL(u string, values map[string]string) string {
	for name, v := range values {
		for {
			i := strings.Index(strings.ToUpper(u), "{"+strings.ToUpper(name)+"}")
			if i < 0 {
				break
			}
			u = u[:i] + url.QueryEscape(v) + u[i+len(name)+2:]
		}
	}
	return u
}

// CallEnd is what the Call End hook gets. Times are whole seconds;
// ConnectAt is zero (NULL) for a call nobody answered.
type CallEnd struct {
	Segment, TalkTime, HoldTime, TrueDuration int64
	CallType                                  int
	StartAt, ConnectAt, EndAt                 time.Time
	AgentID, Ani, Dnis, CallID                string
}

// CallEnd runs the Call End hook, with retries.
func (h *Hooks) CallEnd(ctx context.Context, c CallEnd) error {
	var connect any
	if !c.ConnectAt.IsZero() {
		connect = c.ConnectAt
	}
	return h.write(ctx, "call_end", map[string]any{
		"Segment": c.Segment, "TalkTime": c.TalkTime, "HoldTime": c.HoldTime, "CallType": c.CallType,
		"StartDateTime": c.StartAt, "ConnectDateTime": connect, "EndDateTime": c.EndAt, "AgentId": c.AgentID,
		"TrueDuration": c.TrueDuration, "Ani": c.Ani, "Dnis": c.Dnis, "CallId": c.CallID,
	})
}
