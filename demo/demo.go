// Package demo runs ccd with no PBX: its real wiring (daemon.Run) against
// the ARI simulation (aritest.Sim) and a fake AMI, a throwaway PostgreSQL,
// a handful of queues and agents, and simulated callers and agents
// (loadgen), so that the web interface moves within a minute of cloning.
// Every password is generated at start and printed; none is built in.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ccdhq/ccd/ami/amitest"
	"github.com/ccdhq/ccd/ari/aritest"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/daemon"
	"github.com/ccdhq/ccd/internal/localpg"
	"github.com/ccdhq/ccd/loadgen"
	"github.com/ccdhq/ccd/store"
	"github.com/ccdhq/ccd/webui"
)

// Options shape the demo. Zero values take the defaults in brackets.
type Options struct {
	// Listen is ccd's HTTP address [127.0.0.1:8080].
	Listen string
	// DatabaseURL is a database to use; "" starts a throwaway cluster in a
	// temporary directory, removed at the end.
	DatabaseURL string
	// Agents is how many agents there are [8].
	Agents int
	// CallsPerMinute is the callers' mean arrival rate [12].
	CallsPerMinute float64
	// Quiet: no simulated callers or agents, and the dialer campaign
	// stopped; the caller drives the demo (tests: Demo.Load.Call, the agent
	// console).
	Quiet bool
	// PauseEvery: one ready agent pauses this often [20 s].
	PauseEvery time.Duration
	// UserCost is the bcrypt cost of the demo users' passwords [12]; tests
	// lower it.
	UserCost int
	// SoftphoneURL gives every agent a softphone registering there
	// (api.softphone_url; SIP user webrtc-<id>, its password in
	// Demo.SIPPasswords); "" none.
	SoftphoneURL string
	// Wallboard are the wallboard's thresholds (ui.wallboard) [ccd's
	// defaults].
	Wallboard config.Wallboard
	// UIRefresh is the longest time between two pushes of the live views
	// (ui.refresh) [ccd's default].
	UIRefresh time.Duration
	Log       *slog.Logger
}

// agentAnswer is how long a simulated agent's phone rings before it
// answers: well inside the dialer's grace time (pacing.Grace, the law's
// 2 s), as with agents of a dialer campaign, whose phones answer at once.
// Slower phones made the campaign abandon most of the people who answered.
var agentAnswer = loadgen.Range{Min: 300 * time.Millisecond, Max: 1200 * time.Millisecond}

// Credential is one login of the demo.
type Credential struct{ Role, User, Password string }

// SupervisorPhones are the demo users' phones, which listen to the agents'
// calls (simulated: they answer by themselves).
var SupervisorPhones = map[string]string{"supervisor": "PJSIP/2000", "admin": "PJSIP/2001"}

// The numbers callers dial, and their queues.
var Numbers = map[string]string{"5550100": "sales", "5550200": "support"}

// Demo is a running demo.
type Demo struct {
	URL   string
	Users []Credential
	// Token is the integration token (api.token), for scripts.
	Token string
	Sim   *aritest.Sim
	Load  *loadgen.Generator
	// SIPPasswords are the agents' softphone passwords (with
	// Options.SoftphoneURL), by SIP user.
	SIPPasswords map[string]string
	// CampaignID is the dialer campaign the demo runs.
	CampaignID int

	cancel  context.CancelFunc
	done    chan error
	cleanup []func()
}

var agentNames = []string{"Ana Belen", "Bruno Diaz", "Carla Ruiz", "David Kim", "Elisa Moreau", "Farid Haddad", "Greta Lind",
	"Hugo Alves", "Ines Varga", "Jonas Weber", "Keiko Sato", "Luis Ortega"}

