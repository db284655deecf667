package api

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"

	"github.com/ccdhq/ccd"
	"github.com/labstack/echo/v4"
)

// credentials turn bearer tokens into principals: the configured tokens, and
// the session tokens agents get when they log in with a password (sessions is
// nil until the agent interfaces are mounted).
type credentials struct {
	mu       sync.Mutex
	tokens   []tokenPrincipal
	sessions SessionStore
	// kinds are principals that sign in through another interface (the web
	// interface's supervisors and administrators), counted by Grants.
	kinds []ccd.PrincipalKind
	// browser authenticates a request without a bearer token by the web
	// interface's session cookie (nil: no such interface).
	browser BrowserAuth
}

// BrowserAuth authenticates a request by a browser session (the web
// interface's cookie): ok false when the request carries none. It checks
// the session's CSRF token on every request that may change something, so
// that another site cannot make the browser act with its cookie.
type BrowserAuth func(c echo.Context) (p ccd.Principal, ok bool, err error)

// SetBrowserAuth makes every authenticated route accept, when a request
// has no Authorization header, the browser session auth recognises: the
// web interface acts through the same routes and role checks as every
// other client, as the principal its user logged in as.
func (s *Server) SetBrowserAuth(auth BrowserAuth) {
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	s.creds.browser = auth
}

type tokenPrincipal struct {
	token string
	p     ccd.Principal
}

// principalKey is where the authentication leaves the principal in the
// request's context.
const principalKey = "principal"

// Grant makes token a credential of p: "Authorization: Bearer <token>" then
// acts as p on every authenticated route. An empty token grants nothing.
func (s *Server) Grant(token string, p ccd.Principal) {
	if token == "" {
		return
	}
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	s.creds.tokens = append(s.creds.tokens, tokenPrincipal{token: token, p: p})
}

// GrantKinds says that principals of kinds sign in through another
// interface (the web interface's sessions): routes mounted only when a
// credential holds their role (MountStats) are mounted for them too.
func (s *Server) GrantKinds(kinds ...ccd.PrincipalKind) {
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	s.creds.kinds = append(s.creds.kinds, kinds...)
}

// Grants tells whether any configured credential holds role.
func (s *Server) Grants(role ccd.Role) bool {
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	for _, t := range s.creds.tokens {
		if t.p.Has(role) {
			return true
		}
	}
	for _, k := range s.creds.kinds {
		if ccd.NewPrincipal(k, "").Has(role) {
			return true
		}
	}
	return false
}

// principal is the principal of a bearer token: a configured token, else an
// agent session that is open and not expired. Every configured token is
// compared, in constant time, so that the time taken does not tell which
// one came close. An error says the sessions could not be read (their
// database is not reachable): the token may be good.
func (s *Server) principal(ctx context.Context, token string) (ccd.Principal, bool, error) {
	s.creds.mu.Lock()
	tokens, sessions := s.creds.tokens, s.creds.sessions
	s.creds.mu.Unlock()
	var found *ccd.Principal
	for i := range tokens {
		if SameSecret(tokens[i].token, token) && found == nil {
			found = &tokens[i].p
		}
	}
	if found != nil {
		return *found, true, nil
	}
	if sessions != nil {
		agent, ok, err := sessions.AgentOfSession(ctx, hashToken(token), s.opts.Now())
		if err != nil || ok {
			return ccd.AgentPrincipal(agent), ok, err
		}
	}
	return ccd.Principal{}, false, nil
}

// Authenticate is the one authentication of the interfaces: it reads
// "Authorization: Bearer <token>" and leaves the principal for the handlers
// (PrincipalOf), which check its roles. No or an unknown token is a 401.
func (s *Server) Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, ok := bearerToken(c.Request())
		if !ok && c.Request().Header.Get("Authorization") == "" {
			s.creds.mu.Lock()
			browser := s.creds.browser
			s.creds.mu.Unlock()
			if browser != nil {
				p, ok, err := browser(c)
				if err != nil {
					return err
				}
				if ok {
					SetPrincipal(c, p)
					return next(c)
				}
			}
		}
		if !ok {
			c.Response().Header().Set("WWW-Authenticate", "Bearer")
			return &ccd.Error{Code: ccd.EUNAUTH, Message: "missing Authorization: Bearer <token>"}
		}
		p, ok, err := s.principal(c.Request().Context(), token)
		if err != nil {
			return err
		}
		if !ok {
			c.Response().Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			return &ccd.Error{Code: ccd.EUNAUTH, Message: "invalid or expired token: log in again"}
		}
		SetPrincipal(c, p)
		return next(c)
	}
}

// Require lets a request through when its principal holds one of roles: a
// principal without is known, so the answer is 403, not 401. It runs after
// the authentication (Authenticate, or a dialect's own).
func Require(roles ...ccd.Role) echo.MiddlewareFunc {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	msg := "this needs the role " + strings.Join(names, " or ")
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := PrincipalOf(c)
			for _, r := range roles {
				if p.Has(r) {
					return next(c)
				}
			}
			return &ccd.Error{Code: ccd.EFORBIDDEN, Message: msg}
		}
	}
}

// PrincipalOf is who the request acts as; the zero Principal (no roles)
// before authentication.
func PrincipalOf(c echo.Context) ccd.Principal {
	p, _ := c.Get(principalKey).(ccd.Principal)
	return p
}

// SetPrincipal records who the request acts as, for a dialect that
// authenticates in its own way (the Optimus web-service credentials).
func SetPrincipal(c echo.Context, p ccd.Principal) { c.Set(principalKey, p) }

// bearerToken reads "Authorization: Bearer <token>"; the scheme name is
// case-insensitive (RFC 6750, RFC 9110 §11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// SameSecret compares two secrets in constant time.
func SameSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
