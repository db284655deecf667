package api

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/recordings"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// RecordingLibrary finds, opens and audits call recordings;
// *recordings.Library implements it.
type RecordingLibrary interface {
	ByCall(ctx context.Context, callID int64) (store.Recording, bool, error)
	ByCLID(ctx context.Context, from, till time.Time, clid string) ([]store.Recording, error)
	AgentAnswered(ctx context.Context, ucid, agent string) (bool, error)
	Open(r store.Recording) (*os.File, error)
	Downloaded(p ccd.Principal, r store.Recording, rangeHeader string)
	Expired(ctx context.Context, rules []config.RetentionRule) ([]recordings.Expired, error)
}

// recordingsAPI serves the recordings to the principals allowed to hear
// them: supervisors and administrators (role recordings) any, an agent
// (role agent_self) those of the calls it answered.
type recordingsAPI struct {
	lib   RecordingLibrary
	rules func() []config.RetentionRule
	loc   *time.Location
}

// MountRecordings adds the recordings interface:
//
//	GET /api/recordings?callid=                 the recording of a call (configuration.getcallrecordingfile)
//	GET /api/recordings?clid=&from=&till=        a caller's recordings (stat.getallrecordings)
//	GET /api/recordings/:callid/file             the file, with Range support; audited
//	GET /api/admin/recordings/retention          what the retention rules would delete now (dry run)
//
// rules gives the retention rules as they are at each request; loc is the
// zone in which times without an offset are read.
func (s *Server) MountRecordings(lib RecordingLibrary, rules func() []config.RetentionRule, loc *time.Location) {
	if loc == nil {
		loc = time.Local
	}
	a := &recordingsAPI{lib: lib, rules: rules, loc: loc}
	s.mu.Lock()
	s.recordings = a
	s.mu.Unlock()
	e, auth := s.Echo, s.Authenticate
	hear := Require(ccd.RoleRecordings, ccd.RoleAgentSelf)
	e.GET("/api/recordings", a.list, auth, hear, QueryParams("callid", "clid", "from", "till"))
	e.GET("/api/recordings/:callid/file", a.download, auth, hear, QueryParams())
	e.GET("/api/admin/recordings/retention", a.retention, auth, Require(ccd.RoleAdmin), QueryParams())
}

// RecordingHandlers are the handlers of GET /api/recordings and GET
// /api/recordings/:callid/file, for another interface that authenticates
// its own way (the web interface's session) and checks the same roles; ok
// is false until MountRecordings.
func (s *Server) RecordingHandlers() (list, file echo.HandlerFunc, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recordings == nil {
		return nil, nil, false
	}
	return s.recordings.list, s.recordings.download, true
}

func (a *recordingsAPI) list(c echo.Context) error {
	ctx, p := c.Request().Context(), PrincipalOf(c)
	if c.QueryParams().Has("callid") {
		v := c.QueryParam("callid")
		for _, other := range []string{"clid", "from", "till"} {
			if c.QueryParam(other) != "" {
				return ccd.Invalid(other, "goes with clid, not with callid")
			}
		}
		id, err := parseCallID("callid", v)
		if err != nil {
			return err
		}
		rec, ok, err := a.lib.ByCall(ctx, id)
		if err != nil {
			return err
		}
		if ok {
			if ok, err = a.mayHear(ctx, p, rec); err != nil {
				return err
			}
		}
		if !ok {
			return c.JSON(http.StatusOK, []store.Recording{})
		}
		return c.JSON(http.StatusOK, []store.Recording{rec})
	}
	clid := c.QueryParam("clid")
	if clid == "" {
		return ccd.Invalid("clid", "give callid, or clid with from and till")
	}
	from, err := a.parseTime(c, "from")
	if err != nil {
		return err
	}
	till, err := a.parseTime(c, "till")
	if err != nil {
		return err
	}
	if !till.After(from) {
		return ccd.Invalid("till", "till must be after from")
	}
	if till.Sub(from) > maxRangeDays*24*time.Hour {
		return ccd.Invalid("till", fmt.Sprintf("the range is over %d days; ask for less at a time", maxRangeDays))
	}
	recs, err := a.lib.ByCLID(ctx, from, till, clid)
	if err != nil {
		return err
	}
	out := make([]store.Recording, 0, len(recs))
	for _, r := range recs {
		ok, err := a.mayHear(ctx, p, r)
		if err != nil {
			return err
		}
		if ok {
			out = append(out, r)
		}
	}
	return c.JSON(http.StatusOK, out)
}

// download serves the file with http.ServeContent: Range, If-Range and
// conditional requests as RFC 9110 has them. Every answer that sends audio
// (200 or 206) is audited.
func (a *recordingsAPI) download(c echo.Context) error {
	ctx, p := c.Request().Context(), PrincipalOf(c)
	id, err := parseCallID("callid", c.Param("callid"))
	if err != nil {
		return err
	}
	rec, ok, err := a.lib.ByCall(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return &ccd.Error{Code: ccd.ENOTFOUND, Message: "call " + strconv.FormatInt(id, 10) + " has no recording"}
	}
	if ok, err := a.mayHear(ctx, p, rec); err != nil {
		return err
	} else if !ok {
		return &ccd.Error{Code: ccd.EFORBIDDEN, Message: "an agent hears the recordings of its own calls only"}
	}
	f, err := a.lib.Open(rec)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	name := rec.File + "." + recordings.Format
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "audio/wav")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	http.ServeContent(c.Response(), c.Request(), name, st.ModTime(), f)
	if status := c.Response().Status; status == http.StatusOK || status == http.StatusPartialContent {
		a.lib.Downloaded(p, rec, c.Request().Header.Get("Range"))
	}
	return nil
}

func (a *recordingsAPI) retention(c echo.Context) error {
	out, err := a.lib.Expired(c.Request().Context(), a.rules())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// mayHear tells whether p may hear r: with the recordings role any, as an
// agent those of the calls it answered.
func (a *recordingsAPI) mayHear(ctx context.Context, p ccd.Principal, r store.Recording) (bool, error) {
	if p.Has(ccd.RoleRecordings) {
		return true, nil
	}
	if p.Agent == "" || !p.Has(ccd.RoleAgentSelf) || r.UCID == "" {
		return false, nil
	}
	return a.lib.AgentAnswered(ctx, r.UCID, p.Agent)
}

func (a *recordingsAPI) parseTime(c echo.Context, field string) (time.Time, error) {
	v := c.QueryParam(field)
	if v == "" {
		return time.Time{}, ccd.Invalid(field, "is required with clid")
	}
	if t, ok := stats.ParseTime(v, a.loc); ok {
		return t, nil
	}
	return time.Time{}, ccd.Invalid(field, fmt.Sprintf("%q is not a time: want RFC 3339 (2026-03-10T08:00:00+01:00), "+
		"a local date (2026-03-10) or a local date and time (2026-03-10T08:00)", v))
}

// parseCallID reads a statistics call id (stat.callsstat.callid).
func parseCallID(field, v string) (int64, error) {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, ccd.Invalid(field, fmt.Sprintf("%q is not a call id: want the positive number of stat.callsstat.callid", v))
	}
	return id, nil
}
