-- The CRM external sites (sites and the queues' parameters) as the admin
-- API last set them: one row, the whole set as JSON. ccd fills it from
-- the configuration file at its first start.
CREATE TABLE external_sites (
    id         smallint    PRIMARY KEY CHECK (id = 1),
    config     jsonb       NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
