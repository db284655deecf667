package daemon_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/ami/amitest"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/daemon"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

type harness struct {
	t    *testing.T
	cfg  config.Config
	db   *store.DB
	ami  *amitest.Server
	ari  *aritest.Sim
	stop func() error
}

// callInbound has a caller (5551234, channel c1) dial the inbound number
// 5550100, which the harness routes to its queue.
func (h *harness) callInbound() {
	h.t.Helper()
	if _, err := h.ari.NewCaller(aritest.CallerOptions{Args: []string{"inbound", "5550100"}, Number: "5551234", ChannelID: "c1"}); err != nil {
		h.t.Fatal(err)
	}
}

func newHarness(t *testing.T) *harness {
	dsn := pgtest.NewEmptyDB(t)
	h := &harness{t: t,
		ami: amitest.NewServer("ccd", "ami-secret-0123456789"),
		ari: aritest.NewSim(aritest.WithCredentials("ccd", "ari-secret-0123456789")),
	}
	t.Cleanup(h.ami.Close)
	t.Cleanup(h.ari.Close)
	cfg := config.Default()
	cfg.Listen = daemontest.FreeAddr(t)
	cfg.StateDir = t.TempDir()
	cfg.Database.URL = dsn
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = h.ari.URL, "ccd", "ari-secret-0123456789"
	cfg.AMI.Addr, cfg.AMI.Username, cfg.AMI.Secret = h.ami.Addr(), "ccd", "ami-secret-0123456789"
	cfg.PBX.InternalNumbers = `^[12][0-9]{3}$`
	cfg.ACD.Queues = []config.Queue{{Code: "sales", RingTimeout: 5 * time.Second}}
	cfg.ACD.Routes = []config.Route{{DNIS: "5550100", Queue: "sales"}}
	cfg.ACD.Agents = []config.Agent{{ID: "a1", Endpoint: "PJSIP/1001"}}
	cfg.API.Token = "integration-token"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h.cfg = cfg
	db, err := store.Open(context.Background(), dsn, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h.db = db
	return h
}

// start runs the daemon and waits until /readyz reports every link up.
func (h *harness) start() {
	h.stop = daemontest.Start(h.t, h.cfg, nil, true)
}

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) count(kind string) int {
	var n int
	if err := h.db.Get(&n, `SELECT count(*) FROM call_event WHERE kind = $1`, kind); err != nil {
		// The schema may not exist yet while the daemon starts.
		return -1
	}
	return n
}

func (h *harness) metric(name string) string {
	resp, err := http.Get("http://" + h.cfg.Listen + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), name+" ") {
			return strings.TrimPrefix(sc.Text(), name+" ")
		}
	}
	return ""
}

