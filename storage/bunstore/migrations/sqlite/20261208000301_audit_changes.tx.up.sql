-- The audit trail of changes: who changed what in users, companies, API
-- tokens, webhooks, integration settings and serial settings, written in
-- the unit of work of the change. fields is a JSON array of
-- {"field", "old", "new", "secret"}; secrets are never stored, only
-- marked as changed. company_id 0 is what belongs to no company
-- (platform admins).
CREATE TABLE audit_changes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    "at"           TEXT NOT NULL,
    company_id     BIGINT      NOT NULL DEFAULT 0,
    actor_kind     TEXT        NOT NULL,
    actor_user_id  BIGINT      NOT NULL DEFAULT 0,
    actor_token_id BIGINT      NOT NULL DEFAULT 0,
    ip             TEXT        NOT NULL DEFAULT '',
    request_id     TEXT        NOT NULL DEFAULT '',
    entity_type    TEXT        NOT NULL,
    entity_id      TEXT        NOT NULL,
    action         TEXT        NOT NULL,
    fields         TEXT        NOT NULL DEFAULT '[]'
);
--bun:split
CREATE INDEX audit_changes_company_id_id_idx ON audit_changes (company_id, id);
--bun:split
CREATE INDEX audit_changes_at_idx ON audit_changes ("at");
--bun:split
-- Security events that come in floods (rate-limited requests, invalid
-- tokens, refused hosts...) are aggregated per source and kind over an
-- interval: one row counts them, from "at" to last_at.
ALTER TABLE security_events ADD COLUMN occurrences BIGINT NOT NULL DEFAULT 1;
--bun:split
ALTER TABLE security_events ADD COLUMN last_at TEXT;
