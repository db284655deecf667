package webui_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/demo"
	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
)

// registrar is a SIP registrar over WebSocket (RFC 7118) that asks for
// digest authentication (RFC 2617, qop=auth), as Asterisk's PJSIP does: it
// checks the softphone's REGISTER against the SIP passwords it knows.
type registrar struct {
	URL       string
	passwords map[string]string
	mu        sync.Mutex
	ok        []string // users registered with the right password
	bad       []string
	conn      *websocket.Conn // the last softphone's connection
	contact   string          // ... and its Contact URI
	seen      []string        // what the softphones sent besides REGISTER: "INVITE 180", "BYE"
}

const sipRealm, sipNonce = "ccd-test", "0123456789abcdef"

func startRegistrar(tb testing.TB) *registrar {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	r := &registrar{URL: "ws://" + ln.Addr().String() + "/ws"}
	up := websocket.Upgrader{Subprotocols: []string{"sip"}, CheckOrigin: func(*http.Request) bool { return true }}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		conn, err := up.Upgrade(w, req, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		r.mu.Lock()
		r.conn = conn
		r.mu.Unlock()
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if answer := r.answer(string(msg)); answer != "" {
				r.send(answer)
			}
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return r
}

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

var digestParam = regexp.MustCompile(`(\w+)="?([^",]*)"?`)

// answer is the reply to one SIP request: 401 with a challenge, 200 to a
// REGISTER whose digest matches the user's password, 403 to a wrong one.
func (r *registrar) answer(msg string) string {
	lines := strings.Split(msg, "\r\n")
	if !strings.HasPrefix(lines[0], "REGISTER ") {
		r.note(lines)
		return ackOf(lines)
	}
	uri := strings.Fields(lines[0])[1]
	h := map[string]string{}
	var copied []string
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		h[name] = value
		switch name {
		case "via", "from", "call-id", "cseq", "contact":
			copied = append(copied, l)
		}
	}
	reply := func(status, extra string) string {
		return "SIP/2.0 " + status + "\r\n" + strings.Join(copied, "\r\n") + "\r\nTo: " + h["to"] + ";tag=reg1\r\n" + extra + "Content-Length: 0\r\n\r\n"
	}
	auth, ok := strings.CutPrefix(h["authorization"], "Digest ")
	if !ok {
		return reply("401 Unauthorized", `WWW-Authenticate: Digest realm="`+sipRealm+`", nonce="`+sipNonce+`", algorithm=MD5, qop="auth"`+"\r\n")
	}
	p := map[string]string{}
	for _, m := range digestParam.FindAllStringSubmatch(auth, -1) {
		p[m[1]] = m[2]
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ha1 := md5hex(p["username"] + ":" + sipRealm + ":" + r.passwords[p["username"]])
	want := md5hex(ha1 + ":" + sipNonce + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + md5hex("REGISTER:"+uri))
	if r.passwords[p["username"]] == "" || p["response"] != want {
		r.bad = append(r.bad, p["username"])
		return reply("403 Forbidden", "")
	}
	r.ok = append(r.ok, p["username"])
	if m := regexp.MustCompile(`<([^>]+)>`).FindStringSubmatch(h["contact"]); m != nil {
		r.contact = m[1]
	}
	return reply("200 OK", "Expires: 600\r\n")
}

// note records a response ("INVITE 180") or a request ("BYE") of a
// softphone.
func (r *registrar) note(lines []string) {
	first := strings.Fields(lines[0])
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(first) > 1 && first[0] == "SIP/2.0" {
		for _, l := range lines {
			if v, ok := strings.CutPrefix(l, "CSeq: "); ok {
				r.seen = append(r.seen, strings.Fields(v)[1]+" "+first[1])
			}
		}
		return
	}
	r.seen = append(r.seen, first[0])
}

// ackOf is the ACK of a softphone's 200 OK to an INVITE, as the caller's
// side sends it to confirm the call; "" for any other message.
func ackOf(lines []string) string {
	if !strings.HasPrefix(lines[0], "SIP/2.0 200") {
		return ""
	}
	h := map[string]string{}
	for _, l := range lines[1:] {
		if name, value, ok := strings.Cut(l, ":"); ok {
			h[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
		}
	}
	contact := regexp.MustCompile(`<([^>]+)>`).FindStringSubmatch(h["contact"])
	if !strings.HasSuffix(h["cseq"], "INVITE") || contact == nil {
		return ""
	}
	return "ACK " + contact[1] + " SIP/2.0\r\nVia: SIP/2.0/WS registrar.invalid;branch=z9hG4bK-ack-" + h["call-id"] + "\r\n" +
		"Max-Forwards: 70\r\nFrom: " + h["from"] + "\r\nTo: " + h["to"] + "\r\nCall-ID: " + h["call-id"] + "\r\n" +
		"CSeq: " + strings.Fields(h["cseq"])[0] + " ACK\r\nContent-Length: 0\r\n\r\n"
}

func (r *registrar) send(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn != nil {
		_ = r.conn.WriteMessage(websocket.TextMessage, []byte(msg))
	}
}

// invite calls the last registered softphone from number, without an SDP
// offer (the phone makes one in its answer).
func (r *registrar) invite(number string) { r.inviteWith(number, "inv-call-1", "", "") }

// inviteWith is invite with a Call-ID of its own, more header lines (each
// ending in CRLF) and an SDP offer ("" for none).
func (r *registrar) inviteWith(number, callID, headers, sdp string) {
	r.mu.Lock()
	contact := r.contact
	r.mu.Unlock()
	if sdp != "" {
		headers += "Content-Type: application/sdp\r\n"
	}
	r.send("INVITE " + contact + " SIP/2.0\r\nVia: SIP/2.0/WS registrar.invalid;branch=z9hG4bK-" + callID + "\r\nMax-Forwards: 70\r\n" +
		`From: "Customer" <sip:` + number + "@registrar.invalid>;tag=" + callID + "\r\nTo: <" + contact + ">\r\nCall-ID: " + callID + "\r\n" +
		"CSeq: 1 INVITE\r\nContact: <sip:" + number + "@registrar.invalid;transport=ws>\r\n" + headers +
		"Content-Length: " + strconv.Itoa(len(sdp)) + "\r\n\r\n" + sdp)
}

func (r *registrar) sent() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.seen, ",")
}

