-- The outbox no longer notifies from inside the writing transactions: a
-- transaction that has called NOTIFY holds PostgreSQL's notification
-- queue lock from its pre-commit to the end of its commit, WAL flush
-- included, so every unit of work that wrote events committed one at a
-- time. The store now sends one NOTIFY boladao_outbox after such commits,
-- coalescing those that come while one is on its way.
DROP TRIGGER outbox_notify ON outbox;
--bun:split
DROP FUNCTION boladao_outbox_notify();
