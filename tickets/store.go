package tickets

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// Queries are the reads tickets need. Methods taking a company read only
// that company's rows: another company's row is storage.ErrNotFound.
type Queries interface {
	TicketByID(ctx context.Context, company tenant.CompanyID, id int64) (Ticket, error)
	// ListTickets lists the tickets that pass f in the order f.Sort, in
	// keyset pages whose cursors Sort.Cursor makes and Sort.Position reads.
	ListTickets(ctx context.Context, company tenant.CompanyID, f Filter, p storage.PageRequest) (storage.Page[Ticket], error)
	// ListComments lists a ticket's comments, oldest first, leaving out
	// internal notes unless includeInternal.
	ListComments(ctx context.Context, company tenant.CompanyID, ticketID int64, includeInternal bool, p storage.PageRequest) (storage.Page[Comment], error)
	// TicketHistory lists a ticket's history, oldest first, leaving out
	// internal entries unless includeInternal. A ticket missing from the
	// company is storage.ErrNotFound.
	TicketHistory(ctx context.Context, company tenant.CompanyID, ticketID int64, includeInternal bool, p storage.PageRequest) (storage.Page[HistoryEntry], error)
	// TicketsDueForSLACheck returns up to limit tickets, of any company,
	// whose NextSLACheckAt is set and not after now, oldest check first.
	TicketsDueForSLACheck(ctx context.Context, now time.Time, limit int) ([]Ticket, error)
	// Analytics computes the aggregates of one company with aggregate
	// queries in the database.
	Analytics(ctx context.Context, company tenant.CompanyID, q AnalyticsQuery) (Analytics, error)
	// ActiveCounts counts the company's active tickets (not resolved,
	// closed or cancelled) by status, priority and SLA state, whenever they
	// were created, in SortActiveCounts order.
	ActiveCounts(ctx context.Context, company tenant.CompanyID) ([]ActiveCount, error)

	// ListViews lists a user's saved views by position, then ID.
	ListViews(ctx context.Context, company tenant.CompanyID, user tenant.UserID) ([]SavedView, error)

	CompanyByID(ctx context.Context, id tenant.CompanyID) (directory.Company, error)
	// CompanyAndContact reads a company and one of its contacts at once
	// (one query on the SQL backends; a ticket's creation needs both):
	// storage.ErrNotFound when there is no such company, a zero Contact
	// when the company has no such contact.
	CompanyAndContact(ctx context.Context, company tenant.CompanyID, contact tenant.ContactID) (directory.Company, directory.Contact, error)
	UserByID(ctx context.Context, company tenant.CompanyID, id tenant.UserID) (directory.User, error)
	AssetByID(ctx context.Context, company tenant.CompanyID, id int64) (inventory.Asset, error)
}

// Tx is the transaction-scoped view of the store inside a unit of work.
type Tx interface {
	Queries
	events.Appender

	// NextTicketNumber allocates the company's next ticket number (1, 2,
	// ...). Numbers are unique per company and grow in the order they are
	// drawn. A backend may draw them so that a company's creations need not
	// commit one at a time: PostgreSQL draws from a per-company sequence,
	// and a unit of work that fails after drawing leaves a gap, and two
	// creations that race may draw their IDs and numbers in opposite
	// orders; the memory and SQLite backends give the number back and
	// number in ID order.
	NextTicketNumber(ctx context.Context, company tenant.CompanyID) (int64, error)
	// InsertTicket assigns the ID and sets Version to 1. A ticket whose
	// Number is zero receives the company's next number, as from
	// NextTicketNumber (on PostgreSQL in the INSERT itself).
	InsertTicket(ctx context.Context, t *Ticket) error
	// UpdateTicket writes t where ID, company and Version match, then
	// increments Version (storage.ErrStale / storage.ErrNotFound otherwise).
	UpdateTicket(ctx context.Context, t *Ticket) error
	// InsertComment assigns the comment's ID.
	InsertComment(ctx context.Context, c *Comment) error
	// AppendTicketHistory appends entries of tickets of their company,
	// assigning their IDs.
	AppendTicketHistory(ctx context.Context, entries ...HistoryEntry) error
	// InsertView assigns the view's ID; a name the user already has is
	// storage.ErrConflict.
	InsertView(ctx context.Context, v *SavedView) error
	// UpdateView writes the name, query and position of the view with v's
	// ID, company and user (storage.ErrNotFound when there is none;
	// storage.ErrConflict when the name is taken).
	UpdateView(ctx context.Context, v SavedView) error
	// DeleteView deletes a user's view (storage.ErrNotFound when there is
	// none).
	DeleteView(ctx context.Context, company tenant.CompanyID, user tenant.UserID, id int64) error
}

// PresenceStore keeps who has which ticket open (see Viewer). It is used
// outside units of work; records expire on their own.
type PresenceStore interface {
	// TouchViewer records v (one record per company, ticket and session,
	// replaced by a later touch) and may delete the ticket's records
	// expired at now.
	TouchViewer(ctx context.Context, v Viewer, now time.Time) error
	// RemoveViewer deletes a session's record; a missing one is no error.
	RemoveViewer(ctx context.Context, company tenant.CompanyID, ticketID int64, session string) error
	// TicketViewers lists the records of a ticket not expired at now, by
	// name, then session.
	TicketViewers(ctx context.Context, company tenant.CompanyID, ticketID int64, now time.Time) ([]Viewer, error)
}

// Store is what tickets need from a storage backend.
type Store interface {
	Queries
	PresenceStore
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
}

