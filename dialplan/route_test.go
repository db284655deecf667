package dialplan

import (
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/config"
)

func TestRouterExactBeforePatterns(t *testing.T) {
	r, err := NewRouter([]config.Route{
		{DNIS: "^555[0-9]+$", Queue: "sales"},
		{DNIS: "5551234", Queue: "support", Priority: 2},
		{DNIS: "^[0-9]{4}$", Queue: "internal"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{"5551234": "support", "5559999": "sales", "1234": "internal", "777": ""}
	for dnis, want := range cases {
		rt, ok := r.Route(dnis)
		if got := rt.Queue; ok != (want != "") || got != want {
			t.Errorf("Route(%q) = %q %v, want %q", dnis, got, ok, want)
		}
	}
	if rt, _ := r.Route("5559999"); rt.Priority != 5 {
		t.Errorf("default priority %d, want 5", rt.Priority)
	}
}

func TestRecordingNameIsSafe(t *testing.T) {
	at := time.Date(2026, 11, 22, 18, 35, 24, 0, time.UTC)
	got := RecordingName("{date}-{time}-{queue}-{callid}-{clid}", at, map[string]string{"queue": "support", "callid": "c1;2", "clid": "../../etc/passwd"})
	if got != "20261122-183524-support-c1_2-.._.._etc_passwd" {
		t.Fatalf("got %q", got)
	}
	if got := RecordingName("{agent}", at, nil); got != "recording-20261122-183524" {
		t.Fatalf("empty pattern result %q", got)
	}
}

// With queues offering callbacks through a Local channel, the printed
// extensions.conf has the context customers are dialled from.
func TestSnippetsHaveTheCallbackContext(t *testing.T) {
	cfg := config.Default()
	if strings.Contains(Snippets(&cfg, FileAgents(&cfg, "")), "[ccd-callback]") {
		t.Fatal("a callback context without queues offering callbacks")
	}
	cfg.Callbacks.Queues = []config.CallbackQueue{{Queue: "sales", MaxAttempts: 1, RetryInterval: time.Minute}}
	if s := Snippets(&cfg, FileAgents(&cfg, "")); !strings.Contains(s, "[ccd-callback]\nexten => _X.,1,Dial(PJSIP/${EXTEN},30)") {
		t.Fatalf("no callback context in\n%s", s)
	}
}

// The printed extensions.conf has the context click-to-call dials
// customers from, once even when callbacks use the same context.
func TestSnippetsHaveTheClickToCallContext(t *testing.T) {
	cfg := config.Default()
	if s := Snippets(&cfg, FileAgents(&cfg, "")); !strings.Contains(s, "[ccd-outbound]\nexten => _X.,1,Dial(PJSIP/${EXTEN},30)") {
		t.Fatalf("no click-to-call context in\n%s", s)
	}
	cfg.Callbacks.Queues = []config.CallbackQueue{{Queue: "sales", MaxAttempts: 1, RetryInterval: time.Minute}}
	cfg.ClickToCall.DialEndpoint = "Local/{number}@ccd-callback"
	if n := strings.Count(Snippets(&cfg, FileAgents(&cfg, "")), "[ccd-callback]"); n != 1 {
		t.Fatalf("the shared context printed %d times", n)
	}
}

// With the dialer on, the printed extensions.conf has the AMD context that
// returns to the dialer's Stasis entry, and the Local context it dials from.
func TestSnippetsHaveTheDialerContexts(t *testing.T) {
	cfg := config.Default()
	if strings.Contains(Snippets(&cfg, FileAgents(&cfg, "")), "AMD(") {
		t.Fatal("an AMD context while the dialer is off")
	}
	cfg.Dialer.DialEndpoint = "Local/{number}@ccd-dialer-out"
	s := Snippets(&cfg, FileAgents(&cfg, ""))
	for _, want := range []string{"[ccd-dialer-amd]\nexten => s,1,AMD(${CCD_AMD})", "Stasis(ccd,dialer,amd)", "[ccd-dialer-out]\nexten => _X.,1,Dial("} {
		if !strings.Contains(s, want) {
			t.Fatalf("no %q in\n%s", want, s)
		}
	}
}
