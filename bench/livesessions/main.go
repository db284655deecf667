// Command livesessions measures ccd alone serving the web interface's live
// views: it builds ./cmd/ccd and runs `ccd serve` as a process of its own
// against a throwaway PostgreSQL and a simulated Asterisk (ari/aritest and
// ami/amitest, in this process), logs supervisors in to the web interface,
// holds their live streams open (GET /ui/events, what the supervisor
// console and the wallboard read) and changes agents' states through the
// REST API at a fixed rate, each change one event in ccd's log.
//
// It reports, for the ccd process only: CPU as a share of one core
// (/proc/PID/stat utime+stime over the measuring window), resident memory
// at its peak (VmHWM) and steady (median VmRSS sampled once a second in
// the window), the changes delivered to the sessions per second, and the
// latency from a change's request to the snapshot showing it, as the
// sessions see it. It fails when a session missed more than -max-missed
// percent of the changes or when the changes could not be made at the
// rate asked for, so it cannot pass while measuring nothing.
//
//	go run ./internal/tools/withpg -- go run ./bench/livesessions [-sessions 200] [-rate 100] [-duration 20s] [-agents 50]
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ccdhq/ccd/ami/amitest"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/internal/loopback"
	"github.com/ccdhq/ccd/loadgen"
	"github.com/ccdhq/ccd/store"
	"github.com/ccdhq/ccd/webui"
)

type options struct {
	sessions, agents, users int
	rate                    float64
	duration, grace         time.Duration
	maxMissed, minRate      float64
}

func main() {
	var o options
	flag.IntVar(&o.sessions, "sessions", 200, "open live sessions (supervisor console / wallboard tabs)")
	flag.Float64Var(&o.rate, "rate", 100, "agent state changes (events) per second")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measuring window")
	flag.IntVar(&o.agents, "agents", 50, "agents whose states change, in turn")
	flag.IntVar(&o.users, "users", 10, "supervisor users the sessions log in as")
	flag.DurationVar(&o.grace, "grace", 3*time.Second, "wait after the window for the last changes to arrive")
	flag.Float64Var(&o.maxMissed, "max-missed", 1, "fail when a session missed more than this percentage of the changes")
	flag.Float64Var(&o.minRate, "min-rate", 90, "fail when fewer than this percentage of -rate changes were made")
	flag.Parse()
	if o.sessions <= 0 || o.rate <= 0 || o.agents <= 0 || o.users <= 0 || o.duration <= 0 {
		fmt.Fprintln(os.Stderr, "livesessions: -sessions, -rate, -agents, -users and -duration must be positive")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "livesessions:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	dsn := os.Getenv("CCD_TEST_DATABASE_URL")
	if dsn == "" {
		return errors.New("CCD_TEST_DATABASE_URL is not set: run it as go run ./internal/tools/withpg -- go run ./bench/livesessions")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "ccd-livesessions-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(os.Stderr, "livesessions: building ./cmd/ccd")
	bin, err := buildCCD(dir)
	if err != nil {
		return err
	}
	b, err := startBench(ctx, o, dir, bin, dsn)
	if err != nil {
		return err
	}
	defer b.close()
	fmt.Fprintf(os.Stderr, "livesessions: ccd pid %d at %s; opening %d sessions\n", b.ccd.cmd.Process.Pid, b.ccd.url, o.sessions)
	if err := b.openSessions(ctx); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "livesessions: measuring %s at %.0f changes/s\n", o.duration, o.rate)
	m, err := b.measure(ctx)
	if err != nil {
		return err
	}
	time.Sleep(o.grace)
	cancel()
	b.readers.Wait()
	r := b.result(m)
	r.print(os.Stdout, o)
	return r.check(o)
}

// bench is a running measurement: ccd, the simulated Asterisk, the
// sessions.
type bench struct {
	o        options
	ccd      *ccdProcess
	sim      *aritest.Sim
	ami      *amitest.Server
	rest     loadgen.HTTPAgents
	agentIDs []string
	users    map[string]string // supervisor -> password
	sessions []*session
	snaps    snapshots
	readers  sync.WaitGroup
	readErrs chan error
}

func startBench(ctx context.Context, o options, dir, bin, dsn string) (*bench, error) {
	b := &bench{o: o, users: map[string]string{}, snaps: snapshots{bySeq: map[int64]agentState{}}, readErrs: make(chan error, o.sessions)}
	ariSecret, amiSecret := secret(), secret()
	b.sim = aritest.NewSim(aritest.WithCredentials("ccd", ariSecret))
	b.ami = amitest.NewServer("ccd", amiSecret)
	listen, err := loopback.FreeAddr()
	if err != nil {
		b.close()
		return nil, err
	}
	for i := range o.agents {
		b.agentIDs = append(b.agentIDs, fmt.Sprint(1001+i))
	}
	s := setup{listen: listen, stateDir: filepath.Join(dir, "state"), dsn: dsn, ariURL: b.sim.URL, amiAddr: b.ami.Addr(),
		ariSecret: ariSecret, amiSecret: amiSecret, auth: secret(), agents: b.agentIDs, activities: activities}
	config := filepath.Join(dir, "ccd.yaml")
	if err := writeConfig(config, s); err != nil {
		b.close()
		return nil, err
	}
	if b.ccd, err = startCCD(ctx, bin, config, listen, filepath.Join(dir, "ccd.log")); err != nil {
		b.close()
		return nil, err
	}
	b.rest = loadgen.HTTPAgents{URL: b.ccd.url, Token: s.auth}
	if err := b.addUsers(ctx, dsn); err != nil {
		b.close()
		return nil, err
	}
	if err := b.loginAgents(ctx); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func (b *bench) close() {
	if b.ccd != nil {
		if err := b.ccd.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "livesessions: stopping ccd:", err)
		}
	}
	if b.sim != nil {
		b.sim.Close()
	}
	if b.ami != nil {
		b.ami.Close()
	}
}

