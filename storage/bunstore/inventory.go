package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
)

// Compile-time proof that the store serves the inventory contract.
var (
	_ inventory.Store = inventoryStore{}
	_ inventory.Tx    = (*Tx)(nil)
)

type inventoryStore struct{ *Store }

func (i inventoryStore) InTx(ctx context.Context, fn func(ctx context.Context, tx inventory.Tx) error) error {
	return i.inTx(ctx, func(ctx context.Context, tx *Tx) error { return fn(ctx, tx) })
}

type stockItemRow struct {
	bun.BaseModel  `bun:"table:stock_items"`
	ID             int64     `bun:"id,pk,autoincrement"`
	CompanyID      int64     `bun:"company_id"`
	Name           string    `bun:"name"`
	Category       string    `bun:"category"`
	Manufacturer   string    `bun:"manufacturer"`
	Model          string    `bun:"model"`
	Quantity       int       `bun:"quantity"`
	Available      int       `bun:"available"`
	Location       string    `bun:"location"`
	Supplier       string    `bun:"supplier"`
	InvoiceNumber  string    `bun:"invoice_number"`
	UnitCostCents  int64     `bun:"unit_cost_cents"`
	ReceivedAt     time.Time `bun:"received_at"`
	WarrantyMonths int       `bun:"warranty_months"`
	CreatedBy      int64     `bun:"created_by"`
	Version        int64     `bun:"version"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

func (r stockItemRow) model() inventory.StockItem {
	return inventory.StockItem{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), Name: r.Name, Category: r.Category,
		Manufacturer: r.Manufacturer, Model: r.Model, Quantity: r.Quantity, Available: r.Available, Location: r.Location,
		Supplier: r.Supplier, InvoiceNumber: r.InvoiceNumber, UnitCostCents: r.UnitCostCents, ReceivedAt: r.ReceivedAt.UTC(),
		WarrantyMonths: r.WarrantyMonths, CreatedBy: tenant.UserID(r.CreatedBy), Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func stockItemRowOf(s inventory.StockItem) stockItemRow {
	return stockItemRow{ID: s.ID, CompanyID: int64(s.CompanyID), Name: s.Name, Category: s.Category,
		Manufacturer: s.Manufacturer, Model: s.Model, Quantity: s.Quantity, Available: s.Available, Location: s.Location,
		Supplier: s.Supplier, InvoiceNumber: s.InvoiceNumber, UnitCostCents: s.UnitCostCents, ReceivedAt: s.ReceivedAt.UTC(),
		WarrantyMonths: s.WarrantyMonths, CreatedBy: int64(s.CreatedBy), Version: s.Version,
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC()}
}

// assetRow is an assets row. The PostgreSQL table also has the generated
// search_vector column, which is never read or written here.
type assetRow struct {
	bun.BaseModel      `bun:"table:assets,alias:asset_row"`
	ID                 int64   `bun:"id,pk,autoincrement"`
	CompanyID          int64   `bun:"company_id"`
	StockItemID        int64   `bun:"stock_item_id,nullzero"`
	Serial             string  `bun:"serial"`
	ManufacturerSerial string  `bun:"manufacturer_serial"`
	Name               string  `bun:"name"`
	Category           string  `bun:"category"`
	Manufacturer       string  `bun:"manufacturer"`
	Model              string  `bun:"model"`
	Status             string  `bun:"status"`
	AssigneeContactID  int64   `bun:"assignee_contact_id,nullzero"`
	Location           string  `bun:"location"`
	WarrantyUntil      rowTime `bun:"warranty_until,nullzero"`
	RetiredReason      string  `bun:"retired_reason"`
	Version            int64   `bun:"version"`
	CreatedAt          rowTime `bun:"created_at"`
	UpdatedAt          rowTime `bun:"updated_at"`
}

func (r assetRow) model() inventory.Asset {
	return inventory.Asset{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), StockItemID: r.StockItemID, Serial: r.Serial,
		ManufacturerSerial: r.ManufacturerSerial, Name: r.Name, Category: r.Category, Manufacturer: r.Manufacturer,
		Model: r.Model, Status: inventory.Status(r.Status), AssigneeContactID: tenant.ContactID(r.AssigneeContactID),
		Location: r.Location, RetiredReason: r.RetiredReason, WarrantyUntil: r.WarrantyUntil.time(), Version: r.Version,
		CreatedAt: r.CreatedAt.time(), UpdatedAt: r.UpdatedAt.time()}
}

func assetRowOf(a inventory.Asset) assetRow {
	return assetRow{ID: a.ID, CompanyID: int64(a.CompanyID), StockItemID: a.StockItemID, Serial: a.Serial,
		ManufacturerSerial: a.ManufacturerSerial, Name: a.Name, Category: a.Category, Manufacturer: a.Manufacturer,
		Model: a.Model, Status: string(a.Status), AssigneeContactID: int64(a.AssigneeContactID), Location: a.Location,
		RetiredReason: a.RetiredReason, WarrantyUntil: rowTimeOf(a.WarrantyUntil), Version: a.Version,
		CreatedAt: rowTimeOf(a.CreatedAt), UpdatedAt: rowTimeOf(a.UpdatedAt)}
}

type historyRow struct {
	bun.BaseModel `bun:"table:asset_history"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CompanyID     int64     `bun:"company_id"`
	AssetID       int64     `bun:"asset_id"`
	At            time.Time `bun:"at"`
	ActorUserID   int64     `bun:"actor_user_id"`
	Action        string    `bun:"action"`
	Field         string    `bun:"field"`
	From          string    `bun:"from_value"`
	To            string    `bun:"to_value"`
	Note          string    `bun:"note"`
}

