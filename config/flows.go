package config

import (
	"fmt"
	"regexp"

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
	names := map[string]bool{}
	for i, f := range a.Flows {
		if names[f.Name] {
			bad(fmt.Sprintf("acd.flows[%d].name", i), "duplicate flow %q", f.Name)
		}
		names[f.Name] = true
	}
	refs := a.FlowRefs(queues, agents, names, switches)
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

// FlowRefs are the names flows may use: queues, agents, flows and
// switches (the sounds on Asterisk are not known to the configuration).
func (a *ACD) FlowRefs(queues, agents, flows map[string]bool, switches map[string]flow.Switch) flow.Refs {
	return flow.Refs{
		Queue:  func(c string) bool { return queues[c] },
		Agent:  func(id string) bool { return agents[id] },
		Flow:   func(n string) bool { return flows[n] },
		Switch: func(n string) (flow.Switch, bool) { s, ok := switches[n]; return s, ok },
	}
}

// CompileFlows compiles the flows of a valid configuration for the flow
// application; version tells this set from the ones before (calls keep the
// version they started with).
func (a *ACD) CompileFlows(version int64) (map[string]*flow.Compiled, error) {
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
	out := map[string]*flow.Compiled{}
	for i, f := range a.Flows {
		c, problems := flow.Compile(f, version, refs)
		if problems != nil {
			return nil, fmt.Errorf("acd.flows[%d]: %w", i, problems[0])
		}
		out[f.Name] = c
	}
	return out, nil
}
