// Package flow is ccd's programmable call flow in front of the queues: IVR
// menus, time conditions, day/night switches, customer identification, the
// HTTP integration module, variables and branches, and the terminal
// destinations (a queue, an agent, a number, voicemail, another flow).
//
// It is pure: a flow is a graph of nodes (model.go), checked when it is saved
// (validate.go), and a call walks it through a state machine (engine.go) fed
// with inputs — the caller's digits, a prompt that ended, a timer, the answer
// of an HTTP request — that returns the media actions to carry out next. The
// Stasis application dialplan/flow carries them out on Asterisk; the clock,
// the switches' states and the HTTP answers come in as inputs, so every path
// can be tested without Asterisk or a network.
package flow

import "time"

// Flow is one call flow: its nodes and the one the call starts at. Its name
// is the id the routes and other flows name it by.
type Flow struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Start       string `yaml:"start"` // id of the first node
	Nodes       []Node `yaml:"nodes"`
	// Adata names the profile fields (at most two) whose values become the
	// call's attached data in the statistics (CallsStat Adata1, Adata2)
	// when the call leaves the flow; empty: DefaultAdata.
	Adata []string `yaml:"adata"`
}

// DefaultAdata are the profile fields of a flow's attached data when it
// names none: what a CRM attached, and the customer it identified.
var DefaultAdata = []string{FieldAttachData, FieldCustomerNumber}

// AdataFields are the profile fields of the flow's attached data.
func (f *Flow) AdataFields() []string {
	if len(f.Adata) == 0 {
		return DefaultAdata
	}
	return f.Adata
}

// Adata are the values of the profile fields of f's attached data.
func (p *Profile) Adata(f *Flow) (string, string) {
	var v [2]string
	for i, name := range f.AdataFields() {
		if i < len(v) {
			v[i] = p.Get(name)
		}
	}
	return v[0], v[1]
}

// Node is one step of a flow: exactly one of its kinds is set. Destinations
// (Dest) name another node of the flow by its id, or a terminal destination
// written inline: "queue:sales", "queue:sales:2" (priority), "agent:1001",
// "number:5551234", "voicemail:1001", "flow:night", "hangup".
//
// Node ids are the flow's "local numbers": the HTTP module's "go to the
// returned number" and the identification's CRM destination go to the node
// with that id, and only to a node (a remote service never picks a number
// to dial).
type Node struct {
	ID string `yaml:"id"`

	Menu     *Menu       `yaml:"menu"`
	Time     *TimeCond   `yaml:"time"`
	Switch   *SwitchNode `yaml:"switch"`
	Identify *Identify   `yaml:"identify"`
	HTTP     *HTTP       `yaml:"http"`
	Database *Database   `yaml:"database"`
	Play     *Play       `yaml:"play"`
	Say      *Say        `yaml:"say"`
	Set      *Set        `yaml:"set"`
	Branch   *Branch     `yaml:"branch"`
	Goto     string      `yaml:"goto"` // Dest
	Hangup   bool        `yaml:"hangup"`

	Queue     *QueueDest `yaml:"queue"`
	Agent     string     `yaml:"agent"`     // agent id: rung directly
	Number    string     `yaml:"number"`    // extension or external number, continued in the transfer context
	Voicemail string     `yaml:"voicemail"` // mailbox (VoiceMail through the dialplan)
	Flow      string     `yaml:"flow"`      // another flow's name
}

// Menu is an IVR menu: a prompt (interrupted by the first digit), one
// destination per key, retries on timeout and on invalid keys.
type Menu struct {
	Prompt         []string          `yaml:"prompt"`  // sounds: "sound:welcome", "recording:menu1"
	Invalid        []string          `yaml:"invalid"` // played after an invalid key, before the prompt again
	Timeout        time.Duration     `yaml:"timeout"` // after the prompt; 0 means 5s
	TimeoutRetries int               `yaml:"timeout_retries"`
	TimeoutDest    string            `yaml:"timeout_dest"`
	InvalidRetries int               `yaml:"invalid_retries"`
	InvalidDest    string            `yaml:"invalid_dest"`
	Keys           map[string]string `yaml:"keys"` // "1" -> Dest; keys 0-9, *, #
	// DirectDial lets the caller key an extension of this many digits
	// instead of an option (a key that is no option starts it); it is then
	// continued in the transfer context. 0: off.
	DirectDial int `yaml:"direct_dial"`
}

