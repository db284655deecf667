package queue

import (
	"context"
	"runtime"
	"strconv"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/dialplan/media"
)

// flush carries out what the engine decided and logs its events.
func (a *App) flush() {
	// Carrying an action out may produce more (a recording's name): until
	// the engine has nothing left.
	for {
		actions, events := a.engine.Take()
		if len(actions)+len(events) == 0 {
			a.startSetups() // callers with no decision yet (a lookup, no route)
			clear(a.reached)
			return
		}
		for _, ev := range events {
			row := ToLog(ev)
			row.Node = a.cfg.Node
			if err := a.cfg.Emit(row); err != nil {
				a.log.Error("event log refused an ACD event", "kind", ev.Kind, "call", ev.CallID, "err", err)
			}
		}
		// Offers first: ringing an agent is what a waiting caller waits
		// for; then the new callers' answer and greeting, then the rest. A
		// call's own steps keep their order: an offer runs on the agent
		// channel's worker, the caller's media on the caller's.
		offered := false
		for _, act := range actions {
			if act.Kind == acd.Offer {
				a.carryOut(act)
				offered = true
			}
		}
		if offered {
			// The originates' goroutines run now, on this thread, before the
			// loop goes on with the setups and the next callers: left to
			// another thread, they wait until the kernel schedules it, which
			// on a machine busy with a burst is the offer's largest delay.
			runtime.Gosched()
		}
		a.startSetups()
		for _, act := range actions {
			if act.Kind != acd.Offer {
				a.carryOut(act)
			}
		}
	}
}

// startSetups hands the new callers' answer and greeting to their workers.
func (a *App) startSetups() {
	for id, f := range a.setup {
		a.workers.Run(id, f)
		delete(a.setup, id)
	}
}

func (a *App) actionFailed(what, channel string, err error) {
	if ari.IsNotFound(err) {
		return // the channel is gone; its StasisEnd or ChannelDestroyed tells the rest
	}
	a.stats.ActionErrors.Add(1)
	a.log.Warn("asterisk refused a queue action", "action", what, "channel", channel, "err", err)
}

