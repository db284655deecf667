package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"time"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/stats"
	"github.com/ccdhq/ccd/store"
)

// readStep times GET /api/stats/agentstat for one day in the middle of the
// month, through ccd's HTTP server on a loopback port, the whole answer read:
// what a BI tool or a wallboard asking for a day of agent figures waits.
func readStep(ctx context.Context, db *store.DB, clock stats.Clock, reads int) error {
	from, to, err := monthRange(ctx, db, clock)
	if err != nil {
		return err
	}
	// The middle one of the days the calls arrived on (the range also holds
	// the calls that end after the last midnight).
	day := from.AddDate(0, 0, (int(to.Sub(from).Hours()/24)-1)/2)
	// A past day is read long after autovacuum went over its rows; right
	// after the rebuild step they are not yet, and every read would set hint
	// bits and visit the heap for visibility. Do what autovacuum will, and
	// wait for the autovacuum workers the rebuild set off on the other
	// tables, which would otherwise share the cores with the reads.
	if _, err := db.ExecContext(ctx, `VACUUM (ANALYZE) stat.agentstat`); err != nil {
		return err
	}
	waited, err := waitAutovacuum(ctx, db, 10*time.Minute)
	if err != nil {
		return err
	}

	token := rand.Text()
	srv := api.NewServer(nil, nil, api.Options{Token: token})
	srv.MountStats(db, nil, clock.Loc, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Echo}
	go hs.Serve(ln)
	defer hs.Close()
	url := fmt.Sprintf("http://%s/api/stats/agentstat?from=%s", ln.Addr(), day.Format(time.DateOnly))
	// The timed reads stream the answer away, as a client decoding it on the
	// fly does; the first one keeps it, to report what came.
	get := func(keep bool) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(resp.Body)
			return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
		}
		if !keep {
			_, err := io.Copy(io.Discard, resp.Body)
			return nil, err
		}
		return io.ReadAll(resp.Body)
	}

	// Warm-up, and what the answer holds; nothing of it is kept, so that
	// the timed reads run with the heap a daemon has.
	agents, rows, cols, size, err := func() (agents, rows, cols, size int, err error) {
		body, err := get(true)
		if err != nil {
			return 0, 0, 0, 0, err
		}
		var answer struct {
			Columns []string         `json:"columns"`
			Rows    []map[string]any `json:"rows"`
		}
		if err := json.Unmarshal(body, &answer); err != nil {
			return 0, 0, 0, 0, fmt.Errorf("GET %s: %w", url, err)
		}
		seen := map[any]bool{}
		for _, r := range answer.Rows {
			seen[r["usercode"]] = true
		}
		return len(seen), len(answer.Rows), len(answer.Columns), len(body), nil
	}()
	if err != nil {
		return err
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	took := make([]time.Duration, 0, reads)
	for range reads {
		t := time.Now()
		if _, err := get(false); err != nil {
			return err
		}
		took = append(took, time.Since(t))
	}
	runtime.ReadMemStats(&after)
	slices.Sort(took)
	fmt.Printf("5 read GET /api/stats/agentstat?from=%s: %d agents, %s rows × %d columns, %.1f MB of JSON; p50 %s, p90 %s, p99 %s, max %s (%d reads; %.0f s waited for autovacuum first)\n"+
		"  the process (server and client) per read: %s allocations, %.1f MB allocated; %.1f GC cycles\n",
		day.Format(time.DateOnly), agents, thousands(int64(rows)), cols,
		float64(size)/1e6, ms(percentile(took, 0.5)), ms(percentile(took, 0.9)), ms(percentile(took, 0.99)), ms(took[len(took)-1]), reads, waited.Seconds(),
		thousands(int64(after.Mallocs-before.Mallocs)/int64(reads)), float64(after.TotalAlloc-before.TotalAlloc)/1e6/float64(reads),
		float64(after.NumGC-before.NumGC)/float64(reads))
	if rows == 0 {
		fmt.Println("  (no rows: the day has no statistics yet; run the rebuild step first)")
	}
	return nil
}

// waitAutovacuum waits, up to limit, until no autovacuum worker runs, and says
// how long it waited.
func waitAutovacuum(ctx context.Context, db *store.DB, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'`).Scan(&n); err != nil {
			return 0, err
		}
		if n == 0 || time.Since(start) > limit {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