func (r historyRow) model() inventory.HistoryEntry {
	return inventory.HistoryEntry{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), AssetID: r.AssetID, At: r.At.UTC(),
		ActorUserID: tenant.UserID(r.ActorUserID), Action: r.Action, Field: r.Field, From: r.From, To: r.To, Note: r.Note}
}

type serialSettingsRow struct {
	bun.BaseModel `bun:"table:serial_settings"`
	CompanyID     int64  `bun:"company_id,pk"`
	Pattern       string `bun:"pattern"`
	Prefix        string `bun:"prefix"`
}

// ---- text search ----

// searchTerms splits an asset search into lower-case terms on every
// character that is neither a letter nor a digit, dropping repeats (the
// memory backend splits the same way; the conformance suite checks that the
// backends agree). Terms hold only letters and digits, so neither FTS5 nor
// tsquery syntax can reach the database through them.
func searchTerms(q string) []string {
	var terms []string
	for _, w := range strings.FieldsFunc(strings.ToLower(q), notWordRune) {
		if !slices.Contains(terms, w) {
			terms = append(terms, w)
		}
	}
	return terms
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// ftsQuery renders terms as an FTS5 query: every term a quoted prefix,
// all of them required ("acme"* AND "2026"*).
func ftsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"*`
	}
	return strings.Join(parts, " AND ")
}

// ftsCompanyQuery renders terms as an FTS5 query of company's assets: the
// company's token in the company column and every term a prefix of a word
// of the searched columns (company : "c42" AND {name serial
// manufacturer_serial model} : ("acme"* AND "2026"*)).
func ftsCompanyQuery(company tenant.CompanyID, terms []string) string {
	return fmt.Sprintf(`company : "c%d" AND {name serial manufacturer_serial model} : (%s)`, int64(company), ftsQuery(terms))
}

// tsQuery renders terms as a PostgreSQL tsquery text: every term a prefix,
// all of them required (acme:* & 2026:*).
func tsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t + ":*"
	}
	return strings.Join(parts, " & ")
}

// ---- reads ----

// StockItemByID implements inventory.Queries.
func (q queries) StockItemByID(ctx context.Context, company tenant.CompanyID, id int64) (inventory.StockItem, error) {
	var r stockItemRow
	err := q.db.NewSelect().Model(&r).Where("company_id = ? AND id = ?", int64(company), id).Scan(ctx)
	return r.model(), translate(err, fmt.Sprintf("stock item %d", id))
}

