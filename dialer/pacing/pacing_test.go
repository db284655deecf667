package pacing

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func secs(vs ...float64) []time.Duration {
	out := make([]time.Duration, len(vs))
	for i, v := range vs {
		out[i] = time.Duration(v * float64(time.Second))
	}
	return out
}

func TestDist(t *testing.T) {
	d := NewDist(secs(10, 20, 30, 40))
	if got := d.Survival(20 * time.Second); got != 0.5 {
		t.Errorf("Survival(20s) = %v, want 0.5", got)
	}
	if got := d.Survival(0); got != 1 {
		t.Errorf("Survival(0) = %v, want 1", got)
	}
	if got := d.Mean(); got != 25*time.Second {
		t.Errorf("Mean = %v, want 25s", got)
	}
	// lasted 20 s: 30 and 40 remain; within 15 s more only 30 ends
	if got := d.EndsWithin(20*time.Second, 15*time.Second); got != 0.5 {
		t.Errorf("EndsWithin(20s, 15s) = %v, want 0.5", got)
	}
	if got := d.EndsWithin(time.Minute, time.Second); got != 1 {
		t.Errorf("past the longest sample EndsWithin = %v, want 1", got)
	}
	var none *Dist
	if none.Len() != 0 || none.Mean() != 0 || none.Survival(time.Second) != 0 {
		t.Error("a nil Dist is not empty")
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{Preview, Progressive, Power, Predictive} {
		if got, err := ParseMode(string(m)); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %q, %v", m, got, err)
		}
	}
	if _, err := ParseMode("turbo"); err == nil {
		t.Error("ParseMode(turbo) accepted")
	}
}

func TestFixedModes(t *testing.T) {
	o := Observation{FreeAgents: 5, Busy: secs(10, 20, 30), Ringing: secs(1, 2), Waiting: 1}
	cases := []struct {
		s    Settings
		want int
	}{
		{Settings{Mode: Preview}, 0},
		{Settings{Mode: Progressive}, 2},                    // 5 free - 2 ringing - 1 waiting
		{Settings{Mode: Power, Ratio: 2}, 7},                // 10 - 3
		{Settings{Mode: Power, Ratio: 0.5}, 2},              // a ratio under 1 is 1
		{Settings{Mode: Power, Ratio: 3, MaxRatio: 1.5}, 6}, // 12 lines for 8 agents, 6 held
		{Settings{Mode: ""}, 2},                             // no mode: progressive
	}
	for _, c := range cases {
		if got := Pace(c.s, o).Calls; got != c.want {
			t.Errorf("%+v: %d calls, want %d", c.s, got, c.want)
		}
	}
}

// observation is a campaign in its stride: n agents, some busy, calls ringing.
func observation(rng *rand.Rand, n int) Observation {
	var ring, fail, talk []time.Duration
	for range 200 {
		ring = append(ring, time.Duration((3+rng.Float64()*10)*float64(time.Second)))
		fail = append(fail, time.Duration((1+rng.Float64()*24)*float64(time.Second)))
		talk = append(talk, time.Duration((20+rng.ExpFloat64()*90)*float64(time.Second)))
	}
	o := Observation{
		Now: time.Unix(1e9, 0), AnswerRate: 0.2 + 0.2*rng.Float64(),
		RingTimes: NewDist(ring), FailTimes: NewDist(fail), TalkTimes: NewDist(talk),
	}
	for range n {
		if rng.Float64() < 0.7 {
			o.Busy = append(o.Busy, time.Duration(rng.Float64()*float64(3*time.Minute)))
		} else {
			o.FreeAgents++
		}
	}
	for range rng.IntN(2 * n) {
		o.Ringing = append(o.Ringing, time.Duration(rng.Float64()*float64(20*time.Second)))
	}
	return o
}

func TestPredictiveLearnsFirst(t *testing.T) {
	o := Observation{FreeAgents: 4, AnswerRate: 0.3, RingTimes: NewDist(secs(5)), TalkTimes: NewDist(secs(60))}
	d := Pace(Settings{Mode: Predictive}, o)
	if d.Mode != Progressive || d.Calls != 4 {
		t.Errorf("without samples: %+v, want 4 progressive calls", d)
	}
}

func TestPredictiveDialsAheadOfIdleAgents(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	o := observation(rng, 20)
	o.Busy, o.Ringing, o.FreeAgents = nil, nil, 20
	d := Pace(Settings{Mode: Predictive}, o)
	if d.Mode != Predictive || d.Calls <= 20 {
		t.Errorf("20 idle agents, answer rate %.2f: %+v, want more calls than agents", o.AnswerRate, d)
	}
}

