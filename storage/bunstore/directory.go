package bunstore

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// queries holds the reads shared by the root store and transactions.
type queries struct {
	db      bun.IDB
	dialect Dialect
}

type companyRow struct {
	bun.BaseModel `bun:"table:companies"`
	ID            int64     `bun:"id,pk,autoincrement"`
	Name          string    `bun:"name"`
	LegalName     string    `bun:"legal_name"`
	CNPJ          string    `bun:"cnpj"`
	Timezone      string    `bun:"timezone"`
	Active        bool      `bun:"active"`
	Version       int64     `bun:"version"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func (r companyRow) model() directory.Company {
	return directory.Company{ID: tenant.CompanyID(r.ID), Name: r.Name, LegalName: r.LegalName, CNPJ: r.CNPJ,
		Timezone: r.Timezone, Active: r.Active, Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func companyRowOf(c directory.Company) companyRow {
	return companyRow{ID: int64(c.ID), Name: c.Name, LegalName: c.LegalName, CNPJ: c.CNPJ, Timezone: c.Timezone,
		Active: c.Active, Version: c.Version, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

type contactRow struct {
	bun.BaseModel `bun:"table:contacts"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CompanyID     int64     `bun:"company_id"`
	Name          string    `bun:"name"`
	Email         string    `bun:"email"`
	Phone         string    `bun:"phone"`
	WhatsAppOptIn bool      `bun:"whatsapp_opt_in"`
	Active        bool      `bun:"active"`
	Version       int64     `bun:"version"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func (r contactRow) model() directory.Contact {
	return directory.Contact{ID: tenant.ContactID(r.ID), CompanyID: tenant.CompanyID(r.CompanyID), Name: r.Name,
		Email: r.Email, Phone: r.Phone, WhatsAppOptIn: r.WhatsAppOptIn, Active: r.Active, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func contactRowOf(c directory.Contact) contactRow {
	return contactRow{ID: int64(c.ID), CompanyID: int64(c.CompanyID), Name: c.Name, Email: c.Email, Phone: c.Phone,
		WhatsAppOptIn: c.WhatsAppOptIn, Active: c.Active, Version: c.Version,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

type userRow struct {
	bun.BaseModel `bun:"table:users"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CompanyID     int64     `bun:"company_id,nullzero"`
	ContactID     int64     `bun:"contact_id,nullzero"`
	Email         string    `bun:"email"`
	PasswordHash  []byte    `bun:"password_hash,type:bytea"`
	Role          string    `bun:"role"`
	Active        bool      `bun:"active"`
	Language      string    `bun:"language"`
	Version       int64     `bun:"version"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func (r userRow) model() directory.User {
	return directory.User{ID: tenant.UserID(r.ID), CompanyID: tenant.CompanyID(r.CompanyID), ContactID: tenant.ContactID(r.ContactID),
		Email: r.Email, PasswordHash: r.PasswordHash, Role: tenant.Role(r.Role), Active: r.Active, Language: r.Language, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func userRowOf(u directory.User) userRow {
	return userRow{ID: int64(u.ID), CompanyID: int64(u.CompanyID), ContactID: int64(u.ContactID), Email: u.Email,
		PasswordHash: u.PasswordHash, Role: string(u.Role), Active: u.Active, Language: u.Language, Version: u.Version,
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
}

// scopeCompany restricts q to one company; company zero means rows that
// belong to no company (platform admins).
func scopeCompany(q *bun.SelectQuery, column string, company tenant.CompanyID) *bun.SelectQuery {
	if company == 0 {
		return q.Where("? IS NULL", bun.Ident(column))
	}
	return q.Where("? = ?", bun.Ident(column), int64(company))
}

// likePattern turns a search term into a case-insensitive LIKE pattern with
// the wildcards in the term escaped.
func likePattern(term string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + strings.ToLower(r.Replace(term)) + "%"
}

// search adds "lower(col) LIKE pattern" over any of cols.
func search(q *bun.SelectQuery, term string, cols ...string) *bun.SelectQuery {
	if term = strings.TrimSpace(term); term == "" {
		return q
	}
	pattern := likePattern(term)
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		for _, c := range cols {
			q = q.WhereOr(`lower(?) LIKE ? ESCAPE '\'`, bun.Ident(c), pattern)
		}
		return q
	})
}

// page applies keyset pagination over id: rows after the cursor, limit+1.
func page(q *bun.SelectQuery, p storage.PageRequest) (*bun.SelectQuery, int, error) {
	p = p.Normalize()
	after, err := p.Cursor.AfterID()
	if err != nil {
		return nil, 0, err
	}
	return q.Where("id > ?", after).OrderExpr("id ASC").Limit(int64(p.Limit + 1)), p.Limit, nil
}

