package helpdesk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// changeBackends are the stores the audit trail is tested on.
func changeBackends(t *testing.T) map[string]func(t *testing.T) helpdesk.Store {
	bs := map[string]func(t *testing.T) helpdesk.Store{
		"memory": func(*testing.T) helpdesk.Store { return memory.New() },
		"sqlite": func(t *testing.T) helpdesk.Store { return bunstoretest.SQLite(t) },
	}
	if os.Getenv(bunstoretest.DSNVariable) != "" || os.Getenv("CI") != "" {
		bs["postgres"] = func(t *testing.T) helpdesk.Store { return bunstoretest.Postgres(t) }
	}
	return bs
}

// faultyStore makes the units of work of the directory fail to record
// their changes while fail is set.
type faultyStore struct {
	helpdesk.Store
	fail *atomic.Bool
}

func (s faultyStore) Directory() directory.Store { return faultyDirectory{s.Store.Directory(), s.fail} }

type faultyDirectory struct {
	directory.Store
	fail *atomic.Bool
}

func (d faultyDirectory) InTx(ctx context.Context, fn func(ctx context.Context, tx directory.Tx) error) error {
	return d.Store.InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		return fn(ctx, faultyTx{tx, d.fail})
	})
}

type faultyTx struct {
	directory.Tx
	fail *atomic.Bool
}

var errRecord = errors.New("recording refused by the test")

func (t faultyTx) RecordChanges(ctx context.Context, cs []*audit.Change) error {
	if t.fail.Load() {
		return errRecord
	}
	return t.Tx.(audit.ChangeWriter).RecordChanges(ctx, cs)
}

// trail is a desk with a company, its admin and a clock.
type trail struct {
	desk  *helpdesk.Desk
	store helpdesk.Store
	fail  *atomic.Bool
	co    directory.Company
	admin tenant.Actor
	// ctx carries the admin's origin, as the HTTP layer would set it.
	ctx context.Context
}

