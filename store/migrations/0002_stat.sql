-- Statistics: the Optimus Stat tables (000 §5.3) in schema stat, with the Optimus
-- names lower-cased so that a BI query written for Optimus runs unquoted. They are
-- computed from call_event by ccd (live, and by `ccd stats rebuild`).
CREATE SCHEMA stat;
CREATE SCHEMA bi;
CREATE SCHEMA configuration;

-- Optimus columns hold integer codes (UserCode, DeviceCode, Extension...); ccd
-- names agents, queues, DNIS and extensions with text. stat.code gives every name
-- a stable code: the number itself when the name is a number that is still free
-- (agent 1001 is UserCode 1001), otherwise the next one from 1,000,000 up.
CREATE TABLE stat.code (
    kind        text    NOT NULL, -- agent, queue, dnis, extension, activity, router
    name        text    NOT NULL,
    code        integer NOT NULL,
    description text    NOT NULL DEFAULT '',
    PRIMARY KEY (kind, name),
    UNIQUE (kind, code)
);

CREATE FUNCTION stat.code_of(p_kind text, p_name text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    c integer;
BEGIN
    SELECT code INTO c FROM stat.code WHERE kind = p_kind AND name = p_name;
    IF FOUND THEN
        RETURN c;
    END IF;
    -- One allocator at a time per kind, so two sessions never pick the same code.
    PERFORM pg_advisory_xact_lock(hashtext('stat.code:' || p_kind));
    SELECT code INTO c FROM stat.code WHERE kind = p_kind AND name = p_name;
    IF FOUND THEN
        RETURN c;
    END IF;
    IF p_name ~ '^[0-9]{1,9}$' AND p_name::integer > 1
       AND NOT EXISTS (SELECT 1 FROM stat.code WHERE kind = p_kind AND code = p_name::integer) THEN
        c := p_name::integer;
    ELSIF p_name = '' THEN
        c := 0; -- "none": a not-ready without an activity, a call without a queue
    ELSE
        SELECT greatest(coalesce(max(code), 0), 999999) + 1 INTO c FROM stat.code WHERE kind = p_kind;
    END IF;
    INSERT INTO stat.code (kind, name, code) VALUES (p_kind, p_name, c);
    RETURN c;
END $$;

-- Which agents serve which queue (bi.getallqueuesagents), from the configuration.
CREATE TABLE stat.queueagent (
    queuecode integer NOT NULL,
    usercode  integer NOT NULL,
    PRIMARY KEY (queuecode, usercode)
);

-- One row per call (000 §5.3.4). callid is the id of the call's first event in
-- call_event; ucid is ccd's own call id. Columns after router are ccd's additions.
CREATE TABLE stat.callsstat (
    callid              bigint PRIMARY KEY,
    calltype            smallint NOT NULL,
    dnis                integer,
    clid                varchar(100) NOT NULL DEFAULT '',
    offeredts           timestamptz,
    firstqueuedts       timestamptz,
    answeredts          timestamptz,
    abandonedts         timestamptz,
    transferred2extts   timestamptz,
    endedts             timestamptz,
    initialqueue        integer,
    queuehops           integer NOT NULL DEFAULT 0,
    agent               integer,
    agentextension      integer,
    handledonqueue      integer,
    transferdestination varchar(100) NOT NULL DEFAULT '',
    endtype             smallint NOT NULL,
    agenthops           integer NOT NULL DEFAULT 0,
    adata1              varchar(100) NOT NULL DEFAULT '',
    adata2              varchar(100) NOT NULL DEFAULT '',
    router              integer,
    ucid                text NOT NULL DEFAULT '',
    priority            smallint,
    recording           text NOT NULL DEFAULT '',
    holdcount           integer NOT NULL DEFAULT 0,
    holdtime            integer NOT NULL DEFAULT 0,
    lastts              timestamptz NOT NULL
);
CREATE INDEX callsstat_lastts ON stat.callsstat (lastts);
CREATE INDEX callsstat_offeredts ON stat.callsstat (offeredts);
CREATE INDEX callsstat_clid ON stat.callsstat (clid, offeredts);
CREATE INDEX callsstat_ucid ON stat.callsstat (ucid);

-- Where the live aggregator stands in call_event, and what it remembers (agents'
-- states, calls in progress), written in the same transaction as the rows it
-- produced: after a restart it continues exactly once.
CREATE TABLE stat.aggregator (
    name       text PRIMARY KEY,
    last_id    bigint NOT NULL,
    state      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The quarter-hour tables: the columns of stats.Tables (a store test compares the
-- migrated schema with it). 0004 puts thedate first in their primary keys.
CREATE TABLE stat.agentactivitystat (
    calcts timestamptz NOT NULL,
    thedate timestamptz NOT NULL,
    themonth varchar(7) NOT NULL,
    theweek varchar(11) NOT NULL,
    theday varchar(10) NOT NULL,
    thehour varchar(5) NOT NULL,
    usercode integer NOT NULL,
    activitycode integer NOT NULL,
    activitytime integer NOT NULL DEFAULT 0,
    PRIMARY KEY (usercode, activitycode, thedate)
);
CREATE INDEX agentactivitystat_thedate ON stat.agentactivitystat (thedate);

CREATE TABLE stat.agentbydevicestat (
    calcts timestamptz NOT NULL,
    thedate timestamptz NOT NULL,
    themonth varchar(7) NOT NULL,
    theweek varchar(11) NOT NULL,
    theday varchar(10) NOT NULL,
    thehour varchar(5) NOT NULL,
    usercode integer NOT NULL,
    devicecode integer NOT NULL,
    devicetype integer NOT NULL,
    acdoffered integer NOT NULL DEFAULT 0,
    acdanswered integer NOT NULL DEFAULT 0,
    acdrecalled integer NOT NULL DEFAULT 0,
    acdabdringing integer NOT NULL DEFAULT 0,
    minringtime integer,
    sumringtime integer NOT NULL DEFAULT 0,
    maxringtime integer,
    minacdtalktime integer,
    sumacdtalktime integer NOT NULL DEFAULT 0,
    maxacdtalktime integer,
    holdcount integer NOT NULL DEFAULT 0,
    minholdtime integer,
    sumholdtime integer NOT NULL DEFAULT 0,
    maxholdtime integer,
    minwrapuptime integer,
    sumwrapuptime integer NOT NULL DEFAULT 0,
    maxwrapuptime integer,
    PRIMARY KEY (usercode, devicecode, devicetype, thedate)
);
CREATE INDEX agentbydevicestat_thedate ON stat.agentbydevicestat (thedate);

CREATE TABLE stat.agentstat (
    calcts timestamptz NOT NULL,
    thedate timestamptz NOT NULL,
    themonth varchar(7) NOT NULL,
    theweek varchar(11) NOT NULL,
    theday varchar(10) NOT NULL,
    thehour varchar(5) NOT NULL,
    usercode integer NOT NULL,
    logintime integer NOT NULL DEFAULT 0,
    readytime integer NOT NULL DEFAULT 0,
    notreadytime integer NOT NULL DEFAULT 0,
    idletime integer NOT NULL DEFAULT 0,
    acdoffered integer NOT NULL DEFAULT 0,
    acdanswered integer NOT NULL DEFAULT 0,
    acdrecalled integer NOT NULL DEFAULT 0,
    acdabdringing integer NOT NULL DEFAULT 0,
    intdialed integer NOT NULL DEFAULT 0,
    intansweredto integer NOT NULL DEFAULT 0,
    extdialed integer NOT NULL DEFAULT 0,
    extansweredto integer NOT NULL DEFAULT 0,
    inoffered integer NOT NULL DEFAULT 0,
    inanswered integer NOT NULL DEFAULT 0,
    inabandoned integer NOT NULL DEFAULT 0,
    exoffered integer NOT NULL DEFAULT 0,
    exanswered integer NOT NULL DEFAULT 0,
    exabandoned integer NOT NULL DEFAULT 0,
    holdcount integer NOT NULL DEFAULT 0,
    minholdtime integer,
    sumholdtime integer NOT NULL DEFAULT 0,
    maxholdtime integer,
    minacdcallstalktime integer,
    sumacdcallstalktime integer NOT NULL DEFAULT 0,
    maxacdcallstalktime integer,
    mininintcallstalktime integer,
    suminintcallstalktime integer NOT NULL DEFAULT 0,
    maxinintcallstalktime integer,
    mininextcallstalktime integer,
    suminextcallstalktime integer NOT NULL DEFAULT 0,
    maxinextcallstalktime integer,
    minoutintcallstalktime integer,
    sumoutintcallstalktime integer NOT NULL DEFAULT 0,
    maxoutintcallstalktime integer,
    minoutextcallstalktime integer,
    sumoutextcallstalktime integer NOT NULL DEFAULT 0,
    maxoutextcallstalktime integer,
    minringtime integer,
    sumringtime integer NOT NULL DEFAULT 0,
    maxringtime integer,
    minacwtime integer,
    sumacwtime integer NOT NULL DEFAULT 0,
    maxacwtime integer,
    minoutintgooddialtime integer,
    sumoutintgooddialtime integer NOT NULL DEFAULT 0,
    maxoutintgooddialtime integer,
    minoutintbaddialtime integer,
    sumoutintbaddialtime integer NOT NULL DEFAULT 0,
    maxoutintbaddialtime integer,
    minoutextgooddialtime integer,
    sumoutextgooddialtime integer NOT NULL DEFAULT 0,
    maxoutextgooddialtime integer,
    minoutextbaddialtime integer,
    sumoutextbaddialtime integer NOT NULL DEFAULT 0,
    maxoutextbaddialtime integer,
    minidleoffhooktime integer,
    sumidleoffhooktime integer NOT NULL DEFAULT 0,
    maxidleoffhooktime integer,
    PRIMARY KEY (usercode, thedate)
);
CREATE INDEX agentstat_thedate ON stat.agentstat (thedate);

CREATE TABLE stat.devicestat (
    calcts timestamptz NOT NULL,
    thedate timestamptz NOT NULL,
    themonth varchar(7) NOT NULL,
    theweek varchar(11) NOT NULL,
    theday varchar(10) NOT NULL,
    thehour varchar(5) NOT NULL,
    devicecode integer NOT NULL,
    devicetype integer NOT NULL,
    offered integer NOT NULL DEFAULT 0,
    answered integer NOT NULL DEFAULT 0,
    abandoned integer NOT NULL DEFAULT 0,
    abdringing integer NOT NULL DEFAULT 0,
    overflowedqueue integer NOT NULL DEFAULT 0,
    overflowedtime integer NOT NULL DEFAULT 0,
    overflowedlogin integer NOT NULL DEFAULT 0,
    backflowed integer NOT NULL DEFAULT 0,
    inflowed integer NOT NULL DEFAULT 0,
    tran2def integer NOT NULL DEFAULT 0,
    retfromagent integer NOT NULL DEFAULT 0,
    offeredcb integer NOT NULL DEFAULT 0,
    endedinivr integer NOT NULL DEFAULT 0,
    minanswertime integer,
    sumanswertime integer NOT NULL DEFAULT 0,
    maxanswertime integer,
    minabdtime integer,
    sumabdtime integer NOT NULL DEFAULT 0,
    maxabdtime integer,
    minringtime integer,
    sumringtime integer NOT NULL DEFAULT 0,
    maxringtime integer,
    mintalktime integer,
    sumtalktime integer NOT NULL DEFAULT 0,
    maxtalktime integer,
    holdcount integer NOT NULL DEFAULT 0,
    minholdtime integer,
    sumholdtime integer NOT NULL DEFAULT 0,
    maxholdtime integer,
    minacwtime integer,
    sumacwtime integer NOT NULL DEFAULT 0,
    maxacwtime integer,
    logincount integer NOT NULL DEFAULT 0,
    sumlogintime integer NOT NULL DEFAULT 0,
    sumreadytime integer NOT NULL DEFAULT 0,
    sumnotreadytime integer NOT NULL DEFAULT 0,
    PRIMARY KEY (devicecode, devicetype, thedate)
);
CREATE INDEX devicestat_thedate ON stat.devicestat (thedate);

CREATE TABLE stat.devicetimes (
    calcts timestamptz NOT NULL,
    thedate timestamptz NOT NULL,
    themonth varchar(7) NOT NULL,
    theweek varchar(11) NOT NULL,
    theday varchar(10) NOT NULL,
    thehour varchar(5) NOT NULL,
    devicecode integer NOT NULL,
    devicetype integer NOT NULL,
    timetype integer NOT NULL,
    timeframe integer NOT NULL,
    amount integer NOT NULL DEFAULT 0,
    PRIMARY KEY (devicecode, devicetype, timetype, timeframe, thedate)
);
CREATE INDEX devicetimes_thedate ON stat.devicetimes (thedate);

CREATE TABLE stat.extensionstat (
    calcts timestamptz NOT NULL,
    thedate timestamptz NOT NULL,
    themonth varchar(7) NOT NULL,
    theweek varchar(11) NOT NULL,
    theday varchar(10) NOT NULL,
    thehour varchar(5) NOT NULL,
    extension integer NOT NULL,
    inoffered integer NOT NULL DEFAULT 0,
    inanswered integer NOT NULL DEFAULT 0,
    inabandoned integer NOT NULL DEFAULT 0,
    exoffered integer NOT NULL DEFAULT 0,
    exanswered integer NOT NULL DEFAULT 0,
    exabandoned integer NOT NULL DEFAULT 0,
    intdialed integer NOT NULL DEFAULT 0,
    intansweredto integer NOT NULL DEFAULT 0,
    extdialed integer NOT NULL DEFAULT 0,
    extansweredto integer NOT NULL DEFAULT 0,
    holdcount integer NOT NULL DEFAULT 0,
    minholdtime integer,
    sumholdtime integer NOT NULL DEFAULT 0,
    maxholdtime integer,
    mininintcallstalktime integer,
    suminintcallstalktime integer NOT NULL DEFAULT 0,
    maxinintcallstalktime integer,
    mininextcallstalktime integer,
    suminextcallstalktime integer NOT NULL DEFAULT 0,
    maxinextcallstalktime integer,
    minoutintcallstalktime integer,
    sumoutintcallstalktime integer NOT NULL DEFAULT 0,
    maxoutintcallstalktime integer,
    minoutextcallstalktime integer,
    sumoutextcallstalktime integer NOT NULL DEFAULT 0,
    maxoutextcallstalktime integer,
    minoutintgooddialtime integer,
    sumoutintgooddialtime integer NOT NULL DEFAULT 0,
    maxoutintgooddialtime integer,
    minoutintbaddialtime integer,
    sumoutintbaddialtime integer NOT NULL DEFAULT 0,
    maxoutintbaddialtime integer,
    minoutextgooddialtime integer,
    sumoutextgooddialtime integer NOT NULL DEFAULT 0,
    maxoutextgooddialtime integer,
    minoutextbaddialtime integer,
    sumoutextbaddialtime integer NOT NULL DEFAULT 0,
    maxoutextbaddialtime integer,
    mininintcallsringtime integer,
    suminintcallsringtime integer NOT NULL DEFAULT 0,
    maxinintcallsringtime integer,
    mininextcallsringtime integer,
    suminextcallsringtime integer NOT NULL DEFAULT 0,
    maxinextcallsringtime integer,
    minidleoffhooktime integer,
    sumidleoffhooktime integer NOT NULL DEFAULT 0,
    maxidleoffhooktime integer,
    PRIMARY KEY (extension, thedate)
);
CREATE INDEX extensionstat_thedate ON stat.extensionstat (thedate);

CREATE TABLE stat.routerstat (
    calcts timestamptz NOT NULL,
    thedate timestamptz NOT NULL,
    themonth varchar(7) NOT NULL,
    theweek varchar(11) NOT NULL,
    theday varchar(10) NOT NULL,
    thehour varchar(5) NOT NULL,
    extension integer NOT NULL,
    devicetype integer NOT NULL,
    devicecode integer NOT NULL,
    blockid integer NOT NULL,
    blocktype smallint,
    offered integer NOT NULL DEFAULT 0,
    answered integer NOT NULL DEFAULT 0,
    abandoned integer NOT NULL DEFAULT 0,
    minanswertime integer,
    sumanswertime integer NOT NULL DEFAULT 0,
    maxanswertime integer,
    minabdtime integer,
    sumabdtime integer NOT NULL DEFAULT 0,
    maxabdtime integer,
    PRIMARY KEY (extension, devicetype, devicecode, blockid, thedate)
);
CREATE INDEX routerstat_thedate ON stat.routerstat (thedate);

