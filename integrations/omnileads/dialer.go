package omnileads

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// The OMniLeads campaign and disposition routes (003 §18.1.2-18.1.9), as
// OMniLeads spells them.
const (
	DatabaseMetadataRoute   = "/api/v1/campaign/database_metadata/"
	NewContactRoute         = "/api/v1/new_contact/"
	DispositionOptionsRoute = "/api/v1/campaign/:idc/dispositionOptions/"
	// DispositionOptionsExternalRoute takes an external CRM system's id
	// (ids) and its id of the campaign (idc).
	DispositionOptionsExternalRoute = "/api/v1/campaign/:idc/dispositionOptions/:ids/"
	DispositionsRoute               = "/api/v1/disposition/"
	DispositionRoute                = "/api/v1/disposition/:id"
	NewContactDispositionRoute      = "/api/v1/new_contact/disposition/"
)

// ContactFields are the fields of a campaign's contact database in ccd: a
// contact is a dialer target. phoneI is the main phone, externalTargetId
// the external id.
var ContactFields = []string{"fName", "lName", "phoneI", "phoneII", "phoneIII", "dataI", "dataII", "dataIII", "externalTargetId"}

// notFound is OMniLeads' answer to an unknown id.
var notFound = map[string]string{"detail": "No encontrado."}

type dialerAPI struct{ db api.DialerDB }

// MountDialer adds the OMniLeads campaign and disposition routes, with the
// OMniLeads authentication (a bearer token: an agent's session, or a token
// with the campaigns role). An agent's dispositions are its own; an
// integration names the agent with idAgent, or none.
func MountDialer(s *api.Server, db api.DialerDB) {
	d := &dialerAPI{db: db}
	// Not a group: a group of prefix "" would answer every unknown route
	// of the server with its authentication.
	mw := []echo.MiddlewareFunc{s.Authenticate, api.Require(ccd.RoleAgentSelf, ccd.RoleCampaigns), api.QueryParams()}
	e := s.Echo
	e.POST(DatabaseMetadataRoute, d.databaseMetadata, mw...)
	e.POST(NewContactRoute, d.newContact, mw...)
	e.GET(DispositionOptionsRoute, d.dispositionOptions, mw...)
	e.GET(DispositionOptionsExternalRoute, d.dispositionOptions, mw...)
	e.GET(DispositionsRoute, d.dispositions, mw...)
	e.POST(DispositionsRoute, d.createDisposition, mw...)
	e.PUT(DispositionRoute, d.updateDisposition, mw...)
	e.POST(NewContactDispositionRoute, d.newContactDisposition, mw...)
	for _, r := range []string{DatabaseMetadataRoute, NewContactRoute, DispositionOptionsRoute, DispositionOptionsExternalRoute,
		DispositionsRoute, DispositionRoute, NewContactDispositionRoute} {
		s.SetErrorWriter(r, writeError)
	}
}

// writeError answers as OMniLeads (Django REST framework) does: an unknown
// id is 404 {"detail": "No encontrado."}; a bad field is {"status": "ERROR",
// "errors": {field: problem}}; anything else {"detail": problem}.
func writeError(c echo.Context, status int, e *ccd.Error) error {
	switch {
	case status == http.StatusNotFound:
		return c.JSON(status, notFound)
	case e.Field != "":
		return c.JSON(status, map[string]any{"status": "ERROR", "errors": map[string]string{e.Field: e.Message}})
	}
	return c.JSON(status, map[string]string{"detail": e.Message})
}

// fields is a request body: a JSON object (numbers kept as written) or a
// form.
type fields map[string]any

func readFields(c echo.Context) (fields, error) {
	r := c.Request()
	if strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
		form, err := c.FormParams()
		if err != nil {
			return nil, ccd.Invalid("body", "is not a form")
		}
		out := fields{}
		for k, vs := range form {
			if len(vs) > 1 {
				return nil, ccd.Invalid(k, "is given more than once")
			}
			out[k] = vs[0]
		}
		return out, nil
	}
	body, err := io.ReadAll(r.Body) // read whole at the edge, within the body limit
	if err != nil {
		return nil, ccd.Invalid("body", "could not be read")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out fields
	if err := dec.Decode(&out); err != nil || out == nil {
		return nil, ccd.Invalid("body", "want a JSON object")
	}
	if dec.More() {
		return nil, ccd.Invalid("body", "want one JSON object")
	}
	return out, nil
}

