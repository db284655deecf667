package webui_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/demo"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/internal/pgtest"
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
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if answer := r.answer(string(msg)); answer != "" {
				_ = conn.WriteMessage(websocket.TextMessage, []byte(answer))
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
		return ""
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
	return reply("200 OK", "Expires: 600\r\n")
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
// the day's figures and the callbacks of the agent's queues are there.
func TestBrowserAgentConsole(t *testing.T) {
	ctx := browser(t)
	reg := startRegistrar(t)
	d, err := demo.Start(context.Background(), demo.Options{Listen: daemontest.FreeAddr(t), DatabaseURL: pgtest.NewEmptyDB(t),
		Agents: 2, Quiet: true, UserCost: 4, SoftphoneURL: reg.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop() })
	reg.mu.Lock()
	reg.passwords = d.SIPPasswords
	reg.mu.Unlock()
	agent := credential(t, d, "1001")
	req, _ := http.NewRequest("POST", d.URL+"/api/callbacks", strings.NewReader(`{"queue":"sales","number":"0611223344","not_before":"2099-01-01T09:00:00Z"}`))
	req.Header.Set("Authorization", "Bearer "+d.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("a callback for sales: HTTP %d", resp.StatusCode)
	}
	d.Sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 200 * time.Millisecond})

	do(t, ctx, "agent logs in; the softphone registers", login(d, agent.User, agent.Password),
		chromedp.WaitVisible(chromedp.CSS("#view-agent")),
		chromedp.WaitVisible(chromedp.CSS("#ag-phone")),
		until(`window.ccdJsSIP === "3.13.8"`),
		until(`document.querySelector("#sp-state").dataset.state === "registered"`),
		until(textOf("#ag-callbacks")+`.includes("0611223344")`))
	if got := reg.registered(); len(got) == 0 || got[0] != "webrtc-1001" {
		t.Fatalf("registered: %v", got)
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
		until(textOf("#ag-profile-data")+`.includes("sales")`))
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
