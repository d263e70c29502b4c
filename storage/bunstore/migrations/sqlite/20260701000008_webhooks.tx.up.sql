-- Delivery state of outbox events, read and written by the relay
-- (events.Relay). An event is pending while delivered_at is NULL; the relay
-- claims due pending rows with FOR UPDATE SKIP LOCKED, so several relays
-- share the work. dead_at marks a dead letter (delivered_at is set too, so
-- the relay stops; pruning keeps dead letters).
ALTER TABLE outbox ADD COLUMN delivered_at TEXT;
--bun:split
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
--bun:split
ALTER TABLE outbox ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE outbox ADD COLUMN dead_at TEXT;
--bun:split
-- The relay's work queue: the pending rows of every company, in order.
CREATE INDEX outbox_pending_idx ON outbox (seq) WHERE delivered_at IS NULL;
--bun:split
-- Pruning finds old delivered rows of every company.
CREATE INDEX outbox_delivered_at_idx ON outbox (delivered_at) WHERE dead_at IS NULL;
--bun:split
-- Webhook endpoints of a company. secret is the whsec_ signing secret
-- (needed in clear to sign); events is a JSON array of type patterns.
CREATE TABLE webhook_endpoints (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id           INTEGER      NOT NULL REFERENCES companies (id),
    url                  TEXT        NOT NULL,
    secret               TEXT        NOT NULL,
    events               TEXT       NOT NULL DEFAULT '[]',
    description          TEXT        NOT NULL DEFAULT '',
    active               BOOLEAN     NOT NULL DEFAULT TRUE,
    disabled_reason      TEXT        NOT NULL DEFAULT '',
    consecutive_failures INTEGER     NOT NULL DEFAULT 0,
    created_at           TEXT      NOT NULL,
    updated_at           TEXT      NOT NULL,
    version              INTEGER      NOT NULL DEFAULT 1
);
--bun:split
CREATE INDEX webhook_endpoints_company_id_idx ON webhook_endpoints (company_id, id);
--bun:split
-- One delivery per endpoint and event (the UNIQUE key makes enqueueing
-- idempotent when the relay hands an event over twice). payload is the
-- exact body that is signed and sent. aggregate_key orders the deliveries
-- of one aggregate.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id       INTEGER      NOT NULL,
    endpoint_id      INTEGER      NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         TEXT        NOT NULL,
    event_type       TEXT        NOT NULL,
    aggregate_key    TEXT        NOT NULL,
    payload          TEXT        NOT NULL,
    status           TEXT        NOT NULL,
    attempts         INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at  TEXT      NOT NULL,
    last_status_code INTEGER     NOT NULL DEFAULT 0,
    last_error       TEXT        NOT NULL DEFAULT '',
    created_at       TEXT      NOT NULL,
    updated_at       TEXT      NOT NULL,
    delivered_at     TEXT     
);
--bun:split
CREATE UNIQUE INDEX webhook_deliveries_event_key ON webhook_deliveries (company_id, endpoint_id, event_id);
--bun:split
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (company_id, endpoint_id, id);
--bun:split
CREATE INDEX webhook_deliveries_aggregate_idx ON webhook_deliveries (company_id, endpoint_id, aggregate_key, id) WHERE status = 'pending';
--bun:split
-- The dispatcher's work queue: due deliveries of every company.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
--bun:split
-- Pruning finds finished deliveries of every company by age.
CREATE INDEX webhook_deliveries_done_idx ON webhook_deliveries (updated_at) WHERE status <> 'pending';
--bun:split
-- One row per HTTP attempt: the delivery log.
CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id  INTEGER      NOT NULL,
    endpoint_id INTEGER      NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    delivery_id INTEGER      NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at          TEXT      NOT NULL,
    status_code INTEGER     NOT NULL DEFAULT 0,
    latency_ms  INTEGER     NOT NULL DEFAULT 0,
    response    TEXT        NOT NULL DEFAULT '',
    error       TEXT        NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (company_id, delivery_id, id);
--bun:split
CREATE INDEX webhook_attempts_endpoint_idx ON webhook_attempts (company_id, endpoint_id, at);
