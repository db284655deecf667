package config

import "github.com/ccdhq/ccd/acd"

// Spec is the engine's specification (acd.Spec) of this configuration: the
// ACD runs on its own types, and this is where the file's become them.
func (a ACD) Spec() acd.Spec {
	s := acd.Spec{DefaultExtension: a.DefaultExtension}
	for _, q := range a.Queues {
		s.Queues = append(s.Queues, q.Spec())
	}
	for _, ag := range a.Agents {
		s.Agents = append(s.Agents, acd.AgentSpec{ID: ag.ID, Name: ag.Name, Endpoint: ag.DefaultEndpoint(),
			Skills: ag.Skills, Groups: ag.Groups})
	}
	for _, g := range a.Groups {
		s.Groups = append(s.Groups, acd.GroupSpec{Name: g.Name, Agents: g.Agents})
	}
	return s
}

// Spec is the engine's specification of one queue.
func (q Queue) Spec() acd.QueueSpec {
	s := acd.QueueSpec{Code: q.Code, Name: q.Name, Skills: q.Skills, Groups: q.Groups, Strategy: q.Strategy,
		RingTimeout: q.RingTimeout, WrapUp: q.WrapUp, MaxWaiting: q.MaxWaiting, AnnounceEvery: q.AnnounceEvery,
		MOHClass: q.MOHClass, Record: q.Record, FullDestination: q.FullDestination}
	for _, o := range q.Overflow {
		s.Overflow = append(s.Overflow, acd.OverflowSpec{AfterWait: o.AfterWait, PositionAbove: o.PositionAbove,
			NoAgentsLoggedIn: o.NoAgentsLoggedIn, ToQueue: o.ToQueue, Expand: o.Expand, ToNumber: o.ToNumber, ToDefault: o.ToDefault})
	}
	return s
}
