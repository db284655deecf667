// Package config loads ccd's configuration: one YAML file whose every key can be
// overridden from the environment, validated once at start-up so that a mistake is
// reported by the name of the key that holds it.
package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// Config is the whole of ccd's configuration. The yaml tags are also the source of
// the environment names: database.url is CCD_DATABASE_URL.
type Config struct {
	// Listen is the address of the HTTP server (REST, /healthz, /readyz, /metrics).
	Listen string `yaml:"listen"`
	// StateDir holds what ccd keeps on local disk: the event spill file and, when
	// no database URL is given, the local PostgreSQL cluster.
	StateDir string   `yaml:"state_dir"`
	Log      Log      `yaml:"log"`
	Database Database `yaml:"database"`
	ARI      ARI      `yaml:"ari"`
	AMI      AMI      `yaml:"ami"`
	// Nodes lists the Asterisk nodes, each with its ari and ami blocks,
	// instead of the top-level ari and ami (config/nodes.go).
	Nodes    []Node   `yaml:"nodes"`
	PBX      PBX      `yaml:"pbx"`
	EventLog EventLog `yaml:"eventlog"`
	ACD      ACD      `yaml:"acd"`
	API      API      `yaml:"api"`
	Stats    Stats    `yaml:"stats"`
	Webhooks Webhooks `yaml:"webhooks"`
	SQLHooks SQLHooks `yaml:"sql_hooks"`
	// Recordings: where the call recordings are, and their retention
	// (config/recordings.go).
	Recordings Recordings `yaml:"recordings"`
	// Callbacks: call-me-back (config/callbacks.go).
	Callbacks Callbacks `yaml:"callbacks"`
	// CRMSQL: the CRM's database role for the dialer's SQL interface
	// (config/crmsql.go).
	CRMSQL CRMSQL `yaml:"crm_sql"`
	// ClickToCall: calls started over the API (config/clicktocall.go).
	ClickToCall ClickToCall `yaml:"click_to_call"`
	// ExternalSites: CRM interactions per call (config/extsites.go).
	ExternalSites ExternalSites `yaml:"external_sites"`
	// Dialer: how outbound campaigns place their calls (config/dialer.go).
	Dialer Dialer `yaml:"dialer"`
	// UI is the web interface (ui.wallboard thresholds).
	UI UI `yaml:"ui"`
	// Roles are the parts this instance runs (config/roles.go); empty:
	// all of them.
	Roles   []string `yaml:"roles"`
	Toolbar Toolbar  `yaml:"toolbar"`
}

// Stats configures the quarter-hour statistics.
type Stats struct {
	// Interval is how often the live aggregator reads new events from the log.
	Interval time.Duration `yaml:"interval"`
	// BIUser and BIPassword create a read-only database role for BI tools: it
	// can read schemas stat and bi and nothing else. Empty: no role.
	BIUser     string `yaml:"bi_user"`
	BIPassword string `yaml:"bi_password"`
	// BIStatementTimeout is the BI role's default statement_timeout: a report
	// left running cannot hold the database for longer.
	BIStatementTimeout time.Duration `yaml:"bi_statement_timeout"`
	// BIConnectionLimit bounds the BI role's concurrent sessions.
	BIConnectionLimit int `yaml:"bi_connection_limit"`
}

