-- Several Asterisk nodes: every event says which node it came from (the
-- node's configured name, else what Asterisk calls itself: ARI's asterisk_id,
-- AMI's SystemName). Events stored before carry ''. A constant default adds
-- the column without rewriting the table.
ALTER TABLE call_event ADD COLUMN node text NOT NULL DEFAULT '';

-- The agents' login sessions (the OMniLeads bearer tokens) live here, so that
-- they survive a restart and any ccd instance on this database accepts them.
-- Only the SHA-256 of a token is stored: a read of this table gives no token
-- that could be used. A logout deletes the agent's rows; expired rows are
-- deleted at the next login.
CREATE TABLE agent_session (
    token_hash bytea       PRIMARY KEY,
    agent      text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX agent_session_agent ON agent_session (agent, created_at);
CREATE INDEX agent_session_created ON agent_session (created_at);
