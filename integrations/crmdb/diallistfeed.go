package crmdb

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/eventlog/consume"
	"github.com/ccdhq/ccd/store"
)

// DialListConsumerName is the dial lists' write-back cursor in event_consumer.
const DialListConsumerName = "dial_list_write_back"

// DialListFeed writes the dialer's results (dialer.result) back into the
// campaigns' dial lists, off the call path: a slow list database only makes
// the write-back late. A write-back that still fails after its retries is
// logged with the target id and passed over, so one bad row never stops the
// others. The cursor moves after each batch (at least once: a crash in
// between writes that batch's results again, which an UPDATE by key
// tolerates).
type DialListFeed struct {
	db    *store.DB
	lists map[int]*DialList
	cons  *consume.Consumer
	log   *slog.Logger
}

// NewDialListFeed returns the write-back feed of lists over db.
func NewDialListFeed(db *store.DB, lists []*DialList, log *slog.Logger) *DialListFeed {
	m := map[int]*DialList{}
	for _, l := range lists {
		if l.HasWriteBack() {
			m[l.CampaignID()] = l
		}
	}
	return &DialListFeed{db: db, lists: m, cons: consume.New(db, DialListConsumerName), log: log}
}

// Run follows the log until ctx ends (woken by wake, else every interval).
func (f *DialListFeed) Run(ctx context.Context, wake <-chan struct{}, interval time.Duration) {
	followLog(ctx, wake, interval, f.Step, f.log, "dial list write-back behind the event log: will retry")
}

// Step writes back the results among the next events; it returns how many
// events it read.
func (f *DialListFeed) Step(ctx context.Context) (int, error) {
	evs, err := f.cons.Next(ctx, 100)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	for _, ev := range evs {
		f.handle(ctx, ev)
	}
	return len(evs), f.cons.Commit(ctx, store.ConsumerPosition{LastID: evs[len(evs)-1].ID})
}

func (f *DialListFeed) handle(ctx context.Context, ev eventlog.Event) {
	if ev.Kind != ccd.EventDialerResult {
		return
	}
	var a ccd.DialerAttempt
	if err := json.Unmarshal(ev.Payload, &a); err != nil {
		f.log.Warn("dial list write-back: bad dialer.result payload", "event", ev.ID, "err", err)
		return
	}
	l, ok := f.lists[a.CampaignID]
	if !ok {
		return
	}
	t, err := f.db.Target(ctx, a.TargetID)
	if err != nil {
		f.log.Warn("dial list write-back: target not read", "target_id", a.TargetID, "err", err)
		return
	}
	if t.ExternalTargetID == nil {
		return // added otherwise than from the list
	}
	last := ev.At
	if t.LastCallTS != nil {
		last = *t.LastCallTS
	}
	r := DialResult{ExternalID: *t.ExternalTargetID, TargetID: t.ID, Status: a.Status, StatusCode: a.Result,
		Attempts: t.TotalDials, LastCallTS: last, Phone: a.Phone}
	if err := l.WriteBack(ctx, r); err != nil {
		f.log.Error("dial list write-back failed", "campaign", a.CampaignID, "target_id", t.ID,
			"external_id", *t.ExternalTargetID, "err", err)
	}
}
