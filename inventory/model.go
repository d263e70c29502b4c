package inventory

import (
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Limits of intake and of text fields (characters).
const (
	MaxQuantity       = 1000
	MaxNameLength     = 200
	MaxFieldLength    = 120
	MaxWarrantyMonths = 240
)

// StockItem is a received batch (Estoque).
type StockItem struct {
	ID           int64
	CompanyID    tenant.CompanyID
	Name         string
	Category     string
	Manufacturer string
	Model        string
	// Quantity is how many units were received; Available how many are
	// still unconsumed. Available never goes below zero.
	Quantity  int
	Available int
	Location  string
	Supplier  string
	// InvoiceNumber is the supplier's invoice (nota fiscal).
	InvoiceNumber  string
	UnitCostCents  int64
	ReceivedAt     time.Time
	WarrantyMonths int
	CreatedBy      tenant.UserID
	Version        int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Status is an asset's lifecycle state.
type Status string

// The asset statuses.
const (
	StatusInStock  Status = "in_stock"
	StatusAssigned Status = "assigned"
	StatusInUse    Status = "in_use"
	StatusInRepair Status = "in_repair"
	StatusRetired  Status = "retired"
	StatusLost     Status = "lost"
)

// Statuses lists every asset status.
func Statuses() []Status {
	return []Status{StatusInStock, StatusAssigned, StatusInUse, StatusInRepair, StatusRetired, StatusLost}
}

// Asset is one unit (Ativo).
type Asset struct {
	ID          int64
	CompanyID   tenant.CompanyID
	StockItemID int64
	// Serial is generated (or imported) and unique per company.
	Serial string
	// ManufacturerSerial is optional; unique per company and manufacturer.
	ManufacturerSerial string
	Name               string
	Category           string
	Manufacturer       string
	Model              string
	Status             Status
	// AssigneeContactID is the contact holding the asset; zero when none.
	AssigneeContactID tenant.ContactID
	Location          string
	WarrantyUntil     time.Time
	// RetiredReason is set when the asset is retired or lost.
	RetiredReason string
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// HistoryEntry is one recorded change of an asset. The history is
// append-only.
type HistoryEntry struct {
	ID          int64
	CompanyID   tenant.CompanyID
	AssetID     int64
	At          time.Time
	ActorUserID tenant.UserID
	// Action is created, status_changed, assigned, unassigned, moved,
	// updated or retired.
	Action string
	// Field, From and To describe what changed ("status", "in_stock",
	// "assigned").
	Field string
	From  string
	To    string
	Note  string
}

// SortOrder orders asset lists.
type SortOrder string

// The orders of asset lists. Both are keyset-paginated.
const (
	SortCreated SortOrder = "created"
	SortName    SortOrder = "name"
)

// AssetFilter narrows ListAssets. Zero fields do not filter.
type AssetFilter struct {
	Status            Status
	Category          string
	AssigneeContactID tenant.ContactID
	Location          string
	StockItemID       int64
	// WarrantyFrom and WarrantyTo keep the assets whose warranty ends in
	// [from, to); either bound alone is open on the other side. Assets
	// without a warranty are left out once either is set.
	WarrantyFrom time.Time
	WarrantyTo   time.Time
	// Search matches name, serial, manufacturer serial or model.
	Search string
	Sort   SortOrder
}

// StockItemFilter narrows ListStockItems. Zero fields do not filter.
type StockItemFilter struct {
	Category string
	// Search matches name, manufacturer, model, supplier or invoice number.
	Search string
	// InStock keeps only items with units available.
	InStock bool
}
