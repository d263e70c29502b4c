package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/idempotency"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

// Backend is what a storage backend offers to the domain packages.
type Backend interface {
	Directory() directory.Store
	events.OutboxReader
	// RelayStore serves the outbox relay (see outbox_relay.go).
	events.RelayStore
	// Webhooks serves webhook endpoints and deliveries (see webhooks.go).
	Webhooks() webhooks.Store
	// Idempotency and Audit are used outside units of work.
	Idempotency() idempotency.Store
	Audit() audit.Store
	// Changes is the audit trail; the units of work write it.
	Changes() audit.ChangeStore
	Inventory() inventory.Store
	Tickets() tickets.Store
	IntegrationsBackend
	ServiceOrders() serviceorders.Store
	Attachments() attachments.Store
}

// Factory returns a fresh, empty backend. It registers its own cleanup with
// t.Cleanup.
type Factory func(t *testing.T) Backend

// Run runs the whole conformance suite against backends made by newBackend.
func Run(t *testing.T, newBackend Factory) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, b Backend)
	}{
		{"CompanyRoundTrip", testCompanyRoundTrip},
		{"ContactAndUserRoundTrip", testContactAndUserRoundTrip},
		{"UniqueViolations", testUniqueViolations},
		{"StaleVersion", testStaleVersion},
		{"RollbackLeavesNothing", testRollbackLeavesNothing},
		{"TxReadsItsOwnWrites", testTxReadsOwnWrites},
		{"TenantIsolation", testTenantIsolation},
		{"Filters", testFilters},
		{"PagingUnderConcurrentInserts", testPagingUnderConcurrentInserts},
		{"ConcurrentWriters", testConcurrentWriters},
		{"OutboxOrderAndContent", testOutbox},
		{"ServiceWritesEventsAtomically", testServiceEvents},
		{"ServiceRejectsBadInputWritingNothing", testServiceBadInput},
		{"Authenticate", testAuthenticate},
		{"RefreshTokenRoundTrip", testRefreshTokenRoundTrip},
		{"RefreshTokenRevokeSession", testRefreshTokenRevokeSession},
		{"RefreshTokenRevokeUserSessions", testRefreshTokenRevokeUserSessions},
		{"UserLanguageRoundTrip", testUserLanguageRoundTrip},
		{"RefreshTokenUsedExactlyOnce", testRefreshTokenUsedOnce},
		{"APITokenRoundTrip", testAPITokenRoundTrip},
		{"APITokenConflictAndStale", testAPITokenConflictAndStale},
		{"APITokenTenantIsolation", testAPITokenTenantIsolation},
		{"APITokenTouch", testAPITokenTouch},
		{"APITokenListFilterAndPaging", testAPITokenList},
		{"IdempotencyClaimCompleteReplay", testIdempotencyClaimCompleteReplay},
		{"IdempotencyConcurrentClaims", testIdempotencyConcurrentClaims},
		{"IdempotencyExpiryAndRelease", testIdempotencyExpiryAndRelease},
		{"IdempotencyPurge", testIdempotencyPurge},
		{"IdempotencyScopes", testIdempotencyScopes},
		{"AuditRecordAndQuery", testAuditRecordAndQuery},
		{"AuditDefaultLimit", testAuditDefaultLimit},
		{"AuditCount", testAuditCount},
	}
	cases = append(cases, inventoryCases...)
	cases = append(cases, ticketCases...)
	cases = append(cases, integrationCases...)
	cases = append(cases, serviceOrderCases...)
	cases = append(cases, relayCases...)
	cases = append(cases, webhookCases...)
	cases = append(cases, twoFactorCases...)
	cases = append(cases, changeCases...)
	cases = append(cases, attachmentCases...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, newBackend(t))
		})
	}
}

// at is the fixed time the suite writes: microsecond precision, UTC, the
// precision every backend must preserve.
var at = time.Date(2026, 7, 1, 12, 30, 15, 123456000, time.UTC)

