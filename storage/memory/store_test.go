package memory_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/memory"
)

var errBoom = errors.New("boom")

func at() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func event(t *testing.T, company tenant.CompanyID, typ string) events.Event {
	t.Helper()
	ev, err := events.New(typ, company, "test", 1, tenant.System(), at(), map[string]any{"k": "v"})
	require.NoError(t, err)
	return ev
}

// seed creates a company with one contact and one user, and returns them.
func seed(t *testing.T, st directory.Store, cnpj string) (directory.Company, directory.Contact, directory.User) {
	t.Helper()
	var (
		co directory.Company
		ct directory.Contact
		u  directory.User
	)
	err := st.InTx(t.Context(), func(ctx context.Context, tx directory.Tx) error {
		co = directory.Company{Name: "Acme " + cnpj, CNPJ: cnpj, Timezone: directory.DefaultTimezone, Active: true, CreatedAt: at(), UpdatedAt: at()}
		if err := tx.InsertCompany(ctx, &co); err != nil {
			return err
		}
		ct = directory.Contact{CompanyID: co.ID, Name: "Ana", Email: "ana@" + cnpj + ".example", Active: true}
		if err := tx.InsertContact(ctx, &ct); err != nil {
			return err
		}
		u = directory.User{CompanyID: co.ID, ContactID: ct.ID, Email: ct.Email, PasswordHash: []byte("hash"), Role: tenant.RoleAdmin, Active: true}
		if err := tx.InsertUser(ctx, &u); err != nil {
			return err
		}
		return tx.AppendEvents(ctx, event(t, co.ID, "company.created"))
	})
	require.NoError(t, err)
	return co, ct, u
}

func TestRollbackUndoesEverything(t *testing.T) {
	t.Parallel()
	s := memory.New()
	st := s.Directory()
	ctx := t.Context()
	co, ct, u := seed(t, st, "11111111000111")

	err := st.InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		c2 := directory.Company{Name: "Other", CNPJ: "22222222000122", Active: true}
		require.NoError(t, tx.InsertCompany(ctx, &c2))
		ct2 := directory.Contact{CompanyID: co.ID, Name: "Bia", Email: "bia@example.com"}
		require.NoError(t, tx.InsertContact(ctx, &ct2))
		u2 := directory.User{CompanyID: co.ID, Email: "bia@example.com", Role: tenant.RoleAgent}
		require.NoError(t, tx.InsertUser(ctx, &u2))

		co.Name, co.CNPJ = "Renamed", "33333333000133"
		require.NoError(t, tx.UpdateCompany(ctx, &co))
		ct.Email = "changed@example.com"
		require.NoError(t, tx.UpdateContact(ctx, &ct))
		u.Email, u.PasswordHash = "changed@example.com", []byte("new")
		require.NoError(t, tx.UpdateUser(ctx, &u))
		require.NoError(t, tx.AppendEvents(ctx, event(t, co.ID, "company.updated"), event(t, c2.ID, "company.created")))

		// Reads inside the transaction see its own writes.
		got, err := tx.CompanyByID(ctx, co.ID)
		require.NoError(t, err)
		require.Equal(t, "Renamed", got.Name)
		require.EqualValues(t, 2, got.Version)
		_, err = tx.UserByEmail(ctx, "bia@example.com")
		require.NoError(t, err)
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)

	gotCo, err := st.CompanyByID(ctx, co.ID)
	require.NoError(t, err)
	require.Equal(t, "Acme 11111111000111", gotCo.Name)
	require.EqualValues(t, 1, gotCo.Version)
	companies, err := st.ListCompanies(ctx, directory.CompanyFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, companies.Items, 1)
	contacts, err := st.ListContacts(ctx, co.ID, directory.ContactFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, contacts.Items, 1)
	require.Equal(t, "ana@11111111000111.example", contacts.Items[0].Email)
	_, err = st.UserByEmail(ctx, "bia@example.com")
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = st.UserByEmail(ctx, "changed@example.com")
	require.ErrorIs(t, err, storage.ErrNotFound)
	gotU, err := st.UserByEmail(ctx, "ana@11111111000111.example")
	require.NoError(t, err)
	require.Equal(t, []byte("hash"), gotU.PasswordHash)
	require.EqualValues(t, 1, gotU.Version)
	evs, err := s.OutboxEvents(ctx, events.OutboxQuery{})
	require.NoError(t, err)
	require.Len(t, evs, 1)

	// The unique indexes were restored too: the old values are still taken,
	// the rolled-back ones are free again.
	err = st.InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		dup := directory.Company{Name: "Dup", CNPJ: "11111111000111"}
		require.ErrorIs(t, tx.InsertCompany(ctx, &dup), storage.ErrConflict)
		again := directory.Company{Name: "Again", CNPJ: "33333333000133"}
		require.NoError(t, tx.InsertCompany(ctx, &again))
		require.EqualValues(t, 3, again.ID, "the rolled-back insert burnt ID 2")
		u3 := directory.User{Email: "changed@example.com", Role: tenant.RolePlatformAdmin}
		return tx.InsertUser(ctx, &u3)
	})
	require.NoError(t, err)
}

