-- Personal callbacks ("Agenda", OMniLeads) and the dispositions counted per
-- campaign and quarter-hour.

-- A personal callback waits for the agent who scheduled it. After this many
-- minutes past its time, any agent of the campaign may take it; NULL (the
-- default): it waits for that agent as long as the campaign runs.
ALTER TABLE dialer.campaign ADD COLUMN agenda_fallback_minutes int
    CHECK (agenda_fallback_minutes BETWEEN 0 AND 525600);

-- done_at: the callback reached its person (an answered attempt); until
-- then a personal callback is dialled for its agent only.
ALTER TABLE dialer.agenda ADD COLUMN done_at timestamptz;
CREATE INDEX agenda_pending ON dialer.agenda (callback_at) WHERE done_at IS NULL AND kind = 'personal';

-- dialer.take_target marks target p_target as being dialled on phone p_index
-- (number p_phone) for a claim of campaign p_campaign, unless the number is
-- empty or on a do-not-call list, or is being dialled or was dialled within
-- p_no_redial_hours. It returns whether it took the target. Every claim
-- (dialer.claim_targets, dialer.claim_agenda) takes its targets through it.
CREATE FUNCTION dialer.take_target(p_campaign int, p_no_redial_hours int, p_target bigint, p_index smallint,
                                   p_phone text, p_now timestamptz)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF p_phone = '' OR EXISTS (
        SELECT 1 FROM dialer.dnc d
         WHERE d.phone = p_phone AND (d.campaign_id IS NULL OR d.campaign_id = p_campaign)) THEN
        RETURN false;
    END IF;
    -- take the number: refused while it is being dialled or within the
    -- no-redial hours. Another claimer taking the same number at this
    -- moment holds its advisory lock: skip it rather than wait (two
    -- claimers waiting on each other's numbers would deadlock).
    IF NOT pg_try_advisory_xact_lock(16016, hashtext(p_phone)) THEN
        RETURN false;
    END IF;
    INSERT INTO dialer.phone_dial AS pd (phone, dialing, last_dial_ts) VALUES (p_phone, true, p_now)
    ON CONFLICT (phone) DO UPDATE SET dialing = true, last_dial_ts = p_now
     WHERE NOT pd.dialing AND pd.last_dial_ts <= p_now - make_interval(hours => p_no_redial_hours);
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    UPDATE dialer.target t
       SET dialing_since = p_now, dialing_phone = p_index, status_code = 1,
           first_call_ts = coalesce(t.first_call_ts, p_now), last_call_ts = p_now,
           total_dials = t.total_dials + 1,
           phone_i_counter = t.phone_i_counter + (p_index = 1)::int,
           phone_ii_counter = t.phone_ii_counter + (p_index = 2)::int,
           phone_iii_counter = t.phone_iii_counter + (p_index = 3)::int
     WHERE t.target_id = p_target;
    RETURN true;
END $$;

-- dialer.claim_agenda marks as dialling the personal callback of p_agent in
-- p_campaign that is due first at p_now, under the rules of
-- dialer.claim_targets (calling window, do-not-call lists, no-redial hours,
-- never a target or a number twice at once). The target's next_call_ts is
-- when any agent may take it (the fallback), so claim_targets leaves it
-- alone until then; this function goes by the callback's own time.
CREATE FUNCTION dialer.claim_agenda(p_campaign int, p_now timestamptz, p_agent text)
RETURNS TABLE (target_id bigint, phone text, phone_index smallint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c dialer.campaign;
    r record;
BEGIN
    SELECT * INTO c FROM dialer.campaign WHERE campaign_id = p_campaign AND is_active AND NOT hidden;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    FOR r IN
        SELECT t.target_id AS id, t.next_phone AS idx,
               CASE t.next_phone WHEN 1 THEN t.phone_i WHEN 2 THEN t.phone_ii ELSE t.phone_iii END AS num
          FROM dialer.agenda a
          JOIN dialer.target t ON t.target_id = a.target_id
          JOIN dialer.status_code s ON s.status_code = t.status_code AND NOT s.final
         WHERE a.agent = p_agent AND a.kind = 'personal' AND a.done_at IS NULL AND a.callback_at <= p_now
           AND t.campaign_id = p_campaign
           AND t.dialing_since IS NULL
           AND (p_now AT TIME ZONE coalesce(nullif(t.time_zone, ''), c.time_zone))::time >= c.window_start
           AND (p_now AT TIME ZONE coalesce(nullif(t.time_zone, ''), c.time_zone))::time < c.window_end
         ORDER BY a.callback_at, t.target_id
         FOR UPDATE OF t SKIP LOCKED
    LOOP
        CONTINUE WHEN NOT dialer.take_target(p_campaign, c.no_redial_hours, r.id, r.idx, r.num, p_now);
        target_id := r.id;
        phone := r.num;
        phone_index := r.idx;
        RETURN NEXT;
        RETURN; -- one call per agent
    END LOOP;
END $$;

-- The dispositions agents set, per campaign, option and quarter-hour
-- (columns in stats.Tables): a disposition counts in the quarter-hour it was
-- set, and again, under its new option, when it is changed.
CREATE TABLE stat.campaigndispositionstat (
    calcts timestamptz NOT NULL,
    thedate timestamptz NOT NULL,
    themonth varchar(7) NOT NULL,
    theweek varchar(11) NOT NULL,
    theday varchar(10) NOT NULL,
    thehour varchar(5) NOT NULL,
    campaignid integer NOT NULL,
    dispositionoptionid integer NOT NULL,
    dispositions integer NOT NULL DEFAULT 0,
    PRIMARY KEY (thedate, campaignid, dispositionoptionid)
);
