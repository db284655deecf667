// Package webui is ccd's web interface for people: a login for agents,
// supervisors and administrators, the wallboard, the supervisor console and
// the agent console. Its pages are plain HTML, CSS and JavaScript modules
// embedded in the binary (no build step); they read one live stream (server-sent
// events) fed by the event log's in-process fan-out and the ACD's snapshot, and
// act through the same agent service as the REST API.
//
// Sessions are cookies (HttpOnly, SameSite=Strict) whose token is kept only
// as a hash in PostgreSQL, with an expiry; every request that changes
// something carries the session's CSRF token. Supervisors and administrators
// are rows of ui_user (bcrypt); agents log in with the password of their live
// configuration. The integration and BI credentials have no login here.
package webui

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"
)

//go:embed static
var static embed.FS

// Store keeps the interface's users and sessions (store.DB).
type Store interface {
	UIUserByName(ctx context.Context, username string) (store.UIUser, bool, error)
	OpenUISession(ctx context.Context, hash []byte, kind, name string, created, expires time.Time, total int) error
	UISessionOf(ctx context.Context, hash []byte, now time.Time) (store.UISession, bool, error)
	CloseUISession(ctx context.Context, hash []byte) error
}

// Realtime is the ACD's present with today's figures (api.Realtime).
type Realtime interface {
	Queues(ctx context.Context) ([]api.QueueView, error)
	Agents(ctx context.Context) ([]api.AgentView, error)
}

// Options are what the interface works with.
type Options struct {
	Store Store
	// Agents is the agent service of the REST API: the ACD's AgentControl,
	// agents' passwords (throttled), login at an allowed endpoint.
	Agents *api.Agents
	// Realtime feeds the views; Hub says when something happened.
	Realtime Realtime
	Hub      *eventlog.Hub
	// Activities are the not-ready codes agents choose from (live).
	Activities func() []config.Activity
	// Spy puts a supervisor's phone on an agent's call (nil: no ACD here).
	Spy Spy
	// WaitingCallbacks counts the callbacks waiting for an agent, by
	// queue, for the wallboard (nil: no callbacks).
	WaitingCallbacks func(ctx context.Context) (map[string]int, error)
	// Wallboard are the wallboard's thresholds (ui.wallboard; zero: the
	// defaults).
	Wallboard config.Wallboard
	// Reports serves the statistics tables to the reports view
	// (api.Realtime; nil: no statistics).
	Reports interface{ Table(echo.Context) error }
	// Emit writes an audit event (the event log writer's Add).
	Emit func(eventlog.Event) error
	// SessionTTL is how long a session lasts (default 12 h); MaxSessions
	// bounds them in all (default 10,000).
	SessionTTL  time.Duration
	MaxSessions int
	// SecureCookie marks the cookie Secure (ccd serves HTTPS).
	SecureCookie bool
	// SoftphoneURL is where agents' softphones register (Asterisk's PJSIP
	// WebSocket, api.softphone_url); "" leaves the softphone out.
	SoftphoneURL string
	// Refresh is the longest time between two pushes of the live views,
	// for the figures that change without an event of this process
	// (the statistics job, another ccd); default 1 s.
	Refresh time.Duration
	// Figures signals that today's figures changed in the database (the
	// statistics job folded new events): the live views push them at once
	// (nil: only events and Refresh push).
	Figures <-chan struct{}
	Now     func() time.Time
	// Location is the call center's zone, where "today" starts (default
	// the machine's).
	Location *time.Location
	Log      *slog.Logger
}

// The paths of the interface.
const (
	Prefix      = "/ui"
	CookieName  = "ccd_ui"
	CSRFHeader  = "X-CSRF-Token"
	csrfContext = "ccd-csrf:"
	// cookiePath is the whole site: the page calls the REST API (/api/...)
	// with its session (browserAuth).
	cookiePath = "/"
)

// UI is the mounted interface; Run feeds its live views.
type UI struct {
	o    Options
	live *broadcaster
}

