package flow

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Compiled is a validated flow, ready to run. A call keeps the Compiled it
// started with: editing a flow makes a new one for the next calls, and the
// calls in the old one finish on it.
type Compiled struct {
	Flow    Flow
	Version int64 // grows with every change that is saved
	nodes   map[string]*Node
}

// Compile validates f and prepares it to run.
func Compile(f Flow, version int64, refs Refs) (*Compiled, []*Problem) {
	if p := Validate(&f, refs); len(p) > 0 {
		return nil, p
	}
	c := &Compiled{Flow: f, Version: version, nodes: map[string]*Node{}}
	for i := range c.Flow.Nodes {
		c.nodes[c.Flow.Nodes[i].ID] = &c.Flow.Nodes[i]
	}
	return c, nil
}

// Node returns the node id.
func (c *Compiled) Node(id string) (*Node, bool) {
	n, ok := c.nodes[id]
	return n, ok
}

// Env is what a step reads from the world besides its input: the clock,
// the time zone of time conditions, the switches' states now.
type Env struct {
	Now      time.Time
	Location *time.Location
	Switch   func(localnumber string) (Switch, bool)
}

// InputKind is what happened to the call.
type InputKind int

const (
	InStart    InputKind = iota // the call enters the flow
	InDigit                     // the caller pressed a key (Digit)
	InPlayDone                  // the playback ID ended (or could not start)
	InTimer                     // the timer ID fired
	InHTTP                      // the request ID was answered (HTTP)
	InHangup                    // the caller hung up
	InQuery                     // the database step ID was answered (Query)
)

// Input is one thing that happened to the call.
type Input struct {
	Kind  InputKind
	Digit string
	ID    int // the playback, timer or request it answers: stale ones are ignored
	HTTP  HTTPResult
	Query QueryResult
}

// QueryResult is the answer of a database step: Found says a query
// returned a row (Columns: its values by lower-cased column name, NULLs
// left out) or a write changed one; Err is any failure, the timeout
// included.
type QueryResult struct {
	Found   bool
	Columns map[string]string
	Err     error
}

// HTTPResult is the answer of a request the flow asked for; Err is any
// failure before a status (timeout, connection, body too large).
type HTTPResult struct {
	Status int
	Body   []byte
	Err    error
}

// ActionKind is what the application must do.
type ActionKind int

const (
	ActPlay          ActionKind = iota // play Media as playback ID (Interruptible: stop it at the first digit)
	ActStopPlay                        // stop playback ID
	ActTimer                           // report InTimer ID after After (one timer per call: a new one replaces it)
	ActHTTP                            // make Request, report InHTTP ID
	ActSetCallerID                     // show Value as the caller's number from now on
	ActSetCallerName                   // show Value as the caller's name
	ActEnter                           // the call entered Node (for the log)
	ActLeave                           // the call left Node for Value (for the log); Reason says why
	ActFailed                          // a step failed and its fallback was taken: Reason (log line, metric)
	ActEnd                             // the call leaves the flow for Terminal
	ActQuery                           // run Query off the call's loop, report InQuery ID
)

// Action is one thing to carry out, in order.
type Action struct {
	Kind          ActionKind
	ID            int
	Media         []string
	Interruptible bool
	After         time.Duration
	Request       *Request
	Query         *Query
	Value         string
	Node          string
	Reason        string
	Terminal      *Terminal
}

// Request is an HTTP request of a module. Its URL's host is the one the
// admin configured; only the query carries the call's data.
type Request struct {
	Method      string
	URL         string
	Body        string
	ContentType string
	UserAgent   string
	Timeout     time.Duration
}

// Query is a database step to run: the node's statement, with the
// profile's values as they are now (its %Name% fields and Params are bound
// from them).
type Query struct {
	Step   *Database
	Values map[string]string
}

// phase is what the call waits for in its node.
type phase int

const (
	idle       phase = iota
	prompting        // a prompt that digits interrupt
	collecting       // digits, with a timer running
	playing          // a playback that is not interrupted
	requesting       // an HTTP answer
	querying         // a database answer
)

