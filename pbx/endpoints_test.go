package pbx

import (
	"testing"

	"github.com/ccdhq/ccd/ami"
)

func TestEndpoint(t *testing.T) {
	for name, want := range map[string]string{
		"PJSIP/1001-0000002a":          "PJSIP/1001",
		"PJSIP/trunk-a-00000001":       "PJSIP/trunk-a",
		"SIP/200-abc":                  "SIP/200",
		"Local/1001@agents-00000003;1": "",
		"PJSIP/1001":                   "",
		"":                             "",
	} {
		if got := Endpoint(name); got != want {
			t.Errorf("Endpoint(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestEndpointCalls(t *testing.T) {
	tr := NewEndpointCalls()
	msg := func(event, uid, channel string) *ami.Message {
		m := &ami.Message{}
		m.Add("Event", event)
		m.Add("Uniqueid", uid)
		m.Add("Channel", channel)
		return m
	}
	steps := []struct {
		m             *ami.Message
		ep            string
		busy, changed bool
	}{
		{msg("Newchannel", "1", "PJSIP/1001-00000001"), "PJSIP/1001", true, true},
		{msg("Newchannel", "1", "PJSIP/1001-00000001"), "", false, false}, // replay
		{msg("Newchannel", "2", "PJSIP/1001-00000002"), "PJSIP/1001", true, false},
		{msg("Hangup", "1", "PJSIP/1001-00000001"), "PJSIP/1001", true, false},
		{msg("Hangup", "2", "PJSIP/1001-00000002"), "PJSIP/1001", false, true},
		{msg("Hangup", "2", "PJSIP/1001-00000002"), "", false, false},
		{msg("Newchannel", "3", "Local/1@x-00000003;1"), "", false, false},
	}
	for i, s := range steps {
		ep, busy, changed := tr.Handle(s.m)
		if ep != s.ep || busy != s.busy || changed != s.changed {
			t.Fatalf("step %d: got %q %v %v, want %q %v %v", i, ep, busy, changed, s.ep, s.busy, s.changed)
		}
	}
}
