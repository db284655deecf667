// Command acdlatency measures, on a real Asterisk, how fast ccd's ACD and
// Asterisk's own app_queue ring an agent:
//
//	(a) an agent becomes ready while a call waits -> the agent's channel exists;
//	(b) a call enters a queue with a free agent    -> the agent's channel exists.
//
// The end point of the main figures is the AMI Newchannel event of the
// agent's Local channel, with Asterisk's own timestamp (manager.conf
// timestampevents = yes). Their start points:
//
//	(a) ccd:       the benchmark's clock just before POST /api/agents/8001/ready
//	    app_queue: the benchmark's clock just before the AMI action QueuePause Paused=false
//	(b) ccd:       the AMI Newexten event of the caller's Stasis() priority
//	    app_queue: the AMI Newexten event of the caller's Queue() priority
//
// so (a) includes the request's trip (HTTP to ccd, AMI to Asterisk) and (b)
// is on Asterisk's clock alone. Benchmark and Asterisk run on one machine:
// one clock. AMI timestamps are taken when the manager formats an event, a
// little after the fact and not always by the same delay, so two more
// figures are given per measure:
//
//   - "rings": up to the first priority of the agent's dialplan, which stamps
//     the time itself (Set(BENCH_RING=${STRFTIME(,,%s.%6q)})); for (b) from
//     the caller's own stamp just before Stasis()/Queue(). These run on the
//     channels' threads, so no event queue sits between fact and stamp; they
//     include placing the call (ccd's ARI originate dials on a new thread).
//   - "took": from the moment the system took the input (ccd: its agent.ready
//     or call.queued event, on ccd's clock; app_queue: the QueueMemberPause or
//     QueueCallerJoin event) to Newchannel.
//
// Samples run one at a time, each with a fresh caller, and start only when
// the agent is idle again. In (a) the agent is made ready a random 0.2-1.2 s
// after the caller started waiting: app_queue looks for a free member once a
// second, so a fixed delay would always hit the same phase of that loop.
//
// ccd runs in this process (package daemon) against the PostgreSQL named by
// CCD_TEST_DATABASE_URL or CCD_DATABASE_URL; the Asterisk credentials come
// from CCD_ARI_* and CCD_AMI_*. See README.md for the Asterisk configuration
// and the command.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/daemon"
	"github.com/ccdhq/ccd/internal/loopback"
	"github.com/ccdhq/ccd/store"
)

// The Asterisk side the benchmark dials (see README.md).
const (
	ccdContext    = "ccd-bench-in"     // _X. -> Answer, Stasis(ccd,inbound,${EXTEN})
	queueContext  = "ccd-bench-queue"  // s -> Answer, Queue(ccdbench)
	agentsContext = "ccd-bench-agents" // _8XXX -> Answer, Wait(0.2), Hangup
	queueName     = "ccdbench"
	ccdAgent      = "8001"
	ccdEndpoint   = "Local/8001@" + agentsContext
	queueMember   = "Local/8101@" + agentsContext
	benchDNIS     = "5558000"
)

func main() {
	n := flag.Int("n", 200, "samples per system and measure")
	systems := flag.String("systems", "ccd,app_queue", "systems to measure, comma-separated: ccd, app_queue, ccd-burst, app_queue-burst")
	csvPath := flag.String("csv", "", "write every sample to this CSV file")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var list []string
	for _, s := range strings.Split(*systems, ",") {
		list = append(list, strings.TrimSpace(s))
	}
	if err := run(*n, list, *csvPath, log); err != nil {
		fmt.Fprintln(os.Stderr, "acdlatency:", err)
		os.Exit(1)
	}
}

// sample is one measurement (see the package documentation): Main is the
// figure asked for, Rings and Took the two others (0 when not seen).
type sample struct {
	System, Measure   string
	Main, Rings, Took time.Duration
}