func newTrail(t *testing.T, store helpdesk.Store) *trail {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	fail := new(atomic.Bool)
	desk, err := helpdesk.New(faultyStore{store, fail}, helpdesk.WithBcryptCost(bcrypt.MinCost),
		helpdesk.WithClock(func() time.Time { return now }),
		helpdesk.WithWebhookConfig(webhooks.Config{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, desk.Close()) })
	co, err := desk.Directory.CreateCompany(t.Context(), tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	sys, err := tenant.System().InCompany(co.ID)
	require.NoError(t, err)
	ct, err := desk.Directory.CreateContact(t.Context(), sys, directory.ContactInput{Name: "Ana", Email: "ana@acme.test"})
	require.NoError(t, err)
	u, err := desk.Directory.CreateUser(t.Context(), sys, directory.UserInput{Email: "ana@acme.test", Password: "password-ana",
		Role: tenant.RoleAdmin, ContactID: ct.ID})
	require.NoError(t, err)
	admin := u.Actor()
	ctx := audit.WithOrigin(t.Context(), audit.Origin{Actor: helpdesk.ActorOf(admin, 0), IP: "203.0.113.5", RequestID: "req-42"})
	return &trail{desk: desk, store: store, fail: fail, co: co, admin: admin, ctx: ctx}
}

// changes lists the company's changes, newest first.
func (tr *trail) changes(t *testing.T) []audit.Change {
	t.Helper()
	out, err := storage.Collect(0, func(c storage.Cursor) (storage.Page[audit.Change], error) {
		return tr.desk.Changes(t.Context(), tr.admin, helpdesk.ChangeFilter{}, storage.PageRequest{Cursor: c, Limit: 2})
	})
	require.NoError(t, err)
	return out
}

// stored returns everything the store holds of the audit trail, as text:
// the raw rows on bunstore, every change on memory.
func (tr *trail) stored(t *testing.T) string {
	t.Helper()
	if _, ok := tr.store.(*bunstore.Store); ok {
		var rows []map[string]any
		require.NoError(t, tr.desk.InTx(t.Context(), func(ctx context.Context, tx helpdesk.Tx) error {
			db, err := bunstore.TxDB(tx)
			if err != nil {
				return err
			}
			return db.NewSelect().Table("audit_changes").Scan(ctx, &rows)
		}))
		b, err := json.Marshal(rows)
		require.NoError(t, err)
		return string(b)
	}
	all, err := tr.store.Changes().ListChanges(t.Context(), audit.ChangeQuery{AllCompanies: true}, storage.PageRequest{Limit: storage.MaxLimit})
	require.NoError(t, err)
	b, err := json.Marshal(all)
	require.NoError(t, err)
	return string(b)
}

func ptr[T any](v T) *T { return &v }

func TestChangesAreRecorded(t *testing.T) {
	for name, open := range changeBackends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr := newTrail(t, open(t))
			d := tr.desk
			var (
				userID  tenant.UserID
				tokenID int64
				hookID  int64
			)
			const password = "a-new-password-9"
			tests := []struct {
				name    string
				change  func(t *testing.T) []string // returns the secrets it used
				typ     audit.EntityType
				id      func() string
				action  audit.Action
				fields  []audit.FieldChange
				company tenant.CompanyID
			}{
				{name: "user created", typ: audit.EntityUser, action: audit.ActionCreated,
					change: func(t *testing.T) []string {
						ct, err := d.Directory.CreateContact(tr.ctx, tr.admin, directory.ContactInput{Name: "Bob", Email: "bob@acme.test"})
						require.NoError(t, err)
						u, err := d.Directory.CreateUser(tr.ctx, tr.admin, directory.UserInput{Email: "bob@acme.test", Password: "first-password-1",
							Role: tenant.RoleAgent, ContactID: ct.ID})
						require.NoError(t, err)
						userID = u.ID
						return []string{"first-password-1", string(u.PasswordHash)}
					},
					id: func() string { return strconv.FormatInt(int64(userID), 10) },
					fields: []audit.FieldChange{{Field: "active", New: "true"}, {Field: "contact_id", New: "2"},
						{Field: "email", New: "bob@acme.test"}, {Field: "password", Secret: true}, {Field: "role", New: "agent"}}},
				{name: "role changed", typ: audit.EntityUser, action: audit.ActionUpdated,
					change: func(t *testing.T) []string {
						_, err := d.Directory.UpdateUser(tr.ctx, tr.admin, userID, directory.UserPatch{Role: ptr(tenant.RoleViewer)})
						require.NoError(t, err)
						return nil
					},
					id:     func() string { return strconv.FormatInt(int64(userID), 10) },
					fields: []audit.FieldChange{{Field: "role", Old: "agent", New: "viewer"}}},
				{name: "password changed", typ: audit.EntityUser, action: audit.ActionUpdated,
					change: func(t *testing.T) []string {
						u, err := d.Directory.UpdateUser(tr.ctx, tr.admin, userID, directory.UserPatch{Password: ptr(password)})
						require.NoError(t, err)
						return []string{password, string(u.PasswordHash)}
					},
					id:     func() string { return strconv.FormatInt(int64(userID), 10) },
					fields: []audit.FieldChange{{Field: "password", Secret: true}}},
				{name: "user deactivated", typ: audit.EntityUser, action: audit.ActionUpdated,
					change: func(t *testing.T) []string {
						_, err := d.Directory.DeactivateUser(tr.ctx, tr.admin, userID)
						require.NoError(t, err)
						return nil
					},
					id:     func() string { return strconv.FormatInt(int64(userID), 10) },
					fields: []audit.FieldChange{{Field: "active", Old: "true", New: "false"}}},
				{name: "profile language", typ: audit.EntityUser, action: audit.ActionUpdated,
					change: func(t *testing.T) []string {
						_, err := d.Directory.UpdateProfile(tr.ctx, tr.admin, directory.ProfilePatch{Language: ptr("pt-BR")})
						require.NoError(t, err)
						return nil
					},
					id:     func() string { return strconv.FormatInt(int64(tr.admin.UserID), 10) },
					fields: []audit.FieldChange{{Field: "language", New: "pt-BR"}}},
				{name: "company settings", typ: audit.EntityCompany, action: audit.ActionUpdated,
					change: func(t *testing.T) []string {
						_, err := d.Directory.UpdateCompany(tr.ctx, tenant.System(), tr.co.ID, directory.CompanyPatch{
							Name: ptr("Acme Brasil"), Timezone: ptr("America/Manaus")})
						require.NoError(t, err)
						return nil
					},
					id: func() string { return strconv.FormatInt(int64(tr.co.ID), 10) },
					fields: []audit.FieldChange{{Field: "name", Old: "Acme", New: "Acme Brasil"},
						{Field: "timezone", Old: "America/Sao_Paulo", New: "America/Manaus"}}},
				{name: "API token created", typ: audit.EntityAPIToken, action: audit.ActionCreated,
					change: func(t *testing.T) []string {
						tok, plain, err := d.Directory.CreateAPIToken(tr.ctx, tr.admin, directory.APITokenInput{Name: "erp",
							Permissions: []tenant.Permission{tenant.PermTicketsRead}})
						require.NoError(t, err)
						tokenID = tok.ID
						return []string{plain, tok.Digest, strings.Split(plain, "_")[2]}
					},
					id:     func() string { return strconv.FormatInt(tokenID, 10) },
					fields: nil}, // checked below: name, permissions, lookup_id, secret
				{name: "API token revoked", typ: audit.EntityAPIToken, action: audit.ActionRevoked,
					change: func(t *testing.T) []string {
						_, err := d.Directory.RevokeAPIToken(tr.ctx, tr.admin, tokenID)
						require.NoError(t, err)
						return nil
					},
					id:     func() string { return strconv.FormatInt(tokenID, 10) },
					fields: []audit.FieldChange{{Field: "revoked_at", New: "2026-07-01T12:00:00Z"}}},
				{name: "webhook created", typ: audit.EntityWebhook, action: audit.ActionCreated,
					change: func(t *testing.T) []string {
						ep, err := d.Webhooks.CreateEndpoint(tr.ctx, tr.admin, webhooks.EndpointInput{URL: "http://127.0.0.1:9/hook",
							Events: []string{"ticket.*"}})
						require.NoError(t, err)
						hookID = ep.ID
						return []string{ep.Secret}
					},
					id: func() string { return strconv.FormatInt(hookID, 10) },
					fields: []audit.FieldChange{{Field: "active", New: "true"}, {Field: "events", New: "ticket.*"},
						{Field: "secret", Secret: true}, {Field: "url", New: "http://127.0.0.1:9/hook"}}},
				{name: "webhook updated", typ: audit.EntityWebhook, action: audit.ActionUpdated,
					change: func(t *testing.T) []string {
						_, err := d.Webhooks.UpdateEndpoint(tr.ctx, tr.admin, hookID, 0, webhooks.EndpointPatch{URL: ptr("http://127.0.0.1:10/hook")})
						require.NoError(t, err)
						return nil
					},
					id:     func() string { return strconv.FormatInt(hookID, 10) },
					fields: []audit.FieldChange{{Field: "url", Old: "http://127.0.0.1:9/hook", New: "http://127.0.0.1:10/hook"}}},
				{name: "webhook secret rotated", typ: audit.EntityWebhook, action: audit.ActionSecretRotate,
					change: func(t *testing.T) []string {
						ep, err := d.Webhooks.RotateSecret(tr.ctx, tr.admin, hookID)
						require.NoError(t, err)
						return []string{ep.Secret}
					},
					id:     func() string { return strconv.FormatInt(hookID, 10) },
					fields: []audit.FieldChange{{Field: "secret", Secret: true}}},
				{name: "webhook deleted", typ: audit.EntityWebhook, action: audit.ActionDeleted,
					change: func(t *testing.T) []string {
						require.NoError(t, d.Webhooks.DeleteEndpoint(tr.ctx, tr.admin, hookID))
						return nil
					},
					id: func() string { return strconv.FormatInt(hookID, 10) },
					fields: []audit.FieldChange{{Field: "active", Old: "true"}, {Field: "events", Old: "ticket.*"},
						{Field: "secret", Secret: true}, {Field: "url", Old: "http://127.0.0.1:10/hook"}}},
				{name: "WhatsApp settings", typ: audit.EntityWhatsAppSettings, action: audit.ActionCreated,
					change: func(t *testing.T) []string {
						_, err := d.WhatsApp.UpdateSettings(tr.ctx, tr.admin, whatsapp.SettingsInput{PhoneNumberID: ptr("106540352242922"),
							AccessToken: ptr("EAAG-access-token-77"), AppSecret: ptr("app-secret-of-meta-88")})
						require.NoError(t, err)
						return []string{"EAAG-access-token-77", "app-secret-of-meta-88"}
					},
					id: func() string { return strconv.FormatInt(int64(tr.co.ID), 10) },
					fields: []audit.FieldChange{{Field: "access_token", Secret: true}, {Field: "app_secret", Secret: true},
						{Field: "enabled", New: "false"}, {Field: "phone_number_id", New: "106540352242922"}}},
				{name: "AI settings", typ: audit.EntityAISettings, action: audit.ActionCreated,
					change: func(t *testing.T) []string {
						_, err := d.AI.UpdateSettings(tr.ctx, tr.admin, ai.SettingsInput{Provider: ptr(ai.ProviderOpenAI),
							BaseURL: ptr("http://127.0.0.1:11/v1"), Model: ptr("gpt-x"), APIKey: ptr("sk-the-ai-key-99")})
						require.NoError(t, err)
						return []string{"sk-the-ai-key-99"}
					},
					id:     func() string { return strconv.FormatInt(int64(tr.co.ID), 10) },
					fields: nil}, // checked below: api_key secret
				{name: "single sign-on settings", typ: audit.EntitySSOSettings, action: audit.ActionCreated,
					change: func(t *testing.T) []string {
						_, err := d.SSO.UpdateSettings(tr.ctx, tr.admin, sso.SettingsInput{Issuer: ptr("https://login.example.com"),
							ClientID: ptr("boladao"), ClientSecret: ptr("oidc-client-secret-55"), AllowedDomains: ptr([]string{"acme.test"})})
						require.NoError(t, err)
						return []string{"oidc-client-secret-55"}
					},
					id: func() string { return strconv.FormatInt(int64(tr.co.ID), 10) },
					fields: []audit.FieldChange{{Field: "allowed_domains", New: "acme.test"}, {Field: "client_id", New: "boladao"},
						{Field: "client_secret", Secret: true}, {Field: "create_users", New: "false"}, {Field: "default_role", New: "requester"},
						{Field: "enabled", New: "false"}, {Field: "issuer", New: "https://login.example.com"},
						{Field: "password_sign_in", New: "true"}}},
				{name: "serial settings", typ: audit.EntitySerialSettings, action: audit.ActionCreated,
					change: func(t *testing.T) []string {
						require.NoError(t, d.Inventory.SetSerialSettings(tr.ctx, tr.admin, inventory.SerialSettings{Prefix: "ACM"}))
						return nil
					},
					id:     func() string { return strconv.FormatInt(int64(tr.co.ID), 10) },
					fields: []audit.FieldChange{{Field: "prefix", New: "ACM"}}},
			}
			var secrets []string
			for _, tc := range tests {
				before := len(tr.changes(t))
				secrets = append(secrets, tc.change(t)...)
				all := tr.changes(t)
				require.Len(t, all, before+1, "%s: one change recorded", tc.name)
				got := all[0]
				require.Equal(t, tc.typ, got.EntityType, tc.name)
				require.Equal(t, tc.id(), got.EntityID, tc.name)
				require.Equal(t, tc.action, got.Action, tc.name)
				require.Equal(t, tr.co.ID, got.CompanyID, tc.name)
				require.Equal(t, audit.Actor{Kind: audit.ActorUser, UserID: tr.admin.UserID}, got.Actor, tc.name)
				require.Equal(t, "203.0.113.5", got.IP, tc.name)
				require.Equal(t, "req-42", got.RequestID, tc.name)
				require.Equal(t, time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC), got.At, tc.name)
				if tc.fields != nil {
					require.Equal(t, tc.fields, got.Fields, tc.name)
				}
				for _, f := range got.Fields {
					if f.Field == "secret" || f.Field == "api_key" || f.Field == "password" || f.Field == "client_secret" {
						require.True(t, f.Secret, "%s: %s is a secret", tc.name, f.Field)
						require.Empty(t, f.Old+f.New, tc.name)
					}
				}
			}
			stored := tr.stored(t)
			require.Contains(t, stored, "bob@acme.test", "the search below reads the stored rows")
			for _, s := range secrets {
				require.NotEmpty(t, s)
				require.NotContains(t, stored, s, "a secret reached the audit trail")
			}
		})
	}
}

