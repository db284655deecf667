package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// WebRTCDialplan is what TestWebRTCSoftphone needs in the extensions.conf of
// the Asterisk with chan_pjsip, besides [inbound]: the customer's own phone
// plays a tone the agent's browser must hear, until ccd hangs up.
const WebRTCDialplan = `[ccd-webrtc-callers]
exten => tone,1,Playtones(440/300,0/300)
 same => n,Wait(600)
 same => n,Hangup()
`

// The agent of the softphone test and its PJSIP endpoint: the WebRTC
// Asterisk's pjsip.conf must have them, as ccd asterisk-config prints them
// for this agent (sip_user webrtc-1001, sip_password
// $CCD_WEBRTC_SIP_PASSWORD).
const (
	webrtcAgent   = "1001"
	webrtcSIPUser = "webrtc-1001"
)

// webrtcEnv is the Asterisk with chan_pjsip and the WebSocket transport the
// softphone test runs against: its ARI URL (the softphone's WebSocket is /ws
// on the same HTTP server), its AMI address and the agent's SIP password.
type webrtcEnv struct {
	ariURL, amiAddr, sipPassword string
}

// onPJSIPAsterisk points the test's ccd at the Asterisk with chan_pjsip
// (skipping without one) and checks that it has the dialplan the tests need.
func onPJSIPAsterisk(t *testing.T) (webrtcEnv, *env, *ami.Client) {
	t.Helper()
	w := webrtcAsterisk(t)
	t.Setenv("CCD_ARI_URL", w.ariURL)
	t.Setenv("CCD_AMI_ADDR", w.amiAddr)
	e := setup(t)
	mc := e.amiClient(t)
	e.checkWebRTCDialplan(t, mc)
	return w, e, mc
}

// webrtcAsterisk is the Asterisk with chan_pjsip the environment names; the
// test is skipped without one.
func webrtcAsterisk(t *testing.T) webrtcEnv {
	t.Helper()
	w := webrtcEnv{ariURL: os.Getenv("CCD_WEBRTC_ASTERISK"), amiAddr: os.Getenv("CCD_WEBRTC_AMI_ADDR"), sipPassword: os.Getenv("CCD_WEBRTC_SIP_PASSWORD")}
	if os.Getenv("CCD_ASTERISK_TEST") != "1" || w.ariURL == "" {
		t.Skip("WebRTC softphone test skipped: set CCD_ASTERISK_TEST=1, CCD_WEBRTC_ASTERISK (ARI URL of an Asterisk with chan_pjsip, e.g. http://127.0.0.1:8090), " +
			"CCD_WEBRTC_AMI_ADDR and CCD_WEBRTC_SIP_PASSWORD, with the CCD_ARI_*/CCD_AMI_* credentials; see the README")
	}
	if w.amiAddr == "" || w.sipPassword == "" {
		t.Fatal("CCD_WEBRTC_ASTERISK is set: CCD_WEBRTC_AMI_ADDR and CCD_WEBRTC_SIP_PASSWORD are needed too")
	}
	return w
}

// softphoneURL is the PJSIP WebSocket transport: CCD_WEBRTC_SOFTPHONE_URL
// (wss://localhost:8089/ws with http.conf's TLS), else /ws on the HTTP
// server of the Asterisk at ariURL, plain ws:// as a page from localhost may
// use.
func (w webrtcEnv) softphoneURL(t *testing.T) string {
	if u := os.Getenv("CCD_WEBRTC_SOFTPHONE_URL"); u != "" {
		return u
	}
	u, err := url.Parse(w.ariURL)
	if err != nil || u.Host == "" {
		t.Fatalf("CCD_WEBRTC_ASTERISK %q: want http://host:port", w.ariURL)
	}
	scheme := "ws"
	if u.Scheme == "https" {
		scheme = "wss"
	}
	return scheme + "://" + u.Host + "/ws"
}

