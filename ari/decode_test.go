package ari

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDecodeEveryCaptureEvent(t *testing.T) {
	lines := captureLines(t)
	if len(lines) < 80 {
		t.Fatalf("only %d capture lines", len(lines))
	}
	seen := map[string]int{}
	for i, l := range lines {
		var raw struct {
			Type        string `json:"type"`
			Application string `json:"application"`
			Timestamp   string `json:"timestamp"`
		}
		if err := json.Unmarshal(l, &raw); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		ev, err := Decode(l)
		if err != nil {
			t.Fatalf("line %d (%s): %v", i, raw.Type, err)
		}
		if _, unknown := ev.(*UnknownEvent); unknown {
			t.Errorf("line %d: %s decoded as UnknownEvent", i, raw.Type)
		}
		if got := reflect.TypeOf(ev).Elem().Name(); got != raw.Type {
			t.Errorf("line %d: %s decoded as %s", i, raw.Type, got)
		}
		if ev.EventType() != raw.Type || ev.EventApplication() != "ccd" {
			t.Errorf("line %d: type %q app %q", i, ev.EventType(), ev.EventApplication())
		}
		want, err := ParseTime(raw.Timestamp)
		if err != nil || !ev.EventTime().Equal(want) || ev.EventTime().IsZero() {
			t.Errorf("line %d: time %v, want %v (%v)", i, ev.EventTime(), want, err)
		}
		if len(Keys(ev)) == 0 {
			t.Errorf("line %d: %s references no resource", i, raw.Type)
		}
		seen[raw.Type]++
	}
	t.Logf("decoded %d events of %d types", len(lines), len(seen))
}

func mustDecode(t *testing.T, s string) Event {
	t.Helper()
	ev, err := Decode([]byte(s))
	if err != nil {
		t.Fatalf("Decode(%.60s...): %v", s, err)
	}
	return ev
}

// findLine returns the n-th capture line (0-based) of file containing all
// of the given substrings.
func findLine(t *testing.T, file string, n int, subs ...string) string {
	t.Helper()
	data, err := os.ReadFile("../testdata/captures/" + file)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		match := true
		for _, s := range subs {
			if !strings.Contains(l, s) {
				match = false
				break
			}
		}
		if match {
			if n == 0 {
				return l
			}
			n--
		}
	}
	t.Fatalf("%s: no line with %q", file, subs)
	return ""
}