func list[R any, T any](ctx context.Context, q *bun.SelectQuery, p storage.PageRequest, rows *[]R,
	conv func(R) T, id func(T) int64, what string) (storage.Page[T], error) {
	q, limit, err := page(q, p)
	if err != nil {
		return storage.Page[T]{}, err
	}
	if err := q.Scan(ctx); err != nil {
		return storage.Page[T]{}, translate(err, what)
	}
	items := make([]T, len(*rows))
	for i, r := range *rows {
		items[i] = conv(r)
	}
	return storage.PageOf(items, limit, id), nil
}

// CompanyByID implements directory.Queries.
func (q queries) CompanyByID(ctx context.Context, id tenant.CompanyID) (directory.Company, error) {
	var r companyRow
	err := q.db.NewSelect().Model(&r).Where("id = ?", int64(id)).Scan(ctx)
	return r.model(), translate(err, fmt.Sprintf("company %d", id))
}

// ListCompanies implements directory.Queries.
func (q queries) ListCompanies(ctx context.Context, f directory.CompanyFilter, p storage.PageRequest) (storage.Page[directory.Company], error) {
	var rows []companyRow
	sq := q.db.NewSelect().Model(&rows)
	if f.Active != nil {
		sq = sq.Where("active = ?", *f.Active)
	}
	if f.IDs != nil {
		ids := make([]int64, len(f.IDs))
		for i, id := range f.IDs {
			ids[i] = int64(id)
		}
		sq = sq.Where("id IN (?)", bun.List(ids))
	}
	sq = search(sq, f.Search, "name", "legal_name", "cnpj")
	return list(ctx, sq, p, &rows, companyRow.model, func(c directory.Company) int64 { return int64(c.ID) }, "listing companies")
}

// ContactByID implements directory.Queries.
func (q queries) ContactByID(ctx context.Context, company tenant.CompanyID, id tenant.ContactID) (directory.Contact, error) {
	var r contactRow
	err := q.db.NewSelect().Model(&r).Where("company_id = ? AND id = ?", int64(company), int64(id)).Scan(ctx)
	return r.model(), translate(err, fmt.Sprintf("contact %d", id))
}

// CompanyAndContact implements tickets.Queries with one query: the
// company, and the contact joined to it when it is the company's.
func (q queries) CompanyAndContact(ctx context.Context, company tenant.CompanyID, contact tenant.ContactID) (directory.Company, directory.Contact, error) {
	var r struct {
		companyRow
		Contact contactRow `bun:"embed:contact__"`
	}
	err := q.db.NewSelect().Model(&r).ModelTableExpr("companies AS company_row").ColumnExpr("company_row.*").
		ColumnExpr(embeddedColumns[contactRow](q.db, "ct", "contact__")).
		Join("LEFT JOIN contacts AS ct ON ct.company_id = company_row.id AND ct.id = ?", int64(contact)).
		Where("company_row.id = ?", int64(company)).Scan(ctx)
	if err != nil {
		return directory.Company{}, directory.Contact{}, translate(err, fmt.Sprintf("company %d", company))
	}
	var ct directory.Contact
	if r.Contact.ID != 0 {
		ct = r.Contact.model()
	}
	return r.companyRow.model(), ct, nil
}

// embeddedColumns selects every column of row type R from the table
// aliased alias, named for a struct field of type R tagged embed:prefix.
func embeddedColumns[R any](db bun.IDB, alias, prefix string) string {
	var b strings.Builder
	for i, f := range db.Dialect().Tables().Get(reflect.TypeFor[R]()).Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s.%s AS %s%s", alias, f.Name, prefix, f.Name)
	}
	return b.String()
}

// ListContacts implements directory.Queries.
func (q queries) ListContacts(ctx context.Context, company tenant.CompanyID, f directory.ContactFilter, p storage.PageRequest) (storage.Page[directory.Contact], error) {
	var rows []contactRow
	sq := q.db.NewSelect().Model(&rows).Where("company_id = ?", int64(company))
	if f.Active != nil {
		sq = sq.Where("active = ?", *f.Active)
	}
	if f.Email != "" {
		sq = sq.Where("email = ?", strings.ToLower(f.Email))
	}
	sq = search(sq, f.Search, "name", "email", "phone")
	return list(ctx, sq, p, &rows, contactRow.model, func(c directory.Contact) int64 { return int64(c.ID) }, "listing contacts")
}

// UserByID implements directory.Queries.
func (q queries) UserByID(ctx context.Context, company tenant.CompanyID, id tenant.UserID) (directory.User, error) {
	var r userRow
	err := scopeCompany(q.db.NewSelect().Model(&r), "company_id", company).Where("id = ?", int64(id)).Scan(ctx)
	return r.model(), translate(err, fmt.Sprintf("user %d", id))
}

