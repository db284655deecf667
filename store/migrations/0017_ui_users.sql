-- The people who use the web interface and are not agents: supervisors and
-- administrators. Agents log in with the password of their live
-- configuration (acd_config); the integration and BI credentials have no row
-- here and cannot log in to the interface. Only a slow hash (bcrypt) of each
-- password is stored.
CREATE TABLE ui_user (
    username      text        PRIMARY KEY,
    role          text        NOT NULL CHECK (role IN ('supervisor', 'admin')),
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- The web interface's sessions (a cookie), for agents, supervisors and
-- administrators alike. As for agent_session, only the SHA-256 of the cookie's
-- token is stored; a logout deletes the row, expired rows go at the next login.
CREATE TABLE ui_session (
    token_hash bytea       PRIMARY KEY,
    kind       text        NOT NULL,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX ui_session_created ON ui_session (created_at);
