package pacing

import (
	"math"
	"time"
)

// Adaptive is a controller in the style of VICIdial's AST_VDadapt.pl, kept as
// the baseline the predictive mode is measured against: every 15 s it
// recomputes a dial level (lines per logged-in agent) from the last 15 s of
// samples, raising it while agents wait and lowering it while answered calls
// wait; it halves the level whenever the day's drop rate is over the target and
// caps it at 3.0. It knows nothing of ring or talk times.
type Adaptive struct {
	// Target is the drop (abandon) rate not to pass; 0 means DefaultMaxAbandon.
	Target float64
	// Max caps the dial level; 0 means DefaultMaxRatio (3.0).
	Max float64
	// Interval between recomputations; 0 means 15 s.
	Interval time.Duration

	level   float64
	next    time.Time
	samples []adaptiveSample
}

type adaptiveSample struct {
	at                     time.Time
	ready, waiting, agents int
}

func (a *Adaptive) interval() time.Duration {
	if a.Interval > 0 {
		return a.Interval
	}
	return 15 * time.Second
}

// Level is the current dial level.
func (a *Adaptive) Level() float64 { return max(a.level, 1) }

// Pace records o as a sample, recomputes the level when its interval has
// passed, and places calls up to level × logged-in agents lines.
func (a *Adaptive) Pace(o Observation) Decision {
	if a.level == 0 {
		a.level = 1
		a.next = o.Now.Add(a.interval())
	}
	a.samples = append(a.samples, adaptiveSample{at: o.Now, ready: o.FreeAgents, waiting: o.Waiting, agents: o.LoggedIn()})
	if !o.Now.Before(a.next) {
		a.recompute(o)
		a.next = o.Now.Add(a.interval())
	}
	goal := int(math.Ceil(a.level * float64(o.LoggedIn())))
	return Decision{Mode: Predictive, Calls: max(0, goal-o.lines()), Reason: "adaptive dial level"}
}

func (a *Adaptive) recompute(o Observation) {
	from := o.Now.Add(-a.interval())
	var ready, waiting, agents, n float64
	for _, s := range a.samples {
		if s.at.Before(from) {
			continue
		}
		ready += float64(s.ready)
		waiting += float64(s.waiting)
		agents += float64(s.agents)
		n++
	}
	a.samples = a.samples[:0]
	if n == 0 || agents == 0 {
		return
	}
	// the differential: agents left waiting minus calls left waiting, as a
	// share of the agents, moves the level up or down
	a.level += (ready - waiting) / agents
	if dayDropRate(o.Windows) > a.target() {
		a.level /= 2
	}
	a.level = min(max(a.level, 1), a.max())
}

func (a *Adaptive) target() float64 {
	if a.Target > 0 {
		return a.Target
	}
	return DefaultMaxAbandon
}

func (a *Adaptive) max() float64 {
	if a.Max > 0 {
		return a.Max
	}
	return DefaultMaxRatio
}

// dayDropRate is the drop rate of the window closest to a day (VICIdial looks
// at today's drops).
func dayDropRate(ws []Window) float64 {
	best := -1
	for i, w := range ws {
		if best < 0 || absDur(w.Span-24*time.Hour) < absDur(ws[best].Span-24*time.Hour) {
			best = i
		}
	}
	if best < 0 {
		return 0
	}
	return ws[best].Rate()
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
