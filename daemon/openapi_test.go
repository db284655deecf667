package daemon_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/daemon"
	"github.com/labstack/echo/v4"
)

// The OpenAPI document describes every route the daemon registers, and
// nothing else; ccd serves it without credentials.
func TestOpenAPIMatchesTheRegisteredRoutes(t *testing.T) {
	h := newLiveHarness(t)
	h.cfg.API.OptimusUser, h.cfg.API.OptimusPassword = "optimus", "optimus-password-0123456789" // every interface on
	h.cfg.API.FlexfoneAccount, h.cfg.API.FlexfoneHash = "4711", "flexfone-hash-0123456789"
	var srv *api.Server
	daemon.ServerHook = func(s *api.Server) { srv = s }
	t.Cleanup(func() { daemon.ServerHook = nil })
	h.start()

	resp, err := http.Get("http://" + h.cfg.Listen + api.OpenAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("GET %s: HTTP %d, openapi %q, %v", api.OpenAPIPath, resp.StatusCode, doc.OpenAPI, err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	registered := map[string]bool{}
	for _, r := range srv.Echo.Routes() {
		switch r.Method {
		case echo.RouteNotFound, http.MethodConnect, echo.PROPFIND, echo.REPORT:
			continue // catch-alls, and methods OpenAPI has no words for
		}
		registered[r.Method+" "+api.OpenAPIPathOf(r.Path)] = true
	}
	for route := range registered {
		if !documented[route] {
			t.Errorf("%s is registered but not in the OpenAPI document (api/openapi.go)", route)
		}
	}
	for route := range documented {
		if !registered[route] {
			t.Errorf("the OpenAPI document describes %s, which is not registered", route)
		}
	}
}
