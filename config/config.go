// Package config loads ccd's configuration: one YAML file whose every key can be
// overridden from the environment, validated once at start-up so that a mistake is
// reported by the name of the key that holds it.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
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
	PBX      PBX      `yaml:"pbx"`
	EventLog EventLog `yaml:"eventlog"`
	ACD      ACD      `yaml:"acd"`
	API      API      `yaml:"api"`
	Stats    Stats    `yaml:"stats"`
}

// Stats configures the quarter-hour statistics.
type Stats struct {
	// Interval is how often the live aggregator reads new events from the log.
	Interval time.Duration `yaml:"interval"`
	// BIUser and BIPassword create a read-only database role for BI tools: it
	// can read schemas stat and bi and nothing else. Empty: no role.
	BIUser     string `yaml:"bi_user"`
	BIPassword string `yaml:"bi_password"`
}

// API holds the credentials of the REST interfaces. There are none by default:
// an interface without credentials configured is switched off.
type API struct {
	// Token is a bearer token for integrations (CRMs, toolbars acting for any
	// agent): Authorization: Bearer <token>.
	Token string `yaml:"token"`
	// TokenTTL is the lifetime of the tokens agents get from /api/v1/login.
	TokenTTL time.Duration `yaml:"token_ttl"`
	// OptimusUser and OptimusPassword are the webServiceUserName/password pair of
	// the Optimus AgentServices interface (legacy clients send them as request
	// parameters). Empty: that interface is off.
	OptimusUser     string `yaml:"optimus_user"`
	OptimusPassword string `yaml:"optimus_password"`
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
		Listen:   "127.0.0.1:8080",
		StateDir: DefaultStateDir(),
		Log:      Log{Level: "info", Format: "text"},
		Database: Database{MaxOpenConns: 10},
		ARI:      ARI{URL: "http://127.0.0.1:8088", Application: "ccd"},
		AMI:      AMI{Addr: "127.0.0.1:5038"},
		PBX:      PBX{InternalNumbers: `^[0-9]{2,6}$`, TimeZone: "Local"},
		EventLog: EventLog{BatchSize: 2000, FlushInterval: 50 * time.Millisecond, MemoryLimit: 100000, MaxEventBytes: 1 << 20, UnreadyAfter: 30 * time.Second},
		ACD:      ACD{RecordingName: "{date}-{queue}-{callid}"},
		API:      API{TokenTTL: 8 * time.Hour},
		Stats:    Stats{Interval: 250 * time.Millisecond},
	}
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
// silently fall back to a default.
func Load(path string, env func(string) (string, bool)) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		if err := decodeYAML(b, &c); err != nil {
			return c, fmt.Errorf("config: %s: %w", path, err)
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

func decodeYAML(b []byte, c *Config) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return err
	}
	return nil
}

// Validate checks every key and returns all problems at once, joined, so a user
// fixes the file in one go.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &Error{Key: key, Problem: fmt.Sprintf(format, args...)})
	}
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
	required("ari.username", c.ARI.Username)
	required("ari.password", c.ARI.Password)
	required("ari.application", c.ARI.Application)
	if _, _, err := net.SplitHostPort(c.AMI.Addr); err != nil {
		bad("ami.addr", "want host:port, got %q", c.AMI.Addr)
	}
	required("ami.username", c.AMI.Username)
	required("ami.secret", c.AMI.Secret)
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
	if c.API.Token != "" && len(c.API.Token) < 16 {
		bad("api.token", "too short: use at least 16 random characters")
	}
	if c.Stats.Interval <= 0 {
		bad("stats.interval", "must be positive, got %s", c.Stats.Interval)
	}
	switch {
	case c.Stats.BIUser != "" && !regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`).MatchString(c.Stats.BIUser):
		bad("stats.bi_user", "want a lower-case PostgreSQL role name (letters, digits, _), got %q", c.Stats.BIUser)
	case c.Stats.BIUser != "" && len(c.Stats.BIPassword) < 12:
		bad("stats.bi_password", "required with stats.bi_user: use at least 12 random characters")
	case c.Stats.BIUser == "" && c.Stats.BIPassword != "":
		bad("stats.bi_user", "is required with stats.bi_password")
	}
	if c.API.TokenTTL <= 0 {
		bad("api.token_ttl", "must be positive, got %s", c.API.TokenTTL)
	}
	if (c.API.OptimusUser == "") != (c.API.OptimusPassword == "") {
		bad("api.optimus_password", "api.optimus_user and api.optimus_password go together")
	}
	c.ACD.validate(bad)
	return errors.Join(errs...)
}

// Location is PBX.TimeZone resolved; Validate has already proven it loads.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.PBX.TimeZone)
	if err != nil {
		return time.Local
	}
	return loc
}
