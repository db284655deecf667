package dialplan

import (
	"context"

	"github.com/ccdhq/ccd"
)

// Arrival is a caller handed from one Stasis application to another (the
// inbound router, later an IVR, to the queue application): the receiving
// application owns the channel from then on.
type Arrival struct {
	CallID     string // the caller's channel
	CLID, DNIS string
	// Answered: the channel is up already (the dialplan answered before
	// Stasis()); the queue does not answer it again.
	Answered bool
	// Queue is where the call waits; "" or an unknown queue sends it to the
	// default extension (an unrouted call).
	Queue    string
	Priority int // 1 (highest) .. 9; 0 the queue's default
	// AttachData is the call's attach data (a call flow's profile).
	AttachData string
	Greeting   []string // played before the queue's own greeting
	// Lookup, when set, asks a database for the queue first; the caller
	// hears music meanwhile.
	Lookup Lookup
	// CRM is the call data the call came in with (SIP headers; nil: none).
	CRM *ccd.CRMCallData
	// Agent, when set, is the one agent the call may go to (the dialer's
	// personal callbacks).
	Agent string
}

// Lookup asks an external database where a call goes (a route's lookup
// step). A zero priority keeps the route's.
type Lookup func(ctx context.Context, clid, dnis, attach string) (queue string, priority int, attachOut string, err error)
