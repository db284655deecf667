package config

import (
	"regexp"
	"time"
)

// CRMSQL configures the database role a CRM logs in with to use the Optimus
// dialer's SQL interface (dialer.inserttargettocampaign, ...): it may run
// those functions and nothing else. There is no default: without a user and
// a password there is no role.
type CRMSQL struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	// StatementTimeout is the role's default statement_timeout.
	StatementTimeout time.Duration `yaml:"statement_timeout"`
	// ConnectionLimit bounds the role's concurrent sessions.
	ConnectionLimit int `yaml:"connection_limit"`
}

// DefaultCRMSQL has no role, and the BI role's limits.
func DefaultCRMSQL() CRMSQL { return CRMSQL{StatementTimeout: time.Minute, ConnectionLimit: 5} }

var roleName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

func (c *Config) validateCRMSQL(bad func(key, format string, args ...any)) {
	s := c.CRMSQL
	switch {
	case s.User != "" && !roleName.MatchString(s.User):
		bad("crm_sql.user", "want a lower-case PostgreSQL role name (letters, digits, _), got %q", s.User)
	case s.User != "" && s.Password == "":
		bad("crm_sql.password", "required with crm_sql.user: use at least %d random characters", MinSecretLength)
	case s.User == "" && s.Password != "":
		bad("crm_sql.user", "is required with crm_sql.password")
	case s.User != "" && s.User == c.Stats.BIUser:
		bad("crm_sql.user", "must differ from stats.bi_user: the BI role is read-only, the CRM's writes targets")
	}
	if s.StatementTimeout < time.Millisecond {
		bad("crm_sql.statement_timeout", "must be at least 1ms, got %s", s.StatementTimeout)
	}
	if s.ConnectionLimit < 1 {
		bad("crm_sql.connection_limit", "must be at least 1, got %d", s.ConnectionLimit)
	}
}
