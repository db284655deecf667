-- The event log: one append-only table of everything that happens to calls and
-- agents. Statistics, webhooks and the wallboard are computed from it.
CREATE TABLE call_event (
    id        bigserial   PRIMARY KEY,
    at        timestamptz NOT NULL,
    call_id   text        NOT NULL DEFAULT '',
    kind      text        NOT NULL,
    agent     text        NOT NULL DEFAULT '',
    queue     text        NOT NULL DEFAULT '',
    dnis      text        NOT NULL DEFAULT '',
    clid      text        NOT NULL DEFAULT '',
    source    text        NOT NULL,
    -- Idempotency: the same fact seen twice (a retried batch, an AMI event replayed
    -- after a reconnect) is stored once.
    key       text        NOT NULL,
    payload   jsonb       NOT NULL DEFAULT '{}',
    logged_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT call_event_key UNIQUE (key)
);

CREATE INDEX call_event_at ON call_event (at);
CREATE INDEX call_event_call ON call_event (call_id, at) WHERE call_id <> '';
CREATE INDEX call_event_agent ON call_event (agent, at) WHERE agent <> '';

