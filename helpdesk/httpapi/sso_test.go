package httpapi_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/sso/ssotest"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/memory"
)

const (
	ssoClientID = "boladao-test"
	ssoSecret   = "test-client-secret"
)

// ssoEnv is an API server and an OpenID Connect provider on loopback,
// with company Acme set up for single sign-on.
type ssoEnv struct {
	*env
	idp   *ssotest.Provider
	acme  directory.Company
	users map[tenant.Role]string
}

func newSSOEnv(t *testing.T, e *env) *ssoEnv {
	t.Helper()
	idp, err := ssotest.New(ssotest.Config{ClientID: ssoClientID, ClientSecret: ssoSecret, Now: e.clock.Now})
	require.NoError(t, err)
	t.Cleanup(idp.Close)
	acme, users := e.company("Acme")
	s := &ssoEnv{env: e, idp: idp, acme: acme, users: users}
	r := e.do("PUT", "/api/integrations/sso/settings", map[string]any{"enabled": true, "issuer": idp.Issuer(),
		"client_id": ssoClientID, "client_secret": ssoSecret, "allowed_domains": []string{"acme.test", "ACME.example"},
		"default_role": "agent", "create_users": true}, "Authorization", users[tenant.RoleAdmin])
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	return s
}

// flow runs a sign-in from start to callback with a cookie jar, checking
// every exchange with the API against the OpenAPI document; bend changes
// the callback's URL before it is followed. It returns the callback's
// response.
func (s *ssoEnv) flow(t *testing.T, start string, bend func(u *url.URL, c *http.Client)) response {
	t.Helper()
	s.clock.Advance(2 * time.Second) // the start and the callback each take a sign-in of the client IP's budget
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r := s.get(t, c, s.srv.URL+start, true)
	require.Equal(t, http.StatusFound, r.Status, "start: %s", r.Body)
	require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	loc, err := url.Parse(r.Header.Get("Location"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(loc.String(), s.idp.Issuer()+"/authorize?"), loc.String())
	q := loc.Query()
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.NotEmpty(t, q.Get("state"))
	require.NotEmpty(t, q.Get("nonce"))
	require.Equal(t, s.srv.URL+"/auth/sso/callback", q.Get("redirect_uri"))
	var flowCookie *http.Cookie
	for _, ck := range r.cookies() {
		if ck.Name == "boladao_sso_flow" {
			flowCookie = ck
		}
	}
	require.NotNil(t, flowCookie, "the flow travels in a cookie")
	require.True(t, flowCookie.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, flowCookie.SameSite)
	require.NotContains(t, flowCookie.Value, q.Get("state"), "the cookie is sealed")

	r = s.get(t, c, loc.String(), false) // the provider
	require.Equal(t, http.StatusFound, r.Status, "provider: %s", r.Body)
	back, err := url.Parse(r.Header.Get("Location"))
	require.NoError(t, err)
	if bend != nil {
		bend(back, c)
	}
	return s.get(t, c, back.String(), true)
}

func (r response) cookies() []*http.Cookie { return (&http.Response{Header: r.Header}).Cookies() }

// get sends a GET with c; api exchanges are checked against the document.
func (s *ssoEnv) get(t *testing.T, c *http.Client, target string, api bool) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", target, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if api {
		checkExchange(t, s.srv.URL, req, nil, r)
	}
	return r
}

func (s *ssoEnv) me(t *testing.T, access string) map[string]any {
	t.Helper()
	r := s.do("GET", "/auth/me", nil, "Authorization", access)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var m map[string]any
	r.JSON(t, &m)
	return m
}

