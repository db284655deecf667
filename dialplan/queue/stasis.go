package queue

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/dialplan/stasis"
)

// Enqueue takes a caller into a queue: the explicit handoff from another
// application, which has made this one the channel's owner first. It returns
// at once; the arrival is taken in order with the channel's events.
func (a *App) Enqueue(in dialplan.Arrival) {
	reached := time.Now()
	a.inbox.Push(func() { a.enqueue(a.now(), in, reached) })
	letLoopRun()
}

// letLoopRun gives this thread to the loop after a new channel is handed over:
// the dispatcher runs on the goroutine that reads the websocket, which would
// otherwise go on reading the burst's next events while the loop, woken
// meanwhile, waits for the kernel to schedule another thread. On a busy
// machine the caller's offer is then decided before the next event is read,
// not after the whole burst.
func letLoopRun() { runtime.Gosched() }

// Start implements stasis.App: a channel entered with the entry "queue"
// (args: code, priority) or "agent" (the agent answered an offer).
func (a *App) Start(e *ari.StasisStart, args []string) {
	reached := time.Now()
	a.inbox.Push(func() { a.stasisStart(e, reached) })
	letLoopRun()
}

// Handle implements stasis.App: an event of a channel the application owns.
func (a *App) Handle(e ari.Event) {
	a.inbox.Push(func() { a.handle(e) })
}

var _ stasis.App = (*App)(nil)

// handle takes one ARI event.
func (a *App) handle(e ari.Event) {
	now := a.now()
	switch v := e.(type) {
	case *ari.StasisStart:
		a.stasisStart(v, time.Now())
	case *ari.StasisEnd:
		if _, ok := a.calls[v.Channel.ID]; ok {
			delete(a.calls, v.Channel.ID)
			a.engine.Hangup(now, v.Channel.ID)
			return
		}
		if _, ok := a.engine.CallByChannel(v.Channel.ID); ok {
			a.engine.AgentGone(now, v.Channel.ID, "")
		}
	case *ari.Dial:
		// The result of ringing an agent. A busy or congested phone behind a
		// Local channel ends the originated channel with cause 0, so only the
		// Dial status says why; it arrives before the ChannelDestroyed.
		if reason := dialFailure(v.DialStatus); reason != "" {
			if _, ok := a.engine.CallByChannel(v.Peer.ID); ok {
				a.engine.AgentGone(now, v.Peer.ID, reason)
			}
		}
	case *ari.ChannelDestroyed:
		// An agent channel that ends before it answers never reaches Stasis.
		if _, ok := a.engine.CallByChannel(v.Channel.ID); ok {
			a.engine.AgentGone(now, v.Channel.ID, failReason(v.Cause))
		}
	case *ari.BridgeBlindTransfer:
		// The agent's phone transferred the caller (SIP REFER): Asterisk
		// has moved the caller already.
		if strings.EqualFold(v.Result, "Success") && a.engine.TransferredByPhone(now, v.Channel.ID, v.Exten) {
			if v.Transferee != nil {
				delete(a.calls, v.Transferee.ID)
			}
		}
	case *ari.PlaybackFinished:
		a.playbackFinished(v.Playback.ID)
	case *ari.ChannelDtmfReceived:
		a.offerKey(v.Channel.ID, v.Digit)
	case *ari.ChannelHold:
		if id, ok := a.callOf(v.Channel.ID); ok {
			_ = a.engine.Hold(now, id)
		}
	case *ari.ChannelUnhold:
		if id, ok := a.callOf(v.Channel.ID); ok {
			_ = a.engine.Unhold(now, id)
		}
	}
}

func (a *App) callOf(channel string) (string, bool) {
	if _, ok := a.calls[channel]; ok {
		return channel, true
	}
	return a.engine.CallByChannel(channel)
}

// failReason maps the hangup cause of an agent channel that never answered.
func failReason(cause int) string {
	switch cause {
	case 17: // user busy
		return acd.Busy
	case 18, 19, 16: // no user responding, no answer; 16 when cancelled by the far end
		return acd.NoAnswer
	default: // 0 too: a Local channel to a missing extension, a failed dial
		return acd.Unavailable
	}
}

// dialFailure maps the final status of an agent's dial to the reason its offer
// failed; "" for the others (ringing, answered, ccd's own cancel, or no answer,
// which ccd's ring timeout decides).
func dialFailure(status string) string {
	switch status {
	case "BUSY":
		return acd.Busy
	case "CONGESTION", "CHANUNAVAIL":
		return acd.Unavailable
	}
	return ""
}

func (a *App) stasisStart(v *ari.StasisStart, reached time.Time) {
	ch := v.Channel
	if len(v.Args) > 0 && v.Args[0] == "agent" {
		if err := a.engine.OfferAnswered(a.now(), ch.ID); err != nil {
			// An answer to an offer ccd no longer makes (the caller left, or
			// ccd restarted): release the agent's phone.
			a.log.Info("agent answered a withdrawn offer", "channel", ch.ID)
			a.workers.Ring(ch.ID, func() { _ = a.media.Hangup(context.Background(), ch.ID, "normal") })
		}
		return
	}
	in := dialplan.Arrival{CallID: ch.ID, CLID: ch.Caller.Number, DNIS: ch.Dialplan.Exten, Answered: ch.State == ari.ChannelStateUp}
	if len(v.Args) >= 2 && v.Args[0] == "queue" {
		in.Queue = v.Args[1]
		if len(v.Args) >= 3 {
			in.Priority, _ = strconv.Atoi(v.Args[2])
		}
	}
	a.enqueue(a.now(), in, reached)
}

