package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// activities are the codes agents pause with; a change alternates ready
// and not ready, the activity turning, so that no change repeats the
// state just before it (match relies on it).
var activities = []string{"break", "lunch", "training"}

// window is what happened in the measuring window.
type window struct {
	wall      time.Duration
	cpu       time.Duration
	rssPeak   int64
	rssSteady int64
	changes   map[string][]sent // by agent, only the ones ccd accepted
	made      int
	failed    int64
	firstErr  atomic.Value
}

// measure changes agents' states at the rate asked for, one agent after
// another, and reads ccd's CPU and memory around it.
func (b *bench) measure(ctx context.Context) (*window, error) {
	pid := b.ccd.cmd.Process.Pid
	w := &window{changes: map[string][]sent{}}
	cpu0, err := cpuTime(pid)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	samples := make(chan []int64, 1)
	stopSampling := make(chan struct{})
	go func() { samples <- sampleRSS(pid, stopSampling) }()

	var mu sync.Mutex
	var inflight sync.WaitGroup
	// The i-th change is due at start + i/rate: a ticker would drop the
	// ticks a busy moment delays, and the rate with them.
	gap := time.Duration(float64(time.Second) / b.o.rate)
	turn := map[string]int{}
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * gap)
		if due.Sub(start) >= b.o.duration {
			break
		}
		time.Sleep(time.Until(due))
		agent := b.agentIDs[i%len(b.agentIDs)]
		n := turn[agent]
		turn[agent]++
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			c, err := b.change(ctx, agent, n)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				w.failed++
				w.firstErr.CompareAndSwap(nil, err)
				return
			}
			w.changes[agent] = append(w.changes[agent], c)
		}()
	}
	inflight.Wait()
	w.wall = time.Since(start)
	cpu1, err := cpuTime(pid)
	if err != nil {
		return nil, err
	}
	close(stopSampling)
	w.cpu = cpu1 - cpu0
	rss := <-samples
	if _, w.rssPeak, err = memory(pid); err != nil {
		return nil, err
	}
	w.rssSteady = median(rss)
	for agent := range w.changes {
		// Requests run side by side; an agent's own changes are half a
		// second apart or more, yet sort them by when they were sent.
		slices.SortFunc(w.changes[agent], func(a, b sent) int { return a.at.Compare(b.at) })
		w.made += len(w.changes[agent])
	}
	return w, nil
}

// change makes the agent's n-th change: not ready with an activity for
// even n, ready for odd n (every agent starts ready).
func (b *bench) change(ctx context.Context, agent string, n int) (sent, error) {
	c := sent{agent: agent, at: time.Now()}
	var err error
	if n%2 == 0 {
		activity := activities[(n/2)%len(activities)]
		c.value = stateValue("not_ready", activity)
		err = b.rest.NotReady(ctx, agent, activity)
	} else {
		c.value = stateValue("ready", "")
		err = b.rest.Ready(ctx, agent)
	}
	return c, err
}

// sampleRSS reads the resident set once a second until stop.
func sampleRSS(pid int, stop <-chan struct{}) []int64 {
	var out []int64
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return out
		case <-t.C:
			if rss, _, err := memory(pid); err == nil {
				out = append(out, rss)
			}
		}
	}
}

func median(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// result is the measurement, summed over the sessions.
type result struct {
	w          *window
	sessions   int
	all        outcome
	worstShare float64 // the largest share of changes one session missed, %
	snapshots  int
}

func (b *bench) result(w *window) result {
	r := result{w: w, sessions: len(b.sessions)}
	for _, s := range b.sessions {
		var o outcome
		shown := s.shown(&b.snaps)
		for agent, changes := range w.changes {
			o.add(match(changes, shown[agent]))
		}
		if total := o.delivered + o.missed; total > 0 {
			r.worstShare = max(r.worstShare, 100*float64(o.missed)/float64(total))
		}
		r.all.add(o)
		r.snapshots += s.received()
	}
	return r
}

func (r result) print(out io.Writer, o options) {
	secs := r.w.wall.Seconds()
	expected := r.w.made * r.sessions
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	printTable(tw, [][2]string{
		{"sessions (GET /ui/events)", fmt.Sprint(r.sessions)},
		{"agents / changes asked per s", fmt.Sprintf("%d / %.0f", o.agents, o.rate)},
		{"window", r.w.wall.Round(time.Millisecond).String()},
		{"changes made (events) / per s", fmt.Sprintf("%d / %.1f (%d refused)", r.w.made, float64(r.w.made)/secs, r.w.failed)},
		{"ccd CPU, % of one core", fmt.Sprintf("%.1f", 100*r.w.cpu.Seconds()/secs)},
		{"ccd RSS peak / steady, MB", fmt.Sprintf("%.1f / %.1f", mb(r.w.rssPeak), mb(r.w.rssSteady))},
		{"changes delivered / expected", fmt.Sprintf("%d / %d (%.2f %%)", r.all.delivered, expected, 100*float64(r.all.delivered)/float64(max(1, expected)))},
		{"worst session missed", fmt.Sprintf("%.2f %%", r.worstShare)},
		{"deliveries per s (all sessions)", fmt.Sprintf("%.0f", float64(r.all.delivered)/secs)},
		{"snapshots per s per session", fmt.Sprintf("%.1f", float64(r.snapshots)/float64(max(1, r.sessions))/secs)},
		{"change -> session latency p50 / p99 / max", fmt.Sprintf("%s / %s / %s", ms(percentile(r.all.latencies, 50)),
			ms(percentile(r.all.latencies, 99)), ms(percentile(r.all.latencies, 100)))},
	})
}

// check fails a run that measured less than it was asked to.
func (r result) check(o options) error {
	want := o.rate * r.w.wall.Seconds()
	if float64(r.w.made) < o.minRate/100*want {
		err, _ := r.w.firstErr.Load().(error)
		return fmt.Errorf("only %d of %.0f changes made (first error: %v)", r.w.made, want, err)
	}
	if r.all.delivered == 0 {
		return fmt.Errorf("no change reached any session")
	}
	if r.worstShare > o.maxMissed {
		return fmt.Errorf("a session missed %.2f %% of the changes (at most %.2f %% allowed)", r.worstShare, o.maxMissed)
	}
	return nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
