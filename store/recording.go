package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Recording is a recorded call as the recording look-ups of Optimus (000
// §7.1) give it, with what the REST interface adds: who handled it and where,
// and whether the retention rule deleted its file.
type Recording struct {
	CallID    int64      `json:"callid"`
	File      string     `json:"recfile"`
	UCID      string     `json:"ucid"`
	CLID      string     `json:"clid"`
	Offered   *time.Time `json:"offered,omitempty"`
	Queue     string     `json:"queue,omitempty"`
	Agent     string     `json:"agent,omitempty"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
}

// recordingDetail is what a recording look-up adds to the Optimus
// function's rows: the call's details from stat.callsstat, its queue and
// agent by their ccd names, and the retention's deletion. $r is the
// function's row (callid, recfile).
const recordingDetail = `SELECT r.callid, r.recfile, c.ucid, c.clid, c.offeredts,
	coalesce(q.name, ''), coalesce(a.name, ''), d.deleted_at
FROM %s
JOIN stat.callsstat c ON c.callid = r.callid
LEFT JOIN stat.code q ON q.kind = 'queue' AND q.code = coalesce(c.handledonqueue, c.initialqueue)
LEFT JOIN stat.code a ON a.kind = 'agent' AND a.code = c.agent
LEFT JOIN recording_deleted d ON d.recording = r.recfile`

// RecordingOfCall is the recording of a call by its statistics call id: the
// answer of configuration.getcallrecordingfile (000 §7.1.1); false when the
// call is unknown or was not recorded.
func (db *DB) RecordingOfCall(ctx context.Context, callID int64) (Recording, bool, error) {
	q := fmt.Sprintf(recordingDetail, `(SELECT $1::bigint AS callid, configuration.getcallrecordingfile($1) AS recfile) r`) +
		` WHERE r.recfile IS NOT NULL`
	recs, err := db.recordings(ctx, q, callID)
	if err != nil || len(recs) == 0 {
		return Recording{}, false, err
	}
	return recs[0], true, nil
}

// RecordingsOfCLID are the recorded calls of a caller offered in [from,
// till): the answer of stat.getallrecordings (000 §7.1.2), in its order.
func (db *DB) RecordingsOfCLID(ctx context.Context, from, till time.Time, clid string) ([]Recording, error) {
	q := fmt.Sprintf(recordingDetail, `stat.getallrecordings($1, $2, $3) WITH ORDINALITY r`) + ` ORDER BY r.ordinality`
	return db.recordings(ctx, q, from, till, clid)
}

// ExpiredRecordings are the recordings, not deleted yet, of the calls of
// queue offered before cutoff, oldest first, at most limit of them.
func (db *DB) ExpiredRecordings(ctx context.Context, queue string, cutoff time.Time, limit int) ([]Recording, error) {
	q := fmt.Sprintf(recordingDetail, `(SELECT c.callid, c.recording AS recfile FROM stat.callsstat c
		JOIN stat.code qc ON qc.kind = 'queue' AND qc.name = $1 AND qc.code = coalesce(c.handledonqueue, c.initialqueue)
		WHERE c.recording <> '' AND c.offeredts < $2) r`) + ` WHERE d.recording IS NULL ORDER BY c.offeredts, r.callid LIMIT $3`
	return db.recordings(ctx, q, queue, cutoff, limit)
}

func (db *DB) recordings(ctx context.Context, q string, args ...any) ([]Recording, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: recordings: %w", err)
	}
	defer rows.Close()
	var out []Recording
	for rows.Next() {
		var r Recording
		var offered, deleted sql.NullTime
		if err := rows.Scan(&r.CallID, &r.File, &r.UCID, &r.CLID, &offered, &r.Queue, &r.Agent, &deleted); err != nil {
			return nil, fmt.Errorf("store: recordings: %w", err)
		}
		if offered.Valid {
			r.Offered = &offered.Time
		}
		if deleted.Valid {
			r.DeletedAt = &deleted.Time
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: recordings: %w", err)
	}
	return out, nil
}

// RecordingDeleted remembers that the retention rule deleted a recording.
// Deleting one twice keeps the first time.
func (db *DB) RecordingDeleted(ctx context.Context, r Recording, at time.Time) error {
	_, err := db.ExecContext(ctx, `INSERT INTO recording_deleted (recording, callid, queue, deleted_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (recording) DO NOTHING`, r.File, r.CallID, r.Queue, at)
	if err != nil {
		return fmt.Errorf("store: recording deleted: %w", err)
	}
	return nil
}

// AgentAnswered tells whether agent answered the call ccd knows as ucid (an
// agent may hear the recordings of its own calls only). A call an agent
// answered and transferred to another is the first agent's call too.
func (db *DB) AgentAnswered(ctx context.Context, ucid, agent string) (bool, error) {
	var one int
	err := db.QueryRowContext(ctx, `SELECT 1 FROM call_event WHERE call_id = $1 AND kind = 'call.answered' AND agent = $2 LIMIT 1`,
		ucid, agent).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store: call's agent: %w", err)
	}
	return true, nil
}
