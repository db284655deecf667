-- BI.QueueData percentages over every call the queue handled. Calls overflowed
-- into a queue count there as Inflowed, not Offered (000 §5.3, the toolbar's
-- reading), and they can be answered or abandoned there: a share of Offered
-- alone went over 100% in an overflow target. Offered keeps its meaning; the
-- percentages are of offered + inflowed.
CREATE OR REPLACE FUNCTION bi.queuedata(fromdate timestamptz, tilldate timestamptz)
RETURNS TABLE (
    queuecode           integer,
    queuedesc           text,
    theday              text,
    offered             integer,
    answered            integer,
    answeredpercentage  float8,
    abandoned           integer,
    abandonedpercentage float8,
    talktime            integer,
    waitingtime         integer
)
LANGUAGE sql STABLE AS $$
    WITH d AS (
        SELECT s.devicecode, s.theday::text AS theday,
               sum(s.offered) AS offered, sum(s.offered + s.inflowed) AS handled,
               sum(s.answered) AS answered,
               sum(s.abandoned + s.abdringing) AS abandoned, sum(s.sumtalktime) AS talktime,
               sum(s.sumanswertime + s.sumabdtime) AS waitingtime
        FROM stat.devicestat s
        WHERE s.devicetype = 3 AND s.thedate >= $1 AND s.thedate < $2
        GROUP BY s.devicecode, s.theday
    )
    SELECT d.devicecode,
           coalesce(nullif(c.description, ''), c.name, ''),
           d.theday,
           d.offered::integer,
           d.answered::integer,
           CASE WHEN d.handled > 0 THEN d.answered::float8 * 100 / d.handled ELSE 0 END,
           d.abandoned::integer,
           CASE WHEN d.handled > 0 THEN d.abandoned::float8 * 100 / d.handled ELSE 0 END,
           d.talktime::integer,
           d.waitingtime::integer
    FROM d
    LEFT JOIN stat.code c ON c.kind = 'queue' AND c.code = d.devicecode
    ORDER BY d.theday, d.devicecode
$$;
