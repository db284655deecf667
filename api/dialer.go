package api

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/internal/textcheck"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// DialerDB gives the dialer API its database, or an error (503) while it is
// not connected.
type DialerDB func() (*store.DB, error)

// ImportMaxBytes bounds a CSV import (a million targets of 100-odd bytes fit).
const ImportMaxBytes int64 = 512 << 20

// importPath is the CSV import's route.
const importPath = "/api/dialer/campaigns/:id/targets.csv"

// MountDialer adds ccd's dialer API (role campaigns):
//
//	GET    /api/dialer/campaigns           list
//	POST   /api/dialer/campaigns           create (201)
//	GET    /api/dialer/campaigns/:id       one
//	PUT    /api/dialer/campaigns/:id       replace; calls in progress finish
//	DELETE /api/dialer/campaigns/:id       hide (the rows stay), 204
//	POST   /api/dialer/schedules           create (201)
//	PUT    /api/dialer/schedules/:id       replace
//	POST   /api/dialer/campaigns/:id/targets      add one target (201)
//	POST   /api/dialer/campaigns/:id/targets.csv  import a CSV file, all rows or none
//	POST   /api/dialer/dnc                 put a number on a do-not-call list (201)
//	GET    /api/dialer/campaigns/:id/abandon  abandon rates (dialer_abandon.go)
//	GET    /api/dialer/campaigns/:id/amd      answering-machine settings
//	PUT    /api/dialer/campaigns/:id/amd      replace them
func (s *Server) MountDialer(db DialerDB) {
	d, g := s.dialerGroup(db)
	if g == nil {
		return
	}
	g.GET("/campaigns", d.campaigns)
	g.POST("/campaigns", d.createCampaign)
	g.GET("/campaigns/:id", d.campaign)
	g.PUT("/campaigns/:id", d.updateCampaign)
	g.DELETE("/campaigns/:id", d.deleteCampaign)
	g.POST("/schedules", d.createSchedule)
	g.PUT("/schedules/:id", d.updateSchedule)
	g.POST("/campaigns/:id/targets", d.addTarget)
	g.POST("/campaigns/:id/targets.csv", d.importTargets)
	g.POST("/dnc", d.addDNC)
	d.mountCalls(g)
	s.StreamBody(importPath, ImportMaxBytes)
}

// dialerGroup is the dialer API's handlers and its route group under
// /api/dialer (role campaigns); no group when no principal may hold the role.
func (s *Server) dialerGroup(db DialerDB) (*dialerAPI, *echo.Group) {
	if !s.Grants(ccd.RoleCampaigns) {
		return nil, nil
	}
	return &dialerAPI{db: db, log: s.log}, s.Echo.Group("/api/dialer", s.Authenticate, Require(ccd.RoleCampaigns), QueryParams())
}

type dialerAPI struct {
	db  DialerDB
	log *slog.Logger
}

// idParam reads the path's numeric id.
func idParam(c echo.Context, what string) (int, error) {
	id, err := strconv.Atoi(c.Param("id"))
	if err != nil || id <= 0 {
		return 0, ccd.Invalid("id", "want a "+what+" id (a positive whole number)")
	}
	return id, nil
}

// pathDB reads the path's numeric id, then the database: how every handler
// that reads no body starts.
func (d *dialerAPI) pathDB(c echo.Context, what string) (int, *store.DB, error) {
	id, err := idParam(c, what)
	if err != nil {
		return 0, nil, err
	}
	db, err := d.db()
	return id, db, err
}

// adoptPathID gives a body the path's id, refusing one that names another:
// the path says which row a request is about.
func adoptPathID(field string, bodyID *int, pathID int) error {
	if *bodyID != 0 && *bodyID != pathID {
		return ccd.Invalid(field, "differs from the id in the path")
	}
	*bodyID = pathID
	return nil
}

// decodeStrict reads a JSON body into v, refusing unknown fields and values
// of the wrong type by name.
func decodeStrict(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	if e := typeError(err); e != nil {
		return e
	}
	switch {
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return ccd.Invalid(field, "is not a field of this object")
	case errors.Is(err, io.EOF):
		return ccd.Invalid("body", "want a JSON object")
	}
	var ce *ccd.Error
	if errors.As(err, &ce) {
		return ce
	}
	return ccd.Invalid("body", "want a JSON object")
}

