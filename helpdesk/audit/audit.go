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

// Event is one security event.
type Event struct {
	ID   int64
	At   time.Time
	Kind Kind
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

// Store keeps security events.
type Store interface {
	// RecordSecurityEvent appends e and assigns its ID.
	RecordSecurityEvent(ctx context.Context, e *Event) error
	// SecurityEvents returns the newest events matching q first.
	SecurityEvents(ctx context.Context, q Query) ([]Event, error)
	// CountSecurityEvents counts events by kind in [since, until).
	CountSecurityEvents(ctx context.Context, since, until time.Time) (map[Kind]int, error)
}