// API holds the credentials of the REST interfaces. There are none by default:
// an interface without credentials configured is switched off.
type API struct {
	// Token is a bearer token for integrations (CRMs, toolbars acting for any
	// agent): Authorization: Bearer <token>.
	Token string `yaml:"token"`
	// AdminToken is a bearer token for administrators: the admin API
	// (/api/admin/...) that changes queues, agents, groups, routes and
	// activities while ccd runs, besides everything the integration token
	// may do. Empty: the admin API is off.
	AdminToken string `yaml:"admin_token"`
	// SupervisorToken is a bearer token for supervisors: the real-time
	// views, the statistics, the recordings and the callbacks, without
	// acting for agents. Empty: no supervisor credential.
	SupervisorToken string `yaml:"supervisor_token"`
	// TokenTTL is the lifetime of the tokens agents get from /api/v1/login.
	TokenTTL time.Duration `yaml:"token_ttl"`
	// OptimusUser and OptimusPassword are the webServiceUserName/password pair of
	// the Optimus AgentServices interface (legacy clients send them as request
	// parameters). Empty: that interface is off.
	OptimusUser     string `yaml:"optimus_user"`
	OptimusPassword string `yaml:"optimus_password"`
	// FlexfoneAccount and FlexfoneHash are the account/hash pair of the
	// Flexfone variable call flow interface (sent as query parameters, as
	// Flexfone's API takes them). Empty: that interface is off.
	FlexfoneAccount string `yaml:"flexfone_account"`
	FlexfoneHash    string `yaml:"flexfone_hash"`
	// MaxBodyBytes bounds every request body; a larger one is refused (413)
	// before it is read, so a flood of huge bodies cannot grow ccd's memory.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ReadHeaderTimeout and ReadTimeout bound how long a client may take to
	// send its request headers and its whole request; a body sent a byte at
	// a time is cut off.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	// WriteTimeout is the longest an answer may go without progress: each
	// write extends it, so a large statistics export that keeps streaming is
	// never cut, while a client that stops reading is.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout closes keep-alive connections that send nothing.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// TLSCertFile and TLSKeyFile (PEM) make ccd serve HTTPS; both or neither.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// SoftphoneURL is the WebSocket address of Asterisk's PJSIP transport
	// (wss://pbx.example.com:8089/ws) the web interface's softphone
	// registers at; "" leaves the softphone out of the agent console.
	SoftphoneURL string `yaml:"softphone_url"`
	// MaxSessions bounds the agent tokens held at once; the oldest go first.
	MaxSessions int `yaml:"max_sessions"`
	// LoginMaxFailures failed password checks within LoginWindow, for one user
	// or from one client address, make further attempts wait (429) until the
	// window ends.
	LoginMaxFailures int           `yaml:"login_max_failures"`
	LoginWindow      time.Duration `yaml:"login_window"`
}

// Log selects the slog handler.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Database is the PostgreSQL that holds the event log and the statistics.
type Database struct {
	// URL is a lib/pq connection string. Empty means: start a private cluster
	// under StateDir (needs PostgreSQL's server binaries installed).
	URL string `yaml:"url"`
	// MaxOpenConns bounds the pool.
	MaxOpenConns int `yaml:"max_open_conns"`
}

// ARI is the Asterisk REST Interface link.
type ARI struct {
	URL         string `yaml:"url"`
	Username    string `yaml:"username"`
	Password    string `yaml:"password"`
	Application string `yaml:"application"`
	// RESTOverWebSocket sends ccd's REST requests to Asterisk on the event
	// websocket (Asterisk 22.3 and later; an older one is detected and keeps
	// HTTP).
	RESTOverWebSocket bool `yaml:"rest_over_websocket"`
}

// AMI is the Asterisk Manager Interface link.
type AMI struct {
	Addr     string `yaml:"addr"`
	Username string `yaml:"username"`
	Secret   string `yaml:"secret"`
}

// PBX describes the dial plan well enough to classify calls ccd only observes.
type PBX struct {
	// InternalNumbers matches the numbers of extensions on this PBX; every other
	// number is external. Calls between two internal numbers are internal.
	InternalNumbers string `yaml:"internal_numbers"`
	// TimeZone is the zone of the call center (quarter-hours, days, reports).
	TimeZone string `yaml:"time_zone"`
}

// EventLog tunes the writer between the event producers and PostgreSQL.
type EventLog struct {
	BatchSize     int           `yaml:"batch_size"`
	FlushInterval time.Duration `yaml:"flush_interval"`
	// MemoryLimit is how many unwritten events are kept in memory while the
	// database is unreachable before they are spilled to a file under StateDir.
	MemoryLimit int `yaml:"memory_limit"`
	// MaxEventBytes bounds one event (payload and texts together): a bigger one
	// is put in the quarantine instead of the log.
	MaxEventBytes int `yaml:"max_event_bytes"`
	// UnreadyAfter is how long writes to the database may fail before /readyz
	// reports the event log as not ready.
	UnreadyAfter time.Duration `yaml:"unready_after"`
}

