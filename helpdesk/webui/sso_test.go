package webui_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/sso/ssotest"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

const ssoSecret = "console-client-secret"

// ssoFixture is the console fixture with Acme signing in through an
// OpenID Connect provider on loopback.
func ssoFixture(t *testing.T, loginPage bool) (*fixture, *ssotest.Provider) {
	t.Helper()
	f := newFixture(t, fixtureOptions{})
	idp, err := ssotest.New(ssotest.Config{ClientID: "console", ClientSecret: ssoSecret, LoginPage: loginPage, Now: f.desk.Now})
	require.NoError(t, err)
	t.Cleanup(idp.Close)
	on, issuer, id, secret, domains := true, idp.Issuer(), "console", ssoSecret, []string{"acme.test"}
	role := tenant.RoleRequester
	_, err = f.desk.SSO.UpdateSettings(t.Context(), f.admin.actor(), sso.SettingsInput{Enabled: &on, Issuer: &issuer,
		ClientID: &id, ClientSecret: &secret, AllowedDomains: &domains, DefaultRole: &role, CreateUsers: &on})
	require.NoError(t, err)
	return f, idp
}

// ssoSignIn posts the single sign-on form, follows the provider's
// redirect (bend may change the callback URL) and returns the console's
// answer to the callback.
func (c *client) ssoSignIn(email, next string, bend func(*url.URL) *client) *http.Response {
	c.t.Helper()
	resp := c.post("/signin/sso", url.Values{"sso_email": {email}, "next": {next}})
	require.Equal(c.t, http.StatusOK, resp.StatusCode, "start")
	refresh := resp.Header.Get("Refresh")
	require.True(c.t, strings.HasPrefix(refresh, "0; url="), refresh)
	authURL := strings.TrimPrefix(refresh, "0; url=")
	page, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	require.Contains(c.t, string(page), `data-testid="sso-continue"`)
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodGet, authURL, nil)
	require.NoError(c.t, err)
	pr, err := plain.Do(req)
	require.NoError(c.t, err)
	_, _ = io.Copy(io.Discard, pr.Body)
	_ = pr.Body.Close()
	require.Equal(c.t, http.StatusFound, pr.StatusCode, "the provider approves")
	back, err := url.Parse(pr.Header.Get("Location"))
	require.NoError(c.t, err)
	require.Equal(c.t, c.f.srv.URL+"/signin/sso/callback", back.Scheme+"://"+back.Host+back.Path)
	from := c
	if bend != nil {
		from = bend(back)
	}
	return from.get(strings.TrimPrefix(back.String(), c.f.srv.URL))
}

