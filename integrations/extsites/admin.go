package extsites

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/integrations/webhook"
	"github.com/labstack/echo/v4"
)

// configItem names the external sites in config.changed audits.
const configItem = "external_sites"

// Store keeps the external sites set over the admin API (store.DB).
type Store interface {
	ExternalSites(ctx context.Context) (json.RawMessage, bool, error)
	SeedExternalSites(ctx context.Context, raw json.RawMessage) (bool, error)
	PutExternalSites(ctx context.Context, raw json.RawMessage, audit eventlog.Event) error
}

// Registry holds the running external sites: the configuration file's at
// first, then the database's (seeded from the file at the first start,
// changed by the admin API, read again every Poll by every ccd).
type Registry struct {
	cur     atomic.Pointer[config.ExternalSites]
	timeout time.Duration
	policy  webhook.Policy
	log     *slog.Logger
}

// NewRegistry starts with the file's sites.
func NewRegistry(file config.ExternalSites, policy webhook.Policy, log *slog.Logger) *Registry {
	r := &Registry{timeout: file.Timeout, policy: policy, log: log}
	r.cur.Store(&file)
	return r
}

// Current is the running set.
func (r *Registry) Current() config.ExternalSites { return *r.cur.Load() }

// Follow seeds the database with the running set when it holds none, then
// reads it every poll until ctx ends.
func (r *Registry) Follow(ctx context.Context, st Store, poll time.Duration) {
	raw, _ := json.Marshal(r.Current())
	if _, err := st.SeedExternalSites(ctx, raw); err != nil {
		r.log.Warn("external sites: cannot store the configuration file's sites", "err", err)
	}
	for {
		if err := r.load(ctx, st); err != nil && ctx.Err() == nil {
			r.log.Warn("external sites: cannot read them from the database", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

func (r *Registry) load(ctx context.Context, st Store) error {
	raw, found, err := st.ExternalSites(ctx)
	if err != nil || !found {
		return err
	}
	var s config.ExternalSites
	if err := json.Unmarshal(raw, &s); err != nil {
		return err
	}
	s.Timeout = r.timeout
	r.cur.Store(&s)
	return nil
}

// MountAdmin adds GET and PUT /api/admin/external_sites: the whole set of
// sites and queues, in the configuration file's keys. A PUT is checked as
// the file is (errors name the key, sites[0].url), and server-side URLs
// against the SSRF policy; it is stored with its config.changed audit and
// runs at once.
func (r *Registry) MountAdmin(s *api.Server, st func() Store) {
	g := s.Echo.Group("/api/admin", s.Authenticate, api.Require(ccd.RoleAdmin))
	g.GET("/external_sites", func(c echo.Context) error { return c.JSON(http.StatusOK, r.Current()) })
	g.PUT("/external_sites", func(c echo.Context) error {
		var next config.ExternalSites
		if err := api.BindBody(c, &next, `want JSON {"sites": [...], "queues": [...]}`); err != nil {
			return err
		}
		next.Timeout = r.timeout
		if next.Sites == nil {
			next.Sites = []config.ExternalSite{}
		}
		if next.Queues == nil {
			next.Queues = []config.ExternalSiteQueue{}
		}
		if err := next.Validate(); err != nil {
			var ce *config.Error
			if errors.As(err, &ce) {
				return ccd.Invalid(ce.Key, ce.Problem)
			}
			return ccd.Invalid("sites", err.Error())
		}
		for i, site := range next.Sites {
			if site.Trigger == "server" {
				if err := r.policy.CheckURL(config.Holders.ReplaceAllString(site.URL, "x")); err != nil {
					return ccd.Invalid("sites["+itoa(i)+"].url", err.Error()+" (allow its network in webhooks.allow_networks)")
				}
			}
		}
		db := st()
		if db == nil {
			return &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "database not connected yet"}
		}
		p := api.PrincipalOf(c)
		before, after := r.Current(), next
		audit := eventlog.Event{At: time.Now(), Kind: ccd.EventConfigChanged, Source: eventlog.SourceAPI, Key: eventlog.NewKey(),
			Payload: eventlog.Payload(ccd.ConfigChange{Item: configItem, Action: ccd.ConfigUpdated, By: string(p.Kind) + ":" + p.Name,
				Before: asMap(before), After: asMap(after)})}
		raw, _ := json.Marshal(next)
		if err := db.PutExternalSites(c.Request().Context(), raw, audit); err != nil {
			return err
		}
		r.cur.Store(&next)
		return c.JSON(http.StatusOK, next)
	})
}

func asMap(s config.ExternalSites) map[string]any {
	var m map[string]any
	b, _ := json.Marshal(s)
	_ = json.Unmarshal(b, &m)
	return m
}

func itoa(i int) string { return strconv.Itoa(i) }
