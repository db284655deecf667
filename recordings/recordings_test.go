package recordings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/recordings"
	"github.com/ccdhq/ccd/store"
)

const (
	supervisorToken = "supervisor-token-0123456789"
	adminToken      = "admin-token-0123456789abc"
	integration     = "integration-token-0123456789"
	agentToken      = "agent-1001-token-0123456789"
	otherAgentToken = "agent-1002-token-0123456789"
)

var day = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

// audit collects the events the library emits.
type audit struct {
	mu  sync.Mutex
	evs []eventlog.Event
}

func (a *audit) add(ev eventlog.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.evs = append(a.evs, ev)
	return nil
}

func (a *audit) kinds(kind string) []ccd.RecordingAccess {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []ccd.RecordingAccess
	for _, ev := range a.evs {
		if ev.Kind == kind {
			var p ccd.RecordingAccess
			_ = json.Unmarshal(ev.Payload, &p)
			out = append(out, p)
		}
	}
	return out
}

// fixture is a database with three recorded calls of caller 0611 (two in
// sales answered by 1001, one in support answered by 1002), one
// unrecorded call, and their files.
type fixture struct {
	db    *store.DB
	dir   string
	lib   *recordings.Library
	audit *audit
	srv   *api.Server
	now   time.Time
}

type call struct {
	id           int64
	ucid, queue  string
	agent, rec   string
	clid         string
	offered      time.Time
	fileContents string
}

var calls = []call{
	{1, "c1", "sales", "1001", "20260310-sales-c1", "0611", day.Add(9 * time.Hour), "RIFF-first-call-audio-0123456789"},
	{2, "c2", "support", "1002", "20260310-support-c2", "0611", day.Add(10 * time.Hour), "RIFF-second"},
	{3, "c3", "sales", "1001", "", "0611", day.Add(11 * time.Hour), ""},
	{4, "c4", "sales", "1001", "20260401-sales-c4", "0611", day.AddDate(0, 0, 22), "RIFF-recent"},
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{db: pgtest.NewDB(t), dir: t.TempDir(), audit: &audit{}, now: day.AddDate(0, 0, 40)}
	ctx := context.Background()
	for _, c := range calls {
		var q, a int
		if err := f.db.QueryRowContext(ctx, `SELECT stat.code_of('queue', $1), stat.code_of('agent', $2)`, c.queue, c.agent).Scan(&q, &a); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.ExecContext(ctx, `INSERT INTO stat.callsstat (callid, calltype, clid, offeredts, initialqueue, handledonqueue,
			agent, endtype, ucid, recording, lastts) VALUES ($1, 1, $2, $3, $4, $4, $5, 0, $6, $7, $3)`,
			c.id, c.clid, c.offered, q, a, c.ucid, c.rec); err != nil {
			t.Fatal(err)
		}
		if err := (store.EventSink{DB: f.db}).Append(ctx, []eventlog.Event{{At: c.offered, CallID: c.ucid, Kind: ccd.EventCallAnswered,
			Agent: c.agent, Queue: c.queue, Source: eventlog.SourceACD, Key: "answered-" + c.ucid}}); err != nil {
			t.Fatal(err)
		}
		if c.rec != "" {
			if err := os.WriteFile(filepath.Join(f.dir, c.rec+".wav"), []byte(c.fileContents), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.lib = recordings.New(f.db, f.dir, f.audit.add, nil)
	f.lib.SetClock(func() time.Time { return f.now })
	f.srv = api.NewServer(nil, nil, api.Options{Token: integration, AdminToken: adminToken})
	f.srv.Grant(supervisorToken, ccd.NewPrincipal(ccd.Supervisor, "floor"))
	f.srv.Grant(agentToken, ccd.AgentPrincipal("1001"))
	f.srv.Grant(otherAgentToken, ccd.AgentPrincipal("1002"))
	f.srv.MountRecordings(f.lib, func() []config.RetentionRule {
		return []config.RetentionRule{{Queue: "sales", Days: 30}, {Queue: "support", Days: 90}}
	}, time.UTC)
	return f
}

func (f *fixture) get(t *testing.T, path, token string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec
}

func callIDs(t *testing.T, rec *httptest.ResponseRecorder) []int64 {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("HTTP %d %s", rec.Code, rec.Body)
	}
	var rs []store.Recording
	if err := json.Unmarshal(rec.Body.Bytes(), &rs); err != nil {
		t.Fatal(err)
	}
	ids := []int64{}
	for _, r := range rs {
		ids = append(ids, r.CallID)
	}
	return ids
}

// The look-ups answer what the Optimus functions of 000 §7.1 answer, in
// their order, with the call's queue and agent.
func TestLookupsAnswerAsTheOptimusFunctions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, id := range []int64{1, 2, 3, 4, 99} {
		var want *string
		if err := f.db.QueryRowContext(ctx, `SELECT configuration.getcallrecordingfile($1)`, id).Scan(&want); err != nil {
			t.Fatal(err)
		}
		got, ok, err := f.lib.ByCall(ctx, id)
		if err != nil || ok != (want != nil) || (ok && got.File != *want) {
			t.Fatalf("call %d: %+v %v %v, function says %v", id, got, ok, err, want)
		}
	}
	r, _, _ := f.lib.ByCall(ctx, 1)
	if r.Queue != "sales" || r.Agent != "1001" || r.UCID != "c1" || r.CLID != "0611" || r.DeletedAt != nil {
		t.Fatalf("details of call 1: %+v", r)
	}
	from, till := day, day.AddDate(0, 1, 0)
	rows, err := f.db.QueryContext(ctx, `SELECT callid, recfile FROM stat.getallrecordings($1, $2, $3)`, from, till, "0611")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for rows.Next() {
		var id int64
		var file string
		if err := rows.Scan(&id, &file); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprint(id, file))
	}
	rows.Close()
	recs, err := f.lib.ByCLID(ctx, from, till, "0611")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprint(r.CallID, r.File))
	}
	if len(want) != 3 || !reflect.DeepEqual(got, want) {
		t.Fatalf("by clid %v, function %v", got, want)
	}
}

