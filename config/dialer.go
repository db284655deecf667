package config

import (
	"strings"
	"time"
)

// Dialer configures how the outbound dialer places its calls. The
// campaigns themselves are in the database (the dialer API).
type Dialer struct {
	// DialEndpoint is how a target's number is dialled, with {number}: the
	// trunk ("PJSIP/{number}@trunk") or a context that reaches it
	// ("Local/{number}@ccd-dialer-out"). "" turns the dialer off.
	DialEndpoint string `yaml:"dial_endpoint"`
	// AMDContext is the dialplan context that runs AMD() on answered calls
	// and returns them to Stasis (ccd asterisk-config prints it).
	AMDContext string `yaml:"amd_context"`
	// Interval is how often the pacer decides.
	Interval time.Duration `yaml:"interval"`
	// InboundFirst: agents who serve a campaign and inbound queues take
	// inbound calls first; otherwise the agents the dialer counts on for
	// its calls in flight are held for them.
	InboundFirst bool `yaml:"inbound_first"`
	// Lists are the campaigns' dial lists in external SQL tables.
	Lists []DialList `yaml:"lists"`
}

// DefaultDialer dials nothing until a dial endpoint is set.
func DefaultDialer() Dialer {
	return Dialer{AMDContext: "ccd-dialer-amd", Interval: time.Second}
}

func (d *Dialer) validate(bad func(key, format string, args ...any)) {
	if d.DialEndpoint != "" && (!strings.Contains(d.DialEndpoint, "{number}") || !strings.Contains(d.DialEndpoint, "/")) {
		bad("dialer.dial_endpoint", "want a channel with {number}, like PJSIP/{number}@trunk, got %q", d.DialEndpoint)
	}
	if d.AMDContext == "" || strings.ContainsAny(d.AMDContext, " ,;[]") {
		bad("dialer.amd_context", "want a dialplan context name, got %q", d.AMDContext)
	}
	if d.Interval < 100*time.Millisecond || d.Interval > time.Minute {
		bad("dialer.interval", "must be 100ms to 1m, got %s", d.Interval)
	}
	validateDialLists(d.Lists, bad)
}
