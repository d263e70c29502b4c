package httpapi_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

type me struct {
	UserID      int64    `json:"user_id"`
	Email       string   `json:"email"`
	Role        string   `json:"role"`
	CompanyID   int64    `json:"company_id"`
	Principal   string   `json:"principal"`
	Permissions []string `json:"permissions"`
}

func TestLoginAndMe(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		co, roleTokens := e.company("Acme")

		for role, tok := range roleTokens {
			r := e.do("GET", "/auth/me", nil, "Authorization", tok)
			require.Equal(t, http.StatusOK, r.Status, "%s: %s", role, r.Body)
			var m me
			r.JSON(t, &m)
			require.Equal(t, string(role), m.Role)
			require.Equal(t, int64(co.ID), m.CompanyID)
			require.Equal(t, string(role)+"@acme.test", m.Email)
			require.Equal(t, len(tenant.PermissionsOf(role)), len(m.Permissions))
		}

		// The OAuth2 password form works too.
		r := e.do("POST", "/auth/login", "grant_type=password&username=agent%40acme.test&password=password-agent",
			"Content-Type", "application/x-www-form-urlencoded")
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var tk tokens
		r.JSON(t, &tk)
		require.Equal(t, "bearer", tk.TokenType)
		require.Equal(t, 900, tk.ExpiresIn)
		require.True(t, strings.HasPrefix(tk.RefreshToken, "bldr_"))
		require.Equal(t, "no-store", r.Header.Get("Cache-Control"))

		// A platform admin picks the company with X-Company-ID.
		r = e.do("GET", "/auth/me", nil, "Authorization", e.root, "X-Company-ID", strconv.FormatInt(int64(co.ID), 10))
		require.Equal(t, http.StatusOK, r.Status)
		var m me
		r.JSON(t, &m)
		require.Equal(t, "platform_admin", m.Role)
		require.Equal(t, int64(co.ID), m.CompanyID)
	})
}

func TestLoginRefusals(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		co, _ := e.company("Acme")
		tests := []struct {
			name        string
			body        any
			contentType string
			status      int
			typ         string
			fields      []string
		}{
			{"wrong password", map[string]string{"email": "agent@acme.test", "password": "nope-nope"}, "", 401, "invalid-credentials", nil},
			{"unknown email", map[string]string{"email": "ghost@acme.test", "password": "nope-nope"}, "", 401, "invalid-credentials", nil},
			{"missing fields", map[string]string{}, "", 422, "validation", []string{"email", "password"}},
			{"malformed JSON", `{"email": "a@b.co", "password": }`, "", 400, "malformed-json", nil},
			{"trailing data", `{"email": "a@b.co", "password": "x"} {}`, "", 400, "malformed-json", nil},
			{"unknown field", `{"email": "a@b.co", "password": "x", "role": "admin"}`, "", 422, "validation", []string{"role"}},
			{"wrong content type", `email=a`, "text/plain", 415, "unsupported-media-type", nil},
		}
		for _, tc := range tests {
			headers := []string{}
			if tc.contentType != "" {
				headers = append(headers, "Content-Type", tc.contentType)
			}
			r := e.do("POST", "/auth/login", tc.body, headers...)
			require.Equal(t, tc.status, r.Status, "%s: %s", tc.name, r.Body)
			p := r.Problem(t)
			require.True(t, strings.HasSuffix(p.Type, "/"+tc.typ), "%s: %s", tc.name, p.Type)
			require.Equal(t, tc.fields, p.Fields(), tc.name)
		}
		rejected, err := e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.RequestRejected})
		require.NoError(t, err)
		require.Len(t, rejected, 1, "the refusals from one address are one run")
		require.EqualValues(t, 4, occurrences(rejected), "malformed, trailing, unknown-field and wrong-type bodies are audited")

		// Deactivated users and companies cannot log in.
		admin, err := tenant.System().InCompany(co.ID)
		require.NoError(t, err)
		users, err := e.desk.Directory.ListUsers(t.Context(), admin, dirUserFilter("viewer"), pageAll())
		require.NoError(t, err)
		_, err = e.desk.Directory.DeactivateUser(t.Context(), admin, users.Items[0].ID)
		require.NoError(t, err)
		r := e.do("POST", "/auth/login", map[string]string{"email": "viewer@acme.test", "password": "password-viewer"})
		require.Equal(t, http.StatusForbidden, r.Status)
		require.True(t, strings.HasSuffix(r.Problem(t).Type, "/account-disabled"))

		_, err = e.desk.Directory.DeactivateCompany(t.Context(), tenant.System(), co.ID)
		require.NoError(t, err)
		r = e.do("POST", "/auth/login", map[string]string{"email": "agent@acme.test", "password": "password-agent"})
		require.Equal(t, http.StatusForbidden, r.Status)

		evs, err := e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.LoginFailed})
		require.NoError(t, err)
		require.Len(t, evs, 2, "both failed logins are in the audit")
		for _, ev := range evs {
			require.NotContains(t, ev.Detail, "nope-nope", "passwords never reach the audit")
		}
	})
}