func captureEvents(t *testing.T, name, event string) int {
	b, err := os.ReadFile("../testdata/captures/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(strings.ReplaceAll(string(b), "\r\n", "\n"), "\nEvent: "+event+"\n")
}

// The whole daemon against fake Asterisk links and a real PostgreSQL: AMI traffic
// and Stasis calls land in the event log, both links survive being cut, and a
// graceful stop writes everything it received.
func TestDaemonRecordsBothLinksAcrossReconnects(t *testing.T) {
	h := newHarness(t)
	h.start()

	if err := h.ami.ReplayFile("../testdata/captures/direct-call.ami.txt"); err != nil {
		t.Fatal(err)
	}
	hangups := captureEvents(t, "direct-call.ami.txt", "Hangup")
	h.waitFor("the capture's hangups in the event log", func() bool { return h.count("pbx.hangup") == hangups })
	// The capture's last CDRs follow its last hangup: they may come in the
	// next batch.
	cdrs := captureEvents(t, "direct-call.ami.txt", "Cdr")
	h.waitFor("the capture's CDRs in the event log", func() bool { return h.count("pbx.cdr") == cdrs })

	h.callInbound()
	h.waitFor("StasisStart of the caller", func() bool { return h.count("ari.StasisStart") == 1 })

	// Cut both links; ccd reconnects and goes on recording.
	h.ami.KillConnections()
	h.ari.KillWebsockets()
	h.waitFor("AMI reconnect", func() bool { return h.metric(`ccd_asterisk_reconnects_total{link="ami"}`) == "1" })
	h.waitFor("ARI reconnect", func() bool { return h.metric(`ccd_asterisk_reconnects_total{link="ari"}`) == "1" })
	h.waitFor("ready again", func() bool { return h.metric(`ccd_asterisk_connected{link="ari"}`) == "1" })
	if err := h.ari.Channel("c1;2").Hangup(16); err != nil {
		t.Fatal(err)
	}
	h.waitFor("StasisEnd after the reconnect", func() bool { return h.count("ari.StasisEnd") == 1 })

	// Events that arrive just before the stop are written, not dropped.
	for i := 0; i < 200; i++ {
		h.ami.Emit(amitest.Event("Hangup", "Channel", "PJSIP/1001-0000", "Uniqueid", "late-"+string(rune('a'+i%26))+strings.Repeat("x", i/26), "Linkedid", "late", "Cause", "16"))
	}
	want := strconv.Itoa(hangups + 200)
	h.waitFor("the late events to be read", func() bool { return h.metric(`ccd_events_in_total{link="ami",type="Hangup"}`) == want })
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if n := h.count("pbx.hangup"); n != hangups+200 {
		t.Fatalf("%d hangups stored after the stop, want %d", n, hangups+200)
	}
}

// Channels open when ccd stopped, and gone when it comes back, are closed from
// what Asterisk reports after the reconnect.
func TestRestartClosesChannelsThatEndedMeanwhile(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.ami.Emit(ami.NewMessage("Event", "Newchannel", "Channel", "PJSIP/1001-00000001", "Uniqueid", "u-gone", "Linkedid", "call-1", "Exten", "1002"))
	h.ami.Emit(ami.NewMessage("Event", "Newchannel", "Channel", "PJSIP/1002-00000002", "Uniqueid", "u-live", "Linkedid", "call-1", "Exten", "1002"))
	h.waitFor("channels logged", func() bool { return h.count("pbx.channel") == 2 })
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	// While ccd was down, u-gone hung up; Asterisk reports only u-live.
	h.ami.SetChannels(ami.NewMessage("Event", "CoreShowChannel", "Channel", "PJSIP/1002-00000002", "Uniqueid", "u-live", "Linkedid", "call-1"))
	h.start()
	h.waitFor("the lost hangup", func() bool { return h.count("pbx.hangup") == 1 })
	var key string
	if err := h.db.Get(&key, `SELECT key FROM call_event WHERE kind = 'pbx.hangup'`); err != nil || key != "ami:Hangup:u-gone" {
		t.Fatalf("hangup key %q (%v)", key, err)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}

// The AMI link is ready only once the channels the event log holds open were
// checked against Asterisk's list; a CoreShowChannels that fails is tried
// again instead of leaving ended channels open for good.
func TestAMINotReadyUntilOpenChannelsAreChecked(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.ami.Emit(ami.NewMessage("Event", "Newchannel", "Channel", "PJSIP/1001-00000001", "Uniqueid", "u-gone", "Linkedid", "call-1", "Exten", "1002"))
	h.waitFor("channel logged", func() bool { return h.count("pbx.channel") == 1 })
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	failures := 2
	h.ami.Handle("CoreShowChannels", func(req *ami.Message) []*ami.Message {
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			return []*ami.Message{amitest.Error(req, "Permission denied")}
		}
		ack := amitest.Success(req, "Channels will follow")
		ack.Add("EventList", "start")
		return []*ami.Message{ack, amitest.Event("CoreShowChannelsComplete", "ActionID", req.Get("ActionID"), "EventList", "Complete", "ListItems", "0")}
	})
	stop := daemontest.Start(t, h.cfg, nil, false)
	defer stop()
	sawUnready := false
	h.waitFor("the lost hangup", func() bool {
		if h.count("pbx.hangup") == 1 {
			return true
		}
		if resp, err := http.Get("http://" + h.cfg.Listen + "/readyz"); err == nil {
			sawUnready = sawUnready || resp.StatusCode == http.StatusServiceUnavailable
			resp.Body.Close()
		}
		return false
	})
	mu.Lock()
	left := failures
	mu.Unlock()
	if left != 0 || !sawUnready {
		t.Fatalf("failures left %d, readyz said not ready: %v", left, sawUnready)
	}
	h.waitFor("ready after the check", func() bool {
		resp, err := http.Get("http://" + h.cfg.Listen + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// PostgreSQL is down when ccd starts: ccd still reads Asterisk, keeps what it hears,
// and writes it once the database comes up.
func TestDatabaseDownAtStart(t *testing.T) {
	cluster, dsn := pgtest.NewCluster(t)
	h := newHarness(t)
	h.cfg.Database.URL = dsn
	ctx := context.Background()
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	stop := daemontest.Start(t, h.cfg, nil, false)
	h.waitFor("AMI login", func() bool { return h.ami.Connections() == 1 })
	h.waitFor("readyz naming the database", func() bool {
		resp, err := http.Get("http://" + h.cfg.Listen + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 503 && strings.Contains(string(b), `"name":"database","ok":false`)
	})
	for i := 0; i < 50; i++ {
		h.ami.Emit(ami.NewMessage("Event", "Hangup", "Channel", "PJSIP/1001-1", "Uniqueid", "early-"+strconv.Itoa(i), "Linkedid", "x", "Cause", "16"))
	}
	h.waitFor("the events to be read", func() bool { return h.metric(`ccd_events_in_total{link="ami",type="Hangup"}`) == "50" })
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dsn, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h.db = db
	h.waitFor("the early events in the database", func() bool { return h.count("pbx.hangup") == 50 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// request calls the REST API with the integration token.
func (h *harness) request(method, path string) *http.Response {
	h.t.Helper()
	req, _ := http.NewRequest(method, "http://"+h.cfg.Listen+path, nil)
	req.Header.Set("Authorization", "Bearer "+h.cfg.API.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

// getJSON reads a REST resource with the integration token.
func (h *harness) getJSON(path string, v any) {
	h.t.Helper()
	resp := h.request(http.MethodGet, path)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("GET %s: HTTP %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
}

// post calls the REST API with the integration token.
func (h *harness) post(path string) int {
	h.t.Helper()
	resp := h.request(http.MethodPost, path)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		h.t.Logf("POST %s: %s", path, body)
	}
	return resp.StatusCode
}

// A caller waiting in a queue survives a ccd restart: the new ccd rebuilds the
// queue from the event log, re-adopts the channel and offers it when an agent
// logs in, and the call keeps its original arrival.
func TestRestartKeepsQueuedCaller(t *testing.T) {
	h := newHarness(t)
	h.ari.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 20 * time.Millisecond})
	h.start()
	h.callInbound()
	h.waitFor("the caller queued", func() bool { return h.count("call.queued") == 1 })
	h.waitFor("the waiting call in the metrics", func() bool { return h.metric(`ccd_acd_calls_waiting{queue="sales"}`) == "1" })
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if !h.ari.Channel("c1;2").Exists() {
		t.Fatal("the stop dropped the caller")
	}
	h.start()
	if code := h.post("/api/agents/a1/login"); code != http.StatusOK {
		t.Fatalf("login: HTTP %d", code)
	}
	h.waitFor("the restored call answered", func() bool { return h.count("call.answered") == 1 })
	if err := h.ari.Channel("c1;2").Hangup(16); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the call ended", func() bool { return h.count("call.ended") == 1 })
	var offered, ended time.Time
	if err := h.db.Get(&offered, `SELECT at FROM call_event WHERE kind = 'call.offered'`); err != nil {
		t.Fatal(err)
	}
	if err := h.db.Get(&ended, `SELECT (payload->'summary'->>'offered_at')::timestamptz FROM call_event WHERE kind = 'call.ended'`); err != nil {
		t.Fatal(err)
	}
	if !offered.Equal(ended) || h.count("call.offered") != 1 {
		t.Fatalf("the call was offered at %v, its record says %v (%d offers)", offered, ended, h.count("call.offered"))
	}
	// The statistics followed the call across the restart: one CallsStat row,
	// and the queue's quarter-hour counts it once.
	day := offered.In(h.cfg.Location()).Format("2006-01-02")
	var calls struct {
		Rows []map[string]any `json:"rows"`
	}
	h.waitFor("the call in stat.callsstat", func() bool {
		h.getJSON("/api/stats/callsstat?from="+day, &calls)
		return len(calls.Rows) == 1
	})
	if r := calls.Rows[0]; r["endtype"] != float64(101) || r["handled_on_queue_code"] != "sales" || r["agent_id"] != "a1" {
		t.Fatalf("callsstat row %v", r)
	}
	var devices struct {
		Rows []map[string]any `json:"rows"`
	}
	h.getJSON("/api/stats/devicestat?queue=sales&from="+day, &devices)
	var offeredN, answeredN float64
	for _, r := range devices.Rows {
		offeredN += r["offered"].(float64)
		answeredN += r["answered"].(float64)
	}
	if offeredN != 1 || answeredN != 1 {
		t.Fatalf("devicestat for sales: offered %v, answered %v (%v)", offeredN, answeredN, devices.Rows)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}

// A listening address in use stops the start at once, naming the key, rather
// than starting everything else and failing later for another reason.
func TestListenAddressInUse(t *testing.T) {
	h := newHarness(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	h.cfg.Listen = busy.Addr().String()
	h.cfg.Database.URL = "" // nothing else may start: not even a private cluster
	err = daemon.Run(context.Background(), h.cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Key != "listen" || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Run = %v, want a config error on listen", err)
	}
	if _, statErr := os.Stat(filepath.Join(h.cfg.StateDir, "postgres")); !os.IsNotExist(statErr) {
		t.Fatalf("a private cluster was started: %v", statErr)
	}
}
