package tenant_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

func TestCan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		role tenant.Role
		perm tenant.Permission
		want bool
	}{
		{tenant.RolePlatformAdmin, tenant.PermCompaniesManage, true},
		{tenant.RoleAdmin, tenant.PermCompaniesManage, false},
		{tenant.RoleAdmin, tenant.PermUsersManage, true},
		{tenant.RoleAdmin, tenant.PermOrdersInvoice, true},
		{tenant.RoleAgent, tenant.PermUsersManage, false},
		{tenant.RoleAgent, tenant.PermTicketsManage, true},
		{tenant.RoleAgent, tenant.PermOrdersInvoice, false},
		{tenant.RoleRequester, tenant.PermTicketsCreate, true},
		{tenant.RoleRequester, tenant.PermTicketsRead, false},
		{tenant.RoleRequester, tenant.PermTicketsReadOwn, true},
		{tenant.RoleViewer, tenant.PermTicketsRead, true},
		{tenant.RoleViewer, tenant.PermTicketsCreate, false},
		{tenant.Role("root"), tenant.PermTicketsRead, false},
		{"", tenant.PermCompanyRead, false},
	}
	for _, tc := range tests {
		a := tenant.Actor{CompanyID: 1, Role: tc.role}
		require.Equal(t, tc.want, tenant.Can(a, tc.perm), "%s %s", tc.role, tc.perm)
		err := a.Require(tc.perm)
		if tc.want {
			require.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, tenant.ErrForbidden)
		fe, ok := errors.AsType[*tenant.ForbiddenError](err)
		require.True(t, ok)
		require.Equal(t, tc.perm, fe.Permission)
	}
}

func TestScopesNarrowTheRole(t *testing.T) {
	t.Parallel()
	a := tenant.Actor{CompanyID: 1, Role: tenant.RoleAdmin, Scopes: []tenant.Permission{tenant.PermTicketsRead, tenant.PermCompaniesManage}}
	require.True(t, a.Can(tenant.PermTicketsRead))
	require.False(t, a.Can(tenant.PermUsersManage), "outside the scopes")
	require.False(t, a.Can(tenant.PermCompaniesManage), "a scope never adds to the role")
	a.Scopes = []tenant.Permission{}
	require.False(t, a.Can(tenant.PermTicketsRead), "empty scopes grant nothing")
}

func TestRequireIn(t *testing.T) {
	t.Parallel()
	platform := tenant.System()
	require.ErrorIs(t, platform.RequireIn(tenant.PermContactsRead), tenant.ErrNoCompany)
	in, err := platform.InCompany(7)
	require.NoError(t, err)
	require.NoError(t, in.RequireIn(tenant.PermContactsRead))

	agent := tenant.Actor{CompanyID: 3, Role: tenant.RoleAgent}
	_, err = agent.InCompany(4)
	require.ErrorIs(t, err, tenant.ErrForbidden, "only platform admins switch companies")
	same, err := agent.InCompany(3)
	require.NoError(t, err)
	require.Equal(t, agent, same)
}

func TestPermissionsTableIsACopy(t *testing.T) {
	t.Parallel()
	p := tenant.Permissions()
	p[tenant.RoleViewer] = append(p[tenant.RoleViewer], tenant.PermUsersManage)
	require.False(t, tenant.Can(tenant.Actor{Role: tenant.RoleViewer}, tenant.PermUsersManage))
	for _, r := range tenant.Roles() {
		require.True(t, r.Valid())
		require.NotEmpty(t, tenant.PermissionsOf(r), r)
	}
	require.False(t, tenant.Role("root").Valid())
}