func TestFailedChangesRecordNothing(t *testing.T) {
	for name, open := range changeBackends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr := newTrail(t, open(t))
			d := tr.desk
			start := len(tr.changes(t))
			tests := []struct {
				name   string
				change func() error
				is     error
			}{
				{"invalid password", func() error {
					_, err := d.Directory.UpdateUser(tr.ctx, tr.admin, tr.admin.UserID, directory.UserPatch{Password: ptr("short")})
					return err
				}, nil},
				{"stale version", func() error {
					_, err := d.Directory.UpdateCompany(tr.ctx, tenant.System(), tr.co.ID, directory.CompanyPatch{Name: ptr("X"), Version: 99})
					return err
				}, storage.ErrStale},
				{"the change record fails: the change rolls back", func() error {
					tr.fail.Store(true)
					defer tr.fail.Store(false)
					_, err := d.Directory.UpdateCompany(tr.ctx, tenant.System(), tr.co.ID, directory.CompanyPatch{Name: ptr("Rolled back")})
					return err
				}, errRecord},
				{"invalid webhook", func() error {
					_, err := d.Webhooks.CreateEndpoint(tr.ctx, tr.admin, webhooks.EndpointInput{URL: "ftp://nowhere"})
					return err
				}, nil},
				{"webhook of another company", func() error {
					return d.Webhooks.DeleteEndpoint(tr.ctx, tr.admin, 12345)
				}, storage.ErrNotFound},
				{"invalid serial pattern", func() error {
					return d.Inventory.SetSerialSettings(tr.ctx, tr.admin, inventory.SerialSettings{Pattern: "{NOPE}"})
				}, nil},
			}
			for _, tc := range tests {
				err := tc.change()
				require.Error(t, err, tc.name)
				if tc.is != nil {
					require.ErrorIs(t, err, tc.is, tc.name)
				}
				require.Len(t, tr.changes(t), start, "%s recorded a change", tc.name)
			}
			co, err := d.Directory.GetCompany(t.Context(), tenant.System(), tr.co.ID)
			require.NoError(t, err)
			require.Equal(t, "Acme", co.Name, "the change whose record failed did not happen")
		})
	}
}

