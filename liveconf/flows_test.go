package liveconf

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/config"
	"github.com/ccdhq/ccd/flow"
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

// A flow that closes a loop without a prompt through other flows is a 400
// naming its node and field, and the flows of the loop; the first flow,
// valid alone, stays as it was.
func TestAFlowClosingALoopAcrossFlowsIsRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.m.Load(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigFlow, "day", []byte(`{"start": "go", "nodes": [{"id": "go", "goto": "flow:night"}]}`)); err == nil {
		t.Fatal("a flow naming a flow that does not exist was taken")
	}
	if _, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigFlow, "night", []byte(`{"start": "q", "nodes": [{"id": "q", "queue": {"code": "sales"}}]}`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigFlow, "day", []byte(`{"start": "go", "nodes": [{"id": "go", "goto": "flow:night"}]}`)); err != nil {
		t.Fatal(err)
	}
	_, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigFlow, "night",
		[]byte(`{"start": "s", "nodes": [{"id": "s", "set": {"field": "x", "value": "1", "next": "back"}}, {"id": "back", "flow": "day"}]}`))
	var e *ccd.Error
	if !errors.As(err, &e) || e.Code != ccd.EINVALID || e.Field != "nodes[1].flow" ||
		!strings.Contains(e.Message, `node "back": loop without a prompt across flows: day.go -> night.s -> night.back -> day.go`) {
		t.Fatalf("a loop across flows: %v", err)
	}
	if n := f.m.Current().Flows; len(n) != 2 || n[0].Name != "night" || n[0].Nodes[0].Queue == nil {
		t.Fatalf("flows now %+v", n)
	}
}

// A change made through the API is vetted after validation (the sounds on
// Asterisk): a problem the vetter names is a 400 naming node and field, and
// nothing is stored or applied; other kinds and the loaded configuration
// are not vetted.
func TestAVetterRefusesAFlowBeforeItIsStored(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.m.Load(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	var vetted []string
	f.m.SetVetter(func(_ context.Context, next *config.ACD, kind ccd.ConfigKind, i int) error {
		vetted = append(vetted, kind)
		if kind != ccd.ConfigFlow {
			return nil
		}
		fl := &next.Flows[i]
		return config.FlowError(i, fl, &flow.Problem{Node: "m", Field: "menu.prompt[0]", Problem: `no such sound or recording on Asterisk: "sound:nosuch"`})
	})
	applied := len(f.applied)
	_, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigFlow, "main",
		[]byte(`{"start": "m", "nodes": [{"id": "m", "menu": {"prompt": ["sound:nosuch"], "timeout_dest": "hangup", "invalid_dest": "hangup"}}]}`))
	var e *ccd.Error
	if !errors.As(err, &e) || e.Code != ccd.EINVALID || e.Field != "nodes[0].menu.prompt[0]" || !strings.Contains(e.Message, "sound:nosuch") {
		t.Fatalf("a flow naming a missing sound: %v", err)
	}
	if _, stored := f.db.items["flow/main"]; stored || len(f.applied) != applied {
		t.Fatal("the refused flow was stored or applied")
	}
	if _, _, err := f.m.PutConfigItem(ctx, admin, ccd.ConfigSwitch, "100", []byte(`{"name": "Night service"}`)); err != nil {
		t.Fatal(err)
	}
	if strings.Join(vetted, ",") != "flow,switch" {
		t.Fatalf("vetted %v", vetted)
	}
}
