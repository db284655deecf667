package api

import (
	"io"
	"net/http"

	"github.com/ccdhq/ccd"
	"github.com/labstack/echo/v4"
)

// adminPaths are the admin API's collection of each kind of item, and the
// name of the path parameter that identifies one: the item's own key.
var adminPaths = []struct {
	kind       ccd.ConfigKind
	collection string
	id         string
}{
	{ccd.ConfigQueue, "queues", "code"},
	{ccd.ConfigAgent, "agents", "id"},
	{ccd.ConfigGroup, "groups", "name"},
	{ccd.ConfigRoute, "routes", "dnis"},
	{ccd.ConfigActivity, "activities", "code"},
	{ccd.ConfigFlow, "flows", "name"},
	{ccd.ConfigSwitch, "switches", "localnumber"},
}

// MountAdmin adds the admin API (role admin): for queues, agents, groups,
// routes and activities, GET /api/admin/<items> lists them, GET, PUT (create
// or replace) and DELETE /api/admin/<items>/<id> act on one; PUT and DELETE
// /api/admin/agents/<id>/skills/<skill> set or remove one skill level. A
// change applies at once to the running ACD and is audited in the event
// log. GET and PUT of one item answer its version as ETag; a PUT or DELETE
// with If-Match is refused with 409 when the item changed since.
func (s *Server) MountAdmin(admin ccd.ConfigAdmin) {
	g := s.Echo.Group("/api/admin", s.Authenticate, Require(ccd.RoleAdmin))
	for _, p := range adminPaths {
		kind, id := p.kind, p.id
		one := "/" + p.collection + "/:" + id
		g.GET("/"+p.collection, func(c echo.Context) error {
			items, err := admin.ConfigItems(c.Request().Context(), kind)
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, items)
		})
		g.GET(one, func(c echo.Context) error {
			item, version, err := admin.ConfigItemVersion(c.Request().Context(), kind, c.Param(id))
			if err != nil {
				return err
			}
			c.Response().Header().Set("ETag", version)
			return c.JSON(http.StatusOK, item)
		})
		g.PUT(one, func(c echo.Context) error {
			body, err := io.ReadAll(c.Request().Body)
			if err != nil {
				return err
			}
			item, version, created, err := admin.PutConfigItemIf(c.Request().Context(), PrincipalOf(c), kind, c.Param(id), ifMatch(c), body)
			if err != nil {
				return err
			}
			status := http.StatusOK
			if created {
				status = http.StatusCreated
			}
			c.Response().Header().Set("ETag", version)
			return c.JSON(status, item)
		})
		g.DELETE(one, func(c echo.Context) error {
			if err := admin.DeleteConfigItemIf(c.Request().Context(), PrincipalOf(c), kind, c.Param(id), ifMatch(c)); err != nil {
				return err
			}
			return c.NoContent(http.StatusNoContent)
		})
	}
	g.PUT("/agents/:id/skills/:skill", func(c echo.Context) error {
		var body struct {
			Level *int `json:"level"`
		}
		if err := BindBody(c, &body, `want JSON {"level": 1..10}`); err != nil {
			return err
		}
		if body.Level == nil || *body.Level < 1 || *body.Level > 10 {
			return ccd.Invalid("level", "want 1..10")
		}
		return setSkill(c, admin, *body.Level)
	})
	g.DELETE("/agents/:id/skills/:skill", func(c echo.Context) error { return setSkill(c, admin, 0) })
}

// ifMatch is the request's If-Match header: the version of the item the
// change was made from (GET gives it as ETag). Without it a change applies
// to whatever version is current.
func ifMatch(c echo.Context) string { return c.Request().Header.Get("If-Match") }

func setSkill(c echo.Context, admin ccd.ConfigAdmin, level int) error {
	skill := c.Param("skill")
	if skill == "" {
		return ccd.Invalid("skill", "is required")
	}
	item, err := admin.SetSkill(c.Request().Context(), PrincipalOf(c), c.Param("id"), skill, level)
	if err != nil {
		return err
	}
	if level == 0 {
		return c.NoContent(http.StatusNoContent)
	}
	return c.JSON(http.StatusOK, item)
}
