package flow

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// randomFlow builds a flow of menus, immediate steps and terminals with
// random destinations; many are invalid (loops, unreachable nodes), and
// only those that validate are run.
func randomFlow(r *rand.Rand) Flow {
	n := 2 + r.IntN(7)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("n%d", i)
	}
	terminals := []string{"hangup", "queue:q1", "number:100", "voicemail:1", "flow:other", "agent:1001"}
	dest := func() string {
		if r.IntN(3) == 0 {
			return terminals[r.IntN(len(terminals))]
		}
		return ids[r.IntN(n)]
	}
	f := Flow{Name: "rand", Start: ids[0]}
	for _, id := range ids {
		node := Node{ID: id}
		switch r.IntN(6) {
		case 0, 1, 2:
			m := &Menu{Prompt: []string{"sound:p"}, TimeoutRetries: r.IntN(3), InvalidRetries: r.IntN(3),
				TimeoutDest: dest(), InvalidDest: dest(), Keys: map[string]string{}}
			if r.IntN(2) == 0 {
				m.Invalid = []string{"sound:inv"}
			}
			for k := 0; k < 1+r.IntN(4); k++ {
				m.Keys[string("0123456789*#"[r.IntN(12)])] = dest()
			}
			if r.IntN(4) == 0 {
				m.DirectDial = 3
			}
			node.Menu = m
		case 3:
			node.Branch = &Branch{Field: "input", Cases: map[string]string{"1": dest()}, Default: dest()}
		case 4:
			node.Set = &Set{Field: "x", Value: "[input]", Next: dest()}
		default:
			node.Goto = dest()
		}
		f.Nodes = append(f.Nodes, node)
	}
	return f
}

// TestPropertyEveryMenuPathEndsAtADestination drives random valid flows
// with random callers (keys valid and invalid, silence, late events) and
// checks that: after every input the call is either gone or waiting for
// something that will come (a playback's end, a timer, an answer), so no
// caller is left in silence; no more nodes are walked between two waits
// than the flow has (no loop without the caller); and a menu is left after
// at most its retries.
func TestPropertyEveryMenuPathEndsAtADestination(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	valid := 0
	for iter := 0; iter < 4000; iter++ {
		fl := randomFlow(r)
		c, problems := Compile(fl, 1, Refs{})
		if problems != nil {
			continue
		}
		valid++
		for callNo := 0; callNo < 5; callNo++ {
			driveRandomly(t, r, c)
		}
	}
	if valid < 200 {
		t.Fatalf("only %d random flows were valid: the property was barely tested", valid)
	}
}

func driveRandomly(t *testing.T, r *rand.Rand, f *Compiled) {
	k := &caller{t: t, c: NewCall(f, NewProfile(nil)), env: Env{Now: time.Unix(0, 0)}}
	check := func(out []Action) {
		enters := 0
		for _, a := range out {
			if a.Kind == ActEnter {
				enters++
			}
		}
		if enters > len(f.Flow.Nodes) {
			t.Fatalf("%d nodes walked on one input in a flow of %d: a loop without the caller; %v", enters, len(f.Flow.Nodes), kinds(out))
		}
		if !k.c.Done() && k.c.phase == idle {
			t.Fatalf("the call waits for nothing in %s: %v", k.c.NodeID(), kinds(out))
		}
	}
	check(k.feed(Input{Kind: InStart}))
	waitsInNode, node := 0, k.c.NodeID()
	for step := 0; step < 500 && !k.c.Done(); step++ {
		var in Input
		switch {
		case k.c.phase == prompting && r.IntN(2) == 0, k.c.phase == playing:
			in = Input{Kind: InPlayDone, ID: k.c.seq}
		case r.IntN(3) == 0:
			in = Input{Kind: InTimer, ID: k.c.seq}
		case r.IntN(10) == 0: // a stale event
			in = Input{Kind: InPlayDone, ID: k.c.seq - 1}
		default:
			in = Input{Kind: InDigit, Digit: string("0123456789*#"[r.IntN(12)])}
		}
		out := k.feed(in)
		check(out)
		if k.c.NodeID() != node || slices.ContainsFunc(out, func(a Action) bool { return a.Kind == ActEnter }) {
			waitsInNode, node = 0, k.c.NodeID()
			continue
		}
		if (in.Kind == InTimer || in.Kind == InDigit) && len(out) > 0 { // an input the menu took
			waitsInNode++
		}
		if n, ok := f.Node(node); ok && n.Menu != nil {
			limit := (n.Menu.TimeoutRetries + 1) + (n.Menu.InvalidRetries+1)*(max(n.Menu.DirectDial, 1)+1) + 1
			if waitsInNode > limit {
				t.Logf("menu %+v trace %v", *n.Menu, kinds(k.actions[max(len(k.actions)-30, 0):]))
				t.Fatalf("menu %s kept the caller for %d inputs (retries %d/%d)", node, waitsInNode,
					n.Menu.TimeoutRetries, n.Menu.InvalidRetries)
			}
		}
	}
}

// TestPropertySilentCallerLeavesEveryMenu: a caller who never keys
// anything leaves a menu after exactly timeout_retries+1 prompts, for its
// timeout destination.
func TestPropertySilentCallerLeavesEveryMenu(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 500; iter++ {
		retries := r.IntN(5)
		fl := Flow{Name: "m", Start: "m", Nodes: []Node{{ID: "m", Menu: &Menu{Prompt: []string{"sound:p"},
			TimeoutRetries: retries, TimeoutDest: "queue:t", InvalidDest: "hangup"}}}}
		c, p := Compile(fl, 1, Refs{})
		if p != nil {
			t.Fatal(p)
		}
		k := start(t, c, Env{}, nil)
		prompts := 0
		for !k.c.Done() {
			prompts++
			k.promptEnds()
			k.timeout()
		}
		if prompts != retries+1 || k.ended() != "queue:t" {
			t.Fatalf("retries %d: %d prompts, ended at %s", retries, prompts, k.ended())
		}
	}
}
