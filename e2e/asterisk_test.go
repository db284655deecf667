// Package e2e runs ccd against a real Asterisk. It is skipped unless
// CCD_ASTERISK_TEST=1; the Asterisk must be configured as `ccd asterisk-config`
// prints, plus the test dialplan in testdata/extensions.conf, and the ARI and AMI
// credentials come from the usual environment (CCD_ARI_USERNAME, CCD_ARI_PASSWORD,
// CCD_AMI_USERNAME, CCD_AMI_SECRET, and CCD_ARI_URL / CCD_AMI_ADDR when not local).
// The test that restarts Asterisk also needs CCD_ASTERISK_RESTART, a shell command
// that does it (e.g. asterisk -rx 'core restart now').
//
//	CCD_ASTERISK_TEST=1 CCD_ARI_USERNAME=ccd CCD_ARI_PASSWORD=... \
//	CCD_AMI_USERNAME=ccd CCD_AMI_SECRET=... make e2e
//
// The softphone tests need an Asterisk with chan_pjsip (its WebSocket
// transport, res_srtp) configured from `ccd asterisk-config` for agent 1001
// with sip_user webrtc-1001: CCD_WEBRTC_ASTERISK is its ARI URL,
// CCD_WEBRTC_AMI_ADDR its AMI, CCD_WEBRTC_SIP_PASSWORD the agent's
// sip_password (same ARI/AMI credentials); CCD_WEBRTC_SOFTPHONE_URL
// (wss://...) replaces the plain ws:// of its HTTP server. The SIP phone
// test runs baresip at the UDP endpoint CCD_BARESIP_ACCOUNT
// (sip:<endpoint>@host:port) with CCD_BARESIP_PASSWORD.
package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

type env struct {
	cfg config.Config
	db  *store.DB
	ari *ari.Client // the test's own client: REST, and a websocket for another app
}

