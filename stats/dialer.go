package stats

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
)

// dialerCallPrefix starts the call id of every call the dialer places (its
// channel, "dialer-<attempt>").
const dialerCallPrefix = "dialer-"

// isDialerCall says whether a queue call is one the dialer placed: a
// person it reached, handed to the campaign's queue.
func isDialerCall(callID string) bool { return strings.HasPrefix(callID, dialerCallPrefix) }

// dialerResult is the CallsStat row of a dialer attempt that never reached
// a queue (nobody answered, busy, a machine, a hangup during the
// detection): an outbound call (CallType 2), EndType 107. The attempts a
// person answered are the queue's calls, whose rows record marks outbound.
func (a *Aggregator) dialerResult(ev *eventlog.Event) error {
	var p ccd.DialerAttempt
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		return &DecodeError{ID: ev.ID, Kind: ev.Kind, Err: err}
	}
	a.campaignResult(ev, &p)
	if p.Mode == "preview" {
		// An agent's preview call: its clicktocall.ended is the CallsStat
		// row and the agent's outbound call; its talk is the campaign's.
		a.add(ev.At.Unix(), campaignKey(p.CampaignID), colCampaignTalk, seconds(p.TalkMS))
		return nil
	}
	if p.Status == "answered" || p.Status == "abandoned" || !a.inWindow(ev.At.Unix()) {
		return nil
	}
	a.records = append(a.records, CallRecord{CallID: ev.ID, UCID: ev.CallID, CallType: CallOutExternal, DNIS: p.Phone,
		OfferedTS: ev.At.Add(-time.Duration(p.RingMS) * time.Millisecond), InitialQueue: p.Queue, EndType: acd.EndOutboundUnanswered,
		Adata1: fmt.Sprintf("campaign=%d;target=%d;status=%s", p.CampaignID, p.TargetID, p.Status), LastTS: ev.At})
	return nil
}

// Columns of CampaignStat.
var (
	colCampaignAttempts = Tables[CampaignStat].ColumnIndex("attempts")
	colCampaignHuman    = Tables[CampaignStat].ColumnIndex("answered_human")
	colCampaignAbandon  = Tables[CampaignStat].ColumnIndex("abandoned")
)

// campaignColumnOfStatus is the CampaignStat column a result's status
// counts in. An abandoned call is one a person answered (the law's
// denominator), so it counts there too (see campaignResult).
var campaignColumnOfStatus = map[string]int{
	"answered":       colCampaignHuman,
	"abandoned":      colCampaignHuman,
	"machine":        Tables[CampaignStat].ColumnIndex("answered_machine"),
	"no_answer":      Tables[CampaignStat].ColumnIndex("no_answer"),
	"busy":           Tables[CampaignStat].ColumnIndex("busy"),
	"congestion":     Tables[CampaignStat].ColumnIndex("congestion"),
	"rejected":       Tables[CampaignStat].ColumnIndex("failed"),
	"invalid_number": Tables[CampaignStat].ColumnIndex("failed"),
}

// campaignKey is the CampaignStat row of a campaign.
func campaignKey(campaign int) RowKey { return RowKey{Table: CampaignStat, N1: int32(campaign)} }

// dialerAttempt counts a placed call in its campaign's row.
func (a *Aggregator) dialerAttempt(ev *eventlog.Event) error {
	var p ccd.DialerAttempt
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		return &DecodeError{ID: ev.ID, Kind: ev.Kind, Err: err}
	}
	a.add(ev.At.Unix(), campaignKey(p.CampaignID), colCampaignAttempts, 1)
	return nil
}

// campaignResult counts how an attempt ended in its campaign's row. A
// status ccd does not know (a newer dialer) is counted nowhere rather than
// in a wrong column.
func (a *Aggregator) campaignResult(ev *eventlog.Event, p *ccd.DialerAttempt) {
	s, k := ev.At.Unix(), campaignKey(p.CampaignID)
	if col, ok := campaignColumnOfStatus[p.Status]; ok {
		a.add(s, k, col, 1)
	}
	if p.Status == "abandoned" || p.Abandoned {
		a.add(s, k, colCampaignAbandon, 1)
	}
}

var colCampaignTalk = Tables[CampaignStat].ColumnIndex("talktime")

// campaignTalk adds the connected time of a dialer call the ACD ended to
// its campaign. The campaign comes from the call's attach data (the
// dialer's "campaign=<id>;..."): call.ended carries it, so a rebuild, which
// reads no call.offered payloads, finds it too.
func (a *Aggregator) campaignTalk(ev *eventlog.Event, c *acd.Call) {
	if !isDialerCall(ev.CallID) || c.AnsweredAt.IsZero() {
		return
	}
	campaign, ok := campaignOf(c.AttachData)
	if !ok {
		return
	}
	a.add(ev.At.Unix(), campaignKey(campaign), colCampaignTalk, seconds(ev.At.Sub(c.AnsweredAt).Milliseconds()))
}

// campaignOf reads the campaign id out of the dialer's attach data.
func campaignOf(attach string) (int, bool) {
	for field := range strings.SplitSeq(attach, ";") {
		if v, ok := strings.CutPrefix(field, "campaign="); ok {
			n, err := strconv.Atoi(v)
			return n, err == nil
		}
	}
	return 0, false
}

var colDispositions = Tables[CampaignDispositionStat].ColumnIndex("dispositions")

// dialerDisposition counts a disposition in its campaign and option's row
// of the quarter-hour it was set.
func (a *Aggregator) dialerDisposition(ev *eventlog.Event) error {
	var p ccd.DialerDisposition
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		return &DecodeError{ID: ev.ID, Kind: ev.Kind, Err: err}
	}
	k := RowKey{Table: CampaignDispositionStat, N1: int32(p.CampaignID), N2: int32(p.OptionID)}
	a.add(ev.At.Unix(), k, colDispositions, 1)
	return nil
}
