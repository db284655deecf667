package liveconf

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ccdhq/ccd"
)

const liveFlow = `{"start": "menu", "nodes": [
  {"id": "menu", "menu": {"prompt": ["sound:welcome"], "timeout": "5s", "timeout_dest": "queue:sales", "invalid_dest": "hangup",
   "keys": {"1": "night"}}},
  {"id": "night", "switch": {"switch": "100", "active": "queue:sales", "inactive": "hangup"}}]}`

// Flows and switches are live items: created through the admin API,
// validated with the flow rules (a 400 naming node and field), stored,
// applied and audited; a switch toggles with an audit of its state.
func TestFlowsAndSwitchesAreLiveItems(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.m.Load(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	// The flow names a switch that does not exist yet.
	_, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigFlow, "main", []byte(liveFlow))
	var e *ccd.Error
	if !errors.As(err, &e) || e.Code != ccd.EINVALID || e.Field != "nodes[1].switch.switch" || !strings.Contains(e.Message, `node "night"`) {
		t.Fatalf("a flow naming an unknown switch: %v", err)
	}
	if _, created, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigSwitch, "100", []byte(`{"name": "Night service"}`)); err != nil || !created {
		t.Fatalf("switch: %v", err)
	}
	if _, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigFlow, "main", []byte(liveFlow)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigRoute, "200", []byte(`{"flow": "main"}`)); err != nil {
		t.Fatal(err)
	}
	last := f.applied[len(f.applied)-1]
	if len(last.Flows) != 1 || last.Flows[0].Name != "main" || last.Routes[1].Flow != "main" {
		t.Fatalf("applied %+v", last)
	}
	if f.db.items["flow/main"].ID == "" {
		t.Fatal("the flow is not stored")
	}
	// Removing the switch the flow reads is a conflict.
	if err := f.m.DeleteConfigItem(ctx, admin, ccd.ConfigSwitch, "100"); ccd.ErrorCode(err) != ccd.ECONFLICT {
		t.Fatalf("removing a switch in use: %v", err)
	}
	sw, err := f.m.SetSwitch(ctx, admin, "100", true)
	if err != nil || !sw.Active || !f.m.Switches()[0].Active {
		t.Fatalf("toggle: %+v %v", sw, err)
	}
	ev := f.db.audits[len(f.db.audits)-1]
	var ch ccd.ConfigChange
	if err := json.Unmarshal(ev.Payload, &ch); err != nil {
		t.Fatal(err)
	}
	if ev.Kind != ccd.EventConfigChanged || ch.Item != ccd.ConfigSwitch || ch.ID != "100" || ch.Before["active"] != false || ch.After["active"] != true {
		t.Fatalf("audit %s %+v", ev.Kind, ch)
	}
	if _, err := f.m.SetSwitch(ctx, admin, "999", true); ccd.ErrorCode(err) != ccd.ENOTFOUND {
		t.Fatalf("unknown switch: %v", err)
	}
}