// enqueue takes a caller in. The engine decides first (an agent is rung at
// once when one is free); answering the caller and its greeting are started
// right after that offer is placed, so they are never on its path. A caller
// the dialplan answered is not answered again: in a burst every request
// Asterisk need not serve leaves it more time for the originates.
func (a *App) enqueue(now time.Time, in dialplan.Arrival, reached time.Time) {
	a.stats.Calls.Add(1)
	cm := &callMedia{}
	a.reached[in.CallID] = reached
	a.calls[in.CallID] = cm
	arrival := acd.Arrival{CallID: in.CallID, CLID: in.CLID, DNIS: in.DNIS, AttachData: in.AttachData, Agent: in.Agent}
	q, known := a.queues[in.Queue]
	if !known {
		a.engine.Unrouted(now, arrival)
		return
	}
	arrival.Queue, arrival.Priority = in.Queue, in.Priority
	a.arrivedWithCRM(now, in, &arrival, cm)
	greeting := append(nonEmpty(in.Greeting...), nonEmpty(q.Greeting)...)
	playID := ""
	if len(greeting) > 0 {
		playID = greetingID(in.CallID)
		cm.playing = playID
	}
	callID, waitForLookup := in.CallID, in.Lookup != nil
	if setup := a.callerSetup(callID, in.Answered, playID, greeting, waitForLookup); setup != nil {
		a.setup[callID] = setup
	}
	if in.Lookup != nil {
		a.lookup(callID, arrival, in.Lookup)
		return
	}
	a.arrive(now, arrival)
}

// callerSetup is what a new caller needs before the queue's music: an answer
// (unless answered), then its greeting, or music while the database is asked.
// nil when there is nothing to do.
func (a *App) callerSetup(callID string, answered bool, playID string, greeting []string, waitForLookup bool) func() {
	if answered && playID == "" && !waitForLookup {
		return nil // the queue's music follows
	}
	return func() {
		ctx := context.Background()
		var err error
		if !answered {
			err = a.media.Answer(ctx, callID)
		}
		switch {
		case err != nil:
		case playID != "":
			if err = a.media.Play(ctx, callID, playID, greeting...); err != nil {
				a.send(func() { a.playbackFinished(playID) })
			}
		case waitForLookup:
			err = a.media.StartMOH(ctx, callID, "") // music while the database answers
		}
		if err != nil {
			a.actionFailed("answer", callID, err)
		}
	}
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// lookup asks the route's database, off the loop; the call enters its queue
// when the answer (or the timeout) comes back.
func (a *App) lookup(callID string, in acd.Arrival, l dialplan.Lookup) {
	go func() {
		q, prio, attach, err := l(context.Background(), in.CLID, in.DNIS, in.AttachData)
		a.send(func() {
			if _, ok := a.calls[callID]; !ok {
				return // the caller left while the database was asked
			}
			if err != nil {
				a.log.Warn("routing lookup failed; using the route's queue", "call", callID, "dnis", in.DNIS, "err", err)
			} else {
				if _, ok := a.queues[q]; ok {
					in.Queue = q
				} else if q != "" {
					a.log.Warn("routing lookup named an unknown queue; using the route's", "call", callID, "queue", q)
				}
				if prio >= 1 && prio <= 9 {
					in.Priority = prio
				}
				in.AttachData = attach
			}
			a.arrive(a.now(), in)
		})
	}()
}

func (a *App) arrive(now time.Time, in acd.Arrival) {
	if err := a.engine.Arrive(now, in); err != nil {
		a.log.Warn("call not queued", "call", in.CallID, "err", err)
		a.engine.Unrouted(now, in)
	}
}

// Playback ids name their call: "greet-<call>" and "ann-<call>-<n>".
func greetingID(callID string) string { return "greet-" + callID }

func announcementID(callID string, n int) string { return fmt.Sprintf("ann-%s-%d", callID, n) }

// playbackCall is the call a playback id of the application names.
func playbackCall(id string) string {
	if c, ok := strings.CutPrefix(id, "greet-"); ok {
		return c
	}
	if c, ok := strings.CutPrefix(id, "ann-"); ok {
		if i := strings.LastIndexByte(c, '-'); i > 0 {
			return c[:i]
		}
	}
	return ""
}

// playbackFinished resumes music after a greeting or announcement.
func (a *App) playbackFinished(id string) {
	callID := playbackCall(id)
	cm := a.calls[callID]
	if cm == nil || cm.playing != id {
		return
	}
	cm.playing = ""
	if cm.waiting {
		class := cm.moh
		a.workers.Run(callID, func() {
			if err := a.media.StartMOH(context.Background(), callID, class); err != nil && !ari.IsNotFound(err) {
				a.actionFailed("music", callID, err)
			}
		})
	}
}