// Mount adds the interface's routes to srv. The live views start with Run.
func Mount(srv *api.Server, o Options) *UI {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 10000
	}
	if o.Refresh <= 0 {
		o.Refresh = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Activities == nil {
		o.Activities = func() []config.Activity { return nil }
	}
	if o.Wallboard == (config.Wallboard{}) {
		o.Wallboard = config.DefaultWallboard()
	}
	u := &UI{o: o, live: newBroadcaster(o.Realtime, o.Now, o.Log)}
	u.live.callbacks = o.WaitingCallbacks
	srv.SetBrowserAuth(u.browserAuth)
	if o.Agents != nil {
		u.live.calls = func(ctx context.Context) ([]callView, error) { return waiting(ctx, o.Agents.Ctl, o.Now()) }
	}
	e := srv.Echo
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, Prefix+"/") })
	e.GET(Prefix, func(c echo.Context) error { return c.Redirect(http.StatusFound, Prefix+"/") })
	e.GET(Prefix+"/", u.page, api.QueryParams())
	e.GET(Prefix+"/assets/:file", u.asset, api.QueryParams())
	e.GET(Prefix+"/assets/vendor/:file", u.vendorAsset, api.QueryParams())
	e.POST(Prefix+"/login", u.login, api.QueryParams())
	g := e.Group(Prefix, u.session)
	g.GET("/session", u.sessionInfo, api.QueryParams())
	g.GET("/events", u.events, api.QueryParams())
	g.POST("/logout", u.logout, u.csrf, api.QueryParams())
	for _, action := range []string{"login", "ready", "not_ready", "logout"} {
		g.POST("/agents/:id/"+action, u.agentAction(action), u.csrf, api.QueryParams())
	}
	u.mountSupervision(srv, g)
	u.mountWrapUp(g)
	return u
}

// Run pushes the live views until ctx ends.
func (u *UI) Run(ctx context.Context) { u.live.run(ctx, u.o.Hub, u.o.Figures, u.o.Refresh) }

// page serves the one page of the interface; it works out who is logged in
// and which view to show from GET session.
func (u *UI) page(c echo.Context) error { return u.serveFile(c, "index.html") }

func (u *UI) asset(c echo.Context) error {
	name := c.Param("file")
	if name == "index.html" || strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".") {
		return &ccd.Error{Code: ccd.ENOTFOUND, Field: "file", Message: "no such asset"}
	}
	return u.serveFile(c, name)
}

// vendorAsset serves the built libraries of static/vendor (the softphone's
// SIP stack) and their licences.
func (u *UI) vendorAsset(c echo.Context) error {
	name := c.Param("file")
	if strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".") {
		return &ccd.Error{Code: ccd.ENOTFOUND, Field: "file", Message: "no such asset"}
	}
	return u.serveFile(c, "vendor/"+name)
}

func (u *UI) serveFile(c echo.Context, name string) error {
	b, err := fs.ReadFile(static, "static/"+name)
	if err != nil {
		return &ccd.Error{Code: ccd.ENOTFOUND, Field: "file", Message: "no such asset"}
	}
	h := c.Response().Header()
	// The page loads only its own scripts and styles, and no one frames it.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'"+u.softphoneOrigin()+
		"; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	ctype := mime.TypeByExtension(path.Ext(name))
	switch {
	case strings.HasSuffix(name, ".js"):
		ctype = "text/javascript; charset=utf-8"
	case ctype == "": // a licence (.md)
		ctype = "text/plain; charset=utf-8"
	}
	h.Add("Vary", "Accept-Encoding")
	if acceptsGzip(c.Request()) {
		h.Set("Content-Encoding", "gzip")
		return c.Blob(http.StatusOK, ctype, gzipped(name, b))
	}
	return c.Blob(http.StatusOK, ctype, b)
}

// softphoneOrigin is the softphone's WebSocket origin for the page's
// connect-src (" wss://host:port"), "" without a softphone.
func (u *UI) softphoneOrigin() string {
	p, err := url.Parse(u.o.SoftphoneURL)
	if u.o.SoftphoneURL == "" || err != nil || p.Host == "" {
		return ""
	}
	return " " + p.Scheme + "://" + p.Host
}

// HashPassword is what ui_user keeps of a password: bcrypt at cost 12, slow
// on purpose (about a quarter of a second), so that a stolen table is
// expensive to guess from.
func HashPassword(password string) (string, error) { return HashPasswordCost(password, 12) }

// HashPasswordCost is HashPassword at another bcrypt cost (tests, which
// log in many times, use the lowest).
func HashPasswordCost(password string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	return string(h), err
}

// Roles of ui_user.
var userKinds = map[string]ccd.PrincipalKind{"supervisor": ccd.Supervisor, "admin": ccd.Admin}

// ValidRole tells whether role may be given to a user of the interface.
func ValidRole(role string) bool { _, ok := userKinds[role]; return ok }

