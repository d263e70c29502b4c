-- Service orders (Ordem de Servico), their activities and time logs, the
-- parts they consumed, and the per-company, per-year number counter.
--
-- References go through composite keys (company_id, ...), so an order of
-- one company can never point at another company's ticket, asset, user or
-- stock item.
--
-- next_seq is the sequence number the next order of the company and year
-- gets; the row is created by the year's first order (upsert ...
-- RETURNING) and held by the unit of work that allocates, so numbers are
-- gapless.
CREATE TABLE service_order_counters (
    company_id INTEGER NOT NULL REFERENCES companies (id),
    year       INTEGER NOT NULL,
    next_seq   INTEGER NOT NULL,
    PRIMARY KEY (company_id, year)
);
--bun:split
-- number is OS-{company_id}-{year}-{seq:06d}.
CREATE TABLE service_orders (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id         INTEGER NOT NULL REFERENCES companies (id),
    year               INTEGER NOT NULL,
    seq                INTEGER NOT NULL,
    number             TEXT    NOT NULL,
    type               TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    ticket_id          INTEGER,
    asset_id           INTEGER,
    technician_user_id INTEGER,
    scheduled_start    TEXT     ,
    scheduled_end      TEXT     ,
    address            TEXT    NOT NULL DEFAULT '',
    apr_number         TEXT    NOT NULL DEFAULT '',
    description        TEXT    NOT NULL DEFAULT '',
    sign_off_name      TEXT    NOT NULL DEFAULT '',
    sign_off_at        TEXT     ,
    sign_off_note      TEXT    NOT NULL DEFAULT '',
    cancel_reason      TEXT    NOT NULL DEFAULT '',
    started_at         TEXT     ,
    completed_at       TEXT     ,
    approved_at        TEXT     ,
    invoiced_at        TEXT     ,
    cancelled_at       TEXT     ,
    created_by         INTEGER NOT NULL DEFAULT 0,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT      NOT NULL,
    updated_at         TEXT      NOT NULL,
    FOREIGN KEY (company_id, ticket_id) REFERENCES tickets (company_id, id),
    FOREIGN KEY (company_id, asset_id) REFERENCES assets (company_id, id),
    FOREIGN KEY (company_id, technician_user_id) REFERENCES users (company_id, id)
);
--bun:split
CREATE UNIQUE INDEX service_orders_company_id_year_seq_key ON service_orders (company_id, year, seq);
--bun:split
CREATE UNIQUE INDEX service_orders_company_id_id_key ON service_orders (company_id, id);
--bun:split
CREATE INDEX service_orders_company_id_status_idx ON service_orders (company_id, status, id);
--bun:split
CREATE INDEX service_orders_company_id_type_idx ON service_orders (company_id, type, id);
--bun:split
CREATE INDEX service_orders_company_id_technician_idx ON service_orders (company_id, technician_user_id, id);
--bun:split
CREATE INDEX service_orders_company_id_ticket_idx ON service_orders (company_id, ticket_id, id);
--bun:split
CREATE INDEX service_orders_company_id_asset_idx ON service_orders (company_id, asset_id, id);
--bun:split
CREATE INDEX service_orders_company_id_apr_idx ON service_orders (company_id, apr_number, id);
--bun:split
CREATE INDEX service_orders_company_id_scheduled_idx ON service_orders (company_id, scheduled_start, id);
--bun:split
-- Text search over number, description, address and APR number, as
-- tickets_fts (see the tickets migration): words are runs of letters and
-- digits, case-folded, queried with "term"* prefixes.
CREATE VIRTUAL TABLE service_orders_fts USING fts5 (
    number, description, address, apr_number,
    content = 'service_orders', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '2 3 4'
);
--bun:split
CREATE TRIGGER service_orders_fts_insert AFTER INSERT ON service_orders BEGIN
    INSERT INTO service_orders_fts (rowid, number, description, address, apr_number)
    VALUES (new.id, new.number, new.description, new.address, new.apr_number);
END;
--bun:split
CREATE TRIGGER service_orders_fts_delete AFTER DELETE ON service_orders BEGIN
    INSERT INTO service_orders_fts (service_orders_fts, rowid, number, description, address, apr_number)
    VALUES ('delete', old.id, old.number, old.description, old.address, old.apr_number);
