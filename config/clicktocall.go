package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// ClickToCall configures the calls agents and CRMs start over the API:
// agent first (the agent's phone, then the customer) or customer first
// (the customer, then an extension or a queue).
type ClickToCall struct {
	// DialEndpoint is how an external number is dialled, with {number}
	// ("PJSIP/{number}@trunk", "Local/{number}@ccd-outbound"). Internal
	// numbers (pbx.internal_numbers) are dialled as acd.extension_endpoint.
	DialEndpoint string `yaml:"dial_endpoint"`
	// Numbers is the pattern every number called must match; Denied, when
	// set, the pattern none may match (premium or foreign numbers).
	Numbers string `yaml:"numbers"`
	Denied  string `yaml:"denied"`
	// CallerID is what the customer's phone shows when the queue (campaign)
	// of the call has none of its own ("" : Asterisk's default).
	CallerID string `yaml:"caller_id"`
	// Queues give a queue (an OMniLeads campaign) its own caller ID.
	Queues []ClickToCallQueue `yaml:"queues"`
	// RingTimeout is how long each side of the call rings.
	RingTimeout time.Duration `yaml:"ring_timeout"`
}

// ClickToCallQueue is the caller ID of the calls made for one queue.
type ClickToCallQueue struct {
	Queue    string `yaml:"queue"`
	CallerID string `yaml:"caller_id"`
}

// DefaultClickToCall dials through the dialplan context ccd-outbound and
// allows numbers of digits with an optional leading +, 2 to 20 long.
func DefaultClickToCall() ClickToCall {
	return ClickToCall{DialEndpoint: "Local/{number}@ccd-outbound", Numbers: `^\+?[0-9]{2,20}$`,
		Denied: `^(\+|00)?(1900|1976|0900|0906|0909|900|901)`, RingTimeout: 30 * time.Second}
}

// CallerIDFor is the caller ID of a call made for queue.
func (c *ClickToCall) CallerIDFor(queue string) string {
	for _, q := range c.Queues {
		if q.Queue == queue && q.CallerID != "" {
			return q.CallerID
		}
	}
	return c.CallerID
}

func (c *ClickToCall) validate(bad func(key, format string, args ...any)) {
	if !strings.Contains(c.DialEndpoint, "{number}") || !strings.Contains(c.DialEndpoint, "/") {
		bad("click_to_call.dial_endpoint", "want a channel with {number}, like PJSIP/{number}@trunk, got %q", c.DialEndpoint)
	}
	if _, err := regexp.Compile(c.Numbers); err != nil || c.Numbers == "" {
		bad("click_to_call.numbers", "want a regular expression of the numbers that may be called, got %q", c.Numbers)
	}
	if _, err := regexp.Compile(c.Denied); err != nil {
		bad("click_to_call.denied", "want a regular expression of the numbers that may not be called: %v", err)
	}
	if c.RingTimeout < time.Second {
		bad("click_to_call.ring_timeout", "must be at least 1s, got %s", c.RingTimeout)
	}
	for i, q := range c.Queues {
		if q.Queue == "" {
			bad(fmt.Sprintf("click_to_call.queues[%d].queue", i), "is required")
		}
	}
}

// ExtensionOf is the extension number of an endpoint: the number in
// acd.extension_endpoint's place ("1001" of PJSIP/1001), else the digits
// after the technology; "" when the endpoint has none.
func (a *ACD) ExtensionOf(endpoint string) string {
	tmpl := a.ExtensionEndpoint
	if tmpl == "" {
		tmpl = "PJSIP/{extension}"
	}
	prefix, suffix, _ := strings.Cut(tmpl, "{extension}")
	if n, ok := strings.CutPrefix(endpoint, prefix); ok {
		if n, ok = strings.CutSuffix(n, suffix); ok && extensionDigits.MatchString(n) {
			return n
		}
	}
	if _, res, _ := strings.Cut(endpoint, "/"); extensionDigits.MatchString(res) {
		return res
	}
	return ""
}

// ExtensionEndpointOf is how extension number ext is dialled
// (acd.extension_endpoint).
func (a *ACD) ExtensionEndpointOf(ext string) string {
	tmpl := a.ExtensionEndpoint
	if tmpl == "" {
		tmpl = "PJSIP/{extension}"
	}
	return strings.ReplaceAll(tmpl, "{extension}", ext)
}

var extensionDigits = regexp.MustCompile(`^[0-9]{1,16}$`)