// TimeCond is a time condition: Match when the call's time is in the
// group, else NoMatch.
type TimeCond struct {
	Group   TimeGroup `yaml:"group"`
	Match   string    `yaml:"match"`
	NoMatch string    `yaml:"no_match"`
}

// TimeGroup is a set of times in the flow's time zone: the weekly ranges and
// the date ranges it includes, minus its holidays.
type TimeGroup struct {
	Weekly   []Weekly    `yaml:"weekly"`
	Dates    []DateRange `yaml:"dates"`
	Holidays []string    `yaml:"holidays"` // "2026-12-25": never in the group that day
}

// Weekly is a range of wall-clock time on some weekdays: "mon-fri",
// "sat,sun", "mon"; From "08:00", To "17:00" (To before From crosses
// midnight; "24:00" is the end of the day).
type Weekly struct {
	Days string `yaml:"days"`
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// DateRange is a range of days, both included ("2026-12-24".."2026-12-26"),
// optionally limited to a time of day.
type DateRange struct {
	From     string `yaml:"from"`
	To       string `yaml:"to"` // "" is From's day
	FromTime string `yaml:"from_time"`
	ToTime   string `yaml:"to_time"`
}

// SwitchNode is a variable call flow (day/night switch) in a flow: the call
// goes to the active or inactive destination, by the switch's state now.
// An empty destination is the switch's own ActiveGoto / InactiveGoto.
type SwitchNode struct {
	Switch   string `yaml:"switch"` // the switch's local number
	Active   string `yaml:"active"`
	Inactive string `yaml:"inactive"`
}

// Identify asks the caller for an id (OMniLeads customer identification).
type Identify struct {
	Prompt   []string      `yaml:"prompt"`
	Length   int           `yaml:"length"`  // expected digits; 0: until # or the timeout
	Timeout  time.Duration `yaml:"timeout"` // for the whole id; 0 means 5s
	Attempts int           `yaml:"attempts"`
	// Mode: "" (no interaction: Found when an id was keyed), "bool" (POST
	// it to URL, route on true/false), "destination" (the CRM names a node).
	Mode     string        `yaml:"mode"`
	URL      string        `yaml:"url"`
	Wait     time.Duration `yaml:"wait"` // for the CRM; 0 means 3s
	Found    string        `yaml:"found"`
	NotFound string        `yaml:"not_found"`
	Field    string        `yaml:"field"` // profile field the id is stored in; "" is customer_number
}

// HTTP is Flexfone's integration module: an optional digit collection, a
// GET to a URL whose query is a template of the call's variables, and an
// action on the answer.
type HTTP struct {
	URL     string        `yaml:"url"`     // https://crm.example/check?i=[callerid]&s=[session]
	Timeout time.Duration `yaml:"timeout"` // for the whole request; 0 means 3s
	// Collect reads digits into [input] before the request; Prompt is
	// played meanwhile (interrupted by the first digit).
	Collect        bool          `yaml:"collect"`
	Prompt         []string      `yaml:"prompt"`
	MaxDigits      int           `yaml:"max_digits"` // 0 unlimited; # ends
	CollectTimeout time.Duration `yaml:"collect_timeout"`
	TimeoutDest    string        `yaml:"timeout_dest"` // the collection timed out without a digit
	// Action: "none", "goto" (the returned number), "callername" (the
	// returned text as caller name), "callerid" (the returned number as
	// caller id), "dynamic" (key=value&...).
	Action string `yaml:"action"`
	Goto   string `yaml:"goto"` // after none/callername/callerid/dynamic without gotolocalnumber, and on any failure
	// Returns limits the returned numbers to these node ids; empty: any
	// node of the flow.
	Returns []string `yaml:"returns"`
}

// Database is a database step (Mitel's SQLExecute in a call control
// script): a statement or a procedure run against one of the configured CRM
// databases (acd.databases), with profile fields as bound parameters, never
// spliced into the SQL: %Name% in Query (%ANI%, %CUSTOMER_NUMBER%, a custom
// %account%; the fixed fields' names are case-insensitive), Params in order
// for a Procedure. A query's first row is stored into the profile and the
// call goes to Found, without a row to NotFound; a write (INSERT, UPDATE,
// DELETE) goes to Found when it changed a row. Any failure, the timeout
// included, goes to Error.
type Database struct {
	Database  string   `yaml:"database"`           // name of an acd.databases entry
	Query     string   `yaml:"query" check:"text"` // SQL: line breaks and tabs belong
	Procedure string   `yaml:"procedure"`          // a routine's name instead of Query
	Params    []string `yaml:"params"`             // profile fields, the procedure's arguments in order
	Write     bool     `yaml:"write"`              // the statement changes rows (self-service write-back)
	// Store maps returned columns (case-insensitive) to profile fields;
	// empty: every column to the field of its lower-cased name.
	Store    map[string]string `yaml:"store"`
	Timeout  time.Duration     `yaml:"timeout"` // 0: the database's
	Found    string            `yaml:"found"`
	NotFound string            `yaml:"not_found"`
	Error    string            `yaml:"error"`
}

// Play plays sounds (not interrupted), then goes on.
type Play struct {
	Sounds []string `yaml:"sounds"`
	Next   string   `yaml:"next"`
}

// Say says a value as digits or as a number: a profile field or a literal.
type Say struct {
	Field  string `yaml:"field"`
	Value  string `yaml:"value"`
	Number bool   `yaml:"number"` // "number:"; else "digits:"
	Next   string `yaml:"next"`
}

// Set stores a value (a template of the call's variables) in the profile.
type Set struct {
	Field string `yaml:"field"`
	Value string `yaml:"value"`
	Next  string `yaml:"next"`
}

// Branch goes by a profile field's value.
type Branch struct {
	Field   string            `yaml:"field"`
	Cases   map[string]string `yaml:"cases"` // value -> Dest
	Default string            `yaml:"default"`
}

// QueueDest sends the call to a queue; Priority 0 is the profile's (and
// then the queue's).
type QueueDest struct {
	Code     string `yaml:"code"`
	Priority int    `yaml:"priority"`
}

// Switch is a variable call flow (Flexfone's name): an on/off state an
// admin toggles, read by the flows' switch nodes. Its local number is its
// id; ActiveGoto/InactiveGoto are what Flexfone's list shows.
type Switch struct {
	Localnumber  string `yaml:"localnumber"`
	Name         string `yaml:"name"`
	Active       bool   `yaml:"active"`
	ActiveGoto   string `yaml:"active_goto"`
	InactiveGoto string `yaml:"inactive_goto"`
}

// NodeKinds are the kinds of node, as Kind names them.
var NodeKinds = []string{"menu", "time", "switch", "identify", "http", "play", "say", "set", "branch", "goto",
	"hangup", "queue", "agent", "number", "voicemail", "flow", "database"}

// kind names the node's kind, "" when none is set; kinds lists every one
// set (validation wants exactly one).
func (n *Node) kinds() []string {
	var out []string
	add := func(set bool, k string) {
		if set {
			out = append(out, k)
		}
	}
	add(n.Menu != nil, "menu")
	add(n.Time != nil, "time")
	add(n.Switch != nil, "switch")
	add(n.Identify != nil, "identify")
	add(n.HTTP != nil, "http")
	add(n.Database != nil, "database")
	add(n.Play != nil, "play")
	add(n.Say != nil, "say")
	add(n.Set != nil, "set")
	add(n.Branch != nil, "branch")
	add(n.Goto != "", "goto")
	add(n.Hangup, "hangup")
	add(n.Queue != nil, "queue")
	add(n.Agent != "", "agent")
	add(n.Number != "", "number")
	add(n.Voicemail != "", "voicemail")
	add(n.Flow != "", "flow")
	return out
}

// Kind is the node's kind ("menu", "queue", ...), "" for a node with none.
func (n *Node) Kind() string {
	if k := n.kinds(); len(k) == 1 {
		return k[0]
	}
	return ""
}
