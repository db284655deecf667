package pbx

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ami"
	"github.com/ccdhq/ccd/eventlog"
)

type collector struct {
	mu  sync.Mutex
	evs []eventlog.Event
}

func (c *collector) add(e eventlog.Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evs = append(c.evs, e)
	return nil
}

func (c *collector) kind(k string) []eventlog.Event {
	var out []eventlog.Event
	for _, e := range c.evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func payload(t *testing.T, e eventlog.Event) map[string]any {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func readCapture(t *testing.T, name string) []*ami.Message {
	t.Helper()
	f, err := os.Open("../testdata/captures/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := ami.NewReader(f)
	var out []*ami.Message
	for {
		m, err := r.ReadMessage()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, m)
	}
}

func newTestObserver(t *testing.T) (*Observer, *collector) {
	t.Helper()
	cls, err := NewClassifier(`^[12][0-9]{3}$`)
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	o := NewObserver(cls, nil, c.add, nil)
	o.now = func() time.Time { return time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC) }
	return o, c
}

func count(msgs []*ami.Message, event string) int {
	n := 0
	for _, m := range msgs {
		if m.Event() == event {
			n++
		}
	}
	return n
}

func TestDirectCallBecomesClassifiedEvents(t *testing.T) {
	msgs := readCapture(t, "direct-call.ami.txt")
	o, c := newTestObserver(t)
	for _, m := range msgs {
		o.Handle(m)
	}
	if got, want := len(c.kind(KindHangup)), count(msgs, "Hangup"); got != want || want == 0 {
		t.Fatalf("hangups: got %d want %d", got, want)
	}
	if got, want := len(c.kind(KindCDR)), count(msgs, "Cdr"); got != want || want == 0 {
		t.Fatalf("cdrs: got %d want %d", got, want)
	}
	if got, want := len(c.kind(KindChannel)), count(msgs, "Newchannel"); got != want {
		t.Fatalf("channels: got %d want %d", got, want)
	}
	// The extension-to-extension leg: 2001 dials 1002 and it is answered.
	var found bool
	for _, e := range c.kind(KindDialEnd) {
		p := payload(t, e)
		if p["from"] == "2001" && p["to"] == "1002" {
			found = true
			if p["status"] != "ANSWER" || p["direction"] != Internal || e.CallID != "1795372633.23" || e.CLID != "2001" || e.DNIS != "1002" {
				t.Fatalf("dial end %+v %v", e, p)
			}
			if _, ok := p["dial_seconds"].(float64); !ok {
				t.Fatalf("dial_seconds missing: %v", p)
			}
		}
	}
	if !found {
		t.Fatal("no 2001 -> 1002 dial end")
	}
	for _, e := range c.kind(KindHangup) {
		p := payload(t, e)
		if p["cause"].(float64) != 16 {
			t.Fatalf("hangup cause %v", p["cause"])
		}
	}
	if len(o.Open()) != 0 {
		t.Fatalf("channels left open after every hangup: %+v", o.Open())
	}
}

func TestReplayYieldsTheSameKeys(t *testing.T) {
	msgs := readCapture(t, "ari-queue-sip-agent.ami.txt")
	o1, c1 := newTestObserver(t)
	o2, c2 := newTestObserver(t)
	for _, m := range msgs {
		o1.Handle(m)
		o2.Handle(m)
	}
	for _, m := range msgs {
		o2.Handle(m) // the same stream again: e.g. a re-sent batch after a reconnect
	}
	keys := map[string]bool{}
	for _, e := range c1.evs {
		keys[e.Key] = true
	}
	for _, e := range c2.evs {
		if !keys[e.Key] && e.Kind != KindDeviceState {
			t.Fatalf("replay produced a new fact %s %s", e.Kind, e.Key)
		}
	}
	// Timestamped events carry Asterisk's own time.
	for _, e := range c1.kind(KindHangup) {
		if e.At.Year() != 2026 || e.At.Equal(o1.now()) {
			t.Fatalf("hangup time %v not taken from Timestamp", e.At)
		}
	}
}

func TestResyncClosesChannelsLostWhileDisconnected(t *testing.T) {
	msgs := readCapture(t, "direct-call.ami.txt")
	firstHangup := 0
	for i, m := range msgs {
		if m.Event() == "Hangup" {
			firstHangup = i
			break
		}
	}
	o, c := newTestObserver(t)
	for _, m := range msgs[:firstHangup] {
		o.Handle(m)
	}
	open := o.Open()
	if len(open) != 4 {
		t.Fatalf("%d channels open before the hangups, want 4", len(open))
	}
	live := map[string]bool{open[0].Uniqueid: true}
	mark := o.Mark()
	// A channel that appears while Asterisk's list is on its way is not in
	// the list, and is not closed for that.
	o.Handle(ami.NewMessage("Event", "Newchannel", "Channel", "PJSIP/1009-9", "Uniqueid", "u-late", "Linkedid", "u-late"))
	if n := o.Resync(live, mark); n != 3 {
		t.Fatalf("resync closed %d channels, want 3", n)
	}
	if still := o.Open(); len(still) != 2 {
		t.Fatalf("open after the resync: %+v, want the live one and the late one", still)
	}
	lost := map[string]bool{}
	for _, e := range c.kind(KindHangup) {
		if payload(t, e)["lost"] != true {
			t.Fatalf("synthetic hangup not marked lost: %s", e.Payload)
		}
		lost[e.Key] = true
	}
	for _, m := range msgs[firstHangup:] {
		o.Handle(m)
	}
	// The real hangups that arrive later carry the same keys: stored once.
	n := 0
	for _, e := range c.kind(KindHangup) {
		if lost[e.Key] {
			n++
		}
	}
	if n != 6 {
		t.Fatalf("%d hangup events share the synthetic keys, want 3 synthetic + 3 real", n)
	}
}

func TestHoldIsTimed(t *testing.T) {
	o, c := newTestObserver(t)
	msg := func(ev, ts string) *ami.Message {
		return ami.NewMessage("Event", ev, "Timestamp", ts, "Channel", "PJSIP/1001-00000001", "Uniqueid", "u1", "Linkedid", "l1", "CallerIDNum", "1001")
	}
	o.Handle(msg("Hold", "1795373683.000000"))
	o.Handle(msg("Unhold", "1795373690.500000"))
	o.Handle(msg("Hold", "1795373700.000000"))
	holds, unholds := c.kind(KindHold), c.kind(KindUnhold)
	if len(holds) != 2 || len(unholds) != 1 {
		t.Fatalf("holds %d unholds %d", len(holds), len(unholds))
	}
	if holds[0].Key == holds[1].Key {
		t.Fatal("two holds share a key")
	}
	if s := payload(t, unholds[0])["hold_seconds"]; s != 7.5 {
		t.Fatalf("hold_seconds %v, want 7.5", s)
	}
}

func TestControlledCallsAreMarked(t *testing.T) {
	msgs := readCapture(t, "ari-queue-answered.ami.txt")
	o, c := newTestObserver(t)
	o.controlled.Add("caller-probe-1;2")
	for _, m := range msgs {
		o.Handle(m)
	}
	marked := 0
	for _, e := range c.kind(KindHangup) {
		if payload(t, e)["acd"] == true {
			marked++
		}
	}
	// caller-probe-1;2 and its sibling ;1 share the linkedid caller-probe-1.
	if marked < 2 {
		t.Fatalf("only %d hangups of the Stasis call marked acd", marked)
	}
}

func TestClassifier(t *testing.T) {
	cls, _ := NewClassifier(`^[12][0-9]{3}$`)
	cases := []struct{ from, to, want string }{
		{"2001", "1002", Internal}, {"5551234", "1001", Inbound}, {"1001", "004512345678", Outbound}, {"5551234", "5559999", Transit}, {"", "1001", Inbound},
	}
	for _, tc := range cases {
		if got := cls.Direction(tc.from, tc.to); got != tc.want {
			t.Errorf("%s -> %s: %s, want %s", tc.from, tc.to, got, tc.want)
		}
	}
	names := map[string]string{"PJSIP/1001-00000003": "1001", "Local/1002@agents-0000000d;1": "1002", "SIP/trunk-0001": "trunk", "nonsense": ""}
	for in, want := range names {
		if got := ChannelResource(in); got != want {
			t.Errorf("ChannelResource(%q) = %q, want %q", in, got, want)
		}
	}
	dials := map[string]string{"PJSIP/1002": "1002", "PJSIP/004512345678@trunk": "004512345678", "1002@agents": "1002", "PJSIP/1001&PJSIP/1002": "1001"}
	for in, want := range dials {
		if got := DialedNumber(in); got != want {
			t.Errorf("DialedNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

// Asterisk may post a channel's CDR after its Hangup; the CDR has no LinkedID and
// must still be filed under the call.
func TestLateCDRKeepsItsCall(t *testing.T) {
	o, c := newTestObserver(t)
	o.controlled.Add("u2")
	o.Handle(ami.NewMessage("Event", "Newchannel", "Channel", "PJSIP/1001-1", "Uniqueid", "u1", "Linkedid", "call-9"))
	o.Handle(ami.NewMessage("Event", "Newchannel", "Channel", "Local/x@y-1;2", "Uniqueid", "u2", "Linkedid", "call-9"))
	o.Handle(ami.NewMessage("Event", "Hangup", "Channel", "PJSIP/1001-1", "Uniqueid", "u1", "Linkedid", "call-9", "Cause", "16"))
	o.Handle(ami.NewMessage("Event", "Hangup", "Channel", "Local/x@y-1;2", "Uniqueid", "u2", "Linkedid", "call-9", "Cause", "16"))
	o.Handle(ami.NewMessage("Event", "Cdr", "Source", "1001", "Destination", "1002", "UniqueID", "u1", "StartTime", "2026-11-22 18:37:13"))
	cdrs := c.kind(KindCDR)
	if len(cdrs) != 1 || cdrs[0].CallID != "call-9" {
		t.Fatalf("late CDR filed under %+v", cdrs)
	}
	if payload(t, cdrs[0])["acd"] != true {
		t.Fatalf("late CDR of a ccd call lost its mark: %s", cdrs[0].Payload)
	}
	if len(o.Open()) != 0 {
		t.Fatal("channels left open")
	}
}

// Recorded with timestampevents=yes: the CDRs come after the Hangups and must still
// be filed under the call, with Asterisk's own event times.
func TestTimestampedDirectCall(t *testing.T) {
	msgs := readCapture(t, "direct-call-timestamped.ami.txt")
	o, c := newTestObserver(t)
	for _, m := range msgs {
		o.Handle(m)
	}
	cdrs := c.kind(KindCDR)
	if len(cdrs) != count(msgs, "Cdr") || len(cdrs) == 0 {
		t.Fatalf("%d CDR events", len(cdrs))
	}
	var internal bool
	for _, e := range cdrs {
		if e.CallID != "direct-ts-1" {
			t.Fatalf("CDR %s filed under %q", e.Key, e.CallID)
		}
		p := payload(t, e)
		if p["source"] == "2001" && p["destination"] == "1002" && p["direction"] == Internal && p["disposition"] == "ANSWERED" {
			internal = true
		}
	}
	if !internal {
		t.Fatal("no answered internal 2001 -> 1002 CDR")
	}
	for _, e := range c.evs {
		if e.At.Equal(o.now()) {
			t.Fatalf("%s took the reading time although the event has a Timestamp", e.Kind)
		}
	}
	if len(o.Open()) != 0 {
		t.Fatalf("open after the call: %+v", o.Open())
	}
}

// AMI events name the Asterisk they came from: its SystemName, or the node's
// configured name; the idempotency keys stay what they were.
func TestObserverNamesTheNode(t *testing.T) {
	hangup := func() *ami.Message {
		return ami.NewMessage("Event", "Hangup", "SystemName", "pbx-sys", "Channel", "PJSIP/1001-1", "Uniqueid", "u1",
			"Linkedid", "u1", "Cause", "16", "CallerIDNum", "1001")
	}
	o, c := newTestObserver(t)
	o.Handle(hangup())
	named, cn := newTestObserver(t)
	named.SetNode("pbx-a")
	named.Handle(hangup())
	if len(c.evs) != 1 || len(cn.evs) != 1 {
		t.Fatalf("events: %d and %d", len(c.evs), len(cn.evs))
	}
	if c.evs[0].Node != "pbx-sys" || cn.evs[0].Node != "pbx-a" {
		t.Fatalf("nodes %q and %q", c.evs[0].Node, cn.evs[0].Node)
	}
	if c.evs[0].Key != "ami:Hangup:u1" || cn.evs[0].Key != c.evs[0].Key {
		t.Fatalf("keys %q and %q", c.evs[0].Key, cn.evs[0].Key)
	}
	// A resync's hangups, made without a message, name the node too.
	o.Handle(ami.NewMessage("Event", "Newchannel", "SystemName", "pbx-sys", "Channel", "PJSIP/1002-2", "Uniqueid", "u2", "Linkedid", "u2"))
	o.Resync(map[string]bool{}, o.Mark())
	last := c.evs[len(c.evs)-1]
	if last.Kind != KindHangup || last.Node != "pbx-sys" {
		t.Fatalf("resync event %+v", last)
	}
}
