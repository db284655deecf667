package config

import (
	"fmt"
	"time"

	"github.com/ccdhq/ccd/integrations/screenpop"
)

// Toolbar configures the agent toolbar push (the Optimus OCX's successor,
// integrations/toolbar) and the system-wide screen pop.
type Toolbar struct {
	// Interval is how often OnQueuesInfoData goes to every connected toolbar
	// (the seed's "Agent Toolbar Update Interval", 5 s).
	Interval time.Duration `yaml:"interval"`
	// SendBuffer is how many messages wait for a toolbar that does not read;
	// one more and it is disconnected.
	SendBuffer int `yaml:"send_buffer"`
	// ScreenPop are the system default screen pop URL templates (up to
	// three), for queues without their own (acd.queues[].screen_pop).
	ScreenPop []string `yaml:"screen_pop"`
	// ScreenPopFetch makes ccd GET the default URLs itself, once per offer.
	ScreenPopFetch bool `yaml:"screen_pop_fetch"`
	// FetchTimeout bounds one server-side GET of a screen pop URL.
	FetchTimeout time.Duration `yaml:"fetch_timeout"`
	// FetchAllowLoopback lets server-side GETs reach loopback and link-local
	// addresses (127.0.0.0/8, ::1, 169.254.0.0/16, fe80::/10), which are
	// refused otherwise: a screen pop URL must not reach ccd's own host or a
	// cloud metadata service.
	FetchAllowLoopback bool `yaml:"fetch_allow_loopback"`
}

func defaultToolbar() Toolbar {
	return Toolbar{Interval: 5 * time.Second, SendBuffer: 64, FetchTimeout: 5 * time.Second}
}

func (t *Toolbar) validate(bad func(key, format string, args ...any)) {
	if t.Interval < 100*time.Millisecond {
		bad("toolbar.interval", "must be at least 100ms, got %s", t.Interval)
	}
	if t.SendBuffer < 1 {
		bad("toolbar.send_buffer", "must be at least 1, got %d", t.SendBuffer)
	}
	if t.FetchTimeout <= 0 {
		bad("toolbar.fetch_timeout", "must be positive, got %s", t.FetchTimeout)
	}
	checkScreenPop("toolbar.screen_pop", t.ScreenPop, bad)
}

// checkScreenPop checks a list of screen pop URL templates.
func checkScreenPop(key string, tmpls []string, bad func(key, format string, args ...any)) {
	if len(tmpls) > screenpop.MaxTemplates {
		bad(key, "at most %d URLs, got %d", screenpop.MaxTemplates, len(tmpls))
	}
	for i, t := range tmpls {
		if err := screenpop.Check(t); err != nil {
			bad(fmt.Sprintf("%s[%d]", key, i), "%v", err)
		}
	}
}