END;
--bun:split
CREATE TRIGGER service_orders_fts_update AFTER UPDATE OF number, description, address, apr_number ON service_orders
WHEN old.number IS NOT new.number OR old.description IS NOT new.description
  OR old.address IS NOT new.address OR old.apr_number IS NOT new.apr_number
BEGIN
    INSERT INTO service_orders_fts (service_orders_fts, rowid, number, description, address, apr_number)
    VALUES ('delete', old.id, old.number, old.description, old.address, old.apr_number);
    INSERT INTO service_orders_fts (rowid, number, description, address, apr_number)
    VALUES (new.id, new.number, new.description, new.address, new.apr_number);
END;
--bun:split
-- Covering index of the analytics over the creation window: counts by
-- status, completion and on-time rates and the mean time from schedule to
-- completion read no table row.
CREATE INDEX service_orders_company_id_created_at_idx
    ON service_orders (company_id, created_at, status, scheduled_start, scheduled_end, completed_at);
--bun:split
-- Running totals of the orders created on each UTC day, by current status:
-- how many, how many were completed with a schedule, how many of those by
-- the scheduled end, and the sum of their milliseconds from scheduled start
-- to completion. The store moves an order's contribution in the same unit
-- of work as every write of the order, so the analytics read a few rows a
-- day instead of every order (the window's partial first and last days are
-- read from service_orders).
CREATE TABLE service_order_daily_stats (
    company_id    INTEGER NOT NULL REFERENCES companies (id),
    day           TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    orders        INTEGER NOT NULL DEFAULT 0,
    timed         INTEGER NOT NULL DEFAULT 0,
    on_time       INTEGER NOT NULL DEFAULT 0,
    completion_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, day, status)
) WITHOUT ROWID;
--bun:split
-- month is the billing month (YYYY-MM) of the work in the company's
-- timezone; deleted entries are kept (deleted_at set) for the audit trail.
CREATE TABLE service_order_activities (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id         INTEGER NOT NULL REFERENCES companies (id),
    order_id           INTEGER NOT NULL,
    kind               TEXT    NOT NULL,
    description        TEXT    NOT NULL DEFAULT '',
    technician_user_id INTEGER NOT NULL,
    started_at         TEXT     ,
    ended_at           TEXT     ,
    minutes            INTEGER NOT NULL DEFAULT 0,
    billable           BOOLEAN NOT NULL DEFAULT FALSE,
    month              TEXT    NOT NULL,
    deleted_at         TEXT     ,
    created_by         INTEGER NOT NULL DEFAULT 0,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT      NOT NULL,
    updated_at         TEXT      NOT NULL,
    FOREIGN KEY (company_id, order_id) REFERENCES service_orders (company_id, id),
    FOREIGN KEY (company_id, technician_user_id) REFERENCES users (company_id, id),
    CHECK (minutes >= 0),
    CHECK (ended_at IS NULL OR ended_at > started_at)
);
--bun:split
CREATE INDEX service_order_activities_company_id_order_idx ON service_order_activities (company_id, order_id, id);
--bun:split
-- The overlap check of a technician's timed entries. deleted_at, always
-- NULL here, is a column too so that SQLite sees that the index covers the
-- queries that repeat its WHERE clause.
CREATE INDEX service_order_activities_company_id_technician_idx
    ON service_order_activities (company_id, technician_user_id, started_at, ended_at, deleted_at)
    WHERE deleted_at IS NULL AND started_at IS NOT NULL;
--bun:split
-- Covering index of the hours by technician and month and of the
-- billable-hours export.
CREATE INDEX service_order_activities_company_id_month_idx
    ON service_order_activities (company_id, month, billable, technician_user_id, order_id, minutes, deleted_at)
    WHERE deleted_at IS NULL;
--bun:split
CREATE TABLE service_order_parts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id      INTEGER NOT NULL REFERENCES companies (id),
    order_id        INTEGER NOT NULL,
    stock_item_id   INTEGER NOT NULL,
    name            TEXT    NOT NULL,
    quantity        INTEGER NOT NULL,
    unit_cost_cents INTEGER NOT NULL DEFAULT 0,
    created_by      INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT      NOT NULL,
    FOREIGN KEY (company_id, order_id) REFERENCES service_orders (company_id, id),
    FOREIGN KEY (company_id, stock_item_id) REFERENCES stock_items (company_id, id),
    CHECK (quantity > 0)
);
--bun:split
CREATE INDEX service_order_parts_company_id_order_idx ON service_order_parts (company_id, order_id, id);
