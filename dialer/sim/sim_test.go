package sim

import (
	"fmt"
	"testing"

	"github.com/ccdhq/ccd/dialer/pacing"
)

// The law's rule, across seeds and team sizes: ccd's predictive mode never
// lets an hour (nor the whole run) pass the 3 % abandon limit, while it
// keeps agents busier than progressive dialling.
func TestPredictiveHoldsTheAbandonLimit(t *testing.T) {
	hours := 4
	if testing.Short() {
		hours = 2
	}
	for _, agents := range []int{10, 30} {
		for seed := uint64(1); seed <= 4; seed++ {
			t.Run(fmt.Sprintf("agents=%d/seed=%d", agents, seed), func(t *testing.T) {
				cfg := Config{Seed: seed, Agents: agents, Hours: hours}
				pred := Run(cfg, SettingsPacer{Mode: pacing.Predictive})
				for i, h := range pred.Hours {
					if h.AbandonRate() > pacing.DefaultMaxAbandon {
						t.Errorf("hour %d: abandon rate %.4f over the limit (%d of %d)", i, h.AbandonRate(), h.Abandoned, h.Answered)
					}
				}
				if pred.Total().Abandoned == 0 {
					t.Errorf("no abandon at all: the predictive mode did not dial ahead of its agents")
				}
				prog := Run(cfg, SettingsPacer{Mode: pacing.Progressive})
				if pred.Total().Occupancy() <= prog.Total().Occupancy() {
					t.Errorf("occupancy %.3f not above progressive's %.3f", pred.Total().Occupancy(), prog.Total().Occupancy())
				}
			})
		}
	}
}

// A tighter limit is held too: the guard reads the campaign's own limit.
func TestPredictiveHoldsATighterLimit(t *testing.T) {
	limit := 0.01
	r := Run(Config{Seed: 7, Agents: 30, Hours: 3}, SettingsPacer{Mode: pacing.Predictive, MaxAbandon: limit})
	for i, h := range r.Hours {
		if h.AbandonRate() > limit {
			t.Errorf("hour %d: abandon rate %.4f over %.2f", i, h.AbandonRate(), limit)
		}
	}
}

// Progressive never leaves an answered call without its agent; power 2.0
// dials ahead of its agents and does.
func TestProgressiveNeverAbandons(t *testing.T) {
	cfg := Config{Seed: 3, Agents: 10, Hours: 2}
	if r := Run(cfg, SettingsPacer{Mode: pacing.Progressive}); r.Total().Abandoned != 0 {
		t.Errorf("progressive abandoned %d calls", r.Total().Abandoned)
	}
	if r := Run(cfg, SettingsPacer{Mode: pacing.Power, Ratio: 2}); r.Total().Abandoned == 0 {
		t.Errorf("power 2.0 abandoned nothing: the simulation does not model abandons")
	}
}

// The same seed gives the same run.
func TestRunIsReproducible(t *testing.T) {
	cfg := Config{Seed: 11, Agents: 10, Hours: 1}
	a := Run(cfg, SettingsPacer{Mode: pacing.Predictive})
	b := Run(cfg, SettingsPacer{Mode: pacing.Predictive})
	if fmt.Sprint(a.Hours) != fmt.Sprint(b.Hours) {
		t.Errorf("two runs of seed 11 differ:\n%v\n%v", a.Hours, b.Hours)
	}
}

// The answer rate drifts within its bounds and the run's answered share
// follows it.
func TestAnswerRateWithinBounds(t *testing.T) {
	r := Run(Config{Seed: 5, Agents: 20, Hours: 8}, SettingsPacer{Mode: pacing.Progressive})
	t0 := r.Total()
	rate := float64(t0.Answered) / float64(t0.Placed)
	if rate < 0.18 || rate > 0.42 {
		t.Errorf("answered share %.3f outside 20–40 %%", rate)
	}
}