func ctx(t *testing.T) context.Context { return t.Context() }

// tx runs fn in a unit of work and requires it to commit.
func tx(t *testing.T, s directory.Store, fn func(ctx context.Context, tx directory.Tx) error) {
	t.Helper()
	require.NoError(t, s.InTx(ctx(t), fn))
}

func newCompany(t *testing.T, s directory.Store, name, cnpj string) directory.Company {
	t.Helper()
	c := directory.Company{Name: name, LegalName: name + " Ltda", CNPJ: cnpj, Timezone: "America/Sao_Paulo",
		Active: true, CreatedAt: at, UpdatedAt: at}
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.InsertCompany(ctx, &c) })
	require.NotZero(t, c.ID)
	require.EqualValues(t, 1, c.Version)
	return c
}

func newContact(t *testing.T, s directory.Store, company tenant.CompanyID, name, email string) directory.Contact {
	t.Helper()
	c := directory.Contact{CompanyID: company, Name: name, Email: email, Phone: "+5511987654321",
		WhatsAppOptIn: true, Active: true, CreatedAt: at, UpdatedAt: at}
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.InsertContact(ctx, &c) })
	require.NotZero(t, c.ID)
	return c
}

func newUser(t *testing.T, s directory.Store, c directory.Contact, email string, role tenant.Role) directory.User {
	t.Helper()
	u := directory.User{CompanyID: c.CompanyID, ContactID: c.ID, Email: email, PasswordHash: []byte("$2a$04$hash"),
		Role: role, Active: true, CreatedAt: at, UpdatedAt: at}
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.InsertUser(ctx, &u) })
	require.NotZero(t, u.ID)
	return u
}

func testCompanyRoundTrip(t *testing.T, b Backend) {
	s := b.Directory()
	c := newCompany(t, s, "Acme", "11222333000181")
	got, err := s.CompanyByID(ctx(t), c.ID)
	require.NoError(t, err)
	require.Equal(t, c, got)
	require.True(t, got.CreatedAt.Equal(at))

	got.Name = "Acme Renamed"
	got.Active = false
	got.UpdatedAt = at.Add(time.Hour)
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.UpdateCompany(ctx, &got) })
	require.EqualValues(t, 2, got.Version)
	again, err := s.CompanyByID(ctx(t), c.ID)
	require.NoError(t, err)
	require.Equal(t, got, again)

	_, err = s.CompanyByID(ctx(t), c.ID+1000)
	require.ErrorIs(t, err, storage.ErrNotFound)
	missing := directory.Company{ID: c.ID + 1000, Name: "x", Version: 1}
	err = s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error { return tx.UpdateCompany(ctx, &missing) })
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func testContactAndUserRoundTrip(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	c := newContact(t, s, co.ID, "Ana Souza", "ana@acme.com.br")
	got, err := s.ContactByID(ctx(t), co.ID, c.ID)
	require.NoError(t, err)
	require.Equal(t, c, got)

	u := newUser(t, s, c, "ana@acme.com.br", tenant.RoleAgent)
	gotU, err := s.UserByID(ctx(t), co.ID, u.ID)
	require.NoError(t, err)
	require.Equal(t, u, gotU)
	byEmail, err := s.UserByEmail(ctx(t), "ana@acme.com.br")
	require.NoError(t, err)
	require.Equal(t, u, byEmail)
	_, err = s.UserByEmail(ctx(t), "nobody@acme.com.br")
	require.ErrorIs(t, err, storage.ErrNotFound)

	// Platform admins have no company and are read with company zero.
	admin := directory.User{Email: "root@boladao.dev", PasswordHash: []byte("h"), Role: tenant.RolePlatformAdmin,
		Active: true, CreatedAt: at, UpdatedAt: at}
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.InsertUser(ctx, &admin) })
	gotA, err := s.UserByID(ctx(t), 0, admin.ID)
	require.NoError(t, err)
	require.Equal(t, admin, gotA)
	_, err = s.UserByID(ctx(t), co.ID, admin.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.UserByID(ctx(t), 0, u.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	platform, err := s.ListUsers(ctx(t), 0, directory.UserFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []directory.User{admin}, platform.Items)

	gotU.Role = tenant.RoleAdmin
	gotU.PasswordHash = []byte("$2a$04$other")
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.UpdateUser(ctx, &gotU) })
	again, err := s.UserByID(ctx(t), co.ID, u.ID)
	require.NoError(t, err)
	require.Equal(t, gotU, again)
}

