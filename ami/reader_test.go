package ami

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll reads every message from r, failing on any error but io.EOF.
func readAll(t *testing.T, r *Reader) []*Message {
	t.Helper()
	var ms []*Message
	for {
		m, err := r.ReadMessage()
		if err == io.EOF {
			return ms
		}
		if err != nil {
			t.Fatalf("after %d messages: %v", len(ms), err)
		}
		ms = append(ms, m)
	}
}

func TestReaderCaptures(t *testing.T) {
	for _, c := range loadCaptures(t) {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Contains(c.data, []byte("\r\n\r\n")) {
				t.Fatal("capture is expected to use CRLF line endings")
			}
			r := NewReader(bytes.NewReader(c.data))
			ms := readAll(t, r)
			if got, want := r.Banner(), "Asterisk Call Manager/11.0.0"; got != want {
				t.Errorf("Banner() = %q, want %q", got, want)
			}

			wantEvents := countLines(c.data, "Event:")
			wantResponses := countLines(c.data, "Response:") - countLines(c.data, "Event: OriginateResponse")
			wantFields := 0
			for _, line := range strings.Split(string(c.data), "\n") {
				if strings.Contains(line, ": ") {
					wantFields++
				}
			}
			events, responses, fields := 0, 0, 0
			for _, m := range ms {
				fields += len(m.Fields)
				if m.Event() != "" {
					events++
				} else if m.Response() != "" {
					responses++
				} else {
					t.Errorf("frame is neither event nor response: %q", m.String())
				}
			}
			if events != wantEvents {
				t.Errorf("parsed %d events, capture has %d Event: lines", events, wantEvents)
			}
			if responses != wantResponses {
				t.Errorf("parsed %d responses, want %d", responses, wantResponses)
			}
			if fields != wantFields {
				t.Errorf("parsed %d fields, capture has %d Key: Value lines", fields, wantFields)
			}
			if first := ms[0]; first.Response() != "Success" || first.Get("Message") != "Authentication accepted" {
				t.Errorf("first frame is not the login response: %q", first.String())
			}
			for _, m := range ms {
				for _, f := range m.Fields {
					if strings.ContainsAny(f.Key+f.Value, "\r\n") {
						t.Fatalf("line ending leaked into field %q: %q", f.Key, f.Value)
					}
				}
			}

			// The same stream with bare LF line endings parses identically.
			lf := bytes.ReplaceAll(c.data, []byte("\r\n"), []byte("\n"))
			ms2 := readAll(t, NewReader(bytes.NewReader(lf)))
			if !sameMessages(ms, ms2) {
				t.Error("LF-only version of the capture parses differently")
			}

			// And so does the stream delivered one byte at a time, which
			// exercises every buffer boundary.
			ms3 := readAll(t, NewReader(iotest.OneByteReader(bytes.NewReader(c.data))))
			if !sameMessages(ms, ms3) {
				t.Error("capture read one byte at a time parses differently")
			}
		})
	}
}

func sameMessages(a, b []*Message) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameFields(a[i].Fields, b[i].Fields) {
			return false
		}
	}
	return true
}

