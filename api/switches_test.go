package api_test

import (
	"context"
	"testing"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/flow"
	"github.com/ccdhq/ccd/internal/apitest"
)

type switchSetter struct{ calls []string }

func (s *switchSetter) SetSwitch(_ context.Context, who ccd.Principal, ln string, active bool) (flow.Switch, error) {
	if ln != "100" {
		return flow.Switch{}, &ccd.Error{Code: ccd.ENOTFOUND, Message: "no switch"}
	}
	s.calls = append(s.calls, who.Name)
	return flow.Switch{Localnumber: ln, Active: active}, nil
}

func TestSwitchStateNeedsTheSwitchesRole(t *testing.T) {
	const admin = "admin-token-0123456789abcdef"
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken, AdminToken: admin})
	sw := &switchSetter{}
	s.MountSwitches(sw)
	code, m, raw := apitest.Do(t, s, "POST", "/api/admin/switches/100/state", admin, "application/json", `{"active": true}`)
	if code != 200 || m["active"] != true || len(sw.calls) != 1 || sw.calls[0] != "admin" {
		t.Fatalf("toggle %d %s %v", code, raw, sw.calls)
	}
	apitest.CheckErrors(t, s, []apitest.ErrorCase{
		{Name: "integration token", Method: "POST", Path: "/api/admin/switches/100/state", Token: apitest.IntegrationToken,
			ContentType: "application/json", Body: `{"active": true}`, Code: 403},
		{Name: "no token", Method: "POST", Path: "/api/admin/switches/100/state", ContentType: "application/json", Body: `{"active": true}`, Code: 401},
		{Name: "no active", Method: "POST", Path: "/api/admin/switches/100/state", Token: admin, ContentType: "application/json", Body: `{}`,
			Code: 400, Field: "active"},
		{Name: "unknown", Method: "POST", Path: "/api/admin/switches/7/state", Token: admin, ContentType: "application/json",
			Body: `{"active": false}`, Code: 404},
	})
}
