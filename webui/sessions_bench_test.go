package webui_test

import (
	"bufio"
	"context"

	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ccdhq/ccd/loadgen"
)

// BenchmarkLiveSessions holds 200 supervisor sessions open on the live
// stream (GET /ui/events) of ccd in demo mode while the agents change state
// 100 times a second (each change one event in the log and a new snapshot
// for every stream), for 20 s. It reports the process's CPU (ccd, the
// simulated Asterisk and the 200 clients, which only read: an upper bound
// for ccd) as a percentage of one core, its resident and heap memory after,
// the events written and the snapshots each stream received per second.
//
//	go run ./internal/tools/withpg -- go test -run '^$' -bench LiveSessions -benchtime 1x ./webui/
func BenchmarkLiveSessions(b *testing.B) {
	const streams, rate, span = 200, 100, 20 * time.Second
	d := startDemo(b)
	sup := credential(b, d, "supervisor")
	agents := loadgen.HTTPAgents{URL: d.URL, Token: d.Token}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ids := []string{"1001", "1002", "1003", "1004"}
	for _, id := range ids {
		if err := agents.Login(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	var snapshots atomic.Int64
	var wg sync.WaitGroup
	for range streams {
		client := uiClient(b, d.URL, sup.User, sup.Password)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.URL+"/ui/events", nil)
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("stream: %v %v", err, resp)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 0, 16<<10), 1<<20)
			for sc.Scan() {
				if sc.Text() == "event: snapshot" {
					snapshots.Add(1)
				}
			}
		}()
	}
	time.Sleep(time.Second) // the first snapshots
	b.ResetTimer()
	for range b.N {
		snapshots.Store(0)
		cpu0, wall0 := cpuTime(), time.Now()
		var events atomic.Int64
		tick := time.NewTicker(time.Second / rate)
		stop := time.After(span)
		var inflight sync.WaitGroup
		for i := 0; ; i++ {
			select {
			case <-tick.C:
				id := ids[i%len(ids)]
				ready := (i/len(ids))%2 == 0
				inflight.Add(1)
				go func() {
					defer inflight.Done()
					var err error
					if ready {
						err = agents.Ready(ctx, id)
					} else {
						err = agents.NotReady(ctx, id, "break")
					}
					if err == nil {
						events.Add(1)
					}
				}()
				continue
			case <-stop:
			}
			break
		}
		tick.Stop()
		inflight.Wait()
		wall := time.Since(wall0)
		cpu := cpuTime() - cpu0
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu-%")
		b.ReportMetric(float64(rssKB())/1024, "rss-MB")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
		b.ReportMetric(float64(events.Load())/wall.Seconds(), "events/s")
		b.ReportMetric(float64(snapshots.Load())/float64(streams)/wall.Seconds(), "snapshots/s/stream")
	}
	b.StopTimer()
	cancel()
	wg.Wait()
}

// uiClient is a browser's session: logged in, with its cookie.
func uiClient(tb testing.TB, base, user, password string) *http.Client {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	req, _ := http.NewRequest(http.MethodPost, base+"/ui/login", strings.NewReader(url.Values{"username": {user}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != 200 {
		tb.Fatalf("login: %v %v", err, resp)
	}
	resp.Body.Close()
	return c
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssKB is the process's resident memory (Linux).
func rssKB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
