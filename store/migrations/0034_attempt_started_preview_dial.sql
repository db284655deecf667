-- The campaign grid counts each campaign's calls placed since the start of
-- the day (dialer.attempt.started_at >= today). Without an index on
-- started_at every refresh of the supervisors' grid read the whole attempt
-- table, which grows by every call of every campaign (BenchmarkCampaignGrid).
-- The abandon-rate windows (dialer.abandon_rate) go by answered_at, which
-- attempt_campaign_answered of 0022 serves (BenchmarkAbandonWindows).
CREATE INDEX attempt_started ON dialer.attempt (started_at);

-- A preview dial rings the agent's phone before the customer's. An agent
-- whose phone does not answer has not called the customer: the target goes
-- back to that agent's preview, not counted as an attempt. What the
-- reservation had kept (the target and its number before the claim) is
-- kept here from the dial until the agent's phone answered or not, one row
-- per agent (the next dial replaces it).
CREATE TABLE dialer.preview_dial (
    agent               text        PRIMARY KEY,
    target_id           bigint      NOT NULL REFERENCES dialer.target,
    campaign_id         int         NOT NULL REFERENCES dialer.campaign,
    old_status_code     int         NOT NULL,
    old_first_call_ts   timestamptz,
    old_last_call_ts    timestamptz,
    -- the number dialled and its dialer.phone_dial before the claim or the
    -- dial took it (NULL: it had no row)
    phone               text        NOT NULL,
    phone_index         smallint    NOT NULL CHECK (phone_index BETWEEN 1 AND 3),
    old_last_dial_ts    timestamptz
);