func testUniqueViolations(t *testing.T, b Backend) {
	s := b.Directory()
	a := newCompany(t, s, "A", "11222333000181")
	bc := newCompany(t, s, "B", "11444777000161")
	insert := func(fn func(ctx context.Context, tx directory.Tx) error) error { return s.InTx(ctx(t), fn) }

	dup := directory.Company{Name: "A2", CNPJ: "11222333000181", Timezone: "UTC", Active: true, CreatedAt: at, UpdatedAt: at}
	require.ErrorIs(t, insert(func(ctx context.Context, tx directory.Tx) error { return tx.InsertCompany(ctx, &dup) }), storage.ErrConflict)
	// Several companies without a CNPJ are fine.
	newCompany(t, s, "No CNPJ 1", "")
	newCompany(t, s, "No CNPJ 2", "")

	ca := newContact(t, s, a.ID, "Ana", "ana@x.com")
	dupC := directory.Contact{CompanyID: a.ID, Name: "Ana 2", Email: "ana@x.com", Active: true, CreatedAt: at, UpdatedAt: at}
	require.ErrorIs(t, insert(func(ctx context.Context, tx directory.Tx) error { return tx.InsertContact(ctx, &dupC) }), storage.ErrConflict)
	cb := newContact(t, s, bc.ID, "Ana in B", "ana@x.com") // same email, other company: fine
	newContact(t, s, a.ID, "No email 1", "")
	newContact(t, s, a.ID, "No email 2", "")

	newUser(t, s, ca, "ana@x.com", tenant.RoleAgent)
	dupU := directory.User{CompanyID: bc.ID, ContactID: cb.ID, Email: "ana@x.com", PasswordHash: []byte("h"),
		Role: tenant.RoleAgent, Active: true, CreatedAt: at, UpdatedAt: at}
	require.ErrorIs(t, insert(func(ctx context.Context, tx directory.Tx) error { return tx.InsertUser(ctx, &dupU) }), storage.ErrConflict,
		"user emails are unique across companies")

	// Uniqueness holds on update too.
	bc.CNPJ = a.CNPJ
	require.ErrorIs(t, insert(func(ctx context.Context, tx directory.Tx) error { return tx.UpdateCompany(ctx, &bc) }), storage.ErrConflict)
	got, err := s.CompanyByID(ctx(t), bc.ID)
	require.NoError(t, err)
	require.Equal(t, "11444777000161", got.CNPJ, "a failed update changes nothing")
}

func testStaleVersion(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	c := newContact(t, s, co.ID, "Ana", "")
	first, second := c, c
	first.Name = "First"
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.UpdateContact(ctx, &first) })
	second.Name = "Second"
	err := s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error { return tx.UpdateContact(ctx, &second) })
	require.ErrorIs(t, err, storage.ErrStale)
	got, err := s.ContactByID(ctx(t), co.ID, c.ID)
	require.NoError(t, err)
	require.Equal(t, "First", got.Name)
	require.EqualValues(t, 2, got.Version)
}

var errBoom = errors.New("boom")

