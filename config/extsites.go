package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ExternalSites are the CRM pages and endpoints ccd opens or calls for
// every call an agent answers (OMniLeads' external sites, 003 §17): a
// site has a URL, a trigger and a method; each queue (campaign) that uses
// one maps the call's data to the site's parameters. Server-side requests
// reach only the addresses webhooks.allow_networks allows beyond the
// public ones.
type ExternalSites struct {
	Sites  []ExternalSite      `yaml:"sites" json:"sites"`
	Queues []ExternalSiteQueue `yaml:"queues" json:"queues"`
	// Timeout bounds each server-side request.
	Timeout time.Duration `yaml:"timeout" json:"-"`
}

// ExternalSite is one CRM interaction.
type ExternalSite struct {
	Name string `yaml:"name" json:"name"`
	// URL is the address; {1}..{n} are clean-URL holders that parameters
	// named "{1}".."{n}" fill in.
	URL string `yaml:"url" json:"url"`
	// Trigger: "agent" (the agent clicks it on the desktop), "automatic"
	// (the desktop opens it when the call is connected) or "server" (ccd
	// sends it when the call is connected).
	Trigger string `yaml:"trigger" json:"trigger"`
	// Method: GET (parameters in the query), POST (a form) or JSON (a
	// JSON object posted).
	Method string `yaml:"method" json:"method"`
}

// ExternalSiteQueue is the site a queue uses and its parameters.
type ExternalSiteQueue struct {
	Queue      string              `yaml:"queue" json:"queue"`
	Site       string              `yaml:"site" json:"site"`
	Parameters []ExternalSiteParam `yaml:"parameters" json:"parameters"`
}

// ExternalSiteParam is one parameter: its Type and Value say where the
// value comes from, Name what the CRM calls it (or a holder "{1}").
//
//	campaign: id, name, type         call: call_id, agent_id, telephone, dnis, rec_filename, contact_id
//	agent: id, name, extension       fixed: Value itself
//	profile (also contact, dialplan): a call-profile field, by name
type ExternalSiteParam struct {
	Type  string `yaml:"type" json:"type"`
	Value string `yaml:"value" json:"value"`
	Name  string `yaml:"name" json:"name"`
}

// Site is the site named name.
func (e *ExternalSites) Site(name string) (ExternalSite, bool) {
	i := slices.IndexFunc(e.Sites, func(s ExternalSite) bool { return s.Name == name })
	if i < 0 {
		return ExternalSite{}, false
	}
	return e.Sites[i], true
}

// Holders are a URL's clean-URL holders, {1}..{n}, in order.
var Holders = regexp.MustCompile(`\{[0-9]+\}`)

var siteParamValues = map[string][]string{
	"campaign": {"id", "name", "type"},
	"call":     {"call_id", "agent_id", "telephone", "dnis", "rec_filename", "contact_id"},
	"agent":    {"id", "name", "extension"},
}

// Validate checks sites and queues as the admin API sets them; the
// errors name the key (sites[0].url).
func (e *ExternalSites) Validate() error {
	var errs []error
	e.validateItems(func(key, format string, args ...any) {
		errs = append(errs, &Error{Key: strings.TrimPrefix(key, "external_sites."), Problem: fmt.Sprintf(format, args...)})
	})
	return errors.Join(errs...)
}

func (e *ExternalSites) validate(bad func(key, format string, args ...any)) {
	if e.Timeout < 100*time.Millisecond {
		bad("external_sites.timeout", "must be at least 100ms, got %s", e.Timeout)
	}
	e.validateItems(bad)
}

func (e *ExternalSites) validateItems(bad func(key, format string, args ...any)) {
	for i, s := range e.Sites {
		key := fmt.Sprintf("external_sites.sites[%d]", i)
		if s.Name == "" {
			bad(key+".name", "is required")
		}
		if u, err := url.Parse(Holders.ReplaceAllString(s.URL, "x")); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(key+".url", "want an http or https URL, got %q", s.URL)
		}
		if !slices.Contains([]string{"agent", "automatic", "server"}, s.Trigger) {
			bad(key+".trigger", `want "agent", "automatic" or "server", got %q`, s.Trigger)
		}
		if !slices.Contains([]string{"GET", "POST", "JSON"}, s.Method) {
			bad(key+".method", `want "GET", "POST" or "JSON", got %q`, s.Method)
		}
	}
	for i, q := range e.Queues {
		key := fmt.Sprintf("external_sites.queues[%d]", i)
		if q.Queue == "" {
			bad(key+".queue", "is required")
		}
		site, ok := e.Site(q.Site)
		if !ok {
			bad(key+".site", "no site %q in external_sites.sites", q.Site)
		}
		names := map[string]bool{}
		for j, p := range q.Parameters {
			pk := fmt.Sprintf("%s.parameters[%d]", key, j)
			switch t := strings.ToLower(p.Type); {
			case t == "fixed" || t == "profile" || t == "contact" || t == "dialplan":
			case siteParamValues[t] != nil:
				if !slices.Contains(siteParamValues[t], p.Value) {
					bad(pk+".value", "want one of %s for type %s, got %q", strings.Join(siteParamValues[t], ", "), t, p.Value)
				}
			default:
				bad(pk+".type", "want campaign, call, agent, fixed or profile, got %q", p.Type)
			}
			if p.Name == "" {
				bad(pk+".name", "is required")
			}
			names[p.Name] = true
		}
		for _, h := range Holders.FindAllString(site.URL, -1) {
			if ok && !names[h] {
				bad(key+".parameters", "the site's URL has the holder %s and no parameter is named %s", h, h)
			}
		}
	}
}
