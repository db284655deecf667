-- Call flows and day/night switches are items of the live configuration
-- too: the admin API changes them while ccd runs, like queues.
ALTER TABLE acd_config DROP CONSTRAINT acd_config_kind_check;
ALTER TABLE acd_config ADD CONSTRAINT acd_config_kind_check
    CHECK (kind IN ('queue', 'agent', 'group', 'route', 'activity', 'flow', 'switch'));
