package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// TestAPITokenOwnRateLimit: a company admin grants an integration's token
// a limit of its own; the token is held to it while other principals keep
// the server's, and bad limits are field errors that change nothing.
func TestAPITokenOwnRateLimit(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b.open(t), httpapi.Config{APIRate: 1, APIBurst: 2})
			_, users := e.company("Acme")
			// The admin is held to the server's burst of 2 too: a minute
			// before each of the admin's requests refills every bucket.
			adminDo := func(method, path string, body any, headers ...string) response {
				e.clock.Advance(time.Minute)
				return e.do(method, path, body, append([]string{"Authorization", "Bearer " + users[tenant.RoleAdmin]}, headers...)...)
			}
			create := func(body map[string]any) (int64, string) {
				r := adminDo("POST", "/admin/api/api_tokens", body)
				require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
				var made struct {
					ID    int64   `json:"id"`
					Token string  `json:"token"`
					Rate  float64 `json:"rate"`
					Burst int     `json:"burst"`
				}
				r.JSON(t, &made)
				return made.ID, made.Token
			}
			perms := []string{"contacts.read"}
			fastID, fast := create(map[string]any{"name": "ERP", "permissions": perms, "rate": 1, "burst": 5})
			_, plain := create(map[string]any{"name": "CRM", "permissions": perms})
			e.clock.Advance(time.Minute)
			me := func(token string) int { return e.do("GET", "/auth/me", nil, "Authorization", "Bearer "+token).Status }

			for i := range 5 {
				require.Equal(t, http.StatusOK, me(fast), "request %d within the token's burst of 5", i+1)
			}
			require.Equal(t, http.StatusTooManyRequests, me(fast), "the token's own burst is spent")
			require.Equal(t, http.StatusOK, me(plain))
			require.Equal(t, http.StatusOK, me(plain))
			require.Equal(t, http.StatusTooManyRequests, me(plain), "the server's burst of 2 holds for other tokens")
			e.clock.Advance(time.Second)
			require.Equal(t, http.StatusOK, me(fast), "a second refills one request at the token's rate")

			// Shown, changed and validated through the admin API.
			path := "/admin/api/api_tokens/" + strconv.FormatInt(fastID, 10)
			r := adminDo("GET", path, nil)
			var got map[string]any
			r.JSON(t, &got)
			require.EqualValues(t, 1, got["rate"])
			require.EqualValues(t, 5, got["burst"])
			version := strconv.FormatFloat(got["version"].(float64), 'f', 0, 64)
			for _, bad := range []struct {
				body  map[string]any
				field string
			}{
				{map[string]any{"rate": -1}, "rate"},
				{map[string]any{"rate": 1e9}, "rate"},
				{map[string]any{"rate": 0, "burst": 3}, "burst"},
				{map[string]any{"rate": 10, "burst": -3}, "burst"},
			} {
				r := adminDo("PUT", path, bad.body, "If-Match", `"v`+version+`"`)
				require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%v: %s", bad.body, r.Body)
				require.Contains(t, r.Problem(t).Fields(), bad.field)
			}
			r = adminDo("PUT", path, map[string]any{"rate": 20}, "If-Match", `"v`+version+`"`)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			r.JSON(t, &got)
			require.EqualValues(t, 20, got["rate"])
			require.EqualValues(t, 40, got["burst"], "a rate without a burst gets twice the rate")
			e.clock.Advance(time.Minute)
			for range 40 {
				require.Equal(t, http.StatusOK, me(fast))
			}
			require.Equal(t, http.StatusTooManyRequests, me(fast))

			r = adminDo("POST", "/admin/api/api_tokens", map[string]any{"name": "Bad", "permissions": perms, "burst": 4})
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
			require.Contains(t, r.Problem(t).Fields(), "burst")
		})
	}
}