// UserByEmail implements directory.Queries.
func (q queries) UserByEmail(ctx context.Context, email string) (directory.User, error) {
	var r userRow
	err := q.db.NewSelect().Model(&r).Where("email = ?", strings.ToLower(email)).Scan(ctx)
	return r.model(), translate(err, "user by email")
}

// ListUsers implements directory.Queries.
func (q queries) ListUsers(ctx context.Context, company tenant.CompanyID, f directory.UserFilter, p storage.PageRequest) (storage.Page[directory.User], error) {
	var rows []userRow
	sq := scopeCompany(q.db.NewSelect().Model(&rows), "company_id", company)
	if f.Active != nil {
		sq = sq.Where("active = ?", *f.Active)
	}
	if f.Role != "" {
		sq = sq.Where("role = ?", string(f.Role))
	}
	sq = search(sq, f.Search, "email")
	return list(ctx, sq, p, &rows, userRow.model, func(u directory.User) int64 { return int64(u.ID) }, "listing users")
}

// insert inserts row and returns its generated ID.
func insert[R any](ctx context.Context, db bun.IDB, row *R, what string) error {
	_, err := db.NewInsert().Model(row).Returning("id").Exec(ctx)
	return translate(err, "inserting "+what)
}

// update writes row where id, company and version match, bumping version.
// When nothing matched it tells stale from missing with a second read.
func update(ctx context.Context, db bun.IDB, model any, table string, id int64, company tenant.CompanyID,
	companyColumn string, version int64, what string) error {
	uq := db.NewUpdate().Model(model).ExcludeColumn("id", "created_at", "version").
		Set("version = ?", version+1).Where("id = ?", id).Where("version = ?", version)
	switch {
	case companyColumn == "":
	case company == 0:
		uq = uq.Where("? IS NULL", bun.Ident(companyColumn))
	default:
		uq = uq.Where("? = ?", bun.Ident(companyColumn), int64(company))
	}
	res, err := uq.Exec(ctx)
	if err != nil {
		return translate(err, "updating "+what)
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate(err, "updating "+what)
	} else if n == 1 {
		return nil
	}
	sq := db.NewSelect().Table(table).Where("id = ?", id)
	if companyColumn != "" {
		sq = scopeCompany(sq, companyColumn, company)
	}
	exists, err := sq.Exists(ctx)
	if err != nil {
		return translate(err, "updating "+what)
	}
	if exists {
		return fmt.Errorf("updating %s at version %d: %w", what, version, storage.ErrStale)
	}
	return fmt.Errorf("updating %s: %w", what, storage.ErrNotFound)
}

// InsertCompany implements directory.Tx.
func (t *Tx) InsertCompany(ctx context.Context, c *directory.Company) error {
	c.Version = 1
	r := companyRowOf(*c)
	if err := insert(ctx, t.db, &r, "company"); err != nil {
		return err
	}
	c.ID = tenant.CompanyID(r.ID)
	if t.dialect == Postgres {
		return createTicketSequence(ctx, t.db, c.ID)
	}
	return nil
}

// UpdateCompany implements directory.Tx.
func (t *Tx) UpdateCompany(ctx context.Context, c *directory.Company) error {
	r := companyRowOf(*c)
	if err := update(ctx, t.db, &r, "companies", r.ID, 0, "", c.Version, fmt.Sprintf("company %d", c.ID)); err != nil {
		return err
	}
	c.Version++
	return nil
}

// InsertContact implements directory.Tx.
func (t *Tx) InsertContact(ctx context.Context, c *directory.Contact) error {
	c.Version = 1
	r := contactRowOf(*c)
	if err := insert(ctx, t.db, &r, "contact"); err != nil {
		return err
	}
	c.ID = tenant.ContactID(r.ID)
	return nil
}

// UpdateContact implements directory.Tx.
func (t *Tx) UpdateContact(ctx context.Context, c *directory.Contact) error {
	r := contactRowOf(*c)
	if err := update(ctx, t.db, &r, "contacts", r.ID, c.CompanyID, "company_id", c.Version, fmt.Sprintf("contact %d", c.ID)); err != nil {
		return err
	}
	c.Version++
	return nil
}

// InsertUser implements directory.Tx.
func (t *Tx) InsertUser(ctx context.Context, u *directory.User) error {
	u.Version = 1
	r := userRowOf(*u)
	if err := insert(ctx, t.db, &r, "user"); err != nil {
		return err
	}
	u.ID = tenant.UserID(r.ID)
	return nil
}

// UpdateUser implements directory.Tx.
func (t *Tx) UpdateUser(ctx context.Context, u *directory.User) error {
	r := userRowOf(*u)
	if err := update(ctx, t.db, &r, "users", r.ID, u.CompanyID, "company_id", u.Version, fmt.Sprintf("user %d", u.ID)); err != nil {
		return err
	}
	u.Version++
	return nil
}
