CREATE TABLE settings (
    name       TEXT      NOT NULL PRIMARY KEY,
    value      TEXT      NOT NULL,
    created_at TEXT      NOT NULL
);