func TestPanicRollsBackAndRepanics(t *testing.T) {
	t.Parallel()
	s := memory.New()
	st := s.Directory()
	require.PanicsWithValue(t, "kaboom", func() {
		_ = st.InTx(t.Context(), func(ctx context.Context, tx directory.Tx) error {
			c := directory.Company{Name: "Ghost"}
			require.NoError(t, tx.InsertCompany(ctx, &c))
			require.NoError(t, tx.AppendEvents(ctx, event(t, c.ID, "company.created")))
			panic("kaboom")
		})
	})
	page, err := st.ListCompanies(t.Context(), directory.CompanyFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, page.Items)
	evs, err := s.OutboxEvents(t.Context(), events.OutboxQuery{})
	require.NoError(t, err)
	require.Empty(t, evs)
	// The lock was released.
	seed(t, st, "11111111000111")
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	st := memory.New().Directory()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	called := false
	err := st.InTx(ctx, func(context.Context, directory.Tx) error { called = true; return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, called)
}

func TestTxUnusableAfterInTx(t *testing.T) {
	t.Parallel()
	st := memory.New().Directory()
	var leaked directory.Tx
	require.NoError(t, st.InTx(t.Context(), func(_ context.Context, tx directory.Tx) error { leaked = tx; return nil }))
	c := directory.Company{Name: "Late"}
	require.Error(t, leaked.InsertCompany(t.Context(), &c))
	_, err := leaked.CompanyByID(t.Context(), 1)
	require.Error(t, err)
	require.NotErrorIs(t, err, storage.ErrNotFound)
}

func TestConcurrentTransactions(t *testing.T) {
	t.Parallel()
	s := memory.New()
	st := s.Directory()
	ctx := t.Context()
	co, _, _ := seed(t, st, "11111111000111")

	const workers, perWorker = 16, 20
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				err := st.InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
					c, err := tx.CompanyByID(ctx, co.ID)
					if err != nil {
						return err
					}
					c.Name = fmt.Sprintf("w%d-%d", w, i)
					if err := tx.UpdateCompany(ctx, &c); err != nil {
						return err
					}
					ct := directory.Contact{CompanyID: co.ID, Name: c.Name, Email: c.Name + "@example.com"}
					if err := tx.InsertContact(ctx, &ct); err != nil {
						return err
					}
					if err := tx.AppendEvents(ctx, event(t, co.ID, "contact.created")); err != nil {
						return err
					}
					if i%4 == 3 {
						return errBoom // every fourth one rolls back
					}
					return nil
				})
				if i%4 == 3 {
					require.ErrorIs(t, err, errBoom)
				} else {
					require.NoError(t, err)
				}
				// Concurrent root reads.
				_, err = st.ListContacts(ctx, co.ID, directory.ContactFilter{Search: "w"}, storage.PageRequest{Limit: 5})
				require.NoError(t, err)
			}
		})
	}
	wg.Wait()

	committed := workers * perWorker * 3 / 4
	c, err := st.CompanyByID(ctx, co.ID)
	require.NoError(t, err)
	require.EqualValues(t, 1+committed, c.Version, "every committed update bumped the version exactly once")
	var all []directory.Contact
	var cur storage.Cursor
	for {
		page, err := st.ListContacts(ctx, co.ID, directory.ContactFilter{}, storage.PageRequest{Limit: 7, Cursor: cur})
		require.NoError(t, err)
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			break
		}
		cur = page.NextCursor
	}
	require.Len(t, all, 1+committed)
	for i := 1; i < len(all); i++ {
		require.Less(t, all[i-1].ID, all[i].ID)
	}
	evs, err := s.OutboxEvents(ctx, events.OutboxQuery{Type: "contact.created"})
	require.NoError(t, err)
	require.Len(t, evs, committed)
}