// The agent console's softphone against a real Asterisk with chan_pjsip: the
// agent logs in to the page, JsSIP registers over PJSIP's WebSocket
// transport, the agent goes ready, a caller is queued and offered to the
// agent's PJSIP endpoint, the page answers, ccd connects the call and audio
// flows both ways through the browser's RTCPeerConnection (DTLS-SRTP, ICE);
// the agent hangs up in the page and the caller's channels are gone.
func TestWebRTCSoftphone(t *testing.T) {
	w, e, mc := onPJSIPAsterisk(t)
	password := randomHex(12)
	e.queueFor(false, config.Agent{ID: webrtcAgent, Endpoint: "PJSIP/" + webrtcSIPUser, Password: password,
		SIPUser: webrtcSIPUser, SIPPassword: w.sipPassword})
	e.cfg.API.SoftphoneURL = w.softphoneURL(t)
	t.Logf("softphone at %s", e.cfg.API.SoftphoneURL)
	e.startDaemon(t)
	ctx := ctxT(t, 3*time.Minute)

	page := e.readySoftphone(t, mc, password)

	callerID, caller := e.placeToneCaller(t, ctx, "webrtc-caller")
	answered := e.answerInPage(t, page, caller)
	run(t, page, "ccd shows the agent on the call", pageUntil(`document.querySelector("#ag-state").dataset.state === "on_call"`, 10*time.Second))

	stats := waitAudio(t, page)
	t.Logf("browser RTP: received %d bytes (%d packets), sent %d bytes (%d packets)", stats.BytesReceived, stats.PacketsReceived, stats.BytesSent, stats.PacketsSent)
	// Asterisk's side of the same stream: what the agent's channel received
	// from the browser.
	agentCh := fmt.Sprint(payloadOf(t, answered)["channel"])
	rtcp, err := e.ari.Channel(agentCh).GetVariable(ctx, "CHANNEL(rtcp,all)")
	if err != nil || !regexp.MustCompile(`rxcount=[1-9]`).MatchString(rtcp) {
		t.Fatalf("Asterisk's RTP of the agent's channel %s: %q (%v): want packets received from the browser", agentCh, rtcp, err)
	}
	t.Logf("Asterisk RTP of %s: %s", agentCh, rtcp)
	webrtcScreenshot(t, page, "agent-softphone-incall")

	run(t, page, "the agent hangs up in the page", chromedp.Click(chromedp.CSS("#sp-hangup")),
		pageUntil(`document.querySelector("#sp-incoming").textContent === ""`, 10*time.Second))
	e.waitEvent(t, "call.ended", caller, 20*time.Second)
	e.waitGone(t, ctx, caller, callerID)

	// The next caller hangs up first: the page's call ends by itself.
	run(t, page, "the agent is ready again", pageUntil(`document.querySelector("#ag-state").dataset.state === "ready"`, 20*time.Second))
	callerID, caller = e.placeToneCaller(t, ctx, "webrtc-caller")
	answered = e.answerInPage(t, page, caller)
	waitAudio(t, page)
	if err := e.ari.Channel(callerID).Hangup(ctx, "normal"); err != nil {
		t.Fatalf("hang up the caller: %v", err)
	}
	run(t, page, "the caller's hang-up ends the call in the page", pageUntil(`document.querySelector("#sp-incoming").textContent === ""`, 20*time.Second),
		pageUntil(`document.querySelector("#sp-hangup").disabled`, 5*time.Second))
	e.waitEvent(t, "call.ended", caller, 20*time.Second)
	e.waitGone(t, ctx, fmt.Sprint(payloadOf(t, answered)["channel"]))
}

