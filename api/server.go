// Package api is ccd's HTTP server: health and readiness, Prometheus metrics,
// the one authentication of every route (principals and roles, auth.go),
// ccd's own JSON interface to agents, queues and calls, and the statistics.
// The dialects CRMs and toolbars speak (OMniLeads, Optimus) live in
// integrations/ and mount on the server through its echo instance, its
// authentication and the agent service MountAgents returns. Errors are the
// domain's (ccd.Error), mapped to HTTP in one place (errors.go).
package api

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one readiness condition: the database, each Asterisk link.
type Check struct {
	Name string
	// Func returns nil when ready, or the reason it is not.
	Func func(ctx context.Context) error
}

// Options are the limits and the transport of the HTTP server. Zero values take
// the defaults of the configuration (config.Default).
type Options struct {
	// MaxBodyBytes bounds every request body (413 above it).
	MaxBodyBytes int64
	// ReadHeaderTimeout and ReadTimeout bound the reading of a request;
	// WriteTimeout is the longest an answer may go without progress (each
	// write extends it); IdleTimeout closes silent keep-alive connections.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// TLSCertFile and TLSKeyFile (PEM): serve HTTPS. Both or neither.
	TLSCertFile, TLSKeyFile string
	// Token is the integration token: a principal of kind ccd.Integration
	// (Grant). /readyz gives its reasons only to principals with the
	// readiness role, as they name internal addresses.
	Token string
	// AdminToken is the administrators' token: a principal of kind
	// ccd.Admin, which may also change the configuration (MountAdmin).
	AdminToken string
	// SupervisorToken is the supervisors' token: a principal of kind
	// ccd.Supervisor.
	SupervisorToken string
	// Now is the server's clock (token expiry, login throttling, "today"
	// of the real-time views); nil is time.Now. Tests set it.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	d := config.Default().API
	o.MaxBodyBytes = cmp.Or(o.MaxBodyBytes, d.MaxBodyBytes)
	o.ReadHeaderTimeout = cmp.Or(o.ReadHeaderTimeout, d.ReadHeaderTimeout)
	o.ReadTimeout = cmp.Or(o.ReadTimeout, d.ReadTimeout)
	o.WriteTimeout = cmp.Or(o.WriteTimeout, d.WriteTimeout)
	o.IdleTimeout = cmp.Or(o.IdleTimeout, d.IdleTimeout)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Server is the HTTP server.
type Server struct {
	Echo   *echo.Echo
	log    *slog.Logger
	opts   Options
	mu     sync.Mutex
	checks []Check
	srv    *http.Server
	creds  credentials
	// errorWriters answer errors on the routes of a dialect that has its own
	// error shape (route path -> writer).
	errorWriters map[string]ErrorWriter
	// agentQueues are the queues an agent serves (SetAgentQueues).
	agentQueues func(agent string) []string
	// streamed are the routes whose handler reads the body as a stream
	// (route path -> the body's limit), see StreamBody.
	streamed map[string]int64
	// recordings is the recordings interface once mounted, for the web
	// interface's player (Recordings).
	recordings *recordingsAPI
}

// New builds the server with /healthz, /readyz and /metrics and the default
// limits.
func New(log *slog.Logger, reg *prometheus.Registry) *Server {
	return NewServer(log, reg, Options{})
}

// NewServer is New with limits and transport. Every route, present and future,
// passes the same edge: security headers, the body limit, deadlines and the
// text check (edge.go).
func NewServer(log *slog.Logger, reg *prometheus.Registry, opts Options) *Server {
	if log == nil {
		log = slog.Default()
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true

	// The client address (login throttling) is the peer's, or what a reverse
	// proxy on this host says it is; a remote client cannot choose it by
	// sending X-Forwarded-For.
	e.IPExtractor = echo.ExtractIPFromXFFHeader(echo.TrustLinkLocal(false), echo.TrustPrivateNet(false))
	s := &Server{Echo: e, log: log, opts: opts.withDefaults(), errorWriters: map[string]ErrorWriter{}, streamed: map[string]int64{}}
	e.HTTPErrorHandler = s.errorHandler
	s.Grant(s.opts.Token, ccd.NewPrincipal(ccd.Integration, "integration"))
	s.Grant(s.opts.AdminToken, ccd.NewPrincipal(ccd.Admin, "admin"))
	s.Grant(s.opts.SupervisorToken, ccd.NewPrincipal(ccd.Supervisor, "supervisor"))
	e.Use(decodePathParams, securityHeaders, s.edge)
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", s.readyz)
	if reg != nil {
		e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	}
	return s
}

// securityHeaders keeps browsers from guessing content types and every cache
// from keeping answers: tokens, agent names and call data must not linger in
// a proxy or on a shared machine.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		return next(c)
	}
}

// ServeHTTP serves a request through every route and middleware, as the
// listening server does (tests and embedding programs call it directly).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.Echo.ServeHTTP(w, r) }

// AddCheck adds a readiness condition.
func (s *Server) AddCheck(c Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks = append(s.checks, c)
}

type checkResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// readyz answers 200 when every check passes and 503 otherwise, listing each
// check. The reasons go only to a principal with the readiness role (the
// integration token): they hold internal addresses (database host, Asterisk
// URLs) an anonymous caller need not learn. The route itself needs no
// credentials.
func (s *Server) readyz(c echo.Context) error {
	var reasons bool
	if token, ok := bearerToken(c.Request()); ok {
		p, known, _ := s.principal(c.Request().Context(), token)
		reasons = known && p.Has(ccd.RoleReadiness)
	}
	s.mu.Lock()
	checks := append([]Check(nil), s.checks...)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	results := make([]checkResult, len(checks))
	var wg sync.WaitGroup
	for i, ch := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = checkResult{Name: ch.Name, OK: true}
			if err := ch.Func(ctx); err != nil {
				results[i] = checkResult{Name: ch.Name}
				if reasons {
					results[i].Error = err.Error()
				}
			}
		}()
	}
	wg.Wait()
	status, code := "ready", http.StatusOK
	for _, r := range results {
		if !r.OK {
			status, code = "not ready", http.StatusServiceUnavailable
		}
	}
	return c.JSON(code, map[string]any{"status": status, "checks": results})
}

// Serve listens on addr until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.ServeListener(ctx, ln)
}

// ServeListener is Serve on an existing listener (tests use port 0). With a
// certificate configured it serves HTTPS; without, it warns when the listener
// is reachable from other machines, since tokens and passwords would then
// cross the network in clear.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener) error {
	o := s.opts
	// WriteTimeout here is the deadline of an answer's start; the edge
	// extends it while the answer makes progress.
	s.srv = &http.Server{Handler: s.Echo, ReadHeaderTimeout: o.ReadHeaderTimeout, ReadTimeout: o.ReadTimeout,
		WriteTimeout: o.WriteTimeout, IdleTimeout: o.IdleTimeout, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	serve := func() error { return s.srv.Serve(ln) }
	if o.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("http: loading the TLS certificate: %w", err)
		}
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		serve = func() error { return s.srv.ServeTLS(ln, "", "") }
	} else if !loopback(ln.Addr()) {
		s.log.Warn("http listening beyond loopback without TLS: tokens and passwords cross the network in clear; "+
			"set api.tls_cert_file and api.tls_key_file or put a TLS proxy in front", "addr", ln.Addr().String())
	}
	s.log.Info("http listening", "addr", ln.Addr().String(), "tls", o.TLSCertFile != "")
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) {
		return e
	}
	return err
}

// loopback tells whether addr is reachable from this machine only.
func loopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
