package acd

import "time"

// Spec is what the engine runs on: its queues, agents and groups. It is the
// engine's own type, so that the ACD does not depend on where its
// configuration comes from (the YAML file at start, the database and the
// admin API while it runs); the edges convert theirs into it.
type Spec struct {
	// DefaultExtension receives calls that match no queue (Tran2Def).
	DefaultExtension string
	Queues           []QueueSpec
	Agents           []AgentSpec
	Groups           []GroupSpec
}

// QueueSpec is one queue.
type QueueSpec struct {
	Code            string
	Name            string
	Skills          map[string]int // required skill -> minimum level 1..10
	Groups          []string       // when set, only agents of one of these groups
	Strategy        string         // longest_idle (""), skill_level, weighted
	RingTimeout     time.Duration  // 0: DefaultRingTimeout
	WrapUp          time.Duration
	MaxWaiting      int // 0: no limit
	AnnounceEvery   time.Duration
	MOHClass        string
	Record          bool
	FullDestination string // a queue, a number, or "" for the default extension
	Overflow        []OverflowSpec
}

// OverflowSpec is one overflow rule: one trigger and one target.
type OverflowSpec struct {
	AfterWait        time.Duration
	PositionAbove    int
	NoAgentsLoggedIn bool
	ToQueue          string
	Expand           bool // search expansion: the call keeps waiting here too
	ToNumber         string
	ToDefault        bool
}

// AgentSpec is one agent.
type AgentSpec struct {
	ID       string
	Name     string
	Endpoint string // where a login that names none puts the agent
	Skills   map[string]int
	Groups   []string
}

// GroupSpec names agents that serve queues together.
type GroupSpec struct {
	Name   string
	Agents []string
}

// Serves says whether agent may serve queue by the specification: the
// queue's skills and groups, as the engine decides (an outbound
// campaign's agents are its queue's).
func (s Spec) Serves(agent, queue string) bool {
	groups := groupsOf(s)[agent]
	for _, a := range s.Agents {
		if a.ID != agent {
			continue
		}
		for _, q := range s.Queues {
			if q.Code == queue {
				return qualifies(a.Skills, groups, q)
			}
		}
	}
	return false
}