func TestDecodeCaptureFields(t *testing.T) {
	const answered = "ari-queue-answered.ari.jsonl"
	ss := mustDecode(t, findLine(t, answered, 0, `"StasisStart"`)).(*StasisStart)
	if !slices.Equal(ss.Args, []string{"inbound", "5551234"}) {
		t.Errorf("StasisStart args %q", ss.Args)
	}
	ch := ss.Channel
	if ch.ID != "caller-probe-1;2" || ch.Name != "Local/5551234@inbound-00000006;2" || ch.State != ChannelStateRing {
		t.Errorf("StasisStart channel %+v", ch)
	}
	if ch.Caller != (CallerID{Name: "Customer", Number: "5551234"}) || ch.Language != "en" {
		t.Errorf("caller %+v language %q", ch.Caller, ch.Language)
	}
	if ch.Dialplan != (DialplanCEP{Context: "inbound", Exten: "5551234", Priority: 1, AppName: "Stasis", AppData: "ccd,inbound,5551234"}) {
		t.Errorf("dialplan %+v", ch.Dialplan)
	}
	wantCreated := time.Date(2026, 11, 22, 18, 35, 24, 137e6, time.UTC)
	if !ch.CreationTime.Equal(wantCreated) {
		t.Errorf("creationtime %v", ch.CreationTime)
	}
	if ss.AsteriskID != "02:fc:00:00:00:01" || ss.ReplaceChannel != nil {
		t.Errorf("asterisk_id %q replace %v", ss.AsteriskID, ss.ReplaceChannel)
	}
	if !InApplication(&ch, "ccd") || InApplication(&ch, "cc") {
		t.Error("InApplication")
	}

	dial := mustDecode(t, findLine(t, answered, 0, `"Dial"`, `"ANSWER"`)).(*Dial)
	if dial.DialStatus != "ANSWER" || dial.DialString != "1001@agents" || dial.Peer.ID != "agent-probe-1" ||
		dial.Peer.State != ChannelStateUp || dial.Caller != nil || dial.Forwarded != nil {
		t.Errorf("Dial %+v", dial)
	}
	ringing := mustDecode(t, findLine(t, "ari-queue-sip-agent.ari.jsonl", 0, `"RINGING"`)).(*Dial)
	if ringing.DialStatus != "RINGING" || ringing.Peer.ProtocolID != "e3fb4ded-1a98-47b7-9fdb-c124d0dcb0b4" {
		t.Errorf("Dial RINGING %+v", ringing)
	}

	hr := mustDecode(t, findLine(t, answered, 0, `"ChannelHangupRequest"`, `"soft":true`)).(*ChannelHangupRequest)
	if hr.Cause != 16 || !hr.Soft || hr.Channel.ID != "agent-probe-1;2" {
		t.Errorf("ChannelHangupRequest %+v", hr)
	}
	hr2 := mustDecode(t, findLine(t, answered, 0, `"cause":32`)).(*ChannelHangupRequest)
	if hr2.Cause != 32 || !hr2.Soft || hr2.Channel.ID != "caller-probe-1;2" {
		t.Errorf("ChannelHangupRequest (ARI hangup) %+v", hr2)
	}
	ab := mustDecode(t, findLine(t, "ari-queue-abandoned.ari.jsonl", 0, `"ChannelHangupRequest"`)).(*ChannelHangupRequest)
	if ab.Cause != 16 || ab.Soft {
		t.Errorf("abandon hangup %+v", ab)
	}

	rf := mustDecode(t, findLine(t, answered, 0, `"RecordingFinished"`)).(*RecordingFinished)
	if rf.Recording != (LiveRecording{Name: "probe-rec-1", Format: "wav", State: RecordingStateDone,
		TargetURI: "bridge:9067ebaf-ecee-47de-b77c-88d584ea6f7f", Duration: 5}) {
		t.Errorf("RecordingFinished %+v", rf.Recording)
	}
	if k := Keys(rf); !slices.Equal(k, []Key{{KindRecording, "probe-rec-1"}, {KindBridge, "9067ebaf-ecee-47de-b77c-88d584ea6f7f"}}) {
		t.Errorf("RecordingFinished keys %v", k)
	}

	cd := mustDecode(t, findLine(t, answered, 1, `"ChannelDestroyed"`)).(*ChannelDestroyed)
	if cd.Cause != 16 || cd.CauseTxt != "Normal Clearing" || cd.Channel.ID != "agent-probe-1" ||
		cd.Channel.Dialplan.AppName != "AppDial2" {
		t.Errorf("ChannelDestroyed %+v", cd)
	}

	// "type" is not always the first member.
	vs := mustDecode(t, findLine(t, answered, 0, `"variable":"BRIDGEPEER"`)).(*ChannelVarset)
	if vs.Variable != "BRIDGEPEER" || vs.Value != "Local/1001@agents-00000007;1" || vs.Channel == nil || vs.Channel.ID != "caller-probe-1;2" {
		t.Errorf("ChannelVarset %+v", vs)
	}

	eb := mustDecode(t, findLine(t, answered, 1, `"ChannelEnteredBridge"`)).(*ChannelEnteredBridge)
	if eb.Bridge.ID != "9067ebaf-ecee-47de-b77c-88d584ea6f7f" || eb.Bridge.BridgeType != BridgeTypeMixing ||
		!slices.Equal(eb.Bridge.Channels, []string{"agent-probe-1", "caller-probe-1;2"}) || eb.Bridge.VideoMode != "talker" {
		t.Errorf("ChannelEnteredBridge bridge %+v", eb.Bridge)
	}
	if k := Keys(eb); !slices.Equal(k, []Key{{KindBridge, eb.Bridge.ID}, {KindChannel, "agent-probe-1"}}) {
		t.Errorf("ChannelEnteredBridge keys %v", k)
	}
}

