-- The live configuration of the ACD: queues, agents, groups, routes and
-- activity (pause) codes, which the admin API changes while ccd runs. The
-- acd section of ccd.yaml seeds an empty table at start (or `ccd config
-- import` replaces it). Each row is one item as a JSON object with the keys
-- of the file; an agent's password is kept only as its bcrypt hash
-- (password_hash). position keeps the order of the file: route patterns are
-- tried in it, and reports list queues and agents in it.
CREATE TABLE acd_config (
    kind       text        NOT NULL CHECK (kind IN ('queue', 'agent', 'group', 'route', 'activity')),
    id         text        NOT NULL,
    position   bigint      NOT NULL,
    item       jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, id)
);