// Property: whatever the state, a predictive decision's expected abandons
// stay within the aim, it never places fewer calls than progressive would,
// and more free agents never mean fewer calls.
func TestPredictiveProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := Settings{Mode: Predictive}
	for i := range 300 {
		n := 1 + rng.IntN(120)
		o := observation(rng, n)
		d := Pace(s, o)
		if d.Calls < progressive(o) {
			t.Fatalf("case %d: %d calls, fewer than progressive's %d", i, d.Calls, progressive(o))
		}
		if d.Mode == Predictive {
			m := newModel(o)
			ab := m.expectedAbandons(d.Calls, o.AnswerRate)
			if d.Calls > progressive(o) && ab > s.aim()*s.maxAbandon()*m.expectedAnswers(d.Calls, o.AnswerRate)+1e-9 {
				t.Fatalf("case %d: expected abandons %.3f over the aim", i, ab)
			}
		}
		more := o
		more.FreeAgents++
		if Pace(s, more).Calls < d.Calls {
			t.Fatalf("case %d: one more free agent, fewer calls", i)
		}
	}
}

// A window at its limit turns the predictive mode into progressive.
func TestPredictiveFallsBackAtTheLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	o := observation(rng, 30)
	o.Windows = []Window{{Span: 24 * time.Hour, Answered: 1000, Abandoned: 30}}
	d := Pace(Settings{Mode: Predictive}, o)
	if d.Mode != Progressive || d.Calls != progressive(o) {
		t.Errorf("24 h at 3 %%: %+v, want progressive's %d calls", d, progressive(o))
	}
	o.Windows[0].Abandoned = 5
	if d := Pace(Settings{Mode: Predictive}, o); d.Mode != Predictive {
		t.Errorf("24 h at 0.5 %%: %+v, want predictive", d)
	}
}

// The exact and the normal form of E[(X-Y)+] agree where both apply.
func TestExactAndNormalAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 20 {
		o := observation(rng, 60)
		m := newModel(o)
		if !m.exact {
			continue
		}
		exact := m.horizonAbandons(10, o.AnswerRate)
		m.exact = false
		m.meanX0 = float64(m.waiting) + mean(m.ringing)
		normal := m.horizonAbandons(10, o.AnswerRate)
		if math.Abs(exact-normal) > 0.5+0.15*exact {
			t.Errorf("exact %.3f, normal %.3f", exact, normal)
		}
	}
}

func TestPoissonBinomialAndGains(t *testing.T) {
	pmf := poissonBinomial([]float64{0.5, 0.5})
	if pmf[0] != 0.25 || pmf[1] != 0.5 || pmf[2] != 0.25 {
		t.Errorf("pmf = %v", pmf)
	}
	// Y = 1 + Bin(2, .5): E[(3-Y)+] = .25*2 + .5*1 = 1
	g := gains(pmf, 1)
	if math.Abs(g[3]-1) > 1e-12 || g[1] != 0 {
		t.Errorf("gains = %v", g)
	}
	if got := positivePartNormal(0, 1); math.Abs(got-1/math.Sqrt(2*math.Pi)) > 1e-12 {
		t.Errorf("E[N(0,1)+] = %v", got)
	}
}

func TestAdaptive(t *testing.T) {
	a := &Adaptive{}
	now := time.Unix(0, 0)
	idle := Observation{FreeAgents: 10}
	for range 4 * 15 { // a minute of idle agents: the level climbs
		idle.Now = now
		a.Pace(idle)
		now = now.Add(time.Second)
	}
	if a.Level() <= 1 {
		t.Fatalf("level %.2f after a minute of idle agents", a.Level())
	}
	for range 20 * 15 {
		idle.Now = now
		a.Pace(idle)
		now = now.Add(time.Second)
	}
	if a.Level() != 3 {
		t.Errorf("level %.2f, want the 3.0 cap", a.Level())
	}
	if d := a.Pace(Observation{Now: now, FreeAgents: 10}); d.Calls != 30 {
		t.Errorf("%d calls at level 3 with 10 agents, want 30", d.Calls)
	}
	before := a.Level()
	drops := Observation{FreeAgents: 0, Busy: make([]time.Duration, 10), Windows: []Window{{Span: 24 * time.Hour, Answered: 100, Abandoned: 10}}}
	for range 15 {
		now = now.Add(time.Second)
		drops.Now = now
		a.Pace(drops)
	}
	if a.Level() > before/2 {
		t.Errorf("level %.2f after drops over the target, want at most half of %.2f", a.Level(), before)
	}
}