// eventModels returns the swagger ids of the Event and Message subtypes.
func eventModels(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("internal/apidocs/events.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Models map[string]struct {
			SubTypes []string `json:"subTypes"`
		} `json:"models"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, base := range []string{"Event", "Message"} {
		for _, s := range doc.Models[base].SubTypes {
			if s != "Event" && !slices.Contains(names, s) {
				names = append(names, s)
			}
		}
	}
	slices.Sort(names)
	return names
}

func TestEveryEventTypeHasGoType(t *testing.T) {
	names := eventModels(t)
	if len(names) < 40 {
		t.Fatalf("only %d event models found", len(names))
	}
	if !slices.Equal(names, EventTypes) {
		t.Errorf("EventTypes = %v\nswagger   = %v", EventTypes, names)
	}
	for _, n := range names {
		msg := `{"type":"` + n + `","application":"ccd","timestamp":"2026-11-22T18:35:24.138+0000","asterisk_id":"x"}`
		ev, err := Decode([]byte(msg))
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if _, unknown := ev.(*UnknownEvent); unknown {
			t.Errorf("%s decodes as UnknownEvent", n)
			continue
		}
		if got := reflect.TypeOf(ev).Elem().Name(); got != n {
			t.Errorf("%s decodes as %s", n, got)
		}
		if ev.EventType() != n {
			t.Errorf("%s: EventType %q", n, ev.EventType())
		}
		if n != "MissingParams" && (ev.EventApplication() != "ccd" || ev.EventTime().IsZero()) {
			t.Errorf("%s: application %q time %v", n, ev.EventApplication(), ev.EventTime())
		}
		// Every event marshals back to something Decode accepts as the
		// same type.
		data, err := Marshal(ev)
		if err != nil {
			t.Errorf("%s: Marshal: %v", n, err)
			continue
		}
		again, err := Decode(data)
		if err != nil || again.EventType() != n {
			t.Errorf("%s: round trip: %v %s", n, err, data)
		}
	}
}

func TestDecodeUnknownType(t *testing.T) {
	msg := `{"type":"FancyNewEvent","timestamp":"2026-11-22T18:35:24.138+0000","x":{"y":[1,2,{"z":null}]},"application":"ccd"}`
	ev, err := Decode([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	u, isUnknown := ev.(*UnknownEvent)
	if !isUnknown {
		t.Fatalf("got %T", ev)
	}
	if u.Type != "FancyNewEvent" || u.Application != "ccd" || u.Timestamp.IsZero() || string(u.Raw) != msg {
		t.Errorf("%+v", u)
	}
	if data, _ := Marshal(u); string(data) != msg {
		t.Errorf("Marshal = %s", data)
	}
	// RESTRequest is a model but not something Asterisk sends: unknown too.
	if ev := mustDecode(t, `{"type":"RESTRequest"}`); ev.EventType() != "RESTRequest" {
		t.Errorf("%T", ev)
	}
}

func TestDecodeErrors(t *testing.T) {
	bad := []string{
		``,
		`   `,
		`null`,
		`[]`,
		`"StasisStart"`,
		`{}`,
		`{"application":"ccd"}`,
		`{"type":5}`,
		`{"type":null}`,
		`{"type":"StasisStart"`,
		`{"type":"StasisStart",}`,
		`{"type":"StasisStart"} x`,
		`{"type":"StasisStart","args":"notalist"}`,
		`{"type":"StasisStart","channel":[]}`,
		`{"type":"ChannelDestroyed","cause":"16"}`,
		`{"type":"ChannelDestroyed","cause":16.5}`,
		`{"type":"ChannelDestroyed","cause":1e400}`,
		`{"type":"ChannelHangupRequest","soft":1}`,
		`{"type":"StasisStart","timestamp":"yesterday"}`,
		`{"type":"StasisStart","timestamp":"2026-02-30T18:35:24.138+0000"}`,
		`{"type":"Unknown","x":01}`,
		`{"type":"Unknown","x":"\x01"}`,
		`{"type":"Unknown","x":"\q"}`,
		`{"type":"Unknown","x":"\u12"}`,
		`{"type":"Unknown","x":tru}`,
		`{"type":"Unknown","x":-}`,
		`{"type":"Unknown","x":1.}`,
		`{"type":"Unknown","x":[1,]}`,
		`{"type":"Unknown" "x":1}`,
		`{"type":"Unknown",` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`,
		// Valid JSON, but nested deeper than the decoder accepts.
		`{"type":"Deep","x":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`,
	}
	for _, b := range bad {
		ev, err := Decode([]byte(b))
		if err == nil {
			t.Errorf("Decode(%.40q) = %T, want error", b, ev)
			continue
		}
		if ev != nil {
			t.Errorf("Decode(%.40q) returned an event with the error", b)
		}
		var se *SyntaxError
		if !errors.As(err, &se) && !errors.Is(err, ErrNoType) {
			t.Errorf("Decode(%.40q) error %T %v", b, err, err)
		}
		if json.Valid([]byte(b)) && strings.Contains(b, `"type":"Unknown"`) {
			t.Errorf("test case %q is valid JSON", b)
		}
	}
}

// Strings decode exactly as encoding/json decodes them, including escapes,
// surrogate pairs and invalid UTF-8.
func TestDecodeStringsLikeEncodingJSON(t *testing.T) {
	cases := []string{
		`"plain"`, `""`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u00e9\u20ac"`, `"\ud83d\ude00"`,
		`"\ud83d"`, `"\ud83dx"`, `"\ude00"`, `"\ud83d\u0041"`, "\"\xff\xfe\"", "\"caf\xc3\xa9\"",
		"\"\xe2\x82\"", `"tab	no"`,
	}
	for _, c := range cases {
		var want string
		stdErr := json.Unmarshal([]byte(c), &want)
		r := reader{s: c}
		got := r.str()
		err := r.finish()
		if (err != nil) != (stdErr != nil) {
			t.Errorf("%q: err %v, encoding/json %v", c, err, stdErr)
			continue
		}
		if err == nil && got != want {
			t.Errorf("%q: got %q want %q", c, got, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	cases := []struct {
		in   string
		want time.Time
	}{
		{"2026-11-22T18:35:24.138+0000", time.Date(2026, 11, 22, 18, 35, 24, 138e6, time.UTC)},
		{"2026-11-22T19:35:24.138+0100", time.Date(2026, 11, 22, 18, 35, 24, 138e6, time.UTC)},
		{"2026-11-22T13:05:24.138-0530", time.Date(2026, 11, 22, 18, 35, 24, 138e6, time.UTC)},
		{"2026-11-22T18:35:24Z", time.Date(2026, 11, 22, 18, 35, 24, 0, time.UTC)},
		{"2026-11-22T18:35:24.123456789+00:00", time.Date(2026, 11, 22, 18, 35, 24, 123456789, time.UTC)},
		{"2024-02-29T00:00:00.000+0000", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		got, err := ParseTime(c.in)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "2026-11-22", "2026-13-22T18:35:24.138+0000", "2026-11-22T24:35:24.138+0000",
		"2026-11-22T18:35:24.138+2400", "2025-02-29T00:00:00.000+0000", "2026-11-22T18:35:24.1x8+0000"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) succeeded", bad)
		}
	}
	// Offsets keep their zone, cached.
	a, _ := ParseTime("2026-11-22T19:35:24.138+0100")
	b, _ := ParseTime("2026-11-22T19:35:24.138+0100")
	if _, off := a.Zone(); off != 3600 || a.Location() != b.Location() {
		t.Errorf("zone %v %v", a.Location(), b.Location())
	}
}

// normalize drops members whose value is "" or false or null: optional
// members Asterisk writes empty and the encoder leaves out.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch e {
			case "", false, nil:
				delete(x, k)
				continue
			}
			x[k] = normalize(e)
		}
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
	}
	return v
}