// Bounds of eventlog.max_event_bytes: below, ordinary events would not fit;
// above, one event would be a statement of its own that PostgreSQL may refuse.
const (
	minEventBytes = 4 << 10
	maxEventBytes = 64 << 20
)

// Default returns a configuration with every optional key set. Secrets are empty on
// purpose: ccd has no default credentials.
func Default() Config {
	return Config{
		Listen:        "127.0.0.1:8080",
		StateDir:      DefaultStateDir(),
		Log:           Log{Level: "info", Format: "text"},
		Database:      Database{MaxOpenConns: 10},
		ARI:           ARI{URL: "http://127.0.0.1:8088", Application: "ccd"},
		AMI:           AMI{Addr: "127.0.0.1:5038"},
		PBX:           PBX{InternalNumbers: `^[0-9]{2,6}$`, TimeZone: "Local"},
		EventLog:      EventLog{BatchSize: 2000, FlushInterval: 50 * time.Millisecond, MemoryLimit: 100000, MaxEventBytes: 1 << 20, UnreadyAfter: 30 * time.Second},
		ACD:           ACD{RecordingName: "{date}-{queue}-{callid}"},
		API:           defaultAPI(),
		Stats:         Stats{Interval: 250 * time.Millisecond, BIStatementTimeout: time.Minute, BIConnectionLimit: 5},
		Webhooks:      defaultWebhooks(),
		SQLHooks:      defaultSQLHooks(),
		Recordings:    DefaultRecordings(),
		Callbacks:     DefaultCallbacks(),
		CRMSQL:        DefaultCRMSQL(),
		Toolbar:       defaultToolbar(),
		ClickToCall:   DefaultClickToCall(),
		ExternalSites: ExternalSites{Timeout: 5 * time.Second},
		Dialer:        DefaultDialer(),
		UI:            UI{Wallboard: DefaultWallboard(), Refresh: time.Second},
	}
}

// defaultAPI has room for a month's statistics export: write_timeout is the
// longest an answer may stall, not its whole duration.
func defaultAPI() API {
	return API{TokenTTL: 8 * time.Hour, MaxBodyBytes: 1 << 20, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxSessions: 10000, LoginMaxFailures: 10, LoginWindow: 5 * time.Minute}
}

// DefaultStateDir is /var/lib/ccd for root (a system daemon) and the XDG state
// directory for everybody else.
func DefaultStateDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/ccd"
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "ccd")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "ccd")
	}
	return "var"
}

// Error is a configuration problem tied to one key.
type Error struct {
	Key     string // dotted YAML path, e.g. ari.password
	Problem string
}

func (e *Error) Error() string {
	return fmt.Sprintf("config: %s (env %s): %s", e.Key, EnvName(e.Key), e.Problem)
}

// EnvName is the environment variable that overrides a dotted key.
func EnvName(key string) string {
	return "CCD_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Load reads path (which may be empty: defaults and environment only), applies
// environment overrides and validates. Unknown YAML keys are errors: a typo must not
// silently fall back to a default. Mistakes in the file are *FileErrors, all of
// them joined, each with its line and key path.
func Load(path string, env func(string) (string, bool)) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		if err := decodeFile(path, b, &c); err != nil {
			return c, err
		}
	}
	if env == nil {
		env = os.LookupEnv
	}
	if err := applyEnv(&c, env); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Validate checks every key and returns all problems at once, joined, so a user