func sameFields(a, b []Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func readCapture(t *testing.T, name string) []*Message {
	t.Helper()
	for _, c := range loadCaptures(t) {
		if c.name == name {
			return readAll(t, NewReader(bytes.NewReader(c.data)))
		}
	}
	t.Fatalf("capture %s not found", name)
	return nil
}

func eventsNamed(ms []*Message, name string) []*Message {
	var out []*Message
	for _, m := range ms {
		if m.Event() == name {
			out = append(out, m)
		}
	}
	return out
}

func TestReaderDirectCallContent(t *testing.T) {
	ms := readCapture(t, "direct-call.ami.txt")

	cdrs := eventsNamed(ms, "Cdr")
	if len(cdrs) != 4 {
		t.Fatalf("got %d Cdr events, want 4", len(cdrs))
	}
	// The last CDR is the B leg: Local/1002 answered by Wait(5).
	last := cdrs[3]
	want := []Field{
		{"Event", "Cdr"},
		{"Privilege", "cdr,all"},
		{"AccountCode", ""},
		{"Source", "2001"},
		{"Destination", "1002"},
		{"DestinationContext", "agents"},
		{"CallerID", `"Ext 2001" <2001>`},
		{"Channel", "Local/1002@agents-0000000d;2"},
		{"DestinationChannel", ""},
		{"LastApplication", "Wait"},
		{"LastData", "5"},
		{"StartTime", "2026-11-22 18:37:14"},
		{"AnswerTime", "2026-11-22 18:37:15"},
		{"EndTime", "2026-11-22 18:37:19"},
		{"Duration", "5"},
		{"BillableSeconds", "4"},
		{"Disposition", "ANSWERED"},
		{"AMAFlags", "DOCUMENTATION"},
		{"UniqueID", "1795372634.26"},
		{"UserField", ""},
	}
	if !sameFields(last.Fields, want) {
		t.Errorf("last Cdr =\n%s\nwant\n%s", last, &Message{Fields: want})
	}
	if !last.Has("DestinationChannel") || last.Has("NoSuchField") {
		t.Error("Has does not distinguish empty values from absent keys")
	}
	if got := cdrs[2].Get("destinationchannel"); got != "Local/1002@agents-0000000d;1" {
		t.Errorf("third Cdr DestinationChannel = %q", got)
	}

	begins, ends := eventsNamed(ms, "DialBegin"), eventsNamed(ms, "DialEnd")
	if len(begins) != 2 || len(ends) != 2 {
		t.Fatalf("got %d DialBegin and %d DialEnd, want 2 each", len(begins), len(ends))
	}
	for i, dest := range []string{"Local/2001@agents-0000000c;1", "Local/1002@agents-0000000d;1"} {
		if got := begins[i].Get("DestChannel"); got != dest {
			t.Errorf("DialBegin[%d] DestChannel = %q, want %q", i, got, dest)
		}
		if got := ends[i].Get("DestChannel"); got != dest {
			t.Errorf("DialEnd[%d] DestChannel = %q, want %q", i, got, dest)
		}
		if got := ends[i].Get("DialStatus"); got != "ANSWER" {
			t.Errorf("DialEnd[%d] DialStatus = %q, want ANSWER", i, got)
		}
	}
	if got := ends[1].Get("Channel"); got != "Local/2001@agents-0000000c;1" {
		t.Errorf("second DialEnd Channel = %q", got)
	}

	hangups := eventsNamed(ms, "Hangup")
	if len(hangups) != 4 {
		t.Fatalf("got %d Hangup events, want 4", len(hangups))
	}
	for _, h := range hangups {
		if h.Get("Cause") != "16" || h.Get("Cause-txt") != "Normal Clearing" {
			t.Errorf("Hangup of %s: Cause %q (%q), want 16 (Normal Clearing)",
				h.Get("Channel"), h.Get("Cause"), h.Get("Cause-txt"))
		}
	}

	or := eventsNamed(ms, "OriginateResponse")
	if len(or) != 1 {
		t.Fatalf("got %d OriginateResponse events, want 1", len(or))
	}
	if or[0].ActionID() != "orig-2" || or[0].Response() != "Success" || or[0].Get("Reason") != "4" ||
		or[0].Get("Channel") != "Local/2001@agents-0000000c;1" || or[0].Get("Data") != "Local/1002@agents,20" {
		t.Errorf("unexpected OriginateResponse: %s", or[0])
	}
	// Originate's own response (login response, FullyBooted, SuccessfulAuth,
	// then it) precedes every call event.
	if ms[3].ActionID() != "orig-2" || ms[3].Get("Message") != "Originate successfully queued" || ms[3].Event() != "" {
		t.Errorf("fourth frame = %s, want the Originate response", ms[3])
	}
	if ms[4].Event() != "Newchannel" {
		t.Errorf("fifth frame = %s, want the first Newchannel", ms[4])
	}
}

func TestReaderRepeatedKeys(t *testing.T) {
	in := "Event: Status\r\nChannel: PJSIP/1001-00000001\r\nChanVariable: FOO=1\r\n" +
		"chanvariable: BAR=2\r\nChanVariable: EMPTY=\r\nChanVariable: \r\n\r\n"
	m, err := NewReader(strings.NewReader(in)).ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	got := m.Values("ChanVariable")
	want := []string{"FOO=1", "BAR=2", "EMPTY=", ""}
	if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
		t.Errorf("Values = %q, want %q", got, want)
	}
	if m.Get("CHANVARIABLE") != "FOO=1" {
		t.Errorf("Get returns %q, want the first value", m.Get("CHANVARIABLE"))
	}
	if m.String() != in {
		t.Errorf("String() = %q, want the original frame %q", m.String(), in)
	}
}