// only refuses a field not in names, naming it.
func (f fields) only(names ...string) error {
	for k := range f {
		if !slices.Contains(names, k) {
			return ccd.Invalid(k, "is not a field of this request (it takes "+strings.Join(names, ", ")+")")
		}
	}
	return nil
}

// text is a string field ("" when absent).
func (f fields) text(name string) (string, error) {
	switch v := f[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	}
	return "", ccd.Invalid(name, "want a string")
}

// id is an identifier field, a string or a number (clients send both).
func (f fields) id(name string) (string, error) {
	if n, ok := f[name].(json.Number); ok {
		return n.String(), nil
	}
	return f.text(name)
}

// integer is a whole-number field, given as a number or a text; absent is
// (0, false).
func (f fields) integer(name string) (int64, bool, error) {
	s, err := f.id(name)
	if err != nil || s == "" {
		return 0, false, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<31-1 {
		return 0, false, ccd.Invalid(name, "want a whole number from 0 to 2147483647, got "+strconv.Quote(s))
	}
	return n, true, nil
}

// campaignOf is the campaign idCampaign names: ccd's id, or with
// idExternalSystem the external system's id of it. An unknown one is a bad
// idCampaign.
func campaignOf(c echo.Context, db *store.DB, f fields) (int, error) {
	idc, err := f.id("idCampaign")
	if err != nil {
		return 0, err
	}
	if idc == "" {
		return 0, ccd.Invalid("idCampaign", "is required")
	}
	system, external, err := f.integer("idExternalSystem")
	if err != nil {
		return 0, err
	}
	var id int
	if external {
		id, err = db.CampaignOfExternal(c.Request().Context(), int(system), idc, "idCampaign")
	} else {
		n64, perr := strconv.ParseInt(idc, 10, 32)
		n := int(n64)
		if perr != nil || n <= 0 {
			return 0, ccd.Invalid("idCampaign", "want a campaign id (a positive whole number), or give idExternalSystem")
		}
		id = n
		_, err = db.Campaign(c.Request().Context(), id)
	}
	var ce *ccd.Error
	if errors.As(err, &ce) && ce.Code == ccd.ENOTFOUND {
		return 0, ccd.Invalid("idCampaign", ce.Message) // OMniLeads answers status ERROR, not 404
	}
	return id, err
}

func (d *dialerAPI) databaseMetadata(c echo.Context) error {
	f, err := readFields(c)
	if err != nil {
		return err
	}
	if err := f.only("idCampaign", "idExternalSystem"); err != nil {
		return err
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	if _, err := campaignOf(c, db, f); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "OK", "fields": ContactFields, "main_phone": "phoneI",
		"external_id": "externalTargetId"})
}

// contactOf reads a contact's fields into a target; main and external name
// the fields that carry phoneI and externalTargetId in this request.
func contactOf(f fields, main, external string) (dialer.Target, map[string]string, error) {
	var t dialer.Target
	given := map[string]string{}
	for _, name := range ContactFields {
		var v string
		var err error
		switch name {
		case "phoneI":
			v, err = f.text(main)
		case "externalTargetId":
			v, err = f.id(external)
		default:
			v, err = f.text(name)
		}
		if err != nil {
			return t, nil, err
		}
		given[name] = v
	}
	t = dialer.Target{FirstName: given["fName"], LastName: given["lName"], PhoneI: given["phoneI"], PhoneII: given["phoneII"],
		PhoneIII: given["phoneIII"], DataI: given["dataI"], DataII: given["dataII"], DataIII: given["dataIII"]}.WithDefaults()
	if ext := given["externalTargetId"]; ext != "" {
		n, err := strconv.ParseInt(ext, 10, 64)
		if err != nil || n < 0 {
			return t, nil, ccd.Invalid(external, "want a whole number (ccd's external ids are numbers)")
		}
		t.ExternalTargetID = &n
	}
	if err := t.Validate(); err != nil {
		var ce *ccd.Error
		if errors.As(err, &ce) && ce.Field == "phoneI" && main != "phoneI" {
			return t, nil, ccd.Invalid(main, ce.Message)
		}
		return t, nil, err
	}
	return t, given, nil
}

