-- The outbound dialer: campaigns, their schedules, the targets to call, the
-- status codes of an attempt, the do-not-call list and the numbers dialled.
-- Names follow the Optimus dialer (seed 000 §6) in PostgreSQL's lower case.
CREATE SCHEMA IF NOT EXISTS dialer;

-- What an attempt ended as; a final status is never dialled again.
CREATE TABLE dialer.status_code (
    status_code int     PRIMARY KEY,
    name        text    NOT NULL UNIQUE,
    final       boolean NOT NULL
);

-- The descriptions dialer.getcallstatusdescription returns, per language
-- (1 = English, the fallback).
CREATE TABLE dialer.status_description (
    status_code int  NOT NULL REFERENCES dialer.status_code,
    language_id int  NOT NULL,
    description text NOT NULL,
    PRIMARY KEY (status_code, language_id)
);

INSERT INTO dialer.status_code (status_code, name, final) VALUES
    (0, 'new', false),
    (1, 'dialing', false),
    (2, 'answered', true),
    (3, 'no_answer', false),
    (4, 'busy', false),
    (5, 'congestion', false),
    (6, 'rejected', false),
    (7, 'invalid_number', false),
    (8, 'machine', false),
    (9, 'abandoned', false),
    (10, 'dnc', true),
    (11, 'retries_exhausted', true),
    (12, 'callback', false),
    (13, 'removed', true);

INSERT INTO dialer.status_description (status_code, language_id, description) VALUES
    (0, 1, 'Not dialled yet'),
    (1, 1, 'A call is in progress'),
    (2, 1, 'Answered by a person and connected to an agent'),
    (3, 1, 'No answer'),
    (4, 1, 'Busy'),
    (5, 1, 'Network congestion'),
    (6, 1, 'Call rejected'),
    (7, 1, 'Invalid number'),
    (8, 1, 'Answering machine'),
    (9, 1, 'Abandoned: answered, no agent within 2 seconds'),
    (10, 1, 'On the do-not-call list'),
    (11, 1, 'No more attempts left'),
    (12, 1, 'Callback scheduled'),
    (13, 1, 'Removed from the campaign');

