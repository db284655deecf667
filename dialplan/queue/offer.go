package queue

import (
	"context"
	"strconv"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan/stasis"
)

// CallbackOffers is the callback application's side of the offer to a
// waiting caller: the queue hands it the caller's channel (Offer), and
// takes it back when an agent answers meanwhile (Abort). Both are called on
// the queue's loop and must return at once.
type CallbackOffers interface {
	stasis.App
	Offer(call ccd.Call, queue string)
	Abort(callID string)
}

// SetCallbackOffers makes the queues of cfg offer callbacks through o; call
// it before Run.
func (a *App) SetCallbackOffers(o CallbackOffers, cfg config.Callbacks) {
	a.offers, a.offerCfg = o, cfg
}

// offerState is what the loop keeps of a caller's callback offers.
type offerState struct {
	armed   map[string]bool // queues whose timers run for the call
	inOffer bool            // the callback application has the caller
	key     string          // the offer key of the queue the caller waits in
	queue   string
	n       int // periodic announcements of the key
}

// armOffer starts the offer timers of a caller who starts waiting in queue
// (once per queue): the offer after offer_after, the key's announcement
// every offer_every.
func (a *App) armOffer(callID, queue string) {
	q, ok := a.offerCfg.Queue(queue)
	cm := a.calls[callID]
	if a.offers == nil || !ok || cm == nil {
		return
	}
	if cm.offer == nil {
		cm.offer = &offerState{armed: map[string]bool{}}
	}
	cm.offer.key, cm.offer.queue = q.OfferKey, queue
	if cm.offer.armed[queue] {
		return
	}
	cm.offer.armed[queue] = true
	if q.OfferAfter > 0 {
		time.AfterFunc(q.OfferAfter, func() { a.send(func() { a.offerCallback(callID, queue) }) })
	}
	if q.OfferKey != "" && q.OfferEvery > 0 {
		a.announceKeyAfter(callID, queue, q.OfferEvery)
	}
}

func (a *App) announceKeyAfter(callID, queue string, every time.Duration) {
	time.AfterFunc(every, func() {
		a.send(func() {
			if a.announceKey(callID, queue) {
				a.announceKeyAfter(callID, queue, every)
			}
		})
	})
}

// announceKey tells a waiting caller which key asks for a callback, between
// two stretches of music; false once the caller is no longer waiting there.
func (a *App) announceKey(callID, queue string) bool {
	cm := a.calls[callID]
	c, ok := a.engine.Call(callID)
	if cm == nil || cm.offer == nil || !ok || c.Queue != queue {
		return false
	}
	if cm.offer.inOffer || cm.playing != "" || c.State != acd.Waiting {
		return true // not now; the next time
	}
	q, _ := a.offerCfg.Queue(queue)
	cm.offer.n++
	id := "ann-" + callID + "-cb" + strconv.Itoa(cm.offer.n)
	cm.playing = id
	sounds := config.Media(a.offerCfg.Prompts.Offer, q.OfferKey, "")
	a.workers.Run(callID, func() {
		ctx := context.Background()
		_ = a.media.StopMOH(ctx, callID)
		if err := a.media.Play(ctx, callID, id, sounds...); err != nil {
			a.actionFailed("announce callback key", callID, err)
			a.send(func() { a.playbackFinished(id) })
		}
	})
	return true
}

// offerKey takes a key a waiting caller pressed.
func (a *App) offerKey(callID, digit string) {
	if cm := a.calls[callID]; cm != nil && cm.offer != nil && cm.offer.key != "" && digit == cm.offer.key {
		a.offerCallback(callID, cm.offer.queue)
	}
}

// offerCallback hands a caller still waiting in queue to the callback
// application, which offers the callback.
func (a *App) offerCallback(callID, queue string) {
	cm := a.calls[callID]
	c, ok := a.engine.Call(callID)
	if cm == nil || cm.offer == nil || cm.offer.inOffer || !ok || c.State != acd.Waiting || c.Queue != queue {
		return
	}
	if err := a.engine.CallbackOffered(a.now(), callID); err != nil {
		return
	}
	cm.offer.inOffer = true
	if playing := cm.playing; playing != "" {
		cm.playing = ""
		a.workers.Run(callID, func() { _ = a.media.StopPlayback(context.Background(), playing) })
	}
	if a.cfg.Owners != nil {
		a.cfg.Owners.Handoff(callID, a.offers)
	}
	a.offers.Offer(c, queue)
}

// offerAction keeps the queue's media away from a caller who is in the
// offer (music, announcements), and takes the caller back when an agent
// answers meanwhile. It reports whether act is done with.
func (a *App) offerAction(act acd.Action, cm *callMedia) bool {
	if cm == nil || cm.offer == nil || !cm.offer.inOffer {
		return false
	}
	switch act.Kind {
	case acd.Music:
		cm.waiting, cm.moh = true, act.MOHClass
		return true
	case acd.Announce:
		return true
	case acd.Connect, acd.SendTo, acd.HangupCaller:
		a.takeBack(act.CallID, cm)
	}
	return false
}

func (a *App) takeBack(callID string, cm *callMedia) {
	cm.offer.inOffer = false
	if a.cfg.Owners != nil {
		a.cfg.Owners.Handoff(callID, a)
	}
	a.offers.Abort(callID)
}

// OfferDeclined gives the caller back to the queue: the caller pressed *,
// or did not answer the offer in time. The music resumes.
func (a *App) OfferDeclined(callID string) {
	a.send(func() {
		cm := a.calls[callID]
		if cm == nil || cm.offer == nil || !cm.offer.inOffer {
			return
		}
		cm.offer.inOffer = false
		if a.cfg.Owners != nil {
			a.cfg.Owners.Handoff(callID, a)
		}
		if cm.waiting && cm.playing == "" {
			class := cm.moh
			a.workers.Run(callID, func() {
				if err := a.media.StartMOH(context.Background(), callID, class); err != nil {
					a.actionFailed("music", callID, err)
				}
			})
		}
	})
}

// OfferAccepted ends the caller's call in the queue (EndType 108): the
// callback keeps its place from now on. It returns the call as it ended;
// ECONFLICT when an agent is already ringing for it.
func (a *App) OfferAccepted(ctx context.Context, callID string) (ccd.Call, error) {
	var out ccd.Call
	err := a.do(ctx, func() error {
		cm := a.calls[callID]
		if cm == nil || cm.offer == nil || !cm.offer.inOffer {
			return &ccd.Error{Code: ccd.ECONFLICT, Message: "the caller is no longer in the callback offer"}
		}
		c, err := a.engine.EndInIVR(a.now(), callID)
		if err != nil {
			return err
		}
		delete(a.calls, callID)
		out = c
		return nil
	})
	return out, err
}

// OfferCallerLeft reports that a caller hung up during the offer.
func (a *App) OfferCallerLeft(callID string) {
	a.send(func() {
		if cm := a.calls[callID]; cm != nil && cm.offer != nil && cm.offer.inOffer {
			delete(a.calls, callID)
			a.engine.Hangup(a.now(), callID)
		}
	})
}
