package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// contactJSON is a contact in the admin API.
type contactJSON struct {
	ID            int64     `json:"id"`
	CompanyID     int64     `json:"company_id"`
	Name          string    `json:"name"`
	Email         string    `json:"email"`
	Phone         string    `json:"phone"`
	WhatsAppOptIn bool      `json:"whatsapp_opt_in"`
	Active        bool      `json:"active"`
	Version       int64     `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func contactOf(c directory.Contact) contactJSON {
	return contactJSON{ID: int64(c.ID), CompanyID: int64(c.CompanyID), Name: c.Name, Email: c.Email, Phone: c.Phone,
		WhatsAppOptIn: c.WhatsAppOptIn, Active: c.Active, Version: c.Version,
		CreatedAt: adminTime(c.CreatedAt), UpdatedAt: adminTime(c.UpdatedAt)}
}

// contactCreate is the body of POST /admin/api/contacts.
type contactCreate struct {
	Name          string `json:"name"`
	Email         string `json:"email"`
	Phone         string `json:"phone"`
	WhatsAppOptIn bool   `json:"whatsapp_opt_in"`
}

// contactUpdate is the body of PUT /admin/api/contacts/{id}: absent fields
// are kept.
type contactUpdate struct {
	Name          *string `json:"name"`
	Email         *string `json:"email"`
	Phone         *string `json:"phone"`
	WhatsAppOptIn *bool   `json:"whatsapp_opt_in"`
	Active        *bool   `json:"active"`
}

func (a *api) listContacts(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	pg, err := pageRequest(r)
	if err != nil {
		return err
	}
	active, err := boolParam(r, "active")
	if err != nil {
		return err
	}
	f := directory.ContactFilter{Active: active, Search: queryText(r, "q"),
		Email: strings.ToLower(queryText(r, "email"))}
	page, err := a.desk.Directory.ListContacts(r.Context(), p.Actor, f, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(page, contactOf))
	return nil
}

func (a *api) createContact(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) (created, error) {
	var in contactCreate
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return created{}, err
	}
	c, err := a.desk.Directory.CreateContact(r.Context(), p.Actor, directory.ContactInput{
		Name: in.Name, Email: in.Email, Phone: in.Phone, WhatsAppOptIn: in.WhatsAppOptIn})
	if err != nil {
		return created{}, err
	}
	return created{id: int64(c.ID), version: c.Version, body: contactOf(c)}, nil
}

func (a *api) getContact(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	c, err := a.desk.Directory.GetContact(r.Context(), p.Actor, tenant.ContactID(id))
	if err != nil {
		return err
	}
	writeResource(w, http.StatusOK, c.Version, contactOf(c))
	return nil
}

func (a *api) updateContact(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in contactUpdate
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	c, err := a.desk.Directory.UpdateContact(r.Context(), p.Actor, tenant.ContactID(id), directory.ContactPatch{
		Name: in.Name, Email: in.Email, Phone: in.Phone, WhatsAppOptIn: in.WhatsAppOptIn, Active: in.Active, Version: version})
	if err != nil {
		return err
	}
	writeResource(w, http.StatusOK, c.Version, contactOf(c))
	return nil
}

// deleteContact deactivates a contact.
func (a *api) deleteContact(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	inactive := false
	if _, err := a.desk.Directory.UpdateContact(r.Context(), p.Actor, tenant.ContactID(id),
		directory.ContactPatch{Active: &inactive, Version: version}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
