package ari_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ccdhq/ccd/ari"
)

// Close ends the event websocket with a close frame (1000, normal closure):
// a real Asterisk logs "Web socket closed abruptly" and "WebSocket read
// error" as warnings for a connection that just goes away, at every clean stop
// of ccd.
func TestCloseSendsNormalClosure(t *testing.T) {
	closed := make(chan error, 1)
	upgrader := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ari/events" {
			http.NotFound(w, r)
			return
		}
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			closed <- err
			return
		}
		defer ws.Close()
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				closed <- err
				return
			}
		}
	}))
	defer srv.Close()
	ctx := testCtx(t)
	c, err := ari.Connect(ctx, ari.Config{URL: srv.URL, Username: "ccd", Password: "secret", Application: "ccd"})
	if err != nil {
		t.Fatal(err)
	}
	for !c.Status().Connected {
		if ctx.Err() != nil {
			t.Fatal("websocket not connected")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.Close()
	var ce *websocket.CloseError
	if err := <-closed; !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
		t.Fatalf("server read %v, want a close frame with code %d", err, websocket.CloseNormalClosure)
	}
}
