-- The Optimus BI functions (000 §5.4) and recording look-ups (000 §7.1) over the
-- stat tables, with the Optimus names lower-cased so that a report written for
-- Optimus runs unchanged. They are plain SQL, STABLE and SECURITY INVOKER: a role
-- that may read schema stat (the BI role, store.EnsureBIRole) may run them, and
-- they give it nothing it could not read itself.
--
-- Conventions shared by the functions below:
--   * Ranges are half-open, [from, till): a quarter-hour row belongs to the range
--     when its thedate (the interval's start) is >= from and < till, so
--     consecutive ranges never count an interval twice.
--   * theday is the stat tables' own label: the call center's local day.
--   * Percentages are 0..100, and 0 when nothing was offered.
--   * Descriptions fall back to ccd's name when stat.code has no description.
--   * Columns are qualified everywhere: the RETURNS TABLE names (offered, theday...)
--     are also column names of the tables.

-- BI.AgentData: one row per queue, agent and day the agent was offered calls
-- from the queue (stat.agentbydevicestat, device type 3).
--   talktime       ACD talk time on the queue's calls, seconds.
--   waitingtime    the agent's idle time (ready, no call: waiting for one) that
--                  day, seconds. Like the other agent-wide columns below it
--                  repeats on each of the agent's queue rows: do not add it up
--                  over queues.
--   outboundcalls  external calls the agent dialed that day (agentstat.extdialed).
--   logintime, notreadytime, readytime: the agent's day, seconds (agentstat).
--   forcenotready  seconds the agent spent in the not-ready states ccd forces
--                  after a failed offer (activities no_answer, busy, unavailable),
--                  from stat.agentactivitystat. Optimus leaves the unit open; a
--                  duration in seconds is comparable with notreadytime.
--   retfromagent   the queue's calls recalled from the agent (acdrecalled).
-- Agents' stat.code description holds "First Last": firstname is what precedes
-- the first space, lastname the rest.
CREATE FUNCTION bi.agentdata(fromdate timestamptz, tilldate timestamptz)
RETURNS TABLE (
    queuecode          integer,
    queuedesc          text,
    usercode           integer,
    firstname          text,
    lastname           text,
    theday             text,
    offered            integer,
    answered           integer,
    answeredpercentage float8,
    talktime           integer,
    waitingtime        integer,
    outboundcalls      integer,
    logintime          integer,
    notreadytime       integer,
    readytime          integer,
    forcenotready      integer,
    retfromagent       integer
)
LANGUAGE sql STABLE AS $$
    WITH q AS (
        SELECT s.devicecode, s.usercode, s.theday::text AS theday,
               sum(s.acdoffered) AS offered, sum(s.acdanswered) AS answered,
               sum(s.sumacdtalktime) AS talktime, sum(s.acdrecalled) AS recalled
        FROM stat.agentbydevicestat s
        WHERE s.devicetype = 3 AND s.thedate >= $1 AND s.thedate < $2
        GROUP BY s.devicecode, s.usercode, s.theday
    ), a AS (
        SELECT s.usercode, s.theday::text AS theday, sum(s.idletime) AS idletime,
               sum(s.extdialed) AS outbound, sum(s.logintime) AS logintime,
               sum(s.notreadytime) AS notreadytime, sum(s.readytime) AS readytime
        FROM stat.agentstat s
        WHERE s.thedate >= $1 AND s.thedate < $2
        GROUP BY s.usercode, s.theday
    ), f AS (
        SELECT s.usercode, s.theday::text AS theday, sum(s.activitytime) AS forced
        FROM stat.agentactivitystat s
        JOIN stat.code c ON c.kind = 'activity' AND c.code = s.activitycode
        WHERE c.name IN ('no_answer', 'busy', 'unavailable')
          AND s.thedate >= $1 AND s.thedate < $2
        GROUP BY s.usercode, s.theday
    )
    SELECT q.devicecode,
           coalesce(nullif(cq.description, ''), cq.name, ''),
           q.usercode,
           split_part(n.full_name, ' ', 1),
           CASE WHEN strpos(n.full_name, ' ') > 0
                THEN substr(n.full_name, strpos(n.full_name, ' ') + 1) ELSE '' END,
           q.theday,
           q.offered::integer,
           q.answered::integer,
           CASE WHEN q.offered > 0 THEN q.answered::float8 * 100 / q.offered ELSE 0 END,
           q.talktime::integer,
           coalesce(a.idletime, 0)::integer,
           coalesce(a.outbound, 0)::integer,
           coalesce(a.logintime, 0)::integer,
           coalesce(a.notreadytime, 0)::integer,
           coalesce(a.readytime, 0)::integer,
           coalesce(f.forced, 0)::integer,
           q.recalled::integer
    FROM q
    LEFT JOIN stat.code cq ON cq.kind = 'queue' AND cq.code = q.devicecode
    LEFT JOIN stat.code ca ON ca.kind = 'agent' AND ca.code = q.usercode
    CROSS JOIN LATERAL (SELECT coalesce(nullif(ca.description, ''), ca.name, '') AS full_name) n
    LEFT JOIN a ON a.usercode = q.usercode AND a.theday = q.theday
    LEFT JOIN f ON f.usercode = q.usercode AND f.theday = q.theday
    ORDER BY q.theday, q.devicecode, q.usercode
$$;

-- BI.QueueData: one row per queue and day (stat.devicestat, device type 3).
--   abandoned    every caller who hung up before talking: in the queue
--                (devicestat.abandoned) or while an agent's phone rang
--                (devicestat.abdringing), which ccd counts apart.
--   talktime     talk time of the queue's calls, seconds.
--   waitingtime  the time callers spent waiting in the queue, answered or
--                abandoned (sumanswertime + sumabdtime), seconds.
CREATE FUNCTION bi.queuedata(fromdate timestamptz, tilldate timestamptz)
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
               sum(s.offered) AS offered, sum(s.answered) AS answered,
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
           CASE WHEN d.offered > 0 THEN d.answered::float8 * 100 / d.offered ELSE 0 END,
           d.abandoned::integer,
           CASE WHEN d.offered > 0 THEN d.abandoned::float8 * 100 / d.offered ELSE 0 END,
           d.talktime::integer,
           d.waitingtime::integer
    FROM d
    LEFT JOIN stat.code c ON c.kind = 'queue' AND c.code = d.devicecode
    ORDER BY d.theday, d.devicecode
$$;

-- BI.GetAllQueues: every queue ccd has given a code.
CREATE FUNCTION bi.getallqueues()
RETURNS TABLE (code integer, description text)
LANGUAGE sql STABLE AS $$
    SELECT c.code, coalesce(nullif(c.description, ''), c.name)
    FROM stat.code c
    WHERE c.kind = 'queue'
    ORDER BY c.code
$$;

-- BI.GetAllQueuesAgents: which agents serve which queue, as configured.
CREATE FUNCTION bi.getallqueuesagents()
RETURNS TABLE (queuecode integer, usercode integer)
LANGUAGE sql STABLE AS $$
    SELECT qa.queuecode, qa.usercode
    FROM stat.queueagent qa
    ORDER BY qa.queuecode, qa.usercode
$$;

-- Configuration.GetCallRecordingFile (000 §7.1.1): the recording of a call, NULL
-- when the call is unknown or was not recorded.
CREATE FUNCTION configuration.getcallrecordingfile(callid bigint)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT nullif(c.recording, '') FROM stat.callsstat c WHERE c.callid = $1
$$;

-- Stat.GetAllRecordings (000 §7.1.2): the recorded calls from a caller (clid
-- compared exactly) offered in [fromts, tillts).
CREATE FUNCTION stat.getallrecordings(fromts timestamptz, tillts timestamptz, clid text)
RETURNS TABLE (callid bigint, recfile text)
LANGUAGE sql STABLE AS $$
    SELECT c.callid, c.recording
    FROM stat.callsstat c
    WHERE c.clid = $3 AND c.offeredts >= $1 AND c.offeredts < $2 AND c.recording <> ''
    ORDER BY c.offeredts, c.callid
$$;
