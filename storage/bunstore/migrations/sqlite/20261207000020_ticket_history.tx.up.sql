-- The history of each ticket: one row per change, written in the unit of
-- work of the change. Internal rows (internal notes) are shown to staff
-- only.
CREATE TABLE ticket_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id    INTEGER NOT NULL REFERENCES companies (id),
    ticket_id     INTEGER NOT NULL,
    "at"          TEXT    NOT NULL,
    actor_user_id INTEGER NOT NULL DEFAULT 0,
    action        TEXT    NOT NULL,
    field         TEXT    NOT NULL DEFAULT '',
    from_value    TEXT    NOT NULL DEFAULT '',
    to_value      TEXT    NOT NULL DEFAULT '',
    note          TEXT    NOT NULL DEFAULT '',
    internal      BOOLEAN NOT NULL DEFAULT FALSE,
    FOREIGN KEY (company_id, ticket_id) REFERENCES tickets (company_id, id)
);
--bun:split
CREATE INDEX ticket_history_company_id_ticket_id_idx ON ticket_history (company_id, ticket_id, id);
