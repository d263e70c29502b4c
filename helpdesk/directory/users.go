package directory

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// UserInput holds the fields of a new company user.
type UserInput struct {
	Email    string
	Password string
	// Role is admin, agent, requester or viewer.
	Role tenant.Role
	// ContactID is required: the contact of the actor's company the user
	// logs in as (create it first with CreateContact). Zero, or a contact
	// of another company, is a validation error on contact_id.
	ContactID tenant.ContactID
}

// UserPatch holds the user fields to change; nil fields are kept. Password is
// write-only. Version, when non-zero, must equal the current version.
type UserPatch struct {
	Email    *string
	Password *string
	Role     *tenant.Role
	Active   *bool
	Version  int64
}

const duplicateEmail = "is already used by another user"

// hashPassword validates and hashes a password, recording problems in b.
func (s *Service) hashPassword(b *validation.Builder, password string) []byte {
	switch {
	case len(password) < MinPasswordBytes:
		b.Add("password", "must have at least %d characters", MinPasswordBytes)
		return nil
	case len(password) > MaxPasswordBytes:
		b.Add("password", "must have at most %d bytes", MaxPasswordBytes)
		return nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		b.Add("password", "cannot be hashed: %v", err)
	}
	return hash
}

// CreateUser creates a user of the actor's company, linked to one of its
// contacts. It needs tenant.PermUsersManage and emits user.created. A
// contact of another company is reported as a field error on contact_id.
func (s *Service) CreateUser(ctx context.Context, actor tenant.Actor, in UserInput) (User, error) {
	if err := actor.RequireIn(tenant.PermUsersManage); err != nil {
		return User{}, err
	}
	var b validation.Builder
	u := User{CompanyID: actor.CompanyID, ContactID: in.ContactID, Role: in.Role, Active: true}
	email, err := validation.Email(in.Email)
	b.Check("email", err)
	u.Email = email
	if !in.Role.Valid() || in.Role == tenant.RolePlatformAdmin {
		b.Add("role", "must be one of admin, agent, requester, viewer")
	}
	if in.ContactID == 0 {
		b.Add("contact_id", "is required")
	}
	if err := b.Err(); err != nil {
		return User{}, err
	}
	u.PasswordHash = s.hashPassword(&b, in.Password)
	if err := b.Err(); err != nil {
		return User{}, err
	}
	u.CreatedAt = s.clock()
	u.UpdatedAt = u.CreatedAt
	err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		if _, err := activeCompany(ctx, tx, actor.CompanyID); err != nil {
			return err
		}
		if _, err := tx.ContactByID(ctx, actor.CompanyID, in.ContactID); errors.Is(err, storage.ErrNotFound) {
			return validation.Field("contact_id", "no contact %d in this company", in.ContactID)
		} else if err != nil {
			return err
		}
		if err := tx.InsertUser(ctx, &u); err != nil {
			return conflictField(err, "email", duplicateEmail)
		}
		return s.emit(ctx, tx, actor, "user.created", u.CompanyID, "user", int64(u.ID), u.CreatedAt, userData(u))
	})
	if err != nil {
		return User{}, fmt.Errorf("creating user: %w", err)
	}
	return u, nil
}

// CreatePlatformAdmin creates a platform admin (no company, no contact). Only
// a platform admin (or tenant.System()) may do it.
func (s *Service) CreatePlatformAdmin(ctx context.Context, actor tenant.Actor, email, password string) (User, error) {
	if !actor.IsPlatformAdmin() {
		return User{}, &tenant.ForbiddenError{Role: actor.Role, Permission: tenant.PermCompaniesManage}
	}
	var b validation.Builder
	e, err := validation.Email(email)
	b.Check("email", err)
	if err := b.Err(); err != nil {
		return User{}, err
	}
	u := User{Email: e, Role: tenant.RolePlatformAdmin, Active: true}
	u.PasswordHash = s.hashPassword(&b, password)
	if err := b.Err(); err != nil {
		return User{}, err
	}
	u.CreatedAt = s.clock()
	u.UpdatedAt = u.CreatedAt
	err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		if err := tx.InsertUser(ctx, &u); err != nil {
			return conflictField(err, "email", duplicateEmail)
		}
		return s.emit(ctx, tx, actor, "user.created", 0, "user", int64(u.ID), u.CreatedAt, userData(u))
	})
	if err != nil {
		return User{}, fmt.Errorf("creating platform admin: %w", err)
	}
	return u, nil
}

