package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/metrics"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/job"
	"github.com/ccdhq/ccd/store"
)

// statClock is the call center's quarter-hour clock (pbx.time_zone).
func statClock(cfg config.Config) stats.Clock { return stats.Clock{Loc: cfg.Location()} }

// statDimensions is the configuration's part of the statistics: names and
// queue membership for the BI functions.
func statDimensions(c config.ACD) (store.StatDimensions, error) {
	d := store.StatDimensions{Queues: map[string]string{}, Agents: map[string]string{}}
	for _, q := range c.Queues {
		d.Queues[q.Code] = q.Name
	}
	for _, a := range c.Agents {
		d.Agents[a.ID] = a.Name
	}
	eng, err := acd.New(c.Spec())
	if err != nil {
		return d, err
	}
	d.Members = eng.QueueMembers()
	return d, nil
}

// syncDimensions records the names and queue membership of a configuration
// for the BI functions.
func syncDimensions(ctx context.Context, db *store.DB, c config.ACD, log *slog.Logger) {
	if d, err := statDimensions(c); err != nil {
		log.Warn("cannot work out queue membership for the BI functions", "err", err)
	} else if err := db.SyncStatDimensions(ctx, d); err != nil {
		log.Warn("cannot record queue and agent names for the BI functions", "err", err)
	}
}

// statsAggregator is the statistics component: the live aggregator, a
// durable consumer of the event log, and the read-only BI role, once the
// database is up.
type statsAggregator struct {
	w     *wiring
	live  atomic.Pointer[job.Live] // set once the database is up
	tasks tasks
}

func newStatsAggregator(w *wiring) component {
	w.statsFolded = make(chan struct{}, 1)
	return &statsAggregator{w: w}
}

func (s *statsAggregator) Name() string { return "statistics" }

func (s *statsAggregator) Start(ctx context.Context) error {
	statsMetrics(s.w.m, &s.live)
	s.tasks.goRun(ctx, func(ctx context.Context) {
		if db, ok := s.w.db.wait(ctx); ok {
			startStats(ctx, s.w.cfg, db, s.w.log, &s.live, s.w.statsFolded)
		}
	})
	return nil
}

func (s *statsAggregator) Close(context.Context) error {
	s.tasks.stop()
	return nil
}

// statsMetrics registers the live aggregator's metrics at start, before the
// database is up, so that they exist (at 0) from the start; startStats stores the
// aggregator in the pointer they read.
func statsMetrics(m *metrics.Metrics, live *atomic.Pointer[job.Live]) {
	m.Counter("ccd_stats_events_folded_total", "Events the live statistics aggregator has folded since start.", nil,
		func() float64 {
			if l := live.Load(); l != nil {
				n, _ := l.Progress()
				return float64(n)
			}
			return 0
		})
	m.Gauge("ccd_stats_behind_seconds", "Seconds since the live statistics last caught up with the event log.",
		func() float64 {
			if l := live.Load(); l != nil {
				if _, t := l.Progress(); t.Unix() > 0 {
					return time.Since(t).Seconds()
				}
			}
			return 0
		})
}

// startStats prepares the statistics once the database is up and runs the live
// aggregator until ctx ends.
// folded (nil: nobody listens) is signalled after each step that folded
// new events; a signal not taken yet stands for the next ones.
func startStats(ctx context.Context, cfg config.Config, db *store.DB, log *slog.Logger, running *atomic.Pointer[job.Live], folded chan<- struct{}) {
	log = log.With("part", "stats")
	if cfg.Stats.BIUser != "" {
		role := store.BIRole{User: cfg.Stats.BIUser, Password: cfg.Stats.BIPassword, TimeZone: cfg.PBX.TimeZone,
			StatementTimeout: cfg.Stats.BIStatementTimeout, ConnectionLimit: cfg.Stats.BIConnectionLimit}
		if err := db.EnsureBIRole(ctx, role); err != nil {
			log.Error("cannot set up the read-only BI role", "role", cfg.Stats.BIUser, "err", err)
		} else {
			log.Info("BI role ready: it reads the stat tables and runs the bi functions, read-only", "role", cfg.Stats.BIUser)
		}
	}
	live := job.NewLive(db, statClock(cfg), log)
	if folded != nil {
		live.Folded = func() {
			select {
			case folded <- struct{}{}:
			default:
			}
		}
	}
	running.Store(live)
	live.Run(ctx, cfg.Stats.Interval)
}

// RebuildStats recomputes the statistics of [from, to) from the event log
// (`ccd stats rebuild`).
func RebuildStats(ctx context.Context, cfg config.Config, log *slog.Logger, from, to time.Time) (job.RebuildResult, error) {
	db, _, stop, err := database(ctx, cfg, log, true)
	if err != nil {
		return job.RebuildResult{}, err
	}
	defer stop()
	acd, err := liveACD(ctx, db, cfg.ACD)
	if err != nil {
		return job.RebuildResult{}, err
	}
	if d, err := statDimensions(acd); err == nil {
		if err := db.SyncStatDimensions(ctx, d); err != nil {
			return job.RebuildResult{}, fmt.Errorf("stats: %w", err)
		}
	}
	return job.Rebuild(ctx, db, statClock(cfg), from, to, log)
}

// statsReader reads the statistics for the REST API from the database:
// before it is connected, reads answer 503 saying so.
type statsReader struct{ db *databaseLink }

func (r statsReader) StreamStatRows(ctx context.Context, q store.StatQuery, w store.RowWriter) error {
	db, err := r.db.get()
	if err != nil {
		return err
	}
	return db.StreamStatRows(ctx, q, w)
}

func (r statsReader) StreamBIFunction(ctx context.Context, name string, from, till time.Time, w store.RowWriter) error {
	db, err := r.db.get()
	if err != nil {
		return err
	}
	return db.StreamBIFunction(ctx, name, from, till, w)
}

func (r statsReader) QueueToday(ctx context.Context, since time.Time, sl map[string]time.Duration) (map[string]store.QueueDay, error) {
	db, err := r.db.get()
	if err != nil {
		return nil, err
	}
	return db.QueueToday(ctx, since, sl)
}

func (r statsReader) AgentToday(ctx context.Context, since time.Time) (map[string]store.AgentDay, error) {
	db, err := r.db.get()
	if err != nil {
		return nil, err
	}
	return db.AgentToday(ctx, since)
}

// serviceLevels are the queues' configured service levels.
func serviceLevels(acd config.ACD) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, q := range acd.Queues {
		if q.ServiceLevel > 0 {
			out[q.Code] = q.ServiceLevel
		}
	}
	return out
}
