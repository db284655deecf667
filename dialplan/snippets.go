// Package dialplan holds ccd's Stasis applications, which move the calls Asterisk
// hands to ccd, and the configuration snippets Asterisk needs to hand them over.
package dialplan

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/ccdhq/ccd/config"
)

// ConfFile is one Asterisk configuration file's worth of ccd settings.
type ConfFile struct {
	Name string // file name under /etc/asterisk
	Body string
}

// Agents are the agents whose phones pjsip.conf configures, and where they
// come from: the live configuration in the database, or the file's acd
// section. Origin is said in a comment at the top of pjsip.conf, so that an
// operator sees which agents the sections are for.
type Agents struct {
	List   []config.Agent
	Origin string // one or more lines; "" says nothing
}

// FileAgents are the agents of cfg's acd section.
func FileAgents(cfg *config.Config, origin string) Agents {
	return Agents{List: cfg.ACD.Agents, Origin: origin}
}

// Snippets returns the Asterisk configuration that matches cfg and agents, as
// one text an admin pastes from. It contains the configured secrets, so it is
// printed, never logged.
func Snippets(cfg *config.Config, agents Agents) string {
	var b strings.Builder
	for _, f := range ConfFiles(cfg, agents) {
		fmt.Fprintf(&b, ";;; ---- /etc/asterisk/%s ----\n%s\n", f.Name, f.Body)
	}
	b.WriteString(";;; Then reload Asterisk: asterisk -rx 'core reload'\n")
	return b.String()
}

// ConfFiles returns the parts of http.conf, ari.conf, manager.conf,
// pjsip.conf (the agents' phones), cdr_manager.conf, amd.conf (with the
// dialer on) and extensions.conf that ccd needs. A host name that is not an IP address (a container's service
// name) makes Asterisk listen on every address.
func ConfFiles(cfg *config.Config, agents Agents) []ConfFile {
	ariHost, ariPort := "127.0.0.1", "8088"
	if u, err := url.Parse(cfg.ARI.URL); err == nil {
		if h, p, err := net.SplitHostPort(u.Host); err == nil {
			ariHost, ariPort = h, p
		} else if u.Host != "" {
			ariHost = u.Host
		}
	}
	amiHost, amiPort, err := net.SplitHostPort(cfg.AMI.Addr)
	if err != nil {
		amiHost, amiPort = "127.0.0.1", "5038"
	}
	ariHost, amiHost = bindAddr(ariHost), bindAddr(amiHost)
	var files []ConfFile
	section := func(file, body string) {
		files = append(files, ConfFile{Name: file, Body: strings.TrimLeft(body, "\n")})
	}
	section("http.conf", fmt.Sprintf(`
[general]
enabled = yes
bindaddr = %s
bindport = %s
%s`, ariHost, ariPort, softphoneHTTP(cfg, agents.List)))
	section("ari.conf", fmt.Sprintf(`
[general]
enabled = yes
; The call data of SIP headers (see ccd-inbound-headers) in every channel ccd sees.
channelvars = %s

[%s]
type = user
read_only = no
password = %s
`, HeaderChannelVars(), cfg.ARI.Username, cfg.ARI.Password))
	section("manager.conf", fmt.Sprintf(`
[general]
enabled = yes
bindaddr = %s
port = %s
; ccd uses Asterisk's own event times; without them it falls back to the time of reading.
timestampevents = yes

[%s]
secret = %s
read = all
write = system,call,originate,reporting,agent
`, amiHost, amiPort, cfg.AMI.Username, cfg.AMI.Secret))
	if pj := agentsPJSIP(cfg, agents); pj != "" {
		section("pjsip.conf", pj)
	}
	section("cdr_manager.conf", `
[general]
enabled = yes
`)
	if cfg.Dialer.DialEndpoint != "" {
		section("amd.conf", amdConf)
	}
	section("extensions.conf", fmt.Sprintf(`
; Send calls to ccd: point your DIDs (or a test extension) at this context. The
; Stasis arguments are the entry point and the dialled number (the DNIS).
[ccd-inbound]
exten => _X.,1,Stasis(%[1]s,inbound,${EXTEN})
 same => n,Hangup()

; Agents' phones are called by ccd through ARI (PJSIP/<extension>); nothing to add.
; A call flow can also be entered directly: Stasis(%[1]s,flow,<flow name>).
%[2]s%[3]s%[4]s%[5]s%[6]s`, cfg.ARI.Application, transferContext(cfg.ACD.TransferContext), callbackContext(cfg.Callbacks),
		clickToCallContext(cfg.ClickToCall, cfg.Callbacks), dialerContexts(cfg.ARI.Application, cfg.Dialer), HeaderSnippet(cfg.ARI.Application)))
	return files
}