func TestSSOSignIn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		s := newSSOEnv(t, e)
		start := "/auth/sso/" + strconv.FormatInt(int64(s.acme.ID), 10) + "/start"

		t.Run("first sign-in creates the user with the default role", func(t *testing.T) {
			s.idp.SetUser(ssotest.User{Subject: "new-1", Email: "New.Person@ACME.test", EmailVerified: true, Name: "New Person"})
			r := s.flow(t, start, nil)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
			var tk tokens
			r.JSON(t, &tk)
			require.NotEmpty(t, tk.RefreshToken)
			me := s.me(t, tk.AccessToken)
			require.Equal(t, "agent", me["role"])
			require.Equal(t, "new.person@acme.test", me["email"])
			require.EqualValues(t, s.acme.ID, me["company_id"])
			evs, err := e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.LoginSucceeded})
			require.NoError(t, err)
			require.Equal(t, "new.person@acme.test", evs[0].Email)
			require.Contains(t, evs[0].Detail, "created on first sign-in")

			// The second time the same user is matched, not created again.
			r = s.flow(t, start, nil)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			r.JSON(t, &tk)
			require.Equal(t, me["user_id"], s.me(t, tk.AccessToken)["user_id"])
		})

		t.Run("an existing user is matched by email, keeping its role", func(t *testing.T) {
			s.idp.SetUser(ssotest.User{Subject: "adm", Email: "admin@acme.test", EmailVerified: true})
			r := s.flow(t, "/auth/sso/acme.test/start?login_hint=admin@acme.test", nil)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			var tk tokens
			r.JSON(t, &tk)
			require.Equal(t, "admin", s.me(t, tk.AccessToken)["role"])
			// The company may also be named by an email.
			r = s.flow(t, "/auth/sso/someone@acme.example/start", nil)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		})

		refusals := []struct {
			name   string
			user   ssotest.User
			tamper func(map[string]any)
			bend   func(u *url.URL, c *http.Client)
			status int
			typ    string
			detail string
		}{
			{name: "ID token for another client", tamper: func(c map[string]any) { c["aud"] = "another-client" },
				status: 401, typ: "sso-id-token-invalid", detail: "audience"},
			{name: "ID token of another issuer", tamper: func(c map[string]any) { c["iss"] = "https://evil.example" },
				status: 401, typ: "sso-id-token-invalid", detail: "different provider"},
			{name: "expired ID token", tamper: func(c map[string]any) { c["exp"] = e.clock.Now().Add(-time.Minute).Unix() },
				status: 401, typ: "sso-id-token-expired"},
			{name: "foreign nonce", tamper: func(c map[string]any) { c["nonce"] = "replayed-from-another-sign-in" },
				status: 401, typ: "sso-nonce-mismatch"},
			{name: "no nonce", tamper: func(c map[string]any) { delete(c, "nonce") },
				status: 401, typ: "sso-nonce-mismatch"},
			{name: "unverified email", user: ssotest.User{Subject: "u", Email: "agent@acme.test", EmailVerified: false},
				status: 401, typ: "sso-email-unverified"},
			{name: "email_verified as a string other than true", tamper: func(c map[string]any) { c["email_verified"] = "false" },
				status: 401, typ: "sso-email-unverified"},
			{name: "no email", tamper: func(c map[string]any) { delete(c, "email") },
				status: 401, typ: "sso-email-missing"},
			{name: "domain not allowed", user: ssotest.User{Subject: "x", Email: "mallory@evil.test", EmailVerified: true},
				status: 403, typ: "sso-domain-not-allowed"},
			{name: "look-alike domain", user: ssotest.User{Subject: "x", Email: "mallory@notacme.test", EmailVerified: true},
				status: 403, typ: "sso-domain-not-allowed"},
			{name: "forged state", bend: func(u *url.URL, _ *http.Client) {
				q := u.Query()
				q.Set("state", "forged")
				u.RawQuery = q.Encode()
			}, status: 401, typ: "sso-state-invalid"},
			{name: "missing state", bend: func(u *url.URL, _ *http.Client) {
				q := u.Query()
				q.Del("state")
				u.RawQuery = q.Encode()
			}, status: 401, typ: "sso-state-invalid"},
			{name: "callback without the flow cookie (CSRF: another browser's code)", bend: func(_ *url.URL, c *http.Client) {
				jar, _ := cookiejar.New(nil)
				c.Jar = jar
			}, status: 401, typ: "sso-state-invalid"},
			{name: "tampered flow cookie", bend: func(u *url.URL, c *http.Client) {
				base, _ := url.Parse(u.String())
				for _, ck := range c.Jar.Cookies(base) {
					if ck.Name == "boladao_sso_flow" {
						jar, _ := cookiejar.New(nil)
						v := []byte(ck.Value)
						v[10] ^= 1 // another base64url letter: one bit of the ciphertext
						jar.SetCookies(base, []*http.Cookie{{Name: ck.Name, Value: string(v), Path: "/auth/sso/"}})
						c.Jar = jar
					}
				}
			}, status: 401, typ: "sso-state-invalid"},
			{name: "provider error", bend: func(u *url.URL, _ *http.Client) {
				q := u.Query()
				q.Del("code")
				q.Set("error", "access_denied")
				u.RawQuery = q.Encode()
			}, status: 401, typ: "sso-provider-error", detail: "access_denied"},
			{name: "forged code", bend: func(u *url.URL, _ *http.Client) {
				q := u.Query()
				q.Set("code", "forged")
				u.RawQuery = q.Encode()
			}, status: 401, typ: "sso-code-exchange-failed", detail: "invalid_grant"},
		}
		for _, tc := range refusals {
			t.Run(tc.name, func(t *testing.T) {
				user := tc.user
				if user.Email == "" {
					user = ssotest.User{Subject: "agent", Email: "agent@acme.test", EmailVerified: true}
				}
				s.idp.SetUser(user)
				s.idp.SetTamper(tc.tamper)
				defer s.idp.SetTamper(nil)
				r := s.flow(t, start, tc.bend)
				require.Equal(t, tc.status, r.Status, "%s", r.Body)
				p := r.Problem(t)
				require.True(t, strings.HasSuffix(p.Type, "/"+tc.typ), p.Type)
				require.Contains(t, p.Detail, tc.detail)
				require.NotContains(t, string(r.Body), ssoSecret)
				require.Empty(t, r.cookies()[0].Value, "the flow cookie is cleared")
				evs, err := e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.LoginFailed, Limit: 1})
				require.NoError(t, err)
				require.Contains(t, evs[0].Detail, strings.ReplaceAll(strings.TrimPrefix(tc.typ, "sso-"), "-", "_"))
				require.NotContains(t, evs[0].Detail, ssoSecret)
			})
		}

		t.Run("a callback replayed is refused", func(t *testing.T) {
			s.idp.SetUser(ssotest.User{Subject: "agent", Email: "agent@acme.test", EmailVerified: true})
			var replay string
			var client *http.Client
			r := s.flow(t, start, func(u *url.URL, c *http.Client) { replay, client = u.String(), c })
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			r = s.get(t, client, replay, true)
			require.Equal(t, http.StatusUnauthorized, r.Status)
			require.True(t, strings.HasSuffix(r.Problem(t).Type, "/sso-state-invalid"))
		})

		t.Run("a deactivated user is refused", func(t *testing.T) {
			admin, err := tenant.System().InCompany(s.acme.ID)
			require.NoError(t, err)
			u, err := e.desk.Directory.CreateContact(t.Context(), admin, directory.ContactInput{Name: "Gone", Email: "gone@acme.test"})
			require.NoError(t, err)
			gone, err := e.desk.Directory.CreateUser(t.Context(), admin, directory.UserInput{Email: "gone@acme.test",
				Password: "password-gone", Role: tenant.RoleAgent, ContactID: u.ID})
			require.NoError(t, err)
			_, err = e.desk.Directory.DeactivateUser(t.Context(), admin, gone.ID)
			require.NoError(t, err)
			s.idp.SetUser(ssotest.User{Subject: "gone", Email: "gone@acme.test", EmailVerified: true})
			r := s.flow(t, start, nil)
			require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
			require.True(t, strings.HasSuffix(r.Problem(t).Type, "/sso-account-disabled"))
			evs, err := e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.LoginDisabled, Limit: 1})
			require.NoError(t, err)
			require.Equal(t, "gone@acme.test", evs[0].Email)
		})

		t.Run("a user of another company is refused", func(t *testing.T) {
			e.company("Other")
			s.idp.SetUser(ssotest.User{Subject: "o", Email: "agent@other.test", EmailVerified: true})
			// The provider vouches for an Other address, but Acme allows
			// only its domains: refused before any user is looked at.
			r := s.flow(t, start, nil)
			require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
			require.True(t, strings.HasSuffix(r.Problem(t).Type, "/sso-domain-not-allowed"))
		})

		t.Run("without user creation an unknown person is refused", func(t *testing.T) {
			r := e.do("PUT", "/api/integrations/sso/settings", map[string]any{"create_users": false}, "Authorization", s.users[tenant.RoleAdmin])
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			defer e.do("PUT", "/api/integrations/sso/settings", map[string]any{"create_users": true}, "Authorization", s.users[tenant.RoleAdmin])
			s.idp.SetUser(ssotest.User{Subject: "n2", Email: "stranger@acme.test", EmailVerified: true})
			r = s.flow(t, start, nil)
			require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
			require.True(t, strings.HasSuffix(r.Problem(t).Type, "/sso-user-unknown"))
			admin, err := tenant.System().InCompany(s.acme.ID)
			require.NoError(t, err)
			users, err := e.desk.Directory.ListUsers(t.Context(), admin, directory.UserFilter{}, storage.PageRequest{Limit: 200})
			require.NoError(t, err)
			for _, u := range users.Items {
				require.NotEqual(t, "stranger@acme.test", u.Email, "no user was created")
			}
		})

		t.Run("the provider's discovery is cached per issuer", func(t *testing.T) {
			require.EqualValues(t, 1, s.idp.Discoveries())
		})
	})
}

