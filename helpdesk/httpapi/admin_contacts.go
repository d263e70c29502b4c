package httpapi

import (
	"net/http"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
)

// contactJSON is a contact in the admin API.
type contactJSON struct {
	ID            int64    `json:"id"`
	CompanyID     int64    `json:"company_id"`
	Name          string   `json:"name"`
	Email         string   `json:"email"`
	Phone         string   `json:"phone"`
	WhatsAppOptIn bool     `json:"whatsapp_opt_in"`
	Active        bool     `json:"active"`
	Version       int64    `json:"version"`
	CreatedAt     timeJSON `json:"created_at"`
	UpdatedAt     timeJSON `json:"updated_at"`
}

// contactOf is the JSON shape of c.
func contactOf(c directory.Contact) contactJSON {
	return contactJSON{ID: int64(c.ID), CompanyID: int64(c.CompanyID), Name: c.Name, Email: c.Email, Phone: c.Phone,
		WhatsAppOptIn: c.WhatsAppOptIn, Active: c.Active, Version: c.Version,
		CreatedAt: adminTime(c.CreatedAt), UpdatedAt: adminTime(c.UpdatedAt)}
}

// idAndVersion tells the contact's ID and version.
func (c contactJSON) idAndVersion() (id, version int64) { return c.ID, c.Version }

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

// contactsModel is the admin model of contacts; DELETE deactivates.
func (a *api) contactsModel() adminModel {
	d := a.desk.Directory
	return adminModel{name: "contacts",
		list:   listOf(a, contactFilter, d.ListContacts, contactOf),
		create: createOne(a, d.CreateContact, contactCreate.input, contactOf),
		get:    getOne(d.GetContact, contactOf),
		update: updateOne(a, d.UpdateContact, contactUpdate.patch, contactOf),
		remove: removeOne(d.UpdateContact, deactivateContact),
	}
}

// contactFilter reads the filters of GET /admin/api/contacts.
func contactFilter(r *http.Request) (directory.ContactFilter, error) {
	active, err := boolParam(r, "active")
	if err != nil {
		return directory.ContactFilter{}, err
	}
	return directory.ContactFilter{Active: active, Search: queryText(r, "q"),
		Email: strings.ToLower(queryText(r, "email"))}, nil
}

// input is the service input of a create.
func (in contactCreate) input() directory.ContactInput {
	return directory.ContactInput{Name: in.Name, Email: in.Email, Phone: in.Phone, WhatsAppOptIn: in.WhatsAppOptIn}
}

// patch is the service patch of an update applied to version.
func (in contactUpdate) patch(version int64) directory.ContactPatch {
	return directory.ContactPatch{Name: in.Name, Email: in.Email, Phone: in.Phone, WhatsAppOptIn: in.WhatsAppOptIn,
		Active: in.Active, Version: version}
}

// deactivateContact is the patch that deactivates a contact at version.
func deactivateContact(version int64) directory.ContactPatch {
	inactive := false
	return directory.ContactPatch{Active: &inactive, Version: version}
}