func TestUniqueness(t *testing.T) {
	t.Parallel()
	st := memory.New().Directory()
	ctx := t.Context()
	co1, ct1, u1 := seed(t, st, "11111111000111")
	co2, ct2, u2 := seed(t, st, "22222222000122")

	tests := []struct {
		name string
		fn   func(ctx context.Context, tx directory.Tx) error
		err  error
	}{
		{"company CNPJ on insert", func(ctx context.Context, tx directory.Tx) error {
			return tx.InsertCompany(ctx, &directory.Company{Name: "X", CNPJ: co1.CNPJ})
		}, storage.ErrConflict},
		{"empty CNPJ twice", func(ctx context.Context, tx directory.Tx) error {
			if err := tx.InsertCompany(ctx, &directory.Company{Name: "X"}); err != nil {
				return err
			}
			return tx.InsertCompany(ctx, &directory.Company{Name: "Y"})
		}, nil},
		{"company CNPJ on update", func(ctx context.Context, tx directory.Tx) error {
			c := co2
			c.CNPJ = co1.CNPJ
			return tx.UpdateCompany(ctx, &c)
		}, storage.ErrConflict},
		{"company keeps its own CNPJ", func(ctx context.Context, tx directory.Tx) error {
			c := co1
			c.Name = "Renamed"
			return tx.UpdateCompany(ctx, &c)
		}, nil},
		{"contact email in the same company", func(ctx context.Context, tx directory.Tx) error {
			return tx.InsertContact(ctx, &directory.Contact{CompanyID: co1.ID, Name: "X", Email: ct1.Email})
		}, storage.ErrConflict},
		{"contact email in another company", func(ctx context.Context, tx directory.Tx) error {
			return tx.InsertContact(ctx, &directory.Contact{CompanyID: co2.ID, Name: "X", Email: ct1.Email})
		}, nil},
		{"empty contact emails", func(ctx context.Context, tx directory.Tx) error {
			if err := tx.InsertContact(ctx, &directory.Contact{CompanyID: co1.ID, Name: "X"}); err != nil {
				return err
			}
			return tx.InsertContact(ctx, &directory.Contact{CompanyID: co1.ID, Name: "Y"})
		}, nil},
		{"contact email on update", func(ctx context.Context, tx directory.Tx) error {
			c := directory.Contact{CompanyID: co1.ID, Name: "X", Email: "x@example.com"}
			if err := tx.InsertContact(ctx, &c); err != nil {
				return err
			}
			c.Email = ct1.Email
			return tx.UpdateContact(ctx, &c)
		}, storage.ErrConflict},
		{"user email across companies", func(ctx context.Context, tx directory.Tx) error {
			return tx.InsertUser(ctx, &directory.User{CompanyID: co2.ID, Email: u1.Email, Role: tenant.RoleAgent})
		}, storage.ErrConflict},
		{"user email against a platform admin", func(ctx context.Context, tx directory.Tx) error {
			return tx.InsertUser(ctx, &directory.User{Email: u2.Email, Role: tenant.RolePlatformAdmin})
		}, storage.ErrConflict},
		{"user email on update", func(ctx context.Context, tx directory.Tx) error {
			u := u2
			u.Email = u1.Email
			return tx.UpdateUser(ctx, &u)
		}, storage.ErrConflict},
		{"user contact on insert", func(ctx context.Context, tx directory.Tx) error {
			return tx.InsertUser(ctx, &directory.User{CompanyID: co1.ID, ContactID: ct1.ID, Email: "y@example.com", Role: tenant.RoleAgent})
		}, storage.ErrConflict},
		{"user contact on update", func(ctx context.Context, tx directory.Tx) error {
			u := u2
			u.ContactID = ct1.ID
			return tx.UpdateUser(ctx, &u)
		}, storage.ErrConflict},
		{"users without contact", func(ctx context.Context, tx directory.Tx) error {
			if err := tx.InsertUser(ctx, &directory.User{Email: "p1@example.com", Role: tenant.RolePlatformAdmin}); err != nil {
				return err
			}
			return tx.InsertUser(ctx, &directory.User{Email: "p2@example.com", Role: tenant.RolePlatformAdmin})
		}, nil},
		{"user keeps its own email and contact", func(ctx context.Context, tx directory.Tx) error {
			u := u2
			u.Role = tenant.RoleViewer
			return tx.UpdateUser(ctx, &u)
		}, nil},
		{"contact released by update is free", func(ctx context.Context, tx directory.Tx) error {
			u := u2
			u.ContactID = 0
			if err := tx.UpdateUser(ctx, &u); err != nil {
				return err
			}
			return tx.InsertUser(ctx, &directory.User{CompanyID: co2.ID, ContactID: ct2.ID, Email: "z@example.com", Role: tenant.RoleAgent})
		}, nil},
		{"duplicate event ID", func(ctx context.Context, tx directory.Tx) error {
			ev := event(t, co1.ID, "x.y")
			return tx.AppendEvents(ctx, ev, ev)
		}, storage.ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Each case rolls back so the cases stay independent.
			err := st.InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
				if err := tc.fn(ctx, tx); err != nil {
					return err
				}
				return errBoom
			})
			if tc.err == nil {
				require.ErrorIs(t, err, errBoom)
			} else {
				require.ErrorIs(t, err, tc.err)
			}
		})
	}
}