// dummyHash is compared when a name is unknown, so that an unknown name
// takes as long as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such user"), 12)

// login checks a name and password (a ui_user first, then an agent of the
// live configuration) and opens a session.
func (u *UI) login(c echo.Context) error {
	// A page of another site must not log the browser in (to an account
	// of the attacker's): browsers send Origin with every form post.
	if origin := c.Request().Header.Get("Origin"); origin != "" {
		if o, err := url.Parse(origin); err != nil || o.Host != c.Request().Host {
			return &ccd.Error{Code: ccd.EFORBIDDEN, Message: "login from another site"}
		}
	}
	username, password := c.FormValue("username"), c.FormValue("password")
	switch {
	case username == "":
		return ccd.Invalid("username", "is required")
	case len(username) > 128:
		return ccd.Invalid("username", "is longer than 128 bytes")
	case password == "":
		return ccd.Invalid("password", "is required")
	case len(password) > 72: // bcrypt reads no further
		return ccd.Invalid("password", "is longer than 72 bytes")
	}
	ctx := c.Request().Context()
	user, found, err := u.o.Store.UIUserByName(ctx, username)
	if err != nil {
		return u.unavailable(err)
	}
	var p ccd.Principal
	var ok bool
	if found {
		ok, err = u.o.Agents.CheckSecret(c, "ui:"+username, true, func() bool {
			return bcrypt.CompareHashAndPassword([]byte(user.PasswordHash), []byte(password)) == nil
		})
		p = ccd.NewPrincipal(userKinds[user.Role], username)
	} else {
		ok, err = u.o.Agents.CheckPassword(c, username, password)
		p = ccd.AgentPrincipal(username)
	}
	if err != nil {
		return err
	}
	if !ok || (found && p.Kind == "") {
		if !found && !ok {
			_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		}
		return &ccd.Error{Code: ccd.EUNAUTH, Message: "wrong user name or password"}
	}
	token := newToken()
	now := u.o.Now()
	if err := u.o.Store.OpenUISession(ctx, hashToken(token), string(p.Kind), username, now, now.Add(u.o.SessionTTL), u.o.MaxSessions); err != nil {
		return u.unavailable(err)
	}
	c.SetCookie(&http.Cookie{Name: CookieName, Value: token, Path: cookiePath, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: u.o.SecureCookie, Expires: now.Add(u.o.SessionTTL)})
	return c.JSON(http.StatusOK, u.describe(p, token))
}

func (u *UI) unavailable(err error) error {
	if ccd.ErrorCode(err) != "" {
		return err
	}
	u.o.Log.Warn("web interface: database failed", "err", err)
	return &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "database unavailable: sessions are kept in the database; retry"}
}

// sessionView is what the page learns about its session.
type sessionView struct {
	Kind       string     `json:"kind"`
	Name       string     `json:"name"`
	Display    string     `json:"display,omitempty"` // an agent's name
	Agent      string     `json:"agent,omitempty"`
	CSRF       string     `json:"csrf"`
	Views      []string   `json:"views"`
	Activities []activity `json:"activities"`
	// Softphone is the WebSocket address an agent's softphone registers
	// at; its credentials come from GET /api/v1/sip/credentials/agent/.
	Softphone string `json:"softphone,omitempty"`
	// Wallboard are the thresholds of the wallboard's tiles; the
	// wallboard's address may override them.
	Wallboard config.Wallboard `json:"wallboard"`
}

// activity is a not-ready code as the page reads it.
type activity struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

func (u *UI) describe(p ccd.Principal, token string) sessionView {
	v := sessionView{Kind: string(p.Kind), Name: p.Name, Agent: p.Agent, CSRF: csrfToken(token), Activities: []activity{},
		Wallboard: u.o.Wallboard}
	for _, a := range u.o.Activities() {
		v.Activities = append(v.Activities, activity{Code: a.Code, Name: a.Name})
	}
	if p.Agent != "" {
		v.Display, _ = u.o.Agents.Profile(p.Agent)
		v.Softphone = u.o.SoftphoneURL
	}
	switch {
	case p.Has(ccd.RoleAdmin):
		v.Views = []string{"wallboard", "supervisor", "reports", "admin"}
	case p.Has(ccd.RoleAgentForce):
		v.Views = []string{"wallboard", "supervisor", "reports"}
	case p.Has(ccd.RoleAgentSelf):
		v.Views = []string{"agent"}
	}
	return v
}