func TestReaderEdgeCases(t *testing.T) {
	// No banner, blank lines before and between frames, a value containing
	// ": ", a colon without a space, and values with surrounding spaces.
	in := "\r\n\nResponse: Success\nMessage: a: b\n\n\r\n\r\nEvent: X\r\nKey:value\r\nK2:  spaced \r\n\r\n"
	r := NewReader(strings.NewReader(in))
	ms := readAll(t, r)
	if len(ms) != 2 {
		t.Fatalf("got %d messages, want 2", len(ms))
	}
	if r.Banner() != "" {
		t.Errorf("Banner() = %q for a stream without banner", r.Banner())
	}
	if ms[0].Get("Message") != "a: b" {
		t.Errorf("Message = %q", ms[0].Get("Message"))
	}
	if ms[1].Get("Key") != "value" || ms[1].Get("K2") != " spaced " {
		t.Errorf("got Key=%q K2=%q", ms[1].Get("Key"), ms[1].Get("K2"))
	}
	if ms[0].Event() != "" || ms[1].Event() != "X" {
		t.Error("Event() mismatch")
	}
}

// TestReaderMalformed checks that each kind of bad input yields a
// *ParseError and that the frame after it is read normally.
func TestReaderMalformed(t *testing.T) {
	const next = "Event: Next\r\nSeq: 2\r\n\r\n"
	huge := "Event: Big\r\nData: " + strings.Repeat("x", 2<<20) + "\r\nMore: y\r\n\r\n"
	tests := []struct {
		name    string
		in      string
		wantErr error
		line    string
	}{
		{"line without colon", "Event: Bad\r\nChann\r\n\r\n", ErrMalformedLine, "Chann"},
		{"empty key", "Event: Bad\r\n: value\r\n\r\n", ErrMalformedLine, ": value"},
		{"garbage", "\x00\xff\xfe garbage \x01\r\n\r\n", ErrMalformedLine, "\x00\xff\xfe garbage \x01"},
		{"huge line", huge, ErrFrameTooLarge, "Event: Big"},
		{"huge line LF", strings.ReplaceAll(huge, "\r\n", "\n"), ErrFrameTooLarge, "Event: Big"},
		{"huge frame of small lines", "Event: Many\r\n" + strings.Repeat("K: v\r\n", 300000) + "\r\n", ErrFrameTooLarge, "Event: Many"},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			name := tt.name
			if oneByte {
				name += "/one byte reads"
			}
			t.Run(name, func(t *testing.T) {
				in := "Event: First\r\nSeq: 1\r\n\r\n" + tt.in + next
				var src io.Reader = strings.NewReader(in)
				if oneByte {
					src = iotest.OneByteReader(src)
				}
				r := NewReader(src)
				m, err := r.ReadMessage()
				if err != nil || m.Get("Seq") != "1" {
					t.Fatalf("first frame: %v %v", m, err)
				}
				_, err = r.ReadMessage()
				var perr *ParseError
				if !errors.As(err, &perr) {
					t.Fatalf("got %v, want *ParseError", err)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("got %v, want it to wrap %v", err, tt.wantErr)
				}
				if perr.Offset != int64(len("Event: First\r\nSeq: 1\r\n\r\n")) {
					t.Errorf("Offset = %d", perr.Offset)
				}
				if perr.Line != tt.line && !strings.HasPrefix(tt.line, strings.TrimSuffix(perr.Line, "...")) {
					t.Errorf("Line = %q, want %q", perr.Line, tt.line)
				}
				m, err = r.ReadMessage()
				if err != nil || m.Event() != "Next" || m.Get("Seq") != "2" {
					t.Fatalf("frame after the bad one: %v, %v", m, err)
				}
				if _, err := r.ReadMessage(); err != io.EOF {
					t.Errorf("at end: %v, want io.EOF", err)
				}
			})
		}
	}
}

