package config

import (
	"regexp"
	"strings"
	"time"
)

// SQLHooks are the customer's statements (or stored procedures) that ccd
// runs against a CRM database at agent login and logout and at the start and
// end of calls. Their {Name} variables are always bound as parameters.
type SQLHooks struct {
	Driver string `yaml:"driver"` // postgres, mysql, sqlserver, sqlite
	// DSN is the driver's connection string; DSNEnv names an environment
	// variable holding it instead, so that a password need not be in the file.
	DSN    string `yaml:"dsn"`
	DSNEnv string `yaml:"dsn_env"`
	// Timeout bounds one run of a hook: a CRM that hangs is given up on.
	Timeout time.Duration `yaml:"timeout"`
	// Retries are the further attempts of the write hooks (logout, call
	// end) after a failure, RetryDelay apart (doubling each time).
	Retries    int           `yaml:"retries"`
	RetryDelay time.Duration `yaml:"retry_delay"`

	AgentLogin  SQLHook `yaml:"agent_login"`
	AgentLogout SQLHook `yaml:"agent_logout"`
	CallStart   SQLHook `yaml:"call_start"`
	CallEnd     SQLHook `yaml:"call_end"`
}

// SQLHook is one hook: a statement, or the name of a stored procedure that
// gets the hook's variables as its parameters.
type SQLHook struct {
	Statement string `yaml:"statement" check:"text"` // SQL: line breaks and tabs belong
	Procedure string `yaml:"procedure"`
}

// Configured reports whether the hook is set.
func (h SQLHook) Configured() bool { return h.Statement != "" || h.Procedure != "" }

// Hooks are the four hooks by their key.
func (s *SQLHooks) Hooks() map[string]SQLHook {
	return map[string]SQLHook{"agent_login": s.AgentLogin, "agent_logout": s.AgentLogout, "call_start": s.CallStart, "call_end": s.CallEnd}
}

// Enabled reports whether any hook is configured.
func (s *SQLHooks) Enabled() bool {
	for _, h := range s.Hooks() {
		if h.Configured() {
			return true
		}
	}
	return false
}

func defaultSQLHooks() SQLHooks {
	return SQLHooks{Timeout: 3 * time.Second, Retries: 3, RetryDelay: time.Second}
}

var procedureName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)

func (s *SQLHooks) validate(bad func(key, format string, args ...any)) {
	if s.Timeout <= 0 || s.Timeout > time.Minute {
		bad("sql_hooks.timeout", "want 1ms..1m, got %s", s.Timeout)
	}
	if s.Retries < 0 || s.Retries > 10 {
		bad("sql_hooks.retries", "want 0..10, got %d", s.Retries)
	}
	if s.RetryDelay <= 0 {
		bad("sql_hooks.retry_delay", "must be positive, got %s", s.RetryDelay)
	}
	if !s.Enabled() {
		return
	}
	switch s.Driver {
	case "postgres", "mysql", "sqlserver", "sqlite":
	default:
		bad("sql_hooks.driver", "want postgres, mysql, sqlserver or sqlite, got %q", s.Driver)
	}
	if (s.DSN == "") == (s.DSNEnv == "") {
		bad("sql_hooks.dsn", "set either dsn or dsn_env")
	}
	for name, h := range s.Hooks() {
		key := "sql_hooks." + name
		switch {
		case h.Statement != "" && h.Procedure != "":
			bad(key, "set either statement or procedure, not both")
		case h.Procedure != "" && !procedureName.MatchString(h.Procedure):
			bad(key+".procedure", "want a routine name (letters, digits, _; schema.name), got %q", h.Procedure)
		case h.Procedure != "" && s.Driver == "sqlite":
			bad(key+".procedure", "SQLite has no stored procedures; use statement")
		case h.Statement != "" && strings.TrimSpace(h.Statement) == "":
			bad(key+".statement", "is blank")
		}
	}
}
