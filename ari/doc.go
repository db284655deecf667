// Package ari is a client for the Asterisk REST Interface (ARI): the REST
// API that controls channels, bridges, playbacks and recordings, and the
// websocket on which Asterisk sends the events of a Stasis application.
//
// A Client holds one application's websocket, re-established with backoff
// whenever it drops, and makes REST calls. Resources are handles keyed by
// id (Client.Channel, Client.Bridge, Client.Playback, ...): creating a
// handle costs nothing, each method is one REST call, and each handle can
// subscribe to the events that concern its resource. Events are typed Go
// values generated from the ARI Swagger documentation of Asterisk 22.
//
//	c, err := ari.Connect(ctx, ari.Config{
//		URL:         "http://127.0.0.1:8088",
//		Username:    "ccd",
//		Password:    "secret",
//		Application: "ccd",
//	})
//	if err != nil {
//		return err // invalid configuration; Asterisk being down is not an error
//	}
//	defer c.Close()
//
//	calls := c.Subscribe(ari.EventStasisStart)
//	defer calls.Close()
//	for ev := range calls.C() {
//		start := ev.(*ari.StasisStart)
//		if len(start.Args) > 0 && start.Args[0] == "agent" {
//			continue // an agent we called (see below) answered
//		}
//		caller := c.Channel(start.Channel.ID)
//		if err := caller.Answer(ctx); err != nil {
//			continue // ari.IsNotFound(err): the caller already hung up
//		}
//		// Call an agent into the application; its StasisStart arrives
//		// when it answers, with Args ["agent", "1001"].
//		_, err := c.Originate(ctx, ari.OriginateParams{
//			Endpoint:  "PJSIP/1001",
//			App:       "ccd",
//			AppArgs:   "agent,1001",
//			CallerID:  start.Channel.Caller.Number,
//			ChannelID: "agent-" + start.Channel.ID,
//			Timeout:   15,
//		})
//		if err != nil {
//			log.Print(err)
//		}
//		// Follow this caller only.
//		go func() {
//			sub := caller.Subscribe(ari.EventChannelHangupRequest, ari.EventStasisEnd)
//			defer sub.Close()
//			for ev := range sub.C() {
//				if ev.EventType() == ari.EventStasisEnd {
//					return
//				}
//			}
//		}()
//	}
//
// # Events
//
// Every event of the ARI model has a Go type implementing Event
// (*StasisStart, *ChannelHangupRequest, *Dial, ...), and Decode turns a
// websocket message into one; types it does not know become
// *UnknownEvent. Subscriptions filter by type and, for handle
// subscriptions, by the resources an event references (see Keys): a
// channel's subscription also gets Dial events where it is the peer or
// caller, and playback and recording events targeting it. Subscriptions
// buffer without bound, so a slow consumer never costs events; close them
// when done.
//
// Decode does not use reflection: the generated code scans the JSON once
// with a strict, allocation-lean reader, which keeps up with well over
// 200,000 captured events per second on one core.
//
// # Reconnection
//
// When the websocket drops, Asterisk keeps the application's channels in
// Stasis (a caller on hold keeps hearing music) and sends their later
// events to the next websocket of the same application, without a new
// StasisStart. Config.OnConnect is called after every (re)connection with
// the channels GET /channels reports inside the application (see
// InApplication), before any event of the new connection is delivered, so
// an application can re-adopt the calls that survived.
//
// # Errors
//
// REST failures are *Error values carrying Asterisk's status and message;
// IsNotFound (404), IsConflict (409), IsPreconditionFailed (412),
// IsUnprocessable (422) and IsBadRequest (400) test for the common cases.
//
// # Testing
//
// Package aritest provides fake ARI servers: one replays recorded calls,
// the other simulates channels and bridges the way Asterisk 22
// behaves.
package ari
