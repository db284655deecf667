-- Every change of the live configuration notifies channel ccd_acd_config
-- from the changing transaction: PostgreSQL delivers the notification at
-- commit, and not at all when the change is rolled back. Every ccd on the
-- database listens and reads the configuration again, so a change made
-- through one instance reaches the others (store.ConfigChannel).
CREATE FUNCTION notify_acd_config() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ccd_acd_config', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER acd_config_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON acd_config
    FOR EACH STATEMENT EXECUTE FUNCTION notify_acd_config();