func (d *dialerAPI) campaigns(c echo.Context) error {
	db, err := d.db()
	if err != nil {
		return err
	}
	cs, err := db.Campaigns(c.Request().Context())
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []dialer.Campaign{}
	}
	return c.JSON(http.StatusOK, cs)
}

func (d *dialerAPI) campaign(c echo.Context) error {
	id, db, err := d.pathDB(c, "campaign")
	if err != nil {
		return err
	}
	cp, err := db.Campaign(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cp)
}

func readCampaign(c echo.Context) (dialer.Campaign, error) {
	var cp dialer.Campaign
	if err := decodeStrict(c, &cp); err != nil {
		return cp, err
	}
	cp = cp.WithDefaults()
	return cp, cp.Validate()
}

func (d *dialerAPI) createCampaign(c echo.Context) error {
	cp, err := readCampaign(c)
	if err != nil {
		return err
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	id, err := db.CreateCampaign(ctx, cp)
	if err != nil {
		return err
	}
	cp, err = db.Campaign(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, cp)
}

func (d *dialerAPI) updateCampaign(c echo.Context) error {
	id, err := idParam(c, "campaign")
	if err != nil {
		return err
	}
	cp, err := readCampaign(c)
	if err != nil {
		return err
	}
	if err := adoptPathID("campaignId", &cp.ID, id); err != nil {
		return err
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := db.UpdateCampaign(ctx, cp); err != nil {
		return err
	}
	cp, err = db.Campaign(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cp)
}

func (d *dialerAPI) deleteCampaign(c echo.Context) error {
	id, db, err := d.pathDB(c, "campaign")
	if err != nil {
		return err
	}
	found, err := db.HideCampaign(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if !found {
		return &ccd.Error{Code: ccd.ENOTFOUND, Field: "campaignId", Message: fmt.Sprintf("no campaign %d", id)}
	}
	return c.NoContent(http.StatusNoContent)
}

// scheduleBody is a schedule as JSON: the times as wall-clock texts in the
// campaign's zone ("2026-03-01T09:00:00"; an offset is ignored).
type scheduleBody struct {
	ID            int    `json:"scheduleId"`
	ScheduleName  string `json:"scheduleName"`
	FromDateTime  string `json:"fromDateTime"`
	ToDateTime    string `json:"toDateTime"`
	IsSpecialDays bool   `json:"isSpecialDays"`
	IsSunday      bool   `json:"isSunday"`
	IsMonday      bool   `json:"isMonday"`
	IsTuesday     bool   `json:"isTuesday"`
	IsWednesday   bool   `json:"isWednesday"`
	IsThursday    bool   `json:"isThursday"`
	IsFriday      bool   `json:"isFriday"`
	IsSaturday    bool   `json:"isSaturday"`
}

func readSchedule(c echo.Context) (dialer.Schedule, error) {
	var b scheduleBody
	if err := decodeStrict(c, &b); err != nil {
		return dialer.Schedule{}, err
	}
	s := dialer.Schedule{ID: b.ID, ScheduleName: b.ScheduleName, IsSpecialDays: b.IsSpecialDays, IsSunday: b.IsSunday,
		IsMonday: b.IsMonday, IsTuesday: b.IsTuesday, IsWednesday: b.IsWednesday, IsThursday: b.IsThursday,
		IsFriday: b.IsFriday, IsSaturday: b.IsSaturday}
	var err error
	if s.FromDateTime, err = dialer.ParseDateTime("fromDateTime", b.FromDateTime); err != nil {
		return s, err
	}
	if s.ToDateTime, err = dialer.ParseDateTime("toDateTime", b.ToDateTime); err != nil {
		return s, err
	}
	return s, s.Validate()
}

func scheduleJSON(s dialer.Schedule) scheduleBody {
	const layout = "2006-01-02T15:04:05"
	return scheduleBody{ID: s.ID, ScheduleName: s.ScheduleName, FromDateTime: s.FromDateTime.Format(layout),
		ToDateTime: s.ToDateTime.Format(layout), IsSpecialDays: s.IsSpecialDays, IsSunday: s.IsSunday,
		IsMonday: s.IsMonday, IsTuesday: s.IsTuesday, IsWednesday: s.IsWednesday, IsThursday: s.IsThursday,
		IsFriday: s.IsFriday, IsSaturday: s.IsSaturday}
}

func (d *dialerAPI) createSchedule(c echo.Context) error {
	s, err := readSchedule(c)
	if err != nil {
		return err
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	if s.ID, err = db.CreateSchedule(c.Request().Context(), s); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, scheduleJSON(s))
}

func (d *dialerAPI) updateSchedule(c echo.Context) error {
	id, err := idParam(c, "schedule")
	if err != nil {
		return err
	}
	s, err := readSchedule(c)
	if err != nil {
		return err
	}
	if err := adoptPathID("scheduleId", &s.ID, id); err != nil {
		return err
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	if err := db.UpdateSchedule(c.Request().Context(), s); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, scheduleJSON(s))
}

func (d *dialerAPI) addTarget(c echo.Context) error {
	id, err := idParam(c, "campaign")
	if err != nil {
		return err
	}
	var t dialer.Target
	if err := decodeStrict(c, &t); err != nil {
		return err
	}
	if err := adoptPathID("campaignId", &t.CampaignID, id); err != nil {
		return err
	}
	t = t.WithDefaults()
	if err := t.Validate(); err != nil {
		return err
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if t.ID, err = db.AddTarget(ctx, t); err != nil {
		return err
	}
	t, err = db.Target(ctx, t.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, t)
}

func (d *dialerAPI) addDNC(c echo.Context) error {
	var b struct {
		Phone      string `json:"phone"`
		CampaignID *int   `json:"campaignId"`
		Reason     string `json:"reason"`
	}
	if err := decodeStrict(c, &b); err != nil {
		return err
	}
	if err := dialer.CheckPhone(b.Phone); err != nil {
		return ccd.Invalid("phone", err.Error())
	}
	if len(b.Reason) > 200 {
		return ccd.Invalid("reason", "is longer than 200 characters")
	}
	db, err := d.db()
	if err != nil {
		return err
	}
	if err := db.AddDNC(c.Request().Context(), b.Phone, b.CampaignID, b.Reason); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, b)
}

// RowError is one refused row of an import: its line in the file, the
// column at fault and why.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// maxRowErrors is how many row errors an import reports (it counts all).
const maxRowErrors = 100

// importProgress is how often (rows) a long import is logged.
const importProgress = 100_000

// importTargets reads a CSV file of targets as it arrives (a header row with
// the Optimus names, then one target per row) and adds them all, or none
// when a row is refused: the answer lists the refused rows.
func (d *dialerAPI) importTargets(c echo.Context) error {
	id, db, err := d.pathDB(c, "campaign")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	im, err := db.BeginTargetImport(ctx, id, "campaignId")
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			_ = im.Rollback()
		}
	}()
	rows, rowErrs, total, err := d.readTargets(c.Request().Body, id, im)
	if err != nil {
		return err
	}
	if total > 0 {
		first := rowErrs[0]
		return c.JSON(http.StatusBadRequest, map[string]any{
			"error": &ccd.Error{Code: ccd.EINVALID, Field: first.Column,
				Message: fmt.Sprintf("%d of %d rows refused (row %d, %s: %s); nothing imported", total, rows, first.Row, first.Column, first.Message)},
			"rows": rows, "refused": total, "rowErrors": rowErrs})
	}
	if err := im.Commit(); err != nil {
		return err
	}
	committed = true
	return c.JSON(http.StatusOK, map[string]any{"rows": rows, "added": im.Added})
}

// csvColumns are the columns an import takes (names compared without case).
var csvColumns = []string{"fName", "lName", "phoneI", "phoneII", "phoneIII", "dataI", "dataII", "dataIII",
	"priority", "fileNumber", "externalTargetId", "timeZone"}

func (d *dialerAPI) readTargets(body io.Reader, campaign int, im *store.TargetImport) (rows int, errs []RowError, total int, err error) {
	r := csv.NewReader(bufio.NewReaderSize(body, 64<<10))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return 0, nil, 0, csvError(err, "the file has no header row")
	}
	cols, err := headerColumns(header)
	if err != nil {
		return 0, nil, 0, err
	}
	r.FieldsPerRecord = len(header)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, errs, total, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
			rows++
			total++
			errs = appendRowError(errs, RowError{Row: pe.StartLine, Column: "row", Message: fmt.Sprintf("has %d fields, the header %d", len(rec), len(header))})
			continue
		}
		if err != nil {
			return rows, errs, total, csvError(err, "")
		}
		rows++
		t, rerr := targetOfRow(rec, cols)
		if rerr != nil {
			rerr.Row, _ = r.FieldPos(0)
			total++
			errs = appendRowError(errs, *rerr)
			continue
		}
		if total == 0 { // after a refused row nothing will be kept: only check the rest
			t.CampaignID = campaign
			if err := im.Add(t); err != nil {
				return rows, errs, total, err
			}
		}
		if rows%importProgress == 0 {
			d.log.Info("dialer import", "campaign", campaign, "rows", rows, "refused", total)
		}
	}
}

