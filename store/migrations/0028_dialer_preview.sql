-- Preview campaigns: an agent asks for the next target, sees it, and skips
-- it or dials it. ccd reserves the target for that agent with the same
-- selection as the automatic modes (dialer.claim_targets: schedule checked by
-- the caller, calling window, do-not-call lists, no-redial hours, priority,
-- next_call_ts, never a target or number twice at once). A reservation holds
-- the claim without counting it as an attempt until the agent dials: what
-- the claim changed on the target and its number is kept here and put back
-- when the reservation is skipped or expires.

ALTER TABLE dialer.campaign ADD COLUMN preview_timeout int NOT NULL DEFAULT 120
    CHECK (preview_timeout BETWEEN 10 AND 3600); -- seconds an agent may hold a preview target

ALTER TABLE dialer.target ADD COLUMN preview_skips int NOT NULL DEFAULT 0;

ALTER TABLE dialer.attempt ADD COLUMN agent text NOT NULL DEFAULT ''; -- the agent who dialled a preview

CREATE TABLE dialer.preview (
    target_id         bigint      PRIMARY KEY REFERENCES dialer.target,
    campaign_id       int         NOT NULL REFERENCES dialer.campaign,
    agent             text        NOT NULL UNIQUE, -- one reservation per agent
    phone             text        NOT NULL,
    phone_index       smallint    NOT NULL CHECK (phone_index BETWEEN 1 AND 3),
    reserved_at       timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    -- the target and its number before the claim
    old_status_code   int         NOT NULL,
    old_first_call_ts timestamptz,
    old_last_call_ts  timestamptz,
    old_last_dial_ts  timestamptz -- NULL: the number had no dialer.phone_dial row
);

CREATE INDEX preview_expires ON dialer.preview (expires_at);

-- dialer.reserve_preview claims one target of the campaign for p_agent and
-- keeps what the claim changed. The values before the claim are read in the
-- same statement as the claim: its snapshot does not see the claim's
-- updates. It returns no row when nothing is due.
CREATE FUNCTION dialer.reserve_preview(p_campaign int, p_agent text, p_now timestamptz)
RETURNS TABLE (target_id bigint, phone text, phone_index smallint, expires_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    r record;
    ttl int;
BEGIN
    SELECT preview_timeout INTO ttl FROM dialer.campaign WHERE campaign_id = p_campaign;
    SELECT c.target_id AS id, c.phone AS num, c.phone_index AS idx,
           (SELECT o.status_code FROM dialer.target o WHERE o.target_id = c.target_id) AS status_code,
           (SELECT o.first_call_ts FROM dialer.target o WHERE o.target_id = c.target_id) AS first_call_ts,
           (SELECT o.last_call_ts FROM dialer.target o WHERE o.target_id = c.target_id) AS last_call_ts,
           (SELECT pd.last_dial_ts FROM dialer.phone_dial pd WHERE pd.phone = c.phone) AS last_dial_ts
      INTO r
      FROM dialer.claim_targets(p_campaign, p_now, 1) c;
    IF r.id IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO dialer.preview (target_id, campaign_id, agent, phone, phone_index, reserved_at, expires_at,
                                old_status_code, old_first_call_ts, old_last_call_ts, old_last_dial_ts)
    VALUES (r.id, p_campaign, p_agent, r.num, r.idx, p_now, p_now + make_interval(secs => ttl),
            r.status_code, r.first_call_ts, r.last_call_ts, r.last_dial_ts);
    target_id := r.id;
    phone := r.num;
    phone_index := r.idx;
    expires_at := p_now + make_interval(secs => ttl);
    RETURN NEXT;
END $$;

-- dialer.unclaim puts back what a reservation's claim changed on the
-- target (not its attempt counters: no attempt was made) and on its
-- number. p_next_call_ts NULL keeps the target's.
CREATE FUNCTION dialer.unclaim(p dialer.preview, p_next_call_ts timestamptz, p_skipped boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE dialer.target t
       SET dialing_since = NULL, dialing_phone = NULL,
           status_code = CASE WHEN t.status_code = 1 THEN p.old_status_code ELSE t.status_code END,
           first_call_ts = p.old_first_call_ts, last_call_ts = p.old_last_call_ts,
           next_call_ts = CASE WHEN t.status_code = 1 THEN coalesce(p_next_call_ts, t.next_call_ts) ELSE t.next_call_ts END,
           total_dials = t.total_dials - 1,
           phone_i_counter = t.phone_i_counter - (p.phone_index = 1)::int,
           phone_ii_counter = t.phone_ii_counter - (p.phone_index = 2)::int,
           phone_iii_counter = t.phone_iii_counter - (p.phone_index = 3)::int,
           preview_skips = t.preview_skips + p_skipped::int
     WHERE t.target_id = p.target_id;
    IF p.old_last_dial_ts IS NULL THEN
        DELETE FROM dialer.phone_dial WHERE phone = p.phone;
    ELSE
        UPDATE dialer.phone_dial SET dialing = false, last_dial_ts = p.old_last_dial_ts WHERE phone = p.phone;
    END IF;
END $$;

-- dialer.release_preview ends p_agent's reservation without a call: a skip
-- (the target is due again at p_due, counted in preview_skips) or an expiry
-- (p_due NULL: the target keeps its place). It returns the target, or no
-- row when the agent holds none.
CREATE FUNCTION dialer.release_preview(p_agent text, p_due timestamptz)
RETURNS TABLE (target_id bigint, campaign_id int)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    p dialer.preview;
BEGIN
    DELETE FROM dialer.preview d WHERE d.agent = p_agent RETURNING * INTO p;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM dialer.unclaim(p, p_due, p_due IS NOT NULL);
    target_id := p.target_id;
    campaign_id := p.campaign_id;
    RETURN NEXT;
END $$;

-- dialer.dial_preview turns p_agent's reservation into an attempt on phone
-- p_index (0: the one reserved). Another phone of the target is taken as
-- the claim takes one (on no do-not-call list, not being dialled, not
-- within the no-redial hours) and the reserved number is put back. The
-- claim's counters stay: this is the attempt. Refusals raise P0001 with the
-- reason; a missing reservation raises P0002.
CREATE FUNCTION dialer.dial_preview(p_agent text, p_index int, p_now timestamptz)
RETURNS TABLE (target_id bigint, campaign_id int, phone text, phone_index smallint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    p dialer.preview;
    c dialer.campaign;
    t dialer.target;
    num text;
BEGIN
    SELECT * INTO p FROM dialer.preview d WHERE d.agent = p_agent FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no preview target is reserved for this agent' USING ERRCODE = 'P0002';
    END IF;
    IF p_index = 0 OR p_index = p.phone_index THEN
        DELETE FROM dialer.preview d WHERE d.target_id = p.target_id;
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
    IF num <> p.phone THEN
        PERFORM pg_advisory_xact_lock(16016, hashtext(num));
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
    target_id := p.target_id; campaign_id := p.campaign_id; phone := num; phone_index := p_index;
    RETURN NEXT;
END $$;
