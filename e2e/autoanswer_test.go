package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/ccdhq/ccd/config"
	"github.com/chromedp/chromedp"
)

// An agent with auto_answer on the softphone against a real Asterisk with
// chan_pjsip: ccd's originate has Asterisk add the auto-answer headers to
// the INVITE, and the page answers the queued caller without a click;
// audio flows both ways.
func TestWebRTCSoftphoneAnswersByItself(t *testing.T) {
	w, e, mc := onPJSIPAsterisk(t)
	password := randomHex(12)
	e.queueFor(false, config.Agent{ID: webrtcAgent, Endpoint: "PJSIP/" + webrtcSIPUser, Password: password,
		SIPUser: webrtcSIPUser, SIPPassword: w.sipPassword, AutoAnswer: true})
	e.cfg.API.SoftphoneURL = w.softphoneURL(t)
	e.startDaemon(t)
	ctx := ctxT(t, 3*time.Minute)
	page := e.readySoftphone(t, mc, password)

	callerID, caller := e.placeToneCaller(t, ctx, "autoanswer-caller")
	e.waitEvent(t, "call.ringing", caller, 20*time.Second)
	run(t, page, "the page answers by itself",
		pageUntil(`document.querySelector("#sp-incoming").textContent.startsWith("Answered automatically: in call with")`, 20*time.Second),
		pageUntil(`document.querySelector("#sp-answer").disabled`, 5*time.Second))
	answered := e.waitEvent(t, "call.answered", caller, 20*time.Second)
	if p := payloadOf(t, answered); answered.Agent != webrtcAgent || p["endpoint"] != "PJSIP/"+webrtcSIPUser {
		t.Fatalf("call.answered by agent %q: %s; want agent %s at PJSIP/%s", answered.Agent, answered.Payload, webrtcAgent, webrtcSIPUser)
	}
	stats := waitAudio(t, page)
	t.Logf("browser RTP: received %d packets, sent %d packets", stats.PacketsReceived, stats.PacketsSent)
	webrtcScreenshot(t, page, "agent-softphone-autoanswer")

	run(t, page, "the agent hangs up in the page", chromedp.Click(chromedp.CSS("#sp-hangup")),
		pageUntil(`document.querySelector("#sp-incoming").textContent === ""`, 10*time.Second))
	e.waitEvent(t, "call.ended", caller, 20*time.Second)
	e.waitGone(t, ctx, caller, callerID, fmt.Sprint(payloadOf(t, answered)["channel"]))
}
