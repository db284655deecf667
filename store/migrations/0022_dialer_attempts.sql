-- Every call the dialer places (an attempt), how it ended, and whether a
-- person answered it and waited more than the law's 2 seconds for an agent
-- (abandoned). The abandon rate of a campaign over the last 24 hours and 30
-- days is computed from this table (dialer.abandon_rate).
CREATE TABLE dialer.attempt (
    attempt_id   bigserial   PRIMARY KEY,
    campaign_id  int         NOT NULL REFERENCES dialer.campaign,
    target_id    bigint      NOT NULL REFERENCES dialer.target,
    phone        text        NOT NULL,
    phone_index  smallint    NOT NULL CHECK (phone_index BETWEEN 1 AND 3),
    channel_id   text        NOT NULL,
    mode         text        NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL,
    answered_at  timestamptz,
    ended_at     timestamptz,
    result       int         REFERENCES dialer.status_code,
    human        boolean     NOT NULL DEFAULT false, -- answered by a person (AMD HUMAN or NOTSURE, or no AMD)
    abandoned    boolean     NOT NULL DEFAULT false, -- ... who got no agent within 2 s
    amd_status   text        NOT NULL DEFAULT '',
    amd_cause    text        NOT NULL DEFAULT '',
    hangup_cause int,
    dial_status  text        NOT NULL DEFAULT ''
);

CREATE INDEX attempt_campaign_answered ON dialer.attempt (campaign_id, answered_at) WHERE human;
CREATE INDEX attempt_target ON dialer.attempt (target_id);

-- The abandon rate of a campaign over the span before p_now: the calls a
-- person answered, those of them abandoned, and their ratio (0 without
-- answered calls).
CREATE FUNCTION dialer.abandon_rate(p_campaign int, p_now timestamptz, p_span interval)
RETURNS TABLE (answered bigint, abandoned bigint, rate float8)
LANGUAGE sql STABLE AS $$
    SELECT count(*), count(*) FILTER (WHERE a.abandoned),
           coalesce(count(*) FILTER (WHERE a.abandoned)::float8 / nullif(count(*), 0), 0)
      FROM dialer.attempt a
     WHERE a.campaign_id = p_campaign AND a.human
       AND a.answered_at > p_now - p_span AND a.answered_at <= p_now
$$;

-- A campaign's answering-machine detection: AMD()'s arguments (in its
-- order, "" = amd.conf's), what a machine hears after its beep ("" = a
-- hangup) and the information message of an abandoned call ("" = ccd's).
CREATE TABLE dialer.campaign_amd (
    campaign_id     int     PRIMARY KEY REFERENCES dialer.campaign,
    enabled         boolean NOT NULL DEFAULT true,
    params          text    NOT NULL DEFAULT '',
    machine_message text    NOT NULL DEFAULT '',
    abandon_message text    NOT NULL DEFAULT ''
);
