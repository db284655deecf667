package acd

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchCenter is a busy center: 10 skills, one queue per skill plus a queue
// every agent serves ("all"), 500 agents with 3 to 5 random skills (the last
// one only "all"), all logged in and not ready, and 1,000 calls waiting in the
// skill queues with random priorities.
func benchCenter(b *testing.B) (*Engine, time.Time) {
	r := rand.New(rand.NewPCG(1, 2))
	var cfg Spec
	cfg.Queues = append(cfg.Queues, QueueSpec{Code: "all", Skills: map[string]int{"base": 1}})
	for s := range 10 {
		cfg.Queues = append(cfg.Queues, QueueSpec{Code: fmt.Sprint("q", s), Skills: map[string]int{fmt.Sprint("s", s): 1 + r.IntN(3)}})
	}
	for i := range 500 {
		skills := map[string]int{"base": 1}
		if i < 499 {
			for range 3 + r.IntN(3) {
				skills[fmt.Sprint("s", r.IntN(10))] = 1 + r.IntN(10)
			}
		}
		cfg.Agents = append(cfg.Agents, AgentSpec{ID: fmt.Sprint("a", i), Endpoint: fmt.Sprint("PJSIP/", 1000+i), Skills: skills})
	}
	e, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	now := t0
	for _, a := range cfg.Agents {
		now = now.Add(time.Millisecond)
		if err := e.Login(now, a.ID, ""); err != nil {
			b.Fatal(err)
		}
		if err := e.NotReady(now, a.ID, "busy"); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 1000 {
		now = now.Add(time.Millisecond)
		if err := e.Arrive(now, Arrival{CallID: fmt.Sprint("c", i), Queue: fmt.Sprint("q", r.IntN(10)), Priority: 1 + r.IntN(9)}); err != nil {
			b.Fatal(err)
		}
	}
	e.Take()
	return e, now
}

// BenchmarkSelectAgentReady: an agent becomes ready with 1,000 calls waiting;
// the engine picks the best call of the agent's queues and offers it. Each
// iteration is one selection and offer plus the withdrawal that undoes it (the
// call goes back to its place and is checked against the 500 agents again).
func BenchmarkSelectAgentReady(b *testing.B) {
	e, now := benchCenter(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprint("a", i%499)
		_ = e.Ready(now, id)
		_ = e.NotReady(now, id, "busy")
		e.Take()
	}
}

// BenchmarkSelectCallArrival: a call arrives in a queue all 500 agents serve,
// with one of them ready; the engine scans the agents and offers the call. Each
// iteration is one arrival and offer plus the caller hanging up while ringing.
func BenchmarkSelectCallArrival(b *testing.B) {
	e, now := benchCenter(b)
	_ = e.Ready(now, "a499") // serves only "all", where nobody waits
	e.Take()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprint("n", i)
		_ = e.Arrive(now, Arrival{CallID: id, Queue: "all"})
		e.Hangup(now, id)
		e.Take()
	}
}

// BenchmarkPick is the selection alone, without events and actions: the best
// call for an agent (heap heads of its queues) and the best agent for a queue
// (a scan of its 500 agents).
func BenchmarkPick(b *testing.B) {
	e, now := benchCenter(b)
	for _, a := range e.agentList {
		a.State = Ready // pretend: selection only, nothing is offered
	}
	var withCalls []*agent
	for _, a := range e.agentList {
		if e.pickCall(a) != nil {
			withCalls = append(withCalls, a)
		}
	}
	b.Run("call-for-agent", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if e.pickCall(withCalls[i%len(withCalls)]) == nil {
				b.Fatal("no call")
			}
		}
	})
	b.Run("agent-for-call", func(b *testing.B) {
		b.ReportAllocs()
		q := e.queues["all"]
		for b.Loop() {
			if e.pickAgent(now, q, &call{}) == nil {
				b.Fatal("no agent")
			}
		}
	})
}
