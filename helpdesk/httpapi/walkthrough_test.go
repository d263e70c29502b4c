package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
)

// TestWalkthrough follows a new installation over HTTP only: the bootstrap
// admin logs in, creates a company, a contact and a user of each role; each
// user logs in and reads /auth/me; each role is refused what it may not
// do; refresh tokens rotate and a reused one revokes its session; and
// probing another company's IDs finds nothing, on every backend.
func TestWalkthrough(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		root := e.login(rootEmail, rootPassword).AccessToken

		companyID := func(name, cnpj string) string {
			r := e.do("POST", "/admin/api/companies", map[string]string{"name": name, "cnpj": cnpj}, "Authorization", root)
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			var c struct{ ID int64 }
			r.JSON(t, &c)
			return strconv.FormatInt(c.ID, 10)
		}
		acme := companyID("Acme", "11.222.333/0001-81")
		other := companyID("Other", "12.ABC.345/01DE-35")

		users := map[string]string{}
		var acmeContact string
		for _, role := range []string{"admin", "agent", "requester", "viewer"} {
			r := e.do("POST", "/admin/api/contacts", map[string]string{"name": "Acme " + role, "email": role + "@acme.test"},
				"Authorization", root, "X-Company-ID", acme)
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			var c struct{ ID int64 }
			r.JSON(t, &c)
			acmeContact = strconv.FormatInt(c.ID, 10)
			r = e.do("POST", "/admin/api/users", map[string]any{"email": role + "@acme.test", "password": "password-" + role,
				"role": role, "contact_id": c.ID}, "Authorization", root, "X-Company-ID", acme)
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			require.NotContains(t, string(r.Body), "password")

			tk := e.login(role+"@acme.test", "password-"+role)
			users[role] = tk.AccessToken
			r = e.do("GET", "/auth/me", nil, "Authorization", tk.AccessToken)
			require.Equal(t, http.StatusOK, r.Status)
			var m me
			r.JSON(t, &m)
			require.Equal(t, role, m.Role)
			require.Equal(t, acme, strconv.FormatInt(m.CompanyID, 10))
		}

		// What each role may not do.
		refusals := []struct {
			role, method, path string
			body               any
		}{
			{"admin", "POST", "/admin/api/companies", map[string]string{"name": "Mine"}},
			{"agent", "POST", "/admin/api/users", map[string]any{"email": "x@acme.test", "password": "password-x", "role": "admin", "contact_id": 1}},
			{"agent", "GET", "/admin/api/api_tokens", nil},
			{"requester", "GET", "/admin/api/contacts", nil},
			{"requester", "GET", "/admin/api/users", nil},
			{"viewer", "POST", "/admin/api/contacts", map[string]string{"name": "Nope"}},
			{"viewer", "DELETE", "/admin/api/contacts/" + acmeContact, nil},
		}
		for _, rf := range refusals {
			r := e.do(rf.method, rf.path, rf.body, "Authorization", users[rf.role])
			require.Equal(t, http.StatusForbidden, r.Status, "%s %s %s: %s", rf.role, rf.method, rf.path, r.Body)
		}
		denied, err := e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.PermissionError})
		require.NoError(t, err)
		require.EqualValues(t, len(refusals), occurrences(denied), "every refusal is in the security audit")
		for _, ev := range denied {
			require.NotZero(t, ev.UserID, "refusals name the user")
		}

		// Refresh rotation and reuse detection.
		s := e.login("agent@acme.test", "password-agent")
		r := e.do("POST", "/auth/refresh", map[string]string{"refresh_token": s.RefreshToken})
		require.Equal(t, http.StatusOK, r.Status)
		r = e.do("POST", "/auth/refresh", map[string]string{"refresh_token": s.RefreshToken})
		require.Equal(t, http.StatusUnauthorized, r.Status)

		// Another company's rows behave exactly like missing ones.
		r = e.do("POST", "/admin/api/contacts", map[string]string{"name": "Other person"}, "Authorization", root, "X-Company-ID", other)
		require.Equal(t, http.StatusCreated, r.Status)
		var foreign struct{ ID int64 }
		r.JSON(t, &foreign)
		fid := strconv.FormatInt(foreign.ID, 10)
		for _, probe := range []struct{ method, path string }{
			{"GET", "/admin/api/contacts/" + fid},
			{"PUT", "/admin/api/contacts/" + fid},
			{"DELETE", "/admin/api/contacts/" + fid},
			{"GET", "/admin/api/companies/" + other},
			{"GET", "/admin/api/contacts/999999"},
		} {
			var body any
			if probe.method == "PUT" {
				body = map[string]string{"name": "Hijacked"}
			}
			r := e.do(probe.method, probe.path, body, "Authorization", users["admin"])
			require.Equal(t, http.StatusNotFound, r.Status, "%s %s", probe.method, probe.path)
		}
		r = e.do("GET", "/admin/api/contacts/"+fid, nil, "Authorization", root, "X-Company-ID", other)
		require.Equal(t, http.StatusOK, r.Status)
		require.Contains(t, string(r.Body), `"name":"Other person"`, "the probes changed nothing")
	})
}
