package config

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhooks configures the employee webhooks (Flexfone's
// "Medarbejderintegration"): every call of an employee told to the
// subscribers' URLs, durably.
type Webhooks struct {
	// AccountID is the AccountId every message carries (the PBX account).
	AccountID string `yaml:"account_id"`
	// AllowNetworks are networks (CIDR) a subscription may reach although
	// they are loopback, link-local or private: by default such targets are
	// refused, at creation and at every connection, so that a subscription
	// cannot make ccd probe the inside network.
	AllowNetworks []string `yaml:"allow_networks"`
	// Timeout bounds one delivery attempt (connect, send, answer).
	Timeout time.Duration `yaml:"timeout"`
	// Retention is how long delivered messages stay in the outbox.
	Retention time.Duration `yaml:"retention"`
	// Subscriptions are stored at start (an admin adds more over the API).
	Subscriptions []WebhookSubscription `yaml:"subscriptions"`
}

// WebhookSubscription is one receiver of the employee webhooks.
type WebhookSubscription struct {
	ID     string `yaml:"id"`
	URL    string `yaml:"url"`    // may hold {event}: ringing, answered, outgoing, ended
	Format string `yaml:"format"` // get (query parameters), form or json (POST)
	// Secret signs the messages (Standard Webhooks: whsec_ and base64);
	// empty: ccd makes one, shown by the admin API.
	Secret string `yaml:"secret"`
	// Events are the kinds sent; empty: all four.
	Events []string `yaml:"events"`
}

func defaultWebhooks() Webhooks {
	return Webhooks{Timeout: 10 * time.Second, Retention: 72 * time.Hour}
}

// Networks parses AllowNetworks (validated at load).
func (w *Webhooks) Networks() []netip.Prefix {
	var out []netip.Prefix
	for _, n := range w.AllowNetworks {
		if p, err := netip.ParsePrefix(n); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func (w *Webhooks) validate(bad func(key, format string, args ...any)) {
	for i, n := range w.AllowNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			bad(fmt.Sprintf("webhooks.allow_networks[%d]", i), "want a network like 127.0.0.0/8, got %q", n)
		}
	}
	if w.Timeout <= 0 || w.Timeout > 5*time.Minute {
		bad("webhooks.timeout", "want 1s..5m, got %s", w.Timeout)
	}
	if w.Retention < time.Hour {
		bad("webhooks.retention", "want at least 1h, got %s", w.Retention)
	}
	seen := map[string]bool{}
	for i, s := range w.Subscriptions {
		key := fmt.Sprintf("webhooks.subscriptions[%d]", i)
		if seen[s.ID] {
			bad(key+".id", "%q is used twice", s.ID)
		}
		seen[s.ID] = true
		if field, problem := s.Check(); problem != "" {
			bad(key+"."+field, "%s", problem)
		}
	}
}

// WebhookEvents are the kinds of employee webhook, in the seed's order.
var WebhookEvents = []string{"ringing", "answered", "outgoing", "ended"}

var webhookID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Check validates a subscription, from the file or the admin API: the field
// at fault and the problem, or "" when it is valid. Whether its host may be
// reached is decided when ccd connects (package webhook).
func (s WebhookSubscription) Check() (field, problem string) {
	if !webhookID.MatchString(s.ID) {
		return "id", "want 1..64 letters, digits, '_', '.' or '-'"
	}
	u, err := url.Parse(s.URL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "":
		return "url", "want an http:// or https:// URL with a host"
	case u.User != nil:
		return "url", "must not hold credentials (user:password@)"
	case u.Fragment != "" || len(s.URL) > 2000:
		return "url", "want no fragment and at most 2000 characters"
	}
	switch s.Format {
	case "get", "form", "json":
	default:
		return "format", "want get, form or json"
	}
	if s.Secret != "" {
		key, ok := strings.CutPrefix(s.Secret, "whsec_")
		raw, err := base64.StdEncoding.DecodeString(key)
		if !ok || err != nil || len(raw) < 24 || len(raw) > 64 {
			return "secret", "want whsec_ and the base64 of 24..64 random bytes (Standard Webhooks)"
		}
	}
	for _, e := range s.Events {
		if !slices.Contains(WebhookEvents, e) {
			return "events", "want ringing, answered, outgoing or ended, got " + strconv.Quote(e)
		}
	}
	return "", ""
}
