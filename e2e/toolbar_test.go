package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/config"
	"github.com/gorilla/websocket"
)

// An agent logged in with its password connects its toolbar; a caller
// placed through the real Asterisk is offered to the agent, who answers
// (its phone answers after 1 s) and hangs up after 5 s: the toolbar gets
// OnScreenPopUpData before the answer, then OnCall(1) and OnCall(0), all
// with the caller's call id.
func TestToolbarFollowsAnAnsweredQueueCall(t *testing.T) {
	e := setup(t)
	password := randomHex(16)
	e.queueFor(false, config.Agent{ID: "1001", Endpoint: "Local/1001@agents", Password: password})
	e.cfg.ACD.Queues[0].ScreenPop = []string{"https://crm.example/pop?clid={CLID}&call={CALLID}"}
	e.startDaemon(t)
	ctx := ctxT(t, 2*time.Minute)

	resp, err := http.Post("http://"+e.cfg.Listen+"/api/v1/login", "application/json",
		strings.NewReader(`{"username":"1001","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &login) != nil {
		t.Fatalf("login: %s %s", resp.Status, b)
	}
	e.agentRequest(t, ctx, "1001", "login")
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+e.cfg.Listen+"/api/agents/1001/toolbar",
		http.Header{"Authorization": {"Bearer " + login.Token}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()

	caller := e.placeCaller(t, ctx, uniq("itest-toolbar"))
	type msg struct {
		Event      string   `json:"event"`
		CLID       string   `json:"clid"`
		DNIS       string   `json:"dnis"`
		CallID     string   `json:"callId"`
		URLs       []string `json:"urls"`
		IsAnswer   int      `json:"isAnswer"`
		IsRecorded int      `json:"isRecorded"`
	}
	var got []msg
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for len(got) < 3 {
		var m msg
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("after %+v: %v", got, err)
		}
		if m.Event != "OnQueuesInfoData" {
			got = append(got, m)
		}
	}
	pop, on, off := got[0], got[1], got[2]
	if pop.Event != "OnScreenPopUpData" || pop.CallID != caller || pop.CLID != "5551234" || pop.DNIS != "5551234" ||
		len(pop.URLs) != 1 || !strings.Contains(pop.URLs[0], "clid=5551234") {
		t.Fatalf("first message %+v, want OnScreenPopUpData of %s", pop, caller)
	}
	if on.Event != "OnCall" || on.CallID != caller || on.IsAnswer != 1 || on.IsRecorded != 0 {
		t.Fatalf("second message %+v, want OnCall(%s, 1, 0)", on, caller)
	}
	if off.Event != "OnCall" || off.CallID != caller || off.IsAnswer != 0 {
		t.Fatalf("third message %+v, want OnCall(%s, 0, 0)", off, caller)
	}
}
