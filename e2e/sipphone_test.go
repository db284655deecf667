package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/config"
)

// baresipConfig makes baresip a headless phone on a UDP port (%d): a WAV
// file of a tone for a microphone (%s), ALSA's null device for a speaker,
// G.711 only.
const baresipConfig = `poll_method epoll
sip_listen 127.0.0.1:%d
audio_player alsa,null
audio_alert alsa,null
audio_source aufile,%s
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module alsa.so
module_app account.so
module_app menu.so
`

// An agent with an ordinary SIP phone over UDP, as testers with desk
// phones use ccd: Debian's baresip registers at the PJSIP endpoint of
// CCD_BARESIP_ACCOUNT (sip:<endpoint>@host:port) with
// CCD_BARESIP_PASSWORD and answers by itself; ccd offers a queued caller to
// PJSIP/<endpoint>, connects it, audio flows both ways, and the caller's
// hang-up ends the call.
func TestSIPPhoneAgent(t *testing.T) {
	account, password, endpoint := baresipAccount(t)
	_, e, mc := onPJSIPAsterisk(t)
	const agent = "1002"
	e.queueFor(false, config.Agent{ID: agent, Endpoint: "PJSIP/" + endpoint})
	e.startDaemon(t)
	ctx := ctxT(t, 3*time.Minute)

	phone := startBaresip(t, account, password)
	// Its own contact, not one a phone that died left behind.
	waitFor(t, 20*time.Second, "baresip's registration at "+endpoint, func() bool {
		return slices.ContainsFunc(pjsipContacts(t, mc, endpoint), func(c string) bool { return strings.Contains(c, phone.contact) })
	})
	e.agentRequest(t, ctx, agent, "login")

	callerID := uniq("sipphone-caller")
	if _, err := e.ari.Originate(ctx, ari.OriginateParams{Endpoint: "Local/5551234@inbound", Context: "ccd-webrtc-callers",
		Extension: "tone", Priority: 1, ChannelID: callerID, CallerID: `"Customer" <5551234>`}); err != nil {
		t.Fatalf("originate the caller: %v", err)
	}
	caller := callerID + ";2"
	t.Cleanup(func() { _ = e.ari.Channel(callerID).Hangup(context.Background(), "normal") })
	answered := e.waitEvent(t, "call.answered", caller, 20*time.Second)
	if p := payloadOf(t, answered); answered.Agent != agent || p["endpoint"] != "PJSIP/"+endpoint {
		t.Fatalf("call.answered by agent %q: %s; want agent %s at PJSIP/%s", answered.Agent, answered.Payload, agent, endpoint)
	}
	agentCh := fmt.Sprint(payloadOf(t, answered)["channel"])
	both := regexp.MustCompile(`rxcount=[1-9]\d\d.*txcount=[1-9]\d\d`) // a couple of seconds each way
	var rtcp string
	waitFor(t, 20*time.Second, "audio both ways on the phone's channel", func() bool {
		rtcp, _ = e.ari.Channel(agentCh).GetVariable(ctx, "CHANNEL(rtcp,all)")
		return both.MatchString(rtcp)
	})
	t.Logf("Asterisk RTP of %s: %s", agentCh, rtcp)

	// The customer hangs up: ccd ends the call and hangs up the phone.
	if err := e.ari.Channel(callerID).Hangup(ctx, "normal"); err != nil {
		t.Fatalf("hang up the caller: %v", err)
	}
	e.waitEvent(t, "call.ended", caller, 20*time.Second)
	waitFor(t, 20*time.Second, "the phone's channel to be gone", func() bool {
		_, err := e.ari.Channel(agentCh).Get(ctx)
		return ari.IsNotFound(err)
	})
	// baresip's side: the audio from Asterisk reached it.
	if !strings.Contains(phone.output(), "incoming rtp for 'audio' established") {
		t.Fatalf("baresip received no audio: %s", phone.output())
	}
	// An agent without auto_answer: the phone is not asked to answer.
	if strings.Contains(phone.output(), "answer-after=") || strings.Contains(phone.output(), "alert-autoanswer") {
		t.Errorf("the INVITE asked a phone to answer by itself for an agent without auto_answer: %s", phone.output())
	}
}

