package callback

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/dialplan/media"
)

// maxEntries bounds the numbers a caller may key before the offer ends.
const maxEntries = 3

// dialog is one caller's callback offer: the number read back, the keys
// typed, the timer of the prompt's answer.
type dialog struct {
	call     ccd.Call
	queue    string
	number   string // the number to call back, once one is valid
	entering bool
	digits   media.Digits
	entries  int
	playback string // the prompt playing
	seq      int
	timer    *time.Timer
	accepted bool // thanked: hung up after the prompt
	done     bool
}

// Offer takes a caller the queue handed over: it reads back the number the
// caller called from and asks to confirm it with 1 or to key another one
// ended by #. * or no answer in time gives the caller back to the queue.
func (a *App) Offer(call ccd.Call, queue string) {
	d := &dialog{call: call, queue: queue}
	a.mu.Lock()
	a.dialogs[call.ID] = d
	if a.cfg.Manager.CheckNumber(call.CLID) == nil {
		d.number = call.CLID
		a.prompt(d, a.cfg.Callbacks.Prompts.Confirm+","+a.cfg.Callbacks.Prompts.Enter)
	} else {
		a.startEntry(d)
	}
	a.mu.Unlock()
}

// Abort ends an offer whose caller the queue took back (an agent answered).
func (a *App) Abort(callID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if d := a.dialogs[callID]; d != nil {
		a.end(d)
	}
}

// prompt plays media to the caller (a.mu held); the answer is awaited from
// its end.
func (a *App) prompt(d *dialog, prompt string) {
	d.seq++
	// Ids unique across the caller's offers: Asterisk refuses an id in use.
	a.prompts++
	id := "cbo-" + d.call.ID + "-" + strconv.Itoa(a.prompts)
	d.playback = id
	a.stopTimer(d)
	sounds := config.Media(prompt, "", d.number)
	callID := d.call.ID
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.media.StopMOH(ctx, callID)
		if err := a.media.Play(ctx, callID, id, sounds...); err != nil {
			a.log.Warn("callback offer prompt not played", "call", callID, "err", err)
			a.playbackFinished(callID, id)
		}
	}()
}

func (a *App) startEntry(d *dialog) {
	d.entering, d.digits = true, media.Digits{Max: 20, Terminator: "#"}
	a.prompt(d, a.cfg.Callbacks.Prompts.Enter)
}

// playbackFinished starts the wait for the caller's answer, or hangs up a
// caller who was thanked.
func (a *App) playbackFinished(callID, id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.dialogs[callID]
	if d == nil || d.playback != id {
		return
	}
	d.playback = ""
	if d.accepted {
		a.hangupCaller(d)
		return
	}
	a.stopTimer(d)
	seq := d.seq
	d.timer = time.AfterFunc(a.cfg.Callbacks.InputTimeout, func() { a.timedOut(callID, seq) })
}

func (a *App) timedOut(callID string, seq int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.dialogs[callID]
	if d == nil || d.seq != seq || d.accepted {
		return
	}
	a.decline(d)
}

// key takes a key the caller pressed.
func (a *App) key(callID, digit string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.dialogs[callID]
	if d == nil || d.accepted {
		return
	}
	a.stopTimer(d)
	if d.playback != "" { // keys interrupt the prompt
		id := d.playback
		d.playback = ""
		go func() { _ = a.media.StopPlayback(context.Background(), id) }()
	}
	switch {
	case digit == "*" && !d.entering:
		a.decline(d)
	case !d.entering && digit == "1" && d.number != "":
		a.accept(d)
	case !d.entering:
		d.entering, d.digits = true, media.Digits{Max: 20, Terminator: "#"}
		a.typed(d, digit)
	default:
		a.typed(d, digit)
	}
}

// typed adds a key to the number being entered; a complete number is read
// back for confirmation, a number that may not be called is asked again.
func (a *App) typed(d *dialog, digit string) {
	if !d.digits.Add(digit) {
		seq := d.seq
		d.timer = time.AfterFunc(a.cfg.Callbacks.InputTimeout, func() { a.timedOut(d.call.ID, seq) })
		return
	}
	d.entries++
	number := d.digits.Value()
	if a.cfg.Manager.CheckNumber(number) != nil {
		if d.entries >= maxEntries {
			a.decline(d)
			return
		}
		a.startEntry(d)
		return
	}
	d.number, d.entering = number, false
	a.prompt(d, a.cfg.Callbacks.Prompts.Confirm)
}

