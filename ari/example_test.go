package ari_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/ari/aritest"
)

// A caller enters the application, is answered and hears music on hold;
// an agent is called and both are bridged. The fake Asterisk from aritest
// stands in for a real one.
func Example() {
	sim := aritest.NewSim()
	defer sim.Close()
	sim.SetEndpoint("PJSIP/1001", aritest.Behavior{Action: aritest.EndpointAnswer})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := ari.Connect(ctx, sim.Config("ccd")) // URL, credentials, application
	if err != nil {
		panic(err)
	}
	defer c.Close()
	events := c.Subscribe(ari.EventStasisStart, ari.EventChannelEnteredBridge)
	defer events.Close()

	sim.WaitConnected(ctx, "ccd")
	sim.NewCaller(aritest.CallerOptions{ChannelID: "caller-1", Number: "5551234", Args: []string{"inbound"}})

	ev, _ := events.Next(ctx)
	start := ev.(*ari.StasisStart)
	fmt.Println(start.EventType(), start.Channel.ID, start.Args)
	caller := c.Channel(start.Channel.ID)
	caller.Answer(ctx)
	caller.StartMOH(ctx, "default")

	agent, _ := c.Originate(ctx, ari.OriginateParams{
		Endpoint: "PJSIP/1001", App: "ccd", AppArgs: "agent,1001", ChannelID: "agent-1",
	})
	fmt.Println("originated", agent.ID, agent.State)
	ev, _ = events.Next(ctx)
	fmt.Println(ev.EventType(), ev.(*ari.StasisStart).Args)

	caller.StopMOH(ctx)
	bridge, _ := c.CreateBridge(ctx, ari.CreateBridgeParams{Type: "mixing"})
	c.Bridge(bridge.ID).AddChannels(ctx, caller.ID(), agent.ID)
	for range 2 {
		ev, _ = events.Next(ctx)
		fmt.Println(ev.EventType(), ev.(*ari.ChannelEnteredBridge).Channel.ID)
	}

	err = c.Channel("nobody").Hangup(ctx, "")
	fmt.Println(ari.IsNotFound(err), err)
	// Output:
	// StasisStart caller-1;2 [inbound]
	// originated agent-1 Down
	// StasisStart [agent 1001]
	// ChannelEnteredBridge caller-1;2
	// ChannelEnteredBridge agent-1
	// true ari: DELETE /channels/nobody: 404 Channel not found
}
