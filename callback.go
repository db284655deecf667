package ccd

import (
	"context"
	"fmt"
	"time"
)

// Callback states. A callback waits (keeping its caller's place in the
// queue) until an agent is free, is being called (agent first, then the
// customer), and ends done, failed (every attempt unanswered or busy),
// expired (its last time to initiate passed) or cancelled.
const (
	CallbackWaiting   = "waiting"
	CallbackCalling   = "calling"
	CallbackDone      = "done"
	CallbackFailed    = "failed"
	CallbackExpired   = "expired"
	CallbackCancelled = "cancelled"
)

// Where a callback request came from: a caller waiting in a queue who
// accepted the offer, or a web form or CRM over REST (Mitel's "Web
// Callback").
const (
	CallbackFromQueue = "queue"
	CallbackFromWeb   = "web"
)

// Callback is a request to call a customer back from a queue.
type Callback struct {
	ID       string `json:"id"`
	Queue    string `json:"queue"`
	Number   string `json:"number"` // the number to call
	Origin   string `json:"origin"` // CallbackFromQueue or CallbackFromWeb
	CallID   string `json:"call_id,omitempty"`
	CLID     string `json:"clid,omitempty"`
	DNIS     string `json:"dnis,omitempty"`
	Priority int    `json:"priority"`
	State    string `json:"state"`
	// PlaceAt orders callbacks with the calls of the queue: the time the
	// original call entered ccd (a web request: when it was made).
	PlaceAt time.Time `json:"place_at"`
	// NotBefore and NotAfter are the requested time window; NotAfter is
	// the last time to initiate the callback. Zero: none.
	NotBefore     time.Time `json:"not_before,omitzero"`
	NotAfter      time.Time `json:"not_after,omitzero"`
	Attempts      int       `json:"attempts"`
	MaxAttempts   int       `json:"max_attempts"`
	RetryInterval Duration  `json:"retry_interval"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	// LastResult is the outcome of the last attempt: answered, busy,
	// no_answer, failed, agent_no_answer.
	LastResult string    `json:"last_result,omitempty"`
	EndReason  string    `json:"end_reason,omitempty"`
	Agent      string    `json:"agent,omitempty"` // the agent of the last attempt
	By         string    `json:"requested_by"`    // the principal, "caller" for an offer taken in a queue
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Duration is a time.Duration written in JSON as Go writes it ("5m0s") and
// read as Go or as a number of seconds.
type Duration time.Duration

// CallbackRequest asks for a callback over REST.
type CallbackRequest struct {
	Queue     string    `json:"queue"`
	Number    string    `json:"number"`
	Priority  int       `json:"priority,omitempty"`
	NotBefore time.Time `json:"not_before,omitzero"`
	NotAfter  time.Time `json:"not_after,omitzero"`
	// AttachData goes with the callback to the agent and the statistics.
	AttachData string `json:"attach_data,omitempty"`
}

// CallbackControl requests, lists and cancels callbacks. Errors are *Error
// values: EINVALID naming the field, ENOTFOUND for an unknown callback,
// ECONFLICT for one that has ended.
type CallbackControl interface {
	RequestCallback(ctx context.Context, who Principal, r CallbackRequest) (Callback, error)
	Callbacks(ctx context.Context, states []string) ([]Callback, error)
	Callback(ctx context.Context, id string) (Callback, error)
	CancelCallback(ctx context.Context, who Principal, id string) (Callback, error)
}

// MarshalJSON writes d as Go writes durations.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// UnmarshalJSON reads "5m" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		v, err := time.ParseDuration(s[1 : len(s)-1])
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if _, err := fmt.Sscan(s, &secs); err != nil {
		return err
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}