// accept ends the caller's call in the queue, stores the callback with the
// place the call had, thanks the caller and hangs up.
func (a *App) accept(d *dialog) {
	d.accepted = true
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		call, err := a.cfg.Queue.OfferAccepted(ctx, d.call.ID)
		if err != nil {
			// An agent is ringing for the caller: the queue takes it back.
			a.log.Info("callback not taken: the call is being answered", "call", d.call.ID, "err", err)
			a.mu.Lock()
			d.accepted = false
			a.decline(d)
			a.mu.Unlock()
			return
		}
		if _, err := a.cfg.Manager.CallerAccepted(ctx, call, d.queue, d.number, call.OfferedAt); err != nil {
			a.log.Error("callback accepted by the caller but not stored", "call", d.call.ID, "number", d.number, "err", err)
		}
		a.mu.Lock()
		a.prompt(d, a.cfg.Callbacks.Prompts.Accepted)
		// Hung up when the thanks end, or after this at the latest.
		seq := d.seq
		d.timer = time.AfterFunc(15*time.Second, func() {
			a.mu.Lock()
			defer a.mu.Unlock()
			if d.seq == seq && !d.done {
				a.hangupCaller(d)
			}
		})
		a.mu.Unlock()
	}()
}

// decline gives the caller back to the queue (a.mu held).
func (a *App) decline(d *dialog) {
	a.end(d)
	if id := d.playback; id != "" {
		go func() { _ = a.media.StopPlayback(context.Background(), id) }()
	}
	// Not under a.mu: the queue's loop may be waiting for it (Abort).
	go a.cfg.Queue.OfferDeclined(d.call.ID)
}

func (a *App) hangupCaller(d *dialog) {
	a.end(d)
	id := d.call.ID
	go func() { _ = a.media.Hangup(context.Background(), id, "normal") }()
}

// end forgets a dialog (a.mu held).
func (a *App) end(d *dialog) {
	d.done = true
	a.stopTimer(d)
	if a.dialogs[d.call.ID] == d {
		delete(a.dialogs, d.call.ID)
	}
}

func (a *App) stopTimer(d *dialog) {
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}

// handleDialog takes an event of a caller in an offer; false when the
// channel is in none.
func (a *App) handleDialog(e ari.Event) bool {
	switch v := e.(type) {
	case *ari.ChannelDtmfReceived:
		if !a.inDialog(v.Channel.ID) {
			return false
		}
		a.key(v.Channel.ID, v.Digit)
	case *ari.PlaybackFinished:
		callID := dialogOfPlayback(v.Playback.ID)
		if callID == "" {
			return false
		}
		a.playbackFinished(callID, v.Playback.ID)
	case *ari.StasisEnd:
		return a.callerLeft(v.Channel.ID)
	case *ari.ChannelDestroyed:
		return a.callerLeft(v.Channel.ID)
	default:
		return false
	}
	return true
}

func (a *App) inDialog(callID string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dialogs[callID] != nil
}

// callerLeft ends the offer of a caller who hung up; one who accepted has
// left the queue already.
func (a *App) callerLeft(callID string) bool {
	a.mu.Lock()
	d := a.dialogs[callID]
	if d != nil {
		a.end(d)
	}
	a.mu.Unlock()
	if d == nil {
		return false
	}
	if !d.accepted {
		a.cfg.Queue.OfferCallerLeft(callID)
	}
	return true
}

// dialogOfPlayback is the caller of an offer prompt's playback id.
func dialogOfPlayback(id string) string {
	rest, ok := strings.CutPrefix(id, "cbo-")
	if !ok {
		return ""
	}
	for i := len(rest) - 1; i > 0; i-- {
		if rest[i] == '-' {
			return rest[:i]
		}
	}
	return ""
}