func testRollbackLeavesNothing(t *testing.T, b Backend) {
	s := b.Directory()
	existing := newCompany(t, s, "Existing", "")
	var made directory.Company
	err := s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error {
		made = directory.Company{Name: "Doomed", Timezone: "UTC", Active: true, CreatedAt: at, UpdatedAt: at}
		if err := tx.InsertCompany(ctx, &made); err != nil {
			return err
		}
		ev, err := events.New("company.created", made.ID, "company", made.ID, tenant.System(), at, map[string]any{})
		if err != nil {
			return err
		}
		if err := tx.AppendEvents(ctx, ev); err != nil {
			return err
		}
		upd := existing
		upd.Name = "Changed"
		if err := tx.UpdateCompany(ctx, &upd); err != nil {
			return err
		}
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	_, err = s.CompanyByID(ctx(t), made.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	got, err := s.CompanyByID(ctx(t), existing.ID)
	require.NoError(t, err)
	require.Equal(t, existing, got, "the update is rolled back")
	evs, err := b.OutboxEvents(ctx(t), events.OutboxQuery{})
	require.NoError(t, err)
	require.Empty(t, evs, "no outbox row survives a rollback")
}

func testTxReadsOwnWrites(t *testing.T, b Backend) {
	s := b.Directory()
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		c := directory.Company{Name: "Fresh", Timezone: "UTC", Active: true, CreatedAt: at, UpdatedAt: at}
		require.NoError(t, tx.InsertCompany(ctx, &c))
		got, err := tx.CompanyByID(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "Fresh", got.Name)
		ct := directory.Contact{CompanyID: c.ID, Name: "Ana", Active: true, CreatedAt: at, UpdatedAt: at}
		require.NoError(t, tx.InsertContact(ctx, &ct))
		page, err := tx.ListContacts(ctx, c.ID, directory.ContactFilter{}, storage.PageRequest{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		return nil
	})
}

// testTenantIsolation calls every company-scoped method with another
// company's IDs and expects exactly what a missing row gives.
func testTenantIsolation(t *testing.T, b Backend) {
	s := b.Directory()
	a := newCompany(t, s, "A", "")
	other := newCompany(t, s, "B", "")
	ca := newContact(t, s, a.ID, "Ana", "ana@a.com")
	ua := newUser(t, s, ca, "ana@a.com", tenant.RoleAdmin)

	_, err := s.ContactByID(ctx(t), other.ID, ca.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.UserByID(ctx(t), other.ID, ua.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)

	contacts, err := s.ListContacts(ctx(t), other.ID, directory.ContactFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, contacts.Items)
	users, err := s.ListUsers(ctx(t), other.ID, directory.UserFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, users.Items)

	stolenC := ca
	stolenC.CompanyID = other.ID
	stolenC.Name = "Stolen"
	err = s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error { return tx.UpdateContact(ctx, &stolenC) })
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.NotErrorIs(t, err, storage.ErrStale)

	stolenU := ua
	stolenU.CompanyID = other.ID
	stolenU.Role = tenant.RoleViewer
	err = s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error { return tx.UpdateUser(ctx, &stolenU) })
	require.ErrorIs(t, err, storage.ErrNotFound)

	// A stale version in another company is still "not found", never "stale".
	stolenC.Version = 99
	err = s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error { return tx.UpdateContact(ctx, &stolenC) })
	require.ErrorIs(t, err, storage.ErrNotFound)

	gotC, err := s.ContactByID(ctx(t), a.ID, ca.ID)
	require.NoError(t, err)
	require.Equal(t, ca, gotC, "nothing changed")
	gotU, err := s.UserByID(ctx(t), a.ID, ua.ID)
	require.NoError(t, err)
	require.Equal(t, ua, gotU, "nothing changed")

	// Through the service: an admin of B sees A's rows as missing.
	svc := newService(t, s)
	actorB := tenant.Actor{CompanyID: other.ID, UserID: 1000, Role: tenant.RoleAdmin}
	_, err = svc.GetContact(ctx(t), actorB, ca.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = svc.GetUser(ctx(t), actorB, ua.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = svc.GetCompany(ctx(t), actorB, a.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	name := "x"
	_, err = svc.UpdateContact(ctx(t), actorB, ca.ID, directory.ContactPatch{Name: &name})
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = svc.DeactivateUser(ctx(t), actorB, ua.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	companies, err := svc.ListCompanies(ctx(t), actorB, directory.CompanyFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, companies.Items, 1)
	require.Equal(t, other.ID, companies.Items[0].ID)
}

func testFilters(t *testing.T, b Backend) {
	s := b.Directory()
	a := newCompany(t, s, "Acme Informática", "11222333000181")
	newCompany(t, s, "Beta Serviços", "")
	inactive := newCompany(t, s, "Gama", "")
	inactive.Active = false
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.UpdateCompany(ctx, &inactive) })

	list := func(f directory.CompanyFilter) []string {
		p, err := s.ListCompanies(ctx(t), f, storage.PageRequest{})
		require.NoError(t, err)
		var names []string
		for _, c := range p.Items {
			names = append(names, c.Name)
		}
		return names
	}
	yes, no := true, false
	require.Equal(t, []string{"Acme Informática", "Beta Serviços", "Gama"}, list(directory.CompanyFilter{}))
	require.Equal(t, []string{"Acme Informática", "Beta Serviços"}, list(directory.CompanyFilter{Active: &yes}))
	require.Equal(t, []string{"Gama"}, list(directory.CompanyFilter{Active: &no}))
	require.Equal(t, []string{"Acme Informática"}, list(directory.CompanyFilter{Search: "acme"}))
	require.Equal(t, []string{"Acme Informática"}, list(directory.CompanyFilter{Search: "22233300"}))
	require.Equal(t, []string{"Gama"}, list(directory.CompanyFilter{IDs: []tenant.CompanyID{inactive.ID}}))

	ana := newContact(t, s, a.ID, "Ana Souza", "ana@acme.com")
	bruno := newContact(t, s, a.ID, "Bruno Lima", "bruno@acme.com")
	bruno.Active = false
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.UpdateContact(ctx, &bruno) })
	contacts := func(f directory.ContactFilter) []tenant.ContactID {
		p, err := s.ListContacts(ctx(t), a.ID, f, storage.PageRequest{})
		require.NoError(t, err)
		var ids []tenant.ContactID
		for _, c := range p.Items {
			ids = append(ids, c.ID)
		}
		return ids
	}
	require.Equal(t, []tenant.ContactID{ana.ID}, contacts(directory.ContactFilter{Search: "SOUZA"}))
	require.Equal(t, []tenant.ContactID{bruno.ID}, contacts(directory.ContactFilter{Email: "bruno@acme.com"}))
	require.Equal(t, []tenant.ContactID{ana.ID}, contacts(directory.ContactFilter{Active: &yes}))

	newUser(t, s, ana, "ana@acme.com", tenant.RoleAgent)
	viewer := newUser(t, s, bruno, "bruno@acme.com", tenant.RoleViewer)
	p, err := s.ListUsers(ctx(t), a.ID, directory.UserFilter{Role: tenant.RoleViewer}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []directory.User{viewer}, p.Items)
	p, err = s.ListUsers(ctx(t), a.ID, directory.UserFilter{Search: "BRUNO"}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []directory.User{viewer}, p.Items)
}

