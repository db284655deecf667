package pacing

import (
	"fmt"
	"math"
	"time"
)

// Grace is how long an answered call may wait for an agent before it counts as
// abandoned (the law's 2 seconds).
const Grace = 2 * time.Second

// MinSamples is how many ring and talk samples the model needs before it
// predicts; until then a predictive campaign dials progressive.
const MinSamples = 20

// exactTerms is the number of random terms up to which the model sums the
// exact distributions; above it the sums are close enough to normal.
const exactTerms = 160

// Predict is the predictive mode: the largest number of new calls for which
// the expected abandons among all the calls outstanding stay within the
// campaign's aim, and within what every window (hour, 24 h, 30 days) still
// allows before reaching the limit.
//
// The model looks one ring time ahead (h, the mean time to answer of the
// calls people answered):
//
//	answers X = waiting + Σ Bernoulli(q_i) over the calls ringing + Binomial(c, p)
//	agents  Y = free    + Σ Bernoulli(f_j) over the busy agents
//
// q_i is the chance that a call that has rung r_i is still going to be
// answered by a person, from the answer rate p and the ring-time
// distributions of answered and unanswered calls (Bayes on "still ringing");
// f_j the chance that an agent whose call has lasted e_j is free within
// h + Grace, from the talk-time distribution (its hazard, not an exponential).
// An answered call finds no agent when X > Y, so the expected abandons are
// E[(X-Y)+], computed exactly (Poisson-binomial convolution) for small teams
// and with the normal approximation for large ones.
//
// A campaign with no room left under its limit in some window dials as
// progressive, which never leaves an answered call without an agent.
func Predict(s Settings, o Observation) Decision {
	prog := progressive(o)
	p := o.AnswerRate
	if p <= 0 || o.RingTimes.Len() < MinSamples || o.TalkTimes.Len() < MinSamples {
		return Decision{Mode: Progressive, Calls: prog, Reason: "learning: too few samples for the model"}
	}
	p = min(p, 1)
	m := newModel(o)
	fits := func(c int) bool {
		return m.expectedAbandons(c, p) <= allowance(s, o.Windows, m.expectedAnswers(c, p), m.expectedAbandons(c, p))
	}
	if !fits(0) {
		return Decision{Mode: Progressive, Calls: prog, Reason: "no room under the abandon limit",
			ExpectedAbandons: m.expectedAbandons(0, p)}
	}
	maxCalls := int(s.maxRatio()*float64(o.LoggedIn())) - o.lines()
	c := 0
	for c < maxCalls && fits(c+1) {
		c++
	}
	if c < prog {
		c = prog
	}
	return Decision{Mode: Predictive, Calls: c, ExpectedAbandons: m.expectedAbandons(c, p),
		Reason: fmt.Sprintf("model: p=%.2f h=%s", p, m.horizon.Round(time.Second))}
}

// The guard on the windows: the model's expected abandons err low by up to
// about half (measured in dialer/sim), and a small team's window moves by
// whole calls, so a window must keep room for twice the expected abandons plus
// two more, under 90 % of the limit.
const (
	windowMargin = 0.9
	modelErr     = 3.0
	reserveCalls = 2.0
)

// allowance is how many of answered expected answers may be abandoned: the
// aim's share of the limit, and no more than any window can take (with the
// guard's margins) before its rate would pass the limit.
func allowance(s Settings, windows []Window, answered, abandons float64) float64 {
	limit := s.maxAbandon()
	allowed := s.aim() * limit * answered
	for _, w := range windows {
		room := windowMargin*limit*(float64(w.Answered)+answered) - float64(w.Abandoned) - reserveCalls
		allowed = min(allowed, room-(modelErr-1)*abandons)
	}
	return allowed
}

// model holds the parts of X and Y that do not depend on the new calls.
type model struct {
	horizon time.Duration
	waiting int
	ringing []float64 // q_i
	free    int
	busy    []float64 // f_j

	// exact form, built lazily
	exact bool
	xPMF  []float64 // waiting + ringing answers
	yGain []float64 // yGain[x] = E[(x - Y)+]
	meanY float64
	// X with cachedC new calls, the last one asked for
	cached  []float64
	cachedC int

	// normal form
	meanX0, varX0, varY float64

	// the horizon cut in steps: answers by each step against agents free by it
	steps []step
}

// step is the model at t seconds ahead: the answers (of the calls ringing and
// of each new call) that come by t, and the agents free by t + Grace.
type step struct {
	meanX, varX, meanY, varY float64
	newP                     float64 // P(a new call is answered by a person by t)
}

func newModel(o Observation) *model {
	m := &model{horizon: o.RingTimes.Mean(), waiting: o.Waiting, free: o.FreeAgents}
	p := min(o.AnswerRate, 1)
	for _, r := range o.Ringing {
		m.ringing = append(m.ringing, stillAnswers(p, r, o.RingTimes, o.FailTimes))
	}
	for _, e := range o.Busy {
		m.busy = append(m.busy, o.TalkTimes.EndsWithin(e, m.horizon+Grace))
	}
	m.steps = steps(o, m.horizon, m.ringing)
	m.exact = len(m.ringing)+len(m.busy) <= exactTerms
	if m.exact {
		m.xPMF = poissonBinomial(m.ringing)
		yPMF := poissonBinomial(m.busy)
		m.meanY = float64(m.free) + mean(m.busy)
		m.yGain = gains(yPMF, m.free)
	} else {
		m.meanX0 = float64(m.waiting) + mean(m.ringing)
		m.varX0 = variance(m.ringing)
		m.varY = variance(m.busy)
		m.meanY = float64(m.free) + mean(m.busy)
	}
	return m
}

