package webui

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/internal/textcheck"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// dispositionStore keeps the dialer's campaigns and dispositions
// (store.DB): the agent console's wrap-up panel reads a campaign call's
// options and sets its disposition through the functions the OMniLeads API
// uses, so that the dialer.disposition event, the statistics and the
// handling of concurrent saves are the same.
type dispositionStore interface {
	CampaignCallOf(ctx context.Context, callID string) (store.CampaignCall, bool, error)
	Campaign(ctx context.Context, id int) (dialer.Campaign, error)
	DispositionOptions(ctx context.Context, campaign int, field string) ([]store.DispositionOption, error)
	DispositionOption(ctx context.Context, id int) (store.DispositionOption, error)
	DispositionOfCall(ctx context.Context, c store.CampaignCall) (*store.CallDisposition, error)
	SetCallDisposition(ctx context.Context, c store.CampaignCall, d store.Disposition) (store.Disposition, bool, error)
	LastCallOfAgent(ctx context.Context, agent string) (string, error)
}

// mountWrapUp adds the agent console's wrap-up panel, behind the session
// (g):
//
//	GET  /ui/calls/:id/disposition   the campaign's options (hidden ones left out) and the call's disposition
//	POST /ui/calls/:id/disposition   optionId= comments= [agendaAt=RFC 3339 agendaKind=personal|global]
//
// Only the agent who has the call (ringing, talking or in its wrap-up)
// sets its disposition; a second POST corrects it. The panel closes, and
// the call takes no disposition here any more, when the wrap-up ends.
func (u *UI) mountWrapUp(g *echo.Group) {
	ds, ok := u.o.Store.(dispositionStore)
	if !ok {
		return
	}
	g.GET("/calls/:id/disposition", u.dispositionPanel(ds), api.QueryParams())
	g.POST("/calls/:id/disposition", u.setDisposition(ds), u.csrf, api.QueryParams())
}

// wrapUpPanel is what the panel shows.
type wrapUpPanel struct {
	CallID      string                    `json:"callId"`
	CampaignID  int                       `json:"campaignId"`
	Campaign    string                    `json:"campaign"`
	TargetID    int64                     `json:"targetId"`
	Options     []store.DispositionOption `json:"options"`
	Disposition *store.CallDisposition    `json:"disposition"`
}

func (u *UI) dispositionPanel(ds dispositionStore) echo.HandlerFunc {
	return func(c echo.Context) error {
		cc, err := u.ownCampaignCall(c, ds)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		camp, err := ds.Campaign(ctx, cc.CampaignID)
		if err != nil {
			return u.unavailable(err)
		}
		opts, err := ds.DispositionOptions(ctx, cc.CampaignID, "id")
		if err != nil {
			return u.unavailable(err)
		}
		// Hidden options are retired: kept for the dispositions that have
		// them, not offered any more.
		opts = slices.DeleteFunc(opts, func(o store.DispositionOption) bool { return o.Hidden })
		d, err := ds.DispositionOfCall(ctx, cc)
		if err != nil {
			return u.unavailable(err)
		}
		return c.JSON(http.StatusOK, wrapUpPanel{CallID: cc.CallID, CampaignID: cc.CampaignID, Campaign: camp.Name,
			TargetID: cc.TargetID, Options: opts, Disposition: d})
	}
}

func (u *UI) setDisposition(ds dispositionStore) echo.HandlerFunc {
	return func(c echo.Context) error {
		d, err := readDispositionForm(c, u.o.Now())
		if err != nil {
			return err
		}
		cc, err := u.ownCampaignCall(c, ds)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		o, err := ds.DispositionOption(ctx, d.DispositionOptionID)
		switch {
		case errors.Is(err, store.ErrDispositionOptionNotFound):
			return ccd.Invalid("optionId", "no such disposition option")
		case err != nil:
			return u.unavailable(err)
		case o.CampaignID != cc.CampaignID || o.Hidden:
			return ccd.Invalid("optionId", "not an option of campaign "+strconv.Itoa(cc.CampaignID))
		case o.Kind == store.DispositionAgenda && d.Agenda == nil:
			return ccd.Invalid("agendaAt", "the option "+strconv.Quote(o.Name)+" schedules a callback: give its date and time")
		case o.Kind != store.DispositionAgenda:
			d.Agenda = nil // the page may keep a date from an agenda option chosen before
		}
		d.Agent = api.PrincipalOf(c).Agent
		saved, changed, err := ds.SetCallDisposition(ctx, cc, d)
		var stray *store.AgendaAgentError
		switch {
		case errors.As(err, &stray):
			return ccd.Invalid("agendaKind", "you do not serve queue "+strconv.Quote(stray.Queue)+" of this campaign: a personal "+
				"callback could never reach you; choose global (any agent of the campaign)")
		case errors.Is(err, store.ErrContactNotFound):
			return &ccd.Error{Code: ccd.ECONFLICT, Message: "the call's contact is no longer in the campaign"}
		case errors.Is(err, store.ErrDuplicateDisposition):
			return &ccd.Error{Code: ccd.ECONFLICT, Message: "the contact's disposition was being changed meanwhile: save again"}
		case err != nil:
			return u.unavailable(err)
		}
		u.live.poke()
		view, err := ds.DispositionOfCall(ctx, cc)
		if err != nil || view == nil {
			return u.unavailable(errors.Join(err, errors.New("the saved disposition is not there")))
		}
		status := http.StatusCreated
		if changed {
			status = http.StatusOK
		}
		return c.JSON(status, map[string]any{"dispositionId": saved.ID, "changed": changed, "disposition": view})
	}
}