// testPagingUnderConcurrentInserts pages through contacts while another
// goroutine inserts more: every row present before paging started is seen
// exactly once, no row is seen twice, and IDs ascend.
func testPagingUnderConcurrentInserts(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	before := map[tenant.ContactID]bool{}
	for i := range 60 {
		before[newContact(t, s, co.ID, fmt.Sprintf("Before %d", i), "").ID] = true
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			c := directory.Contact{CompanyID: co.ID, Name: fmt.Sprintf("During %d", i), Active: true, CreatedAt: at, UpdatedAt: at}
			if err := s.InTx(context.WithoutCancel(ctx(t)), func(ctx context.Context, tx directory.Tx) error { return tx.InsertContact(ctx, &c) }); err != nil {
				t.Errorf("concurrent insert: %v", err)
				return
			}
		}
	})
	seen := map[tenant.ContactID]bool{}
	var last tenant.ContactID
	req := storage.PageRequest{Limit: 7}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 1000, "paging must terminate")
		p, err := s.ListContacts(ctx(t), co.ID, directory.ContactFilter{}, req)
		require.NoError(t, err)
		require.LessOrEqual(t, len(p.Items), 7)
		for _, c := range p.Items {
			require.False(t, seen[c.ID], "contact %d seen twice", c.ID)
			require.Greater(t, c.ID, last, "IDs ascend")
			seen[c.ID], last = true, c.ID
		}
		if p.NextCursor == "" || len(seen) >= len(before)+40 {
			break
		}
		req.Cursor = p.NextCursor
	}
	close(done)
	wg.Wait()
	for id := range before {
		require.True(t, seen[id], "contact %d present before paging was skipped", id)
	}

	_, err := s.ListContacts(ctx(t), co.ID, directory.ContactFilter{}, storage.PageRequest{Cursor: "not-a-cursor"})
	require.ErrorIs(t, err, storage.ErrBadCursor)
}

