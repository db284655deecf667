package webhook

import (
	"reflect"
	"testing"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/eventlog"
)

var (
	cph = mustZone("Europe/Copenhagen")
	t0  = time.Date(2026, 3, 10, 9, 15, 30, 0, time.UTC) // 10:15:30 in Copenhagen
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func fields(kv ...string) []Field {
	var out []Field
	for i := 0; i < len(kv); i += 2 {
		out = append(out, Field{kv[i], kv[i+1]})
	}
	return out
}

// Each of the seed's four messages, field by field and in the seed's order,
// from the ACD's events (an agent's queue call) and the AMI observer's (any
// extension).
func TestMessagesHaveTheSeedsFields(t *testing.T) {
	tr := Translator{AccountID: "4711", Loc: cph}
	summary := &ccd.Call{ID: "c1", Agent: "1001", AnsweredAt: t0, EndedAt: t0.Add(95 * time.Second)}
	transferred := &ccd.Call{ID: "c2", Agent: "1001", AnsweredAt: t0, TransferAt: t0.Add(30 * time.Second), EndedAt: t0.Add(90 * time.Second)}
	cases := []struct {
		name string
		ev   eventlog.Event
		want []Message
	}{
		{"acd ringing", eventlog.Event{Kind: ccd.EventCallRinging, At: t0, CallID: "c1", Agent: "1001", CLID: "004512345678",
			Payload: eventlog.Payload(ccd.EventData{Endpoint: "PJSIP/2001", Channel: "PJSIP/2001-0000000a"})},
			[]Message{{Ringing, fields("AccountId", "4711", "UniqueCallId", "c1", "Calledphone", "2001", "ANumber", "004512345678",
				"TimeStamp", "2026-03-10 10:15:30", "EmployeeLocalNumber", "1001")}}},
		{"acd answered", eventlog.Event{Kind: ccd.EventCallAnswered, At: t0, CallID: "c1", Agent: "1001", CLID: "004512345678"},
			[]Message{{Answered, fields("AccountId", "4711", "UniqueCallId", "c1", "EmployeeLocalNumber", "1001",
				"ANumber", "004512345678", "TimeStamp", "2026-03-10 10:15:30")}}},
		{"acd ended", eventlog.Event{Kind: ccd.EventCallEnded, At: t0.Add(95 * time.Second), CallID: "c1",
			Payload: eventlog.Payload(ccd.EventData{Summary: summary})},
			[]Message{{Ended, fields("AccountId", "4711", "UniqueCallId", "c1", "Duration", "95", "Transfer", "false", "CallDirection", "Incoming")}}},
		{"acd ended by a transfer", eventlog.Event{Kind: ccd.EventCallEnded, At: t0.Add(90 * time.Second), CallID: "c2",
			Payload: eventlog.Payload(ccd.EventData{Summary: transferred})},
			[]Message{{Ended, fields("AccountId", "4711", "UniqueCallId", "c2", "Duration", "30", "Transfer", "true", "CallDirection", "Incoming")}}},
		{"acd call nobody answered", eventlog.Event{Kind: ccd.EventCallEnded, At: t0, CallID: "c3",
			Payload: eventlog.Payload(ccd.EventData{Summary: &ccd.Call{ID: "c3"}})}, nil},
		{"inbound direct call rings", eventlog.Event{Kind: ccd.EventPBXDial, At: t0, CallID: "l1",
			Payload: eventlog.Payload(map[string]any{"from": "004587654321", "to": "1002", "channel": "PJSIP/trunk-00000001",
				"dest_channel": "PJSIP/1002-00000002", "direction": "inbound", "acd": false})},
			[]Message{{Ringing, fields("AccountId", "4711", "UniqueCallId", "l1", "Calledphone", "1002", "ANumber", "004587654321",
				"TimeStamp", "2026-03-10 10:15:30", "EmployeeLocalNumber", "1002")}}},
		{"outbound call", eventlog.Event{Kind: ccd.EventPBXDial, At: t0, CallID: "l2",
			Payload: eventlog.Payload(map[string]any{"from": "1003", "to": "004522223333", "channel": "PJSIP/1003-00000004",
				"dest_channel": "PJSIP/trunk-00000005", "direction": "outbound", "acd": false})},
			[]Message{{Outgoing, fields("AccountId", "4711", "UniqueCallId", "l2", "EmployeeLocalNumber", "1003",
				"ANumber", "004522223333", "TimeStamp", "2026-03-10 10:15:30", "PhoneLocalNumber", "1003")}}},
		{"internal call: the caller's outgoing and the callee's ringing", eventlog.Event{Kind: ccd.EventPBXDial, At: t0, CallID: "l3",
			Payload: eventlog.Payload(map[string]any{"from": "1003", "to": "1004", "channel": "PJSIP/1003-00000006",
				"dest_channel": "PJSIP/1004-00000007", "direction": "internal", "acd": false})},
			[]Message{
				{Outgoing, fields("AccountId", "4711", "UniqueCallId", "l3", "EmployeeLocalNumber", "1003",
					"ANumber", "1004", "TimeStamp", "2026-03-10 10:15:30", "PhoneLocalNumber", "1003")},
				{Ringing, fields("AccountId", "4711", "UniqueCallId", "l3", "Calledphone", "1004", "ANumber", "1003",
					"TimeStamp", "2026-03-10 10:15:30", "EmployeeLocalNumber", "1004")},
			}},
		{"direct call answered", eventlog.Event{Kind: ccd.EventPBXDialEnd, At: t0, CallID: "l1",
			Payload: eventlog.Payload(map[string]any{"from": "004587654321", "to": "1002", "status": "ANSWER", "direction": "inbound", "acd": false})},
			[]Message{{Answered, fields("AccountId", "4711", "UniqueCallId", "l1", "EmployeeLocalNumber", "1002",
				"ANumber", "004587654321", "TimeStamp", "2026-03-10 10:15:30")}}},
		{"direct call not answered", eventlog.Event{Kind: ccd.EventPBXDialEnd, At: t0, CallID: "l1",
			Payload: eventlog.Payload(map[string]any{"from": "004587654321", "to": "1002", "status": "NOANSWER", "direction": "inbound"})}, nil},
		{"inbound direct call ended", eventlog.Event{Kind: ccd.EventPBXCDR, At: t0, CallID: "l1",
			Payload: eventlog.Payload(map[string]any{"source": "004587654321", "destination": "1002", "billableseconds": "42",
				"disposition": "ANSWERED", "lastapplication": "Dial", "direction": "inbound", "acd": false})},
			[]Message{{Ended, fields("AccountId", "4711", "UniqueCallId", "l1", "Duration", "42", "Transfer", "false", "CallDirection", "Incoming")}}},
		{"outbound call ended by a transfer", eventlog.Event{Kind: ccd.EventPBXCDR, At: t0, CallID: "l2",
			Payload: eventlog.Payload(map[string]any{"source": "1003", "destination": "004522223333", "billableseconds": "7",
				"disposition": "ANSWERED", "lastapplication": "BlindTransfer", "direction": "outbound", "acd": false})},
			[]Message{{Ended, fields("AccountId", "4711", "UniqueCallId", "l2", "Duration", "7", "Transfer", "true", "CallDirection", "Outgoing")}}},
		{"AMI events of an ACD call are told by the ACD", eventlog.Event{Kind: ccd.EventPBXDial, At: t0, CallID: "c1",
			Payload: eventlog.Payload(map[string]any{"from": "004587654321", "to": "1001", "direction": "inbound", "acd": true})}, nil},
		{"trunk to trunk concerns no employee", eventlog.Event{Kind: ccd.EventPBXDial, At: t0, CallID: "l9",
			Payload: eventlog.Payload(map[string]any{"from": "004511111111", "to": "004522222222", "direction": "transit"})}, nil},
		{"other events", eventlog.Event{Kind: ccd.EventCallQueued, At: t0, CallID: "c1"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tr.Messages(tc.ev)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

// The three encodings carry the fields with their exact names, in order.
func TestEncodings(t *testing.T) {
	fs := fields("AccountId", "4711", "UniqueCallId", "c 1&x", "ANumber", "+4512")
	if got, want := encodeForm(fs), "AccountId=4711&UniqueCallId=c+1%26x&ANumber=%2B4512"; got != want {
		t.Errorf("form %s, want %s", got, want)
	}
	if got, want := string(encodeJSON(fs)), `{"AccountId":"4711","UniqueCallId":"c 1\u0026x","ANumber":"+4512"}`; got != want {
		t.Errorf("json %s, want %s", got, want)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"120": 2 * time.Minute, "": -1, "soon": -1, "-5": -1, "99999999": 10 * time.Hour,
		now.Add(90 * time.Second).Format(http1123): 90 * time.Second,
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("Retry-After %q: %s, want %s", v, got, want)
		}
	}
}

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"