// addUsers stores the supervisors, as `ccd user add` does but at bcrypt's
// lowest cost: 200 logins at cost 12 would take a minute of the cores the
// bench measures ccd on (the logins come before the window anyway).
func (b *bench) addUsers(ctx context.Context, dsn string) error {
	db, err := store.Open(ctx, dsn, 2, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer db.Close()
	for i := range b.o.users {
		name, pw := fmt.Sprintf("sup%02d", i+1), secret()
		hash, err := webui.HashPasswordCost(pw, 4)
		if err != nil {
			return err
		}
		if err := db.PutUIUser(ctx, store.UIUser{Username: name, Role: "supervisor", PasswordHash: hash}); err != nil {
			return err
		}
		b.users[name] = pw
	}
	return nil
}

// loginAgents logs every agent in and makes it ready: the changes then
// start from a known state.
func (b *bench) loginAgents(ctx context.Context) error {
	for _, id := range b.agentIDs {
		if err := b.rest.Login(ctx, id); err != nil {
			return err
		}
		if err := b.rest.Ready(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// openSessions logs the sessions in, round robin over the users, opens
// their streams and waits until each has its first snapshot.
func (b *bench) openSessions(ctx context.Context) error {
	transport := &http.Transport{MaxIdleConnsPerHost: 64}
	names := make([]string, 0, len(b.users))
	for n := range b.users {
		names = append(names, n)
	}
	slices.Sort(names)
	for i := range b.o.sessions {
		user := names[i%len(names)]
		s, err := login(b.ccd.url, transport, user, b.users[user])
		if err != nil {
			return err
		}
		resp, err := s.open(ctx, b.ccd.url)
		if err != nil {
			return err
		}
		b.sessions = append(b.sessions, s)
		b.readers.Add(1)
		go func() {
			defer b.readers.Done()
			if err := s.read(resp, &b.snaps); err != nil && ctx.Err() == nil {
				b.readErrs <- err
			}
		}()
	}
	return b.waitFirstSnapshots(30 * time.Second)
}

func (b *bench) waitFirstSnapshots(within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		waiting := 0
		for _, s := range b.sessions {
			if s.received() == 0 {
				waiting++
			}
		}
		if waiting == 0 {
			return nil
		}
		select {
		case err := <-b.readErrs:
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("sessions without a first snapshot after %s", within)
}

func secret() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// printTable writes rows of two columns aligned.
func printTable(w *tabwriter.Writer, rows [][2]string) {
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\n", r[0], r[1])
	}
	w.Flush()
}
