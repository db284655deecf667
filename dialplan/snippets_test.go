package dialplan

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/config"
)

// Asterisk takes a context defined twice in extensions.conf as two
// definitions of the same extensions and complains about every one: each
// context ccd prints appears once, with every optional part switched on.
func TestExtensionsDefineEachContextOnce(t *testing.T) {
	cfg := config.Default()
	cfg.ARI.Username, cfg.ARI.Password = "ccd", "pw"
	cfg.ACD.TransferContext = "ccd-transfer"
	cfg.Callbacks = config.Callbacks{Queues: []config.CallbackQueue{{Queue: "sales"}}, DialEndpoint: "Local/{number}@ccd-callback"}
	cfg.ClickToCall.DialEndpoint = "Local/{number}@ccd-outbound"
	cfg.Dialer = config.Dialer{DialEndpoint: "Local/{number}@ccd-dialer", AMDContext: "ccd-dialer-amd", Interval: time.Second}
	var ext string
	for _, f := range ConfFiles(&cfg, FileAgents(&cfg, "")) {
		if f.Name == "extensions.conf" {
			ext = f.Body
		}
	}
	contexts := regexp.MustCompile(`(?m)^\[([^\]]+)\]`).FindAllStringSubmatch(ext, -1)
	if len(contexts) < 6 {
		t.Fatalf("want at least 6 contexts, got %v:\n%s", contexts, ext)
	}
	seen := map[string]bool{}
	for _, c := range contexts {
		if seen[c[1]] {
			t.Errorf("context [%s] is defined twice:\n%s", c[1], ext)
		}
		seen[c[1]] = true
	}
	if !strings.Contains(ext, "[ccd-inbound-headers]") {
		t.Errorf("the SIP headers' context is missing:\n%s", ext)
	}
}

// A plain ws:// softphone address is served by http.conf's own HTTP server:
// TLS on the same port would keep Asterisk's HTTP server from starting.
// A wss:// address gets TLS on its port.
func TestSoftphoneHTTPFollowsTheWebSocketScheme(t *testing.T) {
	cfg := config.Default()
	cfg.ARI.URL = "http://127.0.0.1:8090"
	cfg.ACD.Agents = []config.Agent{{ID: "1001", Endpoint: "PJSIP/webrtc-1001", SIPUser: "webrtc-1001", SIPPassword: "sip-secret-0123456789"}}
	httpConf := func() string {
		for _, f := range ConfFiles(&cfg, FileAgents(&cfg, "")) {
			if f.Name == "http.conf" {
				return f.Body
			}
		}
		t.Fatal("no http.conf")
		return ""
	}
	cfg.API.SoftphoneURL = "ws://127.0.0.1:8090/ws"
	if h := httpConf(); strings.Contains(h, "tls") || !strings.Contains(h, "bindport = 8090") || !strings.Contains(h, "ws://<this host>:<bindport>/ws") {
		t.Errorf("a ws:// softphone address:\n%s", h)
	}
	cfg.API.SoftphoneURL = "wss://pbx.example.com:8443/ws"
	if h := httpConf(); !strings.Contains(h, "tlsenable = yes\ntlsbindaddr = 0.0.0.0:8443\n") {
		t.Errorf("a wss:// softphone address:\n%s", h)
	}
}

// Asterisk has no opus translator unless codec_opus is installed apart: a
// softphone endpoint that allowed opus got it from the browser and had no
// audio path to the caller. The endpoint allows ulaw, which every
// Asterisk translates and every browser speaks.
func TestSoftphoneEndpointAllowsUlawOnly(t *testing.T) {
	cfg := config.Default()
	cfg.ACD.Agents = []config.Agent{{ID: "1001", Endpoint: "PJSIP/webrtc-1001", SIPUser: "webrtc-1001", SIPPassword: "sip-secret-0123456789"}}
	pj := softphonePJSIP(&cfg, cfg.ACD.Agents)
	allows := regexp.MustCompile(`(?m)^allow = .*$`).FindAllString(pj, -1)
	if len(allows) != 1 || allows[0] != "allow = ulaw" {
		t.Errorf("the endpoint's codecs: %q\n%s", allows, pj)
	}
}