// carryOut hands one action to the call's worker.
func (a *App) carryOut(act acd.Action) {
	ctx := context.Background()
	if a.virtualAction(act) {
		return
	}
	cm := a.calls[act.CallID]
	if a.offerAction(act, cm) {
		return
	}
	if cm == nil {
		cm = &callMedia{} // restored or already gone: act anyway
	}
	switch act.Kind {
	case acd.Offer:
		a.stats.Offers.Add(1)
		call := media.AgentCall{ChannelID: act.Channel, CallID: act.CallID, Endpoint: act.Endpoint, CallerID: act.CallerID, Timeout: act.Timeout + 2*time.Second,
			AutoAnswer: a.autoAnswer[act.Agent]}
		// The agent's channel is the application's before Asterisk knows it:
		// its first events (Dial, ChannelDestroyed) come here.
		if a.cfg.Owners != nil {
			a.cfg.Owners.Handoff(act.Channel, a)
		}
		// On the agent channel's worker: ringing the agent need not wait for
		// the caller's answer; a Cancel of this offer uses the same worker.
		reached, onArrival := a.reached[act.CallID]
		delete(a.reached, act.CallID)
		a.workers.Ring(act.Channel, func() {
			if onArrival && a.cfg.OfferStarted != nil {
				a.cfg.OfferStarted(time.Since(reached))
			}
			if err := a.media.RingAgent(ctx, call); err != nil {
				a.log.Warn("cannot ring agent", "agent", act.Agent, "endpoint", act.Endpoint, "err", err)
				if a.cfg.Owners != nil {
					a.cfg.Owners.Release(act.Channel)
				}
				a.send(func() { a.engine.AgentGone(a.now(), act.Channel, acd.Unavailable) })
			}
		})
	case acd.Cancel, acd.HangupAgent:
		run := a.workers.Run
		key := act.CallID
		if act.Kind == acd.Cancel {
			run, key = a.workers.Ring, act.Channel // after its Offer
		}
		run(key, func() {
			if err := a.media.Hangup(ctx, act.Channel, "normal"); err != nil {
				a.actionFailed("hangup agent", act.Channel, err)
			}
			if act.Kind == acd.HangupAgent {
				_ = a.media.DestroyBridge(ctx, bridgeOf(act.CallID))
			}
		})
	case acd.Music:
		cm.waiting, cm.moh = true, act.MOHClass
		a.armOffer(act.CallID, act.Queue)
		if cm.playing != "" {
			return // resumed when the playback ends
		}
		a.workers.Run(act.CallID, func() {
			if err := a.media.StartMOH(ctx, act.CallID, act.MOHClass); err != nil {
				a.actionFailed("music", act.CallID, err)
			}
		})
	case acd.Announce:
		if cm.playing != "" {
			return
		}
		cm.announce++
		id := announcementID(act.CallID, cm.announce)
		cm.playing = id
		sounds := media.Announcement(act.Position, act.Expected)
		a.workers.Run(act.CallID, func() {
			_ = a.media.StopMOH(ctx, act.CallID)
			if err := a.media.Play(ctx, act.CallID, id, sounds...); err != nil {
				a.actionFailed("announce", act.CallID, err)
				a.send(func() { a.playbackFinished(id) })
			}
		})
	case acd.Connect:
		cm.waiting = false
		playing := cm.playing
		cm.playing = ""
		bridge := bridgeOf(act.CallID)
		rec := ""
		if act.Record || cm.recordAs != "" {
			c, _ := a.engine.Call(act.CallID)
			pattern := a.cfg.ACD.RecordingName
			if cm.recordAs != "" {
				pattern = cm.recordAs // named by the CRM's call id
			}
			rec = dialplan.RecordingName(pattern, a.now(), map[string]string{
				"queue": act.Queue, "callid": act.CallID, "agent": act.Agent, "clid": c.CLID, "dnis": c.DNIS})
			if c.Recording != "" {
				// Connected before (transferred back into a queue): the first
				// leg's file exists, and recordings never overwrite.
				rec += "-" + strconv.Itoa(c.Offers)
			}
			a.engine.Recording(a.now(), act.CallID, rec)
		}
		agentName := ""
		if ag, err := a.engine.Agent(act.Agent); err == nil {
			agentName = ag.Name
		}
		a.workers.Run(act.CallID, func() {
			if playing != "" {
				_ = a.media.StopPlayback(ctx, playing)
			}
			// The caller's phone shows who answered (connected line).
			_ = a.media.ShowConnected(ctx, act.CallID, act.Agent, agentName)
			if err := a.media.Connect(ctx, bridge, act.CallID, act.Channel, rec); err != nil {
				a.actionFailed("connect", act.CallID, err)
			}
		})
	case acd.SendTo:
		delete(a.calls, act.CallID)
		a.workers.Run(act.CallID, func() {
			_ = a.media.StopMOH(ctx, act.CallID)
			if err := a.media.SendTo(ctx, act.CallID, act.Extension); err != nil {
				a.actionFailed("send to "+act.Extension, act.CallID, err)
				_ = a.media.Hangup(ctx, act.CallID, "normal")
			}
			_ = a.media.DestroyBridge(ctx, bridgeOf(act.CallID))
		})
	case acd.HangupCaller:
		delete(a.calls, act.CallID)
		a.workers.Run(act.CallID, func() {
			if err := a.media.Hangup(ctx, act.CallID, "normal"); err != nil {
				a.actionFailed("hangup caller", act.CallID, err)
			}
			_ = a.media.DestroyBridge(ctx, bridgeOf(act.CallID))
		})
	}
}

// bridgeOf names the bridge of a call: one per call, so any step can find it.
func bridgeOf(callID string) string { return "ccd-" + callID }