// softphones tells whether the web interface's softphone is used: a
// WebSocket address for it, or an agent with SIP credentials.
func softphones(cfg *config.Config, agents []config.Agent) bool {
	if cfg.API.SoftphoneURL != "" {
		return true
	}
	for _, ag := range agents {
		if ag.SIPUser != "" {
			return true
		}
	}
	return false
}

// softphoneHTTP is what http.conf needs for the softphones: browsers open
// WebRTC only from secure pages, and then only secure WebSockets (the path
// is Asterisk's /ws). A plain ws:// address is served by the HTTP server
// above, so no TLS is added: it suits a page on the same machine
// (localhost is a secure context), as in tests.
func softphoneHTTP(cfg *config.Config, agents []config.Agent) string {
	if !softphones(cfg, agents) {
		return ""
	}
	u, err := url.Parse(cfg.API.SoftphoneURL)
	if err == nil && u.Scheme == "ws" {
		return `; The web interface's softphones: SIP over a plain WebSocket at ws://<this host>:<bindport>/ws
; (api.softphone_url). Browsers allow it only to a page on localhost: agents on other
; machines need a wss:// address and TLS here.
`
	}
	port := "8089"
	if err == nil && u.Port() != "" {
		port = u.Port()
	}
	return fmt.Sprintf(`; The web interface's softphones: SIP over a secure WebSocket at wss://<this host>:%[1]s/ws
; (api.softphone_url). Use a certificate the agents' browsers trust.
tlsenable = yes
tlsbindaddr = 0.0.0.0:%[1]s
tlscertfile = /etc/asterisk/keys/asterisk.crt
tlsprivatekey = /etc/asterisk/keys/asterisk.key
`, port)
}

// agentsPJSIP is pjsip.conf for the agents' phones: the softphones' WebRTC
// sections and the desk phones' templates, under a note saying which
// agents they are for; "" when no agent has a PJSIP phone.
func agentsPJSIP(cfg *config.Config, agents Agents) string {
	soft, desk := softphonePJSIP(cfg, agents.List), deskPhonePJSIP(cfg, agents.List)
	if soft == "" && desk == "" {
		return ""
	}
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimSpace(agents.Origin), "\n") {
		if line != "" {
			fmt.Fprintf(&b, "; %s\n", line)
		}
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	b.WriteString(soft)
	if soft != "" && desk != "" {
		b.WriteString("\n")
	}
	b.WriteString(desk)
	return b.String()
}

// softphonePJSIP is the PJSIP transport over WebSocket and one WebRTC
// endpoint per agent with SIP credentials (acd.agents[].sip_user).
func softphonePJSIP(cfg *config.Config, agents []config.Agent) string {
	if !softphones(cfg, agents) {
		return ""
	}
	var b strings.Builder
	b.WriteString(`; The web interface's softphones (WebRTC): SIP over WebSocket through http.conf.
; Requires chan_pjsip, res_pjsip_transport_websocket, res_http_websocket and res_srtp.
[transport-wss]
type = transport
protocol = wss
bind = 0.0.0.0

; One endpoint per agent with a softphone. ccd rings the agent there when its endpoint
; (or one of its endpoints) is PJSIP/<sip_user>.
`)
	for _, ag := range agents {
		if ag.SIPUser == "" {
			continue
		}
		fmt.Fprintf(&b, `
; agent %[1]s
[%[2]s]
type = endpoint
transport = transport-wss
webrtc = yes
context = %[4]s
disallow = all
; G.711 (ulaw) works everywhere. With codec_opus installed (Asterisk's translator;
; 'core show translation' lists opus), allow = opus,ulaw gives better audio: without
; it a browser that picks opus has no audio path to the caller.
allow = ulaw
auth = %[2]s
aors = %[2]s

[%[2]s]
type = auth
auth_type = userpass
username = %[2]s
password = %[3]s

[%[2]s]
type = aor
max_contacts = 1
remove_existing = yes
`, ag.ID, ag.SIPUser, ag.SIPPassword, softphoneContext(cfg))
	}
	return b.String()
}

