package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// directoryStore is the directory.Store adapter of a Store: root reads
// through the shared reader, units of work through the shared tx.
type directoryStore struct {
	reader
	s *Store
}

// InTx runs fn as one unit of work; see directory.Store.
func (d directoryStore) InTx(ctx context.Context, fn func(ctx context.Context, tx directory.Tx) error) error {
	return d.s.inTx(ctx, func(ctx context.Context, x *tx) error { return fn(ctx, x) })
}

// ---- reads ----

// CompanyByID reads one company.
func (r reader) CompanyByID(ctx context.Context, id tenant.CompanyID) (directory.Company, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return directory.Company{}, err
	}
	defer release()
	c, ok := r.s.t.companies.get(id)
	if !ok {
		return directory.Company{}, fmt.Errorf("memory: company %d: %w", id, storage.ErrNotFound)
	}
	return c, nil
}

// ListCompanies lists companies by ascending ID.
func (r reader) ListCompanies(ctx context.Context, f directory.CompanyFilter, p storage.PageRequest) (storage.Page[directory.Company], error) {
	p = p.Normalize()
	after, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[directory.Company]{}, fmt.Errorf("memory: list companies: %w", err)
	}
	release, err := r.enter(ctx)
	if err != nil {
		return storage.Page[directory.Company]{}, err
	}
	defer release()
	q := strings.ToLower(f.Search)
	keep := func(c directory.Company) bool {
		return (f.Active == nil || c.Active == *f.Active) &&
			(len(f.IDs) == 0 || slices.Contains(f.IDs, c.ID)) &&
			(q == "" || containsFold(q, c.Name, c.LegalName, c.CNPJ))
	}
	rows := list(r.s.t.companies, after, p.Limit, keep, cloneCompany)
	return storage.PageOf(rows, p.Limit, func(c directory.Company) int64 { return int64(c.ID) }), nil
}

// ContactByID reads one contact of company.
func (r reader) ContactByID(ctx context.Context, company tenant.CompanyID, id tenant.ContactID) (directory.Contact, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return directory.Contact{}, err
	}
	defer release()
	c, ok := r.s.t.contacts.get(id)
	if !ok || c.CompanyID != company {
		return directory.Contact{}, fmt.Errorf("memory: contact %d of company %d: %w", id, company, storage.ErrNotFound)
	}
	return c, nil
}

// CompanyAndContact reads a company and one of its contacts: a zero
// Contact when the company has no such contact.
func (r reader) CompanyAndContact(ctx context.Context, company tenant.CompanyID, contact tenant.ContactID) (directory.Company, directory.Contact, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return directory.Company{}, directory.Contact{}, err
	}
	defer release()
	co, ok := r.s.t.companies.get(company)
	if !ok {
		return directory.Company{}, directory.Contact{}, fmt.Errorf("memory: company %d: %w", company, storage.ErrNotFound)
	}
	ct, ok := r.s.t.contacts.get(contact)
	if !ok || ct.CompanyID != company {
		ct = directory.Contact{}
	}
	return co, ct, nil
}

// ListContacts lists the contacts of company by ascending ID.
func (r reader) ListContacts(ctx context.Context, company tenant.CompanyID, f directory.ContactFilter, p storage.PageRequest) (storage.Page[directory.Contact], error) {
	p = p.Normalize()
	after, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[directory.Contact]{}, fmt.Errorf("memory: list contacts: %w", err)
	}
	release, err := r.enter(ctx)
	if err != nil {
		return storage.Page[directory.Contact]{}, err
	}
	defer release()
	q := strings.ToLower(f.Search)
	keep := func(c directory.Contact) bool {
		return c.CompanyID == company &&
			(f.Active == nil || c.Active == *f.Active) &&
			(f.Email == "" || c.Email == strings.ToLower(f.Email)) &&
			(q == "" || containsFold(q, c.Name, c.Email, c.Phone))
	}
	rows := list(r.s.t.contacts, after, p.Limit, keep, cloneContact)
	return storage.PageOf(rows, p.Limit, func(c directory.Contact) int64 { return int64(c.ID) }), nil
}

// UserByID reads one user of company; company zero reads platform admins.
func (r reader) UserByID(ctx context.Context, company tenant.CompanyID, id tenant.UserID) (directory.User, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return directory.User{}, err
	}
	defer release()
	u, ok := r.s.t.users.get(id)
	if !ok || u.CompanyID != company {
		return directory.User{}, fmt.Errorf("memory: user %d of company %d: %w", id, company, storage.ErrNotFound)
	}
	return cloneUser(u), nil
}

