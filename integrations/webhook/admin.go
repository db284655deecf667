package webhook

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// Admin is the admin API of the subscriptions and their dead letters.
type Admin struct {
	DB     func() *store.DB // nil until the database is up: the routes answer 503
	Policy Policy
	Now    func() time.Time
	Kick   func() // the deliverer looks at the outbox again after a change
}

var errNotReady = &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "database not connected yet"}

func (a *Admin) store() (Store, error) {
	if a.DB == nil {
		return Store{}, errNotReady
	}
	db := a.DB()
	if db == nil {
		return Store{}, errNotReady
	}
	return Store{db}, nil
}

func (a *Admin) kick() {
	if a.Kick != nil {
		a.Kick()
	}
}

// Mount adds the routes (role admin):
//
//	GET    /api/admin/webhooks                             the subscriptions
//	GET    /api/admin/webhooks/:id                         one
//	PUT    /api/admin/webhooks/:id                         create (201) or replace (200)
//	DELETE /api/admin/webhooks/:id                         remove it and its outbox
//	GET    /api/admin/webhooks/:id/dead_letters            its dead letters (after, limit)
//	POST   /api/admin/webhooks/:id/dead_letters/replay     send them again (msg_ids: some; none: all)
func Mount(s *api.Server, a *Admin) {
	mw := []echo.MiddlewareFunc{s.Authenticate, api.Require(ccd.RoleAdmin)}
	noQuery := append(mw, api.QueryParams())
	s.Echo.GET("/api/admin/webhooks", a.list, noQuery...)
	s.Echo.GET("/api/admin/webhooks/:id", a.get, noQuery...)
	s.Echo.PUT("/api/admin/webhooks/:id", a.put, noQuery...)
	s.Echo.DELETE("/api/admin/webhooks/:id", a.delete, noQuery...)
	s.Echo.GET("/api/admin/webhooks/:id/dead_letters", a.dead, append(mw, api.QueryParams("after", "limit"))...)
	s.Echo.POST("/api/admin/webhooks/:id/dead_letters/replay", a.replay, noQuery...)
}

func (a *Admin) list(c echo.Context) error {
	st, err := a.store()
	if err != nil {
		return err
	}
	subs, err := st.Subscriptions(c.Request().Context())
	if err != nil {
		return err
	}
	if subs == nil {
		subs = []Subscription{}
	}
	return c.JSON(http.StatusOK, subs)
}

func (a *Admin) get(c echo.Context) error {
	st, err := a.store()
	if err != nil {
		return err
	}
	sub, err := st.Subscription(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sub)
}

// putBody is a subscription as the admin sends it.
type putBody struct {
	URL     string   `json:"url" form:"url"`
	Format  string   `json:"format" form:"format"`
	Secret  string   `json:"secret" form:"secret"`
	Events  []string `json:"events" form:"events"`
	Enabled *bool    `json:"enabled" form:"enabled"`
}

func (a *Admin) put(c echo.Context) error {
	st, err := a.store()
	if err != nil {
		return err
	}
	var b putBody
	if err := api.BindBody(c, &b, `want JSON {"url", "format": "get"|"form"|"json", "secret", "events", "enabled"}`); err != nil {
		return err
	}
	if b.Format == "" {
		b.Format = "json"
	}
	cs := config.WebhookSubscription{ID: c.Param("id"), URL: b.URL, Format: b.Format, Secret: b.Secret, Events: b.Events}
	if field, problem := cs.Check(); problem != "" {
		return ccd.Invalid(field, problem)
	}
	if err := a.Policy.CheckURL(cs.URL); err != nil {
		return ccd.Invalid("url", err.Error()+" (webhooks.allow_networks allows internal networks)")
	}
	enabled := b.Enabled == nil || *b.Enabled
	sub, created, err := st.Put(c.Request().Context(), cs, enabled, false)
	if err != nil {
		return err
	}
	a.kick()
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, sub)
}

func (a *Admin) delete(c echo.Context) error {
	st, err := a.store()
	if err != nil {
		return err
	}
	if err := st.Delete(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	a.kick()
	return c.NoContent(http.StatusNoContent)
}

func (a *Admin) dead(c echo.Context) error {
	st, err := a.store()
	if err != nil {
		return err
	}
	after, err := intParam(c, "after", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := intParam(c, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	letters, err := st.DeadLetters(c.Request().Context(), c.Param("id"), after, int(limit))
	if err != nil {
		return err
	}
	if letters == nil {
		letters = []Letter{}
	}
	return c.JSON(http.StatusOK, letters)
}

func intParam(c echo.Context, name string, def, lo, hi int64) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, ccd.Invalid(name, "want a whole number "+strconv.FormatInt(lo, 10)+".."+strconv.FormatInt(hi, 10))
	}
	return n, nil
}

func (a *Admin) replay(c echo.Context) error {
	st, err := a.store()
	if err != nil {
		return err
	}
	var b struct {
		MsgIDs []string `json:"msg_ids" form:"msg_ids"`
	}
	if c.Request().ContentLength != 0 {
		if err := api.BindBody(c, &b, `want JSON {"msg_ids": [...]} or no body (every dead letter)`); err != nil {
			return err
		}
	}
	if len(b.MsgIDs) > 10000 {
		return ccd.Invalid("msg_ids", "at most 10000 at once")
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	n, err := st.Replay(c.Request().Context(), c.Param("id"), b.MsgIDs, now())
	if err != nil {
		return err
	}
	a.kick()
	return c.JSON(http.StatusOK, map[string]int{"replayed": n})
}

// SeedConfig stores the configuration file's subscriptions, refusing any
// that points at a forbidden address.
func SeedConfig(ctx context.Context, st Store, p Policy, subs []config.WebhookSubscription) error {
	for i, s := range subs {
		if err := p.CheckURL(s.URL); err != nil {
			return &config.Error{Key: "webhooks.subscriptions[" + strconv.Itoa(i) + "].url", Problem: err.Error() + " (add its network to webhooks.allow_networks)"}
		}
	}
	if err := st.Seed(ctx, subs); err != nil {
		return errors.Join(errors.New("webhook: storing the configured subscriptions"), err)
	}
	return nil
}
