package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
)

// Compile-time proof that the store serves the inventory contract.
var (
	_ inventory.Store = inventoryStore{}
	_ inventory.Tx    = (*tx)(nil)
)

// inventoryStore is the inventory.Store adapter of a Store: root reads
// through the shared reader, units of work through the shared tx.
type inventoryStore struct {
	reader
	s *Store
}

// Inventory returns the store as the inventory package's storage contract.
func (s *Store) Inventory() inventory.Store {
	return inventoryStore{reader: reader{s: s}, s: s}
}

// InTx runs fn as one unit of work; see inventory.Store.
func (i inventoryStore) InTx(ctx context.Context, fn func(ctx context.Context, tx inventory.Tx) error) error {
	return i.s.inTx(ctx, func(ctx context.Context, x *tx) error { return fn(ctx, x) })
}

// inventoryTables holds the inventory rows of a store, with their unique
// indexes. Like tables, its methods take no lock.
type inventoryTables struct {
	stockItems *table[int64, inventory.StockItem]
	assets     *table[int64, inventory.Asset]
	history    *table[int64, inventory.HistoryEntry]

	assetBySerial    map[assetSerial]int64    // unique (company, serial)
	assetByMfrSerial map[assetMfrSerial]int64 // unique (company, manufacturer, serial) for non-empty serials
	historyByAsset   map[int64][]int64        // asset ID → history IDs, ascending
	sequences        map[sequenceKey]int64    // next value of each serial sequence
	serialSettings   map[tenant.CompanyID]inventory.SerialSettings
}

type assetSerial struct {
	company tenant.CompanyID
	serial  string
}

type assetMfrSerial struct {
	company      tenant.CompanyID
	manufacturer string
	serial       string
}

type sequenceKey struct {
	company tenant.CompanyID
	scope   string
}

func newInventoryTables() *inventoryTables {
	return &inventoryTables{
		stockItems:       newTable[int64, inventory.StockItem](),
		assets:           newTable[int64, inventory.Asset](),
		history:          newTable[int64, inventory.HistoryEntry](),
		assetBySerial:    make(map[assetSerial]int64),
		assetByMfrSerial: make(map[assetMfrSerial]int64),
		historyByAsset:   make(map[int64][]int64),
		sequences:        make(map[sequenceKey]int64),
		serialSettings:   make(map[tenant.CompanyID]inventory.SerialSettings),
	}
}

// ---- text search ----

// searchTerms splits an asset search into lower-case terms on every
// character that is neither a letter nor a digit, dropping repeats. The SQL
// backends split the same way (storage/bunstore/inventory.go), and the
// conformance suite checks that the three agree.
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

// matchesTerms reports whether every term is a prefix of some word of the
// asset's name, serial, manufacturer serial or model.
func matchesTerms(a inventory.Asset, terms []string) bool {
	if len(terms) == 0 {
		return true
	}
	var words []string
	for _, f := range []string{a.Name, a.Serial, a.ManufacturerSerial, a.Model} {
		words = append(words, strings.FieldsFunc(strings.ToLower(f), notWordRune)...)
	}
	for _, t := range terms {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, t) }) {
			return false
		}
	}
	return true
}

// ---- reads ----

// StockItemByID reads one stock item of company.
func (r reader) StockItemByID(ctx context.Context, company tenant.CompanyID, id int64) (inventory.StockItem, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return inventory.StockItem{}, err
	}
	defer release()
	st, ok := r.s.t.inventory.stockItems.get(id)
	if !ok || st.CompanyID != company {
		return inventory.StockItem{}, fmt.Errorf("memory: stock item %d of company %d: %w", id, company, storage.ErrNotFound)
	}
	return st, nil
}

// ListStockItems lists the stock items of company by ascending ID.
func (r reader) ListStockItems(ctx context.Context, company tenant.CompanyID, f inventory.StockItemFilter, p storage.PageRequest) (storage.Page[inventory.StockItem], error) {
	p = p.Normalize()
	after, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[inventory.StockItem]{}, fmt.Errorf("memory: list stock items: %w", err)
	}
	release, err := r.enter(ctx)
	if err != nil {
		return storage.Page[inventory.StockItem]{}, err
	}
	defer release()
	q := strings.ToLower(strings.TrimSpace(f.Search))
	keep := func(s inventory.StockItem) bool {
		return s.CompanyID == company &&
			(f.Category == "" || s.Category == f.Category) &&
			(!f.InStock || s.Available > 0) &&
			(q == "" || containsFold(q, s.Name, s.Manufacturer, s.Model, s.Supplier, s.InvoiceNumber))
	}
	rows := list(r.s.t.inventory.stockItems, after, p.Limit, keep, cloneStockItem)
	return storage.PageOf(rows, p.Limit, func(s inventory.StockItem) int64 { return s.ID }), nil
}

// AssetByID reads one asset of company.
func (r reader) AssetByID(ctx context.Context, company tenant.CompanyID, id int64) (inventory.Asset, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return inventory.Asset{}, err
	}
	defer release()
	a, ok := r.s.t.inventory.assets.get(id)
	if !ok || a.CompanyID != company {
		return inventory.Asset{}, fmt.Errorf("memory: asset %d of company %d: %w", id, company, storage.ErrNotFound)
	}
	return a, nil
}

// AssetBySerial reads one asset of company by its serial.
func (r reader) AssetBySerial(ctx context.Context, company tenant.CompanyID, serial string) (inventory.Asset, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return inventory.Asset{}, err
	}
	defer release()
	t := r.s.t.inventory
	id, ok := t.assetBySerial[assetSerial{company, serial}]
	if !ok {
		return inventory.Asset{}, fmt.Errorf("memory: asset %q of company %d: %w", serial, company, storage.ErrNotFound)
	}
	a, _ := t.assets.get(id)
	return a, nil
}

// ListAssets lists the assets of company by ascending ID, or by (name, ID)
// with inventory.SortName.
func (r reader) ListAssets(ctx context.Context, company tenant.CompanyID, f inventory.AssetFilter, p storage.PageRequest) (storage.Page[inventory.Asset], error) {
	p = p.Normalize()
	byName := f.Sort == inventory.SortName
	var (
		afterKey string
		afterID  int64
		err      error
	)
	if byName {
		afterKey, afterID, err = p.Cursor.AfterKey()
	} else {
		afterID, err = p.Cursor.AfterID()
	}
	if err != nil {
		return storage.Page[inventory.Asset]{}, fmt.Errorf("memory: list assets: %w", err)
	}
	release, err := r.enter(ctx)
	if err != nil {
		return storage.Page[inventory.Asset]{}, err
	}
	defer release()
	terms := searchTerms(f.Search)
	keep := func(a inventory.Asset) bool {
		return a.CompanyID == company &&
			(f.Status == "" || a.Status == f.Status) &&
			(f.Category == "" || a.Category == f.Category) &&
			(f.AssigneeContactID == 0 || a.AssigneeContactID == f.AssigneeContactID) &&
			(f.Location == "" || a.Location == f.Location) &&
			(f.StockItemID == 0 || a.StockItemID == f.StockItemID) &&
			warrantyIn(a.WarrantyUntil, f.WarrantyFrom, f.WarrantyTo) &&
			matchesTerms(a, terms)
	}
	t := r.s.t.inventory
	if !byName {
		rows := list(t.assets, afterID, p.Limit, keep, cloneAsset)
		return storage.PageOf(rows, p.Limit, func(a inventory.Asset) int64 { return a.ID }), nil
	}
	// By name: byte order of the name, then ID, as the SQL backends (their
	// name column sorts bytewise).
	var rows []inventory.Asset
	t.assets.scan(0, func(a inventory.Asset) bool {
		if keep(a) && (a.Name > afterKey || (a.Name == afterKey && a.ID > afterID)) {
			rows = append(rows, a)
		}
		return true
	})
	slices.SortFunc(rows, func(a, b inventory.Asset) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	if len(rows) <= p.Limit {
		return storage.Page[inventory.Asset]{Items: append([]inventory.Asset{}, rows...)}, nil
	}
	rows = slices.Clone(rows[:p.Limit])
	last := rows[len(rows)-1]
	return storage.Page[inventory.Asset]{Items: rows, NextCursor: storage.CursorAfterKey(last.Name, last.ID)}, nil
}

// warrantyIn reports whether a warranty end is in [from, to), a zero
// bound being open; with either bound set, no warranty is not in.
func warrantyIn(until, from, to time.Time) bool {
	if from.IsZero() && to.IsZero() {
		return true
	}
	return !until.IsZero() && (from.IsZero() || !until.Before(from)) && (to.IsZero() || until.Before(to))
}

// AssetHistory lists an asset's history, oldest first.
func (r reader) AssetHistory(ctx context.Context, company tenant.CompanyID, assetID int64, p storage.PageRequest) (storage.Page[inventory.HistoryEntry], error) {
	p = p.Normalize()
	after, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[inventory.HistoryEntry]{}, fmt.Errorf("memory: asset history: %w", err)
	}
	release, err := r.enter(ctx)
	if err != nil {
		return storage.Page[inventory.HistoryEntry]{}, err
	}
	defer release()
	t := r.s.t.inventory
	ids := t.historyByAsset[assetID]
	i, found := slices.BinarySearch(ids, after)
	if found {
		i++
	}
	rows := []inventory.HistoryEntry{}
	for _, id := range ids[i:] {
		h, _ := t.history.get(id)
		if h.CompanyID != company {
			continue
		}
		rows = append(rows, h)
		if len(rows) > p.Limit {
			break
		}
	}
	return storage.PageOf(rows, p.Limit, func(h inventory.HistoryEntry) int64 { return h.ID }), nil
}

// SerialSettings reads a company's serial settings.
func (r reader) SerialSettings(ctx context.Context, company tenant.CompanyID) (inventory.SerialSettings, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return inventory.SerialSettings{}, err
	}
	defer release()
	s, ok := r.s.t.inventory.serialSettings[company]
	if !ok {
		return inventory.SerialSettings{}, fmt.Errorf("memory: serial settings of company %d: %w", company, storage.ErrNotFound)
	}
	return s, nil
}

func cloneStockItem(s inventory.StockItem) inventory.StockItem { return s }
func cloneAsset(a inventory.Asset) inventory.Asset             { return a }

// ---- writes ----

// InsertStockItem inserts s, setting its ID and Version.
func (x *tx) InsertStockItem(ctx context.Context, s *inventory.StockItem) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	if _, ok := x.s.t.companies.get(s.CompanyID); !ok {
		return fmt.Errorf("memory: insert stock item: company %d does not exist", s.CompanyID)
	}
	t := x.s.t.inventory
	row := cloneStockItem(*s)
	row.ID, row.Version = t.stockItems.allocate(), 1
	t.stockItems.put(row.ID, row)
	x.onRollback(func() { t.stockItems.remove(row.ID) })
	s.ID, s.Version = row.ID, row.Version
	return nil
}

// ConsumeStock takes qty units of a stock item; see inventory.Tx.
func (x *tx) ConsumeStock(ctx context.Context, company tenant.CompanyID, id int64, qty int, at time.Time) (inventory.StockItem, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return inventory.StockItem{}, err
	}
	defer release()
	t := x.s.t.inventory
	old, ok := t.stockItems.get(id)
	switch {
	case !ok || old.CompanyID != company:
		return inventory.StockItem{}, fmt.Errorf("memory: consume stock item %d of company %d: %w", id, company, storage.ErrNotFound)
	case old.Available < qty:
		return inventory.StockItem{}, fmt.Errorf("memory: consume %d of stock item %d (%d available): %w: %w",
			qty, id, old.Available, inventory.ErrInsufficientStock, storage.ErrConflict)
	}
	row := old
	row.Available -= qty
	row.Version++
	row.UpdatedAt = at
	t.stockItems.put(id, row)
	x.onRollback(func() { t.stockItems.put(id, old) })
	return row, nil
}

// NextSerials reserves n numbers of a serial sequence; see inventory.Tx.
func (x *tx) NextSerials(ctx context.Context, company tenant.CompanyID, scope string, n int) (int64, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	if n < 1 {
		return 0, fmt.Errorf("memory: reserve %d serials: reserve at least one", n)
	}
	t := x.s.t.inventory
	k := sequenceKey{company, scope}
	old, existed := t.sequences[k]
	first := old
	if !existed {
		first = 1
	}
	t.sequences[k] = first + int64(n)
	x.onRollback(func() {
		if existed {
			t.sequences[k] = old
		} else {
			delete(t.sequences, k)
		}
	})
	return first, nil
}

// InsertAsset inserts a unless its serial is taken; see inventory.Tx.
func (x *tx) InsertAsset(ctx context.Context, a *inventory.Asset) (bool, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	if err := x.assetReferences(*a); err != nil {
		return false, fmt.Errorf("memory: insert asset: %w", err)
	}
	t := x.s.t.inventory
	if _, taken := t.assetBySerial[assetSerial{a.CompanyID, a.Serial}]; taken {
		return false, nil
	}
	row := cloneAsset(*a)
	if err := t.assetUnique(row); err != nil {
		return false, fmt.Errorf("memory: insert asset: %w", err)
	}
	row.ID, row.Version = t.assets.allocate(), 1
	t.putAsset(row)
	x.onRollback(func() { t.deleteAsset(row.ID) })
	a.ID, a.Version = row.ID, row.Version
	return true, nil
}

// UpdateAsset writes a over the stored asset with the same ID, company and
// Version, then increments a.Version.
func (x *tx) UpdateAsset(ctx context.Context, a *inventory.Asset) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t.inventory
	old, ok := t.assets.get(a.ID)
	ok = ok && old.CompanyID == a.CompanyID
	if err := matchVersion(fmt.Sprintf("asset %d of company %d", a.ID, a.CompanyID), ok, old.Version, a.Version); err != nil {
		return err
	}
	if err := x.assetReferences(*a); err != nil {
		return fmt.Errorf("memory: update asset %d: %w", a.ID, err)
	}
	row := cloneAsset(*a)
	row.CreatedAt = old.CreatedAt
	if id, taken := t.assetBySerial[assetSerial{row.CompanyID, row.Serial}]; taken && id != row.ID {
		return fmt.Errorf("memory: update asset %d: serial %s is taken: %w", a.ID, row.Serial, storage.ErrConflict)
	}
	if err := t.assetUnique(row); err != nil {
		return fmt.Errorf("memory: update asset %d: %w", a.ID, err)
	}
	row.Version++
	t.putAsset(row)
	x.onRollback(func() { t.putAsset(old) })
	a.Version = row.Version
	return nil
}

