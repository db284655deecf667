// Package eventlog is ccd's spine: everything that happens to a call or an agent is
// an Event appended to one log. The Stasis applications and the AMI observer produce
// events; statistics, webhooks, the toolbar push and the wallboard consume them.
//
// Writer sits between the producers and the database. Producers never block on the
// database: events are batched, kept in memory while the database is unreachable,
// spilled to a local file beyond a memory bound, and written in order once it is
// back. Every event carries an idempotency key, so a batch written twice (a retry
// after a lost acknowledgement, a replayed AMI event) is stored once. An event the
// database refuses for what it holds, or one over the size limit, goes to a
// quarantine instead, so that it never holds up the events after it.
//
// Consumers read the log two ways. A durable consumer (package consume) keeps a
// named cursor in the database and reads the events after it, in log order,
// after a restart too. A live view subscribes to a Hub: the Writer hands it
// each batch as soon as the database has committed it, with the ids the log
// gave the events; a subscriber that falls behind is told which ids it missed
// and reads them from the log. Ids become visible in increasing order whoever
// writes (see package consume), so a cursor is just an id.
package eventlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Source names the producer of an event.
const (
	SourceARI = "ari" // Stasis applications driven by ccd
	SourceAMI = "ami" // PBX activity observed on the manager interface
	SourceAPI = "api" // REST requests (agent login, pause, ...)
	SourceACD = "acd" // queue decisions
)

// Event is one fact about a call or an agent.
type Event struct {
	ID     int64     `db:"id" json:"id,omitempty"`
	At     time.Time `db:"at" json:"at"`
	CallID string    `db:"call_id" json:"call_id,omitempty"`
	Kind   string    `db:"kind" json:"kind"`
	Agent  string    `db:"agent" json:"agent,omitempty"`
	Queue  string    `db:"queue" json:"queue,omitempty"`
	DNIS   string    `db:"dnis" json:"dnis,omitempty"`
	CLID   string    `db:"clid" json:"clid,omitempty"`
	Source string    `db:"source" json:"source"`
	// Node is the Asterisk the event came from: the node's configured name,
	// else the id Asterisk gives itself (ARI's asterisk_id, AMI's
	// SystemName); "" when neither is known.
	Node string `db:"node" json:"node,omitempty"`
	// Key makes the append idempotent: two events with the same key are one event.
	// Producers derive it from what identifies the fact (an AMI event's channel,
	// name and time); Writer fills in a random key when it is empty.
	Key     string          `db:"key" json:"key"`
	Payload json.RawMessage `db:"payload" json:"payload,omitempty"`
}

// Validate reports what makes an event unstorable.
func (e *Event) Validate() error {
	switch {
	case e.At.IsZero():
		return errors.New("eventlog: event has no time")
	case e.At.Year() < 1 || e.At.Year() > 9999:
		// Beyond these years the time has no JSON form: such an event could
		// neither be spilled to disk nor quarantined.
		return fmt.Errorf("eventlog: %s event time %d is out of range", e.Kind, e.At.Year())
	case e.Kind == "":
		return errors.New("eventlog: event has no kind")
	case e.Source == "":
		return errors.New("eventlog: event has no source")
	case len(e.Payload) > 0 && !json.Valid(e.Payload):
		return fmt.Errorf("eventlog: %s event payload is not JSON", e.Kind)
	}
	return nil
}

// size is what the event weighs against Options.MaxEventBytes: its payload and
// texts, about what it costs the database and the spill file.
func (e *Event) size() int {
	return len(e.Payload) + len(e.CallID) + len(e.Kind) + len(e.Agent) + len(e.Queue) +
		len(e.DNIS) + len(e.CLID) + len(e.Source) + len(e.Node) + len(e.Key)
}

// Sink stores batches of events. Append must be idempotent on Event.Key and must
// store all of a batch or none of it. An error that wraps ErrRejected says the
// database refused the content of the batch; any other error says it could not
// be reached, and the batch is retried.
type Sink interface {
	Append(ctx context.Context, events []Event) error
}

// ErrRejected marks a Sink error caused by what the events hold (a value the
// database refuses) rather than by the database being unavailable: retrying the
// same batch would fail forever, so the Writer splits it to find the culprits and
// quarantines them.
var ErrRejected = errors.New("the database refuses the content")

// Quarantined is an event kept aside because it cannot be written.
type Quarantined struct {
	At     time.Time `json:"quarantined_at"`
	Reason string    `json:"error"`
	Event  Event     `json:"event"`
}

// QuarantineSink is a Sink that can also keep quarantined events where an
// operator inspects them. stored is false when the same event was already
// there (a batch retried after the database went away mid-way). When the sink
// has no quarantine, or its Quarantine fails, the Writer uses a file.
type QuarantineSink interface {
	Sink
	Quarantine(ctx context.Context, q Quarantined) (stored bool, err error)
}

// NewKey returns a random idempotency key for events that have no natural one.
func NewKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Payload marshals v for Event.Payload. A value that cannot be marshalled is
// recorded as an error object instead, so the event itself is never lost.
func Payload(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"payload_error": err.Error()})
	}
	return b
}