// UserByEmail reads a user by its exact (lower-case) email, in any company.
func (r reader) UserByEmail(ctx context.Context, email string) (directory.User, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return directory.User{}, err
	}
	defer release()
	id, ok := r.s.t.userByEmail[email]
	if !ok {
		return directory.User{}, fmt.Errorf("memory: user with email %q: %w", email, storage.ErrNotFound)
	}
	u, _ := r.s.t.users.get(id)
	return cloneUser(u), nil
}

// ListUsers lists the users of company by ascending ID; company zero lists
// platform admins.
func (r reader) ListUsers(ctx context.Context, company tenant.CompanyID, f directory.UserFilter, p storage.PageRequest) (storage.Page[directory.User], error) {
	p = p.Normalize()
	after, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[directory.User]{}, fmt.Errorf("memory: list users: %w", err)
	}
	release, err := r.enter(ctx)
	if err != nil {
		return storage.Page[directory.User]{}, err
	}
	defer release()
	q := strings.ToLower(f.Search)
	keep := func(u directory.User) bool {
		return u.CompanyID == company &&
			(f.Active == nil || u.Active == *f.Active) &&
			(f.Role == "" || u.Role == f.Role) &&
			(q == "" || containsFold(q, u.Email))
	}
	rows := list(r.s.t.users, after, p.Limit, keep, cloneUser)
	return storage.PageOf(rows, p.Limit, func(u directory.User) int64 { return int64(u.ID) }), nil
}

// containsFold reports whether any field contains the lower-case query,
// case-insensitively.
func containsFold(lowerQuery string, fields ...string) bool {
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), lowerQuery) {
			return true
		}
	}
	return false
}

func cloneCompany(c directory.Company) directory.Company { return c }
func cloneContact(c directory.Contact) directory.Contact { return c }

func cloneUser(u directory.User) directory.User {
	u.PasswordHash = bytes.Clone(u.PasswordHash)
	return u
}

// ---- writes ----

// InsertCompany inserts c, setting its ID and Version.
func (x *tx) InsertCompany(ctx context.Context, c *directory.Company) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t
	row := cloneCompany(*c)
	if err := t.companyUnique(row); err != nil {
		return fmt.Errorf("memory: insert company: %w", err)
	}
	row.ID, row.Version = t.companies.allocate(), 1
	t.putCompany(row)
	x.onRollback(func() { t.deleteCompany(row.ID) })
	c.ID, c.Version = row.ID, row.Version
	return nil
}

// UpdateCompany writes c over the stored company with the same ID and
// Version, then increments c.Version.
func (x *tx) UpdateCompany(ctx context.Context, c *directory.Company) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t
	old, ok := t.companies.get(c.ID)
	if err := matchVersion(fmt.Sprintf("company %d", c.ID), ok, old.Version, c.Version); err != nil {
		return err
	}
	row := cloneCompany(*c)
	if err := t.companyUnique(row); err != nil {
		return fmt.Errorf("memory: update company %d: %w", c.ID, err)
	}
	row.Version++
	t.putCompany(row)
	x.onRollback(func() { t.putCompany(old) })
	c.Version = row.Version
	return nil
}

// InsertContact inserts c, setting its ID and Version.
func (x *tx) InsertContact(ctx context.Context, c *directory.Contact) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t
	row := cloneContact(*c)
	if err := t.contactUnique(row); err != nil {
		return fmt.Errorf("memory: insert contact: %w", err)
	}
	row.ID, row.Version = t.contacts.allocate(), 1
	t.putContact(row)
	x.onRollback(func() { t.deleteContact(row.ID) })
	c.ID, c.Version = row.ID, row.Version
	return nil
}

// UpdateContact writes c over the stored contact with the same ID, company
// and Version, then increments c.Version.
func (x *tx) UpdateContact(ctx context.Context, c *directory.Contact) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t
	old, ok := t.contacts.get(c.ID)
	ok = ok && old.CompanyID == c.CompanyID
	if err := matchVersion(fmt.Sprintf("contact %d of company %d", c.ID, c.CompanyID), ok, old.Version, c.Version); err != nil {
		return err
	}
	row := cloneContact(*c)
	if err := t.contactUnique(row); err != nil {
		return fmt.Errorf("memory: update contact %d: %w", c.ID, err)
	}
	row.Version++
	t.putContact(row)
	x.onRollback(func() { t.putContact(old) })
	c.Version = row.Version
	return nil
}

// InsertUser inserts u, setting its ID and Version.
func (x *tx) InsertUser(ctx context.Context, u *directory.User) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t
	row := cloneUser(*u)
	if err := t.userUnique(row); err != nil {
		return fmt.Errorf("memory: insert user: %w", err)
	}
	row.ID, row.Version = t.users.allocate(), 1
	t.putUser(row)
	x.onRollback(func() { t.deleteUser(row.ID) })
	u.ID, u.Version = row.ID, row.Version
	return nil
}

