package flexfone_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/flow"
	"github.com/ccdhq/ccd/integrations/flexfone"
	"github.com/ccdhq/ccd/internal/apitest"
)

type fakeSwitches struct {
	mu  sync.Mutex
	all []flow.Switch
	by  []string
}

func (f *fakeSwitches) Switches() []flow.Switch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]flow.Switch(nil), f.all...)
}

func (f *fakeSwitches) SetSwitch(_ context.Context, who ccd.Principal, ln string, active bool) (flow.Switch, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.all {
		if f.all[i].Localnumber == ln {
			f.all[i].Active = active
			f.by = append(f.by, who.Name)
			return f.all[i], nil
		}
	}
	return flow.Switch{}, &ccd.Error{Code: ccd.ENOTFOUND, Message: "no switch"}
}

func server(t *testing.T) (*api.Server, *fakeSwitches) {
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken})
	agents := apitest.MountAgents(s, apitest.NewFakeAgents(), api.AgentAuth{TokenTTL: time.Hour}, apitest.Optimus)
	sw := &fakeSwitches{all: []flow.Switch{
		{Localnumber: "100", Name: "Nat", ActiveGoto: "200", InactiveGoto: "queue:sales"},
		{Localnumber: "101", Name: "Frokost", Active: true, ActiveGoto: "300", InactiveGoto: "301"}}}
	flexfone.Mount(s, agents, sw, flexfone.Credentials{Account: "4711", Hash: "hash-0123456789abcdef"})
	return s, sw
}

const auth = "account=4711&hash=hash-0123456789abcdef"

func TestVariableCallFlowListInJSONAndXML(t *testing.T) {
	s, _ := server(t)
	code, _, raw := apitest.Do(t, s, "GET", flexfone.Route+"?"+auth, "", "application/json", "")
	var list []map[string]any
	if code != 200 || json.Unmarshal([]byte(raw), &list) != nil || len(list) != 2 {
		t.Fatalf("list %d %s", code, raw)
	}
	if l := list[0]; l["Localnumber"] != 100.0 || l["Name"] != "Nat" || l["IsActive"] != false || l["ActiveGoto"] != 200.0 || l["InactiveGoto"] != "queue:sales" {
		t.Fatalf("first %v", l)
	}
	code, _, raw = apitest.Do(t, s, "GET", flexfone.Route+"/101?"+auth, "", "application/xml", "")
	if code != 200 || !strings.Contains(raw, "<VariableCallFlow><Localnumber>101</Localnumber><Name>Frokost</Name><IsActive>true</IsActive><ActiveGoto>300</ActiveGoto>") {
		t.Fatalf("one as XML %d %s", code, raw)
	}
	code, _, raw = apitest.Do(t, s, "GET", flexfone.Route+"?"+auth, "", "application/xml", "")
	if code != 200 || !strings.HasPrefix(strings.TrimPrefix(raw, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"), "<ArrayOfVariableCallFlow>") {
		t.Fatalf("list as XML %d %s", code, raw)
	}
}

func TestVariableCallFlowSetState(t *testing.T) {
	s, sw := server(t)
	code, _, raw := apitest.Do(t, s, "POST", flexfone.Route+"?"+auth+"&state=true&localnumber=100", "", "", "")
	if code != 200 || !sw.Switches()[0].Active || !strings.Contains(raw, `"IsActive":true`) || sw.by[0] != "flexfone" {
		t.Fatalf("set %d %s by %v", code, raw, sw.by)
	}
	code, _, _ = apitest.Do(t, s, "POST", flexfone.Route+"/100?"+auth, "", "application/x-www-form-urlencoded", "state=false")
	if code != 200 || sw.Switches()[0].Active {
		t.Fatalf("set by form %d", code)
	}
	apitest.CheckErrors(t, s, []apitest.ErrorCase{
		{Name: "bad state", Method: "POST", Path: flexfone.Route + "?" + auth + "&state=maybe&localnumber=100", Code: 400, Field: "state"},
		{Name: "no localnumber", Method: "POST", Path: flexfone.Route + "?" + auth + "&state=true", Code: 400, Field: "localnumber"},
		{Name: "unknown switch", Method: "POST", Path: flexfone.Route + "/999?" + auth + "&state=true", Code: 404},
		{Name: "wrong hash", Method: "POST", Path: flexfone.Route + "/100?account=4711&hash=wrong&state=true", Code: 401},
		{Name: "no hash", Method: "GET", Path: flexfone.Route + "?account=4711", Code: 401},
	})
}