// deskPhonePJSIP is a commented template of an endpoint, auth and aor on a
// UDP transport for each agent without a softphone whose endpoint is
// PJSIP/<name>: the operator fills in the password (ccd never makes one up)
// and uncomments it. "" when there is none.
func deskPhonePJSIP(cfg *config.Config, agents []config.Agent) string {
	phones := deskPhones(agents)
	if len(phones) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`; Desk phones: agents without a softphone whose endpoint is PJSIP/<name>. Their
; sections are commented out because ccd knows no password for them: choose one
; per phone (the same in the phone), write it after "password =", and uncomment
; (Asterisk refuses an auth with an empty password).
; Keep [transport-udp] once, or leave it out if your pjsip.conf has a UDP transport.
;[transport-udp]
;type = transport
;protocol = udp
;bind = 0.0.0.0:5060
`)
	for _, p := range phones {
		fmt.Fprintf(&b, `
; agent %[1]s (PJSIP/%[2]s)
;[%[2]s]
;type = endpoint
;transport = transport-udp
;context = %[3]s
;disallow = all
;allow = ulaw
;auth = %[2]s
;aors = %[2]s
;
;[%[2]s]
;type = auth
;auth_type = userpass
;username = %[2]s
;password =
;
;[%[2]s]
;type = aor
;max_contacts = 1
`, p.agent, p.name, softphoneContext(cfg))
	}
	return b.String()
}

// A deskPhone is a PJSIP endpoint an agent is rung at without a softphone.
type deskPhone struct{ agent, name string }

// pjsipName is an endpoint name that can be a pjsip.conf section: anything
// else (PJSIP/<trunk>/sip:...) is not a phone of its own.
var pjsipName = regexp.MustCompile(`^[A-Za-z0-9_.+-]+$`)

// deskPhones are the PJSIP endpoints of the agents without SIP
// credentials, once each, leaving out those that are a softphone's.
func deskPhones(agents []config.Agent) []deskPhone {
	seen := map[string]bool{}
	for _, ag := range agents {
		if ag.SIPUser != "" {
			seen[ag.SIPUser] = true
		}
	}
	var out []deskPhone
	for _, ag := range agents {
		if ag.SIPUser != "" {
			continue
		}
		for _, ep := range append([]string{ag.Endpoint}, ag.Endpoints...) {
			tech, name, _ := strings.Cut(ep, "/")
			if !strings.EqualFold(tech, "PJSIP") || !pjsipName.MatchString(name) || seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, deskPhone{agent: ag.ID, name: name})
		}
	}
	return out
}

// softphoneContext is where a softphone's own calls go: the transfer
// context, which dials numbers out, or the default context.
func softphoneContext(cfg *config.Config) string {
	if cfg.ACD.TransferContext != "" {
		return cfg.ACD.TransferContext
	}
	return "default"
}

// transferContext is the context callers sent out of ccd continue in
// (acd.transfer_context). It must not send numbers back to Stasis(): a transfer
// would come straight back into ccd.
func transferContext(name string) string {
	if name == "" {
		return `
; Callers ccd sends out (transfers and overflows to a number, the default
; extension) continue in the context they came from, which sends every number
; back to ccd. Set acd.transfer_context (e.g. ccd-transfer) and add that context.
`
	}
	return fmt.Sprintf(`
; Callers ccd sends out (transfers and overflows to a number, the default
; extension) continue here (acd.transfer_context). Include the contexts that
; reach your extensions and trunks instead of this example.
[%s]
exten => _X.,1,Dial(PJSIP/${EXTEN},30)
 same => n,Hangup()
; A call flow's voicemail destination: the mailbox is in CCD_VOICEMAIL.
exten => voicemail,1,VoiceMail(${CCD_VOICEMAIL})
 same => n,Hangup()
`, name)
}

