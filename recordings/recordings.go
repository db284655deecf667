// Package recordings serves the call recordings Asterisk wrote to its
// recording directory: their look-up in the statistics (the Optimus
// functions of 000 §7.1), opening a file by its recording name and nothing
// else, the audit of every download, and the retention rules that delete
// recordings after a number of days, per queue, on a schedule.
package recordings

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"regexp"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/store"
)

// Format is the file format ccd records in (dialplan/media's Connect): a
// recording named N is the file N.wav.
const Format = "wav"

// Store is what the library reads and writes in the database; *store.DB
// implements it.
type Store interface {
	RecordingOfCall(ctx context.Context, callID int64) (store.Recording, bool, error)
	RecordingsOfCLID(ctx context.Context, from, till time.Time, clid string) ([]store.Recording, error)
	ExpiredRecordings(ctx context.Context, queue string, cutoff time.Time, limit int) ([]store.Recording, error)
	RecordingDeleted(ctx context.Context, r store.Recording, at time.Time) error
	AgentAnswered(ctx context.Context, ucid, agent string) (bool, error)
}

// Library is the recordings of one recording directory.
type Library struct {
	db   Store
	dir  string
	emit func(eventlog.Event) error
	log  *slog.Logger
	now  func() time.Time
}

// New is the library of the recordings in dir, whose audits go to emit.
func New(db Store, dir string, emit func(eventlog.Event) error, log *slog.Logger) *Library {
	if log == nil {
		log = slog.Default()
	}
	return &Library{db: db, dir: dir, emit: emit, log: log, now: time.Now}
}

// SetClock replaces time.Now (tests).
func (l *Library) SetClock(now func() time.Time) { l.now = now }

// safeName is a recording name as dialplan.RecordingName makes them: no
// separator, no leading dot, so no name reaches outside the directory.
var safeName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,250}$`)

// ByCall is the recording of a call by its statistics call id.
func (l *Library) ByCall(ctx context.Context, callID int64) (store.Recording, bool, error) {
	return l.db.RecordingOfCall(ctx, callID)
}

// ByCLID are the recordings of a caller's calls offered in [from, till).
func (l *Library) ByCLID(ctx context.Context, from, till time.Time, clid string) ([]store.Recording, error) {
	return l.db.RecordingsOfCLID(ctx, from, till, clid)
}

// AgentAnswered tells whether agent answered the call ucid.
func (l *Library) AgentAnswered(ctx context.Context, ucid, agent string) (bool, error) {
	return l.db.AgentAnswered(ctx, ucid, agent)
}

// Open opens a recording's file for reading. A name that is not a
// recording name, a recording the retention deleted and a file that is not
// there are ENOTFOUND. The file is opened through an os.Root of the
// directory, so that a symbolic link cannot lead outside it either.
func (l *Library) Open(r store.Recording) (*os.File, error) {
	if r.DeletedAt != nil {
		return nil, &ccd.Error{Code: ccd.ENOTFOUND, Message: "the recording was deleted by the retention rule on " +
			r.DeletedAt.UTC().Format(time.DateOnly)}
	}
	if !safeName.MatchString(r.File) {
		return nil, &ccd.Error{Code: ccd.ENOTFOUND, Message: "the call's recording name is not a file of the recording directory"}
	}
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return nil, &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "the recording directory cannot be read"}
	}
	defer root.Close()
	f, err := root.Open(r.File + "." + Format)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &ccd.Error{Code: ccd.ENOTFOUND, Message: "the recording's file is not in the recording directory"}
	case err != nil:
		// A link leading outside the directory, a file Asterisk's user
		// made unreadable: logged for the administrator, not found for
		// the caller.
		l.log.Warn("recording cannot be opened", "recording", r.File, "callid", r.CallID, "err", err)
		return nil, &ccd.Error{Code: ccd.ENOTFOUND, Message: "the recording's file cannot be opened from the recording directory"}
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, &ccd.Error{Code: ccd.ENOTFOUND, Message: "the recording's file is not a regular file"}
	}
	return f, nil
}

// Downloaded audits a download: who, which recording, which part.
func (l *Library) Downloaded(p ccd.Principal, r store.Recording, rangeHeader string) {
	l.audit(ccd.EventRecordingDownloaded, r, ccd.RecordingAccess{CallID: r.CallID, Recording: r.File,
		By: string(p.Kind) + ":" + p.Name, Range: rangeHeader}, p.Agent)
}

func (l *Library) audit(kind ccd.EventKind, r store.Recording, a ccd.RecordingAccess, agent string) {
	ev := eventlog.Event{At: l.now(), Kind: kind, Source: eventlog.SourceAPI, Key: eventlog.NewKey(),
		CallID: r.UCID, CLID: r.CLID, Queue: r.Queue, Agent: agent, Payload: eventlog.Payload(a)}
	if err := l.emit(ev); err != nil {
		l.log.Error("event log refused a recording audit", "kind", kind, "recording", r.File, "err", err)
	}
}
