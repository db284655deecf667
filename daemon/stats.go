package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ccdhq/ccd"
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

// statsMetrics registers the live aggregator's metrics at start, before the
// database is up, so that they exist (at 0) from the start; startStats stores the
// aggregator in the pointer they read.
func statsMetrics(m *metrics.Metrics) *atomic.Pointer[job.Live] {
	var live atomic.Pointer[job.Live]
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
	return &live
}

// startStats prepares the statistics once the database is up and runs the live
// aggregator until ctx ends.
func startStats(ctx context.Context, cfg config.Config, db *store.DB, log *slog.Logger, running *atomic.Pointer[job.Live]) {
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
	running.Store(live)
	live.Run(ctx, cfg.Stats.Interval)
}

// RebuildStats recomputes the statistics of [from, to) from the event log
// (`ccd stats rebuild`).
func RebuildStats(ctx context.Context, cfg config.Config, log *slog.Logger, from, to time.Time) (job.RebuildResult, error) {
	db, stop, err := database(ctx, cfg, log)
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

// lazyStats serves the statistics API before the database is up: reads answer
// 503 until it is.
type lazyStats struct{ db *atomic.Pointer[store.DB] }

var errStatsNotReady = &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "database not connected yet"}

func (l lazyStats) StreamStatRows(ctx context.Context, q store.StatQuery, w store.RowWriter) error {
	if db := l.db.Load(); db != nil {
		return db.StreamStatRows(ctx, q, w)
	}
	return errStatsNotReady
}

func (l lazyStats) StreamBIFunction(ctx context.Context, name string, from, till time.Time, w store.RowWriter) error {
	if db := l.db.Load(); db != nil {
		return db.StreamBIFunction(ctx, name, from, till, w)
	}
	return errStatsNotReady
}

func (l lazyStats) QueueToday(ctx context.Context, since time.Time, sl map[string]time.Duration) (map[string]store.QueueDay, error) {
	if db := l.db.Load(); db != nil {
		return db.QueueToday(ctx, since, sl)
	}
	return nil, errStatsNotReady
}

func (l lazyStats) AgentToday(ctx context.Context, since time.Time) (map[string]store.AgentDay, error) {
	if db := l.db.Load(); db != nil {
		return db.AgentToday(ctx, since)
	}
	return nil, errStatsNotReady
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
