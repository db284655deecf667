-- Per-campaign results of the dialer per quarter-hour (ccd's own table; the
-- columns are in stats.Tables). Attempts count in the quarter-hour the call
-- was placed, the results in the one it ended. A campaign's abandon rate
-- over any span is sum(abandoned) / sum(answered_human): answered_human
-- includes the abandoned calls (a person answered them). talktime is the
-- seconds the ACD had the campaign's calls connected, counted at their end.
CREATE TABLE stat.campaignstat (
    calcts timestamptz NOT NULL,
    thedate timestamptz NOT NULL,
    themonth varchar(7) NOT NULL,
    theweek varchar(11) NOT NULL,
    theday varchar(10) NOT NULL,
    thehour varchar(5) NOT NULL,
    campaignid integer NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    answered_human integer NOT NULL DEFAULT 0,
    answered_machine integer NOT NULL DEFAULT 0,
    no_answer integer NOT NULL DEFAULT 0,
    busy integer NOT NULL DEFAULT 0,
    congestion integer NOT NULL DEFAULT 0,
    failed integer NOT NULL DEFAULT 0,
    abandoned integer NOT NULL DEFAULT 0,
    talktime integer NOT NULL DEFAULT 0,
    PRIMARY KEY (thedate, campaignid)
);
