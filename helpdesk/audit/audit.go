package audit

import (
	"context"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Kind classifies a security event.
type Kind string

// The kinds of security events.
const (
	LoginFailed     Kind = "login_failed"
	LoginSucceeded  Kind = "login_succeeded"
	LoginDisabled   Kind = "login_disabled"
	RateLimited     Kind = "rate_limited"
	TokenInvalid    Kind = "token_invalid"
	TokenReuse      Kind = "refresh_token_reuse"
	IPBlocked       Kind = "ip_blocked"
	IPUnblocked     Kind = "ip_unblocked"
	HostRefused     Kind = "host_refused"
	CompanyRefused  Kind = "company_header_refused"
	PermissionError Kind = "permission_denied"
	// RequestRejected is a malformed, oversized or wrongly typed request.
	RequestRejected Kind = "request_rejected"
)

// Event is one security event, or a run of events of one kind from one
// source (see Aggregator): Count of them, the first At, the last LastAt.
type Event struct {
	ID int64
	// At is when the event (the first of the run) happened.
	At   time.Time
	Kind Kind
	// Count is how many events the row stands for (1 when zero, as for
	// an event recorded alone).
	Count int64
	// LastAt is when the last event of the run happened (At for one).
	LastAt time.Time
	// IP is the client address, empty when unknown.
	IP string
	// Email is the login attempted, for login events.
	Email     string
	UserID    tenant.UserID
	CompanyID tenant.CompanyID
	// Detail is a short human-readable note; never a secret.
	Detail string
}

// Query selects events. Zero fields do not filter; Limit defaults to 100.
type Query struct {
	Since, Until time.Time
	Kind         Kind
	IP           string
	CompanyID    tenant.CompanyID
	Limit        int
}

// Occurrences returns how many events e stands for: Count, or 1.
func (e Event) Occurrences() int64 { return max(e.Count, 1) }

// Last returns when the last event of e happened: LastAt, or At.
func (e Event) Last() time.Time {
	if e.LastAt.IsZero() {
		return e.At
	}
	return e.LastAt
}

// Store keeps security events.
type Store interface {
	// RecordSecurityEvent appends e and assigns its ID.
	RecordSecurityEvent(ctx context.Context, e *Event) error
	// SecurityEvents returns the newest events matching q first.
	SecurityEvents(ctx context.Context, q Query) ([]Event, error)
	// RecordSecurityEvents appends es in one write, assigning their IDs.
	RecordSecurityEvents(ctx context.Context, es []*Event) error
	// CountSecurityEvents counts events by kind in [since, until): a row
	// of a run counts for its Count.
	CountSecurityEvents(ctx context.Context, since, until time.Time) (map[Kind]int, error)
}