func TestUpdateVersionsAndCompanies(t *testing.T) {
	t.Parallel()
	st := memory.New().Directory()
	ctx := t.Context()
	co1, ct1, u1 := seed(t, st, "11111111000111")
	co2, _, _ := seed(t, st, "22222222000122")

	err := st.InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		stale := co1
		stale.Version = 7
		require.ErrorIs(t, tx.UpdateCompany(ctx, &stale), storage.ErrStale)
		missing := co1
		missing.ID = 999
		require.ErrorIs(t, tx.UpdateCompany(ctx, &missing), storage.ErrNotFound)

		foreign := ct1
		foreign.CompanyID = co2.ID
		require.ErrorIs(t, tx.UpdateContact(ctx, &foreign), storage.ErrNotFound)
		staleCt := ct1
		staleCt.Version = 0
		require.ErrorIs(t, tx.UpdateContact(ctx, &staleCt), storage.ErrStale)

		foreignU := u1
		foreignU.CompanyID = co2.ID
		require.ErrorIs(t, tx.UpdateUser(ctx, &foreignU), storage.ErrNotFound)
		adminU := u1
		adminU.CompanyID = 0
		require.ErrorIs(t, tx.UpdateUser(ctx, &adminU), storage.ErrNotFound)

		ok := u1
		ok.Role = tenant.RoleViewer
		require.NoError(t, tx.UpdateUser(ctx, &ok))
		require.EqualValues(t, 2, ok.Version)
		require.ErrorIs(t, tx.UpdateUser(ctx, &u1), storage.ErrStale)
		return nil
	})
	require.NoError(t, err)
}

