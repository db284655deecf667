package recordings

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/store"
	"github.com/robfig/cron/v3"
)

// MaxPerRun bounds the recordings one queue's rule lists or deletes in one
// run: a first run over years of recordings spreads over several nights
// rather than holding the database and the disk for hours.
const MaxPerRun = 10000

// Expired is what one queue's rule deletes now.
type Expired struct {
	Queue      string            `json:"queue"`
	Days       int               `json:"days"`
	Cutoff     time.Time         `json:"cutoff"` // calls offered before it
	Recordings []store.Recording `json:"recordings"`
	// Truncated: there are more than MaxPerRun; the next run goes on.
	Truncated bool `json:"truncated,omitempty"`
}

// Expired lists what rules would delete now, without deleting anything
// (the dry run).
func (l *Library) Expired(ctx context.Context, rules []config.RetentionRule) ([]Expired, error) {
	now := l.now()
	out := make([]Expired, 0, len(rules))
	for _, rule := range rules {
		cutoff := now.AddDate(0, 0, -rule.Days)
		recs, err := l.db.ExpiredRecordings(ctx, rule.Queue, cutoff, MaxPerRun+1)
		if err != nil {
			return nil, err
		}
		e := Expired{Queue: rule.Queue, Days: rule.Days, Cutoff: cutoff, Recordings: recs}
		if len(recs) > MaxPerRun {
			e.Recordings, e.Truncated = recs[:MaxPerRun], true
		}
		if e.Recordings == nil {
			e.Recordings = []store.Recording{}
		}
		out = append(out, e)
	}
	return out, nil
}

// ApplyRetention deletes what rules list now: each file, then its mark in
// the database and a recording.deleted audit. A file already gone is marked
// too (Missing in the audit); one that cannot be deleted is logged and
// left for the next run. It returns how many it deleted or marked.
func (l *Library) ApplyRetention(ctx context.Context, rules []config.RetentionRule) (int, error) {
	expired, err := l.Expired(ctx, rules)
	if err != nil {
		return 0, err
	}
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return 0, fmt.Errorf("recordings: retention: %w", err)
	}
	defer root.Close()
	n := 0
	for _, e := range expired {
		for _, r := range e.Recordings {
			missing, err := remove(root, r.File)
			if err != nil {
				l.log.Error("retention could not delete a recording", "recording", r.File, "queue", e.Queue, "err", err)
				continue
			}
			if err := l.db.RecordingDeleted(ctx, r, l.now()); err != nil {
				return n, err
			}
			l.audit(ccd.EventRecordingDeleted, r, ccd.RecordingAccess{CallID: r.CallID, Recording: r.File, By: "retention",
				Queue: e.Queue, Days: e.Days, Missing: missing}, "")
			n++
		}
	}
	return n, nil
}

// remove deletes the file of recording name in root; missing says it was not
// there. A name that is not a recording name is never a path to remove.
func remove(root *os.Root, name string) (missing bool, err error) {
	if !safeName.MatchString(name) {
		return true, nil
	}
	err = root.Remove(name + "." + Format)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	return false, err
}

// Schedule runs the retention rules (as rules gives them at each run) on
// the cron schedule spec, read in loc (the call center's zone), until ctx
// ends. A run that fails is logged; the
// next one tries again.
func (l *Library) Schedule(ctx context.Context, spec string, loc *time.Location, rules func() []config.RetentionRule) error {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return &config.Error{Key: "recordings.retention_schedule", Problem: err.Error()}
	}
	c := cron.New(cron.WithLocation(loc))
	c.Schedule(sched, cron.FuncJob(func() {
		n, err := l.ApplyRetention(ctx, rules())
		if err != nil {
			l.log.Error("recording retention run failed", "err", err)
			return
		}
		l.log.Info("recording retention ran", "deleted", n)
	}))
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}