// stepSize is the resolution of the horizon's steps.
const stepSize = time.Second

// steps builds the model at each second up to the horizon: an answer that
// comes before the agent who would take it is free is abandoned even when
// the agent is free by the horizon.
func steps(o Observation, horizon time.Duration, still []float64) []step {
	p := min(o.AnswerRate, 1)
	var out []step
	for t := stepSize; t < horizon; t += stepSize {
		st := step{meanY: float64(o.FreeAgents), meanX: float64(o.Waiting), newP: p * (1 - o.RingTimes.Survival(t))}
		for i, r := range o.Ringing {
			if still[i] == 0 {
				continue
			}
			q := still[i] * o.RingTimes.EndsWithin(r, t)
			st.meanX += q
			st.varX += q * (1 - q)
		}
		for _, e := range o.Busy {
			f := o.TalkTimes.EndsWithin(e, t+Grace)
			st.meanY += f
			st.varY += f * (1 - f)
		}
		out = append(out, st)
	}
	return out
}

// stepAbandons is the largest E[(X_t - Y_t)+] over the steps, with c new calls.
func (m *model) stepAbandons(c int) float64 {
	var worst float64
	for _, st := range m.steps {
		n := float64(c)
		mu := st.meanX + n*st.newP - st.meanY
		sd := math.Sqrt(st.varX + n*st.newP*(1-st.newP) + st.varY)
		worst = max(worst, positivePartNormal(mu, sd))
	}
	return worst
}

// stillAnswers is P(a person answers | the call has rung r and goes on).
func stillAnswers(p float64, r time.Duration, ring, fail *Dist) float64 {
	a := p * ring.Survival(r)
	if a == 0 {
		return 0
	}
	n := (1 - p) * fail.Survival(r)
	return a / (a + n)
}

func (m *model) expectedAnswers(c int, p float64) float64 {
	return float64(m.waiting) + mean(m.ringing) + float64(c)*p
}

// expectedAbandons is E[(X-Y)+] with c new calls, at the horizon or at
// whichever step before it is worse.
func (m *model) expectedAbandons(c int, p float64) float64 {
	return max(m.horizonAbandons(c, p), m.stepAbandons(c))
}

func (m *model) horizonAbandons(c int, p float64) float64 {
	if !m.exact || len(m.ringing)+len(m.busy)+c > 4*exactTerms {
		mx := m.meanX0
		if m.exact {
			mx = float64(m.waiting) + mean(m.ringing)
		}
		vx := variance(m.ringing) + float64(c)*p*(1-p)
		vy := variance(m.busy)
		return positivePartNormal(mx+float64(c)*p-m.meanY, math.Sqrt(vx+vy))
	}
	// the scan asks for c = 0, 1, 2, ...: extend the last distribution by one call
	if m.cached == nil || m.cachedC > c {
		m.cached, m.cachedC = m.xPMF, 0
	}
	for m.cachedC < c {
		m.cached = addBernoulli(m.cached, p)
		m.cachedC++
	}
	pmf := m.cached
	var e float64
	for k, pk := range pmf {
		e += pk * m.gain(m.waiting+k)
	}
	return e
}

// gain is E[(x - Y)+].
func (m *model) gain(x int) float64 {
	if x < len(m.yGain) {
		return m.yGain[x]
	}
	return float64(x) - m.meanY // x is above every value Y takes
}

// gains returns E[(x - Y)+] for x = 0 .. free+len(pmf), Y = free + a variable
// with distribution pmf.
func gains(pmf []float64, free int) []float64 {
	n := free + len(pmf) + 1
	g := make([]float64, n)
	cdf := 0.0 // P(Y <= x)
	for x := 0; x+1 < n; x++ {
		if k := x - free; k >= 0 && k < len(pmf) {
			cdf += pmf[k]
		}
		g[x+1] = g[x] + cdf
	}
	return g
}

// poissonBinomial is the distribution of a sum of independent Bernoullis.
func poissonBinomial(ps []float64) []float64 {
	pmf := []float64{1}
	for _, p := range ps {
		pmf = addBernoulli(pmf, p)
	}
	return pmf
}

func addBernoulli(pmf []float64, p float64) []float64 {
	out := make([]float64, len(pmf)+1)
	for k, v := range pmf {
		out[k] += v * (1 - p)
		out[k+1] += v * p
	}
	return out
}

func mean(ps []float64) float64 {
	var s float64
	for _, p := range ps {
		s += p
	}
	return s
}

func variance(ps []float64) float64 {
	var s float64
	for _, p := range ps {
		s += p * (1 - p)
	}
	return s
}

// positivePartNormal is E[max(D, 0)] for D normal with mean mu and sd sigma.
func positivePartNormal(mu, sigma float64) float64 {
	if sigma <= 0 {
		return max(mu, 0)
	}
	z := mu / sigma
	phi := math.Exp(-z*z/2) / math.Sqrt(2*math.Pi)
	Phi := 0.5 * math.Erfc(-z/math.Sqrt2)
	return sigma*phi + mu*Phi
}