// MaxImmediateSteps bounds the nodes a call may walk through without the
// caller hearing or keying anything: validation refuses loops without a
// prompt, and this guards the rest (a remote service sending a call round in
// circles through modules that only make requests).
const MaxImmediateSteps = 64

// Call is one call in a flow. It is not safe for concurrent use: one loop
// owns it.
type Call struct {
	flow    *Compiled
	node    *Node
	Profile *Profile
	phase   phase
	seq     int // id of the current playback / timer / request
	digits  []byte
	tries   int // timeouts (menu), attempts (identify)
	invalid int
	steps   int
	done    bool
	out     []Action
}

// NewCall starts nothing yet: feed it InStart.
func NewCall(f *Compiled, p *Profile) *Call { return &Call{flow: f, Profile: p} }

// Flow is the version the call runs on.
func (c *Call) Flow() *Compiled { return c.flow }

// NodeID is the node the call is in ("" before the start and after the end).
func (c *Call) NodeID() string {
	if c.node == nil || c.done {
		return ""
	}
	return c.node.ID
}

// Done reports whether the call has left the flow.
func (c *Call) Done() bool { return c.done }

// Step takes one input and returns what to do next.
func (c *Call) Step(env Env, in Input) []Action {
	c.out = c.out[:0:0]
	if c.done {
		return nil
	}
	switch in.Kind {
	case InStart:
		if c.node == nil {
			c.enter(env, c.flow.Flow.Start)
		}
	case InHangup:
		c.leave("hangup", "abandoned")
		c.done = true
	case InDigit:
		c.digit(env, in.Digit)
	case InPlayDone:
		if in.ID == c.seq {
			c.playDone(env)
		}
	case InTimer:
		if in.ID == c.seq && c.phase == collecting {
			c.timeout(env)
		}
	case InHTTP:
		if in.ID == c.seq && c.phase == requesting {
			c.answer(env, in.HTTP)
		}
	case InQuery:
		if in.ID == c.seq && c.phase == querying {
			c.queryAnswer(env, in.Query)
		}
	}
	return c.out
}

func (c *Call) emit(a Action) { c.out = append(c.out, a) }

// goTo leaves the current node for a destination.
func (c *Call) goTo(env Env, dest, reason string) {
	c.leave(dest, reason)
	id, t, err := parseDest(dest)
	switch {
	case err != nil:
		c.fail(fmt.Sprintf("bad destination %q: %v", dest, err))
		c.end(Terminal{Kind: ToHangup})
	case t != nil:
		c.end(*t)
	default:
		c.enter(env, id)
	}
}

func (c *Call) leave(to, reason string) {
	if c.node != nil {
		c.emit(Action{Kind: ActLeave, Node: c.node.ID, Value: to, Reason: reason})
	}
}

func (c *Call) fail(reason string) { c.emit(Action{Kind: ActFailed, Node: c.NodeID(), Reason: reason}) }

func (c *Call) end(t Terminal) {
	if t.Kind == ToQueue {
		if t.Priority == 0 {
			t.Priority = c.Profile.Int(FieldPriority)
		}
		_ = c.Profile.Set(FieldQueue, t.Target)
	}
	c.emit(Action{Kind: ActEnd, Terminal: &t})
	c.done = true
}

