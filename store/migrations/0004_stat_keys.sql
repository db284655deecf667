-- The quarter-hour tables' primary keys start with thedate. Rows are written in
-- time order (the live aggregator's current quarter-hour, a rebuild's range), so
-- with thedate first every insert lands at the right edge of the index instead of
-- in one random leaf per row: a month's rebuild writes five million rows, and the
-- random order made index maintenance cost three times the rows themselves. The
-- same key serves the reads, which are all by range ("one day of agentstat",
-- "this month for queue 5"), so the separate thedate indexes go.
ALTER TABLE stat.agentactivitystat DROP CONSTRAINT agentactivitystat_pkey,
    ADD PRIMARY KEY (thedate, usercode, activitycode);
DROP INDEX stat.agentactivitystat_thedate;

ALTER TABLE stat.agentbydevicestat DROP CONSTRAINT agentbydevicestat_pkey,
    ADD PRIMARY KEY (thedate, usercode, devicecode, devicetype);
DROP INDEX stat.agentbydevicestat_thedate;

ALTER TABLE stat.agentstat DROP CONSTRAINT agentstat_pkey,
    ADD PRIMARY KEY (thedate, usercode);
DROP INDEX stat.agentstat_thedate;

ALTER TABLE stat.devicestat DROP CONSTRAINT devicestat_pkey,
    ADD PRIMARY KEY (thedate, devicecode, devicetype);
DROP INDEX stat.devicestat_thedate;

ALTER TABLE stat.devicetimes DROP CONSTRAINT devicetimes_pkey,
    ADD PRIMARY KEY (thedate, devicecode, devicetype, timetype, timeframe);
DROP INDEX stat.devicetimes_thedate;

ALTER TABLE stat.extensionstat DROP CONSTRAINT extensionstat_pkey,
    ADD PRIMARY KEY (thedate, extension);
DROP INDEX stat.extensionstat_thedate;

ALTER TABLE stat.routerstat DROP CONSTRAINT routerstat_pkey,
    ADD PRIMARY KEY (thedate, extension, devicetype, devicecode, blockid);
DROP INDEX stat.routerstat_thedate;
