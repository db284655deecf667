package toolbar

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/integrations/screenpop"
)

// offer is what a call.offered event says that later events of the call do
// not repeat: its attach data, priority and when it entered ccd.
type offer struct {
	attach   string
	priority int
	at       time.Time
	profile  map[string]string // the call profile's fields, by lower-cased name
}

func offerOf(e eventlog.Event) offer {
	var d ccd.EventData
	_ = json.Unmarshal(e.Payload, &d)
	return offer{attach: d.AttachData, priority: d.Priority, at: e.At}
}

func offerOfCall(c ccd.Call) offer {
	return offer{attach: c.AttachData, priority: c.Priority, at: c.OfferedAt}
}

// ring is a call ringing at an agent: what a screen pop is made of.
type ring struct {
	callID, agent, queue, clid, dnis, endpoint string
	at                                         time.Time
}

func ringOf(e eventlog.Event) ring {
	var d ccd.EventData
	_ = json.Unmarshal(e.Payload, &d)
	return ring{callID: e.CallID, agent: e.Agent, queue: e.Queue, clid: e.CLID, dnis: e.DNIS, endpoint: d.Endpoint, at: e.At}
}

// Pop is a screen pop: the call's parameters and the URLs they fill in.
type Pop struct {
	Params screenpop.Params
	URLs   []string
	Fetch  bool // ccd GETs the URLs itself too
	// TransferNumber is the CRM's default transfer number for the call.
	TransferNumber string
}

// withCRM adds what the CRM answered for the call (call.crm_data): its URL
// after the queue's (ccd does not GET it: the CRM made it for the agent's
// desktop), its transfer number, and its CustomData as attach data.
func (p Pop) withCRM(crm ccd.CRMCallData) Pop {
	if crm.URL != "" && !slices.Contains(p.URLs, crm.URL) {
		p.URLs = append(slices.Clip(p.URLs), crm.URL)
	}
	if crm.DefaultTransferNumber != "" {
		p.TransferNumber = crm.DefaultTransferNumber
	}
	if crm.CustomData != "" && !strings.Contains(p.Params.AttachData, crm.CustomData) {
		if p.Params.AttachData != "" {
			p.Params.AttachData += ";"
		}
		p.Params.AttachData += crm.CustomData
	}
	return p
}

// crmOf reads a call.crm_data event.
func crmOf(e eventlog.Event) ccd.CRMCallData {
	var d ccd.CRMCallData
	_ = json.Unmarshal(e.Payload, &d)
	return d
}

// MakePop builds the screen pop of a call ringing at an agent, from the
// queue's templates or the system defaults.
func makePop(acd config.ACD, tb config.Toolbar, r ring, o offer) Pop {
	p := screenpop.Params{CLID: r.clid, DNIS: r.dnis, AttachData: o.attach, Queue: r.queue, QueueCode: r.queue,
		Greeting: greeting(acd.Routes, r.dnis), Extension: extension(r.endpoint), CallID: r.callID, Agent: r.agent,
		Priority: o.priority, Profile: o.profile}
	if !o.at.IsZero() && r.at.After(o.at) {
		p.WaitingSeconds = int64(r.at.Sub(o.at) / time.Second)
	}
	tmpls, fetch := tb.ScreenPop, tb.ScreenPopFetch
	for _, q := range acd.Queues {
		if q.Code != r.queue {
			continue
		}
		if q.Name != "" {
			p.Queue = q.Name
		}
		if len(q.ScreenPop) > 0 {
			tmpls, fetch = q.ScreenPop, q.ScreenPopFetch
		}
	}
	urls := screenpop.URLs(tmpls, nil, p)
	return Pop{Params: p, URLs: urls, Fetch: fetch && len(urls) > 0}
}

// greeting is the greeting of the route a DNIS takes: exact numbers first,
// then patterns in order, as the router matches them.
func greeting(routes []config.Route, dnis string) string {
	for _, r := range routes {
		if !strings.HasPrefix(r.DNIS, "^") && r.DNIS == dnis {
			return r.Greeting
		}
	}
	for _, r := range routes {
		if strings.HasPrefix(r.DNIS, "^") {
			if re, err := regexp.Compile(r.DNIS); err == nil && re.MatchString(dnis) {
				return r.Greeting
			}
		}
	}
	return ""
}

// extension is the phone extension of an endpoint: its resource without
// the technology and the context ("PJSIP/1001", "Local/1001@agents/n" ->
// "1001").
func extension(endpoint string) string {
	_, res, ok := strings.Cut(endpoint, "/")
	if !ok {
		return endpoint
	}
	res, _, _ = strings.Cut(res, "/")
	res, _, _ = strings.Cut(res, "@")
	return res
}

// recorded tells whether the queue records its calls.
func recorded(acd config.ACD, queue string) bool {
	for _, q := range acd.Queues {
		if q.Code == queue {
			return q.Record
		}
	}
	return false
}
