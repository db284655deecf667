-- Events the database refused for their content (a NUL byte, invalid UTF-8, JSON
-- that jsonb does not take, a value over a limit) or that are over
-- eventlog.max_event_bytes. The writer takes them out of their batch so that the
-- rest is written, and keeps them here for an operator to inspect and replay.
CREATE TABLE event_quarantine (
    id             bigserial   PRIMARY KEY,
    quarantined_at timestamptz NOT NULL DEFAULT now(),
    -- The event's key, kind and time as far as they can be stored: invalid UTF-8
    -- becomes U+FFFD and NUL bytes are removed. event holds the original.
    key            text        NOT NULL,
    kind           text        NOT NULL,
    at             timestamptz NOT NULL,
    -- Why: the database's message and SQLSTATE, or the size limit.
    error          text        NOT NULL,
    -- The whole event as a line of the spill file (JSON; invalid UTF-8 in its
    -- texts shows as U+FFFD), as bytes: it fits whatever it holds, and a fixed
    -- copy appended to the spill file is written at the next start.
    event          bytea       NOT NULL,
    -- A batch retried after the database went away mid-way quarantines the same
    -- event again: it is kept once.
    digest         bytea       NOT NULL,
    CONSTRAINT event_quarantine_digest UNIQUE (digest)
);

CREATE INDEX event_quarantine_at ON event_quarantine (quarantined_at);
