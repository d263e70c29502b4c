package sso_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/sso/ssotest"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage/memory"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var key = []byte("0123456789abcdef0123456789abcdef")

// setup returns a service over a memory store with one company and its
// admin actor.
func setup(t *testing.T, c *clock) (*sso.Service, tenant.Actor) {
	t.Helper()
	store := memory.New()
	dir, err := directory.NewService(store.Directory())
	require.NoError(t, err)
	co, err := dir.CreateCompany(t.Context(), tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	svc, err := sso.NewService(store.SSO(), key, sso.WithClock(c.Now))
	require.NoError(t, err)
	return svc, tenant.Actor{CompanyID: co.ID, UserID: 1, Role: tenant.RoleAdmin}
}

func ptr[T any](v T) *T { return &v }

func TestNewServiceRefusesShortKeys(t *testing.T) {
	_, err := sso.NewService(memory.New().SSO(), []byte("short"))
	require.ErrorContains(t, err, "at least 32")
}

func TestSettingsValidation(t *testing.T) {
	c := &clock{t: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}
	svc, admin := setup(t, c)
	ctx := t.Context()

	v, err := svc.Settings(ctx, admin)
	require.NoError(t, err)
	require.False(t, v.Enabled)
	require.True(t, v.PasswordSignIn, "password sign-in is on until turned off")
	require.Zero(t, v.Version)

	for _, tc := range []struct {
		name  string
		in    sso.SettingsInput
		field string
	}{
		{"enabled without issuer", sso.SettingsInput{Enabled: ptr(true), ClientID: ptr("c"), AllowedDomains: &[]string{"a.com"}}, "issuer"},
		{"enabled without client", sso.SettingsInput{Enabled: ptr(true), Issuer: ptr("https://idp.example"), AllowedDomains: &[]string{"a.com"}}, "client_id"},
		{"enabled without domains", sso.SettingsInput{Enabled: ptr(true), Issuer: ptr("https://idp.example"), ClientID: ptr("c")}, "allowed_domains"},
		{"plain http issuer", sso.SettingsInput{Issuer: ptr("http://idp.example")}, "issuer"},
		{"issuer with a query", sso.SettingsInput{Issuer: ptr("https://idp.example/?x=1")}, "issuer"},
		{"issuer with credentials", sso.SettingsInput{Issuer: ptr("https://u:p@idp.example")}, "issuer"},
		{"a domain with a space", sso.SettingsInput{AllowedDomains: &[]string{"a b.com"}}, "allowed_domains"},
		{"a wildcard domain", sso.SettingsInput{AllowedDomains: &[]string{"*.a.com"}}, "allowed_domains"},
		{"a LIKE pattern", sso.SettingsInput{AllowedDomains: &[]string{"%.com"}}, "allowed_domains"},
		{"admin by default", sso.SettingsInput{DefaultRole: ptr(tenant.RoleAdmin)}, "default_role"},
		{"platform admin by default", sso.SettingsInput{DefaultRole: ptr(tenant.RolePlatformAdmin)}, "default_role"},
		{"password off without SSO", sso.SettingsInput{PasswordSignIn: ptr(false)}, "password_sign_in"},
		{"a secret with spaces", sso.SettingsInput{ClientSecret: ptr("a b")}, "client_secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.UpdateSettings(ctx, admin, tc.in)
			var ve *validation.Error
			require.ErrorAs(t, err, &ve)
			require.Contains(t, ve.Fields[0].Field, tc.field, "%v", err)
		})
	}
	v, err = svc.Settings(ctx, admin)
	require.NoError(t, err)
	require.Zero(t, v.Version, "refusals wrote nothing")

	v, err = svc.UpdateSettings(ctx, admin, sso.SettingsInput{Enabled: ptr(true), Issuer: ptr("https://idp.example/"),
		ClientID: ptr(" c "), ClientSecret: ptr("s"), AllowedDomains: &[]string{" B.com", "@a.com", "b.com", ""}})
	require.NoError(t, err)
	require.Equal(t, "https://idp.example", v.Issuer)
	require.Equal(t, "c", v.ClientID)
	require.Equal(t, []string{"a.com", "b.com"}, v.AllowedDomains)
	require.True(t, v.ClientSecretSet)

	for _, role := range []tenant.Role{tenant.RoleAgent, tenant.RoleRequester, tenant.RoleViewer} {
		other := tenant.Actor{CompanyID: admin.CompanyID, UserID: 2, Role: role}
		_, err = svc.Settings(ctx, other)
		require.ErrorIs(t, err, tenant.ErrForbidden, role)
		_, err = svc.UpdateSettings(ctx, other, sso.SettingsInput{Enabled: ptr(false)})
		require.ErrorIs(t, err, tenant.ErrForbidden, role)
	}

	id, err := svc.CompanyForEmail(ctx, "Person@B.COM")
	require.NoError(t, err)
	require.Equal(t, admin.CompanyID, id)
	_, err = svc.CompanyForEmail(ctx, "person@c.com")
	require.ErrorIs(t, err, sso.ErrNotConfigured)
	ok, err := svc.PasswordSignInAllowed(ctx, admin.CompanyID)
	require.NoError(t, err)
	require.True(t, ok)
	_, err = svc.UpdateSettings(ctx, admin, sso.SettingsInput{PasswordSignIn: ptr(false)})
	require.NoError(t, err)
	ok, err = svc.PasswordSignInAllowed(ctx, admin.CompanyID)
	require.NoError(t, err)
	require.False(t, ok)
	ok, err = svc.PasswordSignInAllowed(ctx, 0)
	require.NoError(t, err)
	require.True(t, ok, "platform admins keep their password")
}