// testConcurrentWriters runs many units of work at once: none may fail with
// a backend's busy or lock error.
func testConcurrentWriters(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	svc := newService(t, s)
	actor := tenant.Actor{CompanyID: co.ID, UserID: 9001, Role: tenant.RoleAdmin}
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				_, err := svc.CreateContact(ctx(t), actor, directory.ContactInput{
					Name: fmt.Sprintf("C %d-%d", w, i), Email: fmt.Sprintf("c%d-%d@acme.com", w, i)})
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	p, err := s.ListContacts(ctx(t), co.ID, directory.ContactFilter{}, storage.PageRequest{Limit: 200})
	require.NoError(t, err)
	require.Len(t, p.Items, workers*each)
	evs, err := b.OutboxEvents(ctx(t), events.OutboxQuery{CompanyID: co.ID, Type: "contact.created"})
	require.NoError(t, err)
	require.Len(t, evs, workers*each, "one event per committed contact")
}

func testOutbox(t *testing.T, b Backend) {
	s := b.Directory()
	var want []events.Event
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		for i := range 5 {
			company := tenant.CompanyID(1 + i%2)
			ev, err := events.New("thing.happened", company, "thing", i, tenant.Actor{UserID: 9}, at.Add(time.Duration(i)*time.Second),
				map[string]any{"n": i, "text": "ação"})
			require.NoError(t, err)
			want = append(want, ev)
		}
		return tx.AppendEvents(ctx, want...)
	})
	got, err := b.OutboxEvents(ctx(t), events.OutboxQuery{})
	require.NoError(t, err)
	require.Len(t, got, 5)
	for i := range want {
		require.Equal(t, want[i].ID, got[i].ID, "append order is kept")
		require.Equal(t, want[i].Type, got[i].Type)
		require.Equal(t, want[i].CompanyID, got[i].CompanyID)
		require.Equal(t, want[i].AggregateType, got[i].AggregateType)
		require.Equal(t, want[i].AggregateID, got[i].AggregateID)
		require.True(t, want[i].OccurredAt.Equal(got[i].OccurredAt))
		require.Equal(t, want[i].ActorUserID, got[i].ActorUserID)
		require.JSONEq(t, string(want[i].Data), string(got[i].Data))
	}
	only, err := b.OutboxEvents(ctx(t), events.OutboxQuery{CompanyID: 2})
	require.NoError(t, err)
	require.Len(t, only, 2)
	limited, err := b.OutboxEvents(ctx(t), events.OutboxQuery{Limit: 3})
	require.NoError(t, err)
	require.Len(t, limited, 3)
}

func newService(t *testing.T, s directory.Store) *directory.Service {
	t.Helper()
	svc, err := directory.NewService(s, directory.WithBcryptCost(bcrypt.MinCost), directory.WithClock(func() time.Time { return at }))
	require.NoError(t, err)
	return svc
}

