package storagetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

func testSSOSettings(t *testing.T, b Backend) {
	s := b.SSO()
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	_, err := s.SSOSettings(ctx(t), f.co.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)

	st := sso.Settings{CompanyID: f.co.ID, Enabled: true, Issuer: "https://login.example.com/tenant/v2.0",
		ClientID: "client-1", ClientSecret: "s3cret", AllowedDomains: []string{"acme.com.br", "acme.com"},
		DefaultRole: tenant.RoleAgent, CreateUsers: true, PasswordSignIn: false, CreatedAt: at, UpdatedAt: at}
	require.NoError(t, s.SaveSSOSettings(ctx(t), &st))
	require.EqualValues(t, 1, st.Version)
	got, err := s.SSOSettings(ctx(t), f.co.ID)
	require.NoError(t, err)
	require.Equal(t, st, got)
	require.Equal(t, []string{"acme.com.br", "acme.com"}, got.AllowedDomains, "domains keep their order")

	dup := st
	dup.Version = 0
	require.ErrorIs(t, s.SaveSSOSettings(ctx(t), &dup), storage.ErrConflict)
	missing := sso.Settings{CompanyID: 999999, CreatedAt: at, UpdatedAt: at}
	require.Error(t, s.SaveSSOSettings(ctx(t), &missing), "a company that does not exist has no settings")

	st.Enabled, st.AllowedDomains, st.ClientSecret, st.UpdatedAt = false, []string{}, "", at.Add(time.Hour)
	st.CreatedAt = at.Add(time.Hour) // ignored: the first save's stays
	require.NoError(t, s.SaveSSOSettings(ctx(t), &st))
	require.EqualValues(t, 2, st.Version)
	require.True(t, st.CreatedAt.Equal(at))
	require.Empty(t, st.AllowedDomains)
	got, err = s.SSOSettings(ctx(t), f.co.ID)
	require.NoError(t, err)
	require.Equal(t, st, got)

	stale := got
	stale.Version = 1
	require.ErrorIs(t, s.SaveSSOSettings(ctx(t), &stale), storage.ErrStale)
	_, err = s.SSOSettings(ctx(t), other.co.ID)
	require.ErrorIs(t, err, storage.ErrNotFound, "another company's settings do not exist")
}

func testSSOCompaniesForDomain(t *testing.T, b Backend) {
	s := b.SSO()
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	third := f.sibling(t, "Third")
	save := func(company tenant.CompanyID, enabled bool, domains ...string) {
		st := sso.Settings{CompanyID: company, Enabled: enabled, Issuer: "https://idp.example.com", ClientID: "c",
			AllowedDomains: domains, DefaultRole: tenant.RoleRequester, PasswordSignIn: true, CreatedAt: at, UpdatedAt: at}
		require.NoError(t, s.SaveSSOSettings(ctx(t), &st))
	}
	save(f.co.ID, true, "acme.com", "shared.com")
	save(other.co.ID, true, "other.com", "shared.com")
	save(third.co.ID, false, "third.com")

	for _, tc := range []struct {
		domain string
		want   []tenant.CompanyID
	}{
		{"acme.com", []tenant.CompanyID{f.co.ID}},
		{"other.com", []tenant.CompanyID{other.co.ID}},
		{"shared.com", []tenant.CompanyID{f.co.ID, other.co.ID}},
		{"third.com", []tenant.CompanyID{}},    // turned off
		{"cme.com", []tenant.CompanyID{}},      // a suffix is not the domain
		{"acme.co", []tenant.CompanyID{}},      // nor a prefix
		{"%", []tenant.CompanyID{}},            // nor a pattern
		{"sub.acme.com", []tenant.CompanyID{}}, // nor a subdomain
		{"acme.com,shared.com", []tenant.CompanyID{}},
	} {
		got, err := s.SSOCompaniesForDomain(ctx(t), tc.domain)
		require.NoError(t, err, tc.domain)
		require.Equal(t, tc.want, append([]tenant.CompanyID{}, got...), tc.domain)
	}
}