// ListStockItems implements inventory.Queries.
func (q queries) ListStockItems(ctx context.Context, company tenant.CompanyID, f inventory.StockItemFilter, p storage.PageRequest) (storage.Page[inventory.StockItem], error) {
	var rows []stockItemRow
	sq := q.db.NewSelect().Model(&rows).Where("company_id = ?", int64(company))
	if f.Category != "" {
		sq = sq.Where("category = ?", f.Category)
	}
	if f.InStock {
		sq = sq.Where("available > 0")
	}
	sq = search(sq, f.Search, "name", "manufacturer", "model", "supplier", "invoice_number")
	return list(ctx, sq, p, &rows, stockItemRow.model, func(s inventory.StockItem) int64 { return s.ID }, "listing stock items")
}

// AssetByID implements inventory.Queries.
func (q queries) AssetByID(ctx context.Context, company tenant.CompanyID, id int64) (inventory.Asset, error) {
	var r assetRow
	err := q.db.NewSelect().Model(&r).Where("company_id = ? AND id = ?", int64(company), id).Scan(ctx)
	return r.model(), translate(err, fmt.Sprintf("asset %d", id))
}

// AssetBySerial implements inventory.Queries.
func (q queries) AssetBySerial(ctx context.Context, company tenant.CompanyID, serial string) (inventory.Asset, error) {
	var r assetRow
	err := q.db.NewSelect().Model(&r).Where("company_id = ? AND serial = ?", int64(company), serial).Scan(ctx)
	return r.model(), translate(err, fmt.Sprintf("asset %q", serial))
}

// searchWindow bounds the first attempt of a searched list on PostgreSQL:
// see ListAssets.
const searchWindow = 2000

// ftsPrefixMax is the longest prefix index of assets_fts (prefix = '2 3
// 4'): FTS5 serves a prefix term up to this many characters from its
// prefix index, streaming in rowid order.
const ftsPrefixMax = 4

// ftsCandidateBudget bounds how many candidates of the shortened terms a
// SQLite search examines before it asks FTS5 for the whole terms: see
// ListAssets.
const ftsCandidateBudget = 2000

// ListAssets implements inventory.Queries.
//
// A text search runs differently on each engine, with the same result:
//
//   - SQLite, by ID: FTS5 drives the query in rowid order from the cursor
//     (CROSS JOIN fixes the loop order), ANDing the company's token
//     (assets_fts.company, see the migration) with the terms, so that it
//     intersects doclists instead of joining other companies' rows; the
//     scan stops at the page's last row. Terms longer than ftsPrefixMax
//     characters go to FTS5 cut to ftsPrefixMax: a longer prefix has no
//     prefix index, and FTS5 would merge the doclists of every word it
//     prefixes, in every company, before returning the first row (~8 ms
//     for "latitude" over 200,000 assets). The candidates come in batches
//     and Go keeps those whose words the whole terms prefix (matchTerms,
//     the memory backend's rule), until the page is full. After
//     ftsCandidateBudget candidates (a shortened term much broader than the
//     whole one), the rest of the page asks FTS5 for the whole terms.
//   - PostgreSQL: the planner underestimates prefix matches by orders of
//     magnitude (8 rows estimated for 5,000), so its plan for a broad
//     search is a gamble: reading every match of every company from the
//     GIN index and sorting them, or walking the primary key across all
//     companies. So the list first reads the next searchWindow rows of the
//     company in page order through its B-tree index and tests the
//     search_vector of each. When that fills the page (broad searches) it
//     is the answer; when the window held the company's last rows, the
//     page is complete too; otherwise (selective searches) the rest of the
//     page comes from the plain query after the window's last row, which
//     the GIN index serves well then.
//   - SQLite by name: the name index drives and the FTS5 matches filter.
func (q queries) ListAssets(ctx context.Context, company tenant.CompanyID, f inventory.AssetFilter, p storage.PageRequest) (storage.Page[inventory.Asset], error) {
	p = p.Normalize()
	var (
		rows []assetRow
		err  error
	)
	switch terms := searchTerms(f.Search); {
	case len(terms) > 0 && q.dialect == Postgres:
		rows, err = q.searchAssetsWindow(ctx, company, f, p)
	case len(terms) > 0 && f.Sort != inventory.SortName:
		rows, err = q.searchAssetsFTS(ctx, company, f, p, terms)
	default:
		rows, err = q.scanAssets(ctx, company, f, p, assetPlan{})
	}
	if err != nil {
		return storage.Page[inventory.Asset]{}, err
	}
	limit := p.Limit
	items := make([]inventory.Asset, 0, min(len(rows), limit))
	for _, r := range rows[:min(len(rows), limit)] {
		items = append(items, r.model())
	}
	if len(rows) <= limit {
		return storage.Page[inventory.Asset]{Items: items}, nil
	}
	last := items[len(items)-1]
	next := storage.CursorAfter(last.ID)
	if f.Sort == inventory.SortName {
		next = storage.CursorAfterKey(last.Name, last.ID)
	}
	return storage.Page[inventory.Asset]{Items: items, NextCursor: next}, nil
}

