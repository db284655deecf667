package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ccdhq/ccd/acd/endpoints"
	"github.com/ccdhq/ccd/flow"
)

// ACD is the contact-center part of the configuration: queues, agents, groups and
// the routes that bring calls to queues. Lists cannot be overridden from the
// environment; they live in the file.
type ACD struct {
	// DefaultExtension receives calls that match no route (counted as Tran2Def).
	DefaultExtension string       `yaml:"default_extension"`
	Routes           []Route      `yaml:"routes"`
	Queues           []Queue      `yaml:"queues"`
	Agents           []Agent      `yaml:"agents"`
	Groups           []AgentGroup `yaml:"groups"`
	// Activities are the not-ready (pause) codes agents choose from, with
	// the names toolbars and reports show.
	Activities []Activity `yaml:"activities"`
	// RecordingName is the file name pattern of call recordings, with {date},
	// {time}, {queue}, {callid}, {agent}, {clid} and {dnis}.
	RecordingName string `yaml:"recording_name"`
	// ExtensionEndpoint turns an extension number given at login (Optimus LOGIN
	// sends ExtensionNumber) into an endpoint: {extension} is replaced. Default
	// PJSIP/{extension}.
	ExtensionEndpoint string `yaml:"extension_endpoint"`
	// Extensions lists the extension numbers any agent may log in at besides
	// its own endpoints (hot desks): "1000-1999,2100". Empty: none. The
	// integration token is not bound by it.
	Extensions string `yaml:"extensions"`
	// TransferContext is the dialplan context where callers sent out of ccd
	// (transfer or overflow to a number, the default extension) continue.
	// Empty: the context they entered Stasis() from, which loops back into ccd
	// when that context sends every number to Stasis().
	TransferContext string `yaml:"transfer_context"`
	// Flows are the call flows routes send callers to (IVR menus, time
	// conditions, switches, identification, HTTP modules), and Switches the
	// day/night switches their switch nodes read.
	Flows    []flow.Flow   `yaml:"flows"`
	Switches []flow.Switch `yaml:"switches"`
	// Databases are the CRM databases the flows' database steps name
	// (Mitel's database connections). They are read from the file only:
	// their connection strings stay out of the live configuration.
	Databases []CRMDatabase `yaml:"databases"`
}

// CRMDatabase is a named connection to a customer database.
type CRMDatabase struct {
	Name   string `yaml:"name"`
	Driver string `yaml:"driver"` // postgres, mysql, sqlserver, sqlite
	// DSN is the driver's connection string; DSNEnv names an environment
	// variable holding it instead, so that a password need not be in the file.
	DSN    string `yaml:"dsn"`
	DSNEnv string `yaml:"dsn_env"`
	// Timeout bounds one step (0 means 2s); a step may set a shorter or
	// longer one. Connections bounds the pool (0 means 4).
	Timeout     time.Duration `yaml:"timeout"`
	Connections int           `yaml:"connections"`
}

// Route sends calls for a dialled number (DNIS) to a queue.
type Route struct {
	// DNIS is the dialled number, or a regular expression when it starts with ^.
	DNIS  string `yaml:"dnis"`
	Queue string `yaml:"queue"`
	// Flow sends the caller to a call flow instead of a queue.
	Flow     string `yaml:"flow"`
	Priority int    `yaml:"priority"` // 1 (highest) .. 9; 0 means 5
	Greeting string `yaml:"greeting"` // ARI media URI played on entry, e.g. sound:welcome
	// Lookup asks a customer database for the queue, priority and attach data
	// (Optimus OPTIMUS_GET_ROUTING_INFO or a SELECT); Queue is then the fallback.
	Lookup *RouteLookup `yaml:"lookup"`
}

// RouteLookup is the external-database routing step of a route.
type RouteLookup struct {
	Driver string `yaml:"driver"` // postgres, mysql, sqlserver, sqlite
	// DSN is the driver's connection string; DSNEnv names an environment variable
	// holding it instead, so that a password need not be in the file.
	DSN    string `yaml:"dsn"`
	DSNEnv string `yaml:"dsn_env"`
	// Procedure calls OPTIMUS_GET_ROUTING_INFO; otherwise Query is run, with
	// $CLID, $DNIS and $ATTACHDATA sent as bound parameters.
	Procedure bool          `yaml:"procedure"`
	Query     string        `yaml:"query" check:"text"` // SQL: line breaks and tabs belong
	Timeout   time.Duration `yaml:"timeout"`            // 0 means 2s; past it the route's queue is used
}