// AnalyticsQuery bounds the analytics to tickets created in [From, To);
// Now dates the backlog ages; Location (the company's timezone) cuts days.
type AnalyticsQuery struct {
	From, To time.Time
	Now      time.Time
	Location *time.Location
	// StaleBefore marks active tickets not updated since this instant as
	// escalation candidates (the service derives it from N business hours).
	StaleBefore time.Time
	// AgentCapacity is the number of active tickets above which an agent
	// is over capacity.
	AgentCapacity int
}

// Count is one cell of the count by status and priority.
type Count struct {
	Status   Status
	Priority string
	N        int
}

// ActiveCount is one cell of the count of active tickets by status,
// priority and SLA state.
type ActiveCount struct {
	Status   Status
	Priority string
	SLAState string
	N        int
}

// SortActiveCounts orders counts by status and priority as SortCounts
// does, then by SLA state. Store implementations sort their counts with
// it.
func SortActiveCounts(cs []ActiveCount) {
	plain := make([]Count, len(cs))
	for i, c := range cs {
		plain[i] = Count{Status: c.Status, Priority: c.Priority}
	}
	SortCounts(plain)
	rank := map[Count]int{}
	for i, c := range plain {
		if _, ok := rank[c]; !ok {
			rank[c] = i
		}
	}
	slices.SortFunc(cs, func(a, b ActiveCount) int {
		return cmp.Or(cmp.Compare(rank[Count{Status: a.Status, Priority: a.Priority}], rank[Count{Status: b.Status, Priority: b.Priority}]),
			cmp.Compare(a.SLAState, b.SLAState))
	})
}

// DayCount is how many tickets were created and resolved on one day (in the
// company's timezone).
type DayCount struct {
	Day      string
	Created  int
	Resolved int
}

// DurationStats summarises a set of durations.
type DurationStats struct {
	N    int
	Mean time.Duration
	P90  time.Duration
}

// AgeBucket counts active tickets by age.
type AgeBucket struct {
	Bucket string
	N      int
}

// AgentLoad is one agent's count of active tickets.
type AgentLoad struct {
	UserID tenant.UserID
	Active int
}

// Escalation is a ticket that needs attention, with the reason.
type Escalation struct {
	TicketID int64
	Number   int64
	Reason   string
	// AgentUserID is set for agent-capacity escalations (TicketID zero).
	AgentUserID tenant.UserID
}

// MaxEscalations bounds the escalations of each kind in Analytics.
const MaxEscalations = 100

// The reasons of the escalations, kind by kind, in the order Analytics
// lists them: breached, at risk, critical and unassigned, stale, reopened
// more than once (ReasonReopened), then agents over capacity
// (OverCapacity).
const (
	ReasonBreached           = "sla breached"
	ReasonAtRisk             = "sla at risk"
	ReasonCriticalUnassigned = "critical and unassigned"
)

// ReasonStale is the reason of a ticket not updated since before.
func ReasonStale(before time.Time) string {
	return "no update since " + before.UTC().Format(time.RFC3339)
}

// ReasonReopened is the reason of a ticket reopened n times.
func ReasonReopened(n int) string { return fmt.Sprintf("reopened %d times", n) }

// OverCapacity lists the agents of load (busiest first) above capacity,
// at most MaxEscalations; none when capacity is not positive.
func OverCapacity(load []AgentLoad, capacity int) []Escalation {
	out := []Escalation{}
	if capacity <= 0 {
		return out
	}
	for _, l := range load {
		if l.Active > capacity && len(out) < MaxEscalations {
			out = append(out, Escalation{AgentUserID: l.UserID,
				Reason: fmt.Sprintf("agent over capacity: %d active tickets", l.Active)})
		}
	}
	return out
}

// Analytics is the report of one company over a window.
type Analytics struct {
	From, To time.Time
	// ByStatusPriority counts the tickets created in the window.
	ByStatusPriority []Count
	PerDay           []DayCount
	// FirstResponse and Resolution are wall-clock durations from creation,
	// over the tickets created in the window that have them.
	FirstResponse DurationStats
	Resolution    DurationStats
	// SLACompliance is the percentage of tickets resolved in the window
	// whose resolution met its due time; -1 when none was resolved.
	SLACompliance float64
	// Backlog counts active tickets by age at Now: <1d, 1-3d, 3-7d, >7d.
	Backlog []AgeBucket
	// Load lists active tickets per assigned agent, busiest first.
	Load []AgentLoad
	// Escalations lists what needs attention, each with its reason.
	Escalations []Escalation
}

// SortCounts orders counts as Analytics.ByStatusPriority lists them: by
// workflow status, then by priority (low to critical); unknown values
// last, alphabetically. Store implementations sort their counts with it.
func SortCounts(cs []Count) {
	rank := func(list []string, s string) int {
		if i := slices.Index(list, s); i >= 0 {
			return i
		}
		return len(list)
	}
	var statuses, priorities []string
	for _, s := range Statuses() {
		statuses = append(statuses, string(s))
	}
	for _, p := range sla.Priorities() {
		priorities = append(priorities, string(p))
	}
	slices.SortFunc(cs, func(a, b Count) int {
		return cmp.Or(cmp.Compare(rank(statuses, string(a.Status)), rank(statuses, string(b.Status))),
			cmp.Compare(a.Status, b.Status),
			cmp.Compare(rank(priorities, a.Priority), rank(priorities, b.Priority)),
			cmp.Compare(a.Priority, b.Priority))
	})
}
