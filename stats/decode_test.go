package stats

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/ccdhq/ccd/acd"
)

// used clears the fields the statistics do not read, so fast and slow paths
// can be compared.
func used(d acd.Data) acd.Data {
	if c := d.Summary; c != nil {
		d.Summary = &acd.Call{ID: c.ID, CLID: c.CLID, DNIS: c.DNIS, Priority: c.Priority, AttachData: c.AttachData,
			InitialQueue: c.InitialQueue, Queue: c.Queue, QueueHops: c.QueueHops, AgentHops: c.AgentHops, Agent: c.Agent,
			Endpoint: c.Endpoint, OfferedAt: c.OfferedAt, QueuedAt: c.QueuedAt, AnsweredAt: c.AnsweredAt,
			AbandonedAt: c.AbandonedAt, TransferAt: c.TransferAt, EndedAt: c.EndedAt, TransferTo: c.TransferTo,
			EndType: c.EndType, Holds: c.Holds, HoldMS: c.HoldMS, Recording: c.Recording, Backflow: c.Backflow}
	}
	return acd.Data{State: d.State, Previous: d.Previous, Activity: d.Activity, Endpoint: d.Endpoint, Reason: d.Reason,
		PreviousMS: d.PreviousMS, RingMS: d.RingMS, WaitedMS: d.WaitedMS, HoldMS: d.HoldMS, Backflow: d.Backflow,
		Queues: d.Queues, Summary: d.Summary}
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, d := range []acd.Data{
		{},
		{State: "not_ready", Previous: "ready", PreviousMS: 1234, Activity: "lunch", Endpoint: "PJSIP/1001", Queues: []string{"a", "b"},
			IdleSince: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Forced: true},
		{Reason: "ringing", RingMS: 3000, WaitedMS: 45000, Channel: "ch-1", Position: 3, Priority: 9},
		{HoldMS: 77, Backflow: true, AttachData: `quote " and \ back`, Queues: []string{}},
		{Summary: &acd.Call{ID: "c1", Queues: []string{"x"}, QueueHops: 2}},
		{Summary: &acd.Call{ID: "c2", CLID: "0301", DNIS: "555", Priority: 3, AttachData: "a|b", InitialQueue: "q1", Queue: "q2",
			QueueHops: 1, AgentHops: 2, Offers: 3, Agent: "1001", Endpoint: "PJSIP/1", OfferedAt: time.Date(2026, 1, 2, 3, 4, 5, 6000000, time.UTC),
			QueuedAt: time.Date(2026, 1, 2, 3, 4, 6, 0, time.FixedZone("", 3600)), AnsweredAt: time.Now(), EndedAt: time.Now(),
			EndType: 101, Holds: 2, HoldMS: 99, Recording: "r.wav", Backflow: true, TransferTo: "555"}},
		{Activity: "caf\u00e9 \u2603", Reason: "tab\there"},
	} {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var got, want acd.Data
		if err := scanData(b, &got, nil); err != nil && !bytes.ContainsRune(b, '\\') {
			t.Errorf("%s: not read by the fast path: %v", b, err)
		}
		got = acd.Data{}
		if err := unmarshalData(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(used(got), used(want)) {
			t.Errorf("%s:\n got %+v\nwant %+v", b, used(got), used(want))
		}
	}
}

// PostgreSQL prints jsonb with spaces; the fast path reads that too.
func TestDecodePostgresSpacing(t *testing.T) {
	b := []byte(`{"state": "not_ready", "queues": ["q1", "q2"], "activity": "lunch", "previous": "ready", "previous_ms": 61000, "summary": {"call_id": "c1", "end_type": 101, "answered_at": "2026-10-01T08:00:00Z"}}`)
	var d acd.Data
	if err := scanData(b, &d, nil); err != nil {
		t.Fatal(err)
	}
	if d.State != "not_ready" || len(d.Queues) != 2 || d.PreviousMS != 61000 || d.Summary == nil || d.Summary.EndType != 101 || d.Summary.AnsweredAt.IsZero() {
		t.Fatalf("%+v", d)
	}
}

// FuzzDecode: the fast path never disagrees with encoding/json on what it
// accepts, and never panics.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"state":"ready","previous":"not_ready","previous_ms":5,"queues":["a"]}`))
	f.Add([]byte(`{"reason":"ringing","ring_ms":-1,"backflow":true,"x":[1]}`))
	f.Add([]byte(`{"summary":{"call_id":"c"}}`))
	f.Add([]byte(`{"state": "ready", "queues": ["a", "b"], "previous_ms": 12}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast acd.Data
		if scanData(b, &fast, map[string]string{}) != nil {
			return
		}
		var slow acd.Data
		if err := json.Unmarshal(b, &slow); err != nil {
			return // the fast path is lenient about trailing bytes it never reads
		}
		if !reflect.DeepEqual(used(fast), used(slow)) {
			t.Fatalf("%q: fast %+v, encoding/json %+v", b, used(fast), used(slow))
		}
	})
}