func TestChangesScope(t *testing.T) {
	tr := newTrail(t, memory.New())
	d := tr.desk
	_, err := d.Directory.UpdateCompany(tr.ctx, tenant.System(), tr.co.ID, directory.CompanyPatch{Name: ptr("Acme 2")})
	require.NoError(t, err)
	other, err := d.Directory.CreateCompany(t.Context(), tenant.System(), directory.CompanyInput{Name: "Beta"})
	require.NoError(t, err)
	otherAdmin := tenant.Actor{CompanyID: other.ID, UserID: 99, Role: tenant.RoleAdmin}
	root := tenant.Actor{UserID: 1, Role: tenant.RolePlatformAdmin}

	count := func(actor tenant.Actor, f helpdesk.ChangeFilter) int {
		p, err := d.Changes(t.Context(), actor, f, storage.PageRequest{Limit: storage.MaxLimit})
		require.NoError(t, err)
		return len(p.Items)
	}
	mine := count(tr.admin, helpdesk.ChangeFilter{})
	require.Positive(t, mine)
	require.Equal(t, 1, count(otherAdmin, helpdesk.ChangeFilter{}), "Beta's admin sees Beta's creation only")
	require.Zero(t, count(tr.admin, helpdesk.ChangeFilter{CompanyID: other.ID}), "another company's trail is as if it did not exist")
	require.Equal(t, mine, count(tr.admin, helpdesk.ChangeFilter{CompanyID: tr.co.ID}))
	require.Equal(t, mine+1, count(root, helpdesk.ChangeFilter{}), "a platform admin without a company reads every company")
	require.Equal(t, 1, count(root, helpdesk.ChangeFilter{CompanyID: other.ID}))
	for _, role := range []tenant.Role{tenant.RoleAgent, tenant.RoleRequester, tenant.RoleViewer} {
		_, err := d.Changes(t.Context(), tenant.Actor{CompanyID: tr.co.ID, UserID: 5, Role: role}, helpdesk.ChangeFilter{}, storage.PageRequest{})
		var fe *tenant.ForbiddenError
		require.ErrorAs(t, err, &fe, role)
	}
	_, err = d.Changes(t.Context(), tr.admin, helpdesk.ChangeFilter{EntityType: "ticket"}, storage.PageRequest{})
	require.ErrorContains(t, err, "entity_type")
}

