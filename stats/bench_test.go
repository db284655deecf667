package stats_test

import (
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/stats/statstest"
)

// BenchmarkApply measures folding events (JSON payload decoding included), the
// CPU part of a rebuild.
func BenchmarkApply(b *testing.B) {
	benchApply(b, statstest.Scenario(1, 5000, time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)))
}

// BenchmarkApplyFlows measures folding the events of calls in call flows
// (RouterStat, and the CallsStat rows of calls ending there).
func BenchmarkApplyFlows(b *testing.B) {
	benchApply(b, statstest.FlowCalls(1, 2000, time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)))
}

// benchApply folds evs into a fresh aggregator per round.
func benchApply(b *testing.B, evs []eventlog.Event) {
	clock := stats.Clock{Loc: time.UTC}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		a := stats.New(clock)
		for i := range evs {
			_ = a.Apply(&evs[i])
		}
		a.Take()
		n += len(evs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
