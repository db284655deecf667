package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/ccdhq/ccd/integrations/crmdb"
)

// dialListsLockID is the advisory lock of the dial lists: one ccd per
// database imports them and writes results back, so that a list gets each
// result once.
const dialListsLockID = 7233152 // arbitrary, constant: "ccd dial lists"

// dialLists is the external dial lists' component: each list is imported
// into its campaign every interval, and the dialer's results are written
// back from the event log.
type dialLists struct {
	w     *wiring
	lists []*crmdb.DialList
	tasks tasks
}

func newDialLists(w *wiring) component { return &dialLists{w: w} }

func (c *dialLists) Name() string { return "dial lists" }

// Start checks every list's configuration (statements and DSN, no
// connection) and runs them once the database is up.
func (c *dialLists) Start(ctx context.Context) error {
	for i, cfg := range c.w.cfg.Dialer.Lists {
		l, err := crmdb.OpenDialList(cfg, i, nil)
		if err != nil {
			c.closeLists()
			return err
		}
		c.lists = append(c.lists, l)
	}
	if len(c.lists) == 0 {
		return nil
	}
	log := c.w.log.With("part", "dial_lists")
	c.tasks.goRun(ctx, func(ctx context.Context) {
		db, ok := c.w.db.wait(ctx)
		if !ok {
			return
		}
		lock := holdLock(ctx, db, dialListsLockID, "dial lists", log)
		if lock == nil {
			return
		}
		defer lock.Release(context.Background())
		done := make(chan struct{}, len(c.lists))
		for _, l := range c.lists {
			go func() { l.RunImports(ctx, db, log); done <- struct{}{} }()
		}
		wake, stop := c.w.events.hub.Wake()
		defer stop()
		crmdb.NewDialListFeed(db, c.lists, log).Run(ctx, wake, time.Second)
		for range c.lists {
			<-done
		}
	})
	return nil
}

func (c *dialLists) closeLists() error {
	var errs []error
	for _, l := range c.lists {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

func (c *dialLists) Close(context.Context) error {
	c.tasks.stop()
	return c.closeLists()
}