// eventually polls cond for up to 5 s: the ACD acts on the channel just
// after it answers the request.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

func (r *registrar) registered() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ok...)
}

// The agent console in a real browser: the softphone loads JsSIP, fetches
// the agent's own SIP credentials and registers with them (a registrar
// that checks the digest stands in for Asterisk's PJSIP, which the test
// machine lacks); a call rings the agent and its profile shows; hold and
// take off hold act on it; a bad transfer number is shown at its field;
// the day's figures, the callbacks of the agent's queues and its own
// dialer callbacks (Agenda) are there.
func TestBrowserAgentConsole(t *testing.T) {
	ctx := browser(t)
	reg := startRegistrar(t)
	d := quietDemo(t, demo.Options{Agents: 2}, reg)
	agent := credential(t, d, "1001")
	requestCallback(t, d, "sales", "0611223344")
	scheduleAgenda(t, d, "1001", "0699887766")
	d.Sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 200 * time.Millisecond})

	do(t, ctx, "agent logs in; the softphone registers", login(d, agent.User, agent.Password),
		chromedp.WaitVisible(chromedp.CSS("#view-agent")),
		chromedp.WaitVisible(chromedp.CSS("#ag-phone")),
		until(`window.ccdJsSIP === "3.13.8"`),
		until(`document.querySelector("#sp-state").dataset.state === "registered"`),
		until(textOf("#ag-callbacks")+`.includes("0611223344")`), until(textOf("#ag-callbacks")+`.includes("2099")`),
		until(textOf("#ag-callbacks")+`.includes("0699887766 Tami")`))
	if got := reg.registered(); len(got) == 0 || got[0] != "webrtc-1001" {
		t.Fatalf("registered: %v", got)
	}
	// A call to the softphone rings in the page with the caller's name;
	// the agent hangs up, and the phone declines it. (Answering needs
	// media: Asterisk's chan_pjsip, which the test machine lacks.)
	reg.invite("5551234")
	do(t, ctx, "an incoming call on the softphone", until(textOf("#sp-incoming")+` === "Incoming call from Customer"`),
		until(`!document.querySelector("#sp-answer").disabled`))
	screenshot(t, ctx, "agent-softphone-ringing")
	do(t, ctx, "the agent declines it", chromedp.Click(chromedp.CSS("#sp-hangup")), until(textOf("#sp-incoming")+` === ""`),
		until(`document.querySelector("#sp-hangup").disabled`))
	if !eventually(func() bool { return strings.Contains(reg.sent(), "INVITE 480") }) {
		t.Fatalf("the softphone did not decline the call: %s", reg.sent())
	}
	do(t, ctx, "ready", chromedp.Click(chromedp.CSS("#ag-login")),
		until(`document.querySelector("#ag-state").dataset.state === "ready"`))
	caller, err := d.Load.Call("5550100")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = caller.Hangup(16) }()
	do(t, ctx, "the call's profile", until(`document.querySelector("#ag-state").dataset.state === "on_call"`),
		chromedp.WaitVisible(chromedp.CSS("#ag-profile")),
		until(textOf("#ag-profile-data")+`.includes("Caller")`),
		until(textOf("#ag-profile-data")+`.includes("QueueSales")`))
	do(t, ctx, "hold", until(textOf("#ag-profile-data")+`.includes("On holdno")`),
		until(`document.querySelector("#ag-hold").disabled === false`),
		chromedp.Click(chromedp.CSS("#ag-hold")),
		until(textOf("#ag-call-message")+` === "On hold."`),
		until(`document.querySelector("#ag-unhold").disabled === false`))
	if !eventually(func() bool { on, _ := caller.MOH(); return on }) {
		t.Error("the caller hears no music on hold")
	}
	do(t, ctx, "a bad transfer number", value("#ag-transfer-number", "12ab"),
		chromedp.Click(chromedp.CSS("#ag-transfer-to-number")),
		until(textOf("#ag-call-message")+`.startsWith("number:")`),
		until(`document.querySelector("#ag-transfer-number").getAttribute("aria-invalid") === "true"`))
	screenshot(t, ctx, "agent-call")
	do(t, ctx, "off hold", chromedp.Click(chromedp.CSS("#ag-unhold")),
		until(textOf("#ag-call-message")+` === "Off hold."`))
	if !eventually(func() bool { on, _ := caller.MOH(); return !on }) {
		t.Error("the caller still hears music on hold")
	}
	do(t, ctx, "transfer to support", chromedp.SetValue(chromedp.CSS("#ag-transfer-queue"), "support"),
		chromedp.Click(chromedp.CSS("#ag-transfer-to-queue")),
		until(textOf("#ag-call-message")+` === "Transferred to queue support."`))
	do(t, ctx, "today's figures", until(textOf("#ag-today-answered")+` === "1"`), until(textOf("#ag-today-offered")+` !== "0"`))
	screenshot(t, ctx, "agent-after-transfer")
	do(t, ctx, "dark", colorScheme("dark"), chromedp.Sleep(200*time.Millisecond))
	screenshot(t, ctx, "agent-dark")
	do(t, ctx, "light", colorScheme("light"))
}

