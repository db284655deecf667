-- The pacer's claim walks the due targets in the order it dials them
-- (priority, next call time with never-called first, id). The index of 0016
-- had next_call_ts in the default NULLS LAST order and every finished target
-- in it, so each claim sorted the whole campaign: 58 ms per claim with 100,000
-- targets (BenchmarkClaimTargets). This index matches the order and leaves
-- out the targets no claim can take (being dialled, or in a final status:
-- answered 2, dnc 10, retries exhausted 11, removed 13), and the claim says
-- so in its WHERE for the planner to use it. The claim reads the targets in
-- batches with a LIMIT: a plpgsql FOR loop over an open-ended query is
-- planned for reading every row (a sort), a LIMIT makes the planner walk the
-- index and stop.

CREATE INDEX target_claimable ON dialer.target (campaign_id, priority, next_call_ts NULLS FIRST, target_id)
    WHERE dialing_since IS NULL AND status_code NOT IN (2, 10, 11, 13);
DROP INDEX dialer.target_due;

CREATE OR REPLACE FUNCTION dialer.claim_targets(p_campaign int, p_now timestamptz, p_limit int)
RETURNS TABLE (target_id bigint, phone text, phone_index smallint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c dialer.campaign;
    r record;
    n int := 0;
    -- passed: targets of this claim's batches that dialer.take_target
    -- passed over. They
    -- stay in the query's answer, so the next batch starts after them;
    -- the targets claimed leave it (their dialing_since is set).
    passed int := 0;
    batch constant int := 50;
    got int;
BEGIN
    SELECT * INTO c FROM dialer.campaign WHERE campaign_id = p_campaign AND is_active AND NOT hidden;
    IF NOT FOUND OR p_limit <= 0 THEN
        RETURN;
    END IF;
    LOOP
        got := 0;
        FOR r IN
            SELECT t.target_id AS id, t.next_phone AS idx,
                   CASE t.next_phone WHEN 1 THEN t.phone_i WHEN 2 THEN t.phone_ii ELSE t.phone_iii END AS num
              FROM dialer.target t
              JOIN dialer.status_code s ON s.status_code = t.status_code AND NOT s.final
             WHERE t.campaign_id = p_campaign
               AND t.dialing_since IS NULL
               AND t.status_code NOT IN (2, 10, 11, 13) -- the final ones: target_claimable
               AND (t.next_call_ts IS NULL OR t.next_call_ts <= p_now)
               AND (p_now AT TIME ZONE coalesce(nullif(t.time_zone, ''), c.time_zone))::time >= c.window_start
               AND (p_now AT TIME ZONE coalesce(nullif(t.time_zone, ''), c.time_zone))::time < c.window_end
             ORDER BY t.priority, t.next_call_ts NULLS FIRST, t.target_id
             LIMIT batch OFFSET passed
             FOR UPDATE OF t SKIP LOCKED
        LOOP
            got := got + 1;
            EXIT WHEN n >= p_limit;
            IF NOT dialer.take_target(p_campaign, c.no_redial_hours, r.id, r.idx, r.num, p_now) THEN
                passed := passed + 1; -- no number, do-not-call, the number busy or dialled too recently
                CONTINUE;
            END IF;
            target_id := r.id;
            phone := r.num;
            phone_index := r.idx;
            n := n + 1;
            RETURN NEXT;
        END LOOP;
        EXIT WHEN n >= p_limit OR got < batch;
    END LOOP;
END $$;
