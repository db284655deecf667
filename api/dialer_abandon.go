package api

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/internal/textcheck"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// mountCalls adds the routes about the dialer's calls (role campaigns):
//
//	GET /api/dialer/campaigns/:id/abandon  the abandon rate over the last hour, 24 h and 30 days
//	GET /api/dialer/campaigns/:id/amd      the answering-machine settings
//	PUT /api/dialer/campaigns/:id/amd      replace them
func (d *dialerAPI) mountCalls(g *echo.Group) {
	g.GET("/campaigns/:id/abandon", d.abandon)
	g.GET("/campaigns/:id/amd", d.amd)
	g.PUT("/campaigns/:id/amd", d.putAMD)
}

// AbandonWindow is one window of a campaign's abandon rate: the calls a
// person answered, those abandoned (no agent within 2 s), their ratio and
// the campaign's limit.
type AbandonWindow struct {
	Window    string  `json:"window"` // "1h", "24h", "30d"
	Answered  int     `json:"answered"`
	Abandoned int     `json:"abandoned"`
	Rate      float64 `json:"rate"`
	Limit     float64 `json:"limit"`
	Over      bool    `json:"over"`
}

// windowName names a span in whole days from two days up, else in hours.
func windowName(span time.Duration) string {
	if span >= 48*time.Hour {
		return strconv.Itoa(int(span/(24*time.Hour))) + "d"
	}
	return strconv.Itoa(int(span/time.Hour)) + "h"
}

func (d *dialerAPI) abandon(c echo.Context) error {
	id, db, err := d.pathDB(c, "campaign")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cp, err := db.Campaign(ctx, id)
	if err != nil {
		return err
	}
	ws, err := db.AbandonWindows(ctx, id, time.Now(), store.AbandonSpans...)
	if err != nil {
		return err
	}
	out := make([]AbandonWindow, 0, len(ws))
	for _, w := range ws {
		out = append(out, AbandonWindow{Window: windowName(w.Span), Answered: w.Answered, Abandoned: w.Abandoned, Rate: w.Rate(),
			Limit: cp.MaxAbandonRate, Over: w.Rate() > cp.MaxAbandonRate})
	}
	return c.JSON(http.StatusOK, map[string]any{"campaignId": id, "windows": out})
}

func (d *dialerAPI) amd(c echo.Context) error {
	id, db, err := d.pathDB(c, "campaign")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := db.Campaign(ctx, id); err != nil {
		return err
	}
	a, err := db.CampaignAMD(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// AMDParams is the syntax of AMD()'s arguments: at most 9 whole numbers,
// comma separated, any of them empty (amd.conf's).
var AMDParams = regexp.MustCompile(`^[0-9]{0,6}(,[0-9]{0,6}){0,8}$`)

// checkAMD refuses what AMD() or ARI would not take.
func checkAMD(a store.CampaignAMD) error {
	if !AMDParams.MatchString(a.Params) {
		return ccd.Invalid("params", "want at most 9 whole numbers (milliseconds, counts) in AMD()'s order, comma separated, no spaces; an empty one keeps amd.conf's")
	}
	for _, m := range []struct{ field, v string }{{"machineMessage", a.MachineMessage}, {"abandonMessage", a.AbandonMessage}} {
		if m.v == "" {
			continue
		}
		if len(m.v) > 200 || !strings.Contains(m.v, ":") || strings.ContainsAny(m.v, " \t\r\n") {
			return ccd.Invalid(m.field, "want ARI media like sound:my-message, at most 200 characters")
		}
		if p := textcheck.Problem(m.v); p != "" {
			return ccd.Invalid(m.field, p)
		}
	}
	return nil
}

func (d *dialerAPI) putAMD(c echo.Context) error {
	id, err := idParam(c, "campaign")
	if err != nil {
		return err
	}
	var a store.CampaignAMD
	if err := decodeStrict(c, &a); err != nil {
		return err
	}
	if err := checkAMD(a); err != nil {
		return err
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := db.PutCampaignAMD(ctx, id, a); err != nil {
		return err
	}
	a, err = db.CampaignAMD(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}
