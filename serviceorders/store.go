package serviceorders

import (
	"context"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

// Queries are the reads service orders need. Methods taking a company read
// only that company's rows: another company's row is storage.ErrNotFound.
type Queries interface {
	ServiceOrderByID(ctx context.Context, company tenant.CompanyID, id int64) (Order, error)
	// ListServiceOrders orders by ascending ID.
	ListServiceOrders(ctx context.Context, company tenant.CompanyID, f Filter, p storage.PageRequest) (storage.Page[Order], error)
	// ServiceOrderActivities lists an order's activities, deleted ones
	// included, by ascending ID.
	ServiceOrderActivities(ctx context.Context, company tenant.CompanyID, orderID int64) ([]Activity, error)
	// ServiceOrderParts lists an order's parts by ascending ID.
	ServiceOrderParts(ctx context.Context, company tenant.CompanyID, orderID int64) ([]Part, error)
	// ServiceOrderAnalytics computes the aggregates of one company with
	// aggregate queries in the database.
	ServiceOrderAnalytics(ctx context.Context, company tenant.CompanyID, q AnalyticsQuery) (Analytics, error)
	// BillableHours sums the billable minutes of one company's month
	// (YYYY-MM) per order and technician, by order number then technician.
	BillableHours(ctx context.Context, company tenant.CompanyID, month string) ([]BillableLine, error)

	CompanyByID(ctx context.Context, id tenant.CompanyID) (directory.Company, error)
	UserByID(ctx context.Context, company tenant.CompanyID, id tenant.UserID) (directory.User, error)
	TicketByID(ctx context.Context, company tenant.CompanyID, id int64) (tickets.Ticket, error)
	AssetByID(ctx context.Context, company tenant.CompanyID, id int64) (inventory.Asset, error)
}

// Tx is the transaction-scoped view of the store inside a unit of work. It
// is also a tickets.Tx and an inventory.Tx, so that an order, the ticket it
// opens and the stock it consumes commit together.
type Tx interface {
	Queries
	tickets.Tx
	inventory.Tx

	// NextServiceOrderSeq allocates the next sequence number (1, 2, ...) of
	// the company's orders of year, gapless: a rolled-back unit of work
	// gives its number back, and concurrent units of work wait for each
	// other.
	NextServiceOrderSeq(ctx context.Context, company tenant.CompanyID, year int) (int64, error)
	// InsertServiceOrder assigns the ID and sets Version to 1.
	InsertServiceOrder(ctx context.Context, o *Order) error
	// UpdateServiceOrder writes o where ID, company and Version match, then
	// increments Version (storage.ErrStale / storage.ErrNotFound otherwise).
	UpdateServiceOrder(ctx context.Context, o *Order) error
	// OverlappingActivity returns the ID of a live timed activity of the
	// technician that overlaps [from, to), other than exclude, or 0. It
	// serialises the technician's time entries until the unit of work ends,
	// so that two concurrent entries cannot both pass the check.
	OverlappingActivity(ctx context.Context, company tenant.CompanyID, technician tenant.UserID, from, to time.Time, exclude int64) (int64, error)
	// InsertActivity assigns the ID and sets Version to 1.
	InsertActivity(ctx context.Context, a *Activity) error
	// UpdateActivity writes a where ID, company and Version match, then
	// increments Version.
	UpdateActivity(ctx context.Context, a *Activity) error
	// InsertPart assigns the part's ID.
	InsertPart(ctx context.Context, p *Part) error
}

// Store is what service orders need from a storage backend.
type Store interface {
	Queries
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
}

// AnalyticsQuery bounds the analytics to orders created in [From, To) and
// to the time logged in the months (of the company's timezone) from From's
// to the one before To.
type AnalyticsQuery struct {
	From, To time.Time
	// FromMonth and ToMonth (YYYY-MM, inclusive) bound the time entries;
	// the service derives them from From and To in the company's timezone.
	FromMonth, ToMonth string
}

// StatusCount counts orders in one status.
type StatusCount struct {
	Status Status
	N      int
}

// Hours are billable and non-billable minutes.
type Hours struct {
	BillableMinutes    int
	NonBillableMinutes int
}

// TechnicianHours are one technician's minutes in the window.
type TechnicianHours struct {
	UserID tenant.UserID
	Hours
}

// MonthHours are the company's minutes of one month (YYYY-MM).
type MonthHours struct {
	Month string
	Hours
}

// Analytics is the report of one company over a window.
type Analytics struct {
	From, To time.Time
	// Total counts the orders created in the window; ByStatus splits them.
	Total    int
	ByStatus []StatusCount
	// CompletionRate is the percentage of the window's orders, cancelled
	// ones aside, that were completed (completed, approved or invoiced);
	// -1 when there is none.
	CompletionRate float64
	// ScheduledToCompleted is the mean time from the scheduled start to
	// completion, over the completed orders with a schedule (N counts them).
	ScheduledToCompleted  time.Duration
	CompletedWithSchedule int
	// OnTimeRate is the percentage of those completed by their scheduled
	// end; -1 when there is none.
	OnTimeRate float64
	// Hours, ByTechnician (busiest first) and ByMonth sum the time entries
	// of the window's months.
	Hours        Hours
	ByTechnician []TechnicianHours
	ByMonth      []MonthHours
}

// BillableLine is one row of the billable-hours export.
type BillableLine struct {
	OrderID          int64
	Number           string
	TicketID         int64
	TechnicianUserID tenant.UserID
	BillableMinutes  int
}
