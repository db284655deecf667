package dialplan

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/pbx"
)

func TestRecorderLogsCapturedCall(t *testing.T) {
	f, err := os.Open("../testdata/captures/ari-queue-answered.ari.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []eventlog.Event
	controlled := pbx.NewControlled()
	rec := NewRecorder(func(e eventlog.Event) error {
		if err := e.Validate(); err != nil {
			return err
		}
		got = append(got, e)
		return nil
	}, controlled, nil)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lines := 0
	for sc.Scan() {
		e, err := ari.Decode(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		lines++
		rec.Handle(e)
	}
	if len(got) == 0 || len(got) > lines {
		t.Fatalf("%d events recorded from %d", len(got), lines)
	}
	var start *eventlog.Event
	for i := range got {
		if got[i].Kind == "ari.StasisStart" && got[i].CallID == "caller-probe-1;2" {
			start = &got[i]
		}
	}
	if start == nil {
		t.Fatal("caller's StasisStart not recorded")
	}
	if start.DNIS != "5551234" || start.CLID != "5551234" || start.Key != "ari:StasisStart:caller-probe-1;2:"+start.At.UTC().Format(time.RFC3339Nano) || start.Source != eventlog.SourceARI {
		t.Fatalf("StasisStart recorded as %+v", start)
	}
	var p struct {
		Args []string `json:"args"`
	}
	if err := json.Unmarshal(start.Payload, &p); err != nil || len(p.Args) != 2 || p.Args[0] != "inbound" {
		t.Fatalf("payload %s (%v)", start.Payload, err)
	}
	if !controlled.Has("caller-probe-1;2") || !controlled.Has("agent-probe-1") {
		t.Fatal("channels entering Stasis not marked controlled")
	}
	for _, e := range got {
		if e.Kind == "ari.ChannelVarset" {
			t.Fatal("ChannelVarset recorded")
		}
	}
}

// Every recorded event names the Asterisk it came from: the asterisk_id of
// the event, or the node's configured name when there is one. The key of a
// once-per-channel event does not change with it, so a replay after an
// upgrade stays one event.
func TestRecorderNamesTheNode(t *testing.T) {
	raw := `{"type":"StasisStart","application":"ccd","timestamp":"2026-11-22T18:35:24.138+0000","asterisk_id":"02:fc:00:00:00:01",` +
		`"args":["inbound","5550100"],"channel":{"id":"c1","name":"PJSIP/x-1","state":"Ring","caller":{"number":"5551234"},` +
		`"dialplan":{"context":"ccd-inbound","exten":"5550100","priority":1,"app_name":"Stasis","app_data":"ccd,inbound,5550100"}}}`
	e, err := ari.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	record := func(node string) eventlog.Event {
		var got []eventlog.Event
		rec := NewRecorder(func(e eventlog.Event) error { got = append(got, e); return nil }, nil, nil)
		rec.SetNode(node)
		rec.Handle(e)
		if len(got) != 1 {
			t.Fatalf("%d events recorded", len(got))
		}
		return got[0]
	}
	byID, named := record(""), record("pbx-a")
	if byID.Node != "02:fc:00:00:00:01" {
		t.Fatalf("node %q, want the asterisk_id", byID.Node)
	}
	if named.Node != "pbx-a" {
		t.Fatalf("node %q, want the configured name", named.Node)
	}
	if byID.Key != "ari:StasisStart:c1:"+byID.At.UTC().Format(time.RFC3339Nano) || named.Key != byID.Key {
		t.Fatalf("keys %q and %q", byID.Key, named.Key)
	}
}