// enter makes id the current node and starts it.
func (c *Call) enter(env Env, id string) {
	n, ok := c.flow.nodes[id]
	if !ok {
		c.fail(fmt.Sprintf("unknown node %q", id))
		c.end(Terminal{Kind: ToHangup})
		return
	}
	if c.steps++; c.steps > MaxImmediateSteps {
		c.fail("the flow went through more than 64 nodes without waiting for the caller")
		c.end(Terminal{Kind: ToHangup})
		return
	}
	c.node, c.phase, c.digits, c.tries, c.invalid = n, idle, nil, 0, 0
	c.emit(Action{Kind: ActEnter, Node: id})
	if t := terminalOf(n); t != nil {
		c.end(*t)
		return
	}
	switch {
	case n.Menu != nil:
		c.prompt(n.Menu.Prompt)
	case n.Identify != nil:
		c.prompt(n.Identify.Prompt)
	case n.HTTP != nil:
		c.startHTTP(env)
	case n.Database != nil:
		c.seq++
		c.phase = querying
		c.emit(Action{Kind: ActQuery, ID: c.seq, Query: &Query{Step: n.Database, Values: c.Profile.Values()}})
	case n.Play != nil:
		c.play(n.Play.Sounds)
	case n.Say != nil:
		c.say(env)
	case n.Time != nil:
		if n.Time.Group.Contains(env.Now, location(env)) {
			c.goTo(env, n.Time.Match, "match")
		} else {
			c.goTo(env, n.Time.NoMatch, "no_match")
		}
	case n.Switch != nil:
		c.switchNode(env)
	case n.Set != nil:
		if err := c.Profile.Set(n.Set.Field, c.expand(n.Set.Value, false)); err != nil {
			c.fail(err.Error())
		}
		c.goTo(env, n.Set.Next, "next")
	case n.Branch != nil:
		v := c.Profile.Get(n.Branch.Field)
		if d, ok := n.Branch.Cases[v]; ok {
			c.goTo(env, d, "case")
		} else {
			c.goTo(env, n.Branch.Default, "default")
		}
	case n.Goto != "":
		c.goTo(env, n.Goto, "goto")
	}
}

func location(env Env) *time.Location {
	if env.Location == nil {
		return time.Local
	}
	return env.Location
}

func (c *Call) switchNode(env Env) {
	s := c.node.Switch
	sw, ok := Switch{}, false
	if env.Switch != nil {
		sw, ok = env.Switch(s.Switch)
	}
	if !ok {
		c.fail(fmt.Sprintf("unknown switch %q: taken as inactive", s.Switch))
	}
	active, inactive := s.Active, s.Inactive
	if active == "" {
		active = sw.ActiveGoto
	}
	if inactive == "" {
		inactive = sw.InactiveGoto
	}
	if sw.Active {
		c.goTo(env, active, "active")
	} else {
		c.goTo(env, inactive, "inactive")
	}
}

// prompt plays media the first digit interrupts.
func (c *Call) prompt(media []string) {
	c.steps = 0
	c.seq++
	c.phase = prompting
	c.emit(Action{Kind: ActPlay, ID: c.seq, Media: media, Interruptible: true})
}

// play plays media to the end.
func (c *Call) play(media []string) {
	c.steps = 0
	c.seq++
	c.phase = playing
	c.emit(Action{Kind: ActPlay, ID: c.seq, Media: media})
}

// wait starts the input timer.
func (c *Call) wait(d time.Duration) {
	c.steps = 0
	c.seq++
	c.phase = collecting
	c.emit(Action{Kind: ActTimer, ID: c.seq, After: d})
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (c *Call) say(env Env) {
	s := c.node.Say
	v := s.Value
	if s.Field != "" {
		v = c.Profile.Get(s.Field)
	}
	v = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, v)
	if v == "" {
		c.goTo(env, s.Next, "nothing to say")
		return
	}
	kind := "digits:"
	if s.Number {
		kind = "number:"
	}
	c.play([]string{kind + v})
}

func (c *Call) playDone(env Env) {
	n := c.node
	switch c.phase {
	case playing:
		switch {
		case n.Play != nil:
			c.goTo(env, n.Play.Next, "played")
		case n.Say != nil:
			c.goTo(env, n.Say.Next, "said")
		}
	case prompting:
		switch {
		case n.Menu != nil:
			c.wait(orDefault(n.Menu.Timeout, 5*time.Second))
		case n.Identify != nil:
			c.wait(orDefault(n.Identify.Timeout, 5*time.Second))
		case n.HTTP != nil:
			c.wait(orDefault(n.HTTP.CollectTimeout, 5*time.Second))
		}
	}
}

