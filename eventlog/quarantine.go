package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// An event the database refuses for its content would fail every batch it is
// in, forever: nothing after it would reach the log. The Writer takes such an
// event out of the way into a quarantine (the sink's, or a file next to the
// spill file when the sink has none or cannot take it either) and writes the
// rest of its batch.

// errTooLarge is the reason of events over Options.MaxEventBytes.
type errTooLarge struct{ size, limit int }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("eventlog: event of %d bytes is over the limit of %d (eventlog.max_event_bytes)", e.size, e.limit)
}

// quarantineLine is a line of the quarantine file: a Quarantined event, or a
// line of the spill file that could not be read as one.
type quarantineLine struct {
	At     time.Time `json:"quarantined_at"`
	Reason string    `json:"error"`
	Event  *Event    `json:"event,omitempty"`
	Line   string    `json:"spill_line,omitempty"`
}

// quarantine keeps ev aside with the reason the database gave. It fails only when
// neither the sink's quarantine nor the file could take it; the caller then
// retries the whole batch later, as for a database that is down.
func (w *Writer) quarantine(ctx context.Context, ev Event, reason error) error {
	q := Quarantined{At: time.Now().UTC(), Reason: reason.Error(), Event: ev}
	where := "table event_quarantine"
	stored, err := false, errors.New("the sink has no quarantine")
	if qs, ok := w.sink.(QuarantineSink); ok {
		stored, err = qs.Quarantine(ctx, q)
	}
	if err != nil {
		line := quarantineLine{At: q.At, Reason: q.Reason, Event: &q.Event}
		if ferr := w.appendQuarantineFile(line); ferr != nil {
			err = fmt.Errorf("eventlog: cannot quarantine an event: %w", errors.Join(err, ferr))
			w.failed(time.Now(), err)
			w.log.Error("cannot quarantine an event the database refuses; will retry", "key", ev.Key, "err", err)
			return err
		}
		stored, where = true, w.opt.QuarantinePath
	}
	if stored {
		// Once per event: a retried batch finds it already in the table.
		w.log.Error("event quarantined: the database refuses it", "key", ev.Key, "kind", ev.Kind, "at", ev.At,
			"reason", reason, "quarantine", where)
		w.countQuarantined()
	}
	return nil
}

// quarantineSpillLines keeps lines of the spill file that are not events in the
// quarantine file, so that draining the spill file never drops what it holds.
func (w *Writer) quarantineSpillLines(lines [][]byte) error {
	for _, l := range lines {
		line := quarantineLine{At: time.Now().UTC(), Reason: "not an event: unreadable line of the spill file", Line: string(l)}
		if err := w.appendQuarantineFile(line); err != nil {
			err = fmt.Errorf("eventlog: cannot quarantine an unreadable line of the spill file: %w", err)
			w.failed(time.Now(), err)
			w.log.Error("cannot quarantine an unreadable line of the spill file; will retry", "err", err)
			return err
		}
		w.log.Error("unreadable line of the spill file quarantined", "quarantine", w.opt.QuarantinePath)
		w.countQuarantined()
	}
	return nil
}

func (w *Writer) appendQuarantineFile(line quarantineLine) error {
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	return appendDurably(w.opt.QuarantinePath, append(b, '\n'))
}

func (w *Writer) countQuarantined() {
	if w.opt.OnQuarantine != nil {
		w.opt.OnQuarantine()
	}
}
