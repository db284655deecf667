package store

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// ConfigChannel is the notification channel of the live configuration:
// every change of acd_config notifies it from the changing transaction
// (migration 0018), so listeners hear of it once it is committed.
const ConfigChannel = "ccd_acd_config"

// Reconnect delays of a listening connection: the first retry after a cut,
// doubling up to the longest.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 10 * time.Second
)

// Listen follows channel on a connection of its own, re-established when
// it breaks, until ctx ends (the returned channel is then closed). The
// returned channel gets a value once listening starts, for every
// notification, and after every reconnection, when notifications may have
// been lost meanwhile: each value means "read again". Values coalesce: a
// reader that is busy gets one for all that came meanwhile.
func (db *DB) Listen(ctx context.Context, channel string) <-chan struct{} {
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	log := db.log.With("listen", channel)
	l := pq.NewListener(db.dsn, listenRetryMin, listenRetryMax, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			log.Warn("listening connection lost; reconnecting", "err", err)
		case pq.ListenerEventReconnected:
			log.Info("listening connection re-established")
		}
	})
	listening := make(chan error, 1)
	go func() { listening <- l.Listen(channel) }() // waits for the first connection
	go func() {
		defer close(out)
		defer l.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case err := <-listening:
				listening = nil
				if err != nil {
					log.Error("cannot listen", "err", err)
					return
				}
				// What changed before LISTEN took effect is read now.
				signal()
			case _, ok := <-l.Notify: // nil after a reconnection
				if !ok {
					return
				}
				signal()
			}
		}
	}()
	return out
}