func TestCrossCompanyReads(t *testing.T) {
	t.Parallel()
	st := memory.New().Directory()
	ctx := t.Context()
	co1, ct1, u1 := seed(t, st, "11111111000111")
	co2, _, _ := seed(t, st, "22222222000122")
	var admin directory.User
	require.NoError(t, st.InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		admin = directory.User{Email: "root@example.com", Role: tenant.RolePlatformAdmin, Active: true}
		return tx.InsertUser(ctx, &admin)
	}))

	_, err := st.ContactByID(ctx, co2.ID, ct1.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = st.UserByID(ctx, co2.ID, u1.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = st.UserByID(ctx, 0, u1.ID)
	require.ErrorIs(t, err, storage.ErrNotFound, "company zero reads only platform admins")
	_, err = st.UserByID(ctx, co1.ID, admin.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	got, err := st.UserByID(ctx, 0, admin.ID)
	require.NoError(t, err)
	require.Equal(t, admin.Email, got.Email)
	got, err = st.UserByEmail(ctx, u1.Email)
	require.NoError(t, err)
	require.Equal(t, u1.ID, got.ID)

	admins, err := st.ListUsers(ctx, 0, directory.UserFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, admins.Items, 1)
	require.Equal(t, admin.ID, admins.Items[0].ID)
	users, err := st.ListUsers(ctx, co1.ID, directory.UserFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, users.Items, 1)
	require.Equal(t, u1.ID, users.Items[0].ID)
	contacts, err := st.ListContacts(ctx, co2.ID, directory.ContactFilter{Email: ct1.Email}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, contacts.Items)
}

func TestListFiltersAndCursor(t *testing.T) {
	t.Parallel()
	st := memory.New().Directory()
	ctx := t.Context()
	co, _, _ := seed(t, st, "11111111000111")
	seed(t, st, "22222222000122")
	require.NoError(t, st.InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		off := directory.Company{Name: "Dormant Ltda", LegalName: "Sleepy SA"}
		if err := tx.InsertCompany(ctx, &off); err != nil {
			return err
		}
		for _, c := range []directory.Contact{
			{CompanyID: co.ID, Name: "Bruno", Email: "bruno@example.com", Phone: "+5511900000001", Active: true},
			{CompanyID: co.ID, Name: "Carla", Phone: "+5511900000002"},
		} {
			if err := tx.InsertContact(ctx, &c); err != nil {
				return err
			}
		}
		return tx.InsertUser(ctx, &directory.User{CompanyID: co.ID, Email: "agent@example.com", Role: tenant.RoleAgent})
	}))
	yes, no := true, false

	companies, err := st.ListCompanies(ctx, directory.CompanyFilter{Active: &no}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, companies.Items, 1)
	companies, err = st.ListCompanies(ctx, directory.CompanyFilter{Search: "sLEEPY"}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, companies.Items, 1)
	companies, err = st.ListCompanies(ctx, directory.CompanyFilter{Search: "0001", Active: &yes}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, companies.Items, 2)
	companies, err = st.ListCompanies(ctx, directory.CompanyFilter{IDs: []tenant.CompanyID{co.ID}}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, companies.Items, 1)

	contacts, err := st.ListContacts(ctx, co.ID, directory.ContactFilter{Search: "CARLA"}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, contacts.Items, 1)
	contacts, err = st.ListContacts(ctx, co.ID, directory.ContactFilter{Search: "5511900000001"}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, contacts.Items, 1)
	contacts, err = st.ListContacts(ctx, co.ID, directory.ContactFilter{Active: &yes}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, contacts.Items, 2)
	contacts, err = st.ListContacts(ctx, co.ID, directory.ContactFilter{Email: "bruno@example.com"}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, contacts.Items, 1)

	users, err := st.ListUsers(ctx, co.ID, directory.UserFilter{Role: tenant.RoleAgent}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, users.Items, 1)
	users, err = st.ListUsers(ctx, co.ID, directory.UserFilter{Search: "ANA@"}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, users.Items, 1)
	users, err = st.ListUsers(ctx, co.ID, directory.UserFilter{Active: &no}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, users.Items, 1)

	page, err := st.ListContacts(ctx, co.ID, directory.ContactFilter{}, storage.PageRequest{Limit: 2})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	require.NotEmpty(t, page.NextCursor)
	page, err = st.ListContacts(ctx, co.ID, directory.ContactFilter{}, storage.PageRequest{Limit: 2, Cursor: page.NextCursor})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	require.Empty(t, page.NextCursor)

	_, err = st.ListContacts(ctx, co.ID, directory.ContactFilter{}, storage.PageRequest{Cursor: "!!"})
	require.ErrorIs(t, err, storage.ErrBadCursor)
}