func (d *dialerAPI) newContact(c echo.Context) error {
	f, err := readFields(c)
	if err != nil {
		return err
	}
	if err := f.only(append([]string{"idCampaign", "idExternalSystem"}, ContactFields...)...); err != nil {
		return err
	}
	t, given, err := contactOf(f, "phoneI", "externalTargetId")
	if err != nil {
		return err
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	if t.CampaignID, err = campaignOf(c, db, f); err != nil {
		return err
	}
	id, err := db.AddContact(c.Request().Context(), t, "externalTargetId")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "OK", "id": id, "message": "Contacto agregado", "contacto": given})
}

// option is one disposition option as OMniLeads lists it; kind says which
// are engaged and which schedule a callback (agenda).
type option struct {
	ID     int    `json:"id"`
	Name   string `json:"name"`
	Hidden bool   `json:"hidden"`
	Kind   string `json:"kind"`
}

func (d *dialerAPI) dispositionOptions(c echo.Context) error {
	db, err := d.db()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var campaign int
	if ids := c.Param("ids"); ids != "" {
		system, err := strconv.ParseInt(ids, 10, 32)
		if err != nil || system < 0 {
			return ccd.Invalid("ids", "want an external system id (a whole number)")
		}
		if campaign, err = db.CampaignOfExternal(ctx, int(system), c.Param("idc"), "idc"); err != nil {
			return err
		}
	} else {
		n, err := strconv.ParseInt(c.Param("idc"), 10, 32)
		if err != nil || n <= 0 {
			return ccd.Invalid("idc", "want a campaign id (a positive whole number)")
		}
		campaign = int(n)
	}
	opts, err := db.DispositionOptions(ctx, campaign, "idc")
	if err != nil {
		return err
	}
	out := make([]option, len(opts))
	for i, o := range opts {
		out[i] = option{ID: o.ID, Name: o.Name, Hidden: o.Hidden, Kind: o.Kind}
	}
	return c.JSON(http.StatusOK, out)
}

// dispositionJSON is a disposition as OMniLeads answers it, with the
// callback an agenda disposition scheduled.
type dispositionJSON struct {
	ID                  int64       `json:"id"`
	IDContact           int64       `json:"idContact"`
	CallID              string      `json:"callid"`
	IDDispositionOption int         `json:"idDispositionOption"`
	Comments            string      `json:"comments"`
	Agenda              *agendaJSON `json:"agenda,omitempty"`
}

// agendaJSON is a callback as the OMniLeads agenda form has it: date, time
// (in the campaign's zone), type (PERSONAL or GLOBAL) and comments.
type agendaJSON struct {
	Date     string `json:"date"`
	Time     string `json:"time"`
	Type     string `json:"type"`
	Comments string `json:"comments"`
}

func toJSON(d store.Disposition, loc *time.Location) dispositionJSON {
	out := dispositionJSON{ID: d.ID, IDContact: d.TargetID, CallID: d.CallID, IDDispositionOption: d.DispositionOptionID, Comments: d.Comments}
	if a := d.Agenda; a != nil {
		at := a.At.In(loc)
		out.Agenda = &agendaJSON{Date: at.Format(time.DateOnly), Time: at.Format("15:04"), Type: strings.ToUpper(a.Kind), Comments: a.Comments}
	}
	return out
}

// actingAgent is the agent a request acts as: an agent itself (naming
// another with idAgent is a 403), for an integration idAgent or none.
func actingAgent(c echo.Context, f fields) (string, error) {
	named, err := f.text("idAgent")
	if err != nil {
		return "", err
	}
	p := api.PrincipalOf(c)
	if p.Has(ccd.RoleCampaigns) {
		if len(named) > 100 {
			return "", ccd.Invalid("idAgent", "is longer than 100 characters")
		}
		return named, nil
	}
	if named != "" && named != p.Agent {
		return "", &ccd.Error{Code: ccd.EFORBIDDEN, Message: "an agent disposes its own contacts only"}
	}
	return p.Agent, nil
}

// ownAgent limits what an agent reads and changes to its own dispositions;
// nil for an integration.
func ownAgent(c echo.Context) *string {
	p := api.PrincipalOf(c)
	if p.Has(ccd.RoleCampaigns) {
		return nil
	}
	return &p.Agent
}

