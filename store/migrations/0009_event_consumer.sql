-- Consumers of the event log (the live statistics, webhooks, SQL hooks, the
-- toolbar push, the wallboard) each keep a named cursor here: every event up to
-- last_id is handled. A consumer that commits its own effects moves its cursor
-- in the same transaction (exactly once); the others move it after handling a
-- batch (at least once). state is what a consumer remembers with its position
-- (the statistics: agents' states and calls in progress).
CREATE TABLE event_consumer (
    name       text        PRIMARY KEY,
    last_id    bigint      NOT NULL DEFAULT 0,
    state      jsonb       NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The live statistics aggregator was the only consumer, with its position in
-- stat.aggregator: it becomes the consumer "stats".
INSERT INTO event_consumer (name, last_id, state, updated_at)
SELECT 'stats', last_id, state, updated_at FROM stat.aggregator WHERE name = 'live';
DROP TABLE stat.aggregator;

-- Ids in commit order, whoever writes. A cursor is an id: a consumer that read
-- up to id N never looks below N again, so an event must never become visible
-- after one with a higher id. With one writer that held by itself; with two
-- (two ccd instances, a replay tool) a transaction could take ids 100..199,
-- commit after another that took 200..299, and a consumer that had read 299
-- would skip 100..199 for ever. Every INSERT into call_event therefore takes
-- this transaction-level lock before its rows get their ids (a BEFORE
-- STATEMENT trigger runs before the first row is formed), and keeps it until
-- the transaction ends, after its rows became visible: whoever takes ids next
-- takes them after every lower id committed (or rolled back). Writers queue
-- for one another; nothing else is held up.
CREATE FUNCTION call_event_append_lock() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7233009); -- arbitrary, constant: "ccd event log append"
    RETURN NULL;
END $$;

CREATE TRIGGER call_event_append_lock BEFORE INSERT ON call_event
    FOR EACH STATEMENT EXECUTE FUNCTION call_event_append_lock();
