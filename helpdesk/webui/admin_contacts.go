package webui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

func (c *console) adminContactRoutes() {
	c.page("GET /admin/contacts", c.adminContacts)
	c.page("POST /admin/contacts", c.adminContactCreate)
	c.page("GET /admin/contacts/{id}", c.adminContact)
	c.page("POST /admin/contacts/{id}", c.adminContactUpdate)
}

// contactForm holds a contact form's values as entered.
type contactForm struct {
	ID                 int64
	Version            int64
	Name, Email, Phone string
	OptIn, Active      bool
	Errors             map[string]string
}

// contactsPage is the view model of the contacts page.
type contactsPage struct {
	Contacts   []directory.Contact
	Search     string
	NextCursor string
	Notice     string
	Form       contactForm
}

func (c *console) adminContactsRender(w http.ResponseWriter, q *request, status int, form contactForm) error {
	search := strings.TrimSpace(q.r.URL.Query().Get("q"))
	page, err := c.desk.Directory.ListContacts(q.Context(), q.actor, directory.ContactFilter{Search: search}, pageRequest(q.r, 50))
	if err != nil {
		return err
	}
	c.render(w, q, status, "admin_contacts", contactsPage{Contacts: page.Items, Search: search,
		NextCursor: string(page.NextCursor), Notice: notice(q), Form: form})
	return nil
}

func (c *console) adminContacts(w http.ResponseWriter, r *http.Request, q *request) error {
	return c.adminContactsRender(w, q, http.StatusOK, contactForm{})
}

func contactFromForm(r *http.Request) contactForm {
	return contactForm{Name: r.PostForm.Get("name"), Email: strings.TrimSpace(r.PostForm.Get("email")),
		Phone: strings.TrimSpace(r.PostForm.Get("phone")), OptIn: r.PostForm.Get("whatsapp_opt_in") == "on",
		Active: r.PostForm.Get("active") == "on", Version: formVersion(r)}
}

func (c *console) adminContactCreate(w http.ResponseWriter, r *http.Request, q *request) error {
	f := contactFromForm(r)
	_, err := c.desk.Directory.CreateContact(q.Context(), q.actor, directory.ContactInput{Name: f.Name, Email: f.Email,
		Phone: f.Phone, WhatsAppOptIn: f.OptIn})
	if err != nil {
		if !refused(err) {
			return err
		}
		f.Errors = fieldErrors(q, err)
		return c.adminContactsRender(w, q, http.StatusUnprocessableEntity, f)
	}
	c.done(w, r, "/admin/contacts", "contact_created")
	return nil
}

func (c *console) adminContact(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ct, err := c.desk.Directory.GetContact(q.Context(), q.actor, tenant.ContactID(id))
	if err != nil {
		return err
	}
	c.render(w, q, http.StatusOK, "admin_contact", contactForm{ID: int64(ct.ID), Version: ct.Version, Name: ct.Name,
		Email: ct.Email, Phone: ct.Phone, OptIn: ct.WhatsAppOptIn, Active: ct.Active})
	return nil
}

// adminContactUpdate saves the contact's fields in one write (If-Match on
// the version the form was read at).
func (c *console) adminContactUpdate(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f := contactFromForm(r)
	f.ID = id
	_, err = c.desk.Directory.UpdateContact(q.Context(), q.actor, tenant.ContactID(id), directory.ContactPatch{Name: &f.Name,
		Email: &f.Email, Phone: &f.Phone, WhatsAppOptIn: &f.OptIn, Active: &f.Active, Version: f.Version})
	if err != nil {
		if !refused(err) {
			return err
		}
		f.Errors = fieldErrors(q, err)
		c.render(w, q, http.StatusUnprocessableEntity, "admin_contact", f)
		return nil
	}
	c.done(w, r, "/admin/contacts", "contact_saved")
	return nil
}

// itoa64 formats an ID for a path.
func itoa64(id int64) string { return strconv.FormatInt(id, 10) }
