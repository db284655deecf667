package ami_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/ami/amitest"
)

func ExampleReader() {
	stream := "Asterisk Call Manager/11.0.0\r\n" +
		"Event: VarSet\r\nVariable: DIALEDTIME\r\nValue: 5\r\n\r\n" +
		"Event: Hangup\r\nChannel: PJSIP/1001-00000002\r\nCause: 16\r\nCause-txt: Normal Clearing\r\n\r\n"
	r := ami.NewReader(strings.NewReader(stream))
	// Skip the noisy events without parsing them.
	r.SetEventFilter(func(event []byte) bool { return string(event) != "VarSet" })
	for {
		m, err := r.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Print(err) // a *ParseError: the stream can still be read
			continue
		}
		fmt.Println(m.Event(), m.Get("Channel"), m.Get("cause"))
	}
	fmt.Println("skipped:", r.Skipped())
	// Output:
	// Hangup PJSIP/1001-00000002 16
	// skipped: 1
}

func ExampleClient_Originate() {
	srv := amitest.NewServer("ccd", "ccdsecret") // stands in for Asterisk
	defer srv.Close()

	ctx := context.Background()
	connected := make(chan struct{}, 1)
	c, err := ami.Connect(ctx, ami.Config{
		Addr:      srv.Addr(),
		Username:  "ccd",
		Secret:    "ccdsecret",
		OnConnect: func(context.Context, *ami.Client) { connected <- struct{}{} },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	<-connected

	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	ev, err := c.Originate(ctx, ami.Action{Fields: []ami.Field{
		{Key: "Channel", Value: "PJSIP/1001"},
		{Key: "Context", Value: "agents"},
		{Key: "Exten", Value: "1001"},
		{Key: "Priority", Value: "1"},
		{Key: "CallerID", Value: `"Support" <500>`},
	}})
	if err != nil {
		log.Fatal(err) // *ami.OriginateError if the call failed
	}
	fmt.Println(ev.Event(), ev.Response(), ami.ReasonText(4), ev.Get("CallerIDName"))
	// Output: OriginateResponse Success answered Support
}

func ExampleClient_Subscribe() {
	srv := amitest.NewServer("ccd", "ccdsecret")
	defer srv.Close()
	connected := make(chan struct{}, 1)
	c, err := ami.Connect(context.Background(), ami.Config{
		Addr: srv.Addr(), Username: "ccd", Secret: "ccdsecret",
		OnConnect: func(context.Context, *ami.Client) { connected <- struct{}{} },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	hangups := c.Subscribe("Hangup")
	defer hangups.Close()
	<-connected

	srv.Emit(amitest.Event("Newexten", "Channel", "PJSIP/1001-00000001"))
	srv.Emit(amitest.Event("Hangup", "Channel", "PJSIP/1001-00000001", "Cause", "16"))
	ev := <-hangups.C()
	fmt.Println(ev.Get("Channel"), ev.Get("Cause"))
	// Output: PJSIP/1001-00000001 16
}
