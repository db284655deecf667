package stats

import (
	"encoding/json"
	"testing"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/eventlog"
)

// The fast reading of flow payloads gives what encoding/json gives, and
// leaves to it what it cannot read (escapes, nesting, odd keys).
func TestScanFlowStepMatchesJSON(t *testing.T) {
	for _, st := range []ccd.FlowStep{
		{},
		{Flow: "main", Version: 7, Node: "m", NodeKind: "menu"},
		{Flow: "main", Version: 1, Node: "m", To: "queue:sales:2", Reason: "key 1", Adata1: "Zoë|x", Adata2: "12345"},
		{Flow: "night", To: "number:5559999", Adata1: `quote " and \ and tab	`, Adata2: "line\nbreak"},
	} {
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		var fast ccd.FlowStep
		if scanFlowStep(b, &fast, map[string]string{}) && fast != st {
			t.Errorf("%s: fast %+v", b, fast)
		}
		ev := rawFlowEvent(b)
		a := New(Clock{})
		a.state.Calls["c"] = &CallState{}
		if err := a.flowEvent(&ev); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
	var st ccd.FlowStep
	if scanFlowStep([]byte(`{"flow": "a", "Flow": "b"}`), &st, nil) {
		t.Error("a key encoding/json matches case-insensitively was read by the fast path")
	}
}

func rawFlowEvent(b []byte) eventlog.Event {
	return eventlog.Event{CallID: "c", Kind: ccd.EventFlowNodeIn, Payload: b}
}
