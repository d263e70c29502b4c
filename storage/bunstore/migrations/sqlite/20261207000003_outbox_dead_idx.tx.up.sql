-- Dead letters are counted at every metrics scrape (Store.OutboxStats):
-- a partial index holds only them, so the count stays cheap however many
-- delivered events the outbox keeps.
CREATE INDEX outbox_dead_idx ON outbox (seq) WHERE dead_at IS NOT NULL;