func TestSSOStartRefusals(t *testing.T) {
	e := newEnv(t, memory.New(), httpapi.Config{})
	s := newSSOEnv(t, e)
	other, otherUsers := e.company("Other")
	for _, tc := range []struct {
		name, path string
		status     int
		typ        string
	}{
		{"company without single sign-on", "/auth/sso/" + strconv.FormatInt(int64(other.ID), 10) + "/start", 404, "sso-not-configured"},
		{"company that does not exist", "/auth/sso/999999/start", 404, "sso-not-configured"},
		{"domain no company allows", "/auth/sso/nobody.example/start", 404, "sso-not-configured"},
		{"email of a domain no company allows", "/auth/sso/x@other.test/start", 404, "sso-not-configured"},
		{"nonsense", "/auth/sso/%25%27/start", 404, "sso-not-configured"},
		{"zero", "/auth/sso/0/start", 404, "sso-not-configured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", tc.path, nil)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.True(t, strings.HasSuffix(r.Problem(t).Type, "/"+tc.typ))
			require.Empty(t, r.Header.Get("Set-Cookie"))
		})
	}

	t.Run("an unreachable provider is a 502 problem, not a 500", func(t *testing.T) {
		r := e.do("PUT", "/api/integrations/sso/settings", map[string]any{"enabled": true, "issuer": "http://127.0.0.1:1",
			"client_id": "c", "allowed_domains": []string{"other.test"}}, "Authorization", otherUsers[tenant.RoleAdmin])
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		r = e.do("GET", "/auth/sso/other.test/start", nil)
		require.Equal(t, http.StatusBadGateway, r.Status, "%s", r.Body)
		require.True(t, strings.HasSuffix(r.Problem(t).Type, "/sso-provider-unavailable"))
	})

	t.Run("settings: admins only, secret never returned, isolated per company", func(t *testing.T) {
		r := e.do("GET", "/api/integrations/sso/settings", nil, "Authorization", s.users[tenant.RoleAdmin])
		require.Equal(t, http.StatusOK, r.Status)
		require.NotContains(t, string(r.Body), ssoSecret)
		var got map[string]any
		r.JSON(t, &got)
		require.Equal(t, true, got["client_secret_set"])
		require.Equal(t, []any{"acme.example", "acme.test"}, got["allowed_domains"])
		for _, role := range []tenant.Role{tenant.RoleAgent, tenant.RoleRequester, tenant.RoleViewer} {
			r = e.do("GET", "/api/integrations/sso/settings", nil, "Authorization", s.users[role])
			require.Equal(t, http.StatusForbidden, r.Status, role)
			r = e.do("PUT", "/api/integrations/sso/settings", map[string]any{"enabled": false}, "Authorization", s.users[role])
			require.Equal(t, http.StatusForbidden, r.Status, role)
		}
		r = e.do("GET", "/api/integrations/sso/settings", nil, "Authorization", otherUsers[tenant.RoleAdmin])
		require.Equal(t, http.StatusOK, r.Status)
		r.JSON(t, &got)
		require.Equal(t, false, got["client_secret_set"], "another company's settings are its own")
		require.Equal(t, "http://127.0.0.1:1", got["issuer"])
	})

	t.Run("settings refuse what cannot work and change nothing", func(t *testing.T) {
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"issuer": "ftp://idp.example"}, "issuer"},
			{map[string]any{"issuer": "http://idp.example"}, "issuer"}, // plain http off loopback
			{map[string]any{"allowed_domains": []string{"not a domain"}}, "allowed_domains"},
			{map[string]any{"allowed_domains": []string{}}, "allowed_domains"}, // enabled needs one
			{map[string]any{"default_role": "admin"}, "default_role"},
			{map[string]any{"enabled": false, "password_sign_in": false}, "password_sign_in"},
			{map[string]any{"client_id": ""}, "client_id"},
		} {
			r := e.do("PUT", "/api/integrations/sso/settings", tc.body, "Authorization", s.users[tenant.RoleAdmin])
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%v: %s", tc.body, r.Body)
			require.Contains(t, r.Problem(t).Fields(), tc.field)
		}
		r := e.do("GET", "/api/integrations/sso/settings", nil, "Authorization", s.users[tenant.RoleAdmin])
		var got map[string]any
		r.JSON(t, &got)
		require.EqualValues(t, 1, got["version"], "refusals changed nothing")
		r = e.do("PUT", "/api/integrations/sso/settings", map[string]any{"default_role": "viewer"}, "Authorization",
			s.users[tenant.RoleAdmin], "If-Match", `"v7"`)
		require.Equal(t, http.StatusPreconditionFailed, r.Status)
	})

	t.Run("password sign-in turned off: the API refuses it and points to SSO; platform admins keep it", func(t *testing.T) {
		r := e.do("PUT", "/api/integrations/sso/settings", map[string]any{"password_sign_in": false}, "Authorization", s.users[tenant.RoleAdmin])
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		r = e.do("POST", "/auth/login", map[string]string{"email": "agent@acme.test", "password": "password-agent"})
		require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
		p := r.Problem(t)
		require.True(t, strings.HasSuffix(p.Type, "/password-sign-in-disabled"))
		require.Contains(t, p.Detail, "single sign-on")
		// A wrong password still says only that: nothing about SSO.
		r = e.do("POST", "/auth/login", map[string]string{"email": "agent@acme.test", "password": "wrong-password"})
		require.Equal(t, http.StatusUnauthorized, r.Status)
		e.login("agent@other.test", "password-agent") // another company is not concerned
		e.login(rootEmail, rootPassword)
		// Single sign-on still works.
		s.idp.SetUser(ssotest.User{Subject: "agent", Email: "agent@acme.test", EmailVerified: true})
		r = s.flow(t, "/auth/sso/acme.test/start", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	})
}

func TestSSOPublicURL(t *testing.T) {
	for _, bad := range []string{"helpdesk.example.com", "ftp://helpdesk.example.com", "https://helpdesk.example.com/?x=1"} {
		require.Error(t, httpapi.Config{PublicURL: bad}.Validate(), bad)
	}
	e := newEnv(t, memory.New(), httpapi.Config{PublicURL: "https://helpdesk.example/hd/"})
	s := newSSOEnv(t, e)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r := s.get(t, c, e.srv.URL+"/auth/sso/acme.test/start", true)
	require.Equal(t, http.StatusFound, r.Status, "%s", r.Body)
	loc, err := url.Parse(r.Header.Get("Location"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(loc.String(), s.idp.Issuer()))
	require.Equal(t, "https://helpdesk.example/hd/auth/sso/callback", loc.Query().Get("redirect_uri"))
	require.Equal(t, "/hd/auth/sso/", r.cookies()[0].Path, "the cookie follows the prefix")
}
