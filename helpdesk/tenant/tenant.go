package tenant

import (
	"errors"
	"fmt"
	"slices"
)

// CompanyID identifies a company (Empresa), the tenant. Zero means none.
type CompanyID int64

// UserID identifies a user account (UserAuth). Zero means none.
type UserID int64

// ContactID identifies a contact (Contato). Zero means none.
type ContactID int64

// Role is what a user may do in its company.
type Role string

// The roles. RolePlatformAdmin belongs to no company and may act in any one.
const (
	RolePlatformAdmin Role = "platform_admin"
	RoleAdmin         Role = "admin"
	RoleAgent         Role = "agent"
	RoleRequester     Role = "requester"
	RoleViewer        Role = "viewer"
)

// Roles lists every role, platform admin first.
func Roles() []Role {
	return []Role{RolePlatformAdmin, RoleAdmin, RoleAgent, RoleRequester, RoleViewer}
}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// Actor is who performs an operation: a user acting in one company with one
// role. A platform admin has no company of its own; CompanyID is the company
// it chose to act in (zero when it chose none, which allows only
// platform-level operations such as managing companies).
type Actor struct {
	CompanyID CompanyID
	UserID    UserID
	ContactID ContactID
	Role      Role
	// Scopes, when not nil, narrows the role's permissions to this list: an
	// API token acts with its creator's company role but only the
	// permissions it was granted.
	Scopes []Permission
}

// System returns the actor used for work the platform does on its own
// (bootstrap, workers): a platform admin with no user.
func System() Actor { return Actor{Role: RolePlatformAdmin} }

// IsPlatformAdmin reports whether the actor is a platform admin.
func (a Actor) IsPlatformAdmin() bool { return a.Role == RolePlatformAdmin }

// InCompany returns the actor acting in company c. Only a platform admin may
// switch companies; for any other actor it returns ErrForbidden unless c is
// the actor's own company.
func (a Actor) InCompany(c CompanyID) (Actor, error) {
	if a.IsPlatformAdmin() || a.CompanyID == c {
		a.CompanyID = c
		return a, nil
	}
	return a, fmt.Errorf("acting in company %d: %w", c, ErrForbidden)
}

// ErrForbidden is the sentinel for an actor lacking a permission. Test with
// errors.Is; the concrete error is a *ForbiddenError.
var ErrForbidden = errors.New("forbidden")

// ErrNoCompany is returned when a company-scoped operation is attempted by a
// platform admin that has not chosen a company.
var ErrNoCompany = errors.New("no company selected: a platform admin must choose the company to act in")

// ForbiddenError says which permission the actor's role lacks.
type ForbiddenError struct {
	Role       Role
	Permission Permission
}

// Error names the role and the permission it lacks.
func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("role %q lacks permission %q", e.Role, e.Permission)
}

// Is makes errors.Is(err, ErrForbidden) true.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }
