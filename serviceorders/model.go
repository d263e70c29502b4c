package serviceorders

import (
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Field limits, in characters.
const (
	MaxDescriptionLength = 20000
	MaxAddressLength     = 500
	MaxAPRLength         = 60
	MaxNameLength        = 200
	MaxNoteLength        = 2000
	// MaxMinutes bounds one time entry (a week).
	MaxMinutes = 7 * 24 * 60
)

// Status is a service order's workflow state.
type Status string

// The service order statuses.
const (
	StatusDraft      Status = "draft"
	StatusScheduled  Status = "scheduled"
	StatusInProgress Status = "in_progress"
	StatusOnHold     Status = "on_hold"
	StatusCompleted  Status = "completed"
	StatusApproved   Status = "approved"
	StatusInvoiced   Status = "invoiced"
	StatusCancelled  Status = "cancelled"
)

// Statuses lists every status in workflow order.
func Statuses() []Status {
	return []Status{StatusDraft, StatusScheduled, StatusInProgress, StatusOnHold, StatusCompleted,
		StatusApproved, StatusInvoiced, StatusCancelled}
}

// AcceptsWork reports whether activities and parts may still be logged:
// not once the order is completed (or later) or cancelled.
func (s Status) AcceptsWork() bool {
	return s == StatusDraft || s == StatusScheduled || s == StatusInProgress || s == StatusOnHold
}

// Done reports whether the work was completed (completed, approved or
// invoiced).
func (s Status) Done() bool {
	return s == StatusCompleted || s == StatusApproved || s == StatusInvoiced
}

// Type is the kind of service.
type Type string

// The service order types.
const (
	TypeCorrective   Type = "corrective"
	TypePreventive   Type = "preventive"
	TypeInstallation Type = "installation"
	TypeInspection   Type = "inspection"
	TypeRemote       Type = "remote"
)

// Types lists every type.
func Types() []Type {
	return []Type{TypeCorrective, TypePreventive, TypeInstallation, TypeInspection, TypeRemote}
}

// Valid reports whether t is a known type.
func (t Type) Valid() bool {
	for _, v := range Types() {
		if t == v {
			return true
		}
	}
	return false
}

// OnSite reports whether the work happens at the customer's site, where an
// APR (Análise Preliminar de Risco) is required before starting.
func (t Type) OnSite() bool { return t != TypeRemote }

// FormatNumber renders an order number: OS-{company}-{year}-{seq:06d}.
func FormatNumber(company tenant.CompanyID, year int, seq int64) string {
	return fmt.Sprintf("OS-%d-%d-%06d", int64(company), year, seq)
}

// SignOff is the customer's acceptance of the work.
type SignOff struct {
	Name string
	At   time.Time
	Note string
}

// Order is a service order (Ordem de Serviço).
type Order struct {
	ID        int64
	CompanyID tenant.CompanyID
	// Year is the calendar year of creation in the company's timezone and
	// Seq the order's place in that year, from 1 without gaps; Number is
	// FormatNumber(CompanyID, Year, Seq).
	Year   int
	Seq    int64
	Number string
	Type   Type
	Status Status
	// TicketID, AssetID and TechnicianUserID are zero when unset.
	TicketID         int64
	AssetID          int64
	TechnicianUserID tenant.UserID
	ScheduledStart   time.Time
	ScheduledEnd     time.Time
	Address          string
	// APRNumber is the risk analysis (Análise Preliminar de Risco) of an
	// on-site order; starting an on-site order requires it.
	APRNumber    string
	Description  string
	SignOff      SignOff
	CancelReason string
	StartedAt    time.Time
	CompletedAt  time.Time
	ApprovedAt   time.Time
	InvoicedAt   time.Time
	CancelledAt  time.Time
	CreatedBy    tenant.UserID
	Version      int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ActivityKind is the kind of an activity entry.
type ActivityKind string

// The activity kinds.
const (
	ActivityKindNote   ActivityKind = "note"
	ActivityKindTravel ActivityKind = "travel"
	ActivityKindLabour ActivityKind = "labour"
	ActivityKindPart   ActivityKind = "part"
)

// ActivityKinds lists every kind.
func ActivityKinds() []ActivityKind {
	return []ActivityKind{ActivityKindNote, ActivityKindTravel, ActivityKindLabour, ActivityKindPart}
}

// Activity is one entry of an order's activity and time log.
type Activity struct {
	ID               int64
	CompanyID        tenant.CompanyID
	OrderID          int64
	Kind             ActivityKind
	Description      string
	TechnicianUserID tenant.UserID
	// StartedAt and EndedAt are both set for a timed entry (and then
	// Minutes is their difference) or both zero for an entry of Minutes.
	StartedAt time.Time
	EndedAt   time.Time
	Minutes   int
	Billable  bool
	// Month is the month of the work (YYYY-MM) in the company's timezone:
	// the billing period the minutes count in.
	Month string
	// DeletedAt is set on deleted entries, which are kept for the audit
	// trail but count nowhere.
	DeletedAt time.Time
	CreatedBy tenant.UserID
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Timed reports whether the entry has a start and an end.
func (a Activity) Timed() bool { return !a.StartedAt.IsZero() }

// Part is a stock item consumed by an order.
type Part struct {
	ID            int64
	CompanyID     tenant.CompanyID
	OrderID       int64
	StockItemID   int64
	Name          string
	Quantity      int
	UnitCostCents int64
	CreatedBy     tenant.UserID
	CreatedAt     time.Time
}

// Totals sums an order's time and parts.
type Totals struct {
	BillableMinutes    int
	NonBillableMinutes int
	PartsCostCents     int64
}

// TotalsOf sums activities (deleted ones excluded) and parts.
func TotalsOf(acts []Activity, parts []Part) Totals {
	var t Totals
	for _, a := range acts {
		switch {
		case !a.DeletedAt.IsZero():
		case a.Billable:
			t.BillableMinutes += a.Minutes
		default:
			t.NonBillableMinutes += a.Minutes
		}
	}
	for _, p := range parts {
		t.PartsCostCents += int64(p.Quantity) * p.UnitCostCents
	}
	return t
}

// Filter narrows List. Zero fields do not filter.
type Filter struct {
	Status           Status
	Type             Type
	TechnicianUserID tenant.UserID
	TicketID         int64
	AssetID          int64
	APRNumber        string
	// ScheduledFrom and ScheduledTo bound ScheduledStart to [from, to).
	ScheduledFrom time.Time
	ScheduledTo   time.Time
	// Search matches number, description, address or APR number: every
	// word of the query must start a word of one of them (words are runs
	// of letters and digits, compared case-insensitively).
	Search string
}
