-- Per-aggregate sequence numbers of webhook deliveries (1, 2, 3... per
-- endpoint and aggregate, sent in the body so receivers can tell a gap).
ALTER TABLE webhook_deliveries ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
--bun:split
UPDATE webhook_deliveries SET seq = (SELECT count(*) FROM webhook_deliveries p WHERE p.company_id = webhook_deliveries.company_id
    AND p.endpoint_id = webhook_deliveries.endpoint_id AND p.aggregate_key = webhook_deliveries.aggregate_key
    AND p.id <= webhook_deliveries.id);
--bun:split
CREATE INDEX webhook_deliveries_seq_idx ON webhook_deliveries (company_id, endpoint_id, aggregate_key, seq);
--bun:split
-- The unique key of an endpoint's event (ON CONFLICT's arbiter) leads with
-- event_id: enqueueing looks an endpoint's event up through it alone,
-- comparing the endpoint and company as expressions (endpoint_id + 0), so
-- that no planner, misled by the statistics of a table that has just
-- filled up, probes an index by company and endpoint instead and reads
-- every delivery of the endpoint for each new one.
DROP INDEX webhook_deliveries_event_key;
--bun:split
CREATE UNIQUE INDEX webhook_deliveries_event_key ON webhook_deliveries (event_id, endpoint_id, company_id);
--bun:split
-- The dispatcher that claimed a pending delivery ('' when none); its claim
-- lasts until next_attempt_at, and a live dispatcher renews it.
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
--bun:split
-- Finished deliveries have no next attempt.
UPDATE webhook_deliveries SET next_attempt_at = coalesce(delivered_at, updated_at) WHERE status <> 'pending';
--bun:split
-- A failed delivery holds back the later ones of its aggregate: the
-- ordering checks look at pending and failed deliveries.
DROP INDEX webhook_deliveries_aggregate_idx;
--bun:split
CREATE INDEX webhook_deliveries_aggregate_idx ON webhook_deliveries (company_id, endpoint_id, aggregate_key, id)
    WHERE status IN ('pending', 'failed');
--bun:split
-- The first failure since the last success: endpoints failing for too
-- long are disabled.
ALTER TABLE webhook_endpoints ADD COLUMN failing_since TEXT;
--bun:split
-- The secret before the last rotation, still signing until
-- previous_secret_until.
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_until TEXT;