func setup(t *testing.T) *env {
	t.Helper()
	if os.Getenv("CCD_ASTERISK_TEST") != "1" {
		t.Skip("real-Asterisk suite skipped: set CCD_ASTERISK_TEST=1 and the CCD_ARI_*/CCD_AMI_* credentials of an Asterisk configured as the README says, with the dialplan in e2e/testdata/extensions.conf (make e2e)")
	}
	cfg, err := config.Load("", nil)
	if err != nil {
		t.Fatalf("configuration from the environment: %v", err)
	}
	dsn := pgtest.NewEmptyDB(t)
	cfg.Database.URL = dsn
	cfg.StateDir = t.TempDir()
	cfg.Listen = daemontest.FreeAddr(t)
	cfg.Log.Level = "warn"
	db, err := store.Open(ctxT(t, time.Minute), dsn, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tc, err := ari.Connect(context.Background(), ari.Config{
		URL: cfg.ARI.URL, Username: cfg.ARI.Username, Password: cfg.ARI.Password, Application: cfg.ARI.Application + "-itest",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tc.Close() })
	return &env{cfg: cfg, db: db, ari: tc}
}

// startDaemon runs ccd's real wiring and waits until /readyz says every link is up.
func (e *env) startDaemon(t *testing.T) (stop func() error) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return daemontest.Start(t, e.cfg, log, true)
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func uniq(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// waitEvent polls the event log until an event of kind for callID is stored.
func (e *env) waitEvent(t *testing.T, kind, callID string, within time.Duration) eventlog.Event {
	t.Helper()
	return e.waitEventWhere(t, kind, callID, within, func(map[string]any) bool { return true })
}

// waitEventWhere is waitEvent for the first event whose payload satisfies match.
func (e *env) waitEventWhere(t *testing.T, kind, callID string, within time.Duration, match func(map[string]any) bool) eventlog.Event {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		evs, err := e.db.Events(context.Background(), store.EventFilter{Kind: kind, CallID: callID})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if match(payloadOf(t, ev)) {
				return ev
			}
		}
		if time.Now().After(deadline) {
			all, _ := e.db.Events(context.Background(), store.EventFilter{})
			for _, ev := range all {
				t.Logf("%s %-24s %s", ev.At.Format("15:04:05.000"), ev.Kind, ev.CallID)
			}
			t.Fatalf("no %s event for call %q in the event log after %s", kind, callID, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func payloadOf(t *testing.T, ev eventlog.Event) map[string]any {
	var p map[string]any
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// placeCaller originates a customer into the inbound context, whose dialplan sends
// it to Stasis(ccd,inbound,5551234); the Stasis side is id + ";2".
func (e *env) placeCaller(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	_, err := e.ari.Originate(ctx, ari.OriginateParams{
		Endpoint: "Local/5551234@inbound", Context: "customer", Extension: "s", Priority: 1,
		ChannelID: id, CallerID: `"Customer" <5551234>`,
	})
	if err != nil {
		t.Fatalf("originate caller: %v", err)
	}
	return id + ";2"
}

// queueFor routes the DNIS placeCaller dials (5551234) to a queue, so that
// ccd's queue application takes the caller: without a route it would send it
// back to the dialplan, which hangs up.
func (e *env) queueFor(record bool, agents ...config.Agent) {
	e.cfg.ACD = config.ACD{
		Routes: []config.Route{{DNIS: "5551234", Queue: "itest"}},
		Queues: []config.Queue{{Code: "itest", Record: record, RingTimeout: 15 * time.Second}},
		Agents: agents,
	}
	e.cfg.API.Token = randomHex(16)
}

// A caller enters the Stasis app, ccd's queue application originates the agent
// into it, bridges and records both, the agent hangs up, and every step is in
// the event log, including the AMI's view of the same channels, marked as ccd's.
func TestQueueLikeCallLandsInEventLog(t *testing.T) {
	e := setup(t)
	e.queueFor(true, config.Agent{ID: "1001", Endpoint: "Local/1001@agents"})
	e.startDaemon(t)
	ctx := ctxT(t, 2*time.Minute)
	e.agentRequest(t, ctx, "1001", "login")
	callerID := uniq("itest-caller")
	caller := e.placeCaller(t, ctx, callerID)
	start := e.waitEvent(t, "ari.StasisStart", caller, 10*time.Second)
	if start.DNIS != "5551234" || start.CLID != "5551234" {
		t.Fatalf("StasisStart DNIS %q CLID %q", start.DNIS, start.CLID)
	}
	answered := e.waitEvent(t, "call.answered", caller, 15*time.Second)
	agentCh := payloadOf(t, answered)["channel"].(string)
	if p := payloadOf(t, e.waitEvent(t, "ari.StasisStart", agentCh, time.Second)); fmt.Sprint(p["args"]) != "[agent "+caller+"]" {
		t.Fatalf("agent's StasisStart args %v", p["args"])
	}
	// The agent's dialplan hangs up after 5 s of talk; ccd hangs up the
	// caller through ARI. A channel hung up through ARI leaves the application
	// (StasisEnd) and the cause is in the ChannelHangupRequest.
	ended := e.waitEvent(t, "call.ended", caller, 15*time.Second)
	if p := payloadOf(t, ended)["summary"].(map[string]any); p["end_type"] != float64(101) {
		t.Fatalf("call.ended %s", ended.Payload)
	}
	e.waitEvent(t, "ari.StasisEnd", caller, 10*time.Second)
	if req := e.waitEvent(t, "ari.ChannelHangupRequest", caller, time.Second); payloadOf(t, req)["channel"] == nil {
		t.Fatalf("ChannelHangupRequest without channel: %s", req.Payload)
	}
	e.waitEvent(t, "ari.ChannelEnteredBridge", caller, time.Second)
	e.waitEvent(t, "ari.RecordingFinished", "", 10*time.Second)
	recName := payloadOf(t, e.waitEvent(t, "call.recording", caller, time.Second))["recording"].(string)
	rec := e.ari.StoredRecording(recName)
	got, err := rec.Get(ctx)
	if err != nil {
		t.Fatalf("stored recording %s: %v", recName, err)
	}
	if b, err := rec.Bytes(ctx); err != nil || len(b) <= 44 {
		t.Fatalf("recording %s has %d bytes (%v): want audio past the WAV header", got.Name, len(b), err)
	}
	rec.Delete(ctx)

	// The AMI saw the same channels and knows they are ccd's.
	hangup := e.waitEvent(t, "pbx.hangup", callerID, 10*time.Second)
	if p := payloadOf(t, hangup); p["acd"] != true {
		t.Fatalf("AMI hangup of the Stasis call not marked as ccd's: %s", hangup.Payload)
	}
}

// An extension calls another through the dialplan: ccd does not control it, the AMI
// observer records it as an internal call with its dial result and CDRs.
func TestDirectCallObservedThroughAMI(t *testing.T) {
	e := setup(t)
	e.startDaemon(t)
	ctx := ctxT(t, time.Minute)
	mc, err := ami.Connect(ctx, ami.Config{Addr: e.cfg.AMI.Addr, Username: e.cfg.AMI.Username, Secret: e.cfg.AMI.Secret})
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	for !mc.Status().Connected {
		if ctx.Err() != nil {
			t.Fatal("AMI not connected")
		}
		time.Sleep(50 * time.Millisecond)
	}
	id := uniq("itest-direct")
	resp, err := mc.Originate(ctx, ami.Action{Name: "Originate", Fields: []ami.Field{
		{Key: "Channel", Value: "Local/2001@agents"}, {Key: "Application", Value: "Dial"},
		{Key: "Data", Value: "Local/1002@agents"}, {Key: "CallerID", Value: `"Ext 2001" <2001>`},
		{Key: "ChannelId", Value: id}, {Key: "Timeout", Value: "10000"},
	}})
	if err != nil {
		t.Fatalf("originate: %v (%v)", err, resp)
	}
	// The originate itself is a dial (to 2001, from nobody); the call under test is
	// 2001's Dial to 1002.
	end := e.waitEventWhere(t, "pbx.dial_end", id, 15*time.Second, func(p map[string]any) bool { return p["from"] == "2001" })
	p := payloadOf(t, end)
	if p["from"] != "2001" || p["to"] != "1002" || p["status"] != "ANSWER" || p["direction"] != "internal" || p["acd"] != false {
		t.Fatalf("dial end %s", end.Payload)
	}
	cdr := e.waitEventWhere(t, "pbx.cdr", id, 20*time.Second, func(p map[string]any) bool { return p["destination"] == "1002" })
	if c := payloadOf(t, cdr); c["disposition"] != "ANSWERED" || c["direction"] != "internal" || c["source"] != "2001" {
		t.Fatalf("cdr %s", cdr.Payload)
	}
	for _, ev := range []string{"pbx.hangup", "pbx.channel"} {
		if h := e.waitEvent(t, ev, id, 10*time.Second); payloadOf(t, h)["acd"] != false {
			t.Fatalf("direct call's %s marked as ccd's: %s", ev, h.Payload)
		}
	}
}

// ccd stops while a caller waits in its queue: the caller stays up, the next
// ccd re-adopts it and records how the call ends.
func TestRestartKeepsCaller(t *testing.T) {
	e := setup(t)
	e.queueFor(false) // no agents: the caller waits, with music
	stop := e.startDaemon(t)
	ctx := ctxT(t, time.Minute)
	callerID := uniq("itest-restart")
	caller := e.placeCaller(t, ctx, callerID)
	e.waitEvent(t, "ari.StasisStart", caller, 10*time.Second)
	e.waitEvent(t, "call.queued", caller, 10*time.Second)
	ch := e.ari.Channel(caller)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if c, err := ch.Get(ctx); err != nil || c.State != "Up" {
		t.Fatalf("caller dropped while ccd was down: %v %+v", err, c)
	}
	e.startDaemon(t)
	if err := ch.Hangup(ctx, "normal"); err != nil {
		t.Fatal(err)
	}
	e.waitEvent(t, "ari.StasisEnd", caller, 10*time.Second)
	if h := e.waitEvent(t, "pbx.hangup", callerID, 10*time.Second); payloadOf(t, h)["acd"] != true {
		t.Fatalf("re-adopted call not marked as ccd's: %s", h.Payload)
	}
	// The restored queue closes the call as abandoned, once.
	ended := e.waitEvent(t, "call.ended", caller, 10*time.Second)
	if p := payloadOf(t, ended)["summary"].(map[string]any); p["end_type"] != float64(102) {
		t.Fatalf("call.ended after the restart: %s", ended.Payload)
	}
	var starts, ends int
	if err := e.db.Get(&starts, `SELECT count(*) FROM call_event WHERE kind = 'ari.StasisStart' AND call_id = $1`, caller); err != nil || starts != 1 {
		t.Fatalf("%d StasisStart rows for the caller (%v), want 1", starts, err)
	}
	if err := e.db.Get(&ends, `SELECT count(*) FROM call_event WHERE kind = 'call.ended' AND call_id = $1`, caller); err != nil || ends != 1 {
		t.Fatalf("%d call.ended rows for the caller (%v), want 1", ends, err)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if os.Getenv("CCD_ASTERISK_TEST") != "1" {
		fmt.Fprintln(os.Stderr, "e2e: skipped (CCD_ASTERISK_TEST is not 1)")
	}
	os.Exit(code)
}