// begin starts a flow with the provider and follows its approval; it
// returns the sealed flow and the callback's query.
func begin(t *testing.T, svc *sso.Service, company tenant.CompanyID) (string, url.Values) {
	t.Helper()
	authURL, sealed, err := svc.Begin(t.Context(), sso.Start{Company: company, RedirectURL: "http://127.0.0.1:1/cb", Next: "/tickets"})
	require.NoError(t, err)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return sealed, back.Query()
}

func TestFlowLifetimeAndCaches(t *testing.T) {
	c := &clock{t: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}
	svc, admin := setup(t, c)
	idp, err := ssotest.New(ssotest.Config{ClientID: "c", ClientSecret: "s", Now: c.Now})
	require.NoError(t, err)
	t.Cleanup(idp.Close)
	_, err = svc.UpdateSettings(t.Context(), admin, sso.SettingsInput{Enabled: ptr(true), Issuer: ptr(idp.Issuer()),
		ClientID: ptr("c"), ClientSecret: ptr("s"), AllowedDomains: &[]string{"example.com"}, CreateUsers: ptr(true),
		DefaultRole: ptr(tenant.RoleViewer)})
	require.NoError(t, err)

	sealed, q := begin(t, svc, admin.CompanyID)
	id, err := svc.Finish(t.Context(), sealed, q)
	require.NoError(t, err)
	require.Equal(t, sso.Identity{CompanyID: admin.CompanyID, Email: "person@example.com", Subject: "subject-1", Name: "Person",
		Next: "/tickets", DefaultRole: tenant.RoleViewer, CreateUsers: true}, id)
	require.Equal(t, admin.CompanyID, svc.FlowCompany(sealed))
	require.Zero(t, svc.FlowCompany("garbage"))

	// A flow outlives its lifetime: refused, and nothing is exchanged.
	sealed, q = begin(t, svc, admin.CompanyID)
	c.Advance(sso.DefaultFlowTTL + time.Second)
	exchanged := idp.Exchanges()
	_, err = svc.Finish(t.Context(), sealed, q)
	var fe *sso.FlowError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, sso.ReasonFlowExpired, fe.Reason)
	require.Equal(t, exchanged, idp.Exchanges())

	// The settings change during a flow: refused.
	sealed, q = begin(t, svc, admin.CompanyID)
	_, err = svc.UpdateSettings(t.Context(), admin, sso.SettingsInput{ClientID: ptr("c2")})
	require.NoError(t, err)
	_, err = svc.Finish(t.Context(), sealed, q)
	require.ErrorAs(t, err, &fe)
	require.Equal(t, sso.ReasonFlowExpired, fe.Reason)

	// The discovery document is read once per lifetime.
	require.EqualValues(t, 1, idp.Discoveries())
	c.Advance(sso.DefaultDiscoveryTTL)
	_, err = svc.UpdateSettings(t.Context(), admin, sso.SettingsInput{ClientID: ptr("c")})
	require.NoError(t, err)
	begin(t, svc, admin.CompanyID)
	require.EqualValues(t, 2, idp.Discoveries())

	// Turned off: no flow starts, and one begun is refused.
	sealed, q = begin(t, svc, admin.CompanyID)
	_, err = svc.UpdateSettings(t.Context(), admin, sso.SettingsInput{Enabled: ptr(false)})
	require.NoError(t, err)
	_, _, err = svc.Begin(t.Context(), sso.Start{Company: admin.CompanyID})
	require.ErrorIs(t, err, sso.ErrNotConfigured)
	_, err = svc.Finish(t.Context(), sealed, q)
	require.ErrorIs(t, err, sso.ErrNotConfigured)
}

