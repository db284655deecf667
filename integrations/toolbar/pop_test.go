package toolbar

import (
	"testing"
	"time"

	"github.com/ccdhq/ccd/config"
)

// A screen pop takes the greeting of the route the DNIS took (exact numbers
// before patterns), the extension of the agent's endpoint, the wait since
// the call entered ccd, and the queue's templates or the defaults.
func TestMakePop(t *testing.T) {
	acd := config.ACD{
		Routes: []config.Route{{DNIS: "^555.*", Queue: "sales", Greeting: "sound:pattern"},
			{DNIS: "5550100", Queue: "sales", Greeting: "sound:exact"}},
		Queues: []config.Queue{
			{Code: "sales", Name: "Sales Line", ScreenPop: []string{"https://crm/{QUEUE}/{QUEUECODE}?g={GREETING}&e={EXTENSION}&w={WAITING TIME}&p={PRIORITY}"}, ScreenPopFetch: true},
			{Code: "support"},
		},
	}
	tb := config.Toolbar{ScreenPop: []string{"https://default/{CLID}?a={ATTACHDATA:cust}"}}
	at := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	o := offer{attach: "cust=4711;vip=1", priority: 2, at: at}
	r := ring{callID: "c1", agent: "a1", queue: "sales", clid: "0611", dnis: "5550100", endpoint: "Local/1001@agents/n", at: at.Add(42500 * time.Millisecond)}
	pop := makePop(acd, tb, r, o)
	if want := "https://crm/Sales%20Line/sales?g=sound%3Aexact&e=1001&w=42&p=2"; len(pop.URLs) != 1 || pop.URLs[0] != want || !pop.Fetch {
		t.Fatalf("sales: %+v, want %s", pop, want)
	}
	r.queue, r.dnis = "support", "5559999"
	pop = makePop(acd, tb, r, o)
	if want := "https://default/0611?a=4711"; len(pop.URLs) != 1 || pop.URLs[0] != want || pop.Fetch || pop.Params.Greeting != "sound:pattern" {
		t.Fatalf("support: %+v, want %s and the pattern's greeting", pop, want)
	}
	if got := extension("PJSIP/1001"); got != "1001" {
		t.Fatalf("extension of PJSIP/1001: %q", got)
	}
}