// Marshal writes back what Asterisk sent: same members and values.
func TestMarshalMatchesCaptures(t *testing.T) {
	for i, l := range captureLines(t) {
		ev, err := Decode(l)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if err := json.Unmarshal(l, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatalf("line %d: Marshal output is not JSON: %v\n%s", i, err, out)
		}
		if !reflect.DeepEqual(normalize(a), normalize(b)) {
			t.Errorf("line %d differs:\n in: %s\nout: %s", i, l, out)
		}
		if !bytes.HasPrefix(out, []byte(`{"type":"`+ev.EventType()+`","timestamp":"`)) {
			t.Errorf("line %d: %s", i, out[:40])
		}
		again, err := Decode(out)
		if err != nil || !reflect.DeepEqual(ev, again) {
			t.Errorf("line %d: round trip differs (%v)", i, err)
		}
		// encoding/json uses the generated methods too.
		std, err := json.Marshal(ev)
		if err != nil || !bytes.Equal(std, out) {
			t.Errorf("line %d: json.Marshal differs (%v)", i, err)
		}
	}
}

func TestModelsUnmarshalJSON(t *testing.T) {
	var chans []Channel
	body := `[{"id":"a","name":"PJSIP/1001-00000003","state":"Up","protocol_id":"","caller":{"name":"","number":"1001"},` +
		`"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"phones","exten":"s","priority":1,"app_name":"Stasis","app_data":"ccd"},` +
		`"creationtime":"2026-11-22T18:54:43.563+0000","language":"en","channelvars":{"X":"1","N":2}}]`
	if err := json.Unmarshal([]byte(body), &chans); err != nil {
		t.Fatal(err)
	}
	if len(chans) != 1 || chans[0].Caller.Number != "1001" || chans[0].ChannelVars["X"] != "1" || chans[0].ChannelVars["N"] != "2" {
		t.Errorf("%+v", chans)
	}
	if !InApplication(&chans[0], "ccd") {
		t.Error("app_data without args is in the application")
	}
	l, err := decodeList[Channel]([]byte(body))
	if err != nil || !reflect.DeepEqual(l, chans) {
		t.Errorf("decodeList %v %+v", err, l)
	}
	var b Bridge
	if err := json.Unmarshal([]byte(`{"id":"b","channels":null}`), &b); err != nil || b.ID != "b" || b.Channels != nil {
		t.Errorf("%v %+v", err, b)
	}
}