func testServiceEvents(t *testing.T, b Backend) {
	svc := newService(t, b.Directory())
	platform := tenant.System()
	co, err := svc.CreateCompany(ctx(t), platform, directory.CompanyInput{Name: "Acme", CNPJ: "12.ABC.345/01DE-35"})
	require.NoError(t, err)
	require.Equal(t, "12ABC34501DE35", co.CNPJ)
	admin := tenant.Actor{CompanyID: co.ID, UserID: 9001, Role: tenant.RoleAdmin}
	ct, err := svc.CreateContact(ctx(t), admin, directory.ContactInput{Name: "Ana", Email: "Ana@Acme.com", Phone: "(11) 98765-4321"})
	require.NoError(t, err)
	u, err := svc.CreateUser(ctx(t), admin, directory.UserInput{Email: "ana@acme.com", Password: "correct horse", Role: tenant.RoleAgent, ContactID: ct.ID})
	require.NoError(t, err)
	_, err = svc.DeactivateUser(ctx(t), admin, u.ID)
	require.NoError(t, err)

	evs, err := b.OutboxEvents(ctx(t), events.OutboxQuery{})
	require.NoError(t, err)
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	require.Equal(t, []string{"company.created", "contact.created", "user.created", "user.deactivated"}, types)
	require.Equal(t, fmt.Sprint(u.ID), evs[2].AggregateID)
	require.NotContains(t, string(evs[2].Data), "hash", "events never carry password hashes")
}

func testServiceBadInput(t *testing.T, b Backend) {
	svc := newService(t, b.Directory())
	co, err := svc.CreateCompany(ctx(t), tenant.System(), directory.CompanyInput{Name: "Acme", CNPJ: "11222333000181"})
	require.NoError(t, err)
	other, err := svc.CreateCompany(ctx(t), tenant.System(), directory.CompanyInput{Name: "Other"})
	require.NoError(t, err)
	admin := tenant.Actor{CompanyID: co.ID, UserID: 9001, Role: tenant.RoleAdmin}
	otherAdmin := tenant.Actor{CompanyID: other.ID, UserID: 9002, Role: tenant.RoleAdmin}
	foreign, err := svc.CreateContact(ctx(t), otherAdmin, directory.ContactInput{Name: "Foreign"})
	require.NoError(t, err)
	ct, err := svc.CreateContact(ctx(t), admin, directory.ContactInput{Name: "Ana", Email: "ana@acme.com"})
	require.NoError(t, err)
	_, err = svc.CreateUser(ctx(t), admin, directory.UserInput{Email: "ana@acme.com", Password: "password1", Role: tenant.RoleAgent, ContactID: ct.ID})
	require.NoError(t, err)
	before, err := b.OutboxEvents(ctx(t), events.OutboxQuery{})
	require.NoError(t, err)

	cases := []struct {
		name  string
		field string
		call  func() error
	}{
		{"invalid CNPJ", "cnpj", func() error {
			_, err := svc.CreateCompany(ctx(t), tenant.System(), directory.CompanyInput{Name: "X", CNPJ: "11222333000182"})
			return err
		}},
		{"duplicate CNPJ", "cnpj", func() error {
			_, err := svc.CreateCompany(ctx(t), tenant.System(), directory.CompanyInput{Name: "X", CNPJ: "11.222.333/0001-81"})
			return err
		}},
		{"empty company name", "name", func() error {
			_, err := svc.CreateCompany(ctx(t), tenant.System(), directory.CompanyInput{Name: "  "})
			return err
		}},
		{"bad timezone", "timezone", func() error {
			_, err := svc.CreateCompany(ctx(t), tenant.System(), directory.CompanyInput{Name: "X", Timezone: "Mars/Base"})
			return err
		}},
		{"malformed email", "email", func() error {
			_, err := svc.CreateContact(ctx(t), admin, directory.ContactInput{Name: "X", Email: "not-an-email"})
			return err
		}},
		{"malformed phone", "phone", func() error {
			_, err := svc.CreateContact(ctx(t), admin, directory.ContactInput{Name: "X", Phone: "12-34"})
			return err
		}},
		{"over-long name", "name", func() error {
			_, err := svc.CreateContact(ctx(t), admin, directory.ContactInput{Name: string(make([]byte, 200))})
			return err
		}},
		{"duplicate user email", "email", func() error {
			_, err := svc.CreateUser(ctx(t), admin, directory.UserInput{Email: "ANA@acme.com", Password: "password1", Role: tenant.RoleViewer, ContactID: ct.ID})
			return err
		}},
		{"unknown role", "role", func() error {
			_, err := svc.CreateUser(ctx(t), admin, directory.UserInput{Email: "x@acme.com", Password: "password1", Role: "root", ContactID: ct.ID})
			return err
		}},
		{"another company's contact", "contact_id", func() error {
			_, err := svc.CreateUser(ctx(t), admin, directory.UserInput{Email: "x@acme.com", Password: "password1", Role: tenant.RoleAgent, ContactID: foreign.ID})
			return err
		}},
		{"short password", "password", func() error {
			_, err := svc.CreateUser(ctx(t), admin, directory.UserInput{Email: "x@acme.com", Password: "short", Role: tenant.RoleAgent, ContactID: ct.ID})
			return err
		}},
	}
	for _, tc := range cases {
		err := tc.call()
		require.Error(t, err, tc.name)
		if fe, ok := errors.AsType[*directory.FieldConflictError](err); ok {
			require.Equal(t, tc.field, fe.Field, tc.name)
			continue
		}
		ve, ok := errors.AsType[*validation.Error](err)
		require.True(t, ok, "%s: want a validation error, got %v", tc.name, err)
		require.True(t, ve.Has(tc.field), "%s: %v", tc.name, err)
	}
	after, err := b.OutboxEvents(ctx(t), events.OutboxQuery{})
	require.NoError(t, err)
	require.Equal(t, len(before), len(after), "bad input writes no event")
	companies, err := svc.ListCompanies(ctx(t), tenant.System(), directory.CompanyFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, companies.Items, 2, "bad input writes no company")
	contacts, err := svc.ListContacts(ctx(t), admin, directory.ContactFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, contacts.Items, 1, "bad input writes no contact")
}

