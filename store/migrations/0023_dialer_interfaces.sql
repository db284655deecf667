-- The dialer's interfaces for CRMs: dispositions (OMniLeads 003 §11.1.1,
-- §18.1.5-18.1.9) with the agent's callbacks ("Agenda"), the campaigns'
-- ids in external CRM systems, and the Optimus SQL interface (seed 000
-- §6.2, §5.4.5) as functions a CRM's database role may run.

-- What an agent may tag a call or contact of a campaign with. kind:
-- normal (OMniLeads "Sin acción"), engaged (OMniLeads "Gestión": the
-- contact was worked), agenda (the agent schedules a callback).
CREATE TABLE dialer.disposition_option (
    disposition_option_id serial  PRIMARY KEY,
    campaign_id           int     NOT NULL REFERENCES dialer.campaign,
    name                  text    NOT NULL CHECK (name <> ''),
    kind                  text    NOT NULL DEFAULT 'normal' CHECK (kind IN ('normal', 'engaged', 'agenda')),
    hidden                boolean NOT NULL DEFAULT false,
    UNIQUE (campaign_id, name)
);

-- A disposition: one per contact (target) and campaign, made by an agent,
-- for a call (callid: ccd's call id or the CRM's; '' when none).
CREATE TABLE dialer.disposition (
    disposition_id        bigserial   PRIMARY KEY,
    campaign_id           int         NOT NULL REFERENCES dialer.campaign,
    target_id             bigint      NOT NULL REFERENCES dialer.target,
    disposition_option_id int         NOT NULL REFERENCES dialer.disposition_option,
    agent                 text        NOT NULL DEFAULT '',
    callid                text        NOT NULL DEFAULT '',
    comments              text        NOT NULL DEFAULT '',
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, target_id)
);
CREATE INDEX disposition_agent ON dialer.disposition (agent, disposition_id);
CREATE INDEX disposition_callid ON dialer.disposition (callid) WHERE callid <> '';

-- The callback an "agenda" disposition schedules: personal (the agent who
-- scheduled it calls back) or global (any agent of the campaign). The target
-- gets status 12 (callback), next_call_ts = callback_at and call_me = 1
-- (personal) or 2 (global).
CREATE TABLE dialer.agenda (
    disposition_id bigint      PRIMARY KEY REFERENCES dialer.disposition ON DELETE CASCADE,
    target_id      bigint      NOT NULL REFERENCES dialer.target,
    agent          text        NOT NULL,
    callback_at    timestamptz NOT NULL,
    kind           text        NOT NULL DEFAULT 'personal' CHECK (kind IN ('personal', 'global')),
    comments       text        NOT NULL DEFAULT ''
);
CREATE INDEX agenda_agent ON dialer.agenda (agent, callback_at);

-- A campaign's id in an external CRM system (OMniLeads idExternalSystem +
-- the campaign's identifier there).
CREATE TABLE dialer.campaign_external (
    external_system_id   int  NOT NULL,
    external_campaign_id text NOT NULL CHECK (external_campaign_id <> ''),
    campaign_id          int  NOT NULL REFERENCES dialer.campaign,
    PRIMARY KEY (external_system_id, external_campaign_id)
);

-- The targets' external ids are looked up by the CRM (idContact with
-- idExternalSystem).
CREATE INDEX target_external ON dialer.target (campaign_id, external_target_id) WHERE external_target_id IS NOT NULL;

