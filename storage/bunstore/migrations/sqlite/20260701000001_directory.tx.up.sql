-- Timestamps are TEXT as bun writes them ('2026-07-01 12:00:00.123456+00:00'),
-- which sort and compare in time order. Declared TEXT, not TIMESTAMP: the
-- driver parses a TIMESTAMP column's text itself, trying a layout that
-- never matches first, then bun converts its result; a TEXT column goes to
-- bun's one parse (a tenth of the CPU of reading a page of 50 tickets).
CREATE TABLE companies (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    legal_name TEXT    NOT NULL DEFAULT '',
    cnpj       TEXT    NOT NULL DEFAULT '',
    timezone   TEXT    NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT      NOT NULL,
    updated_at TEXT      NOT NULL
);
--bun:split
CREATE UNIQUE INDEX companies_cnpj_key ON companies (cnpj) WHERE cnpj <> '';
--bun:split
CREATE TABLE contacts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id      INTEGER NOT NULL REFERENCES companies (id),
    name            TEXT    NOT NULL,
    email           TEXT    NOT NULL DEFAULT '',
    phone           TEXT    NOT NULL DEFAULT '',
    whatsapp_opt_in BOOLEAN NOT NULL DEFAULT FALSE,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT      NOT NULL,
    updated_at      TEXT      NOT NULL
);
--bun:split
CREATE INDEX contacts_company_id_idx ON contacts (company_id, id);
--bun:split
CREATE UNIQUE INDEX contacts_company_id_email_key ON contacts (company_id, email) WHERE email <> '';
--bun:split
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id    INTEGER REFERENCES companies (id),
    contact_id    INTEGER REFERENCES contacts (id),
    email         TEXT    NOT NULL,
    password_hash BLOB    NOT NULL,
    role          TEXT    NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT      NOT NULL,
    updated_at    TEXT      NOT NULL
);
--bun:split
CREATE UNIQUE INDEX users_email_key ON users (email);
--bun:split
CREATE UNIQUE INDEX users_contact_id_key ON users (contact_id);
--bun:split
CREATE INDEX users_company_id_idx ON users (company_id, id);
