package daemon

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/store"
)

// eventLog is the event log component: the writer every producer adds its
// events to, and the hub that fans out what it commits. The writer starts
// before the database is connected and writes nothing until it is
// (eventlog.Options.SinkReady): producers are never held up by a database
// that is late or down, and what waits spills to disk.
type eventLog struct {
	w      *wiring
	hub    *eventlog.Hub
	writer *eventlog.Writer
}

func newEventLog(w *wiring) component {
	w.events = &eventLog{w: w, hub: eventlog.NewHub()}
	return w.events
}

func (e *eventLog) Name() string { return "event log" }

func (e *eventLog) Start(context.Context) error {
	w, cfg, m := e.w, e.w.cfg, e.w.m
	// Every batch the log commits goes to the hub's in-process subscribers
	// (live views); durable consumers follow the log itself.
	registerConsumerMetrics(m, w.db, e.hub)
	if FanoutHook != nil {
		FanoutHook(e.hub)
	}
	var err error
	e.writer, err = eventlog.NewWriter(logSink{w.db}, eventlog.Options{
		Hub: e.hub, SinkReady: w.db.ready,
		BatchSize: cfg.EventLog.BatchSize, FlushInterval: cfg.EventLog.FlushInterval, MemoryLimit: cfg.EventLog.MemoryLimit,
		SpillPath: filepath.Join(cfg.StateDir, "spill", "events.jsonl"), Logger: w.log, MaxEventBytes: cfg.EventLog.MaxEventBytes,
		Observe: func(n int, d time.Duration, err error) {
			m.DBLatency.WithLabelValues("append").Observe(d.Seconds())
			switch {
			case err == nil:
				m.EventLogWritten.Add(float64(n))
			case !errors.Is(err, eventlog.ErrRejected): // refused content is quarantined, not retried
				m.EventLogFailures.Inc()
			}
		},
		OnQuarantine: m.EventLogQuarantined.Inc,
	})
	if err != nil {
		return err
	}
	m.Gauge("ccd_eventlog_pending", "Events accepted and not yet in the database (memory and spill file).",
		func() float64 { return float64(e.writer.Stats().Pending) })
	// A database that refuses writes for long is not ready even when it answers
	// pings: nothing reaches the log or the statistics.
	w.addCheck(api.Check{Name: "eventlog", Func: func(context.Context) error {
		return e.writer.Health().Unready(time.Now(), cfg.EventLog.UnreadyAfter)
	}})
	return nil
}

// Close flushes what the writer holds, or keeps it on disk for the next
// start.
func (e *eventLog) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return e.writer.Close(ctx)
}

// logSink is the database as the writer's sink. The writer calls it only
// once the database is connected (SinkReady is the database's ready).
type logSink struct{ db *databaseLink }

func (s logSink) sink() store.EventSink { return store.EventSink{DB: s.db.db} }

func (s logSink) Append(ctx context.Context, evs []eventlog.Event) error {
	return s.sink().Append(ctx, evs)
}

func (s logSink) AppendIDs(ctx context.Context, evs []eventlog.Event) ([]int64, error) {
	return s.sink().AppendIDs(ctx, evs)
}

func (s logSink) Quarantine(ctx context.Context, q eventlog.Quarantined) (bool, error) {
	return s.sink().Quarantine(ctx, q)
}
