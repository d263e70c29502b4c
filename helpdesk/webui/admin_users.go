package webui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

func (c *console) adminUserRoutes() {
	c.page("GET /admin/users", c.adminUsers)
	c.page("POST /admin/users", c.adminUserInvite)
	c.page("POST /admin/users/{id}/role", c.adminUserRole)
	c.page("POST /admin/users/{id}/active", c.adminUserActive)
	c.page("POST /admin/users/{id}/password", c.adminUserPassword)
}

// usersPage is the view model of the users page: the list, the invite
// form with its values and errors, and a password shown once.
type usersPage struct {
	Users      []directory.User
	NextCursor string
	Contacts   []option
	Roles      []option
	Notice     string
	// CanInvite reports whether the invite form is shown (company admins,
	// platform admins acting in a company).
	CanInvite bool
	// Invite holds the invite form's values.
	Invite struct{ Contact, Email, Role string }
	Errors map[string]string
	// Password is the temporary password of Who, shown once after an
	// invite or a reset.
	Password string
	Who      string
}

// companyRoles are the roles a company user may have.
func companyRoles(q *request) []option {
	var out []option
	for _, r := range []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent, tenant.RoleRequester, tenant.RoleViewer} {
		out = append(out, option{Value: string(r), Label: q.T("role." + string(r))})
	}
	return out
}

func (c *console) usersPage(q *request, p usersPage) (usersPage, error) {
	ctx := q.Context()
	page, err := c.desk.Directory.ListUsers(ctx, q.actor, directory.UserFilter{}, pageRequest(q.r, 50))
	if err != nil {
		return p, err
	}
	p.Users, p.NextCursor = page.Items, string(page.NextCursor)
	p.Roles = companyRoles(q)
	p.CanInvite = q.actor.Can(tenant.PermUsersManage) && q.actor.CompanyID != 0
	if p.CanInvite {
		active := true
		if cs, err := c.desk.Directory.ListContacts(ctx, q.actor, directory.ContactFilter{Active: &active},
			storage.PageRequest{Limit: storage.MaxLimit}); err == nil {
			for _, ct := range cs.Items {
				label := ct.Name
				if ct.Email != "" {
					label += " <" + ct.Email + ">"
				}
				p.Contacts = append(p.Contacts, option{Value: strconv.FormatInt(int64(ct.ID), 10), Label: label})
			}
		}
	}
	return p, nil
}

func (c *console) adminUsers(w http.ResponseWriter, r *http.Request, q *request) error {
	p, err := c.usersPage(q, usersPage{Notice: notice(q)})
	if err != nil {
		return err
	}
	p.Invite.Role = string(tenant.RoleAgent)
	c.render(w, q, http.StatusOK, "admin_users", p)
	return nil
}

// adminUserInvite creates a user for a contact with the chosen role and a
// temporary password, shown once.
func (c *console) adminUserInvite(w http.ResponseWriter, r *http.Request, q *request) error {
	var p usersPage
	p.Invite.Contact, p.Invite.Email, p.Invite.Role = r.PostForm.Get("contact"), strings.TrimSpace(r.PostForm.Get("email")), r.PostForm.Get("role")
	contact, _ := strconv.ParseInt(p.Invite.Contact, 10, 64)
	pw := temporaryPassword()
	u, err := c.desk.Directory.CreateUser(q.Context(), q.actor, directory.UserInput{Email: p.Invite.Email, Password: pw,
		Role: tenant.Role(p.Invite.Role), ContactID: tenant.ContactID(contact)})
	status := http.StatusOK
	if err != nil {
		if !refused(err) {
			return err
		}
		p.Errors, status = fieldErrors(q, err), http.StatusUnprocessableEntity
	} else {
		p.Password, p.Who, p.Invite.Contact, p.Invite.Email = pw, u.Email, "", ""
	}
	if p, err = c.usersPage(q, p); err != nil {
		return err
	}
	c.render(w, q, status, "admin_users", p)
	return nil
}

func (c *console) adminUserRole(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	role := tenant.Role(r.PostForm.Get("role"))
	if _, err := c.desk.Directory.UpdateUser(q.Context(), q.actor, tenant.UserID(id), directory.UserPatch{Role: &role, Version: formVersion(r)}); err != nil {
		return err
	}
	c.done(w, r, "/admin/users", "role_changed")
	return nil
}

func (c *console) adminUserActive(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	active := r.PostForm.Get("active") == "true"
	if active {
		_, err = c.desk.Directory.UpdateUser(q.Context(), q.actor, tenant.UserID(id), directory.UserPatch{Active: &active, Version: formVersion(r)})
	} else {
		_, err = c.desk.Directory.DeactivateUser(q.Context(), q.actor, tenant.UserID(id))
	}
	if err != nil {
		return err
	}
	key := "user_deactivated"
	if active {
		key = "user_activated"
	}
	c.done(w, r, "/admin/users", key)
	return nil
}

// adminUserPassword gives a user a new temporary password, shown once.
func (c *console) adminUserPassword(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pw := temporaryPassword()
	u, err := c.desk.Directory.UpdateUser(q.Context(), q.actor, tenant.UserID(id), directory.UserPatch{Password: &pw})
	if err != nil {
		return err
	}
	p, err := c.usersPage(q, usersPage{Password: pw, Who: u.Email})
	if err != nil {
		return err
	}
	p.Invite.Role = string(tenant.RoleAgent)
	c.render(w, q, http.StatusOK, "admin_users", p)
	return nil
}