// UpdateUser writes u over the stored user with the same ID, company and
// Version, then increments u.Version. Company zero matches platform admins.
func (x *tx) UpdateUser(ctx context.Context, u *directory.User) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t
	old, ok := t.users.get(u.ID)
	ok = ok && old.CompanyID == u.CompanyID
	if err := matchVersion(fmt.Sprintf("user %d of company %d", u.ID, u.CompanyID), ok, old.Version, u.Version); err != nil {
		return err
	}
	row := cloneUser(*u)
	if err := t.userUnique(row); err != nil {
		return fmt.Errorf("memory: update user %d: %w", u.ID, err)
	}
	row.Version++
	t.putUser(row)
	x.onRollback(func() { t.putUser(old) })
	u.Version = row.Version
	return nil
}

// matchVersion reports storage.ErrNotFound when the row is missing from the
// company and storage.ErrStale when its version moved on.
func matchVersion(row string, found bool, current, given int64) error {
	switch {
	case !found:
		return fmt.Errorf("memory: update %s: %w", row, storage.ErrNotFound)
	case current != given:
		return fmt.Errorf("memory: update %s: version %d given, current is %d: reload and retry: %w",
			row, given, current, storage.ErrStale)
	}
	return nil
}

// ---- constraints and indexes ----

func (t *tables) companyUnique(c directory.Company) error {
	if id, ok := t.companyByCNPJ[c.CNPJ]; ok && c.CNPJ != "" && id != c.ID {
		return fmt.Errorf("CNPJ %s is already registered to another company: %w", c.CNPJ, storage.ErrConflict)
	}
	return nil
}

func (t *tables) putCompany(c directory.Company) {
	t.deleteCompanyKeys(c.ID)
	t.companies.put(c.ID, c)
	if c.CNPJ != "" {
		t.companyByCNPJ[c.CNPJ] = c.ID
	}
}

func (t *tables) deleteCompany(id tenant.CompanyID) {
	t.deleteCompanyKeys(id)
	t.companies.remove(id)
}

func (t *tables) deleteCompanyKeys(id tenant.CompanyID) {
	if old, ok := t.companies.get(id); ok && old.CNPJ != "" && t.companyByCNPJ[old.CNPJ] == id {
		delete(t.companyByCNPJ, old.CNPJ)
	}
}

func (t *tables) contactUnique(c directory.Contact) error {
	if c.Email == "" {
		return nil
	}
	if id, ok := t.contactByEmail[contactEmail{c.CompanyID, c.Email}]; ok && id != c.ID {
		return fmt.Errorf("email %s is already used by another contact of company %d: %w", c.Email, c.CompanyID, storage.ErrConflict)
	}
	return nil
}

func (t *tables) putContact(c directory.Contact) {
	t.deleteContactKeys(c.ID)
	t.contacts.put(c.ID, c)
	if c.Email != "" {
		t.contactByEmail[contactEmail{c.CompanyID, c.Email}] = c.ID
	}
}

func (t *tables) deleteContact(id tenant.ContactID) {
	t.deleteContactKeys(id)
	t.contacts.remove(id)
}

func (t *tables) deleteContactKeys(id tenant.ContactID) {
	old, ok := t.contacts.get(id)
	if !ok || old.Email == "" {
		return
	}
	if k := (contactEmail{old.CompanyID, old.Email}); t.contactByEmail[k] == id {
		delete(t.contactByEmail, k)
	}
}

func (t *tables) userUnique(u directory.User) error {
	if id, ok := t.userByEmail[u.Email]; ok && id != u.ID {
		return fmt.Errorf("email %s is already used by another user: %w", u.Email, storage.ErrConflict)
	}
	if u.ContactID != 0 {
		if id, ok := t.userByContact[u.ContactID]; ok && id != u.ID {
			return fmt.Errorf("contact %d already has a user: %w", u.ContactID, storage.ErrConflict)
		}
	}
	return nil
}

func (t *tables) putUser(u directory.User) {
	t.deleteUserKeys(u.ID)
	t.users.put(u.ID, u)
	t.userByEmail[u.Email] = u.ID
	if u.ContactID != 0 {
		t.userByContact[u.ContactID] = u.ID
	}
}

func (t *tables) deleteUser(id tenant.UserID) {
	t.deleteUserKeys(id)
	t.users.remove(id)
}

func (t *tables) deleteUserKeys(id tenant.UserID) {
	old, ok := t.users.get(id)
	if !ok {
		return
	}
	if t.userByEmail[old.Email] == id {
		delete(t.userByEmail, old.Email)
	}
	if old.ContactID != 0 && t.userByContact[old.ContactID] == id {
		delete(t.userByContact, old.ContactID)
	}
}
