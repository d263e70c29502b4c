-- Tickets (Chamado), their comments and the per-company number counter.
--
-- A ticket references its requester, assignee and asset through composite
-- keys (company_id, ...): a ticket of one company can never point at a row
-- of another. The unique (company_id, id) indexes on contacts and users
-- exist for these keys.
CREATE UNIQUE INDEX contacts_company_id_id_key ON contacts (company_id, id);
--bun:split
CREATE UNIQUE INDEX users_company_id_id_key ON users (company_id, id);
--bun:split
-- next_number is the number the next ticket of the company gets; the row
-- is created by the first ticket (upsert ... RETURNING) and locked by the
-- unit of work that allocates, so numbers are gapless.
CREATE TABLE ticket_counters (
    company_id  INTEGER NOT NULL PRIMARY KEY REFERENCES companies (id),
    next_number INTEGER NOT NULL
);
--bun:split
-- tags is a JSON array of strings; pauses a JSON array of {"from","to"}
-- objects with RFC 3339 times ("to" omitted while the pause is open).
CREATE TABLE tickets (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id           INTEGER NOT NULL REFERENCES companies (id),
    number               INTEGER NOT NULL,
    title                TEXT    NOT NULL,
    description          TEXT    NOT NULL DEFAULT '',
    priority             TEXT    NOT NULL,
    category             TEXT    NOT NULL DEFAULT '',
    channel              TEXT    NOT NULL,
    tags                 TEXT    NOT NULL DEFAULT '[]',
    requester_contact_id INTEGER NOT NULL,
    assignee_user_id     INTEGER,
    asset_id             INTEGER,
    status               TEXT    NOT NULL,
    resolution_note      TEXT    NOT NULL DEFAULT '',
    cancel_reason        TEXT    NOT NULL DEFAULT '',
    reopen_count         INTEGER NOT NULL DEFAULT 0,
    pauses               TEXT    NOT NULL DEFAULT '[]',
    sla_state            TEXT    NOT NULL DEFAULT '',
    response_due_at      TEXT     ,
    resolution_due_at    TEXT     ,
    sla_flags            INTEGER NOT NULL DEFAULT 0,
    next_sla_check_at    TEXT     ,
    first_response_at    TEXT     ,
    resolved_at          TEXT     ,
    closed_at            TEXT     ,
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           TEXT      NOT NULL,
    updated_at           TEXT      NOT NULL,
    FOREIGN KEY (company_id, requester_contact_id) REFERENCES contacts (company_id, id),
    FOREIGN KEY (company_id, assignee_user_id) REFERENCES users (company_id, id),
    FOREIGN KEY (company_id, asset_id) REFERENCES assets (company_id, id)
);
--bun:split
CREATE UNIQUE INDEX tickets_company_id_number_key ON tickets (company_id, number);
--bun:split
CREATE UNIQUE INDEX tickets_company_id_id_key ON tickets (company_id, id);
--bun:split
CREATE INDEX tickets_company_id_status_idx ON tickets (company_id, status, id);
--bun:split
CREATE INDEX tickets_company_id_priority_idx ON tickets (company_id, priority, id);
--bun:split
CREATE INDEX tickets_company_id_assignee_idx ON tickets (company_id, assignee_user_id, id);
--bun:split
CREATE INDEX tickets_company_id_requester_idx ON tickets (company_id, requester_contact_id, id);
--bun:split
CREATE INDEX tickets_company_id_asset_idx ON tickets (company_id, asset_id, id);
--bun:split
CREATE INDEX tickets_company_id_sla_state_idx ON tickets (company_id, sla_state, id);
--bun:split
-- Covering index of the analytics over the creation window: counts by
-- status and priority, tickets created per day, first response and
-- resolution durations read no table row.
CREATE INDEX tickets_company_id_created_at_idx
    ON tickets (company_id, created_at, status, priority, first_response_at, resolved_at);
--bun:split
-- Covering index of the resolutions in a window (per day, SLA compliance).
CREATE INDEX tickets_company_id_resolved_at_idx ON tickets (company_id, resolved_at, resolution_due_at)
    WHERE resolved_at IS NOT NULL;
--bun:split
-- Covering index of the active tickets, in ID order: the backlog, the
-- load per agent and each escalation query (ORDER BY id LIMIT 100) read
-- only this index, however many resolved tickets the company has (status
-- is included for SQLite to see that the index covers). Queries repeat the
-- WHERE clause word for word so that the planners can use it.
CREATE INDEX tickets_company_id_active_idx
    ON tickets (company_id, id, number, assignee_user_id, created_at, updated_at, sla_state, priority, reopen_count, status)
    WHERE status NOT IN ('resolved', 'closed', 'cancelled');
--bun:split
-- The SLA worker looks across companies for the checks that are due.
CREATE INDEX tickets_next_sla_check_at_idx ON tickets (next_sla_check_at)
    WHERE next_sla_check_at IS NOT NULL;
--bun:split
-- Text search over title and description, as assets_fts (see the
-- inventory migration): words are runs of letters and digits, case-folded,
-- queried with "term"* prefixes.
CREATE VIRTUAL TABLE tickets_fts USING fts5 (
    title, description,
    content = 'tickets', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '2 3 4'
);
--bun:split
CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO tickets_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
--bun:split
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
END;
--bun:split
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title, description ON tickets
WHEN old.title IS NOT new.title OR old.description IS NOT new.description
BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO tickets_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
--bun:split
CREATE TABLE ticket_comments (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id     INTEGER NOT NULL REFERENCES companies (id),
    ticket_id      INTEGER NOT NULL,
    author_user_id INTEGER NOT NULL DEFAULT 0,
    body           TEXT    NOT NULL,
    internal       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TEXT      NOT NULL,
    FOREIGN KEY (company_id, ticket_id) REFERENCES tickets (company_id, id)
);
--bun:split
CREATE INDEX ticket_comments_company_id_ticket_id_idx ON ticket_comments (company_id, ticket_id, id);
