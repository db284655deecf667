package optimus

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// DialerRoute is where the Optimus dialer's REST GET methods are served
// (seed 000 §6.3), one route per method.
const DialerRoute = "/OptimusIntegration/Rest/DialerWebMethods.aspx/"

// DialerMethods are the REST methods, as Optimus names them.
var DialerMethods = []string{"AddTargetToCampaign", "AddTargetToCampaignWithTargetID", "GetTargetStatus", "RemoveTargetFromCampaign"}

// DialerQuery are the query parameters the methods read.
var DialerQuery = []string{"username", "password", "campaignId", "fName", "lName", "phoneI", "phoneII", "phoneIII",
	"dataI", "dataII", "dataIII", "priority", "phone"}

type dialerREST struct {
	agents *api.Agents
	db     api.DialerDB
	creds  Credentials
}

// MountDialer adds the dialer's REST GET methods, authenticated by the
// username and password parameters against the Optimus web-service
// credentials (api.optimus_user, api.optimus_password; empty: the methods are
// off). Answers are plain text as the seed gives them: true or false, the
// target's id, "StatusCode,Sum"; an error is a 4xx with "ERROR: <parameter>:
// <problem>".
func MountDialer(s *api.Server, agents *api.Agents, db api.DialerDB, creds Credentials) {
	if creds.User == "" {
		return
	}
	d := &dialerREST{agents: agents, db: db, creds: creds}
	handlers := map[string]echo.HandlerFunc{
		"AddTargetToCampaign":             d.addTarget(false),
		"AddTargetToCampaignWithTargetID": d.addTarget(true),
		"GetTargetStatus":                 d.targetStatus,
		"RemoveTargetFromCampaign":        d.removeTarget,
	}
	for _, m := range DialerMethods {
		s.Echo.GET(DialerRoute+m, d.authenticated(handlers[m]), api.QueryParams(DialerQuery...))
		s.SetErrorWriter(DialerRoute+m, writeTextError)
	}
}

func writeTextError(c echo.Context, status int, e *ccd.Error) error {
	return c.String(status, errorText(e))
}

func (d *dialerREST) authenticated(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		known := api.SameSecret(d.creds.User, c.QueryParam("username"))
		password := c.QueryParam("password")
		ok, err := d.agents.CheckSecret(c, "optimus", known, func() bool {
			return known && api.SameSecret(d.creds.Password, password)
		})
		switch {
		case err != nil:
			return err
		case !ok:
			return &ccd.Error{Code: ccd.EUNAUTH, Message: "invalid username or password"}
		}
		api.SetPrincipal(c, ccd.Principal{Kind: ccd.Integration, Name: "optimus", Roles: []ccd.Role{ccd.RoleCampaigns}})
		if !api.PrincipalOf(c).Has(ccd.RoleCampaigns) {
			return &ccd.Error{Code: ccd.EFORBIDDEN, Message: "the dialer methods need the campaigns role"}
		}
		return next(c)
	}
}

func campaignParam(c echo.Context) (int, error) {
	v := c.QueryParam("campaignId")
	if v == "" {
		return 0, ccd.Invalid("campaignId", "is required")
	}
	id, err := strconv.Atoi(v)
	if err != nil || id <= 0 {
		return 0, ccd.Invalid("campaignId", "want a campaign id (a positive whole number)")
	}
	return id, nil
}

func (d *dialerREST) addTarget(withID bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		campaign, err := campaignParam(c)
		if err != nil {
			return err
		}
		q := c.QueryParam
		t := dialer.Target{CampaignID: campaign, FirstName: q("fName"), LastName: q("lName"), PhoneI: q("phoneI"),
			PhoneII: q("phoneII"), PhoneIII: q("phoneIII"), DataI: q("dataI"), DataII: q("dataII"), DataIII: q("dataIII")}
		if p := q("priority"); p != "" {
			if t.Priority, err = strconv.Atoi(p); err != nil || t.Priority < 1 || t.Priority > 3 {
				return ccd.Invalid("priority", "must be 1 (high), 2 (medium) or 3 (low)")
			}
		}
		t = t.WithDefaults()
		if err := t.Validate(); err != nil {
			return err
		}
		db, err := d.db()
		if err != nil {
			return err
		}
		id, err := db.AddTarget(c.Request().Context(), t)
		if err != nil {
			return err
		}
		if withID {
			return c.String(http.StatusOK, strconv.FormatInt(id, 10))
		}
		return c.String(http.StatusOK, "true")
	}
}

func (d *dialerREST) targetStatus(c echo.Context) error {
	campaign, err := campaignParam(c)
	if err != nil {
		return err
	}
	q := c.QueryParam
	m := store.TargetMatch{PhoneI: q("phoneI"), PhoneII: q("phoneII"), PhoneIII: q("phoneIII"),
		DataI: q("dataI"), DataII: q("dataII"), DataIII: q("dataIII")}
	if m == (store.TargetMatch{}) {
		return ccd.Invalid("phoneI", "give at least one of phoneI, phoneII, phoneIII, dataI, dataII, dataIII")
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	code, sum, found, err := db.TargetStatus(c.Request().Context(), campaign, m)
	if err != nil {
		return err
	}
	if !found {
		return &ccd.Error{Code: ccd.ENOTFOUND, Field: "phoneI", Message: "no target of the campaign matches"}
	}
	return c.String(http.StatusOK, strconv.Itoa(code)+","+strconv.Itoa(sum))
}

func (d *dialerREST) removeTarget(c echo.Context) error {
	campaign, err := campaignParam(c)
	if err != nil {
		return err
	}
	// the signature says phone, the seed's example phoneI: either
	field, phone := "phoneI", c.QueryParam("phoneI")
	if phone == "" && c.QueryParam("phone") != "" {
		field, phone = "phone", c.QueryParam("phone")
	}
	if err := dialer.CheckPhone(phone); err != nil {
		return ccd.Invalid(field, err.Error())
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	n, err := db.RemoveTargets(c.Request().Context(), campaign, phone)
	if err != nil {
		return err
	}
	return c.String(http.StatusOK, strings.ToLower(strconv.FormatBool(n > 0)))
}