// searchAssetsWindow runs a PostgreSQL search (see ListAssets) and returns
// up to p.Limit+1 rows.
func (q queries) searchAssetsWindow(ctx context.Context, company tenant.CompanyID, f inventory.AssetFilter, p storage.PageRequest) ([]assetRow, error) {
	rows, err := q.scanAssets(ctx, company, f, p, assetPlan{window: searchWindow})
	if err != nil || len(rows) > p.Limit {
		return rows, err
	}
	// The window fell short of a page: find its last row, the
	// searchWindow-th of the company after the cursor.
	k, err := assetKeysetOf(f, p)
	if err != nil {
		return nil, fmt.Errorf("listing assets: %w", err)
	}
	var (
		endID   int64
		endName string
	)
	err = k.apply(assetFilters(q.db.NewSelect().TableExpr("assets").Column("id", "name"), "", company, f), "").
		Offset(searchWindow-1).Limit(1).Scan(ctx, &endID, &endName)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return rows, nil // the window held every remaining row: the page is complete
	case err != nil:
		return nil, translate(err, "listing assets")
	}
	rest := storage.PageRequest{Limit: p.Limit, Cursor: storage.CursorAfter(endID)}
	if f.Sort == inventory.SortName {
		rest.Cursor = storage.CursorAfterKey(endName, endID)
	}
	more, err := q.scanAssets(ctx, company, f, rest, assetPlan{rows: p.Limit + 1 - len(rows)})
	return append(rows, more...), err
}

// searchAssetsFTS runs a SQLite search in ID order (see ListAssets) and
// returns up to p.Limit+1 rows.
func (q queries) searchAssetsFTS(ctx context.Context, company tenant.CompanyID, f inventory.AssetFilter, p storage.PageRequest, terms []string) ([]assetRow, error) {
	after, err := p.Cursor.AfterID()
	if err != nil {
		return nil, fmt.Errorf("listing assets: %w", err)
	}
	want := p.Limit + 1
	match := ftsTerms(terms)
	out := make([]assetRow, 0, want)
	for n, examined := want, 0; ; {
		if examined >= ftsCandidateBudget && !slices.Equal(match, terms) {
			match, n = terms, want-len(out)
		}
		rows, err := q.scanAssets(ctx, company, f, storage.PageRequest{Limit: p.Limit, Cursor: storage.CursorAfter(after)},
			assetPlan{match: match, rows: n})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if matchTerms(r, terms) {
				if out = append(out, r); len(out) == want {
					return out, nil
				}
			}
		}
		if len(rows) < n {
			return out, nil // FTS5 has no more candidates
		}
		after = rows[len(rows)-1].ID
		examined += len(rows)
		n = min(4*n, ftsCandidateBudget)
	}
}

