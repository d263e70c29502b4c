-- The queue's orders by last update (most recent first) and by resolution
-- due time (soonest first, then the tickets without one) walk these
-- indexes, a page at a time, however many tickets the company has.
CREATE INDEX tickets_company_id_updated_at_idx ON tickets (company_id, updated_at, id);
--bun:split
CREATE INDEX tickets_company_id_resolution_due_at_idx ON tickets (company_id, resolution_due_at, id);