// Supervisors and administrators find every recording; an agent only those
// of the calls it answered; the integration token none.
func TestLookupByRole(t *testing.T) {
	f := newFixture(t)
	byCLID := "/api/recordings?clid=0611&from=2026-03-10&till=2026-04-30"
	for token, want := range map[string][]int64{supervisorToken: {1, 2, 4}, adminToken: {1, 2, 4}, agentToken: {1, 4}, otherAgentToken: {2}} {
		if got := callIDs(t, f.get(t, byCLID, token)); !reflect.DeepEqual(got, want) {
			t.Errorf("%.12s: calls %v, want %v", token, got, want)
		}
	}
	if got := callIDs(t, f.get(t, "/api/recordings?callid=2", agentToken)); len(got) != 0 {
		t.Errorf("agent 1001 finds call 2 of agent 1002: %v", got)
	}
	if got := callIDs(t, f.get(t, "/api/recordings?callid=2", supervisorToken)); !reflect.DeepEqual(got, []int64{2}) {
		t.Errorf("supervisor by call id: %v", got)
	}
	if rec := f.get(t, byCLID, integration); rec.Code != http.StatusForbidden {
		t.Errorf("integration token: HTTP %d", rec.Code)
	}
	for path, field := range map[string]string{
		"/api/recordings":                                           "clid",
		"/api/recordings?callid=x":                                  "callid",
		"/api/recordings?callid=0":                                  "callid",
		"/api/recordings?callid=1&clid=0611":                        "clid",
		"/api/recordings?clid=0611&from=2026-03-10":                 "till",
		"/api/recordings?clid=0611&from=x&till=2026-03-11":          "from",
		"/api/recordings?clid=0611&from=2026-03-11&till=2026-03-10": "till",
		"/api/recordings?clid=0611&from=2026-01-01&till=2026-12-31": "till",
	} {
		rec := f.get(t, path, supervisorToken)
		var body struct{ Error ccd.Error }
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != http.StatusBadRequest || body.Error.Field != field {
			t.Errorf("%s: HTTP %d %s, want 400 naming %s", path, rec.Code, rec.Body, field)
		}
	}
}