func (c *Call) digit(env Env, d string) {
	if len(d) != 1 || !strings.Contains("0123456789*#ABCD", d) {
		return
	}
	if c.phase != prompting && c.phase != collecting {
		return // during a playback that is not interrupted, or a request
	}
	if c.phase == prompting {
		c.emit(Action{Kind: ActStopPlay, ID: c.seq})
	}
	switch n := c.node; {
	case n.Menu != nil:
		c.menuDigit(env, d)
	case n.Identify != nil:
		c.identifyDigit(env, d)
	case n.HTTP != nil:
		c.collectDigit(env, d)
	}
}

// ---- menu ----

func (c *Call) menuDigit(env Env, d string) {
	m := c.node.Menu
	if len(c.digits) > 0 { // dialling an extension directly
		if d == "#" {
			c.dialDirect(env)
			return
		}
		c.digits = append(c.digits, d...)
		if len(c.digits) >= m.DirectDial {
			c.dialDirect(env)
			return
		}
		c.wait(orDefault(m.Timeout, 5*time.Second))
		return
	}
	if dest, ok := m.Keys[d]; ok {
		_ = c.Profile.Set(FieldInput, d)
		c.goTo(env, dest, "key "+d)
		return
	}
	if m.DirectDial > 0 && d[0] >= '0' && d[0] <= '9' {
		c.digits = append(c.digits, d...)
		if m.DirectDial == 1 {
			c.dialDirect(env)
			return
		}
		c.wait(orDefault(m.Timeout, 5*time.Second))
		return
	}
	c.menuInvalid(env)
}

func (c *Call) dialDirect(env Env) {
	ext := string(c.digits)
	c.digits = nil
	if len(ext) != c.node.Menu.DirectDial {
		c.menuInvalid(env)
		return
	}
	_ = c.Profile.Set(FieldInput, ext)
	c.goTo(env, "number:"+ext, "direct dial")
}

func (c *Call) menuInvalid(env Env) {
	m := c.node.Menu
	c.digits = nil
	if c.invalid++; c.invalid > m.InvalidRetries {
		c.goTo(env, m.InvalidDest, "invalid")
		return
	}
	c.prompt(append(append([]string(nil), m.Invalid...), m.Prompt...))
}

func (c *Call) timeout(env Env) {
	switch n := c.node; {
	case n.Menu != nil:
		if len(c.digits) > 0 {
			c.dialDirect(env)
			return
		}
		if c.tries++; c.tries > n.Menu.TimeoutRetries {
			c.goTo(env, n.Menu.TimeoutDest, "timeout")
			return
		}
		c.prompt(n.Menu.Prompt)
	case n.Identify != nil:
		if n.Identify.Length == 0 && len(c.digits) > 0 {
			c.identified(env)
			return
		}
		c.identifyRetry(env)
	case n.HTTP != nil:
		if n.HTTP.TimeoutDest != "" {
			c.goTo(env, n.HTTP.TimeoutDest, "timeout")
			return
		}
		c.request(env)
	}
}

// ---- identification ----

func (c *Call) identifyDigit(env Env, d string) {
	m := c.node.Identify
	if d == "#" {
		if len(c.digits) > 0 && (m.Length == 0 || len(c.digits) == m.Length) {
			c.identified(env)
		} else {
			c.identifyRetry(env)
		}
		return
	}
	c.digits = append(c.digits, d...)
	if m.Length > 0 && len(c.digits) >= m.Length {
		c.identified(env)
		return
	}
	c.wait(orDefault(m.Timeout, 5*time.Second))
}

func (c *Call) identifyRetry(env Env) {
	m := c.node.Identify
	c.digits = nil
	if c.tries++; c.tries >= max(m.Attempts, 1) {
		c.goTo(env, m.NotFound, "not identified")
		return
	}
	c.prompt(m.Prompt)
}