func TestConsoleSSO(t *testing.T) {
	t.Parallel()
	f, idp := ssoFixture(t, false)

	t.Run("signs in and lands on the local page asked for", func(t *testing.T) {
		idp.SetUser(ssotest.User{Subject: "beto", Email: f.agent.Email, EmailVerified: true})
		cl := f.client(t)
		resp := cl.ssoSignIn(f.agent.Email, "/tickets?status=new", nil)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, body(t, resp))
		require.Equal(t, "/tickets?status=new", resp.Header.Get("Location"))
		resp = cl.get("/dashboard")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, body(t, resp), "Acme Ltda")
		evs, err := f.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.LoginSucceeded, Limit: 1})
		require.NoError(t, err)
		require.Equal(t, f.agent.Email, evs[0].Email)
		require.Contains(t, evs[0].Detail, "single sign-on")
	})

	t.Run("next never leaves the console", func(t *testing.T) {
		idp.SetUser(ssotest.User{Subject: "beto", Email: f.agent.Email, EmailVerified: true})
		for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/%0d%0aSet-Cookie:x=1"} {
			cl := f.client(t)
			resp := cl.ssoSignIn(f.agent.Email, next, nil)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode, next)
			loc := resp.Header.Get("Location")
			require.True(t, strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") && !strings.Contains(loc, "evil"), "%q led to %q", next, loc)
		}
	})

	t.Run("a callback without this browser's flow is refused (CSRF)", func(t *testing.T) {
		idp.SetUser(ssotest.User{Subject: "beto", Email: f.agent.Email, EmailVerified: true})
		victim := f.client(t)
		// The attacker starts a sign-in and hands the callback to a victim.
		resp := f.client(t).ssoSignIn(f.agent.Email, "", func(*url.URL) *client { return victim })
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		html := body(t, resp)
		require.Contains(t, html, "Este login não começou neste navegador")
		require.Equal(t, http.StatusSeeOther, victim.get("/dashboard").StatusCode, "the victim is not signed in")
		// A forged state in the right browser is refused too.
		cl := f.client(t)
		resp = cl.ssoSignIn(f.agent.Email, "", func(u *url.URL) *client {
			q := u.Query()
			q.Set("state", "forged")
			u.RawQuery = q.Encode()
			return cl
		})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	})

	t.Run("refusals explain themselves in the person's language", func(t *testing.T) {
		for _, tc := range []struct {
			user   ssotest.User
			tamper func(map[string]any)
			status int
			text   string
		}{
			{ssotest.User{Subject: "x", Email: "mallory@evil.test", EmailVerified: true}, nil, 403, "O domínio do seu e-mail não tem permissão"},
			{ssotest.User{Subject: "x", Email: f.agent.Email}, nil, 401, "não verificou o seu e-mail"},
			{ssotest.User{Subject: "x", Email: f.agent.Email, EmailVerified: true}, func(c map[string]any) { c["aud"] = "other" }, 401, "Não foi possível verificar"},
		} {
			idp.SetUser(tc.user)
			idp.SetTamper(tc.tamper)
			resp := f.client(t).ssoSignIn(f.agent.Email, "", nil)
			idp.SetTamper(nil)
			require.Equal(t, tc.status, resp.StatusCode)
			require.Contains(t, body(t, resp), tc.text)
		}
	})

	t.Run("an email no company signs in with is told so", func(t *testing.T) {
		resp := f.client(t).post("/signin/sso", url.Values{"sso_email": {f.outsider.Email}})
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		html := body(t, resp)
		require.Contains(t, html, `id="sso_email-error"`)
		require.Contains(t, html, "Nenhuma empresa usa login único")
		resp = f.client(t).post("/signin/sso", url.Values{"sso_email": {""}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	})

	t.Run("password sign-in turned off: the form points to single sign-on", func(t *testing.T) {
		off := false
		_, err := f.desk.SSO.UpdateSettings(t.Context(), f.admin.actor(), sso.SettingsInput{PasswordSignIn: &off})
		require.NoError(t, err)
		defer func() {
			on := true
			_, err := f.desk.SSO.UpdateSettings(t.Context(), f.admin.actor(), sso.SettingsInput{PasswordSignIn: &on})
			require.NoError(t, err)
		}()
		resp := f.client(t).post("/signin", url.Values{"email": {f.agent.Email}, "password": {password}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		require.Contains(t, body(t, resp), "A sua empresa só permite o login único")
		f.client(t).signIn(f.outsider) // another company is not concerned
		f.client(t).signIn(f.root)     // nor platform admins
		idp.SetUser(ssotest.User{Subject: "beto", Email: f.agent.Email, EmailVerified: true})
		require.Equal(t, http.StatusSeeOther, f.client(t).ssoSignIn(f.agent.Email, "", nil).StatusCode)
	})

	t.Run("the settings page: admins only, the secret never shown", func(t *testing.T) {
		admin := f.client(t)
		admin.signIn(f.admin)
		resp := admin.get("/admin/sso")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		html := body(t, resp)
		require.Contains(t, html, f.srv.URL+"/signin/sso/callback")
		require.NotContains(t, html, ssoSecret)
		require.Contains(t, html, `data-testid="client_secret-state"`)

		resp = admin.post("/admin/sso", url.Values{"enabled": {"on"}, "issuer": {idp.Issuer()}, "client_id": {"console"},
			"allowed_domains": {"not a domain"}, "default_role": {"agent"}, "password_sign_in": {"on"}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		require.Contains(t, body(t, resp), `id="allowed_domains-error"`)
		resp = admin.post("/admin/sso", url.Values{"enabled": {"on"}, "issuer": {idp.Issuer()}, "client_id": {"console"},
			"allowed_domains": {"acme.test, ACME.example"}, "default_role": {"agent"}, "password_sign_in": {"on"}, "create_users": {"on"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		v, err := f.desk.SSO.Settings(t.Context(), f.admin.actor())
		require.NoError(t, err)
		require.Equal(t, []string{"acme.example", "acme.test"}, v.AllowedDomains)
		require.True(t, v.ClientSecretSet, "an empty secret field keeps the secret")
		require.Equal(t, tenant.RoleAgent, v.DefaultRole)

		agent := f.client(t)
		agent.signIn(f.agent)
		require.Equal(t, http.StatusForbidden, agent.get("/admin/sso").StatusCode)
	})
}