// session authenticates a request by its cookie.
func (u *UI) session(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(CookieName)
		if err != nil || ck.Value == "" {
			return &ccd.Error{Code: ccd.EUNAUTH, Message: "not logged in"}
		}
		p, err := u.principalOf(c, ck.Value)
		if err != nil {
			return err
		}
		api.SetPrincipal(c, p)
		c.Set("ui_token", ck.Value)
		return next(c)
	}
}

// principalOf is who the session of token is, or EUNAUTH when it expired
// or ended.
func (u *UI) principalOf(c echo.Context, token string) (ccd.Principal, error) {
	s, ok, err := u.o.Store.UISessionOf(c.Request().Context(), hashToken(token), u.o.Now())
	if err != nil {
		return ccd.Principal{}, u.unavailable(err)
	}
	if !ok {
		return ccd.Principal{}, &ccd.Error{Code: ccd.EUNAUTH, Message: "session expired or ended: log in again"}
	}
	if ccd.PrincipalKind(s.Kind) == ccd.AgentUser {
		return ccd.AgentPrincipal(s.Name), nil
	}
	return ccd.NewPrincipal(ccd.PrincipalKind(s.Kind), s.Name), nil
}

// browserAuth lets the page call the REST API (the admin API, calls,
// callbacks, the softphone's credentials) with its session: the cookie
// says who, and a request that may change something must carry the
// session's CSRF token in the X-CSRF-Token header (api.BrowserAuth).
func (u *UI) browserAuth(c echo.Context) (ccd.Principal, bool, error) {
	ck, err := c.Cookie(CookieName)
	if err != nil || ck.Value == "" {
		return ccd.Principal{}, false, nil
	}
	p, err := u.principalOf(c, ck.Value)
	if err != nil {
		return ccd.Principal{}, false, err
	}
	switch c.Request().Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if !sameCSRF(c.Request().Header.Get(CSRFHeader), ck.Value) {
			return ccd.Principal{}, false, errCSRF
		}
	}
	return p, true, nil
}

var errCSRF = &ccd.Error{Code: ccd.EFORBIDDEN, Field: "csrf_token", Message: "missing or wrong CSRF token: reload the page"}

func sameCSRF(got, session string) bool {
	return got != "" && hmac.Equal([]byte(got), []byte(csrfToken(session)))
}

// csrf lets a state-changing request through only with the session's CSRF
// token in the X-CSRF-Token header or the csrf_token form field: another
// site can make the browser send the cookie (SameSite aside), not read the
// token.
func (u *UI) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		got := c.Request().Header.Get(CSRFHeader)
		if got == "" {
			got = c.FormValue("csrf_token")
		}
		token, _ := c.Get("ui_token").(string)
		if !sameCSRF(got, token) {
			return errCSRF
		}
		return next(c)
	}
}

func (u *UI) sessionInfo(c echo.Context) error {
	token, _ := c.Get("ui_token").(string)
	return c.JSON(http.StatusOK, u.describe(api.PrincipalOf(c), token))
}

func (u *UI) logout(c echo.Context) error {
	token, _ := c.Get("ui_token").(string)
	if err := u.o.Store.CloseUISession(c.Request().Context(), hashToken(token)); err != nil {
		return u.unavailable(err)
	}
	c.SetCookie(&http.Cookie{Name: CookieName, Value: "", Path: cookiePath, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: u.o.SecureCookie, MaxAge: -1})
	return c.NoContent(http.StatusNoContent)
}

// csrfToken is derived from the session token, so that it needs no storage
// and ends with the session.
func csrfToken(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte(csrfContext))
	return hex.EncodeToString(m.Sum(nil))
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// CheckUser checks a new user of the interface: a name (at most 128 bytes,
// no spaces or control characters), a role (supervisor or admin) and a
// password of 12 to 72 bytes (bcrypt reads no further).
func CheckUser(name, role, password string) error {
	switch {
	case name == "" || len(name) > 128:
		return ccd.Invalid("name", "must be 1 to 128 bytes")
	case strings.IndexFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		return ccd.Invalid("name", "must not contain spaces or control characters")
	case !ValidRole(role):
		return ccd.Invalid("role", "must be supervisor or admin")
	case len(password) < 12 || len(password) > 72:
		return ccd.Invalid("password", "must be 12 to 72 bytes")
	}
	return nil
}
