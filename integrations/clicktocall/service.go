// Package clicktocall checks and places the calls agents and CRMs start
// over the API (the Stasis side is dialplan/clicktocall): who may call as
// whom, which numbers may be called, which phones ring, and the caller ID
// of the queue the call is made for. ccd's own route is
// POST /api/clicktocall; the OMniLeads makeCall and Flexfone MakeCall
// dialects call Service.Call with their own field names.
package clicktocall

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd/endpoints"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	dc2c "github.com/ccdhq/ccd/dialplan/clicktocall"
	"github.com/labstack/echo/v4"
)

// Placer places a checked call (the Stasis application).
type Placer interface {
	Place(ctx context.Context, r dc2c.Request) (ccd.ClickToCall, error)
}

// Service checks requests and places them.
type Service struct {
	Placer Placer
	// ACD is the live ACD configuration: agents, queues, extension rules.
	ACD func() config.ACD
	// Agents reads an agent's state (its current endpoint).
	Agents   ccd.AgentControl
	Config   config.ClickToCall
	numbers  *regexp.Regexp
	denied   *regexp.Regexp
	internal *regexp.Regexp
}

// NewService compiles the number patterns (checked by config validation).
func NewService(p Placer, acd func() config.ACD, agents ccd.AgentControl, cfg config.ClickToCall, internalNumbers string) *Service {
	s := &Service{Placer: p, ACD: acd, Agents: agents, Config: cfg,
		numbers: regexp.MustCompile(cfg.Numbers), internal: regexp.MustCompile(internalNumbers)}
	if cfg.Denied != "" {
		s.denied = regexp.MustCompile(cfg.Denied)
	}
	return s
}

// Request is a call as a dialect asks for it.
type Request struct {
	Order string // ccd.ClickToCallAgentFirst (default) or ccd.ClickToCallCustomerFirst
	Agent string // the agent calling or called
	// Phone is the phone to ring: an extension number or an endpoint;
	// "" rings the agent's current phone, or all its configured ones.
	Phone   string
	Number  string // the customer's number
	Queue   string // the queue (campaign) the call is made for: its caller ID
	ToQueue string // customer first: hand the customer to this queue
	Via     string
}

// Fields are the dialect's names of the request's fields, for errors.
type Fields struct {
	Agent, Phone, Number, Queue, ToQueue, Order string
}

// NativeFields are the names of ccd's own route.
var NativeFields = Fields{Agent: "agent", Phone: "phone", Number: "number", Queue: "queue", ToQueue: "to_queue", Order: "order"}

var numberSyntax = regexp.MustCompile(`^\+?[0-9]{1,32}$`)