func appendRowError(errs []RowError, e RowError) []RowError {
	if len(errs) < maxRowErrors {
		errs = append(errs, e)
	}
	return errs
}

// csvError answers a file that is not CSV (or a body that broke off).
func csvError(err error, empty string) error {
	var pe *csv.ParseError
	switch {
	case errors.Is(err, io.EOF) && empty != "":
		return ccd.Invalid("body", empty)
	case errors.As(err, &pe):
		return ccd.Invalid("body", fmt.Sprintf("row %d is not valid CSV: %v", pe.StartLine, pe.Err))
	}
	return BodyError(err, ImportMaxBytes)
}

func headerColumns(header []string) ([]string, error) {
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // a byte-order mark
		}
		h = strings.TrimSpace(h)
		if !utf8.ValidString(h) {
			return nil, ccd.Invalid("body", "the header is not UTF-8 text: save the file as UTF-8")
		}
		for _, known := range csvColumns {
			if strings.EqualFold(h, known) {
				cols[i] = known
			}
		}
		if cols[i] == "" {
			return nil, ccd.Invalid(h, "is not a column an import takes ("+strings.Join(csvColumns, ", ")+")")
		}
		if seen[cols[i]] {
			return nil, ccd.Invalid(cols[i], "is in the header twice")
		}
		seen[cols[i]] = true
	}
	if !seen["phoneI"] {
		return nil, ccd.Invalid("phoneI", "the header has no phoneI column")
	}
	return cols, nil
}