// GetUser reads a user of the actor's company. A platform admin that has
// chosen no company reads platform admins.
func (s *Service) GetUser(ctx context.Context, actor tenant.Actor, id tenant.UserID) (User, error) {
	if err := s.requireUsers(actor, tenant.PermUsersRead); err != nil {
		return User{}, err
	}
	u, err := s.store.UserByID(ctx, actor.CompanyID, id)
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// ListUsers lists the users of the actor's company (platform admins when a
// platform admin has chosen no company).
func (s *Service) ListUsers(ctx context.Context, actor tenant.Actor, f UserFilter, p storage.PageRequest) (storage.Page[User], error) {
	if err := s.requireUsers(actor, tenant.PermUsersRead); err != nil {
		return storage.Page[User]{}, err
	}
	var b validation.Builder
	b.Search("q", f.Search)
	if f.Role != "" && !f.Role.Valid() {
		b.Add("role", "must be one of platform_admin, admin, agent, requester, viewer")
	}
	if err := b.Err(); err != nil {
		return storage.Page[User]{}, err
	}
	return s.store.ListUsers(ctx, actor.CompanyID, f, p.Normalize())
}

// requireUsers checks p; a platform admin without a company works on the
// platform admins themselves.
func (s *Service) requireUsers(actor tenant.Actor, p tenant.Permission) error {
	if actor.IsPlatformAdmin() {
		return actor.Require(p)
	}
	return actor.RequireIn(p)
}

// UpdateUser changes a user of the actor's company and emits user.updated
// (user.deactivated when Active turns false). Users cannot change their own
// role or deactivate themselves, so a company never loses its last admin by
// accident.
func (s *Service) UpdateUser(ctx context.Context, actor tenant.Actor, id tenant.UserID, p UserPatch) (User, error) {
	if err := s.requireUsers(actor, tenant.PermUsersManage); err != nil {
		return User{}, err
	}
	var b validation.Builder
	var email string
	if p.Email != nil {
		e, err := validation.Email(*p.Email)
		b.Check("email", err)
		email = e
	}
	if p.Role != nil {
		platform := actor.CompanyID == 0
		if !p.Role.Valid() || (*p.Role == tenant.RolePlatformAdmin) != platform {
			b.Add("role", "must be one of admin, agent, requester, viewer")
		}
	}
	if id == actor.UserID && p.Role != nil && *p.Role != actor.Role {
		b.Add("role", "you cannot change your own role")
	}
	if id == actor.UserID && p.Active != nil && !*p.Active {
		b.Add("active", "you cannot deactivate yourself")
	}
	var hash []byte
	if p.Password != nil {
		hash = s.hashPassword(&b, *p.Password)
	}
	if err := b.Err(); err != nil {
		return User{}, err
	}
	var out User
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		u, err := tx.UserByID(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(p.Version, u.Version); err != nil {
			return err
		}
		wasActive := u.Active
		if p.Email != nil {
			u.Email = email
		}
		if p.Role != nil {
			u.Role = *p.Role
		}
		if p.Active != nil {
			u.Active = *p.Active
		}
		if hash != nil {
			u.PasswordHash = hash
		}
		u.UpdatedAt = s.clock()
		if err := tx.UpdateUser(ctx, &u); err != nil {
			return conflictField(err, "email", duplicateEmail)
		}
		typ := "user.updated"
		if wasActive && !u.Active {
			typ = "user.deactivated"
		}
		out = u
		data := userData(u)
		data["password_changed"] = hash != nil
		return s.emit(ctx, tx, actor, typ, u.CompanyID, "user", int64(u.ID), u.UpdatedAt, data)
	})
	if err != nil {
		return User{}, fmt.Errorf("updating user %d: %w", id, err)
	}
	s.observer.UserChanged(id)
	return out, nil
}

// DeactivateUser deactivates a user; it can no longer log in.
func (s *Service) DeactivateUser(ctx context.Context, actor tenant.Actor, id tenant.UserID) (User, error) {
	inactive := false
	return s.UpdateUser(ctx, actor, id, UserPatch{Active: &inactive})
}

// Authenticate checks an email and password and returns the user. An unknown
// email and a wrong password both return ErrInvalidCredentials and take the
// same time (one bcrypt comparison). A deactivated user or company returns
// ErrAccountDisabled once the password is verified.
func (s *Service) Authenticate(ctx context.Context, email, password string) (User, error) {
	e, err := validation.Email(email)
	if err != nil || len(password) > MaxPasswordBytes {
		_ = bcrypt.CompareHashAndPassword(s.dummy, []byte(password))
		return User{}, ErrInvalidCredentials
	}
	u, err := s.store.UserByEmail(ctx, e)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		_ = bcrypt.CompareHashAndPassword(s.dummy, []byte(password))
		return User{}, ErrInvalidCredentials
	case err != nil:
		return User{}, fmt.Errorf("authenticating: %w", err)
	}
	if bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) != nil {
		return User{}, ErrInvalidCredentials
	}
	if !u.Active {
		return User{}, ErrAccountDisabled
	}
	if u.CompanyID != 0 {
		c, err := s.store.CompanyByID(ctx, u.CompanyID)
		if err != nil {
			return User{}, fmt.Errorf("authenticating: company %d: %w", u.CompanyID, err)
		}
		if !c.Active {
			return User{}, ErrAccountDisabled
		}
	}
	return u, nil
}

// userData is the event payload of a user: never the password hash.
func userData(u User) map[string]any {
	return map[string]any{"id": u.ID, "email": u.Email, "role": u.Role, "contact_id": u.ContactID,
		"active": u.Active, "version": u.Version}
}
