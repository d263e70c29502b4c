package inventory

import (
	"context"
	"errors"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// ErrInsufficientStock is returned (wrapping storage.ErrConflict) when a
// consumption asks for more units than are available.
var ErrInsufficientStock = errors.New("insufficient stock")

// Queries are the reads inventory needs. Methods taking a company read only
// that company's rows: another company's row is storage.ErrNotFound.
type Queries interface {
	StockItemByID(ctx context.Context, company tenant.CompanyID, id int64) (StockItem, error)
	// ListStockItems orders by ascending ID.
	ListStockItems(ctx context.Context, company tenant.CompanyID, f StockItemFilter, p storage.PageRequest) (storage.Page[StockItem], error)
	AssetByID(ctx context.Context, company tenant.CompanyID, id int64) (Asset, error)
	AssetBySerial(ctx context.Context, company tenant.CompanyID, serial string) (Asset, error)
	// ListAssets orders by ascending ID (SortCreated) or by (name, ID)
	// (SortName, cursor from storage.CursorAfterKey).
	ListAssets(ctx context.Context, company tenant.CompanyID, f AssetFilter, p storage.PageRequest) (storage.Page[Asset], error)
	// AssetHistory lists an asset's history, oldest first.
	AssetHistory(ctx context.Context, company tenant.CompanyID, assetID int64, p storage.PageRequest) (storage.Page[HistoryEntry], error)
	// SerialSettings reads a company's serial settings; storage.ErrNotFound
	// when it never set any.
	SerialSettings(ctx context.Context, company tenant.CompanyID) (SerialSettings, error)

	CompanyByID(ctx context.Context, id tenant.CompanyID) (directory.Company, error)
	ContactByID(ctx context.Context, company tenant.CompanyID, id tenant.ContactID) (directory.Contact, error)
}

// Tx is the transaction-scoped view of the store inside a unit of work.
type Tx interface {
	Queries
	events.Appender

	// InsertStockItem assigns the ID and sets Version to 1.
	InsertStockItem(ctx context.Context, s *StockItem) error
	// ConsumeStock takes qty units from the item's Available count,
	// atomically, and returns the updated item (Version incremented). It
	// fails with ErrInsufficientStock (wrapping storage.ErrConflict) when
	// fewer units are available, and writes nothing then.
	ConsumeStock(ctx context.Context, company tenant.CompanyID, id int64, qty int, at time.Time) (StockItem, error)
	// NextSerials reserves n consecutive numbers of the company's sequence
	// named scope (created at 1 when missing) and returns the first. The
	// reservation is atomic: concurrent units of work get disjoint ranges.
	NextSerials(ctx context.Context, company tenant.CompanyID, scope string, n int) (int64, error)
	// InsertAsset inserts a, assigning the ID and Version 1, and reports
	// true. When a.Serial is already taken in the company it writes nothing
	// and reports false without failing the transaction. A taken
	// manufacturer serial is storage.ErrConflict.
	InsertAsset(ctx context.Context, a *Asset) (bool, error)
	// UpdateAsset writes a where ID, company and Version match, then
	// increments Version (storage.ErrStale / storage.ErrNotFound otherwise).
	UpdateAsset(ctx context.Context, a *Asset) error
	// AppendAssetHistory appends entries, assigning their IDs.
	AppendAssetHistory(ctx context.Context, entries ...HistoryEntry) error
	// PutSerialSettings stores a company's serial settings.
	PutSerialSettings(ctx context.Context, company tenant.CompanyID, s SerialSettings) error
}

// Store is what inventory needs from a storage backend.
type Store interface {
	Queries
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
}