// Queue is one ACD queue.
type Queue struct {
	Code            string         `yaml:"code"`
	Name            string         `yaml:"name"`
	Skills          map[string]int `yaml:"skills"` // required skill -> minimum level 1..10
	Groups          []string       `yaml:"groups"`
	Strategy        string         `yaml:"strategy"` // longest_idle (default), skill_level, weighted
	RingTimeout     time.Duration  `yaml:"ring_timeout"`
	WrapUp          time.Duration  `yaml:"wrap_up"`
	MaxWaiting      int            `yaml:"max_waiting"`
	ServiceLevel    time.Duration  `yaml:"service_level"`
	AnnounceEvery   time.Duration  `yaml:"announce_every"`
	MOHClass        string         `yaml:"moh_class"`
	Greeting        string         `yaml:"greeting"`
	Record          bool           `yaml:"record"`
	FullDestination string         `yaml:"full_destination"`
	Overflow        []Overflow     `yaml:"overflow"`
	// ScreenPop are up to three URL templates popped on the agent's desktop
	// when a call of this queue is offered (integrations/screenpop); none:
	// toolbar.screen_pop, the system defaults.
	ScreenPop []string `yaml:"screen_pop"`
	// ScreenPopFetch makes ccd GET this queue's screen pop URLs itself, once
	// per offer, for CRMs that take the pop as a request.
	ScreenPopFetch bool `yaml:"screen_pop_fetch"`
}

// Overflow is one overflow rule of a queue: one trigger and one target.
type Overflow struct {
	AfterWait        time.Duration `yaml:"after_wait"`
	PositionAbove    int           `yaml:"position_above"`
	NoAgentsLoggedIn bool          `yaml:"no_agents_logged_in"`
	ToQueue          string        `yaml:"to_queue"`
	Expand           bool          `yaml:"expand"` // search expansion: keep waiting here too
	ToNumber         string        `yaml:"to_number"`
	ToDefault        bool          `yaml:"to_default"`
}

// Agent is a person who answers calls.
type Agent struct {
	ID       string `yaml:"id"` // agent code, used to log in
	Name     string `yaml:"name"`
	Endpoint string `yaml:"endpoint"` // default endpoint, e.g. PJSIP/1001
	// Endpoints are further endpoints the agent may log in at itself; the
	// first is the default when Endpoint is empty.
	Endpoints []string `yaml:"endpoints"`
	Password  string   `yaml:"password"` // for the agent's own API login; empty: no self-service login
	// PasswordHash is the password's bcrypt hash, instead of Password: ccd
	// keeps only hashes in its database, and a file need not hold the
	// password either.
	PasswordHash string         `yaml:"password_hash"`
	Email        string         `yaml:"email"` // given to CRMs in the OMniLeads login answer
	Skills       map[string]int `yaml:"skills"`
	Groups       []string       `yaml:"groups"`
	// SIPUser and SIPPassword are the credentials of the agent's softphone
	// in the web interface (a PJSIP endpoint over WebSocket, see ccd
	// asterisk-config); the agent's own session reads them (OMniLeads
	// GET /api/v1/sip/credentials/agent/). Asterisk needs the password in
	// clear, so it is kept as it is and shown nowhere else.
	SIPUser     string `yaml:"sip_user"`
	SIPPassword string `yaml:"sip_password"`
	// AutoAnswer asks the agent's phone to answer ccd's calls by itself:
	// a dialer call no agent answers within 2 s is abandoned, so a
	// dialling agent cannot wait for a click. ccd adds the Call-Info and
	// Alert-Info auto-answer headers to the INVITE of a PJSIP endpoint,
	// and the web softphone answers such an INVITE at once.
	AutoAnswer bool `yaml:"auto_answer"`
}

// DefaultEndpoint is where the agent is logged in when a login names none.
func (a Agent) DefaultEndpoint() string {
	if a.Endpoint == "" && len(a.Endpoints) > 0 {
		return a.Endpoints[0]
	}
	return a.Endpoint
}

// AllowedEndpoints are the endpoints the agent may log in at itself.
func (a Agent) AllowedEndpoints() []string {
	out := slices.Clone(a.Endpoints)
	if a.Endpoint != "" {
		out = append([]string{a.Endpoint}, out...)
	}
	return out
}

// EndpointPolicy is the rule of where agents may log in (package
// acd/endpoints), built from the agents, extension_endpoint and extensions.
func (a *ACD) EndpointPolicy() (*endpoints.Policy, error) {
	allowed := map[string][]string{}
	for _, ag := range a.Agents {
		allowed[ag.ID] = ag.AllowedEndpoints()
	}
	return endpoints.New(a.ExtensionEndpoint, a.Extensions, allowed)
}

// Activity is a not-ready (pause) code.
type Activity struct {
	Code string `yaml:"code"`
	Name string `yaml:"name"`
}

// AgentGroup names a set of agents that serve queues together.
type AgentGroup struct {
	Name   string   `yaml:"name"`
	Agents []string `yaml:"agents"`
}

