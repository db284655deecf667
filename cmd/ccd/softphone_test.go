package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With a softphone address and agents with SIP credentials, ccd
// asterisk-config prints the secure WebSocket of http.conf, PJSIP's wss
// transport and a WebRTC endpoint, auth and aor per such agent; without
// them, none of it.
func TestAsteriskConfigForSoftphones(t *testing.T) {
	dir := t.TempDir()
	base := "ari: {username: acd, password: pw-ari-0123456789}\nami: {username: mon, secret: pw-ami-0123456789}\n"
	with := filepath.Join(dir, "with.yaml")
	os.WriteFile(with, []byte(base+`api: {softphone_url: "wss://pbx.example.com:8443/ws"}
acd:
  agents:
    - {id: "1001", endpoint: PJSIP/webrtc-1001, sip_user: webrtc-1001, sip_password: sip-secret-of-1001-0123}
    - {id: "1002", endpoint: PJSIP/1002}
`), 0o600)
	code, out, errs := runCmd(t, "asterisk-config", "-config", with, "-no-db")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"/etc/asterisk/pjsip.conf", "[transport-wss]\ntype = transport\nprotocol = wss",
		"tlsenable = yes\ntlsbindaddr = 0.0.0.0:8443", "[webrtc-1001]\ntype = endpoint\ntransport = transport-wss\nwebrtc = yes",
		"[webrtc-1001]\ntype = auth\nauth_type = userpass\nusername = webrtc-1001\npassword = sip-secret-of-1001-0123",
		"[webrtc-1001]\ntype = aor"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\n[1002]") || strings.Contains(out, "[webrtc-1002]") {
		t.Errorf("a live endpoint for an agent without a softphone:\n%s", out)
	}
	without := filepath.Join(dir, "without.yaml")
	os.WriteFile(without, []byte(base), 0o600)
	if _, out, _ := runCmd(t, "asterisk-config", "-config", without, "-no-db"); strings.Contains(out, "pjsip.conf") || strings.Contains(out, "tlsenable") {
		t.Errorf("softphone settings without softphones:\n%s", out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(base+"api: {softphone_url: \"https://pbx.example.com/ws\"}\n"), 0o600)
	if code, _, errs := runCmd(t, "asterisk-config", "-config", bad, "-no-db"); code != 1 || !strings.Contains(errs, "api.softphone_url") {
		t.Errorf("an https softphone address: exit %d, %s", code, errs)
	}
}
