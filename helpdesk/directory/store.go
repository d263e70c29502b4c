package directory

import (
	"context"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// Queries are the reads the directory needs. Methods taking a company read
// only that company's rows: another company's row is storage.ErrNotFound.
// Lists are ordered by ascending ID and paginated by keyset.
type Queries interface {
	CompanyByID(ctx context.Context, id tenant.CompanyID) (Company, error)
	ListCompanies(ctx context.Context, f CompanyFilter, p storage.PageRequest) (storage.Page[Company], error)

	ContactByID(ctx context.Context, company tenant.CompanyID, id tenant.ContactID) (Contact, error)
	ListContacts(ctx context.Context, company tenant.CompanyID, f ContactFilter, p storage.PageRequest) (storage.Page[Contact], error)

	// UserByID reads a user of company; company zero reads platform admins.
	UserByID(ctx context.Context, company tenant.CompanyID, id tenant.UserID) (User, error)
	// UserByEmail reads a user by its (lower-case) email, in any company.
	// Only authentication uses it.
	UserByEmail(ctx context.Context, email string) (User, error)
	// ListUsers lists users of company; company zero lists platform admins.
	ListUsers(ctx context.Context, company tenant.CompanyID, f UserFilter, p storage.PageRequest) (storage.Page[User], error)

	// RefreshTokenByDigest reads a refresh token by its digest, in any company.
	RefreshTokenByDigest(ctx context.Context, digest string) (RefreshToken, error)
	// SessionLive reports whether the session has a refresh token that is
	// not revoked: false once it was logged out, revoked for a reused
	// token or by a password change, or when it never existed.
	SessionLive(ctx context.Context, sessionID string) (bool, error)

	// APITokenByID reads an API token of company.
	APITokenByID(ctx context.Context, company tenant.CompanyID, id int64) (APIToken, error)
	// APITokenByLookup reads an API token by its public lookup ID, in any
	// company. Only request authentication uses it.
	APITokenByLookup(ctx context.Context, lookupID string) (APIToken, error)
	// ListAPITokens lists the API tokens of company.
	ListAPITokens(ctx context.Context, company tenant.CompanyID, f APITokenFilter, p storage.PageRequest) (storage.Page[APIToken], error)
}

// Tx is the transaction-scoped view of the store inside a unit of work.
//
// Insert methods assign the ID and set Version to 1. Update methods write
// the row whose ID, company and Version match the argument, then increment
// its Version; they return storage.ErrStale when the version moved on and
// storage.ErrNotFound when the row does not exist in that company. Unique
// violations (duplicate email, CNPJ) are storage.ErrConflict.
type Tx interface {
	Queries
	events.Appender

	InsertCompany(ctx context.Context, c *Company) error
	UpdateCompany(ctx context.Context, c *Company) error
	InsertContact(ctx context.Context, c *Contact) error
	UpdateContact(ctx context.Context, c *Contact) error
	InsertUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error

	// InsertRefreshToken stores a new refresh token; a duplicate digest is
	// storage.ErrConflict.
	InsertRefreshToken(ctx context.Context, t RefreshToken) error
	// UseRefreshToken marks the token used at the given time if, and only if,
	// it is neither used nor revoked, and reports whether it did. Two
	// concurrent refreshes with the same token: exactly one wins.
	UseRefreshToken(ctx context.Context, digest string, at time.Time) (bool, error)
	// RevokeSession marks every token of the session revoked (those already
	// revoked keep their time) and returns how many it changed.
	RevokeSession(ctx context.Context, sessionID string, at time.Time) (int, error)
	// RevokeUserSessions marks every unrevoked token of the user's
	// sessions revoked, except those of session except ("" spares none),
	// and returns how many it changed.
	RevokeUserSessions(ctx context.Context, user tenant.UserID, except string, at time.Time) (int, error)

	// InsertAPIToken assigns the ID and sets Version to 1; a duplicate
	// LookupID is storage.ErrConflict.
	InsertAPIToken(ctx context.Context, t *APIToken) error
	// UpdateAPIToken writes the token like the other Update methods
	// (ID + company + Version must match; Version is incremented).
	UpdateAPIToken(ctx context.Context, t *APIToken) error
	// TouchAPIToken sets LastUsedAt to at unless it is already later (uses
	// are written by several instances, each in its own time), without
	// changing Version (it is bookkeeping, not an edit).
	TouchAPIToken(ctx context.Context, company tenant.CompanyID, id int64, at time.Time) error
}

// Store is what the directory needs from a storage backend: reads outside a
// transaction, and units of work. InTx commits when fn returns nil and rolls
// back everything fn wrote, events included, when it returns an error.
type Store interface {
	Queries
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
}
