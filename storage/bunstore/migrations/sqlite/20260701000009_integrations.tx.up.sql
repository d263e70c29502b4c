-- Integrations: WhatsApp Cloud API settings, notification rules and
-- messages, and the AI gateway's settings.
--
-- Secrets (access_token, app_secret, api_key) are stored as given, like
-- the installation settings: the API never returns them. The verify token
-- of the WhatsApp handshake is stored as its SHA-256 digest.
CREATE TABLE whatsapp_settings (
    company_id          INTEGER NOT NULL PRIMARY KEY REFERENCES companies (id),
    enabled             BOOLEAN NOT NULL DEFAULT FALSE,
    base_url            TEXT    NOT NULL DEFAULT '',
    api_version         TEXT    NOT NULL DEFAULT '',
    phone_number_id     TEXT    NOT NULL DEFAULT '',
    access_token        TEXT    NOT NULL DEFAULT '',
    app_secret          TEXT    NOT NULL DEFAULT '',
    verify_token_digest TEXT    NOT NULL DEFAULT '',
    last_success_at     TEXT     ,
    last_error          TEXT    NOT NULL DEFAULT '',
    last_error_at       TEXT     ,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT      NOT NULL,
    updated_at          TEXT      NOT NULL
);
--bun:split
-- Inbound notifications name the business number before the company is
-- known; the handshake names only the verify token.
CREATE UNIQUE INDEX whatsapp_settings_phone_number_id_key ON whatsapp_settings (phone_number_id)
    WHERE phone_number_id <> '';
--bun:split
CREATE UNIQUE INDEX whatsapp_settings_verify_token_digest_key ON whatsapp_settings (verify_token_digest)
    WHERE verify_token_digest <> '';
--bun:split
-- parameters is a JSON array of event data field names.
CREATE TABLE whatsapp_rules (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id    INTEGER NOT NULL REFERENCES companies (id),
    event_type    TEXT    NOT NULL,
    template_name TEXT    NOT NULL,
    language      TEXT    NOT NULL,
    parameters    TEXT    NOT NULL DEFAULT '[]',
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT      NOT NULL,
    updated_at    TEXT      NOT NULL
);
--bun:split
CREATE INDEX whatsapp_rules_company_id_event_type_idx ON whatsapp_rules (company_id, event_type, id);
--bun:split
CREATE TABLE whatsapp_messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id    INTEGER NOT NULL REFERENCES companies (id),
    direction     TEXT    NOT NULL,
    wa_message_id TEXT    NOT NULL DEFAULT '',
    contact_id    INTEGER NOT NULL,
    phone         TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    body          TEXT    NOT NULL DEFAULT '',
    event_id      TEXT    NOT NULL DEFAULT '',
    rule_id       INTEGER NOT NULL DEFAULT 0,
    ticket_id     INTEGER,
    status        TEXT    NOT NULL,
    error         TEXT    NOT NULL DEFAULT '',
    created_at    TEXT      NOT NULL,
    updated_at    TEXT      NOT NULL,
    sent_at       TEXT     ,
    delivered_at  TEXT     ,
    read_at       TEXT     ,
    failed_at     TEXT     ,
    FOREIGN KEY (company_id, contact_id) REFERENCES contacts (company_id, id),
    FOREIGN KEY (company_id, ticket_id) REFERENCES tickets (company_id, id)
);
--bun:split
-- Status callbacks and retried inbound notifications find messages by the
-- Cloud API's ID.
CREATE UNIQUE INDEX whatsapp_messages_company_id_wa_message_id_key ON whatsapp_messages (company_id, wa_message_id)
    WHERE wa_message_id <> '';
--bun:split
-- A redelivered event sends each rule's message once.
CREATE UNIQUE INDEX whatsapp_messages_company_id_event_id_rule_id_key ON whatsapp_messages (company_id, event_id, rule_id)
    WHERE event_id <> '';
--bun:split
-- Inbound messages find their sender among the company's contacts.
CREATE INDEX contacts_company_id_phone_idx ON contacts (company_id, phone);
--bun:split
CREATE TABLE ai_settings (
    company_id      INTEGER NOT NULL PRIMARY KEY REFERENCES companies (id),
    enabled         BOOLEAN NOT NULL DEFAULT FALSE,
    provider        TEXT    NOT NULL DEFAULT 'builtin',
    base_url        TEXT    NOT NULL DEFAULT '',
    model           TEXT    NOT NULL DEFAULT '',
    api_key         TEXT    NOT NULL DEFAULT '',
    threshold       REAL    NOT NULL DEFAULT 0.7,
    last_success_at TEXT     ,
    last_error      TEXT    NOT NULL DEFAULT '',
    last_error_at   TEXT     ,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT      NOT NULL,
    updated_at      TEXT      NOT NULL
);