// A download serves byte ranges (RFC 9110 §14) and audits every download
// that sends audio, with who asked and which range.
func TestDownloadWithRangeIsAudited(t *testing.T) {
	f := newFixture(t)
	audio := calls[0].fileContents
	rec := f.get(t, "/api/recordings/1/file", supervisorToken)
	if rec.Code != http.StatusOK || rec.Body.String() != audio || rec.Header().Get("Content-Type") != "audio/wav" ||
		rec.Header().Get("Accept-Ranges") != "bytes" {
		t.Fatalf("whole file: HTTP %d %q %v", rec.Code, rec.Body, rec.Header())
	}
	rec = f.get(t, "/api/recordings/1/file", supervisorToken, "Range", "bytes=5-9")
	if rec.Code != http.StatusPartialContent || rec.Body.String() != audio[5:10] ||
		rec.Header().Get("Content-Range") != fmt.Sprintf("bytes 5-9/%d", len(audio)) {
		t.Fatalf("range: HTTP %d %q %v", rec.Code, rec.Body, rec.Header())
	}
	rec = f.get(t, "/api/recordings/1/file", supervisorToken, "Range", "bytes=-4")
	if rec.Code != http.StatusPartialContent || rec.Body.String() != audio[len(audio)-4:] {
		t.Fatalf("suffix range: HTTP %d %q", rec.Code, rec.Body)
	}
	if rec = f.get(t, "/api/recordings/1/file", supervisorToken, "Range", "bytes=1000-"); rec.Code != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("range beyond the end: HTTP %d", rec.Code)
	}
	got := f.audit.kinds(ccd.EventRecordingDownloaded)
	want := []ccd.RecordingAccess{
		{CallID: 1, Recording: calls[0].rec, By: "supervisor:floor"},
		{CallID: 1, Recording: calls[0].rec, By: "supervisor:floor", Range: "bytes=5-9"},
		{CallID: 1, Recording: calls[0].rec, By: "supervisor:floor", Range: "bytes=-4"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("audits %+v\nwant %+v", got, want)
	}
	ev := f.audit.evs[0]
	if ev.CallID != "c1" || ev.Queue != "sales" || ev.Source != eventlog.SourceAPI || ev.Validate() != nil {
		t.Fatalf("audit event %+v", ev)
	}
}

// An agent downloads the recordings of its own calls and no other; the
// integration token none.
func TestDownloadOwnCallsOnly(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		path, token string
		want        int
	}{
		{"/api/recordings/1/file", agentToken, http.StatusOK},
		{"/api/recordings/2/file", agentToken, http.StatusForbidden},
		{"/api/recordings/2/file", otherAgentToken, http.StatusOK},
		{"/api/recordings/1/file", integration, http.StatusForbidden},
		{"/api/recordings/1/file", adminToken, http.StatusOK},
		{"/api/recordings/3/file", supervisorToken, http.StatusNotFound}, // not recorded
		{"/api/recordings/99/file", supervisorToken, http.StatusNotFound},
		{"/api/recordings/x/file", supervisorToken, http.StatusBadRequest},
	} {
		if rec := f.get(t, c.path, c.token); rec.Code != c.want {
			t.Errorf("%s as %.12s: HTTP %d %s, want %d", c.path, c.token, rec.Code, rec.Body, c.want)
		}
	}
	if got := f.audit.kinds(ccd.EventRecordingDownloaded); len(got) != 3 || got[0].By != "agent:1001" {
		t.Fatalf("audits %+v", got)
	}
}

// No recording name reaches outside the recording directory: not one that
// names a path, and not a symbolic link in the directory.
func TestOpenStaysInTheDirectory(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.wav"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(outside, "secret.wav"), filepath.Join(dir, "link.wav")); err != nil {
		t.Fatal(err)
	}
	lib := recordings.New(nil, dir, func(eventlog.Event) error { return nil }, nil)
	rel, _ := filepath.Rel(dir, filepath.Join(outside, "secret"))
	for _, name := range []string{"../secret", rel, filepath.Join(outside, "secret"), "link", ".", "..", "", "a/b", "a\\b", "x\x00"} {
		f, err := lib.Open(store.Recording{File: name})
		if err == nil {
			f.Close()
			t.Errorf("%q opened", name)
		} else if ccd.ErrorCode(err) != ccd.ENOTFOUND {
			t.Errorf("%q: %v, want not found", name, err)
		}
	}
}

