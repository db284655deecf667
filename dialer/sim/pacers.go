package sim

import (
	"github.com/ccdhq/ccd/dialer/pacing"
)

// Contender is a named pacer of the comparison.
type Contender struct {
	Name string
	New  func() Pacer // a fresh pacer per run: some keep state
}

// Contenders are the pacers compared: progressive 1.0, power 2.0, the
// VICIdial-style adaptive controller and ccd's predictive mode.
func Contenders() []Contender {
	return []Contender{
		{"progressive 1.0", func() Pacer { return SettingsPacer{Mode: pacing.Progressive} }},
		{"power 2.0", func() Pacer { return SettingsPacer{Mode: pacing.Power, Ratio: 2} }},
		{"VICIdial adaptive", func() Pacer { return &pacing.Adaptive{} }},
		{"ccd predictive", func() Pacer { return SettingsPacer{Mode: pacing.Predictive} }},
	}
}
