package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// MountDispositionOptions adds ccd's routes for what OMniLeads clients read
// (role campaigns):
//
//	GET  /api/dialer/campaigns/:id/dispositionOptions   a campaign's disposition options
//	POST /api/dialer/campaigns/:id/dispositionOptions   add one: name, kind (normal, engaged, agenda), hidden (201)
//	PUT  /api/dialer/external/:system/:externalId       an external CRM system's id of a campaign: {"campaignId": N}
func (s *Server) MountDispositionOptions(db DialerDB) {
	d, g := s.dialerGroup(db)
	if g == nil {
		return
	}
	g.GET("/campaigns/:id/dispositionOptions", d.dispositionOptions)
	g.POST("/campaigns/:id/dispositionOptions", d.addDispositionOption)
	g.PUT("/external/:system/:externalId", d.setExternal)
}

func (d *dialerAPI) dispositionOptions(c echo.Context) error {
	id, db, err := d.pathDB(c, "campaign")
	if err != nil {
		return err
	}
	opts, err := db.DispositionOptions(c.Request().Context(), id, "campaignId")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, opts)
}

func (d *dialerAPI) addDispositionOption(c echo.Context) error {
	id, err := idParam(c, "campaign")
	if err != nil {
		return err
	}
	var o store.DispositionOption
	if err := decodeStrict(c, &o); err != nil {
		return err
	}
	if err := adoptPathID("campaignId", &o.CampaignID, id); err != nil {
		return err
	}
	if o.Kind == "" {
		o.Kind = store.DispositionNormal
	}
	switch {
	case strings.TrimSpace(o.Name) == "":
		return ccd.Invalid("name", "is required")
	case len(o.Name) > 100:
		return ccd.Invalid("name", "is longer than 100 characters")
	case o.Kind != store.DispositionNormal && o.Kind != store.DispositionEngaged && o.Kind != store.DispositionAgenda:
		return ccd.Invalid("kind", "must be normal, engaged or agenda")
	case o.ID != 0:
		return ccd.Invalid("id", "is given by ccd")
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	if o.ID, err = db.AddDispositionOption(c.Request().Context(), o); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, o)
}

func (d *dialerAPI) setExternal(c echo.Context) error {
	system, err := strconv.ParseInt(c.Param("system"), 10, 32)
	if err != nil || system < 0 {
		return ccd.Invalid("system", "want an external system id (a whole number)")
	}
	ext := c.Param("externalId")
	if ext == "" || len(ext) > 100 {
		return ccd.Invalid("externalId", "want the campaign's id in the external system (1 to 100 characters)")
	}
	var b struct {
		CampaignID int `json:"campaignId"`
	}
	if err := decodeStrict(c, &b); err != nil {
		return err
	}
	if b.CampaignID <= 0 {
		return ccd.Invalid("campaignId", "want a campaign id (a positive whole number)")
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	if err := db.SetCampaignExternal(c.Request().Context(), int(system), ext, b.CampaignID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"system": system, "externalId": ext, "campaignId": b.CampaignID})
}