// readDispositionForm reads the panel's form: the option, the comments,
// and for an agenda option the callback's time (RFC 3339, the browser
// turns the agent's local time into it) and kind.
func readDispositionForm(c echo.Context, now time.Time) (store.Disposition, error) {
	var d store.Disposition
	opt, err := strconv.Atoi(c.FormValue("optionId"))
	if err != nil || opt <= 0 {
		return d, ccd.Invalid("optionId", "choose a disposition option (its id, a positive whole number)")
	}
	d.DispositionOptionID = opt
	d.Comments = c.FormValue("comments")
	if len(d.Comments) > 4000 {
		return d, ccd.Invalid("comments", "is longer than 4000 characters")
	}
	if p := textcheck.TextProblem(d.Comments); p != "" {
		return d, ccd.Invalid("comments", p)
	}
	at, kind := c.FormValue("agendaAt"), strings.ToLower(c.FormValue("agendaKind"))
	if at == "" {
		return d, nil
	}
	when, err := time.Parse(time.RFC3339, at)
	switch {
	case err != nil:
		return d, ccd.Invalid("agendaAt", "want a date and time (RFC 3339, like 2026-03-10T18:30:00+01:00)")
	case !when.After(now):
		return d, ccd.Invalid("agendaAt", "is not in the future")
	case when.Year() > 9999:
		return d, ccd.Invalid("agendaAt", "is too far away")
	}
	switch kind {
	case "", "personal":
		kind = "personal"
	case "global":
	default:
		return d, ccd.Invalid("agendaKind", "want personal (you call back) or global (any agent of the campaign)")
	}
	d.Agenda = &store.Agenda{At: when, Kind: kind, Comments: d.Comments}
	return d, nil
}

// ownCampaignCall is the campaign call :id, which must be the logged-in
// agent's present call. A supervisor sets no disposition here: it is the
// agent's record of its conversation, and a correction on someone's behalf
// goes through the dialer API (PUT /api/v1/disposition/:id), which names
// the agent it acts for.
func (u *UI) ownCampaignCall(c echo.Context, ds dispositionStore) (store.CampaignCall, error) {
	p := api.PrincipalOf(c)
	if p.Agent == "" {
		return store.CampaignCall{}, &ccd.Error{Code: ccd.EFORBIDDEN, Message: "only the agent who had the call sets its disposition " +
			"(a supervisor corrects one through PUT /api/v1/disposition/:id)"}
	}
	call := c.Param("id")
	if call == "" || len(call) > 128 || textcheck.Problem(call) != "" {
		return store.CampaignCall{}, ccd.Invalid("id", "want a call id")
	}
	ctx := c.Request().Context()
	st, err := u.o.Agents.Ctl.Agent(ctx, p.Agent)
	if err != nil {
		return store.CampaignCall{}, err
	}
	present := st.CallID
	if st.State == "wrap_up" && present == "" {
		// The ACD forgets the call that ended; the event log has it.
		if present, err = ds.LastCallOfAgent(ctx, p.Agent); err != nil {
			return store.CampaignCall{}, u.unavailable(err)
		}
	}
	if present != call || !slices.Contains([]string{"ringing", "on_call", "wrap_up"}, st.State) {
		return store.CampaignCall{}, &ccd.Error{Code: ccd.EFORBIDDEN, Message: "call " + call + " is not your present call (or the one whose wrap-up you are in)"}
	}
	cc, ok, err := ds.CampaignCallOf(ctx, call)
	if err != nil {
		return cc, u.unavailable(err)
	}
	if !ok {
		return cc, &ccd.Error{Code: ccd.ECONFLICT, Message: "call " + call + " is not a call of a dialer campaign: it takes no disposition"}
	}
	return cc, nil
}
