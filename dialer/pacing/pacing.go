// Package pacing decides how many outbound calls a campaign places now.
//
// It is pure: the caller passes the clock and what it observes (agents, calls
// in flight, answer rate, ring and talk times, the abandons of the windows the
// law looks at) and gets back a number of calls. Nothing here places a call or
// keeps a timer, so the same code runs in the dialer and in the simulation that
// measures it (dialer/sim).
package pacing

import (
	"fmt"
	"time"
)

// Mode is how a campaign paces its calls.
type Mode string

// The pacing modes.
const (
	// Preview: an agent gets the target first and dials it himself; the pacer
	// places nothing on its own.
	Preview Mode = "preview"
	// Progressive: one call per free agent, never more calls ringing than agents
	// free, so an answered call always finds its agent.
	Progressive Mode = "progressive"
	// Power: a fixed number of calls per free agent (Settings.Ratio).
	Power Mode = "power"
	// Predictive: as many calls as the model says keep the abandon rate under the
	// limit (see Predict).
	Predictive Mode = "predictive"
)

// ParseMode returns the mode named s.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Preview, Progressive, Power, Predictive:
		return m, nil
	}
	return "", fmt.Errorf("unknown pacing mode %q (preview, progressive, power, predictive)", s)
}

// DefaultMaxAbandon is the abandon-rate limit when a campaign sets none: 3 %,
// the figure of the US FTC and of the UK Ofcom.
const DefaultMaxAbandon = 0.03

// DefaultMaxRatio caps the lines per logged-in agent when a campaign sets none.
const DefaultMaxRatio = 3.0

// Settings are a campaign's pacing parameters.
type Settings struct {
	Mode Mode
	// Ratio is the power mode's calls per free agent.
	Ratio float64
	// MaxRatio caps the lines (ringing, waiting and connected calls) per logged-in
	// agent in every mode; 0 means DefaultMaxRatio.
	MaxRatio float64
	// MaxAbandon is the abandon-rate limit (0.03 = 3 %); 0 means DefaultMaxAbandon.
	MaxAbandon float64
	// Aim is the share of MaxAbandon the predictive model aims at for the calls
	// outstanding; the rest is room for the model's error. 0 means DefaultAim.
	Aim float64
}

// DefaultAim is the share of the limit the predictive model aims at. The
// model errs low (in dialer/sim the abandons come out at about 1.8 times the
// expected), and a controller that aims high keeps hitting the windows' guard
// and falling back to progressive, which costs more occupancy than it gains:
// 30 % measured best (50 agents: 91 % occupancy at 30 %, 88 % at 50 %, 83 % at
// 70 %).
const DefaultAim = 0.3

func (s Settings) maxRatio() float64 {
	if s.MaxRatio > 0 {
		return s.MaxRatio
	}
	return DefaultMaxRatio
}

func (s Settings) maxAbandon() float64 {
	if s.MaxAbandon > 0 {
		return s.MaxAbandon
	}
	return DefaultMaxAbandon
}

func (s Settings) aim() float64 {
	if s.Aim > 0 && s.Aim <= 1 {
		return s.Aim
	}
	return DefaultAim
}

// Window is what happened over one of the spans the law looks at (the last
// 24 h, the last 30 days; the dialer also watches the last hour).
type Window struct {
	Span time.Duration
	// Answered counts the calls answered by a person, Abandoned those of them
	// that found no agent within the grace time (2 s).
	Answered, Abandoned int
}

// Rate is the window's abandon rate (0 without answered calls).
func (w Window) Rate() float64 {
	if w.Answered == 0 {
		return 0
	}
	return float64(w.Abandoned) / float64(w.Answered)
}

// Observation is the campaign's state at Now.
type Observation struct {
	Now time.Time
	// FreeAgents are the agents serving the campaign who are ready and not
	// already promised to a call.
	FreeAgents int
	// Busy holds, for each agent on a campaign call, how long that call has
	// lasted so far.
	Busy []time.Duration
	// Ringing holds, for each call placed and not yet answered or failed, how
	// long it has rung.
	Ringing []time.Duration
	// Waiting counts answered calls waiting for an agent right now.
	Waiting int
	// AnswerRate is the share of placed calls a person answers (recent).
	AnswerRate float64
	// RingTimes: placement to answer, of calls a person answered (recent).
	RingTimes *Dist
	// FailTimes: placement to end, of calls nobody answered (no answer, busy,
	// machine, ...).
	FailTimes *Dist
	// TalkTimes: how long a connected call holds its agent.
	TalkTimes *Dist
	// Windows are the abandon counts the limit applies to.
	Windows []Window
}

// LoggedIn is the number of agents serving the campaign.
func (o Observation) LoggedIn() int { return o.FreeAgents + len(o.Busy) }

// lines is every call the campaign holds: ringing, waiting, connected.
func (o Observation) lines() int { return len(o.Ringing) + o.Waiting + len(o.Busy) }

// Decision is the pacer's answer.
type Decision struct {
	// Calls to place now.
	Calls int
	// Mode is the mode that decided: a predictive campaign without room under
	// its limit decides as progressive.
	Mode Mode
	// Reason says why, for the log and the supervision views.
	Reason string
	// ExpectedAbandons is the model's expected abandons among the calls
	// outstanding after this decision (predictive only).
	ExpectedAbandons float64
}

// Pace decides how many calls to place now.
func Pace(s Settings, o Observation) Decision {
	switch s.Mode {
	case Preview:
		return Decision{Mode: Preview, Reason: "preview: agents dial"}
	case Power:
		return capLines(s, o, Decision{Mode: Power, Calls: power(s.Ratio, o), Reason: "fixed ratio"})
	case Predictive:
		return capLines(s, o, Predict(s, o))
	default:
		return capLines(s, o, Decision{Mode: Progressive, Calls: progressive(o), Reason: "one call per free agent"})
	}
}

// progressive places one call per free agent not already covered by a call
// ringing or waiting.
func progressive(o Observation) int {
	return max(0, o.FreeAgents-len(o.Ringing)-o.Waiting)
}

// power keeps ratio calls ringing per free agent.
func power(ratio float64, o Observation) int {
	if ratio < 1 {
		ratio = 1
	}
	goal := int(ratio*float64(o.FreeAgents) + 0.5)
	return max(0, goal-len(o.Ringing)-o.Waiting)
}

// capLines holds the campaign's lines under MaxRatio per logged-in agent.
func capLines(s Settings, o Observation, d Decision) Decision {
	limit := int(s.maxRatio()*float64(o.LoggedIn())) - o.lines()
	if d.Calls > limit {
		d.Calls = max(0, limit)
	}
	return d
}
