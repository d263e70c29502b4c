CREATE TABLE outbox (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT    NOT NULL UNIQUE,
    type           TEXT    NOT NULL,
    company_id     INTEGER NOT NULL,
    aggregate_type TEXT    NOT NULL,
    aggregate_id   TEXT    NOT NULL,
    occurred_at    TEXT      NOT NULL,
    actor_user_id  INTEGER NOT NULL DEFAULT 0,
    data           TEXT    NOT NULL
);
--bun:split
CREATE INDEX outbox_company_id_idx ON outbox (company_id, seq);
