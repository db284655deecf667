package queue

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/eventlog"
)

// CRMData is what a CRM answered for a call (the Call Start SQL hook, the
// SIP headers a call came in with) that the queue acts on.
type CRMData struct {
	// Skills an agent must have to get the call; only while it waits.
	Skills []string
	// Record: record the call, named RecordAs (the CRM's call id; the
	// call's own id when empty). A connected call starts recording now, a
	// waiting or ringing one when it connects.
	Record   bool
	RecordAs string
	// TransferNumber is offered to the agent (the call's
	// default_transfer_number).
	TransferNumber string
}

// ApplyCRMData acts on what the CRM answered for a call in the ACD. A call
// no longer in the ACD is ENOTFOUND. Skills for a call that is already
// ringing or connected are ECONFLICT (it has its agent), after the rest is
// applied.
func (a *App) ApplyCRMData(ctx context.Context, callID string, d CRMData) error {
	return a.request(ctx, func() error {
		c, ok := a.engine.Call(callID)
		if !ok {
			return &ccd.Error{Code: ccd.ENOTFOUND, Message: "no call " + strconv.Quote(callID)}
		}
		if d.TransferNumber != "" {
			_ = a.engine.SetTransferNumber(callID, d.TransferNumber)
		}
		if d.Record && c.Recording == "" {
			a.recordFor(c, d.RecordAs)
		}
		if len(d.Skills) > 0 {
			return a.engine.SetRequiredSkills(a.now(), callID, d.Skills)
		}
		return nil
	})
}

// recordFor records a call the CRM wants recorded: a connected call's bridge
// at once, another's when it connects. On the loop.
func (a *App) recordFor(c acd.Call, name string) {
	if name == "" {
		name = c.ID
	}
	if c.State != acd.Connected {
		if cm := a.calls[c.ID]; cm != nil {
			cm.recordAs = name
		}
		return
	}
	rec := dialplan.RecordingName(name, a.now(), nil)
	a.engine.Recording(a.now(), c.ID, rec)
	a.workers.Run(c.ID, func() {
		if err := a.media.RecordBridge(context.Background(), bridgeOf(c.ID), rec); err != nil {
			a.actionFailed("record", c.ID, err)
		}
	})
}

// CRMDataOf is what the queue does with a call.crm_data event: the
// recording is named by the CRM's call id, as the CRM asked.
func CRMDataOf(d ccd.CRMCallData) CRMData {
	return CRMData{Skills: d.Skills, Record: d.Record, RecordAs: d.CRMCallID, TransferNumber: d.DefaultTransferNumber}
}

// FollowCRMData acts on every call.crm_data event committed to the event
// log (hub: this process's fan-out) until ctx ends. The CRM answers off the
// call path: a call that is gone by then is let go, skills for a call
// already ringing or connected come too late (a log line); the rest is
// applied.
func (a *App) FollowCRMData(ctx context.Context, hub *eventlog.Hub) {
	sub := hub.Subscribe(10000)
	defer sub.Close()
	for {
		d, err := sub.Next(ctx)
		if err != nil {
			return
		}
		for _, e := range d.Events {
			if e.Kind == ccd.EventCallCRMData {
				a.applyCRMEvent(ctx, e)
			}
		}
	}
}

func (a *App) applyCRMEvent(ctx context.Context, e eventlog.Event) {
	var d ccd.CRMCallData
	if err := json.Unmarshal(e.Payload, &d); err != nil {
		a.log.Warn("unreadable CRM call data", "call_id", e.CallID, "err", err)
		return
	}
	if d.Origin == ccd.CRMOriginSIP {
		return // applied as the call arrived
	}
	err := a.ApplyCRMData(ctx, e.CallID, CRMDataOf(d))
	var ce *ccd.Error
	switch {
	case err == nil:
	case errors.As(err, &ce) && ce.Code == ccd.ENOTFOUND:
		a.log.Info("the CRM answered for a call no longer in the queues", "call_id", e.CallID)
	case errors.As(err, &ce) && ce.Code == ccd.ECONFLICT:
		a.log.Info("the CRM's skills came after the call reached an agent: not applied", "call_id", e.CallID, "skills", d.Skills)
	default:
		a.log.Warn("cannot act on the CRM's answer for a call", "call_id", e.CallID, "err", err)
	}
}

// arrivedWithCRM applies the call data a call brought (SIP headers) before
// the call looks for an agent: its skills and transfer number go with the
// arrival, its recording with the connect; call.crm_data records it (and
// brings the URL to the agent's screen pop) ahead of the call's offer.
func (a *App) arrivedWithCRM(now time.Time, in dialplan.Arrival, arrival *acd.Arrival, cm *callMedia) {
	if in.CRM == nil {
		return
	}
	d := CRMDataOf(*in.CRM)
	arrival.RequiredSkills, arrival.TransferNumber = d.Skills, d.TransferNumber
	if d.Record {
		cm.recordAs = cmp.Or(d.RecordAs, in.CallID)
	}
	ev := eventlog.Event{At: now, Kind: ccd.EventCallCRMData, Source: eventlog.SourceAPI, CallID: in.CallID, Queue: in.Queue,
		DNIS: in.DNIS, CLID: in.CLID, Key: "sip:call_data:" + in.CallID, Node: a.cfg.Node, Payload: eventlog.Payload(*in.CRM)}
	if err := a.cfg.Emit(ev); err != nil {
		a.log.Error("event log refused the call data of SIP headers", "call", in.CallID, "err", err)
	}
}