func run(n int, systems []string, csvPath string, log *slog.Logger) error {
	cfg, err := config.Load("", nil)
	if err != nil {
		return fmt.Errorf("configuration from the environment (CCD_ARI_*, CCD_AMI_*): %w", err)
	}
	if u := os.Getenv("CCD_TEST_DATABASE_URL"); u != "" {
		cfg.Database.URL = u
	}
	if cfg.Database.URL == "" {
		return errors.New("no database: run through `go run ./internal/tools/withpg --` or set CCD_DATABASE_URL")
	}
	ctx := context.Background()
	mc, err := ami.Connect(ctx, ami.Config{Addr: cfg.AMI.Addr, Username: cfg.AMI.Username, Secret: cfg.AMI.Secret,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer mc.Close()
	w := newWatcher(mc)
	defer w.close()
	if err := until(ctx, 20*time.Second, "AMI login", func() bool { return mc.Status().Connected }); err != nil {
		return err
	}
	if err := checkAsterisk(ctx, mc, systems); err != nil {
		return err
	}
	b := &bench{ami: mc, w: w, run: randomHex(4), log: log}
	var all []sample
	for _, s := range systems {
		var got []sample
		switch strings.TrimSpace(s) {
		case "ccd":
			got, err = b.ccd(ctx, cfg, n)
		case "app_queue":
			got, err = b.appQueue(ctx, n)
		case "ccd-burst":
			got, err = b.ccdBurst(ctx, cfg, n)
		case "app_queue-burst":
			got, err = b.appQueueBurst(ctx, n)
		default:
			err = fmt.Errorf("unknown system %q (want ccd, app_queue, ccd-burst, app_queue-burst)", s)
		}
		if err != nil {
			return err
		}
		all = append(all, got...)
	}
	report(os.Stdout, all)
	for _, n := range b.notes {
		fmt.Println(n)
	}
	if csvPath != "" {
		return writeCSV(csvPath, all)
	}
	return nil
}

// checkAsterisk refuses to start without the dialplan and queue the
// systems measured dial, saying what is missing.
func checkAsterisk(ctx context.Context, mc *ami.Client, systems []string) error {
	contexts := []string{ccdContext, agentsContext}
	var queues []string
	if slices.Contains(systems, "app_queue") {
		queues = append(queues, queueName)
	}
	if slices.Contains(systems, "app_queue-burst") {
		queues = append(queues, burstQueue)
	}
	if len(queues) > 0 {
		contexts = append(contexts, queueContext)
	}
	for _, c := range contexts {
		if _, _, err := mc.ListAction(ctx, ami.Action{Name: "ShowDialPlan", Fields: []ami.Field{{Key: "Context", Value: c}}}); err != nil {
			return fmt.Errorf("asterisk has no dialplan context %s (%v): add the dialplan in bench/acdlatency/README.md", c, err)
		}
	}
	for _, q := range queues {
		if err := checkQueue(ctx, mc, q); err != nil {
			return err
		}
	}
	return nil
}

func checkQueue(ctx context.Context, mc *ami.Client, queue string) error {
	_, list, err := mc.ListAction(ctx, ami.Action{Name: "QueueStatus", Fields: []ami.Field{{Key: "Queue", Value: queue}}})
	if err != nil {
		return err
	}
	for _, m := range list {
		if m.Event() == "QueueParams" {
			return nil
		}
	}
	return fmt.Errorf("asterisk has no queue %s: add it to queues.conf as bench/acdlatency/README.md says", queue)
}

type bench struct {
	ami  *ami.Client
	w    *watcher
	run  string
	seq  int
	log  *slog.Logger
	http string // ccd's address
	tok  string
	// notes are printed under the table (ccd's own share of the burst's
	// offers, from its metrics).
	notes []string
}

// placeCaller originates a caller: the Local channel's ;2 half runs
// Local/exten@context (answers, enters the queue); the ;1 half is the
// caller's phone and waits. It returns the Uniqueid of the ;2 half.
func (b *bench) placeCaller(ctx context.Context, exten, dialContext string) string {
	b.seq++
	id := fmt.Sprintf("acdlat-%s-%04d", b.run, b.seq)
	go func() {
		_, err := b.ami.Originate(ctx, ami.Action{Fields: []ami.Field{
			{Key: "Channel", Value: "Local/" + exten + "@" + dialContext},
			{Key: "Application", Value: "Wait"}, {Key: "Data", Value: "60"},
			{Key: "CallerID", Value: `"Bench" <5550100>`}, {Key: "ChannelId", Value: id}, {Key: "Timeout", Value: "30000"},
		}})
		if err != nil && ctx.Err() == nil {
			b.log.Warn("originate caller", "id", id, "err", err)
		}
	}()
	return id + ";2"
}

// ---- ccd ----

// startCCD runs ccd (package daemon) with one queue and the agents, logs
// them in and opens its database; stop ends it all.
func (b *bench) startCCD(ctx context.Context, cfg config.Config, agents []config.Agent) (db *store.DB, stop func(), err error) {
	addr, err := loopback.FreeAddr()
	if err != nil {
		return nil, nil, err
	}
	cfg.Listen = addr
	cfg.StateDir, err = os.MkdirTemp("", "acdlatency-")
	if err != nil {
		return nil, nil, err
	}
	cfg.API.Token = randomHex(16)
	cfg.ACD = config.ACD{
		Routes: []config.Route{{DNIS: benchDNIS, Queue: "bench"}},
		Queues: []config.Queue{{Code: "bench", RingTimeout: 15 * time.Second}},
		Agents: agents,
	}
	b.http, b.tok = "http://"+addr, cfg.API.Token
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- daemon.Run(dctx, cfg, b.log) }()
	stop = func() {
		if db != nil {
			db.Close()
		}
		cancel()
		<-done
		os.RemoveAll(cfg.StateDir)
	}
	if err = until(ctx, 30*time.Second, "ccd ready", func() bool { return b.get("/readyz", nil) == nil }); err == nil {
		for _, a := range agents {
			if err = b.post("/api/agents/"+a.ID+"/login", ""); err != nil {
				break
			}
		}
	}
	if err == nil {
		db, err = store.Open(ctx, cfg.Database.URL, 2, b.log)
	}
	if err != nil {
		stop()
		return nil, nil, err
	}
	return db, stop, nil
}

func (b *bench) ccd(ctx context.Context, cfg config.Config, n int) ([]sample, error) {
	db, stop, err := b.startCCD(ctx, cfg, []config.Agent{{ID: ccdAgent, Name: "Bench", Endpoint: ccdEndpoint}})
	if err != nil {
		return nil, err
	}
	defer stop()

	var out []sample
	// (b): a call arrives while the agent is free.
	for i := 0; i < n; i++ {
		if err := b.ccdAgentState(ctx, "ready"); err != nil {
			return nil, err
		}
		caller := b.peekCaller()
		agent := caller + "-1" // ccd names the offer's channel <call id>-<offer>
		start := b.w.expect(isNewexten(caller, "Stasis"))
		in := b.w.expect(isVarSet(caller, "BENCH_IN"))
		end := b.w.expect(isNewchannel(agent))
		rings := b.w.expect(isVarSet(agent+";2", "BENCH_RING"))
		gone := b.w.expect(isHangup(caller))
		b.placeCaller(ctx, benchDNIS, ccdContext)
		ev, err := waitAll(start, in, end, rings)
		if err != nil {
			return nil, fmt.Errorf("ccd (b) sample %d: %w", i, err)
		}
		smp := sample{System: "ccd", Measure: "b", Main: stamp(ev[2]).Sub(stamp(ev[0])), Rings: value(ev[3]).Sub(value(ev[1]))}
		if at, err := b.logged(ctx, db, store.EventFilter{Kind: ccd.EventCallQueued, CallID: caller}); err == nil {
			smp.Took = stamp(ev[2]).Sub(at)
		}
		out = append(out, smp)
		if _, err := waitAll(gone); err != nil {
			return nil, fmt.Errorf("ccd (b) sample %d: caller did not end: %w", i, err)
		}
	}
	// (a): the agent becomes ready while a call waits.
	for i := 0; i < n; i++ {
		if err := b.ccdAgentState(ctx, "ready"); err != nil {
			return nil, err
		}
		if err := b.post("/api/agents/"+ccdAgent+"/not_ready", `{"activity":"bench"}`); err != nil {
			return nil, err
		}
		caller := b.peekCaller()
		agent := caller + "-1"
		gone := b.w.expect(isHangup(caller))
		b.placeCaller(ctx, benchDNIS, ccdContext)
		if err := b.ccdWaiting(ctx, 1); err != nil {
			return nil, fmt.Errorf("ccd (a) sample %d: %w", i, err)
		}
		time.Sleep(randomDelay())
		end := b.w.expect(isNewchannel(agent))
		rings := b.w.expect(isVarSet(agent+";2", "BENCH_RING"))
		t0 := time.Now()
		if err := b.post("/api/agents/"+ccdAgent+"/ready", ""); err != nil {
			return nil, err
		}
		ev, err := waitAll(end, rings)
		if err != nil {
			return nil, fmt.Errorf("ccd (a) sample %d: %w", i, err)
		}
		smp := sample{System: "ccd", Measure: "a", Main: stamp(ev[0]).Sub(t0), Rings: value(ev[1]).Sub(t0)}
		if at, err := b.logged(ctx, db, store.EventFilter{Kind: ccd.EventAgentReady, From: t0}); err == nil {
			smp.Took = stamp(ev[0]).Sub(at)
		}
		out = append(out, smp)
		if _, err := waitAll(gone); err != nil {
			return nil, fmt.Errorf("ccd (a) sample %d: caller did not end: %w", i, err)
		}
	}
	return out, nil
}

// peekCaller is the Stasis-side id the next placeCaller will use.
func (b *bench) peekCaller() string { return fmt.Sprintf("acdlat-%s-%04d;2", b.run, b.seq+1) }

// ccdAgentState waits until the agent is in state with no call.
func (b *bench) ccdAgentState(ctx context.Context, state string) error {
	return b.agentState(ctx, ccdAgent, state)
}

// agentState waits until agent id is in state with no call.
func (b *bench) agentState(ctx context.Context, id, state string) error {
	return until(ctx, 30*time.Second, "agent "+id+" "+state, func() bool {
		var st struct {
			State  string `json:"state"`
			CallID string `json:"call_id"`
		}
		return b.get("/api/agents/"+id, &st) == nil && st.State == state && st.CallID == ""
	})
}

// ccdWaiting waits until ccd's queue holds n waiting calls.
func (b *bench) ccdWaiting(ctx context.Context, n int) error {
	return until(ctx, 30*time.Second, "caller waiting in ccd", func() bool {
		var qs []struct {
			Code    string `json:"code"`
			Waiting int    `json:"waiting"`
		}
		return b.get("/api/queues", &qs) == nil && len(qs) == 1 && qs[0].Waiting == n
	})
}

// logged is the time of the first event in ccd's log that matches f (ccd's
// clock when its loop decided it).
func (b *bench) logged(ctx context.Context, db *store.DB, f store.EventFilter) (time.Time, error) {
	var at time.Time
	err := until(ctx, 5*time.Second, f.Kind+" in the event log", func() bool {
		evs, err := db.Events(ctx, f)
		if err != nil || len(evs) == 0 {
			return false
		}
		at = evs[0].At
		return true
	})
	return at, err
}

func (b *bench) request(method, path, body string) (*http.Response, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.http+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+b.tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return http.DefaultClient.Do(req)
}

func (b *bench) post(path, body string) error {
	resp, err := b.request(http.MethodPost, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s %s", path, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

func (b *bench) get(path string, v any) error {
	resp, err := b.request(http.MethodGet, path, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if v == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// ---- app_queue ----

func (b *bench) appQueue(ctx context.Context, n int) ([]sample, error) {
	_, _ = b.ami.Action(ctx, ami.Action{Name: "QueueRemove", Fields: []ami.Field{{Key: "Queue", Value: queueName}, {Key: "Interface", Value: queueMember}}})
	if _, err := b.ami.Action(ctx, ami.Action{Name: "QueueAdd", Fields: []ami.Field{
		{Key: "Queue", Value: queueName}, {Key: "Interface", Value: queueMember}, {Key: "MemberName", Value: "bench"},
	}}); err != nil {
		return nil, fmt.Errorf("QueueAdd: %w", err)
	}
	defer b.ami.Action(context.Background(), ami.Action{Name: "QueueRemove", Fields: []ami.Field{{Key: "Queue", Value: queueName}, {Key: "Interface", Value: queueMember}}})
	member := func(half, event string) func(m *ami.Message) bool {
		return func(m *ami.Message) bool {
			ch := m.Get("Channel")
			return m.Event() == event && strings.HasPrefix(ch, queueMember+"-") && strings.HasSuffix(ch, half) &&
				(event != "VarSet" || m.Get("Variable") == "BENCH_RING")
		}
	}
	var out []sample
	// (b): a call arrives while the member is free.
	for i := 0; i < n; i++ {
		if err := b.memberIdle(ctx, false); err != nil {
			return nil, err
		}
		caller := b.peekCaller()
		start := b.w.expect(isNewexten(caller, "Queue"))
		in := b.w.expect(isVarSet(caller, "BENCH_IN"))
		end := b.w.expect(member(";1", "Newchannel"))
		rings := b.w.expect(member(";2", "VarSet"))
		join := b.w.expect(func(m *ami.Message) bool { return m.Event() == "QueueCallerJoin" && m.Get("Uniqueid") == caller })
		gone := b.w.expect(isHangup(caller))
		b.placeCaller(ctx, "s", queueContext)
		ev, err := waitAll(start, in, end, rings, join)
		if err != nil {
			return nil, fmt.Errorf("app_queue (b) sample %d: %w", i, err)
		}
		out = append(out, sample{System: "app_queue", Measure: "b", Main: stamp(ev[2]).Sub(stamp(ev[0])),
			Rings: value(ev[3]).Sub(value(ev[1])), Took: stamp(ev[2]).Sub(stamp(ev[4]))})
		if _, err := waitAll(gone); err != nil {
			return nil, fmt.Errorf("app_queue (b) sample %d: caller did not end: %w", i, err)
		}
	}
	// (a): the member is unpaused while a call waits.
	for i := 0; i < n; i++ {
		if err := b.memberIdle(ctx, false); err != nil {
			return nil, err
		}
		if err := b.pause(ctx, true); err != nil {
			return nil, err
		}
		if err := b.memberIdle(ctx, true); err != nil {
			return nil, err
		}
		caller := b.peekCaller()
		join := b.w.expect(func(m *ami.Message) bool { return m.Event() == "QueueCallerJoin" && m.Get("Uniqueid") == caller })
		gone := b.w.expect(isHangup(caller))
		b.placeCaller(ctx, "s", queueContext)
		if _, err := waitAll(join); err != nil {
			return nil, fmt.Errorf("app_queue (a) sample %d: %w", i, err)
		}
		time.Sleep(randomDelay())
		end := b.w.expect(member(";1", "Newchannel"))
		rings := b.w.expect(member(";2", "VarSet"))
		unpaused := b.w.expect(func(m *ami.Message) bool {
			return m.Event() == "QueueMemberPause" && m.Get("Interface") == queueMember && m.Get("Paused") == "0"
		})
		t0 := time.Now()
		if err := b.pause(ctx, false); err != nil {
			return nil, err
		}
		ev, err := waitAll(end, rings, unpaused)
		if err != nil {
			return nil, fmt.Errorf("app_queue (a) sample %d: %w", i, err)
		}
		out = append(out, sample{System: "app_queue", Measure: "a", Main: stamp(ev[0]).Sub(t0),
			Rings: value(ev[1]).Sub(t0), Took: stamp(ev[0]).Sub(stamp(ev[2]))})
		if _, err := waitAll(gone); err != nil {
			return nil, fmt.Errorf("app_queue (a) sample %d: caller did not end: %w", i, err)
		}
	}
	return out, nil
}

func (b *bench) pause(ctx context.Context, on bool) error {
	_, err := b.ami.Action(ctx, ami.Action{Name: "QueuePause", Fields: []ami.Field{
		{Key: "Queue", Value: queueName}, {Key: "Interface", Value: queueMember}, {Key: "Paused", Value: strconv.FormatBool(on)},
	}})
	return err
}

// memberIdle waits until app_queue sees the member not in use (device state
// 1), in no call and paused as asked: with ringinuse=no a member whose
// device state still says "in use" would not be rung, which would count the
// previous sample's teardown against the next.
func (b *bench) memberIdle(ctx context.Context, paused bool) error {
	want := "0"
	if paused {
		want = "1"
	}
	return until(ctx, 30*time.Second, "queue member idle", func() bool {
		_, list, err := b.ami.ListAction(ctx, ami.Action{Name: "QueueStatus", Fields: []ami.Field{{Key: "Queue", Value: queueName}}})
		if err != nil {
			return false
		}
		for _, m := range list {
			if m.Event() == "QueueMember" && m.Get("Location") == queueMember {
				return m.Get("Status") == "1" && m.Get("InCall") == "0" && m.Get("Paused") == want
			}
		}
		return false
	})
}

// ---- AMI events ----

// watcher hands AMI events to the expectations registered before the action
// that causes them.
type watcher struct {
	sub  *ami.Subscription
	mu   sync.Mutex
	exp  []*expectation
	taps map[*tap]bool
	done chan struct{}
}

// tap keeps every event that matches, by channel name, until closed: for
// channels whose names are known only after the fact (app_queue's members).
type tap struct {
	w     *watcher
	match func(*ami.Message) bool
	mu    sync.Mutex
	byCh  map[string]*ami.Message
}

// tap starts keeping the events that match.
func (w *watcher) tap(match func(*ami.Message) bool) *tap {
	t := &tap{w: w, match: match, byCh: map[string]*ami.Message{}}
	w.mu.Lock()
	if w.taps == nil {
		w.taps = map[*tap]bool{}
	}
	w.taps[t] = true
	w.mu.Unlock()
	return t
}

func (t *tap) offer(m *ami.Message) {
	if !t.match(m) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, seen := t.byCh[m.Get("Channel")]; !seen {
		t.byCh[m.Get("Channel")] = m
	}
}

// get is the first kept event of channel.
func (t *tap) get(channel string) (*ami.Message, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m, ok := t.byCh[channel]
	return m, ok
}

func (t *tap) close() {
	t.w.mu.Lock()
	defer t.w.mu.Unlock()
	delete(t.w.taps, t)
}

type expectation struct {
	match func(*ami.Message) bool
	got   chan *ami.Message
}

func newWatcher(mc *ami.Client) *watcher {
	w := &watcher{sub: mc.Subscribe("Newchannel", "Newexten", "VarSet", "Hangup", "QueueCallerJoin", "QueueMemberPause", "AgentCalled"),
		done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for m := range w.sub.C() {
			w.mu.Lock()
			for t := range w.taps {
				t.offer(m)
			}
			for i, e := range w.exp {
				if e.match(m) {
					e.got <- m
					w.exp = slices.Delete(w.exp, i, i+1)
					break
				}
			}
			w.mu.Unlock()
		}
	}()
	return w
}

// expect registers interest in the next event that matches.
func (w *watcher) expect(match func(*ami.Message) bool) <-chan *ami.Message {
	e := &expectation{match: match, got: make(chan *ami.Message, 1)}
	w.mu.Lock()
	w.exp = append(w.exp, e)
	w.mu.Unlock()
	return e.got
}

func (w *watcher) close() {
	w.sub.Close()
	<-w.done
}

func isNewchannel(uniqueid string) func(*ami.Message) bool {
	return func(m *ami.Message) bool { return m.Event() == "Newchannel" && m.Get("Uniqueid") == uniqueid }
}

func isNewexten(uniqueid, app string) func(*ami.Message) bool {
	return func(m *ami.Message) bool {
		return m.Event() == "Newexten" && m.Get("Uniqueid") == uniqueid && m.Get("Application") == app
	}
}

func isVarSet(uniqueid, variable string) func(*ami.Message) bool {
	return func(m *ami.Message) bool {
		return m.Event() == "VarSet" && m.Get("Uniqueid") == uniqueid && m.Get("Variable") == variable
	}
}

func isHangup(uniqueid string) func(*ami.Message) bool {
	return func(m *ami.Message) bool { return m.Event() == "Hangup" && m.Get("Uniqueid") == uniqueid }
}

const eventTimeout = 20 * time.Second

// waitAll waits for one event on each channel, in order, within eventTimeout
// in all.
func waitAll(cs ...<-chan *ami.Message) ([]*ami.Message, error) {
	return waitAllWithin(eventTimeout, cs...)
}

// waitAllWithin is waitAll within d in all.
func waitAllWithin(d time.Duration, cs ...<-chan *ami.Message) ([]*ami.Message, error) {
	deadline := time.After(d)
	out := make([]*ami.Message, len(cs))
	for i, c := range cs {
		select {
		case out[i] = <-c:
		case <-deadline:
			return nil, fmt.Errorf("AMI event %d of %d not seen within %s", i+1, len(cs), d)
		}
	}
	return out, nil
}

// stamp is an AMI event's Timestamp.
func stamp(m *ami.Message) time.Time {
	t, err := epoch(m.Get("Timestamp"))
	if err != nil {
		panic("AMI event without Timestamp: set timestampevents = yes in manager.conf [general]")
	}
	return t
}

// value is the time a VarSet event carries, as the dialplan's
// ${STRFTIME(,,%s.%6q)} wrote it.
func value(m *ami.Message) time.Time {
	t, err := epoch(m.Get("Value"))
	if err != nil {
		panic(fmt.Sprintf("VarSet %s=%q is not a time: is the dialplan of README.md in place?", m.Get("Variable"), m.Get("Value")))
	}
	return t
}

// epoch parses "1795387802.020123" (seconds since the epoch, a fraction to
// the microsecond) without going through a float.
func epoch(s string) (time.Time, error) {
	sec, frac, _ := strings.Cut(s, ".")
	secs, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	nanos, err := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(secs, nanos), nil
}

// ---- report ----

func report(w io.Writer, all []sample) {
	type row struct {
		sys, measure, label string
		pick                func(sample) time.Duration
	}
	main := func(s sample) time.Duration { return s.Main }
	rings := func(s sample) time.Duration { return s.Rings }
	took := func(s sample) time.Duration { return s.Took }
	rows := []row{
		{"ccd", "a", "(a) POST ready -> agent Newchannel", main},
		{"ccd", "a", "    POST ready -> agent's dialplan runs", rings},
		{"ccd", "a", "    agent.ready (ccd) -> Newchannel", took},
		{"app_queue", "a", "(a) QueuePause off -> member Newchannel", main},
		{"app_queue", "a", "    QueuePause off -> member's dialplan runs", rings},
		{"app_queue", "a", "    QueueMemberPause -> Newchannel", took},
		{"ccd", "b", "(b) Newexten Stasis -> agent Newchannel", main},
		{"ccd", "b", "    caller stamp -> agent's dialplan runs", rings},
		{"ccd", "b", "    call.queued (ccd) -> Newchannel", took},
		{"app_queue", "b", "(b) Newexten Queue -> member Newchannel", main},
		{"app_queue", "b", "    caller stamp -> member's dialplan runs", rings},
		{"app_queue", "b", "    QueueCallerJoin -> Newchannel", took},
		{"ccd", "burst", "(c) burst: Newexten Stasis -> agent Newchannel", main},
		{"ccd", "burst", "    caller stamp -> agent's dialplan runs", rings},
		{"ccd", "burst", "    call.queued (ccd) -> Newchannel", took},
		{"app_queue", "burst", "(c) burst: Newexten Queue -> member Newchannel", main},
		{"app_queue", "burst", "    caller stamp -> member's dialplan runs", rings},
		{"app_queue", "burst", "    QueueCallerJoin -> Newchannel", took},
	}
	fmt.Fprintf(w, "%-10s %-44s %5s %8s %8s %8s %8s %8s %8s\n", "system", "measure (milliseconds)", "n", "min", "p50", "p90", "p99", "max", "mean")
	for _, r := range rows {
		var v []time.Duration
		for _, s := range all {
			if s.System == r.sys && s.Measure == r.measure && r.pick(s) != 0 {
				v = append(v, r.pick(s))
			}
		}
		if len(v) == 0 {
			continue
		}
		slices.Sort(v)
		var sum time.Duration
		for _, d := range v {
			sum += d
		}
		fmt.Fprintf(w, "%-10s %-44s %5d %8s %8s %8s %8s %8s %8s\n", r.sys, r.label, len(v),
			msec(v[0]), msec(pct(v, 0.50)), msec(pct(v, 0.90)), msec(pct(v, 0.99)), msec(v[len(v)-1]), msec(sum/time.Duration(len(v))))
	}
}

// pct is the nearest-rank percentile of sorted values.
func pct(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func msec(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) }

func writeCSV(path string, all []sample) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	_ = cw.Write([]string{"system", "measure", "main_us", "rings_us", "took_us"})
	for _, s := range all {
		_ = cw.Write([]string{s.System, s.Measure, strconv.FormatInt(s.Main.Microseconds(), 10),
			strconv.FormatInt(s.Rings.Microseconds(), 10), strconv.FormatInt(s.Took.Microseconds(), 10)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ---- helpers ----

func until(ctx context.Context, within time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", within, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// randomDelay is how long a caller waits before the agent becomes ready in
// (a): uniform over 0.2-1.2 s, i.e. over a whole cycle of app_queue's
// once-a-second check.
func randomDelay() time.Duration {
	return 200*time.Millisecond + time.Duration(mrand.Int64N(int64(time.Second)))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