// Call checks r for principal p and places it.
func (s *Service) Call(ctx context.Context, p ccd.Principal, r Request, f Fields) (ccd.ClickToCall, error) {
	var zero ccd.ClickToCall
	if r.Order == "" {
		r.Order = ccd.ClickToCallAgentFirst
	}
	if r.Order != ccd.ClickToCallAgentFirst && r.Order != ccd.ClickToCallCustomerFirst {
		return zero, ccd.Invalid(f.Order, `want "agent_first" or "customer_first"`)
	}
	caller, err := s.principal(p, r, f)
	if err != nil {
		return zero, err
	}
	if caller == endpoints.Agent {
		r.Agent = p.Agent
	}
	acd := s.ACD()
	out := dc2c.Request{Order: r.Order, Agent: r.Agent, Queue: r.Queue, ToQueue: r.ToQueue, Via: r.Via}
	if err := s.number(r.Number, f.Number, &out); err != nil {
		return zero, err
	}
	if r.Queue != "" && !hasQueue(acd, r.Queue) {
		return zero, &ccd.Error{Code: ccd.EINVALID, Field: f.Queue, Message: "no queue " + quote(r.Queue)}
	}
	if r.ToQueue != "" {
		if r.Order != ccd.ClickToCallCustomerFirst {
			return zero, ccd.Invalid(f.ToQueue, "only a customer-first call goes to a queue")
		}
		if !hasQueue(acd, r.ToQueue) {
			return zero, ccd.Invalid(f.ToQueue, "no queue "+quote(r.ToQueue))
		}
		if r.Agent != "" || r.Phone != "" {
			return zero, ccd.Invalid(f.ToQueue, "a call to a queue rings no agent's phone: give the queue or the agent, not both")
		}
	} else if err := s.phones(ctx, caller, acd, r, f, &out); err != nil {
		return zero, err
	}
	out.CallerID = s.Config.CallerIDFor(cmp(r.Queue, r.ToQueue))
	out.Customer = strings.ReplaceAll(s.Config.DialEndpoint, "{number}", r.Number)
	if out.Internal {
		out.Customer = acd.ExtensionEndpointOf(r.Number)
	}
	return s.Placer.Place(ctx, out)
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// principal checks who may place the call: an agent only as itself and
// agent first; an integration for anyone.
func (s *Service) principal(p ccd.Principal, r Request, f Fields) (endpoints.Caller, error) {
	switch {
	case p.Has(ccd.RoleAgentControl):
		if r.Agent == "" && r.Phone == "" && r.ToQueue == "" {
			return 0, ccd.Invalid(f.Agent, "is required: the agent whose phone rings (or the phone, or the queue)")
		}
		return endpoints.Integration, nil
	case p.Has(ccd.RoleAgentSelf) && p.Agent != "":
		if r.Agent != "" && r.Agent != p.Agent {
			return 0, &ccd.Error{Code: ccd.EFORBIDDEN, Field: f.Agent, Message: "an agent may only call as itself"}
		}
		if r.Order != ccd.ClickToCallAgentFirst || r.ToQueue != "" {
			return 0, &ccd.Error{Code: ccd.EFORBIDDEN, Field: f.Order, Message: "an agent places agent-first calls only"}
		}
		return endpoints.Agent, nil
	}
	return 0, &ccd.Error{Code: ccd.EFORBIDDEN, Message: "this needs an agent or an integration token"}
}

// number checks the customer's number: digits with an optional +, the
// configured pattern, not a denied one.
func (s *Service) number(n, field string, out *dc2c.Request) error {
	switch {
	case n == "":
		return ccd.Invalid(field, "is required")
	case !numberSyntax.MatchString(n):
		return ccd.Invalid(field, "want digits with an optional leading +, at most 32")
	case !s.numbers.MatchString(n):
		return ccd.Invalid(field, "may not be called (click_to_call.numbers)")
	case s.denied != nil && s.denied.MatchString(n):
		return &ccd.Error{Code: ccd.EFORBIDDEN, Field: field, Message: "may not be called (click_to_call.denied)"}
	}
	out.Number = n
	out.Internal = s.internal.MatchString(n)
	return nil
}

// phones finds the phones to ring: the one asked for (which the agent
// may use), else the agent's current endpoint, else all its configured
// ones.
func (s *Service) phones(ctx context.Context, caller endpoints.Caller, acd config.ACD, r Request, f Fields, out *dc2c.Request) error {
	var agent *config.Agent
	if r.Agent != "" {
		i := slices.IndexFunc(acd.Agents, func(a config.Agent) bool { return a.ID == r.Agent })
		if i < 0 {
			return &ccd.Error{Code: ccd.ENOTFOUND, Field: f.Agent, Message: "no agent " + quote(r.Agent)}
		}
		agent = &acd.Agents[i]
	}
	if agent != nil {
		// An agent on a call (or being rung for one) is not rung again.
		if st, err := s.Agents.Agent(ctx, agent.ID); err == nil && busy(st.State) {
			return &ccd.Error{Code: ccd.ECONFLICT, Field: f.Agent, Message: "agent " + quote(agent.ID) + " is " + st.State}
		}
	}
	if r.Phone != "" {
		policy, err := acd.EndpointPolicy()
		if err != nil {
			return err
		}
		ep, err := policy.Resolve(caller, r.Agent, r.Phone)
		if err != nil {
			code := ccd.EINVALID
			if e, ok := err.(*endpoints.Error); ok && e.Forbidden {
				code = ccd.EFORBIDDEN
			}
			return &ccd.Error{Code: code, Field: f.Phone, Message: err.Error()}
		}
		out.Phones = []string{ep}
		if agent == nil {
			out.Agent = ownerOf(acd, ep)
		}
	} else {
		if st, err := s.Agents.Agent(ctx, agent.ID); err == nil && st.Endpoint != "" && st.State != ccd.AgentLoggedOut {
			out.Phones = []string{st.Endpoint}
		} else {
			out.Phones = agent.AllowedEndpoints()
		}
		if len(out.Phones) == 0 {
			return ccd.Invalid(f.Phone, "agent "+quote(agent.ID)+" has no phone: give one")
		}
	}
	out.Extension = acd.ExtensionOf(out.Phones[0])
	return nil
}

func busy(state string) bool {
	return state == ccd.AgentRinging || state == ccd.AgentOnCall || state == ccd.AgentOnDirectCall
}

// ownerOf is the agent configured at endpoint ep, if one is.
func ownerOf(acd config.ACD, ep string) string {
	for _, a := range acd.Agents {
		if slices.Contains(a.AllowedEndpoints(), ep) {
			return a.ID
		}
	}
	return ""
}

func hasQueue(acd config.ACD, code string) bool {
	return slices.ContainsFunc(acd.Queues, func(q config.Queue) bool { return q.Code == code })
}

func quote(s string) string { return `"` + s + `"` }

// Mount adds ccd's route, POST /api/clicktocall.
func Mount(s *api.Server, svc *Service) {
	s.Echo.POST("/api/clicktocall", func(c echo.Context) error {
		var body struct {
			Order   string `json:"order" form:"order"`
			Agent   string `json:"agent" form:"agent"`
			Phone   string `json:"phone" form:"phone"`
			Number  string `json:"number" form:"number"`
			Queue   string `json:"queue" form:"queue"`
			ToQueue string `json:"to_queue" form:"to_queue"`
		}
		if err := api.BindBody(c, &body, "want JSON {\"number\", \"agent\", \"phone\", \"queue\", \"order\", \"to_queue\"}"); err != nil {
			return err
		}
		r := Request{Order: body.Order, Agent: body.Agent, Phone: body.Phone, Number: body.Number, Queue: body.Queue,
			ToQueue: body.ToQueue, Via: "api"}
		call, err := svc.Call(c.Request().Context(), api.PrincipalOf(c), r, NativeFields)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, call)
	}, s.Authenticate)
}
