-- Recordings the retention rule deleted: the statistics keep a call's
-- recording name (they are rebuilt from the event log, which is never
-- rewritten), so the deletion is remembered beside them. A download of a
-- deleted recording is refused as gone, and retention does not list it again.
CREATE TABLE recording_deleted (
    recording  text        PRIMARY KEY,
    callid     bigint      NOT NULL,
    queue      text        NOT NULL DEFAULT '',
    deleted_at timestamptz NOT NULL
);
