-- Callbacks: a customer to call back from a queue. A row outlives ccd and
-- Asterisk restarts; its events (callback.*) are in call_event.
CREATE TABLE callback (
    id              text        PRIMARY KEY,
    queue           text        NOT NULL,
    number          text        NOT NULL,
    origin          text        NOT NULL,
    call_id         text        NOT NULL DEFAULT '',
    clid            text        NOT NULL DEFAULT '',
    dnis            text        NOT NULL DEFAULT '',
    priority        smallint    NOT NULL,
    attach_data     text        NOT NULL DEFAULT '',
    state           text        NOT NULL,
    place_at        timestamptz NOT NULL,
    not_before      timestamptz,
    not_after       timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    max_attempts    integer     NOT NULL,
    retry_interval  interval    NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    last_result     text        NOT NULL DEFAULT '',
    end_reason      text        NOT NULL DEFAULT '',
    agent           text        NOT NULL DEFAULT '',
    requested_by    text        NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
-- The open callbacks, in the order they are due.
CREATE INDEX callback_open ON callback (next_attempt_at) WHERE state IN ('waiting', 'calling');
