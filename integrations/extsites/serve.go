package extsites

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/integrations/webhook"
	"github.com/labstack/echo/v4"
)

// Mount adds GET /api/agents/:id/external_sites?call=<call id>: the
// agent-clicked and automatic sites of a call the agent answered,
// rendered for its desktop. An agent reads its own calls only.
func Mount(s *api.Server, sites func() config.ExternalSites, acd func() config.ACD, db func() Querier) {
	s.Echo.GET("/api/agents/:id/external_sites", func(c echo.Context) error {
		agent, err := api.ActingAgent(c, c.Param("id"))
		if err != nil {
			return err
		}
		p := api.PrincipalOf(c)
		if !p.Has(ccd.RoleAgentSelf) && !p.Has(ccd.RoleAgentControl) && !p.Has(ccd.RoleSupervise) {
			return &ccd.Error{Code: ccd.EFORBIDDEN, Message: "this needs an agent or an integration token"}
		}
		call := c.QueryParam("call")
		if call == "" {
			return ccd.Invalid("call", "is required: the id of a call the agent answered")
		}
		q := db()
		if q == nil {
			return &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "database not connected yet"}
		}
		cfg := acd()
		f, answered, err := CallFacts(c.Request().Context(), q, call, cfg)
		if err != nil {
			return err
		}
		if !answered || f.Agent != agent {
			return &ccd.Error{Code: ccd.ENOTFOUND, Field: "call", Message: "agent " + agent + " answered no call " + call}
		}
		out := []Rendered{}
		if site, params, ok := ForQueue(sites(), f.Queue); ok && site.Trigger != "server" {
			out = append(out, Render(site, params, f))
		}
		return c.JSON(http.StatusOK, out)
	}, s.Authenticate)
}

// Sender sends the server-side sites of the calls agents answer, as a
// durable consumer of the event log hands it the events (Handle).
type Sender struct {
	Sites   func() config.ExternalSites
	Timeout time.Duration
	ACD     func() config.ACD
	DB      Querier
	Policy  webhook.Policy
	Log     *slog.Logger
	// Retries after a failed request (with Backoff between them) before
	// the request is given up and logged.
	Retries int
	Backoff time.Duration

	client         *http.Client
	Sent, Failed   atomic.Uint64
	Refused, Given atomic.Uint64
}

// Handle sends the server-side site of every call.answered of evs; an
// error reading the log leaves the batch to come again.
func (s *Sender) Handle(ctx context.Context, evs []eventlog.Event) error {
	for _, ev := range evs {
		if ev.Kind != ccd.EventCallAnswered {
			continue
		}
		site, params, ok := ForQueue(s.Sites(), ev.Queue)
		if !ok || site.Trigger != "server" {
			continue
		}
		f, _, err := CallFacts(ctx, s.DB, ev.CallID, s.ACD())
		if err != nil {
			return err
		}
		// The facts up to this event: the answer names the agent and queue.
		f.Agent, f.Queue = ev.Agent, ev.Queue
		s.Deliver(ctx, Render(site, params, f), ev.CallID)
	}
	return nil
}

// Deliver sends one request, retrying, and logs one line when it is given
// up: a CRM that is down does not hold up the log.
func (s *Sender) Deliver(ctx context.Context, r Rendered, callID string) {
	if s.client == nil {
		s.client = s.Policy.Client(s.Timeout)
	}
	if err := s.Policy.CheckURL(r.URL); err != nil {
		s.Refused.Add(1)
		s.Log.Warn("external site not sent: its address is not allowed (webhooks.allow_networks)", "site", r.Site, "call", callID, "err", err)
		return
	}
	var err error
	for attempt := 0; attempt <= s.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(s.Backoff):
			}
		}
		if err = s.send(ctx, r); err == nil {
			s.Sent.Add(1)
			return
		}
		s.Failed.Add(1)
	}
	s.Given.Add(1)
	s.Log.Warn("external site request failed", "site", r.Site, "call", callID, "err", err)
}

func (s *Sender) send(ctx context.Context, r Rendered) error {
	method, ctype := http.MethodGet, ""
	var body io.Reader
	switch r.Method {
	case "POST":
		method, ctype, body = http.MethodPost, "application/x-www-form-urlencoded", strings.NewReader(r.Form)
	case "JSON":
		b, _ := json.Marshal(r.JSON)
		method, ctype, body = http.MethodPost, "application/json", bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, body)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("User-Agent", "ccd")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