func TestKeys(t *testing.T) {
	ev := &Dial{Peer: Channel{ID: "p"}, Caller: &Channel{ID: "c"}, Forwarded: &Channel{ID: "p"}}
	if k := Keys(ev); !slices.Equal(k, []Key{{KindChannel, "c"}, {KindChannel, "p"}}) {
		t.Errorf("Dial keys %v", k)
	}
	pb := &PlaybackStarted{Playback: Playback{ID: "pb", TargetURI: "channel:x;2"}}
	if k := Keys(pb); !slices.Equal(k, []Key{{KindPlayback, "pb"}, {KindChannel, "x;2"}}) {
		t.Errorf("playback keys %v", k)
	}
	tr := &ChannelTransfer{ReferTo: ReferTo{DestinationChannel: &Channel{ID: "d"}, Bridge: &Bridge{ID: "b"}},
		ReferredBy: ReferredBy{SourceChannel: Channel{ID: "s"}}}
	if k := Keys(tr); !slices.Equal(k, []Key{{KindChannel, "d"}, {KindBridge, "b"}, {KindChannel, "s"}}) {
		t.Errorf("transfer keys %v", k)
	}
	if k := Keys(&EndpointStateChange{Endpoint: Endpoint{Technology: "PJSIP", Resource: "1001"}}); !slices.Equal(k, []Key{{KindEndpoint, "PJSIP/1001"}}) {
		t.Errorf("endpoint keys %v", k)
	}
	if k := Keys(&ApplicationReplaced{}); len(k) != 0 {
		t.Errorf("ApplicationReplaced keys %v", k)
	}
}

// Decoded events go to the event log, and PostgreSQL refuses NUL (also as the
// jsonb escape \u0000), lone surrogates and invalid UTF-8: they are repaired in
// strings and in values kept as raw JSON.
func TestDecodeCleansNULForTheEventLog(t *testing.T) {
	ev, err := Decode([]byte(`{"type":"StasisStart","application":"ccd","timestamp":"2026-11-22T18:35:24.138+0000",` +
		`"args":["inbound","555\u00000100"],"channel":{"id":"c1","name":"PJSIP/trunk-1",` +
		`"caller":{"name":"Jo\u0000s\u00e9","number":"555"},"channelvars":{"X\u0000":"a\u0000b"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	ss := ev.(*StasisStart)
	if ss.Channel.Caller.Name != "José" || ss.Args[1] != "5550100" || ss.Channel.ChannelVars["X"] != "ab" {
		t.Fatalf("caller name %q, args %q, vars %q", ss.Channel.Caller.Name, ss.Args, ss.Channel.ChannelVars)
	}

	ev, err = Decode([]byte(`{"type":"ChannelUserevent","eventname":"x","timestamp":"2026-11-22T18:35:24.138+0000",` +
		`"userevent":{"note":"a\u0000b","lone":"\ud800","kept":"a\\u0000b"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(ev.(*ChannelUserevent).UserEvent), `{"note":"ab","lone":"`+"\uFFFD"+`","kept":"a\\u0000b"}`; got != want {
		t.Fatalf("userevent %s, want %s", got, want)
	}

	ev, err = Decode([]byte(`{"type":"FromNewerAsterisk","note":"a\u0000b"}`))
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := Marshal(ev); string(out) != `{"type":"FromNewerAsterisk","note":"ab"}` {
		t.Fatalf("unknown event kept as %s", out)
	}
}
