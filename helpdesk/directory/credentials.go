package directory

import (
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// RefreshToken is one refresh token of a login session, stored by digest
// only. Each refresh rotates it: the presented token is marked used and a
// new one of the same session is issued. Presenting a used token again is
// reuse, which revokes the whole session.
type RefreshToken struct {
	// Digest is the hex SHA-256 of the token (auth.Digest); the token itself
	// is never stored.
	Digest    string
	SessionID string
	UserID    tenant.UserID
	// CompanyID is the user's company (zero for platform admins).
	CompanyID tenant.CompanyID
	CreatedAt time.Time
	ExpiresAt time.Time
	// UsedAt is set when the token was exchanged for a new one.
	UsedAt time.Time
	// RevokedAt is set when the session was revoked (logout, reuse).
	RevokedAt time.Time
}

// APIToken is a long-lived credential for integrations, owned by a company
// and scoped to a set of permissions. Only its digest is stored.
type APIToken struct {
	ID        int64
	CompanyID tenant.CompanyID
	Name      string
	// LookupID is the public part of the token ("bld_<lookup>_<secret>"),
	// unique across the installation.
	LookupID string
	// Digest is the hex SHA-256 of the whole token (auth.Digest).
	Digest      string
	Permissions []tenant.Permission
	CreatedBy   tenant.UserID
	// ExpiresAt is zero for a token that does not expire.
	ExpiresAt time.Time
	// LastUsedAt is updated at most once per APITokenTouchInterval.
	LastUsedAt time.Time
	RevokedAt  time.Time
	// Rate and Burst are the token's own limit on requests (a second, and
	// at once), granted by a company admin to an integration that needs
	// more than the server's per-principal limit; zero keeps the server's.
	Rate      float64
	Burst     int
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// APITokenFilter narrows ListAPITokens. Zero fields do not filter.
type APITokenFilter struct {
	// Revoked, when set, keeps only revoked (true) or live (false) tokens.
	Revoked *bool
}
