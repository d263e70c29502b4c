package directory

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// ErrInvalidCredentials is returned by Authenticate for an unknown email or a
// wrong password, indistinguishably.
var ErrInvalidCredentials = errors.New("invalid email or password")

// ErrAccountDisabled is returned by Authenticate, after the password was
// verified, when the user or its company is deactivated.
var ErrAccountDisabled = errors.New("account disabled: the user or its company is deactivated")

// Service manages companies, contacts and users for an actor. It is safe for
// concurrent use.
type Service struct {
	store Store
	now   func() time.Time
	cost  int
	// dummy is a hash compared against when the email is unknown, so that
	// Authenticate takes the same time whether or not the account exists.
	dummy []byte
	// observer learns of changes to access (see WithAccessObserver).
	observer AccessObserver
	// tokens remembers the API tokens presented lately.
	tokens *tokenCache
	// seen remembers when sessions' LastSeenAt was last written.
	seen sessionSeen
	// unrestricted remembers sessions known not to be restricted.
	unrestricted sessionSet
}

// AccessObserver learns, after their commit, of the changes that may end
// or narrow access granted before them: a user's role, company, active
// state or password changed, a company changed, a session was revoked. An
// edge that caches who may act (the facade's access check) forgets what it
// knew, so the change takes effect on the next request. Its methods must
// be fast and must not call the Service.
type AccessObserver interface {
	UserChanged(id tenant.UserID)
	CompanyChanged(id tenant.CompanyID)
	SessionRevoked(sessionID string)
}

// noObserver is the AccessObserver of a Service given none.
type noObserver struct{}

func (noObserver) UserChanged(tenant.UserID)       {}
func (noObserver) CompanyChanged(tenant.CompanyID) {}
func (noObserver) SessionRevoked(string)           {}

// WithAccessRecheck sets how long AuthenticateAPIToken trusts what it read
// about a token and its company (default one second): a revocation or a
// company deactivated through another Service (another server instance)
// takes effect here within this time.
func WithAccessRecheck(d time.Duration) Option { return func(s *Service) { s.tokens.recheck = d } }