var strategies = map[string]bool{"": true, "longest_idle": true, "skill_level": true, "weighted": true}

// Validate checks the acd section on its own, as the admin API does before
// it applies a change: references, values, agents' passwords and texts.
// Every problem is an *Error naming its key (acd.queues[2].skills.sales),
// all of them joined.
func (a *ACD) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &Error{Key: key, Problem: fmt.Sprintf(format, args...)})
	}
	a.validate(bad)
	checkSecrets(a.secrets(), bad)
	validateTexts(reflect.ValueOf(a).Elem(), "acd", false, bad)
	return errors.Join(errs...)
}

// validateACD checks references between queues, agents, groups and routes.
func (a *ACD) validate(bad func(key, format string, args ...any)) {
	queues := map[string]bool{}
	for i, q := range a.Queues {
		key := fmt.Sprintf("acd.queues[%d]", i)
		switch {
		case q.Code == "":
			bad(key+".code", "is required")
		case queues[q.Code]:
			bad(key+".code", "duplicate queue %q", q.Code)
		}
		queues[q.Code] = true
		if !strategies[q.Strategy] {
			bad(key+".strategy", "want longest_idle, skill_level or weighted, got %q", q.Strategy)
		}
		checkLevels(key, q.Skills, bad)
		for _, d := range []struct {
			name string
			v    time.Duration
		}{{"ring_timeout", q.RingTimeout}, {"wrap_up", q.WrapUp}, {"service_level", q.ServiceLevel}, {"announce_every", q.AnnounceEvery}} {
			if d.v < 0 {
				bad(key+"."+d.name, "must not be negative, got %s", d.v)
			}
		}
		if q.MaxWaiting < 0 {
			bad(key+".max_waiting", "must not be negative, got %d", q.MaxWaiting)
		}
		checkScreenPop(key+".screen_pop", q.ScreenPop, bad)
	}
	groups := map[string]bool{}
	if a.ExtensionEndpoint != "" {
		if err := endpoints.CheckTemplate(a.ExtensionEndpoint); err != nil {
			bad("acd.extension_endpoint", "%v", err)
		}
	}
	if _, err := endpoints.ParseExtensions(a.Extensions); err != nil {
		bad("acd.extensions", "%v", err)
	}
	for i, g := range a.Groups {
		if g.Name == "" {
			bad(fmt.Sprintf("acd.groups[%d].name", i), "is required")
		}
		groups[g.Name] = true
	}
	agents := map[string]bool{}
	for i, ag := range a.Agents {
		key := fmt.Sprintf("acd.agents[%d]", i)
		switch {
		case ag.ID == "":
			bad(key+".id", "is required")
		case agents[ag.ID]:
			bad(key+".id", "duplicate agent %q", ag.ID)
		}
		agents[ag.ID] = true
		checkLevels(key, ag.Skills, bad)
		checkEndpoints(key, ag, bad)
		checkPasswordHash(key, ag, bad)
		checkSIP(key, ag, bad)
		for _, g := range ag.Groups {
			if !groups[g] {
				bad(key+".groups", "unknown group %q", g)
			}
		}
	}
	for i, g := range a.Groups {
		for _, id := range g.Agents {
			if !agents[id] {
				bad(fmt.Sprintf("acd.groups[%d].agents", i), "unknown agent %q", id)
			}
		}
	}
	for i, q := range a.Queues {
		key := fmt.Sprintf("acd.queues[%d]", i)
		for _, g := range q.Groups {
			if !groups[g] {
				bad(key+".groups", "unknown group %q", g)
			}
		}
		for j, o := range q.Overflow {
			okey := fmt.Sprintf("%s.overflow[%d]", key, j)
			triggers := 0
			if o.AfterWait > 0 {
				triggers++
			}
			if o.PositionAbove > 0 {
				triggers++
			}
			if o.NoAgentsLoggedIn {
				triggers++
			}
			if triggers != 1 {
				bad(okey, "needs exactly one of after_wait, position_above, no_agents_logged_in")
			}
			targets := 0
			if o.ToQueue != "" {
				targets++
				if !queues[o.ToQueue] {
					bad(okey+".to_queue", "unknown queue %q", o.ToQueue)
				} else if o.ToQueue == q.Code {
					bad(okey+".to_queue", "a queue cannot overflow to itself")
				}
			}
			if o.ToNumber != "" {
				targets++
			}
			if o.ToDefault {
				targets++
				if a.DefaultExtension == "" {
					bad(okey+".to_default", "needs acd.default_extension")
				}
			}
			if targets != 1 {
				bad(okey, "needs exactly one of to_queue, to_number, to_default")
			}
			if o.Expand && o.ToQueue == "" {
				bad(okey+".expand", "only applies to to_queue")
			}
		}
	}
	activities := map[string]bool{}
	for i, act := range a.Activities {
		key := fmt.Sprintf("acd.activities[%d].code", i)
		switch {
		case act.Code == "":
			bad(key, "is required")
		case activities[act.Code]:
			bad(key, "duplicate activity %q", act.Code)
		}
		activities[act.Code] = true
	}
	flowNames := a.validateFlows(queues, agents, bad)
	for i, r := range a.Routes {
		key := fmt.Sprintf("acd.routes[%d]", i)
		if r.DNIS == "" {
			bad(key+".dnis", "is required")
		} else if r.DNIS[0] == '^' {
			if _, err := regexp.Compile(r.DNIS); err != nil {
				bad(key+".dnis", "not a regular expression: %v", err)
			}
		}
		switch {
		case r.Flow != "":
			if r.Queue != "" || r.Lookup != nil {
				bad(key+".flow", "a route goes to a queue or a flow, not both")
			} else if !flowNames[r.Flow] {
				bad(key+".flow", "unknown flow %q", r.Flow)
			}
		case !queues[r.Queue]:
			bad(key+".queue", "unknown queue %q", r.Queue)
		}
		if r.Priority < 0 || r.Priority > 9 {
			bad(key+".priority", "must be 1..9, got %d", r.Priority)
		}
		if r.Lookup != nil {
			r.Lookup.validate(key+".lookup", bad)
		}
	}
}

