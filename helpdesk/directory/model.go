package directory

import (
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// DefaultTimezone is the timezone of a company created without one.
const DefaultTimezone = "America/Sao_Paulo"

// Field limits, in characters.
const (
	MaxCompanyName   = 120
	MaxLegalName     = 200
	MaxContactName   = 120
	MinPasswordBytes = 8
	MaxPasswordBytes = 72
)

// Company is a tenant (Empresa).
type Company struct {
	ID        tenant.CompanyID
	Name      string
	LegalName string
	// CNPJ is the canonical 14-character registry number, empty when unknown.
	CNPJ string
	// Timezone is an IANA name, used for business hours and yearly numbering.
	Timezone  string
	Active    bool
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Contact is a person of a company (Contato).
type Contact struct {
	ID        tenant.ContactID
	CompanyID tenant.CompanyID
	Name      string
	// Email is lower-cased; empty when unknown. Unique within the company.
	Email string
	// Phone is in E.164 ("+5511987654321"); empty when unknown.
	Phone string
	// WhatsAppOptIn records consent to be notified over WhatsApp.
	WhatsAppOptIn bool
	Active        bool
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// User is a login (UserAuth). A company user is linked to one contact of its
// company; a platform admin has neither company nor contact.
type User struct {
	ID        tenant.UserID
	CompanyID tenant.CompanyID
	ContactID tenant.ContactID
	// Email is lower-cased and unique across the installation.
	Email string
	// PasswordHash is the bcrypt hash. It never leaves the directory
	// package's API boundary in responses; callers must not expose it.
	PasswordHash []byte
	Role         tenant.Role
	Active       bool
	// Language is the user's preferred language (a BCP 47 tag such as
	// "pt-BR"); "" when they have not chosen one. Users set it themselves
	// with UpdateProfile.
	Language  string
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Actor returns the actor this user acts as in its own company.
func (u User) Actor() tenant.Actor {
	return tenant.Actor{CompanyID: u.CompanyID, UserID: u.ID, ContactID: u.ContactID, Role: u.Role}
}

// CompanyFilter narrows ListCompanies. Zero fields do not filter.
type CompanyFilter struct {
	// Active, when set, keeps only active (true) or inactive (false) companies.
	Active *bool
	// Search matches name, legal name or CNPJ, case-insensitively.
	Search string
	// IDs restricts the list to these companies (used to scope non-platform
	// actors to their own company).
	IDs []tenant.CompanyID
}

// ContactFilter narrows ListContacts. Zero fields do not filter.
type ContactFilter struct {
	Active *bool
	// Search matches name, email or phone, case-insensitively.
	Search string
	Email  string
}

// UserFilter narrows ListUsers. Zero fields do not filter.
type UserFilter struct {
	Active *bool
	Role   tenant.Role
	// Search matches the email, case-insensitively.
	Search string
}