// assetReferences checks the asset's foreign keys, as the SQL schema does:
// its company, its stock item and its assignee must exist in that company.
func (x *tx) assetReferences(a inventory.Asset) error {
	if _, ok := x.s.t.companies.get(a.CompanyID); !ok {
		return fmt.Errorf("company %d does not exist", a.CompanyID)
	}
	if a.StockItemID != 0 {
		if st, ok := x.s.t.inventory.stockItems.get(a.StockItemID); !ok || st.CompanyID != a.CompanyID {
			return fmt.Errorf("stock item %d does not exist in company %d", a.StockItemID, a.CompanyID)
		}
	}
	if a.AssigneeContactID != 0 {
		if _, ok := x.s.t.contacts.get(a.AssigneeContactID); !ok {
			return fmt.Errorf("contact %d does not exist", a.AssigneeContactID)
		}
	}
	return nil
}

// AppendAssetHistory appends entries, assigning their IDs.
func (x *tx) AppendAssetHistory(ctx context.Context, entries ...inventory.HistoryEntry) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t.inventory
	for _, h := range entries {
		if a, ok := t.assets.get(h.AssetID); !ok || a.CompanyID != h.CompanyID {
			return fmt.Errorf("memory: append asset history: asset %d does not exist in company %d", h.AssetID, h.CompanyID)
		}
	}
	for _, h := range entries {
		h.ID = t.history.allocate()
		t.history.put(h.ID, h)
		t.historyByAsset[h.AssetID] = append(t.historyByAsset[h.AssetID], h.ID)
		x.onRollback(func() {
			t.history.remove(h.ID)
			ids := t.historyByAsset[h.AssetID]
			if len(ids) <= 1 {
				delete(t.historyByAsset, h.AssetID)
			} else {
				t.historyByAsset[h.AssetID] = ids[:len(ids)-1]
			}
		})
	}
	return nil
}

// PutSerialSettings stores a company's serial settings.
func (x *tx) PutSerialSettings(ctx context.Context, company tenant.CompanyID, s inventory.SerialSettings) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	if _, ok := x.s.t.companies.get(company); !ok {
		return fmt.Errorf("memory: put serial settings: company %d does not exist", company)
	}
	t := x.s.t.inventory
	old, existed := t.serialSettings[company]
	t.serialSettings[company] = s
	x.onRollback(func() {
		if existed {
			t.serialSettings[company] = old
		} else {
			delete(t.serialSettings, company)
		}
	})
	return nil
}

// ---- constraints and indexes ----

// assetUnique checks the manufacturer serial's uniqueness (the asset serial
// is checked by the callers, which treat it differently).
func (t *inventoryTables) assetUnique(a inventory.Asset) error {
	if a.ManufacturerSerial == "" {
		return nil
	}
	if id, ok := t.assetByMfrSerial[assetMfrSerial{a.CompanyID, a.Manufacturer, a.ManufacturerSerial}]; ok && id != a.ID {
		return fmt.Errorf("manufacturer serial %s of %s is already registered in company %d: %w",
			a.ManufacturerSerial, a.Manufacturer, a.CompanyID, storage.ErrConflict)
	}
	return nil
}

func (t *inventoryTables) putAsset(a inventory.Asset) {
	t.deleteAssetKeys(a.ID)
	t.assets.put(a.ID, a)
	t.assetBySerial[assetSerial{a.CompanyID, a.Serial}] = a.ID
	if a.ManufacturerSerial != "" {
		t.assetByMfrSerial[assetMfrSerial{a.CompanyID, a.Manufacturer, a.ManufacturerSerial}] = a.ID
	}
}

func (t *inventoryTables) deleteAsset(id int64) {
	t.deleteAssetKeys(id)
	t.assets.remove(id)
}

func (t *inventoryTables) deleteAssetKeys(id int64) {
	old, ok := t.assets.get(id)
	if !ok {
		return
	}
	if k := (assetSerial{old.CompanyID, old.Serial}); t.assetBySerial[k] == id {
		delete(t.assetBySerial, k)
	}
	if old.ManufacturerSerial == "" {
		return
	}
	if k := (assetMfrSerial{old.CompanyID, old.Manufacturer, old.ManufacturerSerial}); t.assetByMfrSerial[k] == id {
		delete(t.assetByMfrSerial, k)
	}
}
