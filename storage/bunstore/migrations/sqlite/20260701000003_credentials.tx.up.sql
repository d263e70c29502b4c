CREATE TABLE refresh_tokens (
    digest     TEXT    NOT NULL PRIMARY KEY,
    session_id TEXT    NOT NULL,
    user_id    INTEGER NOT NULL,
    company_id INTEGER,
    created_at TEXT      NOT NULL,
    expires_at TEXT      NOT NULL,
    used_at    TEXT     ,
    revoked_at TEXT     
);
--bun:split
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);
--bun:split
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id   INTEGER NOT NULL REFERENCES companies (id),
    name         TEXT    NOT NULL,
    lookup_id    TEXT    NOT NULL,
    digest       TEXT    NOT NULL,
    permissions  TEXT    NOT NULL DEFAULT '[]',
    created_by   INTEGER NOT NULL DEFAULT 0,
    expires_at   TEXT     ,
    last_used_at TEXT     ,
    revoked_at   TEXT     ,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT      NOT NULL,
    updated_at   TEXT      NOT NULL
);
--bun:split
CREATE UNIQUE INDEX api_tokens_lookup_id_key ON api_tokens (lookup_id);
--bun:split
CREATE INDEX api_tokens_company_id_idx ON api_tokens (company_id, id);
--bun:split
CREATE TABLE idempotency_keys (
    company_id   INTEGER NOT NULL,
    principal    TEXT    NOT NULL,
    "key"        TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    completed    BOOLEAN NOT NULL DEFAULT FALSE,
    status       INTEGER NOT NULL DEFAULT 0,
    content_type TEXT    NOT NULL DEFAULT '',
    body         BLOB,
    created_at   TEXT      NOT NULL,
    expires_at   TEXT      NOT NULL,
    PRIMARY KEY (company_id, principal, "key")
);
--bun:split
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
--bun:split
CREATE TABLE security_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    "at"       TEXT      NOT NULL,
    kind       TEXT    NOT NULL,
    ip         TEXT    NOT NULL DEFAULT '',
    email      TEXT    NOT NULL DEFAULT '',
    user_id    INTEGER NOT NULL DEFAULT 0,
    company_id INTEGER NOT NULL DEFAULT 0,
    detail     TEXT    NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX security_events_at_idx ON security_events ("at");
--bun:split
CREATE INDEX security_events_company_id_at_idx ON security_events (company_id, "at");