// dispositionFields are what a disposition request takes.
var dispositionFields = []string{"idExternalSystem", "idContact", "idDispositionOption", "callid", "comments", "idAgent", "agenda"}

// readDisposition reads the disposition fields of f (not the contact).
func readDisposition(c echo.Context, f fields) (store.Disposition, error) {
	var d store.Disposition
	opt, ok, err := f.integer("idDispositionOption")
	if err != nil {
		return d, err
	}
	if !ok {
		return d, ccd.Invalid("idDispositionOption", "is required")
	}
	d.DispositionOptionID = int(opt)
	if d.CallID, err = f.text("callid"); err != nil {
		return d, err
	}
	if d.Comments, err = f.text("comments"); err != nil {
		return d, err
	}
	switch {
	case len(d.CallID) > 100:
		return d, ccd.Invalid("callid", "is longer than 100 characters")
	case len(d.Comments) > 4000:
		return d, ccd.Invalid("comments", "is longer than 4000 characters")
	}
	if d.Agent, err = actingAgent(c, f); err != nil {
		return d, err
	}
	d.Agenda, err = readAgenda(f)
	return d, err
}

// readAgenda reads the callback an agenda option schedules: {"date":
// "2019-04-10", "time": "18:13", "type": "PERSONAL" or "GLOBAL",
// "comments": ...}, in UTC until the campaign's zone is known (agendaIn).
func readAgenda(f fields) (*store.Agenda, error) {
	raw, ok := f["agenda"]
	if !ok || raw == nil {
		return nil, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, ccd.Invalid("agenda", "want an object with date, time, type and comments")
	}
	af := fields(m)
	if err := af.only("date", "time", "type", "comments"); err != nil {
		return nil, ccd.Invalid("agenda", "takes date, time, type and comments only")
	}
	get := func(name string) (string, error) {
		v, err := af.text(name)
		if err != nil {
			return "", ccd.Invalid("agenda."+name, "want a string")
		}
		return v, nil
	}
	date, err := get("date")
	if err != nil {
		return nil, err
	}
	clock, err := get("time")
	if err != nil {
		return nil, err
	}
	kind, err := get("type")
	if err != nil {
		return nil, err
	}
	comments, err := get("comments")
	if err != nil {
		return nil, err
	}
	at, err := time.Parse("2006-01-02 15:04", date+" "+clock)
	switch {
	case err != nil && !validDate(date):
		return nil, ccd.Invalid("agenda.date", "want a date like 2019-04-10")
	case err != nil:
		return nil, ccd.Invalid("agenda.time", "want a time of day like 18:13")
	}
	a := &store.Agenda{At: at, Comments: comments}
	switch strings.ToUpper(kind) {
	case "", "PERSONAL":
		a.Kind = "personal"
	case "GLOBAL":
		a.Kind = "global"
	default:
		return nil, ccd.Invalid("agenda.type", "want PERSONAL or GLOBAL")
	}
	if len(comments) > 4000 {
		return nil, ccd.Invalid("agenda.comments", "is longer than 4000 characters")
	}
	return a, nil
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// agendaIn reads the callback's wall-clock time in the campaign's zone.
func agendaIn(c echo.Context, db *store.DB, d *store.Disposition) (*time.Location, error) {
	o, err := db.DispositionOption(c.Request().Context(), d.DispositionOptionID)
	if err != nil {
		return nil, err
	}
	cp, err := db.Campaign(c.Request().Context(), o.CampaignID)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(cp.TimeZone)
	if err != nil {
		return nil, err
	}
	if a := d.Agenda; a != nil {
		t := a.At
		a.At = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, loc)
	}
	return loc, nil
}

// contactRef reads idContact (with idExternalSystem: the contact's external
// id).
func contactRef(f fields) (store.ContactRef, error) {
	_, external, err := f.integer("idExternalSystem")
	if err != nil {
		return store.ContactRef{}, err
	}
	s, err := f.id("idContact")
	if err != nil {
		return store.ContactRef{}, err
	}
	if s == "" {
		return store.ContactRef{}, ccd.Invalid("idContact", "is required")
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return store.ContactRef{}, ccd.Invalid("idContact", "want a contact id (a positive whole number)")
	}
	return store.ContactRef{ID: id, External: external}, nil
}

