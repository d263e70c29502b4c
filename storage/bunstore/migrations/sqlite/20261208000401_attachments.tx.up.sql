-- Attachments: the metadata of files whose bytes live in the blob store
-- under their SHA-256. Rows are soft-deleted (deleted_at, deleted_by).
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id   INTEGER NOT NULL REFERENCES companies (id),
    owner_kind   TEXT    NOT NULL,
    owner_id     INTEGER NOT NULL,
    ticket_id    INTEGER,
    internal     BOOLEAN NOT NULL DEFAULT FALSE,
    name         TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    uploaded_by  INTEGER,
    created_at   TEXT    NOT NULL,
    deleted_at   TEXT,
    deleted_by   INTEGER
);
--bun:split
CREATE INDEX attachments_owner_idx ON attachments (company_id, owner_kind, owner_id, id);
--bun:split
CREATE INDEX attachments_ticket_idx ON attachments (company_id, ticket_id, id) WHERE ticket_id IS NOT NULL;
--bun:split
CREATE INDEX attachments_sha256_idx ON attachments (sha256);
