package httpapi

import (
	"net/http"

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
	CreatedAt timeJSON    `json:"created_at"`
	UpdatedAt timeJSON    `json:"updated_at"`
}

// userOf is the JSON shape of u.
func userOf(u directory.User) userJSON {
	return userJSON{ID: int64(u.ID), CompanyID: int64(u.CompanyID), ContactID: int64(u.ContactID), Email: u.Email,
		Role: u.Role, Active: u.Active, Version: u.Version, CreatedAt: adminTime(u.CreatedAt), UpdatedAt: adminTime(u.UpdatedAt)}
}

// idAndVersion tells the user's ID and version.
func (u userJSON) idAndVersion() (id, version int64) { return u.ID, u.Version }

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

// usersModel is the admin model of user accounts; DELETE deactivates.
func (a *api) usersModel() adminModel {
	d := a.desk.Directory
	return adminModel{name: "users",
		list:   listOf(a, userFilter, d.ListUsers, userOf),
		create: createOne(a, d.CreateUser, userCreate.input, userOf),
		get:    getOne(d.GetUser, userOf),
		update: updateOne(a, d.UpdateUser, userUpdate.patch, userOf),
		remove: removeOne(d.UpdateUser, deactivateUser),
	}
}

// userFilter reads the filters of GET /admin/api/users.
func userFilter(r *http.Request) (directory.UserFilter, error) {
	active, err := boolParam(r, "active")
	if err != nil {
		return directory.UserFilter{}, err
	}
	return directory.UserFilter{Active: active, Role: tenant.Role(queryText(r, "role")), Search: queryText(r, "q")}, nil
}

// input is the service input of a create.
func (in userCreate) input() directory.UserInput {
	return directory.UserInput{Email: in.Email, Password: in.Password, Role: in.Role,
		ContactID: tenant.ContactID(in.ContactID)}
}

// patch is the service patch of an update applied to version.
func (in userUpdate) patch(version int64) directory.UserPatch {
	return directory.UserPatch{Email: in.Email, Password: in.Password, Role: in.Role, Active: in.Active,
		Version: version}
}

// deactivateUser is the patch that deactivates a user account at version.
func deactivateUser(version int64) directory.UserPatch {
	inactive := false
	return directory.UserPatch{Active: &inactive, Version: version}
}
