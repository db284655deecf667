-- Webhook subscriptions (the employee webhooks, Flexfone's
-- "Medarbejderintegration") and their outbox. A durable consumer of the event
-- log writes one outbox row per message and subscription in the same
-- transaction as its cursor, so every message enters the outbox exactly once;
-- the deliverer sends the rows of a subscription in id order and marks them
-- delivered (at least once: the row's msg_id, from the event id, lets the
-- receiver drop a repeat).
CREATE TABLE webhook_subscription (
    id              text        PRIMARY KEY,
    url             text        NOT NULL,
    format          text        NOT NULL CHECK (format IN ('get', 'form', 'json')),
    secret          text        NOT NULL, -- whsec_<base64 key>, Standard Webhooks
    events          text[]      NOT NULL DEFAULT '{}', -- empty: every kind
    enabled         boolean     NOT NULL DEFAULT true,
    disabled_reason text        NOT NULL DEFAULT '',
    from_config     boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_outbox (
    id           bigserial   PRIMARY KEY,
    subscription text        NOT NULL REFERENCES webhook_subscription ON DELETE CASCADE,
    msg_id       text        NOT NULL, -- webhook-id: the event id and the message kind
    event_id     bigint      NOT NULL,
    type         text        NOT NULL, -- ringing, answered, outgoing, ended
    -- The message's fields in the seed's order, as [[name, value], ...]: json,
    -- not jsonb, keeps the order the receiver gets them in.
    fields       json        NOT NULL,
    state        text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts     int         NOT NULL DEFAULT 0,
    next_at      timestamptz NOT NULL,
    event_at     timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    done_at      timestamptz,
    last_status  int         NOT NULL DEFAULT 0,
    last_error   text        NOT NULL DEFAULT '',
    UNIQUE (subscription, msg_id)
);

-- The deliverer reads each subscription's pending rows in order; an admin
-- lists its dead letters.
CREATE INDEX webhook_outbox_pending ON webhook_outbox (subscription, id) WHERE state = 'pending';
CREATE INDEX webhook_outbox_dead ON webhook_outbox (subscription, id) WHERE state = 'dead';
CREATE INDEX webhook_outbox_done ON webhook_outbox (done_at) WHERE state = 'delivered';
