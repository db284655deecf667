package sim

import (
	"fmt"
	"io"
)

// Row is one contender's run in the comparison.
type Row struct {
	Name   string
	Result Result
}

// WriteTable writes rows as a Markdown table: per run the agents, the
// occupancy (talk / logged-in), the worst hourly and the 24 h abandon rates,
// and the connected calls per agent-hour.
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| agents | pacing | occupancy | worst hour abandon | worst 24 h abandon | calls per agent-hour | placed | answered | abandoned |")
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		t := r.Result.Total()
		fmt.Fprintf(w, "| %d | %s | %.1f %% | %.2f %% | %.2f %% | %.1f | %d | %d | %d |\n",
			r.Result.Config.Agents, r.Name, 100*t.Occupancy(), 100*r.Result.WorstHourAbandon(),
			100*r.Result.Worst24hAbandon(), r.Result.CallsPerAgentHour(), t.Placed, t.Answered, t.Abandoned)
	}
}

// WriteHours writes one run hour by hour.
func WriteHours(w io.Writer, r Row) {
	fmt.Fprintf(w, "%s, %d agents\n| hour | occupancy | abandon | calls per agent-hour |\n|---:|---:|---:|---:|\n", r.Name, r.Result.Config.Agents)
	agents := float64(r.Result.Config.Agents)
	for i, h := range r.Result.Hours {
		fmt.Fprintf(w, "| %d | %.1f %% | %.2f %% | %.1f |\n", i, 100*h.Occupancy(), 100*h.AbandonRate(), float64(h.Connected)/agents)
	}
}
