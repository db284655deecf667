package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Callbacks configures call-me-back: which queues offer it, and how
// customers are called back.
type Callbacks struct {
	// DialEndpoint is how a customer's number is dialled, with {number}: a
	// context of the dialplan that reaches the trunk
	// ("Local/{number}@ccd-callback", "PJSIP/{number}@trunk").
	DialEndpoint string `yaml:"dial_endpoint"`
	// CallerID is what the customer's phone shows ("" : Asterisk's default).
	CallerID string `yaml:"caller_id"`
	// Numbers is the pattern every number to call back must match (keyed by
	// a caller or given by a web form): a guard against calling premium or
	// foreign numbers.
	Numbers string `yaml:"numbers"`
	// DialTimeout is how long the customer's phone rings.
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// InputTimeout is how long a caller offered a callback has to press a
	// key after each prompt; then the caller goes back to waiting.
	InputTimeout time.Duration `yaml:"input_timeout"`
	// Prompts are what the caller hears: ARI media lists, comma separated.
	Prompts CallbackPrompts `yaml:"prompts"`
	// Queues are the queues that offer callbacks.
	Queues []CallbackQueue `yaml:"queues"`
}

// CallbackPrompts are the media of the offer, with {key} (the queue's
// offer key) and {number} (the number to call back).
type CallbackPrompts struct {
	// Offer is announced every offer_every while the caller waits.
	Offer string `yaml:"offer"`
	// Confirm reads the number back and asks to press 1.
	Confirm string `yaml:"confirm"`
	// Enter asks for another number, ended by #.
	Enter string `yaml:"enter"`
	// Accepted thanks the caller, who is then hung up.
	Accepted string `yaml:"accepted"`
}

// Media is a prompt's media list with its placeholders filled in.
func Media(prompt, key, number string) []string {
	var out []string
	for _, m := range strings.Split(prompt, ",") {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, strings.NewReplacer("{key}", key, "{number}", strings.TrimPrefix(number, "+")).Replace(m))
		}
	}
	return out
}

// CallbackQueue is one queue's callback offer and attempts.
type CallbackQueue struct {
	Queue string `yaml:"queue"`
	// OfferAfter offers the callback to a caller who has waited that long
	// (0: not by time).
	OfferAfter time.Duration `yaml:"offer_after"`
	// OfferKey, when set, is the DTMF key that asks for a callback at any
	// time; OfferEvery is how often it is announced while waiting.
	OfferKey   string        `yaml:"offer_key"`
	OfferEvery time.Duration `yaml:"offer_every"`
	// MaxAttempts calls to the customer before the callback fails; each
	// after RetryInterval when the last was busy or not answered.
	MaxAttempts   int           `yaml:"max_attempts"`
	RetryInterval time.Duration `yaml:"retry_interval"`
}

// DefaultCallbacks has no queue offering callbacks.
func DefaultCallbacks() Callbacks {
	return Callbacks{DialEndpoint: "Local/{number}@ccd-callback", Numbers: `^\+?[0-9]{3,20}$`, DialTimeout: 30 * time.Second,
		InputTimeout: 10 * time.Second, Prompts: CallbackPrompts{
			Offer:    "sound:vm-press,digits:{key}",
			Confirm:  "sound:you-entered,digits:{number},sound:if-correct-press,digits:1",
			Enter:    "sound:vm-enter-num-to-call,sound:then-press-pound",
			Accepted: "sound:auth-thankyou,sound:goodbye",
		}}
}

// Queue is the callback configuration of queue code.
func (c *Callbacks) Queue(code string) (CallbackQueue, bool) {
	for _, q := range c.Queues {
		if q.Queue == code {
			return q, true
		}
	}
	return CallbackQueue{}, false
}

func (c *Callbacks) validate(bad func(key, format string, args ...any)) {
	if !strings.Contains(c.DialEndpoint, "{number}") || !strings.Contains(c.DialEndpoint, "/") {
		bad("callbacks.dial_endpoint", "want a channel with {number}, like Local/{number}@ccd-callback, got %q", c.DialEndpoint)
	}
	if _, err := regexp.Compile(c.Numbers); err != nil || c.Numbers == "" {
		bad("callbacks.numbers", "want a regular expression of the numbers that may be called back, got %q", c.Numbers)
	}
	if c.InputTimeout < time.Second {
		bad("callbacks.input_timeout", "must be at least 1s, got %s", c.InputTimeout)
	}
	for _, p := range []struct{ key, media string }{{"offer", c.Prompts.Offer}, {"confirm", c.Prompts.Confirm},
		{"enter", c.Prompts.Enter}, {"accepted", c.Prompts.Accepted}} {
		if len(Media(p.media, "1", "1")) == 0 {
			bad("callbacks.prompts."+p.key, "want ARI media, comma separated (sound:..., digits:{number})")
		}
	}
	if c.DialTimeout < time.Second {
		bad("callbacks.dial_timeout", "must be at least 1s, got %s", c.DialTimeout)
	}
	seen := map[string]bool{}
	for i, q := range c.Queues {
		key := fmt.Sprintf("callbacks.queues[%d]", i)
		switch {
		case q.Queue == "":
			bad(key+".queue", "is required")
		case seen[q.Queue]:
			bad(key+".queue", "queue %q has callbacks configured already", q.Queue)
		}
		seen[q.Queue] = true
		if q.OfferKey != "" && !regexp.MustCompile(`^[0-9*#]$`).MatchString(q.OfferKey) {
			bad(key+".offer_key", "want one DTMF key (0-9, *, #), got %q", q.OfferKey)
		}
		if q.OfferAfter < 0 || q.OfferEvery < 0 {
			bad(key+".offer_after", "must not be negative")
		}
		if q.MaxAttempts < 1 {
			bad(key+".max_attempts", "must be at least 1, got %d", q.MaxAttempts)
		}
		if q.RetryInterval < time.Second {
			bad(key+".retry_interval", "must be at least 1s, got %s", q.RetryInterval)
		}
	}
}