// readySoftphone logs the agent in to the page with password, waits
// until its softphone is registered at Asterisk and makes the agent ready.
func (e *env) readySoftphone(t *testing.T, mc *ami.Client, password string) context.Context {
	t.Helper()
	page := webrtcBrowser(t)
	run(t, page, "the agent logs in and the softphone registers",
		chromedp.Navigate("http://"+e.cfg.Listen+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#username"), webrtcAgent),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#ag-phone")),
		pageUntil(`document.querySelector("#sp-state").dataset.state === "registered"`, 30*time.Second))
	if contacts := pjsipContacts(t, mc, webrtcSIPUser); len(contacts) == 0 {
		t.Fatalf("the page says registered, but Asterisk has no contact for %s", webrtcSIPUser)
	} else {
		t.Logf("contact of %s: %s", webrtcSIPUser, contacts[0])
	}
	run(t, page, "the agent goes ready", chromedp.Click(chromedp.CSS("#ag-login")),
		pageUntil(`document.querySelector("#ag-state").dataset.state === "ready"`, 20*time.Second))
	return page
}

// placeToneCaller originates a customer who plays a tone into ccd's
// inbound entry (DNIS 5551234); the Stasis side is the call's id.
func (e *env) placeToneCaller(t *testing.T, ctx context.Context, prefix string) (origID, callID string) {
	t.Helper()
	origID = uniq(prefix)
	if _, err := e.ari.Originate(ctx, ari.OriginateParams{Endpoint: "Local/5551234@inbound", Context: "ccd-webrtc-callers",
		Extension: "tone", Priority: 1, ChannelID: origID, CallerID: `"Customer" <5551234>`}); err != nil {
		t.Fatalf("originate the caller: %v", err)
	}
	t.Cleanup(func() { _ = e.ari.Channel(origID).Hangup(context.Background(), "normal") })
	return origID, origID + ";2"
}

// answerInPage waits for ccd to ring the softphone for callID, answers in
// the page and returns ccd's call.answered.
func (e *env) answerInPage(t *testing.T, page context.Context, callID string) eventlog.Event {
	t.Helper()
	e.waitEvent(t, "call.ringing", callID, 20*time.Second)
	run(t, page, "the call rings in the page with the caller's number and the agent answers",
		pageUntil(`!document.querySelector("#sp-answer").disabled`, 20*time.Second),
		pageUntil(`document.querySelector("#sp-incoming").textContent.startsWith("Incoming call from")`, 5*time.Second),
		pageUntil(`document.querySelector("#sp-incoming").textContent.includes("5551234")`, 5*time.Second),
		chromedp.Click(chromedp.CSS("#sp-answer")),
		pageUntil(`document.querySelector("#sp-incoming").textContent.startsWith("In call with")`, 20*time.Second))
	answered := e.waitEvent(t, "call.answered", callID, 20*time.Second)
	if p := payloadOf(t, answered); answered.Agent != webrtcAgent || p["endpoint"] != "PJSIP/"+webrtcSIPUser {
		t.Fatalf("call.answered by agent %q: %s; want agent %s at PJSIP/%s", answered.Agent, answered.Payload, webrtcAgent, webrtcSIPUser)
	}
	return answered
}

// waitGone waits until Asterisk no longer has the channels.
func (e *env) waitGone(t *testing.T, ctx context.Context, ids ...string) {
	t.Helper()
	for _, id := range ids {
		waitFor(t, 20*time.Second, "channel "+id+" to be gone", func() bool {
			_, err := e.ari.Channel(id).Get(ctx)
			return ari.IsNotFound(err)
		})
	}
}

// checkWebRTCDialplan fails the test with the dialplan to add when the
// WebRTC Asterisk lacks a context the test dials.
func (e *env) checkWebRTCDialplan(t *testing.T, mc *ami.Client) {
	t.Helper()
	for _, c := range []string{"inbound", "ccd-webrtc-callers"} {
		if _, _, err := mc.ListAction(ctxT(t, 10*time.Second), ami.Action{Name: "ShowDialPlan", Fields: []ami.Field{{Key: "Context", Value: c}}}); err != nil {
			t.Fatalf("the WebRTC Asterisk has no dialplan context %s (%v): add e2e/testdata/extensions.conf to its extensions.conf", c, err)
		}
	}
}

// pjsipContacts are the URIs of the contacts Asterisk holds for aor
// (PJSIPShowContacts, what `pjsip show contacts` lists).
func pjsipContacts(t *testing.T, mc *ami.Client, aor string) []string {
	t.Helper()
	_, list, err := mc.ListAction(ctxT(t, 10*time.Second), ami.Action{Name: "PJSIPShowContacts"})
	if ae := (*ami.ActionError)(nil); errors.As(err, &ae) && ae.Message.Get("Message") == "No Contacts found" {
		return nil
	}
	if err != nil {
		t.Fatalf("PJSIPShowContacts: %v", err)
	}
	var out []string
	for _, m := range list {
		// A contact's object name is "<aor>;@<hash>".
		if strings.HasPrefix(m.Get("ObjectName"), aor+";@") {
			out = append(out, m.Get("Uri")+" "+m.Get("Status"))
		}
	}
	return out
}

// rtpStats are the browser's counters of the call's audio (getStats:
// inbound-rtp and outbound-rtp).
type rtpStats struct {
	BytesReceived   int64 `json:"bytesReceived"`
	PacketsReceived int64 `json:"packetsReceived"`
	BytesSent       int64 `json:"bytesSent"`
	PacketsSent     int64 `json:"packetsSent"`
}

// collectRTP sums the audio counters of every RTCPeerConnection the page
// made (recorded by trackPeerConnections).
const collectRTP = `(async () => {
  const out = {bytesReceived: 0, packetsReceived: 0, bytesSent: 0, packetsSent: 0};
  for (const pc of window.ccdTestPCs || []) {
    (await pc.getStats()).forEach((s) => {
      if (s.kind !== "audio") return;
      if (s.type === "inbound-rtp") { out.bytesReceived += s.bytesReceived || 0; out.packetsReceived += s.packetsReceived || 0; }
      if (s.type === "outbound-rtp") { out.bytesSent += s.bytesSent || 0; out.packetsSent += s.packetsSent || 0; }
    });
  }
  return out;
})()`

// trackPeerConnections keeps every RTCPeerConnection the page creates in
// window.ccdTestPCs, so that the test reads their statistics: JsSIP keeps
// its own out of reach.
const trackPeerConnections = `(() => {
  const Native = window.RTCPeerConnection;
  window.ccdTestPCs = [];
  window.RTCPeerConnection = function (...args) { const pc = new Native(...args); window.ccdTestPCs.push(pc); return pc; };
  window.RTCPeerConnection.prototype = Native.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Native);
})();`

// waitAudio waits until the browser has both received and sent audio
// packets (more than a handful, so not just a stray first packet).
func waitAudio(t *testing.T, ctx context.Context) rtpStats {
	t.Helper()
	var s rtpStats
	waitFor(t, 30*time.Second, "audio both ways in the browser (inbound-rtp bytesReceived and outbound-rtp bytesSent)", func() bool {
		var err error
		s, err = chromedp.Run(ctx, chromedp.Evaluate[rtpStats](collectRTP, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("getStats: %v", err)
		}
		return s.PacketsReceived > 10 && s.BytesReceived > 0 && s.PacketsSent > 10 && s.BytesSent > 0
	})
	return s
}

// webrtcBrowser starts a headless Chromium with a fake microphone allowed
// without asking, recording the page's peer connections; it skips the test
// when there is none.
func webrtcBrowser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CCD_CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path == "" {
			path, _ = exec.LookPath(name)
		}
	}
	if path == "" {
		t.Skip("no Chromium found (install Debian's chromium package, or set CCD_CHROMIUM)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1920, 1080),
		chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
		// A test Asterisk's wss:// has a self-signed certificate.
		chromedp.Flag("ignore-certificate-errors", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	err := chromedp.Do(ctx, chromedp.EmulateViewport(1920, 1080), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: trackPeerConnections})
		return err
	}))
	if err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#sp-state")||{}).textContent + " | " + (document.querySelector("#sp-incoming")||{}).textContent`))
		t.Fatalf("%s: %v (softphone: %s)", what, err, state)
	}
}

// pageUntil waits for a JavaScript condition to hold in the page.
func pageUntil(expr string, within time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(within))(ctx, tg); err != nil {
			return fmt.Errorf("waiting %s for %s: %w", within, expr, err)
		}
		return nil
	})
}

// webrtcScreenshot saves the page as webui/screenshots/<name>.png, beside
// the web interface's other views.
func webrtcScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "webui", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
