package pbx

import (
	"strings"

	"github.com/ccdhq/ccd/ami"
)

// EndpointCalls follows, from AMI Newchannel and Hangup events, whether each
// phone (endpoint) has a call: the ACD must not offer queue calls to an agent
// whose phone is busy with a call it did not make. Local channels are not
// phones and are ignored.
type EndpointCalls struct {
	byChannel map[string]string // uniqueid -> endpoint
	count     map[string]int
}

// NewEndpointCalls returns an empty tracker.
func NewEndpointCalls() *EndpointCalls {
	return &EndpointCalls{byChannel: map[string]string{}, count: map[string]int{}}
}

// Endpoint is the endpoint of a channel name: "PJSIP/1001-0000002a" is
// "PJSIP/1001". Local channels and names without a sequence give "".
func Endpoint(channel string) string {
	i := strings.LastIndexByte(channel, '-')
	if i <= 0 || strings.HasPrefix(channel, "Local/") || !strings.Contains(channel[:i], "/") {
		return ""
	}
	return channel[:i]
}

// Handle takes one AMI event. When the endpoint it concerns goes from no call
// to a call (busy true) or back (busy false), it returns that endpoint and
// changed true.
func (t *EndpointCalls) Handle(m *ami.Message) (endpoint string, busy, changed bool) {
	switch m.Event() {
	case "Newchannel":
		uid, ep := m.Get("Uniqueid"), Endpoint(m.Get("Channel"))
		if uid == "" || ep == "" {
			return "", false, false
		}
		if _, seen := t.byChannel[uid]; seen {
			return "", false, false // replayed after a reconnect
		}
		t.byChannel[uid] = ep
		t.count[ep]++
		return ep, true, t.count[ep] == 1
	case "Hangup":
		uid := m.Get("Uniqueid")
		ep, ok := t.byChannel[uid]
		if !ok {
			return "", false, false
		}
		delete(t.byChannel, uid)
		t.count[ep]--
		if t.count[ep] > 0 {
			return ep, true, false
		}
		delete(t.count, ep)
		return ep, false, true
	}
	return "", false, false
}
