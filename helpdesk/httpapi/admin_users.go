package httpapi

import (
	"net/http"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// userJSON is a user account in the admin API. The password hash is never
// part of it; company_id and contact_id are absent for platform admins.
type userJSON struct {
	ID        int64       `json:"id"`
	CompanyID int64       `json:"company_id,omitempty"`
	ContactID int64       `json:"contact_id,omitempty"`
	Email     string      `json:"email"`
	Role      tenant.Role `json:"role"`
	Active    bool        `json:"active"`
	Version   int64       `json:"version"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

func userOf(u directory.User) userJSON {
	return userJSON{ID: int64(u.ID), CompanyID: int64(u.CompanyID), ContactID: int64(u.ContactID), Email: u.Email,
		Role: u.Role, Active: u.Active, Version: u.Version, CreatedAt: adminTime(u.CreatedAt), UpdatedAt: adminTime(u.UpdatedAt)}
}

// userCreate is the body of POST /admin/api/users. Password is write-only.
type userCreate struct {
	Email     string      `json:"email"`
	Password  string      `json:"password"`
	Role      tenant.Role `json:"role"`
	ContactID int64       `json:"contact_id"`
}

// userUpdate is the body of PUT /admin/api/users/{id}: absent fields are
// kept.
type userUpdate struct {
	Email    *string      `json:"email"`
	Password *string      `json:"password"`
	Role     *tenant.Role `json:"role"`
	Active   *bool        `json:"active"`
}

func (a *api) listUsers(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	pg, err := pageRequest(r)
	if err != nil {
		return err
	}
	active, err := boolParam(r, "active")
	if err != nil {
		return err
	}
	role := tenant.Role(queryText(r, "role"))
	if role != "" && !role.Valid() {
		return fieldError("role", "must be one of platform_admin, admin, agent, requester, viewer")
	}
	page, err := a.desk.Directory.ListUsers(r.Context(), p.Actor,
		directory.UserFilter{Active: active, Role: role, Search: queryText(r, "q")}, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(page, userOf))
	return nil
}

func (a *api) createUser(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) (created, error) {
	var in userCreate
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return created{}, err
	}
	u, err := a.desk.Directory.CreateUser(r.Context(), p.Actor, directory.UserInput{
		Email: in.Email, Password: in.Password, Role: in.Role, ContactID: tenant.ContactID(in.ContactID)})
	if err != nil {
		return created{}, err
	}
	return created{id: int64(u.ID), version: u.Version, body: userOf(u)}, nil
}

func (a *api) getUser(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	u, err := a.desk.Directory.GetUser(r.Context(), p.Actor, tenant.UserID(id))
	if err != nil {
		return err
	}
	writeResource(w, http.StatusOK, u.Version, userOf(u))
	return nil
}

func (a *api) updateUser(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in userUpdate
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	u, err := a.desk.Directory.UpdateUser(r.Context(), p.Actor, tenant.UserID(id), directory.UserPatch{
		Email: in.Email, Password: in.Password, Role: in.Role, Active: in.Active, Version: version})
	if err != nil {
		return err
	}
	writeResource(w, http.StatusOK, u.Version, userOf(u))
	return nil
}

// deleteUser deactivates a user account.
func (a *api) deleteUser(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	inactive := false
	if _, err := a.desk.Directory.UpdateUser(r.Context(), p.Actor, tenant.UserID(id),
		directory.UserPatch{Active: &inactive, Version: version}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