CREATE TABLE dialer.campaign (
    campaign_id        serial      PRIMARY KEY,
    name               text        NOT NULL,
    -- the Optimus fields
    campaign_priority  int         NOT NULL DEFAULT 1,
    campaign_type      int         NOT NULL DEFAULT 0,
    retry_number       int         NOT NULL DEFAULT 3 CHECK (retry_number >= 0),
    no_answer_duration int         NOT NULL DEFAULT 25 CHECK (no_answer_duration >= 15), -- seconds of ringing before "no answer"
    chase              boolean     NOT NULL DEFAULT false, -- after a failed phone, the next phone at once
    queue_code         text        NOT NULL,
    call_priority      int         NOT NULL DEFAULT 5 CHECK (call_priority BETWEEN 1 AND 9),
    is_active          boolean     NOT NULL DEFAULT false,
    hidden             boolean     NOT NULL DEFAULT false, -- DeleteCampaign hides, never deletes
    -- ccd's
    mode               text        NOT NULL DEFAULT 'progressive'
                                   CHECK (mode IN ('preview', 'progressive', 'power', 'predictive')),
    dial_ratio         numeric     NOT NULL DEFAULT 1 CHECK (dial_ratio >= 1),       -- power mode
    max_dial_ratio     numeric     NOT NULL DEFAULT 3 CHECK (max_dial_ratio >= 1),
    max_abandon_rate   numeric     NOT NULL DEFAULT 0.03 CHECK (max_abandon_rate > 0 AND max_abandon_rate <= 1),
    caller_id          text        NOT NULL DEFAULT '',
    window_start       time        NOT NULL DEFAULT '09:00',
    window_end         time        NOT NULL DEFAULT '20:00',
    time_zone          text        NOT NULL DEFAULT 'UTC', -- the targets' unless a target names its own
    no_redial_hours    int         NOT NULL DEFAULT 0 CHECK (no_redial_hours >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (window_start < window_end)
);

-- Retry rules per result: the delay before the next attempt and the most
-- attempts that result may take (0 = the campaign's retry_number).
CREATE TABLE dialer.retry_rule (
    campaign_id   int  NOT NULL REFERENCES dialer.campaign,
    status_code   int  NOT NULL REFERENCES dialer.status_code,
    delay_minutes int  NOT NULL CHECK (delay_minutes >= 0),
    max_attempts  int  NOT NULL DEFAULT 0 CHECK (max_attempts >= 0),
    PRIMARY KEY (campaign_id, status_code)
);

-- Optimus AddNewSchedule: the days from fromDateTime to toDateTime, on the
-- weekdays flagged, between their times of day (in the campaign's zone).
-- isSpecialDays schedules apply on special days only, and on a special day
-- only they do.
CREATE TABLE dialer.schedule (
    schedule_id     serial    PRIMARY KEY,
    schedule_name   text      NOT NULL,
    from_date_time  timestamp NOT NULL,
    to_date_time    timestamp NOT NULL,
    is_special_days boolean   NOT NULL DEFAULT false,
    is_sunday       boolean   NOT NULL DEFAULT false,
    is_monday       boolean   NOT NULL DEFAULT false,
    is_tuesday      boolean   NOT NULL DEFAULT false,
    is_wednesday    boolean   NOT NULL DEFAULT false,
    is_thursday     boolean   NOT NULL DEFAULT false,
    is_friday       boolean   NOT NULL DEFAULT false,
    is_saturday     boolean   NOT NULL DEFAULT false,
    hidden          boolean   NOT NULL DEFAULT false,
    CHECK (from_date_time < to_date_time)
);

CREATE TABLE dialer.campaign_schedule (
    campaign_id int NOT NULL REFERENCES dialer.campaign,
    schedule_id int NOT NULL REFERENCES dialer.schedule,
    PRIMARY KEY (campaign_id, schedule_id)
);

-- Holidays and other special days.
CREATE TABLE dialer.special_day (
    day         date PRIMARY KEY,
    description text NOT NULL DEFAULT ''
);

CREATE TABLE dialer.target (
    target_id          bigserial   PRIMARY KEY,
    campaign_id        int         NOT NULL REFERENCES dialer.campaign,
    first_name         text        NOT NULL DEFAULT '',
    last_name          text        NOT NULL DEFAULT '',
    phone_i            text        NOT NULL,
    phone_ii           text        NOT NULL DEFAULT '',
    phone_iii          text        NOT NULL DEFAULT '',
    data_i             text        NOT NULL DEFAULT '',
    data_ii            text        NOT NULL DEFAULT '',
    data_iii           text        NOT NULL DEFAULT '',
    priority           smallint    NOT NULL DEFAULT 2 CHECK (priority BETWEEN 1 AND 3),
    file_number        int,
    external_target_id bigint,
    time_zone          text        NOT NULL DEFAULT '', -- '' = the campaign's
    status_code        int         NOT NULL DEFAULT 0 REFERENCES dialer.status_code,
    first_call_ts      timestamptz,
    last_call_ts       timestamptz,
    next_call_ts       timestamptz,
    next_phone         smallint    NOT NULL DEFAULT 1 CHECK (next_phone BETWEEN 1 AND 3),
    call_me            smallint    NOT NULL DEFAULT 0,
    phone_i_counter    int         NOT NULL DEFAULT 0,
    phone_ii_counter   int         NOT NULL DEFAULT 0,
    phone_iii_counter  int         NOT NULL DEFAULT 0,
    total_dials        int         NOT NULL DEFAULT 0,
    dialing_since      timestamptz, -- set while a call to this target is in progress
    dialing_phone      smallint,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (phone_i <> '')
);

CREATE INDEX target_due ON dialer.target (campaign_id, priority, next_call_ts, target_id)
    WHERE dialing_since IS NULL;
CREATE INDEX target_phone ON dialer.target (campaign_id, phone_i);
CREATE INDEX target_status ON dialer.target (campaign_id, status_code, last_call_ts);

-- Do not call: campaign_id NULL is the global list.
CREATE TABLE dialer.dnc (
    phone       text        NOT NULL,
    campaign_id int         REFERENCES dialer.campaign,
    added_at    timestamptz NOT NULL DEFAULT now(),
    reason      text        NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX dnc_phone ON dialer.dnc (phone, coalesce(campaign_id, 0));

-- Every number dialled: whether a call to it is in progress (a number is
-- never dialled twice at once, whichever target or campaign holds it) and
-- when it was last dialled (the no-redial rule).
CREATE TABLE dialer.phone_dial (
    phone        text        PRIMARY KEY,
    dialing      boolean     NOT NULL DEFAULT false,
    last_dial_ts timestamptz NOT NULL
);

-- dialer.claim_targets picks up to p_limit targets of an active campaign due
-- at p_now and marks each as dialling, in one transaction: never a target or
-- a number already being dialled, never outside the calling window in the
-- target's time zone, never a number on the do-not-call lists or dialled
-- within the campaign's no-redial hours. The campaign's schedules are checked
-- by the caller (they come with cron); this function checks the rest, so
-- that nothing between the check and the mark can change the answer.
CREATE FUNCTION dialer.claim_targets(p_campaign int, p_now timestamptz, p_limit int)
RETURNS TABLE (target_id bigint, phone text, phone_index smallint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c dialer.campaign;
    r record;
    n int := 0;
BEGIN
    SELECT * INTO c FROM dialer.campaign WHERE campaign_id = p_campaign AND is_active AND NOT hidden;
    IF NOT FOUND OR p_limit <= 0 THEN
        RETURN;
    END IF;
    FOR r IN
        SELECT t.target_id AS id, t.next_phone AS idx,
               CASE t.next_phone WHEN 1 THEN t.phone_i WHEN 2 THEN t.phone_ii ELSE t.phone_iii END AS num
          FROM dialer.target t
          JOIN dialer.status_code s ON s.status_code = t.status_code AND NOT s.final
         WHERE t.campaign_id = p_campaign
           AND t.dialing_since IS NULL
           AND (t.next_call_ts IS NULL OR t.next_call_ts <= p_now)
           AND (p_now AT TIME ZONE coalesce(nullif(t.time_zone, ''), c.time_zone))::time >= c.window_start
           AND (p_now AT TIME ZONE coalesce(nullif(t.time_zone, ''), c.time_zone))::time < c.window_end
         ORDER BY t.priority, t.next_call_ts NULLS FIRST, t.target_id
         FOR UPDATE OF t SKIP LOCKED
    LOOP
        EXIT WHEN n >= p_limit;
        CONTINUE WHEN r.num = '' OR EXISTS (
            SELECT 1 FROM dialer.dnc d
             WHERE d.phone = r.num AND (d.campaign_id IS NULL OR d.campaign_id = p_campaign));
        -- take the number: refused while it is being dialled or within the
        -- no-redial hours. Another claimer taking the same number at this
        -- moment holds its advisory lock: skip it rather than wait (two
        -- claimers waiting on each other's numbers would deadlock).
        CONTINUE WHEN NOT pg_try_advisory_xact_lock(16016, hashtext(r.num));
        INSERT INTO dialer.phone_dial AS pd (phone, dialing, last_dial_ts) VALUES (r.num, true, p_now)
        ON CONFLICT (phone) DO UPDATE SET dialing = true, last_dial_ts = p_now
         WHERE NOT pd.dialing AND pd.last_dial_ts <= p_now - make_interval(hours => c.no_redial_hours);
        CONTINUE WHEN NOT FOUND;
        UPDATE dialer.target t
           SET dialing_since = p_now, dialing_phone = r.idx, status_code = 1,
               first_call_ts = coalesce(t.first_call_ts, p_now), last_call_ts = p_now,
               total_dials = t.total_dials + 1,
               phone_i_counter = t.phone_i_counter + (r.idx = 1)::int,
               phone_ii_counter = t.phone_ii_counter + (r.idx = 2)::int,
               phone_iii_counter = t.phone_iii_counter + (r.idx = 3)::int
         WHERE t.target_id = r.id;
        target_id := r.id;
        phone := r.num;
        phone_index := r.idx;
        n := n + 1;
        RETURN NEXT;
    END LOOP;
END $$;

-- Optimus SQL interface (seed 000 §6.2.4).
CREATE FUNCTION dialer.getcallstatusdescription(p_status_code int, p_language_id int)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT description FROM dialer.status_description
     WHERE status_code = p_status_code AND language_id IN (p_language_id, 1)
     ORDER BY language_id = p_language_id DESC LIMIT 1
$$;

-- Optimus BI function (seed 000 §6.2.5): the targets of a campaign last
-- called within [from, till) with a status (NULL = any).
CREATE FUNCTION bi.getdialertargetsbystatus(p_campaign_id int, p_from_ts timestamptz, p_till_ts timestamptz, p_status int)
RETURNS TABLE (target_id bigint, last_call_ts timestamptz, next_call_ts timestamptz, next_phone smallint, call_me smallint,
               phone_i text, phone_ii text, phone_iii text, data_i text, data_ii text, data_iii text,
               first_name text, last_name text, phone_i_counter int, phone_ii_counter int, phone_iii_counter int)
LANGUAGE sql STABLE AS $$
    SELECT t.target_id, t.last_call_ts, t.next_call_ts, t.next_phone, t.call_me,
           t.phone_i, t.phone_ii, t.phone_iii, t.data_i, t.data_ii, t.data_iii,
           t.first_name, t.last_name, t.phone_i_counter, t.phone_ii_counter, t.phone_iii_counter
      FROM dialer.target t
     WHERE t.campaign_id = p_campaign_id
       AND t.last_call_ts >= p_from_ts AND t.last_call_ts < p_till_ts
       AND (p_status IS NULL OR t.status_code = p_status)
     ORDER BY t.target_id
$$;