// ftsTerms cuts each term to its first ftsPrefixMax characters, dropping
// the repeats that makes: the terms FTS5 serves from its prefix indexes.
func ftsTerms(terms []string) []string {
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		if utf8.RuneCountInString(t) > ftsPrefixMax {
			i := 0
			for range ftsPrefixMax {
				_, size := utf8.DecodeRuneInString(t[i:])
				i += size
			}
			t = t[:i]
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// matchTerms reports whether every term is a prefix of some word of r's
// name, serial, manufacturer serial or model, words split and lower-cased
// as searchTerms splits a query: the memory backend's rule.
func matchTerms(r assetRow, terms []string) bool {
	fields := [...]string{r.Name, r.Serial, r.ManufacturerSerial, r.Model}
	for _, t := range terms {
		found := false
		for _, field := range fields {
			for _, w := range strings.FieldsFunc(strings.ToLower(field), notWordRune) {
				if strings.HasPrefix(w, t) {
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// scanAssets runs one listAssetsQuery.
func (q queries) scanAssets(ctx context.Context, company tenant.CompanyID, f inventory.AssetFilter, p storage.PageRequest, plan assetPlan) ([]assetRow, error) {
	var rows []assetRow
	sq, err := q.listAssetsQuery(&rows, company, f, p, plan)
	if err != nil {
		return nil, fmt.Errorf("listing assets: %w", err)
	}
	if err := sq.Scan(ctx); err != nil {
		return nil, translate(err, "listing assets")
	}
	return rows, nil
}

// assetPlan tunes one listAssetsQuery.
type assetPlan struct {
	// window > 0 (PostgreSQL): the search only filters the next window
	// rows of the company.
	window int
	// match (SQLite by ID): the terms FTS5 matches; nil: ftsTerms of the
	// search.
	match []string
	// rows is how many rows to read; 0: the page's limit + 1.
	rows int
}

// assetKeyset is the position of a page of ListAssets.
type assetKeyset struct {
	byName, started bool
	key             string
	after           int64
}

func assetKeysetOf(f inventory.AssetFilter, p storage.PageRequest) (assetKeyset, error) {
	k := assetKeyset{byName: f.Sort == inventory.SortName, started: p.Cursor != ""}
	var err error
	if k.byName {
		k.key, k.after, err = p.Cursor.AfterKey()
	} else {
		k.after, err = p.Cursor.AfterID()
	}
	return k, err
}

// apply restricts sq to the rows after the position, in page order;
// prefix qualifies the columns.
func (k assetKeyset) apply(sq *bun.SelectQuery, prefix string) *bun.SelectQuery {
	id, name := bun.Safe(prefix+"id"), bun.Safe(prefix+"name")
	if !k.byName {
		return sq.Where("? > ?", id, k.after).OrderExpr("? ASC", id)
	}
	if k.started {
		sq = sq.Where("(?, ?) > (?, ?)", name, id, k.key, k.after)
	}
	return sq.OrderExpr("? ASC, ? ASC", name, id)
}

// listAssetsQuery builds the keyset query of one page of ListAssets: by
// default limit+1 rows after the cursor, by ID or by (name, ID).
func (q queries) listAssetsQuery(rows *[]assetRow, company tenant.CompanyID, f inventory.AssetFilter, p storage.PageRequest, plan assetPlan) (*bun.SelectQuery, error) {
	p = p.Normalize()
	k, err := assetKeysetOf(f, p)
	if err != nil {
		return nil, err
	}
	limit := int64(p.Limit + 1)
	if plan.rows > 0 {
		limit = int64(plan.rows)
	}
	terms := searchTerms(f.Search)
	const a = "asset_row." // the model's alias
	switch {
	case len(terms) == 0:
		sq := assetFilters(q.db.NewSelect().Model(rows), a, company, f)
		return k.apply(sq, a).Limit(limit), nil

	case q.dialect == Postgres && plan.window > 0:
		// The window and the search read only id (name) and search_vector,
		// which the company and status indexes INCLUDE: an index-only scan
		// finds the page's IDs, then the page's rows are read.
		cols := []string{"id", "search_vector"}
		if k.byName {
			cols = append(cols, "name")
		}
		inner := k.apply(assetFilters(q.db.NewSelect().TableExpr("assets").Column(cols...), "", company, f), "").
			Limit(int64(plan.window))
		matches := k.apply(q.db.NewSelect().TableExpr("(?) AS w", inner).Column("w.id").
			Where("w.search_vector @@ to_tsquery('simple', ?)", tsQuery(terms)), "w.").Limit(limit)
		sq := q.db.NewSelect().Model(rows).ModelTableExpr("(?) AS m JOIN assets AS asset_row ON asset_row.id = m.id", matches)
		return k.apply(sq, a), nil

	case q.dialect == Postgres:
		sq := assetFilters(q.db.NewSelect().Model(rows), a, company, f).
			Where("asset_row.search_vector @@ to_tsquery('simple', ?)", tsQuery(terms))
		return k.apply(sq, a).Limit(limit), nil

	case !k.byName: // SQLite: FTS5 drives, in rowid order (CROSS JOIN fixes the loop order).
		match := plan.match
		if match == nil {
			match = ftsTerms(terms)
		}
		sq := assetFilters(q.db.NewSelect().Model(rows).ModelTableExpr("assets_fts CROSS JOIN assets AS asset_row"), a, company, f).
			Where("asset_row.id = assets_fts.rowid").Where("assets_fts MATCH ?", ftsCompanyQuery(company, match)).
			Where("assets_fts.rowid > ?", k.after).OrderExpr("assets_fts.rowid ASC")
		return sq.Limit(limit), nil

	default: // SQLite by name.
		sq := assetFilters(q.db.NewSelect().Model(rows), a, company, f).
			Where("asset_row.id IN (SELECT rowid FROM assets_fts WHERE assets_fts MATCH ?)", ftsCompanyQuery(company, terms))
		return k.apply(sq, a).Limit(limit), nil
	}
}

// assetFilters restricts sq to the assets of company that pass f's
// filters other than the text search; prefix qualifies the columns.
func assetFilters(sq *bun.SelectQuery, prefix string, company tenant.CompanyID, f inventory.AssetFilter) *bun.SelectQuery {
	col := func(name string) bun.Safe { return bun.Safe(prefix + name) }
	sq = sq.Where("? = ?", col("company_id"), int64(company))
	if f.Status != "" {
		sq = sq.Where("? = ?", col("status"), string(f.Status))
	}
	if f.Category != "" {
		sq = sq.Where("? = ?", col("category"), f.Category)
	}
	if f.AssigneeContactID != 0 {
		sq = sq.Where("? = ?", col("assignee_contact_id"), int64(f.AssigneeContactID))
	}
	if f.Location != "" {
		sq = sq.Where("? = ?", col("location"), f.Location)
	}
	if f.StockItemID != 0 {
		sq = sq.Where("? = ?", col("stock_item_id"), f.StockItemID)
	}
	if !f.WarrantyFrom.IsZero() {
		sq = sq.Where("? >= ?", col("warranty_until"), f.WarrantyFrom.UTC())
	}
	if !f.WarrantyTo.IsZero() {
		sq = sq.Where("? < ?", col("warranty_until"), f.WarrantyTo.UTC())
	}
	return sq
}

// AssetHistory implements inventory.Queries.
func (q queries) AssetHistory(ctx context.Context, company tenant.CompanyID, assetID int64, p storage.PageRequest) (storage.Page[inventory.HistoryEntry], error) {
	var rows []historyRow
	sq := q.db.NewSelect().Model(&rows).Where("company_id = ? AND asset_id = ?", int64(company), assetID)
	return list(ctx, sq, p, &rows, historyRow.model, func(h inventory.HistoryEntry) int64 { return h.ID }, "listing asset history")
}

// SerialSettings implements inventory.Queries.
func (q queries) SerialSettings(ctx context.Context, company tenant.CompanyID) (inventory.SerialSettings, error) {
	var r serialSettingsRow
	err := q.db.NewSelect().Model(&r).Where("company_id = ?", int64(company)).Scan(ctx)
	return inventory.SerialSettings{Pattern: inventory.SerialPattern(r.Pattern), Prefix: r.Prefix},
		translate(err, fmt.Sprintf("serial settings of company %d", company))
}

// ---- writes ----

// InsertStockItem implements inventory.Tx.
func (t *Tx) InsertStockItem(ctx context.Context, s *inventory.StockItem) error {
	s.Version = 1
	r := stockItemRowOf(*s)
	if err := insert(ctx, t.db, &r, "stock item"); err != nil {
		return err
	}
	s.ID = r.ID
	return nil
}

// ConsumeStock implements inventory.Tx: one conditional UPDATE, so that
// concurrent consumers can never take the count below zero.
func (t *Tx) ConsumeStock(ctx context.Context, company tenant.CompanyID, id int64, qty int, at time.Time) (inventory.StockItem, error) {
	what := fmt.Sprintf("consuming %d of stock item %d", qty, id)
	res, err := t.db.NewUpdate().Table("stock_items").
		Set("available = available - ?", qty).Set("version = version + 1").Set("updated_at = ?", at.UTC()).
		Where("company_id = ? AND id = ? AND available >= ?", int64(company), id, qty).Exec(ctx)
	if err != nil {
		return inventory.StockItem{}, translate(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return inventory.StockItem{}, translate(err, what)
	}
	st, err := t.StockItemByID(ctx, company, id)
	switch {
	case err != nil:
		return inventory.StockItem{}, fmt.Errorf("%s: %w", what, err)
	case n == 0:
		return inventory.StockItem{}, fmt.Errorf("%s (%d available): %w: %w", what, st.Available,
			inventory.ErrInsufficientStock, storage.ErrConflict)
	}
	return st, nil
}

// NextSerials implements inventory.Tx with one upsert: the row lock it
// takes (PostgreSQL) or the single writer (SQLite) serialises concurrent
// reservations of one sequence until the transaction ends.
func (t *Tx) NextSerials(ctx context.Context, company tenant.CompanyID, scope string, n int) (int64, error) {
	if n < 1 {
		return 0, fmt.Errorf("reserving %d serials: reserve at least one", n)
	}
	var next int64
	err := t.db.NewRaw(`INSERT INTO serial_sequences (company_id, scope, next_value) VALUES (?, ?, ?)
ON CONFLICT (company_id, scope) DO UPDATE SET next_value = serial_sequences.next_value + ?
RETURNING next_value`, int64(company), scope, int64(n)+1, int64(n)).Scan(ctx, &next)
	if err != nil {
		return 0, translate(err, fmt.Sprintf("reserving %d serials of %q", n, scope))
	}
	return next - int64(n), nil
}

// InsertAsset implements inventory.Tx. The serial's unique index is the
// conflict target of ON CONFLICT DO NOTHING, so a taken serial inserts no
// row without an error, and the transaction stays usable on PostgreSQL;
// any other unique violation (the manufacturer serial) still fails.
func (t *Tx) InsertAsset(ctx context.Context, a *inventory.Asset) (bool, error) {
	r := assetRowOf(*a)
	r.Version = 1
	res, err := t.db.NewInsert().Model(&r).On("CONFLICT (company_id, serial) DO NOTHING").Returning("id").Exec(ctx)
	if err != nil {
		return false, translate(err, "inserting asset "+a.Serial)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, translate(err, "inserting asset "+a.Serial)
	}
	if n == 0 {
		return false, nil
	}
	a.ID, a.Version = r.ID, 1
	return true, nil
}

// UpdateAsset implements inventory.Tx.
func (t *Tx) UpdateAsset(ctx context.Context, a *inventory.Asset) error {
	r := assetRowOf(*a)
	if err := update(ctx, t.db, &r, "assets", r.ID, a.CompanyID, "company_id", a.Version, fmt.Sprintf("asset %d", a.ID)); err != nil {
		return err
	}
	a.Version++
	return nil
}

// AppendAssetHistory implements inventory.Tx with one multi-row insert.
func (t *Tx) AppendAssetHistory(ctx context.Context, entries ...inventory.HistoryEntry) error {
	if len(entries) == 0 {
		return nil
	}
	rows := make([]historyRow, len(entries))
	for i, h := range entries {
		rows[i] = historyRow{CompanyID: int64(h.CompanyID), AssetID: h.AssetID, At: h.At.UTC(), ActorUserID: int64(h.ActorUserID),
			Action: h.Action, Field: h.Field, From: h.From, To: h.To, Note: h.Note}
	}
	_, err := t.db.NewInsert().Model(&rows).Exec(ctx)
	return translate(err, "appending asset history")
}

// PutSerialSettings implements inventory.Tx.
func (t *Tx) PutSerialSettings(ctx context.Context, company tenant.CompanyID, s inventory.SerialSettings) error {
	r := serialSettingsRow{CompanyID: int64(company), Pattern: string(s.Pattern), Prefix: s.Prefix}
	_, err := t.db.NewInsert().Model(&r).On("CONFLICT (company_id) DO UPDATE").
		Set("pattern = EXCLUDED.pattern").Set("prefix = EXCLUDED.prefix").Exec(ctx)
	return translate(err, fmt.Sprintf("storing serial settings of company %d", company))
}