-- dialer.phone_problem is why p cannot be dialled (NULL: it can), the rule
-- of dialer.CheckPhone: digits with at most one leading +, at most 20.
CREATE FUNCTION dialer.phone_problem(p text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p IS NULL OR p = '' THEN 'is empty'
        WHEN length(p) > 20 THEN 'is longer than 20 characters'
        WHEN p !~ '^\+?[0-9]+$' THEN 'must be digits with at most one leading +'
    END
$$;

-- Optimus SQL interface (seed 000 §6.2). The functions that write run as
-- their owner (SECURITY DEFINER, with a fixed search_path) so that the CRM's
-- role needs no privilege on the tables; EXECUTE is taken from PUBLIC and
-- given to that role only (store.EnsureCRMRole).

-- [Dialer].[InsertTargetToCampaign]: adds a target, returns its id. Errors
-- name the parameter (SQLSTATE 22023 invalid_parameter_value, or P0002
-- no_data_found for an unknown campaign).
CREATE FUNCTION dialer.inserttargettocampaign(
    campaigncode int, name text, lastname text, phonei text, phoneii text, phoneiii text,
    datai text, dataii text, dataiii text, filenumber int, priority int, external_target_id int)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    prio int := coalesce(inserttargettocampaign.priority, 2);
    problem text;
    id bigint;
BEGIN
    PERFORM 1 FROM dialer.campaign c WHERE c.campaign_id = campaigncode AND NOT c.hidden FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'campaigncode: no campaign %', campaigncode USING ERRCODE = 'no_data_found';
    END IF;
    problem := dialer.phone_problem(phonei);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'phonei: %', problem USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(phoneii, '') <> '' AND dialer.phone_problem(phoneii) IS NOT NULL THEN
        RAISE EXCEPTION 'phoneii: %', dialer.phone_problem(phoneii) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(phoneiii, '') <> '' AND dialer.phone_problem(phoneiii) IS NOT NULL THEN
        RAISE EXCEPTION 'phoneiii: %', dialer.phone_problem(phoneiii) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF prio NOT BETWEEN 1 AND 3 THEN
        RAISE EXCEPTION 'priority: must be 1 (high), 2 (medium) or 3 (low)' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF length(coalesce(name, '')) > 100 OR length(coalesce(lastname, '')) > 100 OR length(coalesce(datai, '')) > 100
       OR length(coalesce(dataii, '')) > 100 OR length(coalesce(dataiii, '')) > 100 THEN
        RAISE EXCEPTION 'name, lastname, datai..dataiii: at most 100 characters each' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO dialer.target (campaign_id, first_name, last_name, phone_i, phone_ii, phone_iii, data_i, data_ii, data_iii,
                               priority, file_number, external_target_id)
    VALUES (campaigncode, coalesce(name, ''), coalesce(lastname, ''), phonei, coalesce(phoneii, ''), coalesce(phoneiii, ''),
            coalesce(datai, ''), coalesce(dataii, ''), coalesce(dataiii, ''), prio, filenumber,
            inserttargettocampaign.external_target_id)
    RETURNING target_id INTO id;
    RETURN id;
END $$;

-- [Dialer].[DeleteTarget]: the target with id code leaves its campaign: it
-- gets the status "removed" (13) and is never dialled again; its history
-- stays. Returns whether there was such a target.
CREATE FUNCTION dialer.deletetarget(code bigint) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH t AS (
        UPDATE dialer.target SET status_code = 13, next_call_ts = NULL
         WHERE target_id = code RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM t)
$$;

-- [Dialer].[GetTargetsLastStatus]: the status code of the newest target of
-- the campaign with that phone (any of its three), NULL when none.
CREATE FUNCTION dialer.gettargetslaststatus(campaign int, phonenumber text) RETURNS int
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT t.status_code FROM dialer.target t
     WHERE t.campaign_id = campaign AND phonenumber IN (t.phone_i, t.phone_ii, t.phone_iii)
     ORDER BY t.target_id DESC LIMIT 1
$$;

-- The BI functions read the dialer's tables as their owner: the BI and CRM
-- roles run them without any privilege on schema dialer.
ALTER FUNCTION dialer.getcallstatusdescription(int, int) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION bi.getdialertargetsbystatus(int, timestamptz, timestamptz, int) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- [BI].[DialerTargetsData] (seed 000 §5.4.5): the targets whose ids are in
-- the comma-separated list, with their campaign and the last disposition's
-- call (agent, dial and talk seconds, recording) from the call records. Ids
-- that are not whole numbers are ignored, like unknown ones.
CREATE FUNCTION bi.dialertargetsdata(targets text)
RETURNS TABLE (targetid bigint, firstdialts timestamptz, nextdialts timestamptz, lastdialts timestamptz,
               campaigncode int, campaignname text, queuename text, agentname text, diallength numeric,
               calltalklength numeric, recordingpath text, totaldials numeric, dayscount numeric,
               currentstatus text, curreststatuscode int, timesincelastcall numeric,
               phonei text, phoneii text, phoneiii text, datai text, dataii text, dataiii text,
               firstname text, lastname text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH ids AS (
        SELECT DISTINCT btrim(x)::bigint AS id
          FROM unnest(string_to_array(coalesce(targets, ''), ',')) AS x
         WHERE btrim(x) ~ '^[0-9]{1,18}$'
    )
    SELECT t.target_id, t.first_call_ts, t.next_call_ts, t.last_call_ts,
           c.campaign_id, c.name, coalesce(nullif(qc.description, ''), c.queue_code),
           coalesce(nullif(ac.description, ''), d.agent),
           round(extract(epoch FROM cs.answeredts - cs.offeredts)::numeric, 0),
           round(extract(epoch FROM cs.endedts - cs.answeredts)::numeric, 0),
           nullif(cs.recording, ''),
           t.total_dials,
           CASE WHEN t.first_call_ts IS NULL THEN 0
                ELSE (t.last_call_ts::date - t.first_call_ts::date) + 1 END,
           coalesce(sd.description, s.name), t.status_code,
           round(extract(epoch FROM now() - t.last_call_ts)::numeric, 0),
           t.phone_i, t.phone_ii, t.phone_iii, t.data_i, t.data_ii, t.data_iii, t.first_name, t.last_name
      FROM ids
      JOIN dialer.target t ON t.target_id = ids.id
      JOIN dialer.campaign c ON c.campaign_id = t.campaign_id
      JOIN dialer.status_code s ON s.status_code = t.status_code
      LEFT JOIN dialer.status_description sd ON sd.status_code = t.status_code AND sd.language_id = 1
      LEFT JOIN stat.code qc ON qc.kind = 'queue' AND qc.name = c.queue_code
      LEFT JOIN dialer.disposition d ON d.target_id = t.target_id AND d.campaign_id = t.campaign_id
      LEFT JOIN stat.code ac ON ac.kind = 'agent' AND ac.name = d.agent
      LEFT JOIN LATERAL (
          SELECT * FROM stat.callsstat x
           WHERE d.callid <> '' AND (x.ucid = d.callid OR (d.callid ~ '^[0-9]{1,18}$' AND x.callid = d.callid::bigint))
           ORDER BY x.lastts DESC LIMIT 1
      ) cs ON true
     ORDER BY t.target_id
$$;

REVOKE EXECUTE ON FUNCTION dialer.inserttargettocampaign(int, text, text, text, text, text, text, text, text, int, int, int),
    dialer.deletetarget(bigint), dialer.gettargetslaststatus(int, text), dialer.getcallstatusdescription(int, int),
    dialer.phone_problem(text), bi.getdialertargetsbystatus(int, timestamptz, timestamptz, int),
    bi.dialertargetsdata(text) FROM PUBLIC;