// targetOfRow reads one row; the error names its column.
func targetOfRow(rec []string, cols []string) (dialer.Target, *RowError) {
	var t dialer.Target
	for i, v := range rec {
		col := cols[i]
		if !utf8.ValidString(v) {
			return t, &RowError{Column: col, Message: "is not UTF-8 text: save the file as UTF-8"}
		}
		if p := textcheck.Problem(v); p != "" {
			return t, &RowError{Column: col, Message: p}
		}
		v = strings.TrimSpace(v)
		var err error
		switch col {
		case "fName":
			t.FirstName = v
		case "lName":
			t.LastName = v
		case "phoneI":
			t.PhoneI = v
		case "phoneII":
			t.PhoneII = v
		case "phoneIII":
			t.PhoneIII = v
		case "dataI":
			t.DataI = v
		case "dataII":
			t.DataII = v
		case "dataIII":
			t.DataIII = v
		case "timeZone":
			t.TimeZone = v
		case "priority":
			if v != "" {
				if t.Priority, err = strconv.Atoi(v); err == nil && (t.Priority < 1 || t.Priority > 3) {
					return t, &RowError{Column: col, Message: "must be 1 (high), 2 (medium) or 3 (low)"}
				}
			}
		case "fileNumber":
			t.FileNumber, err = optionalInt(v)
		case "externalTargetId":
			t.ExternalTargetID, err = optionalInt(v)
		}
		if err != nil {
			return t, &RowError{Column: col, Message: "is not a whole number"}
		}
	}
	t = t.WithDefaults()
	if err := t.Validate(); err != nil {
		var ce *ccd.Error
		if errors.As(err, &ce) {
			return t, &RowError{Column: ce.Field, Message: ce.Message}
		}
		return t, &RowError{Column: "row", Message: err.Error()}
	}
	return t, nil
}

func optionalInt(v string) (*int64, error) {
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return nil, err
	}
	return &n, nil
}