// WithAccessObserver sets the observer told of changes to access.
func WithAccessObserver(o AccessObserver) Option { return func(s *Service) { s.observer = o } }

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock used for timestamps (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithBcryptCost sets the bcrypt cost for new password hashes (default
// bcrypt.DefaultCost). Tests use bcrypt.MinCost for speed.
func WithBcryptCost(cost int) Option { return func(s *Service) { s.cost = cost } }

// NewService returns a directory service over store.
func NewService(store Store, opts ...Option) (*Service, error) {
	s := &Service{store: store, now: time.Now, cost: bcrypt.DefaultCost, observer: noObserver{}, tokens: newTokenCache(time.Second)}
	for _, o := range opts {
		o(s)
	}
	if s.cost < bcrypt.MinCost || s.cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("directory: bcrypt cost %d out of range [%d, %d]", s.cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("boladao-timing-equaliser"), s.cost)
	if err != nil {
		return nil, fmt.Errorf("directory: preparing password hashing: %w", err)
	}
	s.dummy = dummy
	return s, nil
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// emit appends one event describing a change to the outbox of tx.
func (s *Service) emit(ctx context.Context, tx Tx, actor tenant.Actor, typ string, company tenant.CompanyID,
	aggregate string, id int64, at time.Time, data any) error {
	ev, err := events.New(typ, company, aggregate, strconv.FormatInt(id, 10), actor, at, data)
	if err != nil {
		return err
	}
	return tx.AppendEvents(ctx, ev)
}

// checkVersion fails with storage.ErrStale when the caller expected a
// version (non-zero) other than the current one.
func checkVersion(expected, current int64) error {
	if expected != 0 && expected != current {
		return fmt.Errorf("expected version %d, current is %d: %w", expected, current, storage.ErrStale)
	}
	return nil
}

func validTimezone(b *validation.Builder, tz string) string {
	if tz == "" {
		return DefaultTimezone
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		b.Add("timezone", "must be an IANA timezone such as America/Sao_Paulo")
	}
	return tz
}

// CompanyInput holds the fields of a new company.
type CompanyInput struct {
	Name      string
	LegalName string
	CNPJ      string
	// Timezone defaults to DefaultTimezone.
	Timezone string
}

// CreateCompany creates a company. It needs tenant.PermCompaniesManage
// (platform admins) and emits company.created.
func (s *Service) CreateCompany(ctx context.Context, actor tenant.Actor, in CompanyInput) (Company, error) {
	if err := actor.Require(tenant.PermCompaniesManage); err != nil {
		return Company{}, err
	}
	var b validation.Builder
	c := Company{Active: true}
	c.Name = b.Text("name", in.Name, 1, MaxCompanyName)
	c.LegalName = b.Text("legal_name", in.LegalName, 0, MaxLegalName)
	if in.CNPJ != "" {
		cnpj, err := NormalizeCNPJ(in.CNPJ)
		b.Check("cnpj", err)
		c.CNPJ = cnpj
	}
	c.Timezone = validTimezone(&b, in.Timezone)
	if err := b.Err(); err != nil {
		return Company{}, err
	}
	c.CreatedAt = s.clock()
	c.UpdatedAt = c.CreatedAt
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		if err := tx.InsertCompany(ctx, &c); err != nil {
			return conflictField(err, "cnpj", "is already registered to another company")
		}
		return s.emit(ctx, tx, actor, "company.created", c.ID, "company", int64(c.ID), c.CreatedAt, companyData(c))
	})
	if err != nil {
		return Company{}, fmt.Errorf("creating company: %w", err)
	}
	return c, nil
}

// GetCompany reads a company. Platform admins read any company; other actors
// read only their own, and any other ID is storage.ErrNotFound.
func (s *Service) GetCompany(ctx context.Context, actor tenant.Actor, id tenant.CompanyID) (Company, error) {
	if err := actor.Require(tenant.PermCompanyRead); err != nil {
		return Company{}, err
	}
	if !actor.Can(tenant.PermCompaniesManage) && id != actor.CompanyID {
		return Company{}, fmt.Errorf("company %d: %w", id, storage.ErrNotFound)
	}
	c, err := s.store.CompanyByID(ctx, id)
	if err != nil {
		return Company{}, fmt.Errorf("company %d: %w", id, err)
	}
	return c, nil
}

// ListCompanies lists companies: all of them for platform admins, the
// actor's own otherwise.
func (s *Service) ListCompanies(ctx context.Context, actor tenant.Actor, f CompanyFilter, p storage.PageRequest) (storage.Page[Company], error) {
	if err := actor.Require(tenant.PermCompanyRead); err != nil {
		return storage.Page[Company]{}, err
	}
	var b validation.Builder
	b.Search("q", f.Search)
	if err := b.Err(); err != nil {
		return storage.Page[Company]{}, err
	}
	if !actor.Can(tenant.PermCompaniesManage) {
		f.IDs = []tenant.CompanyID{actor.CompanyID}
	}
	return s.store.ListCompanies(ctx, f, p.Normalize())
}

// CompanyPatch holds the company fields to change; nil fields are kept.
// Version, when non-zero, must equal the current version (optimistic
// concurrency, If-Match).
type CompanyPatch struct {
	Name      *string
	LegalName *string
	CNPJ      *string
	Timezone  *string
	Active    *bool
	Version   int64
}

// UpdateCompany changes a company. It needs tenant.PermCompaniesManage and
// emits company.updated (company.deactivated when Active turns false).
func (s *Service) UpdateCompany(ctx context.Context, actor tenant.Actor, id tenant.CompanyID, p CompanyPatch) (Company, error) {
	if err := actor.Require(tenant.PermCompaniesManage); err != nil {
		return Company{}, err
	}
	var out Company
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		c, err := tx.CompanyByID(ctx, id)
		if err != nil {
			return err
		}
		if err := checkVersion(p.Version, c.Version); err != nil {
			return err
		}
		wasActive := c.Active
		var b validation.Builder
		if p.Name != nil {
			c.Name = b.Text("name", *p.Name, 1, MaxCompanyName)
		}
		if p.LegalName != nil {
			c.LegalName = b.Text("legal_name", *p.LegalName, 0, MaxLegalName)
		}
		if p.CNPJ != nil {
			c.CNPJ = ""
			if *p.CNPJ != "" {
				cnpj, err := NormalizeCNPJ(*p.CNPJ)
				b.Check("cnpj", err)
				c.CNPJ = cnpj
			}
		}
		if p.Timezone != nil {
			c.Timezone = validTimezone(&b, *p.Timezone)
		}
		if p.Active != nil {
			c.Active = *p.Active
		}
		if err := b.Err(); err != nil {
			return err
		}
		c.UpdatedAt = s.clock()
		if err := tx.UpdateCompany(ctx, &c); err != nil {
			return conflictField(err, "cnpj", "is already registered to another company")
		}
		typ := "company.updated"
		if wasActive && !c.Active {
			typ = "company.deactivated"
		}
		out = c
		return s.emit(ctx, tx, actor, typ, c.ID, "company", int64(c.ID), c.UpdatedAt, companyData(c))
	})
	if err != nil {
		return Company{}, fmt.Errorf("updating company %d: %w", id, err)
	}
	s.tokens.forgetCompany(id)
	s.observer.CompanyChanged(id)
	return out, nil
}

// DeactivateCompany deactivates a company; its users can no longer log in.
func (s *Service) DeactivateCompany(ctx context.Context, actor tenant.Actor, id tenant.CompanyID) (Company, error) {
	inactive := false
	return s.UpdateCompany(ctx, actor, id, CompanyPatch{Active: &inactive})
}

// conflictField turns a storage.ErrConflict into a validation error naming
// field, keeping both sentinels reachable with errors.Is.
func conflictField(err error, field, msg string) error {
	if errors.Is(err, storage.ErrConflict) {
		return &FieldConflictError{Field: field, Message: msg, Err: err}
	}
	return err
}

// FieldConflictError reports a uniqueness conflict on one input field, such
// as a duplicate email. It matches storage.ErrConflict with errors.Is and
// can be turned into a field error with Fields.
type FieldConflictError struct {
	Field   string
	Message string
	Err     error
}

// Error describes the conflicting field.
func (e *FieldConflictError) Error() string { return e.Field + " " + e.Message }

// Unwrap returns the underlying storage error.
func (e *FieldConflictError) Unwrap() error { return e.Err }

// Fields returns the conflict as field errors, for API responses.
func (e *FieldConflictError) Fields() []validation.FieldError {
	return []validation.FieldError{{Field: e.Field, Message: e.Message}}
}

func companyData(c Company) map[string]any {
	return map[string]any{"id": c.ID, "name": c.Name, "legal_name": c.LegalName, "cnpj": c.CNPJ,
		"timezone": c.Timezone, "active": c.Active, "version": c.Version}
}
