CREATE TABLE stock_items (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id      INTEGER NOT NULL REFERENCES companies (id),
    name            TEXT    NOT NULL,
    category        TEXT    NOT NULL,
    manufacturer    TEXT    NOT NULL DEFAULT '',
    model           TEXT    NOT NULL DEFAULT '',
    quantity        INTEGER NOT NULL CHECK (quantity >= 0),
    available       INTEGER NOT NULL CHECK (available >= 0 AND available <= quantity),
    location        TEXT    NOT NULL DEFAULT '',
    supplier        TEXT    NOT NULL DEFAULT '',
    invoice_number  TEXT    NOT NULL DEFAULT '',
    unit_cost_cents INTEGER NOT NULL DEFAULT 0,
    received_at     TEXT      NOT NULL,
    warranty_months INTEGER NOT NULL DEFAULT 0,
    created_by      INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT      NOT NULL,
    updated_at      TEXT      NOT NULL
);
--bun:split
-- Unique so that assets can reference (company_id, id): a row of one
-- company can never point at another company's stock item.
CREATE UNIQUE INDEX stock_items_company_id_id_key ON stock_items (company_id, id);
--bun:split
CREATE INDEX stock_items_company_id_category_idx ON stock_items (company_id, category, id);
--bun:split
CREATE TABLE assets (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id          INTEGER NOT NULL REFERENCES companies (id),
    stock_item_id       INTEGER,
    serial              TEXT    NOT NULL,
    manufacturer_serial TEXT    NOT NULL DEFAULT '',
    name                TEXT    NOT NULL,
    category            TEXT    NOT NULL DEFAULT '',
    manufacturer        TEXT    NOT NULL DEFAULT '',
    model               TEXT    NOT NULL DEFAULT '',
    status              TEXT    NOT NULL,
    assignee_contact_id INTEGER REFERENCES contacts (id),
    location            TEXT    NOT NULL DEFAULT '',
    warranty_until      TEXT     ,
    retired_reason      TEXT    NOT NULL DEFAULT '',
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT      NOT NULL,
    updated_at          TEXT      NOT NULL,
    FOREIGN KEY (company_id, stock_item_id) REFERENCES stock_items (company_id, id)
);
--bun:split
CREATE UNIQUE INDEX assets_company_id_id_key ON assets (company_id, id);
--bun:split
CREATE UNIQUE INDEX assets_company_id_serial_key ON assets (company_id, serial);
--bun:split
CREATE UNIQUE INDEX assets_company_id_manufacturer_serial_key ON assets (company_id, manufacturer, manufacturer_serial)
    WHERE manufacturer_serial <> '';
--bun:split
CREATE INDEX assets_company_id_status_idx ON assets (company_id, status, id);
--bun:split
CREATE INDEX assets_company_id_category_idx ON assets (company_id, category, id);
--bun:split
CREATE INDEX assets_company_id_assignee_idx ON assets (company_id, assignee_contact_id, id);
--bun:split
CREATE INDEX assets_company_id_location_idx ON assets (company_id, location, id);
--bun:split
CREATE INDEX assets_company_id_stock_item_idx ON assets (company_id, stock_item_id, id);
--bun:split
CREATE INDEX assets_company_id_name_idx ON assets (company_id, name, id);
--bun:split
-- Text search: words are runs of letters and digits (unicode61 splits on
-- everything else), case-folded, accents kept; queried with "term"*
-- prefixes over the four searched columns. Contentless: the text lives in
-- assets only, and contentless_delete lets the triggers delete by rowid.
-- The company column holds one token, 'c' || company_id, that every query
-- ANDs (company : "c42"), so that FTS5 intersects the company's doclist
-- with the terms' instead of returning other companies' rows to be joined
-- and dropped (~3x faster with 100 companies). detail=column keeps which
-- columns hold a token (for that column filter) but no positions: no
-- phrase or NEAR query is needed, and the doclists are smaller. The
-- prefix indexes serve terms of 2 to 4 characters as plain doclists that
-- FTS5 streams in rowid order; a longer prefix term makes FTS5 merge the
-- doclists of every word it prefixes, in every company, first (~13 ms for
-- "latitude" on 1M assets), so ListAssets cuts longer terms to 4
-- characters and checks the whole terms itself (storage/bunstore/inventory.go).
CREATE VIRTUAL TABLE assets_fts USING fts5 (
    name, serial, manufacturer_serial, model, company,
    content = '', contentless_delete = 1, detail = column,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '2 3 4'
);
--bun:split
CREATE TRIGGER assets_fts_insert AFTER INSERT ON assets BEGIN
    INSERT INTO assets_fts (rowid, name, serial, manufacturer_serial, model, company)
    VALUES (new.id, new.name, new.serial, new.manufacturer_serial, new.model, 'c' || new.company_id);
END;
--bun:split
CREATE TRIGGER assets_fts_delete AFTER DELETE ON assets BEGIN
    DELETE FROM assets_fts WHERE rowid = old.id;
END;
--bun:split
CREATE TRIGGER assets_fts_update AFTER UPDATE OF name, serial, manufacturer_serial, model, company_id ON assets
WHEN old.name IS NOT new.name OR old.serial IS NOT new.serial
  OR old.manufacturer_serial IS NOT new.manufacturer_serial OR old.model IS NOT new.model
  OR old.company_id IS NOT new.company_id
BEGIN
    DELETE FROM assets_fts WHERE rowid = old.id;
    INSERT INTO assets_fts (rowid, name, serial, manufacturer_serial, model, company)
    VALUES (new.id, new.name, new.serial, new.manufacturer_serial, new.model, 'c' || new.company_id);
END;
--bun:split
CREATE TABLE asset_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id    INTEGER NOT NULL REFERENCES companies (id),
    asset_id      INTEGER NOT NULL,
    "at"          TEXT      NOT NULL,
    actor_user_id INTEGER NOT NULL DEFAULT 0,
    action        TEXT    NOT NULL,
    field         TEXT    NOT NULL DEFAULT '',
    from_value    TEXT    NOT NULL DEFAULT '',
    to_value      TEXT    NOT NULL DEFAULT '',
    note          TEXT    NOT NULL DEFAULT '',
    FOREIGN KEY (company_id, asset_id) REFERENCES assets (company_id, id)
);
--bun:split
CREATE INDEX asset_history_company_id_asset_id_idx ON asset_history (company_id, asset_id, id);
--bun:split
CREATE TABLE serial_sequences (
    company_id INTEGER NOT NULL REFERENCES companies (id),
    scope      TEXT    NOT NULL,
    next_value INTEGER NOT NULL,
    PRIMARY KEY (company_id, scope)
) WITHOUT ROWID;
--bun:split
CREATE TABLE serial_settings (
    company_id INTEGER NOT NULL PRIMARY KEY REFERENCES companies (id),
    pattern    TEXT    NOT NULL DEFAULT '',
    prefix     TEXT    NOT NULL DEFAULT ''
);