// An agent with auto_answer on an ordinary SIP phone: the INVITE that
// reaches the phone over UDP carries both auto-answer headers. (Debian's
// baresip 1.0 answers every call itself, answermode=auto, and does not
// act on the headers: its SIP trace shows what a desk phone receives.)
func TestSIPPhoneReceivesAutoAnswerHeaders(t *testing.T) {
	account, password, endpoint := baresipAccount(t)
	_, e, mc := onPJSIPAsterisk(t)
	const agent = "1002"
	e.queueFor(false, config.Agent{ID: agent, Endpoint: "PJSIP/" + endpoint, AutoAnswer: true})
	e.startDaemon(t)
	ctx := ctxT(t, 3*time.Minute)
	phone := startBaresip(t, account, password)
	waitFor(t, 20*time.Second, "baresip's registration at "+endpoint, func() bool {
		return slices.ContainsFunc(pjsipContacts(t, mc, endpoint), func(c string) bool { return strings.Contains(c, phone.contact) })
	})
	e.agentRequest(t, ctx, agent, "login")

	callerID, caller := e.placeToneCaller(t, ctx, "autoanswer-sip-caller")
	answered := e.waitEvent(t, "call.answered", caller, 20*time.Second)
	if answered.Agent != agent {
		t.Fatalf("call.answered by agent %q, want %s", answered.Agent, agent)
	}
	invite := phone.received("INVITE sip:")
	for _, h := range []string{"Call-Info: <sip:127.0.0.1>;answer-after=0", "Alert-Info: <http://127.0.0.1>;info=alert-autoanswer;delay=0"} {
		if !strings.Contains(invite, h) {
			t.Errorf("the INVITE the phone received lacks %q:\n%s", h, invite)
		}
	}
	if err := e.ari.Channel(callerID).Hangup(ctx, "normal"); err != nil {
		t.Fatalf("hang up the caller: %v", err)
	}
	e.waitEvent(t, "call.ended", caller, 20*time.Second)
}

// toneWAV is a 440 Hz tone of the given seconds as a WAV file of 8 kHz
// 16-bit mono samples, the rate of G.711 (baresip's file source does not
// resample).
func toneWAV(seconds int) []byte {
	const rate = 8000
	n := seconds * rate
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1)) // PCM
	le(uint16(1)) // mono
	le(uint32(rate))
	le(uint32(2 * rate))
	le(uint16(2))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(2 * n))
	for i := range n {
		le(int16(8000 * math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	return b.Bytes()
}

// freeUDPPort is a UDP port free on the loopback a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// baresip is a running baresip and what it printed.
type baresip struct {
	contact string // "@127.0.0.1:<its port>", in the contact it registers
	mu      sync.Mutex
	out     bytes.Buffer
}

func (b *baresip) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.Write(p)
}

func (b *baresip) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String()
}

// received is the first SIP message baresip's trace shows it received
// whose first line starts with start ("" when there is none).
func (b *baresip) received(start string) string {
	out := b.output()
	i := strings.Index(out, "\n"+start)
	if i < 0 {
		return ""
	}
	msg := out[i+1:]
	if end := strings.Index(msg, "\r\n\r\n"); end >= 0 {
		return msg[:end]
	}
	if end := strings.Index(msg, "\n\n"); end >= 0 {
		return msg[:end]
	}
	return msg
}

// startBaresip runs baresip with its own configuration, registering
// account and answering every call at once, with its SIP trace on (the
// messages it sends and receives are in its output); the test's end stops
// it.
func startBaresip(t *testing.T, account, password string) *baresip {
	t.Helper()
	path, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (Debian's baresip-core): the SIP phone test is skipped")
	}
	dir := t.TempDir()
	accounts := fmt.Sprintf("<%s;transport=udp>;auth_pass=%s;answermode=auto;regint=60\n", account, password)
	tone := filepath.Join(dir, "tone.wav")
	port := freeUDPPort(t)
	for name, body := range map[string]string{"config": fmt.Sprintf(baresipConfig, port, tone), "accounts": accounts, "tone.wav": string(toneWAV(60))} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b := &baresip{contact: fmt.Sprintf("@127.0.0.1:%d", port)}
	cmd := exec.Command(path, "-s", "-f", dir)
	cmd.Stdout, cmd.Stderr = b, b
	if err := cmd.Start(); err != nil {
		t.Fatalf("baresip: %v", err)
	}
	t.Cleanup(func() {
		// SIGTERM: baresip unregisters before it exits, leaving no contact
		// for the next test's phone.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("baresip said:\n%s", b.output())
		}
	})
	return b
}

// baresipAccount is the SIP phone account of CCD_BARESIP_ACCOUNT
// (sip:<endpoint>@host:port) and CCD_BARESIP_PASSWORD, and its PJSIP
// endpoint; the test is skipped without them.
func baresipAccount(t *testing.T) (account, password, endpoint string) {
	t.Helper()
	account, password = os.Getenv("CCD_BARESIP_ACCOUNT"), os.Getenv("CCD_BARESIP_PASSWORD")
	if account == "" || password == "" {
		t.Skip("SIP phone test skipped: set CCD_BARESIP_ACCOUNT (sip:<PJSIP endpoint>@<host>:<UDP port> of the WebRTC Asterisk) and CCD_BARESIP_PASSWORD")
	}
	u, err := url.Parse(account)
	if err != nil || u.Scheme != "sip" || u.Opaque == "" {
		t.Fatalf("CCD_BARESIP_ACCOUNT %q: want sip:<endpoint>@<host>:<port>", account)
	}
	endpoint, _, _ = strings.Cut(u.Opaque, "@")
	return account, password, endpoint
}
