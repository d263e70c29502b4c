package directory

import (
	"context"
	"fmt"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// ContactInput holds the fields of a new contact. Email and Phone are
// optional; when given they are validated and normalised.
type ContactInput struct {
	Name          string
	Email         string
	Phone         string
	WhatsAppOptIn bool
}

// ContactPatch holds the contact fields to change; nil fields are kept.
// Version, when non-zero, must equal the current version.
type ContactPatch struct {
	Name          *string
	Email         *string
	Phone         *string
	WhatsAppOptIn *bool
	Active        *bool
	Version       int64
}

func (p ContactPatch) apply(c *Contact) error {
	var b validation.Builder
	if p.Name != nil {
		c.Name = b.Text("name", *p.Name, 1, MaxContactName)
	}
	if p.Email != nil {
		c.Email = ""
		if *p.Email != "" {
			email, err := validation.Email(*p.Email)
			b.Check("email", err)
			c.Email = email
		}
	}
	if p.Phone != nil {
		c.Phone = ""
		if *p.Phone != "" {
			phone, err := validation.Phone(*p.Phone)
			b.Check("phone", err)
			c.Phone = phone
		}
	}
	if p.WhatsAppOptIn != nil {
		c.WhatsAppOptIn = *p.WhatsAppOptIn
	}
	if p.Active != nil {
		c.Active = *p.Active
	}
	if c.WhatsAppOptIn && c.Phone == "" {
		b.Add("whatsapp_opt_in", "needs a phone number")
	}
	return b.Err()
}

// CreateContact creates a contact in the actor's company. It needs
// tenant.PermContactsManage and emits contact.created.
func (s *Service) CreateContact(ctx context.Context, actor tenant.Actor, in ContactInput) (Contact, error) {
	if err := actor.RequireIn(tenant.PermContactsManage); err != nil {
		return Contact{}, err
	}
	c := Contact{CompanyID: actor.CompanyID, Active: true}
	err := ContactPatch{Name: &in.Name, Email: &in.Email, Phone: &in.Phone, WhatsAppOptIn: &in.WhatsAppOptIn}.apply(&c)
	if err != nil {
		return Contact{}, err
	}
	c.CreatedAt = s.clock()
	c.UpdatedAt = c.CreatedAt
	err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		if _, err := activeCompany(ctx, tx, actor.CompanyID); err != nil {
			return err
		}
		if err := tx.InsertContact(ctx, &c); err != nil {
			return conflictField(err, "email", "is already used by another contact of this company")
		}
		return s.emit(ctx, tx, actor, "contact.created", c.CompanyID, "contact", int64(c.ID), c.CreatedAt, contactData(c))
	})
	if err != nil {
		return Contact{}, fmt.Errorf("creating contact: %w", err)
	}
	return c, nil
}

// activeCompany reads the company and refuses writes into a deactivated one.
func activeCompany(ctx context.Context, q Queries, id tenant.CompanyID) (Company, error) {
	c, err := q.CompanyByID(ctx, id)
	if err != nil {
		return Company{}, fmt.Errorf("company %d: %w", id, err)
	}
	if !c.Active {
		return Company{}, fmt.Errorf("company %d is deactivated: %w", id, storage.ErrConflict)
	}
	return c, nil
}

// GetContact reads a contact of the actor's company.
func (s *Service) GetContact(ctx context.Context, actor tenant.Actor, id tenant.ContactID) (Contact, error) {
	if err := actor.RequireIn(tenant.PermContactsRead); err != nil {
		return Contact{}, err
	}
	c, err := s.store.ContactByID(ctx, actor.CompanyID, id)
	if err != nil {
		return Contact{}, fmt.Errorf("contact %d: %w", id, err)
	}
	return c, nil
}

// ListContacts lists the contacts of the actor's company.
func (s *Service) ListContacts(ctx context.Context, actor tenant.Actor, f ContactFilter, p storage.PageRequest) (storage.Page[Contact], error) {
	if err := actor.RequireIn(tenant.PermContactsRead); err != nil {
		return storage.Page[Contact]{}, err
	}
	var b validation.Builder
	b.Search("q", f.Search)
	b.Filter("email", f.Email)
	if err := b.Err(); err != nil {
		return storage.Page[Contact]{}, err
	}
	return s.store.ListContacts(ctx, actor.CompanyID, f, p.Normalize())
}

// UpdateContact changes a contact of the actor's company and emits
// contact.updated (contact.deactivated when Active turns false).
func (s *Service) UpdateContact(ctx context.Context, actor tenant.Actor, id tenant.ContactID, p ContactPatch) (Contact, error) {
	if err := actor.RequireIn(tenant.PermContactsManage); err != nil {
		return Contact{}, err
	}
	var out Contact
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		c, err := tx.ContactByID(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(p.Version, c.Version); err != nil {
			return err
		}
		wasActive := c.Active
		if err := p.apply(&c); err != nil {
			return err
		}
		c.UpdatedAt = s.clock()
		if err := tx.UpdateContact(ctx, &c); err != nil {
			return conflictField(err, "email", "is already used by another contact of this company")
		}
		typ := "contact.updated"
		if wasActive && !c.Active {
			typ = "contact.deactivated"
		}
		out = c
		return s.emit(ctx, tx, actor, typ, c.CompanyID, "contact", int64(c.ID), c.UpdatedAt, contactData(c))
	})
	if err != nil {
		return Contact{}, fmt.Errorf("updating contact %d: %w", id, err)
	}
	return out, nil
}

// DeactivateContact deactivates a contact of the actor's company.
func (s *Service) DeactivateContact(ctx context.Context, actor tenant.Actor, id tenant.ContactID) (Contact, error) {
	inactive := false
	return s.UpdateContact(ctx, actor, id, ContactPatch{Active: &inactive})
}

func contactData(c Contact) map[string]any {
	return map[string]any{"id": c.ID, "name": c.Name, "email": c.Email, "phone": c.Phone,
		"whatsapp_opt_in": c.WhatsAppOptIn, "active": c.Active, "version": c.Version}
}