// scheduleAgenda has agent schedule a personal callback ("Agenda") of a new
// contact at number, in 2099, in a campaign of its own that is not active
// (the demo's dialer leaves it alone), through the OMniLeads API.
func scheduleAgenda(tb testing.TB, d *demo.Demo, agent, number string) {
	tb.Helper()
	post := func(path, body string) map[string]any {
		req, _ := http.NewRequest("POST", d.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+d.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != http.StatusCreated {
			tb.Fatalf("POST %s: HTTP %d %v %v", path, resp.StatusCode, m, err)
		}
		return m
	}
	id := func(m map[string]any, key string) string { return strconv.Itoa(int(m[key].(float64))) }
	campaign := id(post("/api/dialer/campaigns", `{"name":"agenda","queueCode":"sales","isActive":false}`), "campaignId")
	target := id(post("/api/dialer/campaigns/"+campaign+"/targets", `{"phoneI":"`+number+`","fName":"Tami"}`), "targetId")
	option := id(post("/api/dialer/campaigns/"+campaign+"/dispositionOptions", `{"name":"Call back","kind":"agenda"}`), "id")
	post("/api/v1/disposition/", `{"idContact":`+target+`,"idDispositionOption":`+option+`,"idAgent":"`+agent+`",`+
		`"agenda":{"date":"2099-01-02","time":"10:00","type":"PERSONAL","comments":"after work"}}`)
}
