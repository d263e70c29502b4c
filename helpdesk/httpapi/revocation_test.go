package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// TestRevocationTakesEffectAtOnce steals an access token before each change
// that ends or narrows its owner's access and replays it after: the
// change holds on the very next request, on every backend.
func TestRevocationTakesEffectAtOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		co, _ := e.company("Acme")
		admin, err := tenant.System().InCompany(co.ID)
		require.NoError(t, err)
		user := func(email string, role tenant.Role) (directory.User, tokens) {
			ct, err := e.desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: email, Email: email})
			require.NoError(t, err)
			u, err := e.desk.Directory.CreateUser(ctx, admin, directory.UserInput{Email: email, Password: "password-1234", Role: role, ContactID: ct.ID})
			require.NoError(t, err)
			return u, e.login(email, "password-1234")
		}
		status := func(path, token string) int {
			return e.do("GET", path, nil, "Authorization", token).Status
		}

		// Demoted from admin to viewer: the admin's token no longer lists users.
		boss, bossTok := user("boss@acme.test", tenant.RoleAdmin)
		require.Equal(t, http.StatusOK, status("/admin/api/users", bossTok.AccessToken))
		viewer := tenant.RoleViewer
		_, err = e.desk.Directory.UpdateUser(ctx, admin, boss.ID, directory.UserPatch{Role: &viewer})
		require.NoError(t, err)
		r := e.do("GET", "/admin/api/users", nil, "Authorization", bossTok.AccessToken)
		require.Equal(t, http.StatusUnauthorized, r.Status, "a demoted user's old token: %s", r.Body)
		require.Contains(t, r.Problem(t).Detail, "sign in again")
		require.Equal(t, http.StatusOK, status("/auth/me", e.login("boss@acme.test", "password-1234").AccessToken),
			"signing in again gives a token with the new role")

		// Deactivated: the token reads nothing.
		gone, goneTok := user("gone@acme.test", tenant.RoleAgent)
		_, err = e.desk.Directory.DeactivateUser(ctx, admin, gone.ID)
		require.NoError(t, err)
		require.Equal(t, http.StatusForbidden, status("/api/helpdesk/tickets", goneTok.AccessToken))

		// Logged out: the session's access token ends with it.
		_, outTok := user("out@acme.test", tenant.RoleAgent)
		require.Equal(t, http.StatusNoContent, e.do("POST", "/auth/logout", map[string]string{"refresh_token": outTok.RefreshToken}).Status)
		require.Equal(t, http.StatusUnauthorized, status("/auth/me", outTok.AccessToken))

		// A refresh token presented twice revokes its session, access token included.
		_, reTok := user("reuse@acme.test", tenant.RoleAgent)
		require.Equal(t, http.StatusOK, e.do("POST", "/auth/refresh", map[string]string{"refresh_token": reTok.RefreshToken}).Status)
		require.Equal(t, http.StatusUnauthorized, e.do("POST", "/auth/refresh", map[string]string{"refresh_token": reTok.RefreshToken}).Status)
		require.Equal(t, http.StatusUnauthorized, status("/auth/me", reTok.AccessToken))

		// A password change ends the other sessions, not the one kept.
		pw, first := user("pw@acme.test", tenant.RoleAgent)
		second := e.login("pw@acme.test", "password-1234")
		me, err := e.desk.Authenticate(ctx, second.AccessToken)
		require.NoError(t, err)
		_, err = e.desk.Directory.ChangePassword(ctx, pw.Actor(), "password-1234", "password-5678", me.SessionID)
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, status("/auth/me", first.AccessToken))
		require.Equal(t, http.StatusOK, status("/auth/me", second.AccessToken))

		// An API token revoked: the next request with it is refused.
		tok, plain, err := e.desk.Directory.CreateAPIToken(ctx, admin, directory.APITokenInput{Name: "erp",
			Permissions: []tenant.Permission{tenant.PermTicketsRead}})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status("/api/helpdesk/tickets", plain))
		_, err = e.desk.Directory.RevokeAPIToken(ctx, admin, tok.ID)
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, status("/api/helpdesk/tickets", plain))

		// The company deactivated: its users' and API tokens read nothing.
		_, keepTok := user("keep@acme.test", tenant.RoleAgent)
		_, keepPlain, err := e.desk.Directory.CreateAPIToken(ctx, admin, directory.APITokenInput{Name: "crm",
			Permissions: []tenant.Permission{tenant.PermTicketsRead}})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status("/api/helpdesk/tickets", keepTok.AccessToken))
		require.Equal(t, http.StatusOK, status("/api/helpdesk/tickets", keepPlain))
		_, err = e.desk.Directory.DeactivateCompany(ctx, tenant.System(), co.ID)
		require.NoError(t, err)
		require.Equal(t, http.StatusForbidden, status("/api/helpdesk/tickets", keepTok.AccessToken))
		require.Equal(t, http.StatusForbidden, status("/api/helpdesk/tickets", keepPlain))
	})
}

// TestRevocationReachesOtherInstances runs two desks on one store, as two
// server instances: a change made through one stops the other's tokens
// within the recheck time.
func TestRevocationReachesOtherInstances(t *testing.T) {
	store := memory.New()
	e := newEnv(t, store, httpapi.Config{}, helpdesk.WithAccessRecheck(50*time.Millisecond))
	other, err := helpdesk.New(store, helpdesk.WithAccessRecheck(time.Hour), helpdesk.WithBcryptCost(4))
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })
	co, toks := e.company("Acme")
	me, err := e.desk.Authenticate(t.Context(), toks[tenant.RoleAgent])
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, e.do("GET", "/auth/me", nil, "Authorization", toks[tenant.RoleAgent]).Status)

	admin, err := tenant.System().InCompany(co.ID)
	require.NoError(t, err)
	tok, plain, err := e.desk.Directory.CreateAPIToken(t.Context(), admin, directory.APITokenInput{Name: "erp",
		Permissions: []tenant.Permission{tenant.PermTicketsRead}})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, e.do("GET", "/api/helpdesk/tickets", nil, "Authorization", plain).Status)

	_, err = other.Directory.DeactivateUser(t.Context(), admin, me.Actor.UserID)
	require.NoError(t, err)
	_, err = other.Directory.RevokeAPIToken(t.Context(), admin, tok.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return e.do("GET", "/auth/me", nil, "Authorization", toks[tenant.RoleAgent]).Status == http.StatusForbidden
	}, 10*time.Second, 10*time.Millisecond, "the deactivation made elsewhere reaches this instance")
	require.Eventually(t, func() bool {
		return e.do("GET", "/api/helpdesk/tickets", nil, "Authorization", plain).Status == http.StatusUnauthorized
	}, 10*time.Second, 10*time.Millisecond, "the revocation made elsewhere reaches this instance")
}