func TestStoresCopies(t *testing.T) {
	t.Parallel()
	st := memory.New().Directory()
	ctx := t.Context()
	hash := []byte("secret-hash")
	u := directory.User{Email: "root@example.com", PasswordHash: hash, Role: tenant.RolePlatformAdmin}
	require.NoError(t, st.InTx(ctx, func(ctx context.Context, tx directory.Tx) error { return tx.InsertUser(ctx, &u) }))
	hash[0] = 'X'
	got, err := st.UserByID(ctx, 0, u.ID)
	require.NoError(t, err)
	require.Equal(t, []byte("secret-hash"), got.PasswordHash)
	got.PasswordHash[0] = 'Y'
	again, err := st.UserByEmail(ctx, u.Email)
	require.NoError(t, err)
	require.Equal(t, []byte("secret-hash"), again.PasswordHash)
}

func TestOutboxQuery(t *testing.T) {
	t.Parallel()
	s := memory.New()
	ctx := t.Context()
	require.NoError(t, s.Directory().InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		return tx.AppendEvents(ctx, event(t, 1, "a.x"), event(t, 2, "a.x"), event(t, 1, "b.y"), event(t, 1, "a.x"))
	}))
	all, err := s.OutboxEvents(ctx, events.OutboxQuery{})
	require.NoError(t, err)
	require.Len(t, all, 4)
	got, err := s.OutboxEvents(ctx, events.OutboxQuery{CompanyID: 1, Type: "a.x"})
	require.NoError(t, err)
	require.Equal(t, []string{all[0].ID, all[3].ID}, []string{got[0].ID, got[1].ID})
	got, err = s.OutboxEvents(ctx, events.OutboxQuery{CompanyID: 1, Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []string{all[0].ID, all[2].ID}, []string{got[0].ID, got[1].ID})
	got[0].Data[0] = 'X'
	again, err := s.OutboxEvents(ctx, events.OutboxQuery{Limit: 1})
	require.NoError(t, err)
	require.JSONEq(t, `{"k":"v"}`, string(again[0].Data))
	require.NoError(t, s.Close())
}

func TestGoexitRollsBack(t *testing.T) {
	t.Parallel()
	st := memory.New().Directory()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = st.InTx(t.Context(), func(ctx context.Context, tx directory.Tx) error {
			c := directory.Company{Name: "Ghost"}
			if err := tx.InsertCompany(ctx, &c); err != nil {
				return err
			}
			runtime.Goexit() // what t.FailNow does inside a callback
			return nil
		})
	}()
	<-done
	page, err := st.ListCompanies(t.Context(), directory.CompanyFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, page.Items)
}
