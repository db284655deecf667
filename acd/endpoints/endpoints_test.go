package endpoints

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckSyntax(t *testing.T) {
	for _, ok := range []string{"PJSIP/1001", "SIP/alice", "IAX2/peer", "Local/1001@agents", "Local/1001@agents/n",
		"PJSIP/alice/sip:alice@10.0.0.1:5060", "DAHDI/g1/5551234", "Local/*97@features", "PJSIP/a.b_c+d-e"} {
		if err := Check(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1001", "../../etc/passwd", "PJSIP/../../etc/passwd", "PJSIP/", "/1001", "PJSIP//1001",
		"PJSIP/1001&PJSIP/1002", "PJSIP/1001,30", "PJSIP/10 01", "PJSIP/1001\x00", "PJSIP/1001\n", "PJSIP/${EXTEN}",
		"PJSIP/a/b/c/d", "1PJSIP/1001", "PJ-SIP/1001", "PJSIP/\xff", "PJSIP/" + strings.Repeat("1", MaxLen)} {
		err := Check(bad)
		var e *Error
		if !errors.As(err, &e) || e.Forbidden {
			t.Errorf("%q: %v, want a syntax error", bad, err)
		}
	}
}

func TestParseExtensions(t *testing.T) {
	x, err := ParseExtensions(" 1000-1999, 2100 ,3000-3099")
	if err != nil {
		t.Fatal(err)
	}
	for ext, want := range map[string]bool{"1000": true, "1999": true, "1500": true, "2100": true, "3050": true,
		"0999": false, "2000": false, "2101": false, "01500": false, "999": false, "3100": false, "": false} {
		if x.Allow(ext) != want {
			t.Errorf("Allow(%q) = %v, want %v", ext, !want, want)
		}
	}
	if x, err := ParseExtensions(""); err != nil || x.Allow("1000") {
		t.Fatalf("empty list: %v %v", x, err)
	}
	for _, bad := range []string{"1000-", "abc", "100-1999", "2000-1000", "1000,,2000", "1000-1999-2999", "10 00"} {
		if _, err := ParseExtensions(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCheckTemplate(t *testing.T) {
	for _, ok := range []string{"PJSIP/{extension}", "Local/{extension}@agents", "SIP/{extension}"} {
		if err := CheckTemplate(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"PJSIP/1001", "{extension}", "PJSIP/{extension}&{extension}", "PJSIP/{extension},20"} {
		if err := CheckTemplate(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func testPolicy(t *testing.T) *Policy {
	t.Helper()
	p, err := New("", "1000-1999", map[string][]string{
		"ann": {"PJSIP/1001", "Local/7001@agents"},
		"bob": {"PJSIP/1002"},
		"cid": {"PJSIP/2500"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolve(t *testing.T) {
	p := testPolicy(t)
	cases := []struct {
		caller          Caller
		agent, req      string
		want            string
		syntax, forbade bool
	}{
		{Agent, "ann", "", "", false, false}, // the ACD's default
		{Agent, "ann", "PJSIP/1001", "PJSIP/1001", false, false},
		{Agent, "ann", "Local/7001@agents", "Local/7001@agents", false, false},
		{Agent, "ann", "1500", "PJSIP/1500", false, false},       // a free extension in range
		{Agent, "ann", "PJSIP/1500", "PJSIP/1500", false, false}, // the same, written out
		{Agent, "ann", "1001", "PJSIP/1001", false, false},       // its own phone by number
		{Agent, "cid", "2500", "PJSIP/2500", false, false},       // out of range but configured
		{Agent, "ann", "Local/0090055512345@outbound-trunk", "", false, true},
		{Agent, "ann", "PJSIP/1002", "", false, true}, // Bob's phone, in range but his
		{Agent, "ann", "1002", "", false, true},
		{Agent, "ann", "PJSIP/2500", "", false, true}, // out of range
		{Agent, "ann", "2100", "", false, true},
		{Agent, "ann", "SIP/1500", "", false, true}, // in range but not through the template
		{Agent, "ann", "PJSIP/01500", "", false, true},
		{Agent, "ann", "../../etc/passwd", "", true, false},
		{Agent, "ann", "PJSIP/1500&Local/0090055512345@outbound-trunk", "", true, false},
		{Agent, "ann", "15a0", "", true, false},
		{Integration, "ann", "Local/0090055512345@outbound-trunk", "Local/0090055512345@outbound-trunk", false, false},
		{Integration, "ann", "PJSIP/1002", "PJSIP/1002", false, false},
		{Integration, "ann", "4711", "PJSIP/4711", false, false},
		{Integration, "ann", "../../etc/passwd", "", true, false},
		{Integration, "ann", "PJSIP/1001,30,tT", "", true, false},
	}
	for _, tc := range cases {
		got, err := p.Resolve(tc.caller, tc.agent, tc.req)
		var e *Error
		isErr := errors.As(err, &e)
		switch {
		case tc.syntax || tc.forbade:
			if !isErr || e.Forbidden != tc.forbade {
				t.Errorf("%v %s %q: got %q %v, want syntax=%v forbidden=%v", tc.caller, tc.agent, tc.req, got, err, tc.syntax, tc.forbade)
			}
		case err != nil || got != tc.want:
			t.Errorf("%v %s %q: got %q %v, want %q", tc.caller, tc.agent, tc.req, got, err, tc.want)
		}
	}
}

func TestResolveWithTemplateAndNoExtensions(t *testing.T) {
	p, err := New("Local/{extension}@agents", "", map[string][]string{"ann": {"Local/7001@agents"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := p.Resolve(Agent, "ann", "7001"); err != nil || got != "Local/7001@agents" {
		t.Fatalf("own extension: %q %v", got, err)
	}
	if _, err := p.Resolve(Agent, "ann", "7002"); err == nil {
		t.Fatal("an extension login without acd.extensions was allowed")
	}
	if got, err := p.Resolve(Integration, "ann", "7002"); err != nil || got != "Local/7002@agents" {
		t.Fatalf("integration extension: %q %v", got, err)
	}
}

func TestNilPolicy(t *testing.T) {
	var p *Policy
	if got, err := p.Resolve(Agent, "ann", ""); err != nil || got != "" {
		t.Fatalf("default endpoint: %q %v", got, err)
	}
	if _, err := p.Resolve(Agent, "ann", "PJSIP/1001"); err == nil {
		t.Fatal("nil policy allowed an agent a free endpoint")
	}
	if got, err := p.Resolve(Integration, "ann", "1001"); err != nil || got != "PJSIP/1001" {
		t.Fatalf("integration: %q %v", got, err)
	}
}

func TestNewNamesTheKey(t *testing.T) {
	if _, err := New("PJSIP/1001", "", nil); err == nil || !strings.Contains(err.Error(), "acd.extension_endpoint") {
		t.Fatalf("bad template: %v", err)
	}
	if _, err := New("", "1-x", nil); err == nil || !strings.Contains(err.Error(), "acd.extensions") {
		t.Fatalf("bad extensions: %v", err)
	}
}
