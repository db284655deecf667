package main

import (
	"slices"
	"time"
)

// sent is one agent state change the bench made: agent's state became
// value when the request left at at.
type sent struct {
	agent string
	value string
	at    time.Time
}

// seen is a state a session showed for an agent from at on (the snapshot
// that first had it arrived then).
type seen struct {
	value string
	at    time.Time
}

// outcome is what one session made of the changes of one or more agents.
type outcome struct {
	delivered int
	missed    int
	latencies []time.Duration
}

func (o *outcome) add(p outcome) {
	o.delivered += p.delivered
	o.missed += p.missed
	o.latencies = append(o.latencies, p.latencies...)
}

// match pairs an agent's changes, in the order they were made, with the
// states a session showed for it, in the order they arrived. A change is
// delivered when the session showed its value after the change was made
// and before showing any later change's value; a change the session never
// showed (a later one came first, or nothing came) is missed. Consecutive
// changes never repeat a value, so each showing can stand for at most one
// change.
func match(changes []sent, shown []seen) outcome {
	var o outcome
	next := 0
	for _, s := range shown {
		k := firstFrom(changes, next, s)
		if k < 0 {
			continue // a state from before the changes, or one not made here
		}
		o.missed += k - next
		o.delivered++
		o.latencies = append(o.latencies, s.at.Sub(changes[k].at))
		next = k + 1
	}
	o.missed += len(changes) - next
	return o
}

// firstFrom is the index of the first change at or after from that s can
// show (same value, made before s arrived), or -1.
func firstFrom(changes []sent, from int, s seen) int {
	for k := from; k < len(changes); k++ {
		if changes[k].at.After(s.at) {
			return -1
		}
		if changes[k].value == s.value {
			return k
		}
	}
	return -1
}

// percentile is the p-th percentile (0..100) of ds, nearest rank; 0 for
// none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}
