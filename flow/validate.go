package flow

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Problem is one reason a flow cannot be saved: the node and the field
// within it ("menu.keys.1"); Node "" is the flow itself.
type Problem struct {
	Node    string
	Field   string
	Problem string
}

func (p *Problem) Error() string {
	if p.Node == "" {
		return fmt.Sprintf("%s: %s", p.Field, p.Problem)
	}
	return fmt.Sprintf("node %q: %s: %s", p.Node, p.Field, p.Problem)
}

// Refs is what a flow may name outside itself; a nil func accepts any
// name.
type Refs struct {
	Queue  func(code string) bool
	Agent  func(id string) bool
	Flow   func(name string) bool
	Switch func(localnumber string) (Switch, bool)
	// Sound tells whether a sound or recording exists on Asterisk
	// ("sound:welcome"); nil checks the media URI's form only.
	Sound func(uri string) bool
	// Database tells whether a CRM database is configured, and its driver.
	Database func(name string) (driver string, ok bool)
	// Statement checks a database node's SQL against its database's driver
	// (placeholders, %Name% fields, procedures); nil checks nothing more.
	Statement func(node *Database) error
}

var (
	nodeID    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$`)
	flowName  = nodeID
	dialable  = regexp.MustCompile(`^\+?[0-9*#]{1,32}$`)
	mediaURI  = regexp.MustCompile(`^(sound|recording|digits|number|tone):[A-Za-z0-9_./+*#-]{1,128}$`)
	menuKey   = regexp.MustCompile(`^[0-9*#]$`)
	idModes   = map[string]bool{"": true, "bool": true, "destination": true}
	httpActs  = map[string]bool{"none": true, "goto": true, "callername": true, "callerid": true, "dynamic": true}
	templated = regexp.MustCompile(`\[[A-Za-z][A-Za-z0-9_]{0,63}\]`)
)

// Validate checks a flow as it is saved: every node has one kind and its
// fields make sense, every destination exists, every node can be reached
// from the start, no loop runs without the caller hearing a prompt, and
// the sounds exist. All problems are returned, each naming node and field.
func Validate(f *Flow, refs Refs) []*Problem {
	v := &validator{f: f, refs: refs, nodes: map[string]*Node{}}
	v.structure()
	if len(v.problems) == 0 {
		v.reachable()
		v.loops()
	}
	return v.problems
}

type validator struct {
	f        *Flow
	refs     Refs
	nodes    map[string]*Node
	problems []*Problem
}

func (v *validator) bad(node, field, format string, args ...any) {
	v.problems = append(v.problems, &Problem{Node: node, Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (v *validator) structure() {
	if !flowName.MatchString(v.f.Name) {
		v.bad("", "name", "want letters, digits and _.@+- (at most 64, starting with a letter or digit), got %q", v.f.Name)
	}
	if len(v.f.Nodes) == 0 {
		v.bad("", "nodes", "a flow needs at least one node")
	}
	if len(v.f.Adata) > 2 {
		v.bad("", "adata", "names at most two profile fields (Adata1, Adata2), got %d", len(v.f.Adata))
	}
	for i, name := range v.f.Adata {
		if !ValidFieldName(name) {
			v.bad("", fmt.Sprintf("adata[%d]", i), "want a field name (letters, digits, _), got %q", name)
		}
	}
	for i := range v.f.Nodes {
		n := &v.f.Nodes[i]
		switch {
		case !nodeID.MatchString(n.ID) || n.ID == ToHangup:
			v.bad(n.ID, "id", "node %d: want letters, digits and _.@+- (at most 64, starting with a letter or digit), not hangup", i)
			continue
		case v.nodes[n.ID] != nil:
			v.bad(n.ID, "id", "duplicate node id")
			continue
		}
		v.nodes[n.ID] = n
	}
	switch {
	case v.f.Start == "":
		v.bad("", "start", "is required")
	case v.nodes[v.f.Start] == nil:
		v.bad("", "start", "unknown node %q", v.f.Start)
	}
	for i := range v.f.Nodes {
		n := &v.f.Nodes[i]
		if v.nodes[n.ID] != n {
			continue
		}
		switch k := n.kinds(); len(k) {
		case 0:
			v.bad(n.ID, "kind", "needs one of %s", strings.Join(NodeKinds, ", "))
			continue
		case 1:
		default:
			v.bad(n.ID, k[1], "a node has one kind; this one has %s", strings.Join(k, ", "))
			continue
		}
		v.node(n)
		for _, e := range n.edges() {
			v.dest(n.ID, e.field, e.dest)
		}
		if t := terminalOf(n); t != nil {
			v.terminal(n.ID, n.Kind(), *t)
		}
	}
}

// node checks the fields of one node's kind.
func (v *validator) node(n *Node) {
	id := n.ID
	required := func(field, value string) {
		if value == "" {
			v.bad(id, field, "is required")
		}
	}
	switch {
	case n.Menu != nil:
		m := n.Menu
		v.sounds(id, "menu.prompt", m.Prompt, true)
		v.sounds(id, "menu.invalid", m.Invalid, false)
		required("menu.timeout_dest", m.TimeoutDest)
		required("menu.invalid_dest", m.InvalidDest)
		v.nonNegative(id, "menu.timeout_retries", m.TimeoutRetries)
		v.nonNegative(id, "menu.invalid_retries", m.InvalidRetries)
		if m.Timeout < 0 {
			v.bad(id, "menu.timeout", "must not be negative")
		}
		for _, k := range sortedKeys(m.Keys) {
			if !menuKey.MatchString(k) {
				v.bad(id, "menu.keys."+k, "a key is one of 0-9, * and #")
			}
		}
		if m.DirectDial < 0 || m.DirectDial > 16 {
			v.bad(id, "menu.direct_dial", "want 0 (off) .. 16 digits")
		}
	case n.Time != nil:
		if field, problem := n.Time.Group.check(); field != "" {
			v.bad(id, "time.group."+field, "%s", problem)
		}
		required("time.match", n.Time.Match)
		required("time.no_match", n.Time.NoMatch)
	case n.Switch != nil:
		v.switchNode(n)
	case n.Identify != nil:
		m := n.Identify
		v.sounds(id, "identify.prompt", m.Prompt, true)
		if m.Length < 0 || m.Length > 32 {
			v.bad(id, "identify.length", "want 0 (until # or the timeout) .. 32")
		}
		v.nonNegative(id, "identify.attempts", m.Attempts)
		if !idModes[m.Mode] {
			v.bad(id, "identify.mode", `want "", "bool" or "destination", got %q`, m.Mode)
		} else if m.Mode != "" {
			v.fixedURL(id, "identify.url", m.URL, false)
		}
		if m.Field != "" && !ValidFieldName(m.Field) {
			v.bad(id, "identify.field", "not a field name")
		}
		required("identify.found", m.Found)
		required("identify.not_found", m.NotFound)
	case n.HTTP != nil:
		m := n.HTTP
		v.fixedURL(id, "http.url", m.URL, true)
		if !httpActs[m.Action] {
			v.bad(id, "http.action", "want none, goto, callername, callerid or dynamic, got %q", m.Action)
		}
		required("http.goto", m.Goto)
		v.nonNegative(id, "http.max_digits", m.MaxDigits)
		if m.Timeout < 0 || m.CollectTimeout < 0 {
			v.bad(id, "http.timeout", "must not be negative")
		}
		v.sounds(id, "http.prompt", m.Prompt, false)
		if !m.Collect && (len(m.Prompt) > 0 || m.TimeoutDest != "") {
			v.bad(id, "http.collect", "prompt and timeout_dest need collect: true")
		}
	case n.Database != nil:
		v.database(n)
	case n.Play != nil:
		v.sounds(id, "play.sounds", n.Play.Sounds, true)
		required("play.next", n.Play.Next)
	case n.Say != nil:
		if (n.Say.Field == "") == (n.Say.Value == "") {
			v.bad(id, "say.field", "needs exactly one of field, value")
		}
		if n.Say.Value != "" && !dialable.MatchString(n.Say.Value) {
			v.bad(id, "say.value", "want digits")
		}
		required("say.next", n.Say.Next)
	case n.Set != nil:
		if !ValidFieldName(n.Set.Field) {
			v.bad(id, "set.field", "want a field name (letters, digits, _), got %q", n.Set.Field)
		}
		required("set.next", n.Set.Next)
	case n.Branch != nil:
		if !ValidFieldName(n.Branch.Field) {
			v.bad(id, "branch.field", "want a field name (letters, digits, _), got %q", n.Branch.Field)
		}
		required("branch.default", n.Branch.Default)
	}
}

// database checks a database node: a configured database, one statement
// or procedure that its driver accepts, field names, and the three ways out.
func (v *validator) database(n *Node) {
	id, m := n.ID, n.Database
	driver, known := "", true
	switch {
	case m.Database == "":
		v.bad(id, "database.database", "is required: the name of an acd.databases entry")
		known = false
	case v.refs.Database != nil:
		if driver, known = v.refs.Database(m.Database); !known {
			v.bad(id, "database.database", "unknown database %q (acd.databases)", m.Database)
		}
	}
	switch {
	case (strings.TrimSpace(m.Query) == "") == (m.Procedure == ""):
		v.bad(id, "database.query", "needs exactly one of query, procedure")
	case m.Procedure != "" && !procedureName.MatchString(m.Procedure):
		v.bad(id, "database.procedure", "want a routine name (letters, digits, _; schema.name), got %q", m.Procedure)
	case m.Procedure != "" && driver == "sqlite":
		v.bad(id, "database.procedure", "SQLite has no stored procedures; use query")
	case m.Procedure == "" && len(m.Params) > 0:
		v.bad(id, "database.params", "only a procedure takes params; a query names its fields as %%Name%%")
	case known && v.refs.Statement != nil:
		if err := v.refs.Statement(m); err != nil {
			field := "database.query"
			if m.Procedure != "" {
				field = "database.procedure"
			}
			v.bad(id, field, "%v", err)
		}
	}
	for i, p := range m.Params {
		if !ValidFieldName(p) {
			v.bad(id, fmt.Sprintf("database.params[%d]", i), "want a field name (letters, digits, _), got %q", p)
		}
	}
	for _, col := range sortedKeys(m.Store) {
		if !ValidFieldName(col) || !ValidFieldName(m.Store[col]) {
			v.bad(id, "database.store."+col, "want a column name mapped to a field name (letters, digits, _), got %q: %q", col, m.Store[col])
		}
	}
	if m.Write && len(m.Store) > 0 {
		v.bad(id, "database.store", "a write returns no columns to store")
	}
	if m.Timeout < 0 || m.Timeout > time.Minute {
		v.bad(id, "database.timeout", "want 0 (the database's) .. 1m, got %s", m.Timeout)
	}
	for _, f := range []struct{ field, dest string }{{"database.found", m.Found}, {"database.not_found", m.NotFound}, {"database.error", m.Error}} {
		if f.dest == "" {
			v.bad(id, f.field, "is required")
		}
	}
}

var procedureName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)

func (v *validator) switchNode(n *Node) {
	s := n.Switch
	if s.Switch == "" {
		v.bad(n.ID, "switch.switch", "is required")
		return
	}
	sw := Switch{ActiveGoto: s.Active, InactiveGoto: s.Inactive}
	if v.refs.Switch != nil {
		found, ok := v.refs.Switch(s.Switch)
		if !ok {
			v.bad(n.ID, "switch.switch", "unknown switch %q", s.Switch)
			return
		}
		sw = found
	}
	// A destination left empty is the switch's own; it must exist here too.
	if s.Active == "" {
		if sw.ActiveGoto == "" {
			v.bad(n.ID, "switch.active", "is required (the switch has no active_goto)")
		} else {
			v.dest(n.ID, "switch.active", sw.ActiveGoto)
		}
	}
	if s.Inactive == "" {
		if sw.InactiveGoto == "" {
			v.bad(n.ID, "switch.inactive", "is required (the switch has no inactive_goto)")
		} else {
			v.dest(n.ID, "switch.inactive", sw.InactiveGoto)
		}
	}
}

func (v *validator) nonNegative(node, field string, n int) {
	if n < 0 {
		v.bad(node, field, "must not be negative")
	}
}

// sounds checks media URIs; required says the list may not be empty.
func (v *validator) sounds(node, field string, uris []string, required bool) {
	if required && len(uris) == 0 {
		v.bad(node, field, "is required: the caller must hear something")
	}
	for i, u := range uris {
		key := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case !mediaURI.MatchString(u):
			v.bad(node, key, "want a media URI such as sound:welcome or recording:menu, got %q", u)
		case v.refs.Sound != nil && (strings.HasPrefix(u, "sound:") || strings.HasPrefix(u, "recording:")) && !v.refs.Sound(u):
			v.bad(node, key, "no such sound or recording on Asterisk: %q", u)
		}
	}
}

// fixedURL checks a URL whose host the admin fixes: http or https, a
// host, and (when templated) [variables] only in the query, so that no
// call's data ever chooses where ccd connects.
func (v *validator) fixedURL(node, field, raw string, templ bool) {
	base, query, _ := strings.Cut(raw, "?")
	if strings.ContainsAny(base, "[]") {
		v.bad(node, field, "[variables] may only be in the query (after ?): the address is fixed")
		return
	}
	if !templ && strings.ContainsAny(query, "[]") {
		v.bad(node, field, "takes no [variables]")
		return
	}
	u, err := url.Parse(templated.ReplaceAllString(raw, "x"))
	switch {
	case raw == "":
		v.bad(node, field, "is required")
	case err != nil:
		v.bad(node, field, "not a URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		v.bad(node, field, "want http:// or https://")
	case u.Host == "" || u.User != nil:
		v.bad(node, field, "want a host and no user:password@")
	case u.Fragment != "":
		v.bad(node, field, "no #fragment")
	}
}

func (v *validator) dest(node, field, d string) {
	id, t, err := parseDest(d)
	switch {
	case err != nil:
		v.bad(node, field, "%v", err)
	case t != nil:
		v.terminal(node, field, *t)
	case v.nodes[id] == nil:
		v.bad(node, field, "unknown destination %q", d)
	}
}

func (v *validator) terminal(node, field string, t Terminal) {
	switch t.Kind {
	case ToQueue:
		if v.refs.Queue != nil && !v.refs.Queue(t.Target) {
			v.bad(node, field, "unknown queue %q", t.Target)
		}
		if t.Priority < 0 || t.Priority > 9 {
			v.bad(node, field, "queue priority must be 1..9")
		}
	case ToAgent:
		if v.refs.Agent != nil && !v.refs.Agent(t.Target) {
			v.bad(node, field, "unknown agent %q", t.Target)
		}
	case ToFlow:
		if t.Target != v.f.Name && v.refs.Flow != nil && !v.refs.Flow(t.Target) {
			v.bad(node, field, "unknown flow %q", t.Target)
		}
	case ToNumber, ToVoicemail:
		if !dialable.MatchString(t.Target) {
			v.bad(node, field, "want a number (digits, *, #, a leading +), got %q", t.Target)
		}
	}
}

// successors are the nodes n may go to; dynamic says n may also go to any
// node a remote service names.
func (v *validator) successors(n *Node) (next []string, dynamic bool) {
	for _, e := range n.edges() {
		if id, t, err := parseDest(e.dest); err == nil && t == nil {
			next = append(next, id)
		}
	}
	if n.Switch != nil && v.refs.Switch != nil {
		if sw, ok := v.refs.Switch(n.Switch.Switch); ok {
			for _, d := range []string{sw.ActiveGoto, sw.InactiveGoto} {
				if id, t, err := parseDest(d); err == nil && t == nil && d != "" {
					next = append(next, id)
				}
			}
		}
	}
	switch {
	case n.HTTP != nil:
		dynamic = (n.HTTP.Action == "goto" || n.HTTP.Action == "dynamic") && len(n.HTTP.Returns) == 0
	case n.Identify != nil:
		dynamic = n.Identify.Mode == "destination"
	}
	return next, dynamic
}

// reachable names every node no path from the start reaches. A module
// whose remote service may name any node makes every node reachable.
func (v *validator) reachable() {
	seen := map[string]bool{v.f.Start: true}
	queue := []string{v.f.Start}
	for len(queue) > 0 {
		n := v.nodes[queue[0]]
		queue = queue[1:]
		next, dynamic := v.successors(n)
		if dynamic {
			return
		}
		for _, id := range next {
			if !seen[id] {
				seen[id] = true
				queue = append(queue, id)
			}
		}
	}
	for _, n := range v.f.Nodes {
		if !seen[n.ID] {
			v.bad(n.ID, "id", "unreachable: no path from the start (%q) leads here", v.f.Start)
		}
	}
}

// waits tells the nodes where the caller hears something or is asked for
// something: a loop must pass one of them.
func waits(n *Node) bool {
	switch {
	case n.Menu != nil, n.Identify != nil, n.Play != nil:
		return true
	case n.Say != nil:
		return n.Say.Value != ""
	case n.HTTP != nil:
		return n.HTTP.Collect
	}
	return false
}

// loops names a loop through nodes that never wait for the caller (time
// conditions, switches, branches, gotos, HTTP modules without input): the
// call would spin without the caller hearing anything.
func (v *validator) loops() {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var visit func(id string) bool
	visit = func(id string) bool {
		color[id] = grey
		n := v.nodes[id]
		for _, e := range n.edges() {
			next, t, err := parseDest(e.dest)
			if err != nil || t != nil || waits(v.nodes[next]) {
				continue
			}
			switch color[next] {
			case grey:
				v.bad(id, e.field, "loop without a prompt: %q leads back to %q and the caller hears nothing meanwhile", id, next)
				return true
			case white:
				if visit(next) {
					return true
				}
			}
		}
		color[id] = black
		return false
	}
	for _, id := range slices.Sorted(maps.Keys(v.nodes)) {
		if color[id] == white && !waits(v.nodes[id]) && visit(id) {
			return
		}
	}
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