func testAuthenticate(t *testing.T, b Backend) {
	svc := newService(t, b.Directory())
	co, err := svc.CreateCompany(ctx(t), tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	admin := tenant.Actor{CompanyID: co.ID, UserID: 9001, Role: tenant.RoleAdmin}
	ct, err := svc.CreateContact(ctx(t), admin, directory.ContactInput{Name: "Ana"})
	require.NoError(t, err)
	u, err := svc.CreateUser(ctx(t), admin, directory.UserInput{Email: "ana@acme.com", Password: "password1", Role: tenant.RoleAgent, ContactID: ct.ID})
	require.NoError(t, err)

	got, err := svc.Authenticate(ctx(t), " ANA@acme.com", "password1")
	require.NoError(t, err)
	require.Equal(t, u.ID, got.ID)
	require.Equal(t, tenant.Actor{CompanyID: co.ID, UserID: u.ID, ContactID: ct.ID, Role: tenant.RoleAgent}, got.Actor())

	_, err = svc.Authenticate(ctx(t), "ana@acme.com", "wrong-password")
	require.ErrorIs(t, err, directory.ErrInvalidCredentials)
	_, err = svc.Authenticate(ctx(t), "nobody@acme.com", "password1")
	require.ErrorIs(t, err, directory.ErrInvalidCredentials)

	_, err = svc.DeactivateCompany(ctx(t), tenant.System(), co.ID)
	require.NoError(t, err)
	_, err = svc.Authenticate(ctx(t), "ana@acme.com", "password1")
	require.ErrorIs(t, err, directory.ErrAccountDisabled)
	_, err = svc.Authenticate(ctx(t), "ana@acme.com", "wrong-password")
	require.ErrorIs(t, err, directory.ErrInvalidCredentials, "a disabled account reveals nothing to a wrong password")
}