var lookupDrivers = map[string]bool{"postgres": true, "mysql": true, "sqlserver": true, "sqlite": true}

func (l *RouteLookup) validate(key string, bad func(key, format string, args ...any)) {
	if !lookupDrivers[l.Driver] {
		bad(key+".driver", "want postgres, mysql, sqlserver or sqlite, got %q", l.Driver)
	}
	if (l.DSN == "") == (l.DSNEnv == "") {
		bad(key+".dsn", "needs exactly one of dsn, dsn_env")
	}
	if l.Procedure == (l.Query != "") {
		bad(key+".query", "needs exactly one of procedure: true, query")
	}
	if l.Procedure && l.Driver == "sqlite" {
		bad(key+".procedure", "SQLite has no stored procedures; use query")
	}
	if l.Timeout < 0 {
		bad(key+".timeout", "must not be negative, got %s", l.Timeout)
	}
}

// checkEndpoints checks the syntax of an agent's endpoints: ccd dials them.
func checkEndpoints(key string, ag Agent, bad func(key, format string, args ...any)) {
	if ag.Endpoint != "" {
		if err := endpoints.Check(ag.Endpoint); err != nil {
			bad(key+".endpoint", "%v", err)
		}
	}
	for j, ep := range ag.Endpoints {
		if err := endpoints.Check(ep); err != nil {
			bad(fmt.Sprintf("%s.endpoints[%d]", key, j), "%v", err)
		}
	}
}

// sipUser is what a softphone's SIP user may be: it names a PJSIP
// endpoint, an auth and an aor in pjsip.conf.
var sipUser = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// checkSIP checks an agent's softphone credentials: both or neither.
func checkSIP(key string, ag Agent, bad func(key, format string, args ...any)) {
	switch {
	case ag.SIPUser == "" && ag.SIPPassword != "":
		bad(key+".sip_user", "is required with sip_password")
	case ag.SIPUser == "":
	case !sipUser.MatchString(ag.SIPUser):
		bad(key+".sip_user", "want letters, digits and _.- (at most 64, starting with a letter or digit)")
	case ag.SIPPassword == "":
		bad(key+".sip_password", "is required with sip_user")
	}
}

// checkPasswordHash checks that a password hash is a bcrypt hash, and that
// an agent has a password or its hash, not both.
func checkPasswordHash(key string, ag Agent, bad func(key, format string, args ...any)) {
	if len(ag.Password) > maxPasswordBytes {
		bad(key+".password", "too long (%d bytes): at most %d (bcrypt)", len(ag.Password), maxPasswordBytes)
	}
	switch {
	case ag.PasswordHash == "":
	case ag.Password != "":
		bad(key+".password_hash", "give password or password_hash, not both")
	case !IsPasswordHash(ag.PasswordHash):
		bad(key+".password_hash", "want a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters)")
	}
}

// maxPasswordBytes is the longest password bcrypt takes.
const maxPasswordBytes = 72

// IsPasswordHash tells a bcrypt hash from anything else.
func IsPasswordHash(s string) bool {
	return len(s) == 60 && (strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$"))
}

// checkLevels checks the skill levels of a queue or an agent.
func checkLevels(key string, skills map[string]int, bad func(key, format string, args ...any)) {
	for s, l := range skills {
		if l < 1 || l > 10 {
			bad(key+".skills."+s, "level must be 1..10, got %d", l)
		}
	}
}