// dispositionError answers the store's refusals with OMniLeads' bodies
// (003 §18.1.7, §18.1.9); each also names the field in "errors".
func dispositionError(c echo.Context, err error) error {
	bad := func(body map[string]any) error { return c.JSON(http.StatusBadRequest, body) }
	var stray *store.AgendaAgentError
	switch {
	case errors.As(err, &stray):
		// The PERSONAL callback's agent is idAgent, or the agent whose
		// session this is.
		return ccd.Invalid("idAgent", stray.Error())
	case errors.Is(err, store.ErrDuplicateDisposition):
		const msg = "There is another disposition for this contact on this campaign"
		return bad(map[string]any{"status": "ERROR", "msg": msg, "errors": map[string]string{"idContact": msg}})
	case errors.Is(err, store.ErrContactNotFound):
		return bad(map[string]any{"contact": "Contact id not found"})
	case errors.Is(err, store.ErrDispositionOptionNotFound):
		return bad(map[string]any{"idDispositionOption": "Disposition option id not found"})
	case errors.Is(err, store.ErrDispositionNotFound):
		return c.JSON(http.StatusNotFound, notFound)
	}
	return err
}

func (d *dialerAPI) dispositions(c echo.Context) error {
	db, err := d.db()
	if err != nil {
		return err
	}
	list, err := db.Dispositions(c.Request().Context(), ownAgent(c))
	if err != nil {
		return err
	}
	out := make([]dispositionJSON, len(list))
	for i, x := range list {
		out[i] = toJSON(x, time.UTC)
	}
	return c.JSON(http.StatusOK, out)
}

func (d *dialerAPI) createDisposition(c echo.Context) error {
	return d.writeDisposition(c, 0)
}

func (d *dialerAPI) updateDisposition(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return ccd.Invalid("id", "want a disposition id (a positive whole number)")
	}
	return d.writeDisposition(c, id)
}

// writeDisposition creates (id 0) or replaces disposition id.
func (d *dialerAPI) writeDisposition(c echo.Context, id int64) error {
	f, err := readFields(c)
	if err != nil {
		return err
	}
	if err := f.only(dispositionFields...); err != nil {
		return err
	}
	ref, err := contactRef(f)
	if err != nil {
		return err
	}
	if id == 0 {
		return d.saveDisposition(c, f, http.StatusCreated, func(ctx context.Context, db *store.DB, disp store.Disposition) (store.Disposition, error) {
			return db.CreateDisposition(ctx, ref, disp)
		})
	}
	return d.saveDisposition(c, f, http.StatusOK, func(ctx context.Context, db *store.DB, disp store.Disposition) (store.Disposition, error) {
		disp.ID = id
		return db.UpdateDisposition(ctx, ownAgent(c), ref, disp)
	})
}

// saveDisposition reads the disposition of f, reads its agenda in its
// campaign's zone, stores it with save and answers status with what was
// stored; the store's refusals are answered as OMniLeads does.
func (d *dialerAPI) saveDisposition(c echo.Context, f fields, status int,
	save func(ctx context.Context, db *store.DB, disp store.Disposition) (store.Disposition, error)) error {
	disp, err := readDisposition(c, f)
	if err != nil {
		return err
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	loc, err := agendaIn(c, db, &disp)
	if err != nil {
		return dispositionError(c, err)
	}
	disp, err = save(c.Request().Context(), db, disp)
	if err != nil {
		return dispositionError(c, err)
	}
	return c.JSON(status, toJSON(disp, loc))
}

func (d *dialerAPI) newContactDisposition(c echo.Context) error {
	f, err := readFields(c)
	if err != nil {
		return err
	}
	allowed := []string{"phone", "idExternalContact", "idDispositionOption", "comments", "callid", "idAgent", "agenda"}
	for _, name := range ContactFields {
		if name != "phoneI" && name != "externalTargetId" {
			allowed = append(allowed, name)
		}
	}
	if err := f.only(allowed...); err != nil {
		return err
	}
	t, _, err := contactOf(f, "phone", "idExternalContact")
	if err != nil {
		return err
	}
	return d.saveDisposition(c, f, http.StatusCreated, func(ctx context.Context, db *store.DB, disp store.Disposition) (store.Disposition, error) {
		return db.CreateContactWithDisposition(ctx, t, disp)
	})
}