// Start starts the demo and returns once ccd is ready and the load runs.
func Start(ctx context.Context, o Options) (d *Demo, err error) {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:8080"
	}
	if o.Agents <= 0 {
		o.Agents = 8
	}
	if o.CallsPerMinute <= 0 {
		o.CallsPerMinute = 12
	}
	if o.PauseEvery <= 0 {
		o.PauseEvery = 20 * time.Second
	}
	if o.UserCost == 0 {
		o.UserCost = 12
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	d = &Demo{URL: "http://" + o.Listen, done: make(chan error, 1)}
	started := d // a failed start returns a nil d, and undoes this one
	defer func() {
		if err != nil {
			if started.cancel != nil {
				started.cancel()
				<-started.done
			}
			started.undo()
		}
	}()
	dir, err := os.MkdirTemp("", "ccd-demo-")
	if err != nil {
		return nil, err
	}
	d.cleanup = append(d.cleanup, func() { os.RemoveAll(dir) })
	dsn := o.DatabaseURL
	if dsn == "" {
		if dsn, err = d.throwawayDB(ctx, filepath.Join(dir, "postgres"), o.Log); err != nil {
			return nil, err
		}
	}
	ariSecret, amiSecret := secret(), secret()
	d.Sim = aritest.NewSim(aritest.WithCredentials("ccd", ariSecret))
	d.cleanup = append(d.cleanup, d.Sim.Close)
	// The simulated Asterisk has the stock sounds flows and callbacks name:
	// a flow naming one it does not have is refused when saved.
	for _, s := range demoSounds {
		d.Sim.AddSound(s, "gsm")
	}
	fakeAMI := amitest.NewServer("ccd", amiSecret)
	d.cleanup = append(d.cleanup, fakeAMI.Close)

	cfg := config.Default()
	cfg.Listen, cfg.StateDir, cfg.Database.URL = o.Listen, filepath.Join(dir, "state"), dsn
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = d.Sim.URL, "ccd", ariSecret
	cfg.AMI.Addr, cfg.AMI.Username, cfg.AMI.Secret = fakeAMI.Addr(), "ccd", amiSecret
	d.Token = secret()
	cfg.API.Token = d.Token
	cfg.API.SoftphoneURL = o.SoftphoneURL
	if o.Wallboard != (config.Wallboard{}) {
		cfg.UI.Wallboard = o.Wallboard
	}
	if o.UIRefresh > 0 {
		cfg.UI.Refresh = o.UIRefresh
	}
	d.SIPPasswords = map[string]string{}
	cfg.ACD.Queues = []config.Queue{
		{Code: "sales", Name: "Sales", ServiceLevel: 20 * time.Second, WrapUp: 5 * time.Second, RingTimeout: 15 * time.Second},
		{Code: "support", Name: "Support", ServiceLevel: 30 * time.Second, WrapUp: 5 * time.Second, RingTimeout: 15 * time.Second},
	}
	for dnis, queue := range Numbers {
		cfg.ACD.Routes = append(cfg.ACD.Routes, config.Route{DNIS: dnis, Queue: queue})
	}
	// Callers of sales may be called back, from the queue or a web form.
	cfg.Callbacks.Queues = []config.CallbackQueue{{Queue: "sales", MaxAttempts: 3, RetryInterval: 10 * time.Minute}}
	cfg.ACD.Activities = []config.Activity{{Code: "break", Name: "Break"}, {Code: "lunch", Name: "Lunch"}, {Code: "training", Name: "Training"}}
	endpoints := map[string]string{}
	for i := range o.Agents {
		id, pw := fmt.Sprintf("%d", 1001+i), secret()
		ep := "PJSIP/" + id
		ag := config.Agent{ID: id, Name: agentNames[i%len(agentNames)], Endpoint: ep, Password: pw}
		if o.SoftphoneURL != "" {
			ag.SIPUser, ag.SIPPassword = "webrtc-"+id, secret()
			d.SIPPasswords[ag.SIPUser] = ag.SIPPassword
		}
		cfg.ACD.Agents = append(cfg.ACD.Agents, ag)
		endpoints[id] = ep
		d.Users = append(d.Users, Credential{Role: "agent", User: id, Password: pw})
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := d.addUsers(ctx, dsn, o, &cfg); err != nil {
		return nil, err
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.cancel = cancel
	go func() { d.done <- daemon.Run(runCtx, cfg, o.Log) }()
	if err := d.waitReady(ctx); err != nil {
		return nil, err
	}
	lo := loadgen.Options{Sim: d.Sim, DNIS: []string{"5550100", "5550200"}, Log: o.Log,
		AnswerDelay: agentAnswer,
		Agents:      loadgen.HTTPAgents{URL: d.URL, Token: d.Token},
		Activities:  []string{"break", "lunch", "training"}}
	if !o.Quiet {
		lo.Endpoints, lo.CallsPerMinute, lo.PauseEvery = endpoints, o.CallsPerMinute, o.PauseEvery
	}
	d.Load = loadgen.New(lo)
	go func() { _ = d.Load.Run(runCtx) }()
	return d, nil
}

// throwawayDB starts a private PostgreSQL cluster in dir, as ccd serve does
// when no database is configured, and stops it at the end.
func (d *Demo) throwawayDB(ctx context.Context, dir string, log *slog.Logger) (string, error) {
	c, err := localpg.Open(dir)
	if err != nil {
		return "", err
	}
	if err := c.Start(ctx); err != nil {
		return "", err
	}
	d.cleanup = append(d.cleanup, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Stop(sctx); err != nil {
			log.Warn("demo: stopping PostgreSQL", "err", err)
		}
	})
	return c.EnsureDatabase(ctx, "ccd")
}

// addUsers creates a supervisor and an administrator with fresh passwords.
// It also stores the dialer campaign (addCampaign).
func (d *Demo) addUsers(ctx context.Context, dsn string, o Options, cfg *config.Config) error {
	db, err := store.Open(ctx, dsn, 2, o.Log)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	for _, role := range []string{"supervisor", "admin"} {
		pw := secret()
		phone := SupervisorPhones[role]
		// The simulated phone answers at once, like a supervisor who
		// clicked Listen and picks up.
		d.Sim.SetEndpoint(phone, aritest.Behavior{Action: aritest.EndpointAnswer, Delay: 300 * time.Millisecond})
		hash, err := webui.HashPasswordCost(pw, o.UserCost)
		if err != nil {
			return err
		}
		if err := db.PutUIUser(ctx, store.UIUser{Username: role, Role: role, PasswordHash: hash, Endpoint: phone}); err != nil {
			return err
		}
		d.Users = append([]Credential{{Role: role, User: role, Password: pw}}, d.Users...)
	}
	return d.addCampaign(ctx, db, cfg, o.Quiet)
}

func (d *Demo) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-d.done:
			d.done <- err
			return fmt.Errorf("ccd stopped: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(d.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("ccd not ready within 60 s")
}

// PrintCredentials writes the address and every login of the demo.
func (d *Demo) PrintCredentials(w io.Writer) {
	fmt.Fprintf(w, "\nccd demo running: open %s/ui/ (Ctrl-C stops it and removes its database)\n\n", d.URL)
	fmt.Fprintf(w, "  %-11s %-11s %s\n", "role", "user", "password")
	for _, c := range d.Users {
		fmt.Fprintf(w, "  %-11s %-11s %s\n", c.Role, c.User, c.Password)
	}
	fmt.Fprintf(w, "\n  integration token (REST API): %s\n  callers dial 5550100 (sales) and 5550200 (support)\n", d.Token)
	fmt.Fprintf(w, "  the dialer's campaign %d calls %d numbers for the %s queue\n\n", d.CampaignID, CampaignTargets, campaignQueue)
}

// Wait blocks until ccd stops, then removes what the demo made.
func (d *Demo) Wait() error {
	err := <-d.done
	d.done <- err
	d.undo()
	return err
}

// Stop stops ccd and the simulation and removes the database.
func (d *Demo) Stop() error {
	if d.cancel != nil {
		d.cancel()
	}
	return d.Wait()
}

func (d *Demo) undo() {
	for i := len(d.cleanup) - 1; i >= 0; i-- {
		d.cleanup[i]()
	}
	d.cleanup = nil
}

// secret is a fresh random password: 24 characters, URL-safe.
func secret() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// demoSounds are sounds of Asterisk's core sound set.
var demoSounds = []string{"welcome", "hello-world", "goodbye", "invalid", "demo-congrats", "queue-thankyou",
	"pls-hold-while-try", "vm-press", "you-entered", "if-correct-press", "vm-enter-num-to-call", "then-press-pound",
	"auth-thankyou", "beep"}