-- dialer.dial_preview as in 0028, keeping the reservation in
-- dialer.preview_dial.
CREATE OR REPLACE FUNCTION dialer.dial_preview(p_agent text, p_index int, p_now timestamptz)
RETURNS TABLE (target_id bigint, campaign_id int, phone text, phone_index smallint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    p dialer.preview;
    c dialer.campaign;
    t dialer.target;
    num text;
    num_before timestamptz;
BEGIN
    SELECT * INTO p FROM dialer.preview d WHERE d.agent = p_agent FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no preview target is reserved for this agent' USING ERRCODE = 'P0002';
    END IF;
    DELETE FROM dialer.preview_dial d WHERE d.agent = p_agent;
    IF p_index = 0 OR p_index = p.phone_index THEN
        DELETE FROM dialer.preview d WHERE d.target_id = p.target_id;
        INSERT INTO dialer.preview_dial (agent, target_id, campaign_id, old_status_code, old_first_call_ts, old_last_call_ts,
                                         phone, phone_index, old_last_dial_ts)
        VALUES (p_agent, p.target_id, p.campaign_id, p.old_status_code, p.old_first_call_ts, p.old_last_call_ts,
                p.phone, p.phone_index, p.old_last_dial_ts);
        target_id := p.target_id; campaign_id := p.campaign_id; phone := p.phone; phone_index := p.phone_index;
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT * INTO c FROM dialer.campaign x WHERE x.campaign_id = p.campaign_id;
    SELECT * INTO t FROM dialer.target x WHERE x.target_id = p.target_id FOR UPDATE;
    num := CASE p_index WHEN 1 THEN t.phone_i WHEN 2 THEN t.phone_ii WHEN 3 THEN t.phone_iii ELSE '' END;
    IF num = '' THEN
        RAISE EXCEPTION 'the target has no phone %', p_index;
    END IF;
    IF EXISTS (SELECT 1 FROM dialer.dnc d WHERE d.phone = num AND (d.campaign_id IS NULL OR d.campaign_id = p.campaign_id)) THEN
        RAISE EXCEPTION 'phone % is on a do-not-call list', p_index;
    END IF;
    num_before := p.old_last_dial_ts;
    IF num <> p.phone THEN
        PERFORM pg_advisory_xact_lock(16016, hashtext(num));
        SELECT pd.last_dial_ts INTO num_before FROM dialer.phone_dial pd WHERE pd.phone = num;
        INSERT INTO dialer.phone_dial AS pd (phone, dialing, last_dial_ts) VALUES (num, true, p_now)
        ON CONFLICT (phone) DO UPDATE SET dialing = true, last_dial_ts = p_now
         WHERE NOT pd.dialing AND pd.last_dial_ts <= p_now - make_interval(hours => c.no_redial_hours);
        IF NOT FOUND THEN
            RAISE EXCEPTION 'phone % is being dialled or was dialled within the no-redial hours', p_index;
        END IF;
        IF p.old_last_dial_ts IS NULL THEN
            DELETE FROM dialer.phone_dial x WHERE x.phone = p.phone;
        ELSE
            UPDATE dialer.phone_dial x SET dialing = false, last_dial_ts = p.old_last_dial_ts WHERE x.phone = p.phone;
        END IF;
    END IF;
    UPDATE dialer.target x
       SET dialing_phone = p_index,
           phone_i_counter = x.phone_i_counter - (p.phone_index = 1)::int + (p_index = 1)::int,
           phone_ii_counter = x.phone_ii_counter - (p.phone_index = 2)::int + (p_index = 2)::int,
           phone_iii_counter = x.phone_iii_counter - (p.phone_index = 3)::int + (p_index = 3)::int
     WHERE x.target_id = p.target_id;
    DELETE FROM dialer.preview d WHERE d.target_id = p.target_id;
    INSERT INTO dialer.preview_dial (agent, target_id, campaign_id, old_status_code, old_first_call_ts, old_last_call_ts,
                                     phone, phone_index, old_last_dial_ts)
    VALUES (p_agent, p.target_id, p.campaign_id, p.old_status_code, p.old_first_call_ts, p.old_last_call_ts,
            num, p_index, num_before);
    target_id := p.target_id; campaign_id := p.campaign_id; phone := num; phone_index := p_index;
    RETURN NEXT;
END $$;

-- dialer.undial_preview takes back p_agent's dial of target p_target,
-- attempt p_attempt, when the agent's own phone did not answer: the
-- customer was never called. The attempt row goes, and the target, still
-- claimed, is the agent's preview again on the phone it chose, for the
-- campaign's preview_timeout; an agent who meanwhile holds another target
-- gives this one back with its place kept (held false). It returns the
-- target, or no row when the dial is not this agent's (any more) or its
-- attempt has ended.
CREATE FUNCTION dialer.undial_preview(p_agent text, p_target bigint, p_attempt bigint, p_now timestamptz)
RETURNS TABLE (target_id bigint, campaign_id int, phone text, phone_index smallint, expires_at timestamptz, held boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    d dialer.preview_dial;
    p dialer.preview;
    ttl int;
BEGIN
    DELETE FROM dialer.preview_dial x WHERE x.agent = p_agent AND x.target_id = p_target RETURNING * INTO d;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- the attempt must still be open: one that ended was a call
    DELETE FROM dialer.attempt a WHERE a.attempt_id = p_attempt AND a.target_id = p_target AND a.ended_at IS NULL;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT preview_timeout INTO ttl FROM dialer.campaign x WHERE x.campaign_id = d.campaign_id;
    p := ROW(d.target_id, d.campaign_id, p_agent, d.phone, d.phone_index, p_now, p_now + make_interval(secs => ttl),
             d.old_status_code, d.old_first_call_ts, d.old_last_call_ts, d.old_last_dial_ts)::dialer.preview;
    INSERT INTO dialer.preview SELECT (p).* ON CONFLICT (agent) DO NOTHING;
    held := FOUND;
    IF NOT held THEN
        PERFORM dialer.unclaim(p, NULL, false);
    END IF;
    target_id := d.target_id; campaign_id := d.campaign_id; phone := d.phone; phone_index := d.phone_index;
    expires_at := p.expires_at;
    RETURN NEXT;
END $$;