func TestFlowErrorsCarryNoSecrets(t *testing.T) {
	c := &clock{t: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}
	svc, admin := setup(t, c)
	idp, err := ssotest.New(ssotest.Config{ClientID: "c", ClientSecret: "the-secret", Now: c.Now})
	require.NoError(t, err)
	t.Cleanup(idp.Close)
	_, err = svc.UpdateSettings(t.Context(), admin, sso.SettingsInput{Enabled: ptr(true), Issuer: ptr(idp.Issuer()),
		ClientID: ptr("c"), ClientSecret: ptr("wrong-secret"), AllowedDomains: &[]string{"example.com"}})
	require.NoError(t, err)
	sealed, q := begin(t, svc, admin.CompanyID)
	_, err = svc.Finish(t.Context(), sealed, q)
	var fe *sso.FlowError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, sso.ReasonExchange, fe.Reason)
	require.Contains(t, fe.Error(), "invalid_client")
	for _, secret := range []string{"wrong-secret", q.Get("code"), sealed} {
		require.False(t, strings.Contains(fe.Error(), secret), "the error shows a secret")
	}
}

func TestEmailVerifiedShapes(t *testing.T) {
	c := &clock{t: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}
	svc, admin := setup(t, c)
	idp, err := ssotest.New(ssotest.Config{ClientID: "c", ClientSecret: "s", Now: c.Now})
	require.NoError(t, err)
	t.Cleanup(idp.Close)
	_, err = svc.UpdateSettings(t.Context(), admin, sso.SettingsInput{Enabled: ptr(true), Issuer: ptr(idp.Issuer()),
		ClientID: ptr("c"), ClientSecret: ptr("s"), AllowedDomains: &[]string{"example.com"}})
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		tamper func(map[string]any)
		ok     bool
	}{
		{"a JSON true", func(m map[string]any) { m["email_verified"] = true }, true},
		{"the string true", func(m map[string]any) { m["email_verified"] = "true" }, true},
		{"Entra ID's xms_edov without email_verified", func(m map[string]any) { delete(m, "email_verified"); m["xms_edov"] = true }, true},
		{"false", func(m map[string]any) { m["email_verified"] = false }, false},
		{"the string false", func(m map[string]any) { m["email_verified"] = "false" }, false},
		{"absent", func(m map[string]any) { delete(m, "email_verified") }, false},
		{"null", func(m map[string]any) { m["email_verified"] = nil }, false},
		{"an object", func(m map[string]any) { m["email_verified"] = map[string]any{"value": true} }, false},
		{"xms_edov false", func(m map[string]any) { delete(m, "email_verified"); m["xms_edov"] = false }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idp.SetTamper(tc.tamper)
			sealed, q := begin(t, svc, admin.CompanyID)
			_, err := svc.Finish(t.Context(), sealed, q)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			var fe *sso.FlowError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, sso.ReasonEmailUnverified, fe.Reason)
		})
	}
}