func TestChangesPurgedAfterRetention(t *testing.T) {
	var now atomic.Pointer[time.Time]
	start := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	now.Store(&start)
	clock := func() time.Time { return *now.Load() }
	desk, err := helpdesk.New(memory.New(), helpdesk.WithBcryptCost(bcrypt.MinCost), helpdesk.WithClock(clock),
		helpdesk.WithAuditRetention(24*time.Hour), helpdesk.WithMaintenanceInterval(time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, desk.Close()) })
	root := tenant.Actor{UserID: 1, Role: tenant.RolePlatformAdmin}
	old, err := desk.Directory.CreateCompany(t.Context(), tenant.System(), directory.CompanyInput{Name: "Old"})
	require.NoError(t, err)
	later := start.Add(25 * time.Hour)
	now.Store(&later)
	_, err = desk.Directory.CreateCompany(t.Context(), tenant.System(), directory.CompanyInput{Name: "Recent"})
	require.NoError(t, err)
	count := func() int {
		p, err := desk.Changes(t.Context(), root, helpdesk.ChangeFilter{}, storage.PageRequest{Limit: storage.MaxLimit})
		require.NoError(t, err)
		return len(p.Items)
	}
	require.Equal(t, 2, count())

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- desk.Run(ctx) }()
	require.Eventually(t, func() bool { return count() == 1 }, 10*time.Second, 5*time.Millisecond,
		"the maintenance loop deletes changes older than the retention")
	cancel()
	require.NoError(t, <-done)
	p, err := desk.Changes(t.Context(), root, helpdesk.ChangeFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.NotEqual(t, strconv.FormatInt(int64(old.ID), 10), p.Items[0].EntityID, "the old company's change went")
}
