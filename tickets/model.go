package tickets

import (
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// Field limits, in characters.
const (
	MaxTitleLength       = 200
	MaxDescriptionLength = 20000
	MaxCommentLength     = 20000
	MaxCategoryLength    = 80
	MaxTags              = 20
	MaxTagLength         = 40
)

// Status is a ticket's workflow state.
type Status string

// The ticket statuses.
const (
	StatusNew               Status = "new"
	StatusOpen              Status = "open"
	StatusInProgress        Status = "in_progress"
	StatusPendingCustomer   Status = "pending_customer"
	StatusPendingThirdParty Status = "pending_third_party"
	StatusResolved          Status = "resolved"
	StatusClosed            Status = "closed"
	StatusCancelled         Status = "cancelled"
)

// Statuses lists every status in workflow order.
func Statuses() []Status {
	return []Status{StatusNew, StatusOpen, StatusInProgress, StatusPendingCustomer, StatusPendingThirdParty,
		StatusResolved, StatusClosed, StatusCancelled}
}

// Paused reports whether the SLA clocks stop in this status.
func (s Status) Paused() bool { return s == StatusPendingCustomer || s == StatusPendingThirdParty }

// Active reports whether the ticket still needs work (not resolved, closed
// or cancelled).
func (s Status) Active() bool {
	return s != StatusResolved && s != StatusClosed && s != StatusCancelled
}

// Channel is how a ticket arrived.
type Channel string

// The channels.
const (
	ChannelWeb      Channel = "web"
	ChannelAPI      Channel = "api"
	ChannelWhatsApp Channel = "whatsapp"
	ChannelEmail    Channel = "email"
)

// Channels lists every channel.
func Channels() []Channel { return []Channel{ChannelWeb, ChannelAPI, ChannelWhatsApp, ChannelEmail} }

// SLA notification flags: which at-risk and breach events were emitted.
const (
	FlagResponseAtRisk = 1 << iota
	FlagResponseBreached
	FlagResolutionAtRisk
	FlagResolutionBreached
)

// Ticket is a support request (Chamado).
type Ticket struct {
	ID        int64
	CompanyID tenant.CompanyID
	// Number is sequential per company, from 1.
	Number      int64
	Title       string
	Description string
	Priority    sla.Priority
	Category    string
	Channel     Channel
	Tags        []string
	// RequesterContactID is the contact who asked.
	RequesterContactID tenant.ContactID
	// AssigneeUserID is the agent working it; zero when unassigned.
	AssigneeUserID tenant.UserID
	// AssetID is the asset concerned; zero when none.
	AssetID        int64
	Status         Status
	ResolutionNote string
	CancelReason   string
	// ReopenCount counts reopenings from resolved.
	ReopenCount int
	// Pauses are the intervals the SLA clocks stood still: time in
	// pending_* states and time spent resolved before a reopen.
	Pauses []sla.Pause
	// SLAState is the worse of the two targets' states at the last change or
	// SLA check, kept for filtering and analytics.
	SLAState sla.State
	// ResponseDueAt and ResolutionDueAt are the due times at the last
	// evaluation.
	ResponseDueAt   time.Time
	ResolutionDueAt time.Time
	// SLAFlags records the at-risk and breach events already emitted
	// (Flag* bits), so each is emitted once.
	SLAFlags int
	// NextSLACheckAt is when the SLA worker should look again; zero when
	// nothing can change on its own.
	NextSLACheckAt  time.Time
	FirstResponseAt time.Time
	ResolvedAt      time.Time
	ClosedAt        time.Time
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Comment is a public reply or an internal note on a ticket.
type Comment struct {
	ID           int64
	CompanyID    tenant.CompanyID
	TicketID     int64
	AuthorUserID tenant.UserID
	Body         string
	// Internal notes are never shown to requesters.
	Internal  bool
	CreatedAt time.Time
}

// Filter narrows List. Zero fields do not filter.
type Filter struct {
	Status         Status
	Priority       sla.Priority
	AssigneeUserID tenant.UserID
	// Unassigned keeps only tickets without an assignee (AssigneeUserID
	// must then be zero).
	Unassigned         bool
	RequesterContactID tenant.ContactID
	AssetID            int64
	Category           string
	Tag                string
	Channel            Channel
	SLAState           sla.State
	CreatedFrom        time.Time
	CreatedTo          time.Time
	// Search matches title or description: every word of the query must
	// start a word of either.
	Search string
	// Sort orders the list (SortOldest when empty); a cursor resumes the
	// list in the order it was made in, and another order refuses it
	// (storage.ErrBadCursor).
	Sort Sort
}
