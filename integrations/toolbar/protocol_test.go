package toolbar

import (
	"testing"

	"github.com/ccdhq/ccd/integrations/screenpop"
)

// The envelopes carry the seed's names, and URLs as they are: a toolbar
// reads JSON, not HTML, so & stays &.
func TestEnvelopesAsSent(t *testing.T) {
	pop := Pop{Params: screenpop.Params{CLID: "0611", DNIS: "5550100", AttachData: "cust=1", CallID: "c1", QueueCode: "sales"},
		URLs: []string{"https://crm/pop?a=1&b=<2>"}}
	for got, want := range map[string]string{
		string(encodePop(pop)):   `{"event":"OnScreenPopUpData","clid":"0611","dnis":"5550100","attachData":"cust=1","callId":"c1","queue":"sales","urls":["https://crm/pop?a=1&b=<2>"]}`,
		string(encodePop(Pop{})): `{"event":"OnScreenPopUpData","clid":"","dnis":"","attachData":"","callId":"","queue":"","urls":[]}`,
		string(encode(Call{Event: EventCall, CallID: "c1", IsAnswer: 1})):                 `{"event":"OnCall","callId":"c1","isAnswer":1,"isRecorded":0}`,
		string(encode(QueuesInfo{Event: EventQueuesInfo, Data: "4|a1|0|0|0|0|0|0|0|0|"})): `{"event":"OnQueuesInfoData","data":"4|a1|0|0|0|0|0|0|0|0|"}`,
	} {
		if got != want {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	}
}
