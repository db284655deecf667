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
	for _, f := range ConfFiles(&cfg) {
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