// The retention lists, per queue, the recordings of the calls offered more
// than its days ago (the dry run deletes nothing), then deletes exactly
// those, audits each, and a download of one of them is refused.
func TestRetentionDryRunThenDelete(t *testing.T) {
	f := newFixture(t)
	rec := f.get(t, "/api/admin/recordings/retention", adminToken)
	var dry []recordings.Expired
	if err := json.Unmarshal(rec.Body.Bytes(), &dry); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("dry run: HTTP %d %s %v", rec.Code, rec.Body, err)
	}
	listed := map[string][]int64{}
	for _, e := range dry {
		for _, r := range e.Recordings {
			listed[e.Queue] = append(listed[e.Queue], r.CallID)
		}
	}
	// sales keeps 30 days: call 1 (40 days old) goes, call 4 (18 days) stays;
	// support keeps 90: call 2 stays.
	if !reflect.DeepEqual(listed, map[string][]int64{"sales": {1}}) || len(dry) != 2 {
		t.Fatalf("dry run listed %v (%s)", listed, rec.Body)
	}
	for _, c := range calls {
		if c.rec != "" {
			if _, err := os.Stat(filepath.Join(f.dir, c.rec+".wav")); err != nil {
				t.Fatalf("the dry run removed %s: %v", c.rec, err)
			}
		}
	}
	for _, token := range []string{supervisorToken, integration, agentToken} {
		if rec := f.get(t, "/api/admin/recordings/retention", token); rec.Code != http.StatusForbidden {
			t.Errorf("dry run as %.12s: HTTP %d", token, rec.Code)
		}
	}

	n, err := f.lib.ApplyRetention(context.Background(), []config.RetentionRule{{Queue: "sales", Days: 30}, {Queue: "support", Days: 90}})
	if err != nil || n != 1 {
		t.Fatalf("retention deleted %d: %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, calls[0].rec+".wav")); !os.IsNotExist(err) {
		t.Fatalf("call 1's file is still there: %v", err)
	}
	for _, c := range calls[1:] {
		if c.rec != "" {
			if _, err := os.Stat(filepath.Join(f.dir, c.rec+".wav")); err != nil {
				t.Fatalf("retention removed %s: %v", c.rec, err)
			}
		}
	}
	if got := f.audit.kinds(ccd.EventRecordingDeleted); !reflect.DeepEqual(got, []ccd.RecordingAccess{
		{CallID: 1, Recording: calls[0].rec, By: "retention", Queue: "sales", Days: 30}}) {
		t.Fatalf("deletion audits %+v", got)
	}
	if rec := f.get(t, "/api/recordings/1/file", supervisorToken); rec.Code != http.StatusNotFound ||
		!bytes.Contains(rec.Body.Bytes(), []byte("retention")) {
		t.Fatalf("download of a deleted recording: HTTP %d %s", rec.Code, rec.Body)
	}
	if r, _, _ := f.lib.ByCall(context.Background(), 1); r.DeletedAt == nil || !r.DeletedAt.Equal(f.now) {
		t.Fatalf("call 1 not shown as deleted: %+v", r)
	}
	// A second run finds nothing more to do.
	if n, err := f.lib.ApplyRetention(context.Background(), []config.RetentionRule{{Queue: "sales", Days: 30}}); err != nil || n != 0 {
		t.Fatalf("second run deleted %d: %v", n, err)
	}
}

// The retention runs by itself on its cron schedule.
func TestRetentionRunsOnSchedule(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- f.lib.Schedule(ctx, "@every 1s", time.UTC, func() []config.RetentionRule { return []config.RetentionRule{{Queue: "sales", Days: 30}} })
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(f.audit.kinds(ccd.EventRecordingDeleted)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the scheduled retention did not run")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, calls[0].rec+".wav")); !os.IsNotExist(err) {
		t.Fatalf("the expired recording is still there: %v", err)
	}
	if err := f.lib.Schedule(context.Background(), "nightly", time.UTC, nil); err == nil || !strings.Contains(err.Error(), "recordings.retention_schedule") {
		t.Fatalf("a bad schedule: %v", err)
	}
}
