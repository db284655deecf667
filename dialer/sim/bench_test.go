package sim

import (
	"fmt"
	"testing"
)

// BenchmarkPacing runs the comparison (one simulated day per run) and reports,
// per team size and pacer, the occupancy, the worst hourly and 24 h abandon
// rates and the calls per agent-hour. The figures are what matters, not the
// time: go test -run '^$' -bench Pacing -benchtime 1x ./dialer/sim/
func BenchmarkPacing(b *testing.B) {
	for _, agents := range []int{10, 50, 200} {
		for _, c := range Contenders() {
			b.Run(fmt.Sprintf("agents=%d/%s", agents, c.Name), func(b *testing.B) {
				var r Result
				for range b.N {
					r = Run(Config{Seed: 1, Agents: agents, Hours: 24}, c.New())
				}
				b.ReportMetric(100*r.Total().Occupancy(), "occupancy-%")
				b.ReportMetric(100*r.WorstHourAbandon(), "worst-hour-abandon-%")
				b.ReportMetric(100*r.Worst24hAbandon(), "24h-abandon-%")
				b.ReportMetric(r.CallsPerAgentHour(), "calls/agent-h")
			})
		}
	}
}