func TestReaderTruncated(t *testing.T) {
	in := "Asterisk Call Manager/11.0.0\r\nEvent: A\r\n\r\nEvent: Hangup\r\nChannel: PJSIP/10"
	r := NewReader(strings.NewReader(in))
	if m, err := r.ReadMessage(); err != nil || m.Event() != "A" {
		t.Fatalf("first: %v %v", m, err)
	}
	_, err := r.ReadMessage()
	var perr *ParseError
	if !errors.As(err, &perr) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want ParseError wrapping io.ErrUnexpectedEOF", err)
	}
	if perr.Line != "Channel: PJSIP/10" {
		t.Errorf("Line = %q", perr.Line)
	}
	if _, err := r.ReadMessage(); err != io.EOF {
		t.Errorf("then %v, want io.EOF", err)
	}

	// A transport error mid-frame is returned as is, not as a ParseError.
	boom := errors.New("connection reset")
	r = NewReader(io.MultiReader(strings.NewReader("Event: A\r\nX: 1"), iotest.ErrReader(boom)))
	if _, err := r.ReadMessage(); err != boom {
		t.Errorf("got %v, want the transport error", err)
	}
	// Trailing line endings after the last frame are a clean end.
	r = NewReader(strings.NewReader("Event: A\r\n\r\n\r\n\r"))
	readAll(t, r)
}

func TestReaderSetMaxFrameSize(t *testing.T) {
	r := NewReader(strings.NewReader("Event: A\r\nData: 0123456789012345678901234567890123456789\r\n\r\nEvent: B\r\n\r\n"))
	r.SetMaxFrameSize(32)
	if _, err := r.ReadMessage(); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("got %v, want ErrFrameTooLarge", err)
	}
	if m, err := r.ReadMessage(); err != nil || m.Event() != "B" {
		t.Fatalf("got %v %v, want event B", m, err)
	}
}

func noisyFilter(ev []byte) bool {
	return string(ev) != "VarSet" && string(ev) != "Newexten"
}

