package config

import "time"

// UI is the web interface's configuration.
type UI struct {
	Wallboard Wallboard `yaml:"wallboard"`
	// Refresh is the longest time between two pushes of the live views
	// when nothing happens in this ccd (time in state ticks in the page;
	// another ccd's events and statistics arrive by it). Events and the
	// statistics this ccd folds push at once.
	Refresh time.Duration `yaml:"refresh"`
}

// Wallboard are the thresholds that turn a wallboard tile amber or red; a
// wallboard's address may override each (#wallboard?wait_amber=45).
type Wallboard struct {
	// WaitAmber and WaitRed: the longest wait, in seconds.
	WaitAmber int `yaml:"wait_amber" json:"wait_amber"`
	WaitRed   int `yaml:"wait_red" json:"wait_red"`
	// WaitingAmber and WaitingRed: calls waiting now.
	WaitingAmber int `yaml:"waiting_amber" json:"waiting_amber"`
	WaitingRed   int `yaml:"waiting_red" json:"waiting_red"`
	// SLAmber and SLRed: service level in percent, below which it turns.
	SLAmber int `yaml:"sl_amber" json:"sl_amber"`
	SLRed   int `yaml:"sl_red" json:"sl_red"`
	// CallbacksAmber and CallbacksRed: callbacks waiting for an agent.
	CallbacksAmber int `yaml:"callbacks_amber" json:"callbacks_amber"`
	CallbacksRed   int `yaml:"callbacks_red" json:"callbacks_red"`
}

// DefaultWallboard are the thresholds of a wallboard nobody configured.
func DefaultWallboard() Wallboard {
	return Wallboard{WaitAmber: 30, WaitRed: 60, WaitingAmber: 3, WaitingRed: 6, SLAmber: 80, SLRed: 60,
		CallbacksAmber: 5, CallbacksRed: 10}
}

func (w *Wallboard) validate(bad func(key, format string, args ...any)) {
	rising := []struct {
		name        string
		amber, red  int
		max         int
		redIsHigher bool
	}{
		{"wait", w.WaitAmber, w.WaitRed, 86400, true},
		{"waiting", w.WaitingAmber, w.WaitingRed, 100000, true},
		{"callbacks", w.CallbacksAmber, w.CallbacksRed, 100000, true},
		{"sl", w.SLAmber, w.SLRed, 100, false},
	}
	for _, t := range rising {
		key := "ui.wallboard." + t.name
		switch {
		case t.amber < 0 || t.amber > t.max:
			bad(key+"_amber", "want 0 to %d, got %d", t.max, t.amber)
		case t.red < 0 || t.red > t.max:
			bad(key+"_red", "want 0 to %d, got %d", t.max, t.red)
		case t.redIsHigher && t.red < t.amber:
			bad(key+"_red", "want at least %s_amber (%d), got %d", key, t.amber, t.red)
		case !t.redIsHigher && t.red > t.amber:
			bad(key+"_red", "want at most %s_amber (%d): service level turns red below it, got %d", key, t.amber, t.red)
		}
	}
}
