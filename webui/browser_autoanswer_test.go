package webui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/demo"
	"github.com/chromedp/chromedp"
)

// autoAnswerHeader is the Call-Info header ccd has Asterisk add to the
// INVITE of an agent with auto_answer.
const autoAnswerHeader = "Call-Info: <sip:127.0.0.1>;answer-after=0\r\n"

// The softphone answers by itself a call whose INVITE asks it to, once
// the administrator gave the agent auto_answer; before, the same INVITE
// only rings. The Alert-Info form is understood too.
func TestBrowserSoftphoneAnswersByItself(t *testing.T) {
	ctx := browser(t)
	reg := startRegistrar(t)
	d := quietDemo(t, demo.Options{Agents: 1}, reg)
	agent, admin := credential(t, d, "1001"), credential(t, d, "admin")
	registered := chromedp.Steps(chromedp.WaitVisible(chromedp.CSS("#ag-phone")),
		until(`document.querySelector("#sp-state").dataset.state === "registered"`))

	do(t, ctx, "agent logs in; the softphone registers", login(d, agent.User, agent.Password), registered)
	reg.inviteWith("5551234", "manual-1", autoAnswerHeader, "")
	do(t, ctx, "without auto_answer the call only rings", until(textOf("#sp-incoming")+` === "Incoming call from Customer"`),
		until(`!document.querySelector("#sp-answer").disabled`))
	if !eventually(func() bool { return strings.Contains(reg.sent(), "INVITE 180") }) {
		t.Fatalf("the softphone did not ring: %s", reg.sent())
	}
	do(t, ctx, "the agent declines it", chromedp.Click(chromedp.CSS("#sp-hangup")), until(textOf("#sp-incoming")+` === ""`))
	if got := reg.sent(); strings.Contains(got, "INVITE 200") {
		t.Fatalf("answered without auto_answer: %s", got)
	}

	loginOther(t, d, admin.User, admin.Password).put("/api/admin/agents/1001",
		`{"name":"Ana Belen","endpoint":"PJSIP/1001","sip_user":"webrtc-1001","auto_answer":true}`)
	do(t, ctx, "the page reloads with auto_answer", chromedp.Reload(), registered)
	for i, header := range []string{autoAnswerHeader, "Alert-Info: <http://127.0.0.1>;info=alert-autoanswer;delay=0\r\n"} {
		callID := "auto-" + strings.SplitN(header, ":", 2)[0]
		// Answering needs an offer the browser can answer: one of its own.
		reg.inviteWith("5551234", callID, header, browserOffer(t, ctx))
		do(t, ctx, "answered without a click ("+callID+")",
			until(textOf("#sp-incoming")+` === "Answered automatically: in call with Customer"`),
			until(`document.querySelector("#sp-answer").disabled`))
		if !eventually(func() bool { return strings.Count(reg.sent(), "INVITE 200") == i+1 }) {
			t.Fatalf("no 200 OK from the softphone: %s", reg.sent())
		}
		if callID == "auto-Call-Info" {
			screenshot(t, ctx, "agent-softphone-autoanswer")
		}
		do(t, ctx, "the agent hangs up", chromedp.Click(chromedp.CSS("#sp-hangup")), until(textOf("#sp-incoming")+` === ""`))
		if !eventually(func() bool { return strings.Count(reg.sent(), "BYE") == i+1 }) {
			t.Fatalf("the softphone did not hang up: %s", reg.sent())
		}
	}
}

// browserOffer is an SDP offer made by another peer connection of the
// browser, with a microphone: what the caller's side of a WebRTC call
// sends (the test has no Asterisk to make one).
func browserOffer(tb testing.TB, ctx context.Context) string {
	tb.Helper()
	sdp, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const pc = new RTCPeerConnection({});
		const media = await navigator.mediaDevices.getUserMedia({ audio: true });
		media.getTracks().forEach((t) => pc.addTrack(t, media));
		await pc.setLocalDescription(await pc.createOffer());
		await new Promise((done) => { if (pc.iceGatheringState === "complete") done(); else pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === "complete") done(); }; });
		window.ccdTestCaller = pc;
		return pc.localDescription.sdp;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(sdp, "v=0") {
		tb.Fatalf("browser offer: %q %v", sdp, err)
	}
	return sdp
}