func TestReaderFilter(t *testing.T) {
	total, kept, noisy := 0, 0, 0
	for _, c := range loadCaptures(t) {
		all := readAll(t, NewReader(bytes.NewReader(c.data)))
		r := NewReader(bytes.NewReader(c.data))
		var seen []string
		r.SetEventFilter(func(ev []byte) bool {
			seen = append(seen, string(ev))
			return noisyFilter(ev)
		})
		filtered := readAll(t, r)
		var want []*Message
		for _, m := range all {
			switch m.Event() {
			case "VarSet", "Newexten":
				noisy++
			default:
				want = append(want, m)
			}
		}
		if !sameMessages(filtered, want) {
			t.Errorf("%s: filtered stream differs from the unfiltered one minus VarSet/Newexten", c.name)
		}
		if int(r.Skipped()) != len(all)-len(filtered) {
			t.Errorf("%s: Skipped() = %d, want %d", c.name, r.Skipped(), len(all)-len(filtered))
		}
		if len(seen) != countLines(c.data, "Event:") {
			t.Errorf("%s: filter called %d times, want once per event (%d)", c.name, len(seen), countLines(c.data, "Event:"))
		}
		total += len(all)
		kept += len(filtered)
	}
	if noisy == 0 || total-kept != noisy {
		t.Fatalf("skipped %d frames, captures hold %d VarSet/Newexten", total-kept, noisy)
	}

	// Skipped frames cost no allocation: compare the allocations of a full
	// pass with and without the filter.
	captures := loadCaptures(t)
	pass := func(filter bool) float64 {
		src := new(bytes.Reader)
		r := NewReader(src)
		return testing.AllocsPerRun(20, func() {
			for _, c := range captures {
				src.Reset(c.data)
				r.Reset(src)
				if filter {
					r.SetEventFilter(noisyFilter)
				}
				for {
					if _, err := r.ReadMessage(); err == io.EOF {
						break
					} else if err != nil {
						panic(err)
					}
				}
			}
		})
	}
	unfiltered, filtered := pass(false), pass(true)
	t.Logf("allocations per pass over all captures: %.0f unfiltered, %.0f filtered (%d of %d frames skipped)",
		unfiltered, filtered, noisy, total)
	// Every kept frame costs the same as before; every skipped one nothing.
	if perFrame := unfiltered / float64(total); filtered > unfiltered-perFrame*float64(noisy)+10 {
		t.Errorf("filtered pass made %.0f allocations, want at most %.0f",
			filtered, unfiltered-perFrame*float64(noisy)+10)
	}
	if filtered >= unfiltered {
		t.Errorf("filter did not reduce allocations: %.0f >= %.0f", filtered, unfiltered)
	}
}

// TestReaderFilterEventNotFirst checks that the filter finds the Event field
// wherever it is in the frame and treats frames without one as responses.
func TestReaderFilterEventNotFirst(t *testing.T) {
	in := "ActionID: 1\r\nevent: VarSet\r\n\r\nResponse: Success\r\n\r\nPrivilege: x\r\nEvent:Hangup\r\n\r\n"
	r := NewReader(strings.NewReader(in))
	r.SetEventFilter(noisyFilter)
	ms := readAll(t, r)
	if len(ms) != 2 || ms[0].Response() != "Success" || ms[1].Event() != "Hangup" {
		t.Fatalf("got %v", ms)
	}
	if r.Skipped() != 1 {
		t.Errorf("Skipped() = %d, want 1", r.Skipped())
	}
}

func TestMessageMethods(t *testing.T) {
	m := NewMessage("Action", "Originate", "Variable", "A=1", "variable", "B=2", "Async", "false")
	m.Set("async", "true")
	m.Add("Variable", "C=3")
	if got := m.Values("Variable"); len(got) != 3 || got[2] != "C=3" {
		t.Errorf("Values = %q", got)
	}
	m.Set("Variable", "Z=9")
	if got := m.Values("VARIABLE"); len(got) != 1 || got[0] != "Z=9" {
		t.Errorf("after Set, Values = %q", got)
	}
	if m.Get("Async") != "true" || m.Fields[len(m.Fields)-1].Key != "Async" {
		t.Errorf("Set did not update in place: %s", m)
	}
	c := m.Clone()
	c.Del("Action")
	if c.Has("action") || !m.Has("Action") {
		t.Error("Clone shares fields with the original")
	}
	m.Set("New", "x")
	if m.Get("new") != "x" {
		t.Error("Set did not append a missing key")
	}
	if v, ok := m.Lookup("Missing"); ok || v != "" {
		t.Error("Lookup found a missing key")
	}
	var nilMsg *Message
	if nilMsg.Get("x") != "" || nilMsg.Has("x") || nilMsg.Values("x") != nil {
		t.Error("nil Message accessors must be safe")
	}
	if got := string(NewMessage("A", "1").AppendWire([]byte("x"))); got != "xA: 1\r\n\r\n" {
		t.Errorf("AppendWire = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("NewMessage with an odd argument count did not panic")
		}
	}()
	odd := strings.Fields("lonely")
	NewMessage(odd...)
}
