package ari

import "time"

// SetProbeTimeout shortens how long a connection waits for Asterisk to
// answer over the websocket, for tests of an Asterisk that does not; it
// returns the function that restores it.
func SetProbeTimeout(d time.Duration) (restore func()) {
	old := probeTimeout
	probeTimeout = d
	return func() { probeTimeout = old }
}
