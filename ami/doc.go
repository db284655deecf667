// Package ami is a client for the Asterisk Manager Interface (AMI), the
// line-based TCP protocol Asterisk uses to report events and accept actions.
//
// The package has two layers.
//
// Reader is a fast, allocation-conscious parser for AMI frames ("Key: Value"
// lines ended by an empty line). It skips the greeting banner, accepts CRLF
// and LF line endings, keeps repeated keys, reports malformed or oversized
// frames as *ParseError without losing its place in the stream, and can drop
// unwanted events (a single call produces hundreds of VarSet and Newexten
// events) before allocating anything for them.
//
// Client is a long-lived connection built on Reader. Connect returns at once
// and a background loop dials, logs in, keeps the connection alive with
// Ping, and reconnects with exponential backoff whenever Asterisk goes away.
// Actions are correlated with their responses by ActionID, so any number of
// goroutines can use a Client concurrently. ListAction collects list
// responses (CoreShowChannels, QueueStatus...), Originate waits for the
// asynchronous OriginateResponse, and Subscribe delivers events through
// per-subscriber unbounded queues so that a slow consumer never blocks the
// connection.
//
// Example:
//
//	c, err := ami.Connect(ctx, ami.Config{
//		Addr:     "127.0.0.1:5038",
//		Username: "ccd",
//		Secret:   "ccdsecret",
//		OnConnect: func(ctx context.Context, c *ami.Client) {
//			// Events were missed while disconnected: resynchronise.
//			_, channels, err := c.ListAction(ctx, ami.Action{Name: "CoreShowChannels"})
//			if err == nil {
//				log.Printf("%d channels up", len(channels))
//			}
//		},
//	})
//	if err != nil {
//		log.Fatal(err) // invalid configuration
//	}
//	defer c.Close()
//
//	hangups := c.Subscribe("Hangup")
//	defer hangups.Close()
//	for ev := range hangups.C() {
//		log.Printf("%s hung up: cause %s", ev.Get("Channel"), ev.Get("Cause"))
//	}
//
// Package amitest provides a fake AMI server for testing code that uses
// this package.
package ami
