package flow

import (
	"strings"
	"testing"
)

func TestCrossFlowLoops(t *testing.T) {
	menu := func(id, dest string) Node {
		return Node{ID: id, Menu: &Menu{Prompt: []string{"sound:m"}, TimeoutDest: dest, InvalidDest: dest, Keys: map[string]string{"1": dest}}}
	}
	type want struct{ flow, node, field string }
	for _, c := range []struct {
		name  string
		flows []Flow
		want  []want
	}{
		{"a to b to a", []Flow{
			{Name: "a", Start: "t", Nodes: []Node{{ID: "t", Time: &TimeCond{Match: "flow:b", NoMatch: "hangup"}}}},
			{Name: "b", Start: "x", Nodes: []Node{{ID: "x", Set: &Set{Field: "v", Value: "1", Next: "y"}}, {ID: "y", Flow: "a"}}},
		}, []want{{"a", "t", "time.match"}, {"b", "y", "flow"}}},
		{"a to its own start", []Flow{
			{Name: "a", Start: "s", Nodes: []Node{{ID: "s", Set: &Set{Field: "v", Value: "1", Next: "g"}}, {ID: "g", Goto: "flow:a"}}},
		}, []want{{"a", "g", "goto"}}},
		{"three flows through a switch's own destination", []Flow{
			{Name: "a", Start: "s", Nodes: []Node{{ID: "s", Switch: &SwitchNode{Switch: "100"}}}},
			{Name: "b", Start: "x", Nodes: []Node{{ID: "x", Goto: "flow:c"}}},
			{Name: "c", Start: "x", Nodes: []Node{{ID: "x", Branch: &Branch{Field: "v", Default: "flow:a"}}}},
		}, []want{{"a", "s", "switch.active"}, {"b", "x", "goto"}, {"c", "x", "branch.default"}}},
		{"a prompt on the way", []Flow{
			{Name: "a", Start: "t", Nodes: []Node{{ID: "t", Goto: "flow:b"}}},
			{Name: "b", Start: "m", Nodes: []Node{menu("m", "flow:a")}},
		}, nil},
		{"a prompt inside b after its start", []Flow{
			{Name: "a", Start: "t", Nodes: []Node{{ID: "t", Goto: "flow:b"}}},
			{Name: "b", Start: "x", Nodes: []Node{{ID: "x", Goto: "m"}, menu("m", "flow:a")}},
		}, nil},
		{"no way back", []Flow{
			{Name: "a", Start: "t", Nodes: []Node{{ID: "t", Goto: "flow:b"}}},
			{Name: "b", Start: "x", Nodes: []Node{{ID: "x", Queue: &QueueDest{Code: "sales"}}}},
		}, nil},
		{"a flow that does not exist", []Flow{
			{Name: "a", Start: "t", Nodes: []Node{{ID: "t", Goto: "flow:nope"}}},
		}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			refs := Refs{Switch: func(n string) (Switch, bool) {
				return Switch{Localnumber: n, Active: true, ActiveGoto: "flow:b", InactiveGoto: "hangup"}, n == "100"
			}}
			got := CrossFlowLoops(c.flows, refs)
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i, w := range c.want {
				p := got[i]
				if p.Flow != w.flow || p.Node != w.node || p.Field != w.field || !strings.Contains(p.Problem.Problem, "loop without a prompt across flows") {
					t.Errorf("problem %d: %s %+v, want %+v", i, p.Flow, p.Problem, w)
				}
			}
		})
	}
}
