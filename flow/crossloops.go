package flow

import (
	"maps"
	"slices"
	"strings"
)

// FlowProblem is a problem of one flow among several.
type FlowProblem struct {
	Flow string
	Problem
}

// vertex is a node of a flow that does not wait for the caller.
type vertex struct{ flow, node string }

// crossEdge is a way from one vertex to another, and the field that names it.
type crossEdge struct {
	to    vertex
	field string
	flow  bool // it hands the call to a flow (another, or its own start)
}

// CrossFlowLoops finds a loop without a prompt that runs through flows
// handing the call to each other (flow A goes to flow B, which goes back to
// A, and the caller hears nothing on the way): each flow's own validation
// cannot see it. It names, in every flow of the loop, the node and field
// that hands the call to the next flow; nil when there is none. Flows and
// destinations that do not exist are left to each flow's validation.
func CrossFlowLoops(flows []Flow, refs Refs) []*FlowProblem {
	g := crossGraph(flows, refs)
	const (
		white = iota
		grey
		black
	)
	color := map[vertex]int{}
	var stack, cycle []frame // stack: the walk so far, each frame with the edge that led to it
	var visit func(v vertex) bool
	visit = func(v vertex) bool {
		color[v] = grey
		for _, e := range g[v] {
			switch color[e.to] {
			case grey: // back to a node of the walk: the loop is the walk from there
				i := slices.IndexFunc(stack, func(f frame) bool { return f.v == e.to })
				cycle = append(append([]frame{{v: e.to}}, stack[i+1:]...), frame{v: e.to, edge: e})
				return true
			case white:
				stack = append(stack, frame{v: e.to, edge: e})
				if visit(e.to) {
					return true
				}
				stack = stack[:len(stack)-1]
			}
		}
		color[v] = black
		return false
	}
	for _, v := range sortedVertices(g) {
		if color[v] != white {
			continue
		}
		stack = []frame{{v: v}}
		if visit(v) {
			return loopProblems(cycle)
		}
	}
	return nil
}

// frame is a step of a walk: a vertex, and the edge that led to it.
type frame struct {
	v    vertex
	edge crossEdge
}

// loopProblems names, per flow of the loop, the node whose field hands the
// call to the next flow. cycle starts and ends at the same vertex; each
// frame after the first holds the edge that led to it from the one before.
func loopProblems(cycle []frame) []*FlowProblem {
	var path []string
	for _, f := range cycle {
		path = append(path, f.v.flow+"."+f.v.node)
	}
	text := "loop without a prompt across flows: " + strings.Join(path, " -> ") +
		"; the caller would hear nothing while the flows hand the call round"
	var out []*FlowProblem
	seen := map[string]bool{}
	for i := 1; i < len(cycle); i++ {
		from, e := cycle[i-1].v, cycle[i].edge
		if !e.flow || seen[from.flow] {
			continue
		}
		seen[from.flow] = true
		out = append(out, &FlowProblem{Flow: from.flow, Problem: Problem{Node: from.node, Field: e.field, Problem: text}})
	}
	if len(out) == 0 { // within one flow (through a switch's own destinations): the edge that closes it
		from, e := cycle[len(cycle)-2].v, cycle[len(cycle)-1].edge
		out = append(out, &FlowProblem{Flow: from.flow, Problem: Problem{Node: from.node, Field: e.field, Problem: text}})
	}
	return out
}

// crossGraph links every node that does not wait to the nodes that do not
// wait it goes to, within its flow and into the start of the flows it
// hands the call to.
func crossGraph(flows []Flow, refs Refs) map[vertex][]crossEdge {
	nodes := map[string]map[string]*Node{}
	starts := map[string]string{}
	for i := range flows {
		f := &flows[i]
		if _, dup := nodes[f.Name]; dup {
			continue
		}
		m := map[string]*Node{}
		for j := range f.Nodes {
			if _, dup := m[f.Nodes[j].ID]; !dup {
				m[f.Nodes[j].ID] = &f.Nodes[j]
			}
		}
		nodes[f.Name], starts[f.Name] = m, f.Start
	}
	target := func(flow, dest string) (vertex, bool, bool) {
		id, t, err := parseDest(dest)
		switch {
		case err != nil:
			return vertex{}, false, false
		case t == nil:
			n := nodes[flow][id]
			return vertex{flow, id}, false, n != nil && !waits(n)
		case t.Kind == ToFlow:
			n := nodes[t.Target][starts[t.Target]]
			return vertex{t.Target, starts[t.Target]}, true, n != nil && !waits(n)
		}
		return vertex{}, false, false
	}
	g := map[vertex][]crossEdge{}
	for name, m := range nodes {
		for id, n := range m {
			if waits(n) {
				continue
			}
			from := vertex{name, id}
			g[from] = nil
			add := func(field, dest string) {
				if to, isFlow, ok := target(name, dest); ok {
					g[from] = append(g[from], crossEdge{to: to, field: field, flow: isFlow})
				}
			}
			for _, e := range n.edges() {
				add(e.field, e.dest)
			}
			if n.Flow != "" {
				add("flow", ToFlow+":"+n.Flow)
			}
			if s := n.Switch; s != nil && refs.Switch != nil {
				if sw, ok := refs.Switch(s.Switch); ok {
					if s.Active == "" && sw.ActiveGoto != "" {
						add("switch.active", sw.ActiveGoto)
					}
					if s.Inactive == "" && sw.InactiveGoto != "" {
						add("switch.inactive", sw.InactiveGoto)
					}
				}
			}
		}
	}
	return g
}

func sortedVertices(g map[vertex][]crossEdge) []vertex {
	return slices.SortedFunc(maps.Keys(g), func(a, b vertex) int {
		if c := strings.Compare(a.flow, b.flow); c != 0 {
			return c
		}
		return strings.Compare(a.node, b.node)
	})
}
