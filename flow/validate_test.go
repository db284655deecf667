package flow

import (
	"strings"
	"testing"
)

func problemsOf(f Flow, refs Refs) map[string]string {
	out := map[string]string{}
	for _, p := range Validate(&f, refs) {
		out[p.Node+" "+p.Field] = p.Problem
	}
	return out
}

func TestValidationNamesNodeAndField(t *testing.T) {
	refs := Refs{
		Queue:  func(c string) bool { return c == "sales" },
		Agent:  func(id string) bool { return id == "1001" },
		Flow:   func(n string) bool { return n == "night" },
		Switch: func(n string) (Switch, bool) { return Switch{Localnumber: n}, n == "100" },
		Sound:  func(u string) bool { return u != "sound:missing" },
	}
	cases := []struct {
		name string
		f    Flow
		key  string
		want string
	}{
		{"unknown node", Flow{Name: "f", Start: "m", Nodes: []Node{
			{ID: "m", Menu: &Menu{Prompt: []string{"sound:a"}, TimeoutDest: "nowhere", InvalidDest: "hangup"}}}},
			"m menu.timeout_dest", "unknown destination"},
		{"unknown queue", Flow{Name: "f", Start: "m", Nodes: []Node{{ID: "m", Goto: "queue:nope"}}},
			"m goto", `unknown queue "nope"`},
		{"unknown agent", Flow{Name: "f", Start: "m", Nodes: []Node{{ID: "m", Agent: "2"}}}, "m agent", "unknown agent"},
		{"unknown flow", Flow{Name: "f", Start: "m", Nodes: []Node{{ID: "m", Flow: "day"}}}, "m flow", "unknown flow"},
		{"unknown switch", Flow{Name: "f", Start: "m", Nodes: []Node{{ID: "m", Switch: &SwitchNode{Switch: "7", Active: "hangup", Inactive: "hangup"}}}},
			"m switch.switch", "unknown switch"},
		{"missing sound", Flow{Name: "f", Start: "m", Nodes: []Node{{ID: "m", Play: &Play{Sounds: []string{"sound:missing"}, Next: "hangup"}}}},
			"m play.sounds[0]", "no such sound"},
		{"menu without prompt", Flow{Name: "f", Start: "m", Nodes: []Node{
			{ID: "m", Menu: &Menu{TimeoutDest: "hangup", InvalidDest: "hangup"}}}}, "m menu.prompt", "is required"},
		{"unreachable", Flow{Name: "f", Start: "m", Nodes: []Node{{ID: "m", Hangup: true}, {ID: "lost", Hangup: true}}},
			"lost id", "unreachable"},
		{"loop without a prompt", Flow{Name: "f", Start: "a", Nodes: []Node{
			{ID: "a", Branch: &Branch{Field: "x", Cases: map[string]string{"1": "queue:sales"}, Default: "b"}},
			{ID: "b", Set: &Set{Field: "x", Value: "2", Next: "a"}}}}, "b set.next", "loop without a prompt"},
		{"two kinds", Flow{Name: "f", Start: "m", Nodes: []Node{{ID: "m", Hangup: true, Agent: "1001"}}}, "m agent", "has hangup, agent"},
		{"host templated", Flow{Name: "f", Start: "m", Nodes: []Node{
			{ID: "m", HTTP: &HTTP{URL: "http://[input].evil/x", Action: "none", Goto: "hangup"}}}}, "m http.url", "only be in the query"},
		{"not http", Flow{Name: "f", Start: "m", Nodes: []Node{
			{ID: "m", HTTP: &HTTP{URL: "file:///etc/passwd", Action: "none", Goto: "hangup"}}}}, "m http.url", "http://"},
		{"bad action", Flow{Name: "f", Start: "m", Nodes: []Node{
			{ID: "m", HTTP: &HTTP{URL: "http://crm/x", Action: "Goto", Goto: "hangup"}}}}, "m http.action", "want none"},
		{"bad weekly", Flow{Name: "f", Start: "m", Nodes: []Node{{ID: "m", Time: &TimeCond{
			Group: TimeGroup{Weekly: []Weekly{{Days: "mon-fry", From: "08:00", To: "17:00"}}}, Match: "hangup", NoMatch: "hangup"}}}},
			"m time.group.weekly[0].days", "want days"},
		{"start", Flow{Name: "f", Start: "x", Nodes: []Node{{ID: "m", Hangup: true}}}, " start", "unknown node"},
		{"three adata", Flow{Name: "f", Start: "m", Adata: []string{"a", "b", "c"}, Nodes: []Node{{ID: "m", Hangup: true}}},
			" adata", "at most two"},
		{"bad adata field", Flow{Name: "f", Start: "m", Adata: []string{"ok", "no way"}, Nodes: []Node{{ID: "m", Hangup: true}}},
			" adata[1]", "want a field name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := problemsOf(c.f, refs)
			if !strings.Contains(got[c.key], c.want) {
				t.Fatalf("problem at %q = %q, want %q; all: %v", c.key, got[c.key], c.want, got)
			}
		})
	}
}

func TestValidFlowsHaveNoProblems(t *testing.T) {
	for _, f := range []Flow{menuFlow(), identifyFlow(""), identifyFlow("destination")} {
		if p := Validate(&f, Refs{}); len(p) > 0 {
			t.Errorf("%s: %v", f.Name, p)
		}
	}
	// A loop through a menu is fine: the caller hears the prompt each time.
	f := menuFlow()
	if p := Validate(&f, Refs{}); len(p) > 0 {
		t.Fatal(p)
	}
}
