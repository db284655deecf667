package config

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/ccdhq/ccd/flow"
)

var switchNumber = regexp.MustCompile(`^[0-9]{1,16}$`)

// validateFlows checks the switches and the flows (package flow's rules,
// against the queues, agents, flows and switches of the configuration) and
// returns the flows' names. A flow's problem is keyed by the node's index
// and field (acd.flows[0].nodes[2].menu.timeout_dest) and names the node.
func (a *ACD) validateFlows(queues, agents map[string]bool, bad func(key, format string, args ...any)) map[string]bool {
	switches := map[string]flow.Switch{}
	for i, s := range a.Switches {
		key := fmt.Sprintf("acd.switches[%d]", i)
		switch {
		case !switchNumber.MatchString(s.Localnumber):
			bad(key+".localnumber", "want a number of 1..16 digits, got %q", s.Localnumber)
		case switches[s.Localnumber] != (flow.Switch{}):
			bad(key+".localnumber", "duplicate switch %q", s.Localnumber)
		}
		switches[s.Localnumber] = s
	}
	a.validateDatabases(bad)
	names := map[string]bool{}
	for i, f := range a.Flows {
		if names[f.Name] {
			bad(fmt.Sprintf("acd.flows[%d].name", i), "duplicate flow %q", f.Name)
		}
		names[f.Name] = true
	}
	refs := a.FlowRefs(queues, agents, names, switches)
	index := map[string]int{}
	for i := len(a.Flows) - 1; i >= 0; i-- {
		index[a.Flows[i].Name] = i
	}
	// A loop through several flows is every one's problem: whichever of
	// them is being saved hears of it.
	for _, p := range flow.CrossFlowLoops(a.Flows, refs) {
		e := flowError(index[p.Flow], &a.Flows[index[p.Flow]], &p.Problem)
		bad(e.Key, "%s", e.Problem)
	}
	for i := range a.Flows {
		f := &a.Flows[i]
		index := map[string]int{}
		for j, n := range f.Nodes {
			if _, dup := index[n.ID]; !dup {
				index[n.ID] = j
			}
		}
		for _, p := range flow.Validate(f, refs) {
			key := fmt.Sprintf("acd.flows[%d].%s", i, p.Field)
			if p.Node != "" {
				key = fmt.Sprintf("acd.flows[%d].nodes[%d].%s", i, index[p.Node], p.Field)
				bad(key, "node %q: %s", p.Node, p.Problem)
				continue
			}
			bad(key, "%s", p.Problem)
		}
	}
	return names
}

// FlowRefs are the names flows may use: queues, agents, flows, switches
// and CRM databases (the sounds on Asterisk are not known to the
// configuration).
func (a *ACD) FlowRefs(queues, agents, flows map[string]bool, switches map[string]flow.Switch) flow.Refs {
	drivers := map[string]string{}
	for _, d := range a.Databases {
		drivers[d.Name] = d.Driver
	}
	return flow.Refs{
		Queue:    func(c string) bool { return queues[c] },
		Agent:    func(id string) bool { return agents[id] },
		Flow:     func(n string) bool { return flows[n] },
		Switch:   func(n string) (flow.Switch, bool) { s, ok := switches[n]; return s, ok },
		Database: func(n string) (string, bool) { d, ok := drivers[n]; return d, ok },
	}
}

// validateDatabases checks the CRM databases the flows may name.
func (a *ACD) validateDatabases(bad func(key, format string, args ...any)) {
	names := map[string]bool{}
	for i, d := range a.Databases {
		key := fmt.Sprintf("acd.databases[%d]", i)
		switch {
		case !databaseName.MatchString(d.Name):
			bad(key+".name", "want letters, digits, _ and - (at most 64), got %q", d.Name)
		case names[d.Name]:
			bad(key+".name", "duplicate database %q", d.Name)
		}
		names[d.Name] = true
		if !lookupDrivers[d.Driver] {
			bad(key+".driver", "want postgres, mysql, sqlserver or sqlite, got %q", d.Driver)
		}
		if (d.DSN == "") == (d.DSNEnv == "") {
			bad(key+".dsn", "needs exactly one of dsn, dsn_env")
		}
		if d.Timeout < 0 || d.Timeout > time.Minute {
			bad(key+".timeout", "want 0 (2s) .. 1m, got %s", d.Timeout)
		}
		if d.Connections < 0 || d.Connections > 100 {
			bad(key+".connections", "want 0 (4) .. 100, got %d", d.Connections)
		}
	}
}

var databaseName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// CompileFlows compiles the flows of a valid configuration for the flow
// application; version tells this set from the ones before (calls keep the
// version they started with).
func (a *ACD) CompileFlows(version int64) (map[string]*flow.Compiled, error) {
	return a.CompileFlowsChecked(version, nil)
}

// CompileFlowsChecked is CompileFlows with the database steps' SQL checked
// by statement (the drivers' rules, which the configuration does not
// know); a problem is an *Error naming the flow's node and field.
func (a *ACD) CompileFlowsChecked(version int64, statement func(*flow.Database) error) (map[string]*flow.Compiled, error) {
	queues, agents, flows, switches := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]flow.Switch{}
	for _, q := range a.Queues {
		queues[q.Code] = true
	}
	for _, ag := range a.Agents {
		agents[ag.ID] = true
	}
	for _, f := range a.Flows {
		flows[f.Name] = true
	}
	for _, s := range a.Switches {
		switches[s.Localnumber] = s
	}
	refs := a.FlowRefs(queues, agents, flows, switches)
	refs.Statement = statement
	out := map[string]*flow.Compiled{}
	for i, f := range a.Flows {
		c, problems := flow.Compile(f, version, refs)
		if problems != nil {
			return nil, flowError(i, &f, problems[0])
		}
		out[f.Name] = c
	}
	return out, nil
}

// FlowError is the problem p of flow f, the i-th of acd.flows, as an
// *Error keyed like validation's (acd.flows[0].nodes[2].menu.prompt[0]).
func FlowError(i int, f *flow.Flow, p *flow.Problem) *Error { return flowError(i, f, p) }

// flowError is a flow's problem as an *Error keyed by the node's index and
// field (acd.flows[0].nodes[2].database.query), naming the node.
func flowError(i int, f *flow.Flow, p *flow.Problem) *Error {
	if p.Node == "" {
		return &Error{Key: fmt.Sprintf("acd.flows[%d].%s", i, p.Field), Problem: p.Problem}
	}
	j := slices.IndexFunc(f.Nodes, func(n flow.Node) bool { return n.ID == p.Node })
	return &Error{Key: fmt.Sprintf("acd.flows[%d].nodes[%d].%s", i, j, p.Field), Problem: fmt.Sprintf("node %q: %s", p.Node, p.Problem)}
}