func (c *Call) identified(env Env) {
	m := c.node.Identify
	id := string(c.digits)
	field := m.Field
	if field == "" {
		field = FieldCustomerNumber
	}
	if err := c.Profile.Set(field, id); err != nil {
		c.fail(err.Error())
	}
	if m.Mode == "" {
		c.goTo(env, m.Found, "identified")
		return
	}
	c.seq++
	c.phase = requesting
	c.emit(Action{Kind: ActHTTP, ID: c.seq, Request: &Request{
		// A form, as OMniLeads posts it: CRMs read idContact as a form field.
		Method: "POST", URL: m.URL, Body: url.Values{"idContact": {id}}.Encode(), ContentType: "application/x-www-form-urlencoded",
		UserAgent: "OMniLeads", Timeout: orDefault(m.Wait, 3*time.Second)}})
}

// ---- HTTP module ----

func (c *Call) startHTTP(env Env) {
	m := c.node.HTTP
	if !m.Collect {
		c.request(env)
		return
	}
	if len(m.Prompt) > 0 {
		c.prompt(m.Prompt)
		return
	}
	c.wait(orDefault(m.CollectTimeout, 5*time.Second))
}

func (c *Call) collectDigit(env Env, d string) {
	m := c.node.HTTP
	if d == "#" {
		c.request(env)
		return
	}
	c.digits = append(c.digits, d...)
	if m.MaxDigits > 0 && len(c.digits) >= m.MaxDigits {
		c.request(env)
		return
	}
	c.wait(orDefault(m.CollectTimeout, 5*time.Second))
}

func (c *Call) request(env Env) {
	m := c.node.HTTP
	if m.Collect {
		if err := c.Profile.Set(FieldInput, string(c.digits)); err != nil {
			c.fail(err.Error())
		}
	}
	c.seq++
	c.phase = requesting
	c.emit(Action{Kind: ActHTTP, ID: c.seq, Request: &Request{Method: "GET", URL: c.expand(m.URL, true),
		Timeout: orDefault(m.Timeout, 3*time.Second)}})
}

// answer takes a module's HTTP answer.
func (c *Call) answer(env Env, r HTTPResult) {
	n := c.node
	body, err := checkAnswer(r)
	if n.Identify != nil {
		c.identifyAnswer(env, body, err)
		return
	}
	m := n.HTTP
	if err != nil {
		c.httpFailed(env, err.Error())
		return
	}
	switch m.Action {
	case "none":
		c.goTo(env, m.Goto, "done")
	case "goto":
		c.gotoReturned(env, body)
	case "callername":
		c.setCallerName(body)
		c.goTo(env, m.Goto, "caller name set")
	case "callerid":
		if !dialable.MatchString(body) {
			c.httpFailed(env, fmt.Sprintf("the answer %q is not a number", clip(body)))
			return
		}
		c.setCallerID(body)
		c.goTo(env, m.Goto, "caller id set")
	case "dynamic":
		c.dynamic(env, body)
	}
}

func (c *Call) httpFailed(env Env, reason string) {
	c.fail(reason)
	c.goTo(env, c.node.HTTP.Goto, "failed")
}

// gotoReturned goes to the node a remote service named, when the flow has
// it (and the module allows it).
func (c *Call) gotoReturned(env Env, number string) {
	m := c.node.HTTP
	if _, ok := c.flow.nodes[number]; !ok || (len(m.Returns) > 0 && !contains(m.Returns, number)) {
		c.httpFailed(env, fmt.Sprintf("the answer %q names no destination of this flow", clip(number)))
		return
	}
	c.goTo(env, number, "returned")
}

func (c *Call) setCallerName(v string) {
	if err := c.Profile.Set(FieldCallerName, v); err != nil {
		c.fail(err.Error())
		return
	}
	c.emit(Action{Kind: ActSetCallerName, Value: v})
}

func (c *Call) setCallerID(v string) {
	if err := c.Profile.Set(FieldANI, v); err != nil {
		c.fail(err.Error())
		return
	}
	c.emit(Action{Kind: ActSetCallerID, Value: v})
}