// An agent rung at PJSIP/<name> without a softphone gets a commented
// endpoint, auth and aor on a UDP transport, once per name, with the
// password left empty for the operator; agents at other endpoints, and
// names that are a softphone's, get none.
func TestDeskPhonesGetCommentedTemplates(t *testing.T) {
	cfg := config.Default()
	agents := Agents{Origin: "Agents of the test.", List: []config.Agent{
		{ID: "1001", Endpoint: "PJSIP/webrtc-1001", SIPUser: "webrtc-1001", SIPPassword: "sip-secret-0123456789"},
		{ID: "1002", Endpoint: "PJSIP/1002", Endpoints: []string{"pjsip/1002b", "Local/1002@agents", "PJSIP/trunk/sip:1002@10.0.0.1"}},
		{ID: "1003", Endpoint: "PJSIP/1002"},
		{ID: "1004", Endpoint: "PJSIP/webrtc-1001"},
		{ID: "1005", Endpoint: "Local/1005@agents"},
	}}
	var pj string
	for _, f := range ConfFiles(&cfg, agents) {
		if f.Name == "pjsip.conf" {
			pj = f.Body
		}
	}
	if !strings.HasPrefix(pj, "; Agents of the test.\n") {
		t.Errorf("pjsip.conf does not start with where its agents come from:\n%s", pj)
	}
	got := regexp.MustCompile(`(?m)^;\[([^\]]+)\]\n;type = endpoint$`).FindAllStringSubmatch(pj, -1)
	var names []string
	for _, g := range got {
		names = append(names, g[1])
	}
	if strings.Join(names, " ") != "1002 1002b" {
		t.Errorf("desk phone endpoints %v:\n%s", names, pj)
	}
	for _, want := range []string{";[transport-udp]\n;type = transport\n;protocol = udp\n",
		";[1002]\n;type = endpoint\n;transport = transport-udp\n", ";auth = 1002\n;aors = 1002\n",
		";[1002]\n;type = auth\n;auth_type = userpass\n;username = 1002\n;password =\n", ";[1002]\n;type = aor\n"} {
		if !strings.Contains(pj, want) {
			t.Errorf("pjsip.conf lacks %q:\n%s", want, pj)
		}
	}
	if n := strings.Count(pj, "password = "); n != 1 {
		t.Errorf("%d passwords printed, want only the softphone's:\n%s", n, pj)
	}
	if regexp.MustCompile(`(?m)^\[1002`).MatchString(pj) {
		t.Errorf("a desk phone section is not commented out:\n%s", pj)
	}
	for _, f := range ConfFiles(&cfg, Agents{List: []config.Agent{{ID: "1005", Endpoint: "Local/1005@agents"}}}) {
		if f.Name == "pjsip.conf" {
			t.Errorf("pjsip.conf without any PJSIP phone:\n%s", f.Body)
		}
	}
}

// app_amd does not load without amd.conf, and then the dialer's AMD()
// context fails on every answered call: with the dialer on, ccd prints one
// with every parameter AMD() takes (in its order in core-en_US.xml: the
// campaign's arguments override them); with the dialer off, none.
func TestAMDConfWithTheDialer(t *testing.T) {
	cfg := config.Default()
	cfg.ARI.Username, cfg.ARI.Password = "ccd", "pw"
	find := func() string {
		for _, f := range ConfFiles(&cfg, FileAgents(&cfg, "")) {
			if f.Name == "amd.conf" {
				return f.Body
			}
		}
		return ""
	}
	if body := find(); body != "" {
		t.Fatalf("amd.conf with the dialer off:\n%s", body)
	}
	cfg.Dialer = config.Dialer{DialEndpoint: "PJSIP/{number}@trunk", AMDContext: "ccd-dialer-amd", Interval: time.Second}
	body := find()
	if !strings.HasPrefix(strings.TrimSpace(strings.SplitN(body, "[general]", 2)[1]), "initial_silence") {
		t.Fatalf("amd.conf without its [general] section:\n%s", body)
	}
	for _, key := range []string{"initial_silence", "greeting", "after_greeting_silence", "total_analysis_time",
		"min_word_length", "between_words_silence", "maximum_number_of_words", "silence_threshold", "maximum_word_length"} {
		if !regexp.MustCompile(`(?m)^` + key + ` = [0-9]+$`).MatchString(body) {
			t.Errorf("amd.conf has no %s:\n%s", key, body)
		}
	}
}
