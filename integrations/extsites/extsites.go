// Package extsites is OMniLeads' CRM interaction by external sites (003
// §17): for a call connected to an agent, each queue (campaign) with a
// site gets the site's URL with the call's parameters. A site triggered by
// the agent or automatically is rendered for the agent's desktop
// (GET /api/agents/:id/external_sites?call=...); a server-side one is sent
// by ccd itself, from a durable consumer of the event log, through the
// webhooks' SSRF policy.
//
// Parameters come from the call (call_id, agent_id, telephone, dnis,
// rec_filename, contact_id), the campaign (id, name, type), the agent (id,
// name, extension), fixed values and the call-profile fields; a parameter
// named "{1}".."{n}" fills that holder of the URL (clean URLs), the others
// go in the query (GET), a form (POST) or a JSON object (JSON).
package extsites

import (
	"context"
	"encoding/json"
	"net/url"
	"sort"
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/jmoiron/sqlx"
)

// Facts are what the parameters are taken from.
type Facts struct {
	CallID, Telephone, DNIS, Recording, Contact string
	Agent, AgentName, Extension                 string
	Queue, QueueName                            string
	Profile                                     map[string]string
}

// Rendered is a site's request for one call.
type Rendered struct {
	Site    string `json:"site"`
	Trigger string `json:"trigger"`
	Method  string `json:"method"` // GET, POST or JSON
	URL     string `json:"url"`
	// Form is the POST body (application/x-www-form-urlencoded); JSON the
	// object a JSON site posts.
	Form string            `json:"form,omitempty"`
	JSON map[string]string `json:"json,omitempty"`
}

// value is a parameter's value from the facts.
func value(p config.ExternalSiteParam, f Facts) string {
	switch strings.ToLower(p.Type) {
	case "fixed":
		return p.Value
	case "campaign":
		return pick(p.Value, "id", f.Queue, "name", f.QueueName, "type", "inbound")
	case "call":
		return pick(p.Value, "call_id", f.CallID, "agent_id", f.Agent, "telephone", f.Telephone, "dnis", f.DNIS,
			"rec_filename", f.Recording, "contact_id", f.Contact)
	case "agent":
		return pick(p.Value, "id", f.Agent, "name", f.AgentName, "extension", f.Extension)
	default: // profile, contact, dialplan: a call-profile field
		return f.Profile[p.Value]
	}
}

// pick is the value after name in pairs (name, value, name, value...).
func pick(name string, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == name {
			return pairs[i+1]
		}
	}
	return ""
}

// Render builds site's request for a call with the queue's parameters.
func Render(site config.ExternalSite, params []config.ExternalSiteParam, f Facts) Rendered {
	r := Rendered{Site: site.Name, Trigger: site.Trigger, Method: site.Method}
	holders := map[string]string{}
	rest := url.Values{}
	var order []string
	for _, p := range params {
		v := value(p, f)
		if config.Holders.MatchString(p.Name) && config.Holders.FindString(p.Name) == p.Name {
			holders[p.Name] = v
			continue
		}
		if _, seen := rest[p.Name]; !seen {
			order = append(order, p.Name)
		}
		rest.Add(p.Name, v)
	}
	r.URL = config.Holders.ReplaceAllStringFunc(site.URL, func(h string) string { return url.PathEscape(holders[h]) })
	switch site.Method {
	case "GET":
		if len(rest) > 0 {
			sep := "?"
			if strings.Contains(r.URL, "?") {
				sep = "&"
			}
			r.URL += sep + rest.Encode()
		}
	case "POST":
		r.Form = rest.Encode()
	case "JSON":
		r.JSON = map[string]string{}
		sort.Strings(order)
		for _, k := range order {
			r.JSON[k] = rest.Get(k)
		}
	}
	return r
}

// ForQueue is the site a queue uses and its parameters.
func ForQueue(cfg config.ExternalSites, queue string) (config.ExternalSite, []config.ExternalSiteParam, bool) {
	for _, q := range cfg.Queues {
		if q.Queue == queue {
			site, ok := cfg.Site(q.Site)
			return site, q.Parameters, ok
		}
	}
	return config.ExternalSite{}, nil, false
}

// Querier reads the event log (store.DB).
type Querier interface {
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

var _ Querier = (*sqlx.DB)(nil)

// CallFacts reads a call's facts from its events in the log: the caller's
// number and DNIS, the queue and agent that answered it, its recording and
// its profile fields; acd gives the names.
func CallFacts(ctx context.Context, db Querier, callID string, acd config.ACD) (Facts, bool, error) {
	var evs []eventlog.Event
	err := db.SelectContext(ctx, &evs, `SELECT id, at, call_id, kind, agent, queue, dnis, clid, source, node, key, payload
		FROM call_event WHERE call_id = $1 AND kind IN ($2, $3, $4, $5) ORDER BY id`, callID,
		ccd.EventCallOffered, ccd.EventCallAnswered, ccd.EventCallRecording, ccd.EventProfileChanged)
	if err != nil {
		return Facts{}, false, err
	}
	f := Facts{CallID: callID, Profile: map[string]string{}}
	found := false
	for _, ev := range evs {
		switch ev.Kind {
		case ccd.EventCallOffered:
			f.Telephone, f.DNIS = ev.CLID, ev.DNIS
			var d ccd.EventData
			_ = json.Unmarshal(ev.Payload, &d)
			f.Contact = d.AttachData
		case ccd.EventCallAnswered:
			found = true
			f.Agent, f.Queue = ev.Agent, ev.Queue
			var d ccd.EventData
			_ = json.Unmarshal(ev.Payload, &d)
			f.Extension = acd.ExtensionOf(d.Endpoint)
		case ccd.EventCallRecording:
			var d ccd.EventData
			_ = json.Unmarshal(ev.Payload, &d)
			f.Recording = d.Recording
		case ccd.EventProfileChanged:
			var p ccd.ProfileChange
			_ = json.Unmarshal(ev.Payload, &p)
			for _, c := range p.Changes {
				f.Profile[c.Field] = c.New
			}
		}
	}
	for _, a := range acd.Agents {
		if a.ID == f.Agent {
			f.AgentName = a.Name
		}
	}
	for _, q := range acd.Queues {
		if q.Code == f.Queue {
			f.QueueName = q.Name
		}
	}
	return f, found, nil
}
