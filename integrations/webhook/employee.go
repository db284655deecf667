package webhook

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/pbx"
)

// The message kinds, Flexfone's four cases.
const (
	Ringing  = "ringing"  // an employee's phone rings (incoming)
	Answered = "answered" // the employee answered
	Outgoing = "outgoing" // the employee makes a call
	Ended    = "ended"    // the employee's call ended
)

// Field is one named parameter of a message.
type Field struct{ Name, Value string }

// Message is what one event tells the subscribers: its kind and its fields
// with the seed's names, in the seed's order.
type Message struct {
	Type   string
	Fields []Field
}

// Get returns the value of the field name ("" when absent).
func (m Message) Get(name string) string {
	for _, f := range m.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// fieldsJSON is the outbox form of the fields: [[name, value], ...].
func fieldsJSON(fs []Field) []byte {
	pairs := make([][2]string, len(fs))
	for i, f := range fs {
		pairs[i] = [2]string{f.Name, f.Value}
	}
	b, _ := json.Marshal(pairs)
	return b
}

func parseFields(b []byte) ([]Field, error) {
	var pairs [][2]string
	if err := json.Unmarshal(b, &pairs); err != nil {
		return nil, err
	}
	fs := make([]Field, len(pairs))
	for i, p := range pairs {
		fs[i] = Field{p[0], p[1]}
	}
	return fs, nil
}

// TimeFormat is how TimeStamp is written, in the call center's time zone.
const TimeFormat = "2006-01-02 15:04:05"

// Translator turns events of the log into employee messages.
type Translator struct {
	AccountID string
	Loc       *time.Location // TimeStamp's zone; nil is UTC
}

func (t Translator) stamp(at time.Time) string {
	loc := t.Loc
	if loc == nil {
		loc = time.UTC
	}
	return at.In(loc).Format(TimeFormat)
}

// Messages returns what ev tells the employees' subscribers; nil for events
// that concern no employee. ACD calls are told from the ACD's events; the
// AMI observer's events about them (marked acd) are left out so that no call
// is told twice.
func (t Translator) Messages(ev eventlog.Event) []Message {
	switch ev.Kind {
	case ccd.EventCallRinging, ccd.EventCallAnswered, ccd.EventCallEnded:
		return t.acd(ev)
	case ccd.EventPBXDial, ccd.EventPBXDialEnd, ccd.EventPBXCDR:
		return t.pbx(ev)
	}
	return nil
}

func (t Translator) acd(ev eventlog.Event) []Message {
	var d ccd.EventData
	if len(ev.Payload) > 0 && json.Unmarshal(ev.Payload, &d) != nil {
		return nil
	}
	switch ev.Kind {
	case ccd.EventCallRinging:
		if ev.Agent == "" {
			return nil
		}
		return []Message{t.ringing(ev.CallID, phoneOf(d.Endpoint, d.Channel, ev.Agent), ev.CLID, ev.At, ev.Agent)}
	case ccd.EventCallAnswered:
		if ev.Agent == "" {
			return nil
		}
		return []Message{t.answered(ev.CallID, ev.Agent, ev.CLID, ev.At)}
	default: // call.ended
		c := d.Summary
		if c == nil || c.Agent == "" || c.AnsweredAt.IsZero() {
			return nil // no employee talked on it
		}
		end := c.EndedAt
		if !c.TransferAt.IsZero() {
			end = c.TransferAt // the employee's part ended with the transfer
		}
		if end.IsZero() {
			end = ev.At
		}
		return []Message{t.ended(ev.CallID, end.Sub(c.AnsweredAt), !c.TransferAt.IsZero(), "Incoming")}
	}
}

// phoneOf is the local number of the agent's phone: its endpoint's resource
// (PJSIP/1001 is 1001), else the agent's own number.
func phoneOf(endpoint, channel, agent string) string {
	if endpoint != "" {
		if n := pbx.ChannelResource(endpoint + "-"); n != "" {
			return n
		}
	}
	if n := pbx.ChannelResource(channel); n != "" {
		return n
	}
	return agent
}

// pbxFields are the fields of the observer's pbx.dial, pbx.dial_end and
// pbx.cdr payloads that the messages read.
type pbxFields struct {
	ACD         bool   `json:"acd"`
	From        string `json:"from"`
	To          string `json:"to"`
	Channel     string `json:"channel"`
	DestChannel string `json:"dest_channel"`
	Direction   string `json:"direction"`
	Status      string `json:"status"`
	Billsec     string `json:"billableseconds"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	LastApp     string `json:"lastapplication"`
	Disposition string `json:"disposition"`
}

func (t Translator) pbx(ev eventlog.Event) []Message {
	var p pbxFields
	if json.Unmarshal(ev.Payload, &p) != nil || p.ACD {
		return nil
	}
	toEmployee := p.Direction == pbx.Inbound || p.Direction == pbx.Internal
	fromEmployee := p.Direction == pbx.Outbound || p.Direction == pbx.Internal
	var out []Message
	switch ev.Kind {
	case ccd.EventPBXDial:
		if fromEmployee && p.From != "" {
			out = append(out, t.outgoing(ev.CallID, p.From, p.To, ev.At, orNumber(pbx.ChannelResource(p.Channel), p.From)))
		}
		if toEmployee && p.To != "" {
			out = append(out, t.ringing(ev.CallID, orNumber(pbx.ChannelResource(p.DestChannel), p.To), p.From, ev.At, p.To))
		}
	case ccd.EventPBXDialEnd:
		if toEmployee && p.To != "" && p.Status == "ANSWER" {
			out = append(out, t.answered(ev.CallID, p.To, p.From, ev.At))
		}
	case ccd.EventPBXCDR:
		if p.Disposition != "" && p.Disposition != "ANSWERED" {
			return nil // nobody talked: the ringing had no answer
		}
		secs, _ := strconv.Atoi(p.Billsec)
		transfer := p.LastApp == "Transfer" || p.LastApp == "BlindTransfer" || p.LastApp == "AttendedTransfer"
		switch {
		case fromEmployee:
			out = append(out, t.ended(ev.CallID, time.Duration(secs)*time.Second, transfer, "Outgoing"))
		case toEmployee:
			out = append(out, t.ended(ev.CallID, time.Duration(secs)*time.Second, transfer, "Incoming"))
		}
	}
	return out
}

func orNumber(n, fallback string) string {
	if n == "" {
		return fallback
	}
	return n
}

// ringing is Flexfone's "indgående kald": the employee's phone rings.
func (t Translator) ringing(callID, phone, aNumber string, at time.Time, employee string) Message {
	return Message{Type: Ringing, Fields: []Field{
		{"AccountId", t.AccountID}, {"UniqueCallId", callID}, {"Calledphone", phone},
		{"ANumber", aNumber}, {"TimeStamp", t.stamp(at)}, {"EmployeeLocalNumber", employee},
	}}
}

// answered is "besvaret kald".
func (t Translator) answered(callID, employee, aNumber string, at time.Time) Message {
	return Message{Type: Answered, Fields: []Field{
		{"AccountId", t.AccountID}, {"UniqueCallId", callID}, {"EmployeeLocalNumber", employee},
		{"ANumber", aNumber}, {"TimeStamp", t.stamp(at)},
	}}
}

// outgoing is "udgående kald". ANumber is the number the employee calls:
// the other party, as in the other messages.
func (t Translator) outgoing(callID, employee, called string, at time.Time, phone string) Message {
	return Message{Type: Outgoing, Fields: []Field{
		{"AccountId", t.AccountID}, {"UniqueCallId", callID}, {"EmployeeLocalNumber", employee},
		{"ANumber", called}, {"TimeStamp", t.stamp(at)}, {"PhoneLocalNumber", phone},
	}}
}

// ended is "afsluttet kald": Duration in whole seconds of conversation.
func (t Translator) ended(callID string, talk time.Duration, transfer bool, direction string) Message {
	return Message{Type: Ended, Fields: []Field{
		{"AccountId", t.AccountID}, {"UniqueCallId", callID},
		{"Duration", fmt.Sprint(int64(max(talk, 0) / time.Second))},
		{"Transfer", strconv.FormatBool(transfer)}, {"CallDirection", direction},
	}}
}