// callbackContext is the context customers called back are dialled from,
// when queues offer callbacks through a Local channel
// (callbacks.dial_endpoint Local/{number}@<context>).
func callbackContext(cb config.Callbacks) string {
	_, ctx, ok := strings.Cut(cb.DialEndpoint, "@")
	if len(cb.Queues) == 0 || !strings.HasPrefix(cb.DialEndpoint, "Local/") || !ok {
		return ""
	}
	return fmt.Sprintf(`
; Customers ccd calls back (callbacks.dial_endpoint) are dialled from here, once
; an agent waits for them. Dial them through your trunk instead of this example.
[%s]
exten => _X.,1,Dial(PJSIP/${EXTEN},30)
 same => n,Hangup()
`, ctx)
}

// clickToCallContext is the context click-to-call dials customers from
// (click_to_call.dial_endpoint Local/{number}@<context>), unless the
// callbacks' context is the same one.
func clickToCallContext(c config.ClickToCall, cb config.Callbacks) string {
	_, ctx, ok := strings.Cut(c.DialEndpoint, "@")
	if !strings.HasPrefix(c.DialEndpoint, "Local/") || !ok || (callbackContext(cb) != "" && strings.HasSuffix(cb.DialEndpoint, "@"+ctx)) {
		return ""
	}
	return fmt.Sprintf(`
; Customers called by click-to-call (click_to_call.dial_endpoint) are dialled
; from here, after the agent's phone answered (or before, customer first).
; Dial them through your trunk instead of this example.
[%s]
exten => _X.,1,Dial(PJSIP/${EXTEN},30)
 same => n,Hangup()
`, ctx)
}

// amdConf is app_amd's configuration with Asterisk's own defaults: app_amd
// does not load without the file (Asterisk logs "Configuration file
// amd.conf missing." and AMD() does not exist), and a minimal install has
// none. A campaign's AMD parameters override these per call.
const amdConf = `
; app_amd loads only when this file exists: keep yours if you have one.
; These are Asterisk's defaults; a campaign's AMD parameters override them.
[general]
initial_silence = 2500
greeting = 1500
after_greeting_silence = 800
total_analysis_time = 5000
min_word_length = 100
between_words_silence = 50
maximum_number_of_words = 2
silence_threshold = 256
maximum_word_length = 5000
`

// dialerContexts are the dialer's answering-machine detection context and,
// when numbers are dialled through a Local channel, the context they are
// dialled from; nothing while the dialer is off.
func dialerContexts(app string, d config.Dialer) string {
	if d.DialEndpoint == "" {
		return ""
	}
	out := fmt.Sprintf(`
; The dialer's answering-machine detection (dialer.amd_context). ccd sends
; every answered outbound call here: AMD() with its campaign's arguments
; (CCD_AMD; empty ones keep amd.conf's), then back to ccd with AMDSTATUS and
; AMDCAUSE set. A machine whose campaign leaves it a message
; (CCD_MACHINE=message) waits for the silence after its beep first.
[%[2]s]
exten => s,1,AMD(${CCD_AMD})
 same => n,GotoIf($["${AMDSTATUS}" != "MACHINE"]?back)
 same => n,GotoIf($["${CCD_MACHINE}" != "message"]?back)
 same => n,WaitForSilence(1000,1,20)
 same => n(back),Stasis(%[1]s,dialer,amd)
 same => n,Hangup()
`, app, d.AMDContext)
	if _, ctx, ok := strings.Cut(d.DialEndpoint, "@"); ok && strings.HasPrefix(d.DialEndpoint, "Local/") {
		out += fmt.Sprintf(`
; The dialer's calls (dialer.dial_endpoint) are dialled from here. Dial them
; through your trunk instead of this example.
[%s]
exten => _X.,1,Dial(PJSIP/${EXTEN},60)
 same => n,Hangup()
`, ctx)
	}
	return out
}

func bindAddr(host string) string {
	if net.ParseIP(host) == nil {
		return "0.0.0.0"
	}
	return host
}