// fixes the file in one go.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &Error{Key: key, Problem: fmt.Sprintf(format, args...)})
	}
	bad = c.resolveNodes(bad)
	required := func(key, v string) {
		if strings.TrimSpace(v) == "" {
			bad(key, "is required")
		}
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "want host:port, got %q", c.Listen)
	}
	required("state_dir", c.StateDir)
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "want debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "want text or json, got %q", c.Log.Format)
	}
	if c.Database.URL != "" {
		if u, err := url.Parse(c.Database.URL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql" && !strings.Contains(c.Database.URL, "=")) {
			bad("database.url", "want a postgres:// URL or a key=value connection string")
		}
	}
	if c.Database.MaxOpenConns < 1 {
		bad("database.max_open_conns", "must be at least 1, got %d", c.Database.MaxOpenConns)
	}
	if u, err := url.Parse(c.ARI.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("ari.url", "want http(s)://host:port, got %q", c.ARI.URL)
	}
	if c.Runs(RoleACD) {
		required("ari.username", c.ARI.Username)
	}
	required("ari.application", c.ARI.Application)
	if _, _, err := net.SplitHostPort(c.AMI.Addr); err != nil {
		bad("ami.addr", "want host:port, got %q", c.AMI.Addr)
	}
	if c.Runs(RoleObserver) {
		required("ami.username", c.AMI.Username)
	}
	if _, err := regexp.Compile(c.PBX.InternalNumbers); err != nil {
		bad("pbx.internal_numbers", "not a regular expression: %v", err)
	}
	if _, err := time.LoadLocation(c.PBX.TimeZone); err != nil {
		bad("pbx.time_zone", "unknown time zone %q", c.PBX.TimeZone)
	}
	if c.EventLog.BatchSize < 1 {
		bad("eventlog.batch_size", "must be at least 1, got %d", c.EventLog.BatchSize)
	}
	if c.EventLog.FlushInterval <= 0 {
		bad("eventlog.flush_interval", "must be positive, got %s", c.EventLog.FlushInterval)
	}
	if c.EventLog.MemoryLimit < c.EventLog.BatchSize {
		bad("eventlog.memory_limit", "must be at least eventlog.batch_size (%d), got %d", c.EventLog.BatchSize, c.EventLog.MemoryLimit)
	}
	if c.EventLog.MaxEventBytes < minEventBytes || c.EventLog.MaxEventBytes > maxEventBytes {
		bad("eventlog.max_event_bytes", "must be between %d and %d, got %d", minEventBytes, maxEventBytes, c.EventLog.MaxEventBytes)
	}
	if c.EventLog.UnreadyAfter <= 0 {
		bad("eventlog.unready_after", "must be positive, got %s", c.EventLog.UnreadyAfter)
	}
	if c.Stats.Interval <= 0 {
		bad("stats.interval", "must be positive, got %s", c.Stats.Interval)
	}
	switch {
	case c.Stats.BIUser != "" && !regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`).MatchString(c.Stats.BIUser):
		bad("stats.bi_user", "want a lower-case PostgreSQL role name (letters, digits, _), got %q", c.Stats.BIUser)
	case c.Stats.BIUser != "" && c.Stats.BIPassword == "":
		bad("stats.bi_password", "required with stats.bi_user: use at least %d random characters", MinSecretLength)
	case c.Stats.BIUser == "" && c.Stats.BIPassword != "":
		bad("stats.bi_user", "is required with stats.bi_password")
	}
	if c.Stats.BIStatementTimeout < time.Millisecond {
		bad("stats.bi_statement_timeout", "must be at least 1ms, got %s", c.Stats.BIStatementTimeout)
	}
	if c.Stats.BIConnectionLimit < 1 {
		bad("stats.bi_connection_limit", "must be at least 1, got %d", c.Stats.BIConnectionLimit)
	}
	if c.API.TokenTTL <= 0 {
		bad("api.token_ttl", "must be positive, got %s", c.API.TokenTTL)
	}
	if (c.API.OptimusUser == "") != (c.API.OptimusPassword == "") {
		bad("api.optimus_password", "api.optimus_user and api.optimus_password go together")
	}
	if (c.API.FlexfoneAccount == "") != (c.API.FlexfoneHash == "") {
		bad("api.flexfone_hash", "api.flexfone_account and api.flexfone_hash go together")
	}
	c.API.validate(bad)
	c.Webhooks.validate(bad)
	c.SQLHooks.validate(bad)
	if c.API.AdminToken != "" && c.API.AdminToken == c.API.Token {
		bad("api.admin_token", "must differ from api.token: each token is one principal")
	}
	if s := c.API.SupervisorToken; s != "" && (s == c.API.Token || s == c.API.AdminToken) {
		bad("api.supervisor_token", "must differ from api.token and api.admin_token: each token is one principal")
	}
	c.validateRoles(bad)
	c.validateSecrets(bad)
	c.ACD.validate(bad)
	c.Recordings.validate(bad)
	c.Callbacks.validate(bad)
	c.validateCRMSQL(bad)
	c.Toolbar.validate(bad)
	c.ClickToCall.validate(bad)
	c.ExternalSites.validate(bad)
	c.Dialer.validate(bad)
	c.UI.Wallboard.validate(bad)
	if c.UI.Refresh < 100*time.Millisecond || c.UI.Refresh > 24*time.Hour {
		bad("ui.refresh", "want 100ms to 24h, got %s", c.UI.Refresh)
	}
	validateTexts(reflect.ValueOf(c).Elem(), "", false, bad)
	return errors.Join(errs...)
}

// validate checks the limits and the TLS files of the HTTP server.
func (a *API) validate(bad func(key, format string, args ...any)) {
	if a.MaxBodyBytes < 1024 {
		bad("api.max_body_bytes", "must be at least 1024, got %d", a.MaxBodyBytes)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"api.read_header_timeout", a.ReadHeaderTimeout}, {"api.read_timeout", a.ReadTimeout},
		{"api.write_timeout", a.WriteTimeout}, {"api.idle_timeout", a.IdleTimeout}, {"api.login_window", a.LoginWindow}} {
		if d.v <= 0 {
			bad(d.key, "must be positive, got %s", d.v)
		}
	}
	if a.MaxSessions < 1 {
		bad("api.max_sessions", "must be at least 1, got %d", a.MaxSessions)
	}
	if a.LoginMaxFailures < 1 {
		bad("api.login_max_failures", "must be at least 1, got %d", a.LoginMaxFailures)
	}
	if a.SoftphoneURL != "" {
		if u, err := url.Parse(a.SoftphoneURL); err != nil || (u.Scheme != "wss" && u.Scheme != "ws") || u.Host == "" {
			bad("api.softphone_url", "want a WebSocket URL such as wss://pbx.example.com:8089/ws, got %q", a.SoftphoneURL)
		}
	}
	switch {
	case a.TLSCertFile == "" && a.TLSKeyFile == "":
	case a.TLSCertFile == "":
		bad("api.tls_cert_file", "is required with api.tls_key_file")
	case a.TLSKeyFile == "":
		bad("api.tls_key_file", "is required with api.tls_cert_file")
	default:
		a.validateTLSFiles(bad)
	}
}

// validateTLSFiles reads the certificate and key as the server will, so that a
// wrong path or a mismatched pair stops the start naming the key.
func (a *API) validateTLSFiles(bad func(key, format string, args ...any)) {
	readable := true
	for _, f := range []struct{ key, path string }{{"api.tls_cert_file", a.TLSCertFile}, {"api.tls_key_file", a.TLSKeyFile}} {
		if _, err := os.ReadFile(f.path); err != nil {
			bad(f.key, "cannot be read: %v", err)
			readable = false
		}
	}
	if !readable {
		return
	}
	if _, err := tls.LoadX509KeyPair(a.TLSCertFile, a.TLSKeyFile); err != nil {
		bad("api.tls_cert_file", "not a PEM certificate matching api.tls_key_file: %v", err)
	}
}

// Location is PBX.TimeZone resolved; Validate has already proven it loads.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.PBX.TimeZone)
	if err != nil {
		return time.Local
	}
	return loc
}
