package stasis

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
)

// recordingApp remembers what the dispatcher gave it.
type recordingApp struct {
	mu     sync.Mutex
	starts []string // channel:args
	events []string // type:channel
}

func (r *recordingApp) Start(e *ari.StasisStart, args []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts = append(r.starts, e.Channel.ID+":"+stringsJoin(args))
}

func (r *recordingApp) Handle(e ari.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := ""
	for _, k := range ari.Keys(e) {
		if k.Kind == ari.KindChannel {
			id = k.ID
			break
		}
	}
	r.events = append(r.events, e.EventType()+":"+id)
}

func stringsJoin(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

func start(id string, args ...string) *ari.StasisStart {
	return &ari.StasisStart{Channel: ari.Channel{ID: id}, Args: args}
}

func hold(id string) *ari.ChannelHold { return &ari.ChannelHold{Channel: ari.Channel{ID: id}} }

// handing over is what an inbound router does: the channel is the next
// application's before it is told about it.
type handingOver struct {
	d  *Dispatcher
	to App
}

func (h handingOver) Start(e *ari.StasisStart, args []string) {
	h.d.Handoff(e.Channel.ID, h.to)
	h.to.Start(e, args)
}
func (h handingOver) Handle(ari.Event) {}

func TestDispatchByEntryOwnerAndHandoff(t *testing.T) {
	queue, agent, fallback := &recordingApp{}, &recordingApp{}, &recordingApp{}
	var seen []string
	d := New(Config{Default: "inbound", Fallback: fallback, Observers: []func(ari.Event){func(e ari.Event) { seen = append(seen, e.EventType()) }}})
	d.Register("queue", queue)
	d.Register("agent", agent)
	d.Register("inbound", handingOver{d, queue})

	d.Dispatch(start("c1", "queue", "sales", "2"))
	d.Dispatch(start("c2", "inbound", "100"))
	d.Dispatch(start("c3", "whatever"))    // no such entry: the default one, with every argument
	d.Dispatch(start("a1", "agent", "c1")) // an agent answering
	d.Dispatch(hold("c2"))                 // owned by queue after the handoff
	d.Dispatch(hold("a1"))                 // owned by agent
	d.Dispatch(&ari.StasisEnd{Channel: ari.Channel{ID: "c1"}})
	d.Dispatch(hold("c1")) // after StasisEnd: nobody's
	d.Dispatch(hold("x9")) // never seen
	d.Handoff("x8", agent) // an application claims a channel it creates
	d.Dispatch(&ari.Dial{Peer: ari.Channel{ID: "x8"}, DialStatus: "RINGING"})
	d.Handoff("x7", agent)
	d.Release("x7") // Asterisk refused to create it
	d.Dispatch(hold("x7"))

	if want := []string{"c1:sales,2", "c2:100", "c3:whatever"}; !slices.Equal(queue.starts, want) {
		t.Fatalf("queue starts %v, want %v", queue.starts, want)
	}
	if want := []string{"ChannelHold:c2", "StasisEnd:c1"}; !slices.Equal(queue.events, want) {
		t.Fatalf("queue events %v, want %v", queue.events, want)
	}
	if want := []string{"a1:c1"}; !slices.Equal(agent.starts, want) {
		t.Fatalf("agent starts %v", agent.starts)
	}
	if want := []string{"ChannelHold:a1", "Dial:x8"}; !slices.Equal(agent.events, want) {
		t.Fatalf("agent events %v, want %v", agent.events, want)
	}
	if want := []string{"ChannelHold:c1", "ChannelHold:x9", "ChannelHold:x7"}; !slices.Equal(fallback.events, want) {
		t.Fatalf("fallback events %v, want %v", fallback.events, want)
	}
	if len(seen) != 11 {
		t.Fatalf("observers saw %d events, want every one of 11: %v", len(seen), seen)
	}
}

func TestAdoptGivesChannelsBackByEntry(t *testing.T) {
	queue, fallback := &recordingApp{}, &recordingApp{}
	d := New(Config{Default: "inbound", Fallback: fallback})
	d.Register("queue", queue)
	d.Register("inbound", &recordingApp{})
	d.Adopt([]ari.Channel{
		{ID: "q1", Dialplan: ari.DialplanCEP{AppName: "Stasis", AppData: "ccd,queue,sales"}},
		{ID: "i1", Dialplan: ari.DialplanCEP{AppName: "Stasis", AppData: "ccd,inbound,100"}},
	})
	d.Dispatch(hold("q1"))
	d.Dispatch(hold("i1"))
	if !slices.Equal(queue.events, []string{"ChannelHold:q1"}) || !slices.Equal(fallback.events, []string{"ChannelHold:i1"}) {
		t.Fatalf("queue %v fallback %v", queue.events, fallback.events)
	}
}

func TestLoopingCallerIsRefused(t *testing.T) {
	hung := make(chan string, 1)
	queue := &recordingApp{}
	d := New(Config{Default: "queue", Hangup: func(ch string) { hung <- ch }})
	d.Register("queue", queue)
	now := time.Now()
	for i := 0; i < 5; i++ {
		if d.looping(now.Add(time.Duration(i)*100*time.Millisecond), "c") {
			t.Fatalf("entry %d taken for a loop", i+1)
		}
	}
	if !d.looping(now.Add(time.Second), "c") {
		t.Fatal("a 6th entry within 10 s is not a loop")
	}
	if d.looping(now.Add(time.Minute), "c") || d.looping(now, "other") {
		t.Fatal("entries far apart, or of another channel, taken for a loop")
	}
	for i := 0; i < 6; i++ {
		d.Dispatch(start("l1", "queue", "sales"))
	}
	if got := <-hung; got != "l1" || len(queue.starts) != 5 {
		t.Fatalf("hung up %q after %d starts", got, len(queue.starts))
	}
}

// A channel sent to the dialplan and coming back (the dialer's AMD step)
// stays its owner's while it is out: its hangup there reaches the owner,
// not the fallback. Without Returning it goes to the fallback.
func TestReturningChannelKeepsItsOwnerOutsideStasis(t *testing.T) {
	dialer, fallback := &recordingApp{}, &recordingApp{}
	d := New(Config{Default: "inbound", Fallback: fallback})
	d.Register("dialer", dialer)

	d.Dispatch(start("out1", "dialer", "7"))
	d.Returning("out1")
	d.Dispatch(&ari.StasisEnd{Channel: ari.Channel{ID: "out1"}})
	d.Dispatch(&ari.ChannelVarset{Variable: "AMDSTATUS", Channel: &ari.Channel{ID: "out1"}})
	d.Dispatch(start("out1", "dialer", "amd"))
	d.Dispatch(&ari.StasisEnd{Channel: ari.Channel{ID: "out1"}}) // not marked again: forgotten
	d.Dispatch(&ari.ChannelDestroyed{Channel: ari.Channel{ID: "out1"}})

	want := []string{"StasisEnd:out1", "ChannelVarset:out1", "StasisEnd:out1"}
	if !slices.Equal(dialer.events, want) {
		t.Fatalf("dialer got %v, want %v", dialer.events, want)
	}
	if !slices.Equal(fallback.events, []string{"ChannelDestroyed:out1"}) {
		t.Fatalf("fallback got %v", fallback.events)
	}
	if len(dialer.starts) != 2 {
		t.Fatalf("starts %v", dialer.starts)
	}
}