func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		e.company("Acme")
		first := e.login("agent@acme.test", "password-agent")

		r := e.do("POST", "/auth/refresh", map[string]string{"refresh_token": first.RefreshToken})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var second tokens
		r.JSON(t, &second)
		require.NotEqual(t, first.RefreshToken, second.RefreshToken, "refresh tokens rotate")
		require.Equal(t, http.StatusOK, e.do("GET", "/auth/me", nil, "Authorization", second.AccessToken).Status)

		// Replaying the first token is reuse: the session is revoked, so
		// the second token dies with it.
		r = e.do("POST", "/auth/refresh", map[string]string{"refresh_token": first.RefreshToken})
		require.Equal(t, http.StatusUnauthorized, r.Status)
		require.True(t, strings.HasSuffix(r.Problem(t).Type, "/refresh-token-reused"))
		r = e.do("POST", "/auth/refresh", map[string]string{"refresh_token": second.RefreshToken})
		require.Equal(t, http.StatusUnauthorized, r.Status)
		require.True(t, strings.HasSuffix(r.Problem(t).Type, "/invalid-refresh-token"))

		evs, err := e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.TokenReuse})
		require.NoError(t, err)
		require.Len(t, evs, 1)

		// Logout revokes a session.
		third := e.login("agent@acme.test", "password-agent")
		require.Equal(t, http.StatusNoContent, e.do("POST", "/auth/logout", map[string]string{"refresh_token": third.RefreshToken}).Status)
		require.Equal(t, http.StatusUnauthorized, e.do("POST", "/auth/refresh", map[string]string{"refresh_token": third.RefreshToken}).Status)
		require.Equal(t, http.StatusUnauthorized, e.do("POST", "/auth/logout", map[string]string{"refresh_token": "bldr_unknown"}).Status)

		// Refresh tokens expire after 30 days unused.
		fourth := e.login("agent@acme.test", "password-agent")
		e.clock.Advance(31 * 24 * time.Hour)
		require.Equal(t, http.StatusUnauthorized, e.do("POST", "/auth/refresh", map[string]string{"refresh_token": fourth.RefreshToken}).Status)
	})
}

func TestBearerRefusals(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		_, roleTokens := e.company("Acme")
		agent := roleTokens[tenant.RoleAgent]
		parts := strings.Split(agent, ".")
		require.Len(t, parts, 3)
		header, _ := base64.RawURLEncoding.DecodeString(parts[0])
		noneHeader := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(header), `"HS256"`, `"none"`, 1)))
		forged, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "1", "role": "admin", "exp": time.Now().Add(time.Hour).Unix()}).
			SignedString([]byte("another-key-another-key-another-key!"))
		require.NoError(t, err)

		tests := []struct {
			name, header string
			typ          string
		}{
			{"no header", "", "unauthenticated"},
			{"alg none", "Bearer " + noneHeader + "." + parts[1] + ".", "unauthenticated"},
			{"other key", "Bearer " + forged, "unauthenticated"},
			{"tampered payload", "Bearer " + parts[0] + "." + parts[1] + "x." + parts[2], "unauthenticated"},
			{"basic scheme", "Basic YTpi", "unauthenticated"},
			{"bare bearer", "Bearer", "unauthenticated"},
			{"unknown API token", "Bearer bld_aaaaaaaa_" + strings.Repeat("A", 43), "unauthenticated"},
		}
		for _, tc := range tests {
			var r response
			if tc.header == "" {
				r = e.do("GET", "/auth/me", nil)
			} else {
				r = e.do("GET", "/auth/me", nil, "Authorization", tc.header)
			}
			require.Equal(t, http.StatusUnauthorized, r.Status, tc.name)
			require.True(t, strings.HasSuffix(r.Problem(t).Type, "/"+tc.typ), tc.name)
			require.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer", tc.name)
		}

		// Access tokens expire after 15 minutes.
		e.clock.Advance(16 * time.Minute)
		r := e.do("GET", "/auth/me", nil, "Authorization", agent)
		require.Equal(t, http.StatusUnauthorized, r.Status)
		require.True(t, strings.HasSuffix(r.Problem(t).Type, "/token-expired"))

		// X-Company-ID is for platform admins only.
		fresh := e.login("agent@acme.test", "password-agent").AccessToken
		r = e.do("GET", "/auth/me", nil, "Authorization", fresh, "X-Company-ID", "1")
		require.Equal(t, http.StatusForbidden, r.Status)
		evs, err := e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.CompanyRefused})
		require.NoError(t, err)
		require.Len(t, evs, 1)
		evs, err = e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.TokenInvalid})
		require.NoError(t, err)
		require.GreaterOrEqual(t, occurrences(evs), int64(5), "forged tokens are audited")
	})
}

func TestLoginRateLimitAndBlocking(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), httpapi.Config{LoginRate: 1.0 / 60, LoginBurst: 3, BlockThreshold: 5})
	e.company("Acme")
	bad := map[string]string{"email": "ghost@acme.test", "password": "wrong-password"}
	for range 3 {
		require.Equal(t, http.StatusUnauthorized, e.do("POST", "/auth/login", bad).Status)
	}
	r := e.do("POST", "/auth/login", bad)
	require.Equal(t, http.StatusTooManyRequests, r.Status)
	require.Equal(t, "60", r.Header.Get("Retry-After"))

	// Failed logins keep counting against the client IP until it is
	// blocked.
	for range 2 {
		e.clock.Advance(time.Minute)
		require.Equal(t, http.StatusUnauthorized, e.do("POST", "/auth/login", bad).Status)
	}
	r = e.do("GET", "/health", nil)
	require.Equal(t, http.StatusForbidden, r.Status, "a blocked IP is refused everywhere")
	require.True(t, strings.HasSuffix(r.Problem(t).Type, "/blocked"))
	require.NotEmpty(t, r.Header.Get("Retry-After"))

	e.clock.Advance(16 * time.Minute)
	require.Equal(t, http.StatusOK, e.do("GET", "/health", nil).Status, "blocks expire")
	evs, err := e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.RateLimited})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	evs, err = e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.IPBlocked})
	require.NoError(t, err)
	require.Len(t, evs, 1)
}
