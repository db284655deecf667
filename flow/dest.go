package flow

import (
	"fmt"
	"strconv"
	"strings"
)

// Terminal kinds: where a call leaves the flow.
const (
	ToQueue     = "queue"
	ToAgent     = "agent"
	ToNumber    = "number"
	ToVoicemail = "voicemail"
	ToFlow      = "flow"
	ToHangup    = "hangup"
)

// Terminal is where a call leaves the flow.
type Terminal struct {
	Kind     string `json:"kind"`
	Target   string `json:"target,omitempty"`   // queue code, agent id, number, mailbox, flow name
	Priority int    `json:"priority,omitempty"` // queue: 1..9, 0 the profile's or the queue's
}

func (t Terminal) String() string {
	if t.Target == "" {
		return t.Kind
	}
	return t.Kind + ":" + t.Target
}

// parseDest splits a destination into a node id or an inline terminal.
func parseDest(s string) (node string, t *Terminal, err error) {
	if s == ToHangup {
		return "", &Terminal{Kind: ToHangup}, nil
	}
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return s, nil, nil
	}
	switch kind {
	case ToQueue:
		code, prio, hasPrio := strings.Cut(rest, ":")
		t := &Terminal{Kind: ToQueue, Target: code}
		if hasPrio {
			p, err := strconv.Atoi(prio)
			if err != nil || p < 1 || p > 9 {
				return "", nil, fmt.Errorf("queue priority must be 1..9, got %q", prio)
			}
			t.Priority = p
		}
		if code == "" {
			return "", nil, fmt.Errorf("names no queue")
		}
		return "", t, nil
	case ToAgent, ToNumber, ToVoicemail, ToFlow:
		if rest == "" {
			return "", nil, fmt.Errorf("names no %s", kind)
		}
		return "", &Terminal{Kind: kind, Target: rest}, nil
	}
	return "", nil, fmt.Errorf("unknown destination kind %q (want a node id, queue:, agent:, number:, voicemail:, flow: or hangup)", kind)
}

// terminalOf is the terminal a node is, nil for the others.
func terminalOf(n *Node) *Terminal {
	switch {
	case n.Hangup:
		return &Terminal{Kind: ToHangup}
	case n.Queue != nil:
		return &Terminal{Kind: ToQueue, Target: n.Queue.Code, Priority: n.Queue.Priority}
	case n.Agent != "":
		return &Terminal{Kind: ToAgent, Target: n.Agent}
	case n.Number != "":
		return &Terminal{Kind: ToNumber, Target: n.Number}
	case n.Voicemail != "":
		return &Terminal{Kind: ToVoicemail, Target: n.Voicemail}
	case n.Flow != "":
		return &Terminal{Kind: ToFlow, Target: n.Flow}
	}
	return nil
}

// edge is one destination a node names, with the field it is in.
type edge struct {
	field string
	dest  string
}

// edges are the destinations node n names, each with its field.
func (n *Node) edges() []edge {
	var out []edge
	add := func(field, d string) {
		if d != "" {
			out = append(out, edge{field, d})
		}
	}
	switch {
	case n.Menu != nil:
		add("menu.timeout_dest", n.Menu.TimeoutDest)
		add("menu.invalid_dest", n.Menu.InvalidDest)
		for _, k := range sortedKeys(n.Menu.Keys) {
			add("menu.keys."+k, n.Menu.Keys[k])
		}
	case n.Time != nil:
		add("time.match", n.Time.Match)
		add("time.no_match", n.Time.NoMatch)
	case n.Switch != nil:
		add("switch.active", n.Switch.Active)
		add("switch.inactive", n.Switch.Inactive)
	case n.Identify != nil:
		add("identify.found", n.Identify.Found)
		add("identify.not_found", n.Identify.NotFound)
	case n.HTTP != nil:
		add("http.goto", n.HTTP.Goto)
		add("http.timeout_dest", n.HTTP.TimeoutDest)
		for i, r := range n.HTTP.Returns {
			add(fmt.Sprintf("http.returns[%d]", i), r)
		}
	case n.Database != nil:
		add("database.found", n.Database.Found)
		add("database.not_found", n.Database.NotFound)
		add("database.error", n.Database.Error)
	case n.Play != nil:
		add("play.next", n.Play.Next)
	case n.Say != nil:
		add("say.next", n.Say.Next)
	case n.Set != nil:
		add("set.next", n.Set.Next)
	case n.Branch != nil:
		for _, k := range sortedKeys(n.Branch.Cases) {
			add("branch.cases."+k, n.Branch.Cases[k])
		}
		add("branch.default", n.Branch.Default)
	case n.Goto != "":
		add("goto", n.Goto)
	}
	return out
}
