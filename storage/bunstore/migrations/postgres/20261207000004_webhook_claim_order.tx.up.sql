-- The dispatcher claims pending deliveries in the order they were made
-- (by id), so that a claim cut short by its limit never takes an
-- aggregate's later delivery without the earlier one, whose retry may
-- fall due after it. The index it walks holds only pending deliveries,
-- in that order; the one by due time is no longer read.
DROP INDEX webhook_deliveries_due_idx;
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (id) WHERE status = 'pending';
