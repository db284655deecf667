package toolbar_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/integrations/toolbar"
	"github.com/ccdhq/ccd/store"
	"github.com/gorilla/websocket"
)

// benchLive is a center of 1,000 agents and 50 queues with calls waiting.
type benchLive struct {
	queues []ccd.QueueStatus
	calls  []ccd.Call
}

func (benchLive) Agent(_ context.Context, id string) (ccd.AgentStatus, error) {
	return ccd.AgentStatus{ID: id, State: ccd.AgentReady}, nil
}
func (benchLive) Agents(context.Context) ([]ccd.AgentStatus, error)   { return nil, nil }
func (l benchLive) Calls(context.Context) ([]ccd.Call, error)         { return l.calls, nil }
func (l benchLive) Queues(context.Context) ([]ccd.QueueStatus, error) { return l.queues, nil }

type benchFigures struct {
	queues map[string]store.ToolbarQueue
	agents map[string]store.ToolbarAgent
}

func (f benchFigures) ToolbarQueues(context.Context, time.Time) (map[string]store.ToolbarQueue, error) {
	return f.queues, nil
}

func (f benchFigures) ToolbarAgents(context.Context, time.Time) (map[string]store.ToolbarAgent, error) {
	return f.agents, nil
}

// benchCenter: 50 queues, 1,000 agents each serving 5 of them.
func benchCenter(agents int) (config.ACD, benchLive, benchFigures) {
	var acd config.ACD
	live := benchLive{}
	fig := benchFigures{queues: map[string]store.ToolbarQueue{}, agents: map[string]store.ToolbarAgent{}}
	for q := range 50 {
		code := fmt.Sprintf("q%02d", q)
		acd.Queues = append(acd.Queues, config.Queue{Code: code, Name: "Queue " + code, Skills: map[string]int{code: 1}})
		live.queues = append(live.queues, ccd.QueueStatus{Code: code, Waiting: q % 4})
		fig.queues[code] = store.ToolbarQueue{Offered: 400, Answered: 380, RetFromAgent: 12, Inflowed: 5, Abandoned: 15, Tran2Def: 1,
			SumAnswerTime: 7600, MaxAnswerTime: 190}
		for c := range q % 4 {
			live.calls = append(live.calls, ccd.Call{ID: fmt.Sprintf("%s-%d", code, c), State: ccd.CallWaiting, Queues: []string{code}})
		}
	}
	for a := range agents {
		id := fmt.Sprint(10000 + a)
		skills := map[string]int{}
		for k := range 5 {
			skills[fmt.Sprintf("q%02d", (a+k*7)%50)] = 1
		}
		acd.Agents = append(acd.Agents, config.Agent{ID: id, Endpoint: "PJSIP/" + id, Skills: skills})
		fig.agents[id] = store.ToolbarAgent{Offered: 40, Recalled: 2, Answered: 37, DirectIn: 3, ExtOut: 5, IntOut: 4, NotReadyTime: 1800}
	}
	return acd, live, fig
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPushTo1000Agents: one OnQueuesInfoData round (figures read once,
// each agent's string built and written) to 1,000 toolbars connected over
// loopback TCP, each reading in its own goroutine, half with the queue
// string and half with the agent string. It reports the process's CPU time
// per round (server and the 1,000 test clients together: an upper bound
// for ccd), what that is at one round every 5 s, and the heap held per
// connection.
func BenchmarkPushTo1000Agents(b *testing.B) {
	const agents = 1000
	acd, live, fig := benchCenter(agents)
	svc := toolbar.New(toolbar.Options{Live: live, Figures: fig, ACD: func() config.ACD { return acd },
		Toolbar: config.Toolbar{Interval: time.Hour, SendBuffer: 64}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := api.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), nil, api.Options{Token: token})
	svc.Mount(srv)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	url := "ws" + strings.TrimPrefix(ts.URL, "http")

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var got sync.WaitGroup
	conns := make([]*websocket.Conn, agents)
	for i := range agents {
		id := acd.Agents[i].ID
		view := "queues"
		if i%2 == 1 {
			view = "agent"
		}
		ws, _, err := websocket.DefaultDialer.Dial(url+"/api/agents/"+id+"/toolbar?view="+view, http.Header{"Authorization": {"Bearer " + token}})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := ws.ReadMessage(); err != nil { // the present
			b.Fatal(err)
		}
		conns[i] = ws
	}
	for _, ws := range conns {
		go func() {
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
				got.Done()
			}
		}()
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heapPerConn := (float64(after.HeapInuse) - float64(before.HeapInuse)) / agents
	ctx := context.Background()
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		got.Add(agents)
		svc.Tick(ctx)
		got.Wait()
	}
	perRound := (cpuTime() - cpu) / time.Duration(b.N)
	b.StopTimer()
	b.ReportMetric(heapPerConn, "heap-B/conn")
	b.ReportMetric(float64(perRound.Microseconds())/1000, "cpu-ms/round")
	b.ReportMetric(float64(perRound)/float64(5*time.Second)*100, "cpu-%-at-5s")
	for _, ws := range conns {
		ws.Close()
	}
}
