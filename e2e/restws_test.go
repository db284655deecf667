package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
)

// On a real Asterisk 22 the ari client's requests go over the event
// websocket once Asterisk has answered there, with the same results and
// errors as over HTTP: a channel is created into the application, a
// variable with spaces and a semicolon is set through a JSON body and read
// back, an unknown channel is a 404, a bad hangup reason a 400.
func TestARIRESTOverWebSocket(t *testing.T) {
	e := setup(t)
	ctx := ctxT(t, time.Minute)
	app := e.cfg.ARI.Application + "-restws"
	c, err := ari.Connect(context.Background(), ari.Config{URL: e.cfg.ARI.URL, Username: e.cfg.ARI.Username,
		Password: e.cfg.ARI.Password, Application: app, RESTOverWebSocket: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitFor(t, 10*time.Second, "REST requests over the websocket", c.RESTOverWebSocket)
	starts := c.Subscribe(ari.EventStasisStart)
	defer starts.Close()

	id := uniq("restws")
	ch, err := c.CreateChannel(ctx, ari.CreateChannelParams{Endpoint: "Local/s@default", App: app, ChannelID: id})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Channel(id).Hangup(context.Background(), "normal") }()
	if ch.ID != id || ch.Name == "" {
		t.Fatalf("created %+v", ch)
	}
	if _, err := starts.Next(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Channel(id).SetVariable(ctx, "CCD_TEST", "b a;r"); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Channel(id).GetVariable(ctx, "CCD_TEST"); err != nil || v != "b a;r" {
		t.Fatalf("variable %q %v", v, err)
	}
	if _, err := c.Channel(id + "-none").Get(ctx); !ari.IsNotFound(err) {
		t.Fatalf("unknown channel: %v", err)
	}
	if err := c.Channel(id).Hangup(ctx, "because"); !ari.IsBadRequest(err) {
		t.Fatalf("bad hangup reason: %v", err)
	}
	if !c.RESTOverWebSocket() {
		t.Fatal("the client went back to HTTP")
	}
}