// dynamic takes "key=value&..." (Flexfone's dynamic action): callerID,
// callerName and gotolocalnumber act (case-sensitive), every other key is
// stored in the profile for later modules.
func (c *Call) dynamic(env Env, body string) {
	pairs, err := parsePairs(body)
	if err != nil {
		c.httpFailed(env, err.Error())
		return
	}
	var gotoNumber string
	for _, kv := range pairs {
		switch kv[0] {
		case "callerID":
			if dialable.MatchString(kv[1]) {
				c.setCallerID(kv[1])
			} else {
				c.fail(fmt.Sprintf("callerID %q is not a number", clip(kv[1])))
			}
		case "callerName":
			c.setCallerName(kv[1])
		case "gotolocalnumber":
			gotoNumber = kv[1]
		default:
			c.store(kv[0], kv[1])
		}
	}
	if gotoNumber != "" {
		c.gotoReturned(env, gotoNumber)
		return
	}
	c.goTo(env, c.node.HTTP.Goto, "done")
}

// store keeps a remote's variable; the fixed fields are not a remote's to
// write.
func (c *Call) store(k, v string) {
	if IsFixed(k) {
		c.fail(fmt.Sprintf("the answer's key %q is a fixed field of the call: ignored", k))
		return
	}
	if err := c.Profile.Set(k, v); err != nil {
		c.fail(err.Error())
	}
}

func (c *Call) identifyAnswer(env Env, body string, err error) {
	m := c.node.Identify
	if err != nil {
		c.fail(err.Error())
		c.goTo(env, m.NotFound, "failed")
		return
	}
	dest, err := crmDestination(body)
	if err != nil {
		c.fail(err.Error())
		c.goTo(env, m.NotFound, "failed")
		return
	}
	switch {
	case dest == "true":
		c.goTo(env, m.Found, "true")
	case dest == "false":
		c.goTo(env, m.NotFound, "false")
	case m.Mode == "destination":
		if _, y, ok := strings.Cut(dest, ","); ok { // OMniLeads' "type,id": the id names the node
			dest = strings.TrimSpace(y)
		}
		if _, ok := c.flow.nodes[dest]; !ok {
			c.fail(fmt.Sprintf("the CRM named %q, no destination of this flow", clip(dest)))
			c.goTo(env, m.NotFound, "failed")
			return
		}
		c.goTo(env, dest, "crm")
	default:
		c.fail(fmt.Sprintf("the CRM answered %q, want true or false", clip(dest)))
		c.goTo(env, m.NotFound, "failed")
	}
}

// ---- database step ----

// queryAnswer stores a found row into the profile and takes the node's way
// out.
func (c *Call) queryAnswer(env Env, r QueryResult) {
	m := c.node.Database
	switch {
	case r.Err != nil:
		c.fail(r.Err.Error())
		c.goTo(env, m.Error, "error")
	case !r.Found:
		c.goTo(env, m.NotFound, "not found")
	default:
		c.storeColumns(m, r.Columns)
		c.goTo(env, m.Found, "found")
	}
}

// storeColumns writes the returned columns to their profile fields: the
// node's Store map, or each column to the field of its name. A value the
// field refuses (a priority of 12) is a failed step, and the others are
// still stored.
func (c *Call) storeColumns(m *Database, cols map[string]string) {
	if len(m.Store) == 0 {
		for _, col := range sortedKeys(cols) {
			if !ValidFieldName(col) {
				c.fail(fmt.Sprintf("the column %q is no field name: not stored", clip(col)))
				continue
			}
			if err := c.Profile.Set(col, cols[col]); err != nil {
				c.fail(err.Error())
			}
		}
		return
	}
	for _, col := range sortedKeys(m.Store) {
		v, ok := cols[strings.ToLower(col)]
		if !ok {
			continue // NULL or not returned: the field keeps its value
		}
		if err := c.Profile.Set(m.Store[col], v); err != nil {
			c.fail(err.Error())
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// clip shortens a remote's text for a log line.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
