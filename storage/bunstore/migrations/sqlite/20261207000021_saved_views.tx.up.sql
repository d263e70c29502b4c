-- Saved views of the ticket queue, per user: a name unique per user and
-- the queue's query string, in the user's order.
CREATE TABLE saved_views (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    user_id    INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    query      TEXT    NOT NULL DEFAULT '',
    position   INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id)
);
--bun:split
CREATE UNIQUE INDEX saved_views_company_id_user_id_name_key ON saved_views (company_id, user_id, name);
--bun:split
CREATE UNIQUE INDEX saved_views_company_id_user_id_position_key ON saved_views (company_id, user_id, position);
