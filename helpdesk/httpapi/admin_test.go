package httpapi_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// adminPassword is the password of every user the admin tests create.
const adminPassword = "Adm1n-Test-Passw0rd"

// adminPasswords are the plain passwords that must never appear in a
// response body.
var adminPasswords = []string{adminPassword, "Adm1n-Changed-Passw0rd", rootPassword,
	"password-admin", "password-agent", "password-requester", "password-viewer"}

// adminFixture is an API over one backend with two companies, Acme (a) and
// Beta (b), each with an admin, agent, requester and viewer.
type adminFixture struct {
	*env
	a, b   directory.Company
	ta, tb map[tenant.Role]string
	seq    int
}

func newAdminFixture(e *env) *adminFixture {
	e.t.Helper()
	f := &adminFixture{env: e}
	f.a, f.ta = e.company("Acme")
	f.b, f.tb = e.company("Beta")
	return f
}

// call sends a request and checks that no response ever carries a
// password or a password hash. Each call advances the test clock by 20 ms
// so that the per-principal rate limit (50/s, which reads that clock)
// refills as fast as the tests spend it.
func (f *adminFixture) call(method, path string, body any, headers ...string) response {
	f.t.Helper()
	f.clock.Advance(20 * time.Millisecond)
	r := f.do(method, path, body, headers...)
	s := string(r.Body)
	for _, h := range []string{"$2a$", "$2b$", "$2y$"} {
		require.NotContains(f.t, s, h, "%s %s leaked a bcrypt hash", method, path)
	}
	for _, pw := range adminPasswords {
		require.NotContains(f.t, s, pw, "%s %s leaked a password", method, path)
	}
	if r.Status < 300 {
		require.NotContains(f.t, s, "password", "%s %s: a success body mentions a password", method, path)
	}
	return r
}

// next returns a number unique within the fixture, for names and emails.
func (f *adminFixture) next() int {
	f.seq++
	return f.seq
}

func bearer(token string) []string { return []string{"Authorization", token} }

// rootIn is the platform admin acting in company c.
func (f *adminFixture) rootIn(c directory.Company) []string {
	return []string{"Authorization", f.root, "X-Company-ID", strconv.FormatInt(int64(c.ID), 10)}
}

// system is the platform itself acting in company c, for set-up through
// the services.
func (f *adminFixture) system(c directory.Company) tenant.Actor {
	f.t.Helper()
	a, err := tenant.System().InCompany(c.ID)
	require.NoError(f.t, err)
	return a
}

// newContact creates a contact of c through the service.
func (f *adminFixture) newContact(c directory.Company) directory.Contact {
	f.t.Helper()
	ct, err := f.desk.Directory.CreateContact(f.t.Context(), f.system(c), directory.ContactInput{Name: fmt.Sprintf("Contact %d", f.next())})
	require.NoError(f.t, err)
	return ct
}

// newUser creates a viewer of c through the service.
func (f *adminFixture) newUser(c directory.Company) directory.User {
	f.t.Helper()
	ct := f.newContact(c)
	u, err := f.desk.Directory.CreateUser(f.t.Context(), f.system(c), directory.UserInput{
		Email: fmt.Sprintf("user%d@%d.test", f.next(), c.ID), Password: adminPassword, Role: tenant.RoleViewer, ContactID: ct.ID})
	require.NoError(f.t, err)
	return u
}

// newToken creates an API token of c through the service.
func (f *adminFixture) newToken(c directory.Company) directory.APIToken {
	f.t.Helper()
	tk, _, err := f.desk.Directory.CreateAPIToken(f.t.Context(), f.system(c), directory.APITokenInput{
		Name: fmt.Sprintf("token %d", f.next()), Permissions: []tenant.Permission{tenant.PermContactsRead}})
	require.NoError(f.t, err)
	return tk
}

// newCompany creates a company through the service.
func (f *adminFixture) newCompany() directory.Company {
	f.t.Helper()
	c, err := f.desk.Directory.CreateCompany(f.t.Context(), tenant.System(), directory.CompanyInput{Name: fmt.Sprintf("Company %d", f.next())})
	require.NoError(f.t, err)
	return c
}

// versionOf reads the current version of a row of company c through the
// services.
func (f *adminFixture) versionOf(model string, c directory.Company, id int64) int64 {
	f.t.Helper()
	ctx, d, sys := f.t.Context(), f.desk.Directory, f.system(c)
	var (
		v   int64
		err error
	)
	switch model {
	case "companies":
		var x directory.Company
		x, err = d.GetCompany(ctx, tenant.System(), tenant.CompanyID(id))
		v = x.Version
	case "contacts":
		var x directory.Contact
		x, err = d.GetContact(ctx, sys, tenant.ContactID(id))
		v = x.Version
	case "users":
		var x directory.User
		x, err = d.GetUser(ctx, sys, tenant.UserID(id))
		v = x.Version
	case "api_tokens":
		var x directory.APIToken
		x, err = d.GetAPIToken(ctx, sys, id)
		v = x.Version
	default:
		f.t.Fatalf("unknown model %q", model)
	}
	require.NoError(f.t, err)
	return v
}

// object decodes a JSON object response.
func object(t *testing.T, r response) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// idOf returns the "id" of a decoded resource.
func idOf(t *testing.T, m map[string]any) int64 {
	t.Helper()
	id, ok := m["id"].(float64)
	require.True(t, ok, "no numeric id in %v", m)
	return int64(id)
}

// listIDs decodes a list response into its item IDs and next cursor.
func listIDs(t *testing.T, r response) ([]int64, string) {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var page struct {
		Items      []map[string]any `json:"items"`
		NextCursor string           `json:"next_cursor"`
	}
	r.JSON(t, &page)
	require.NotNil(t, page.Items, "items must be an array, never null: %s", r.Body)
	ids := make([]int64, len(page.Items))
	for i, it := range page.Items {
		ids[i] = idOf(t, it)
	}
	return ids, page.NextCursor
}

func itemPath(model string, id int64) string {
	return "/admin/api/" + model + "/" + strconv.FormatInt(id, 10)
}

func requireUTC(t *testing.T, m map[string]any, fields ...string) {
	t.Helper()
	for _, name := range fields {
		s, ok := m[name].(string)
		require.True(t, ok, "%s missing in %v", name, m)
		at, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err, "%s", name)
		require.True(t, strings.HasSuffix(s, "Z"), "%s is not UTC: %s", name, s)
		require.False(t, at.IsZero())
	}
}

func TestAdminCRUD(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newAdminFixture(e)
		tests := []struct {
			model   string
			as      func() []string
			create  func() map[string]any
			update  map[string]any
			changed func(t *testing.T, m map[string]any)
			// deleted checks the resource after DELETE.
			deleted func(t *testing.T, m map[string]any)
			keys    []string
		}{
			{
				model: "companies",
				as:    func() []string { return bearer(f.root) },
				create: func() map[string]any {
					return map[string]any{"name": "Gamma", "legal_name": "Gamma Ltda", "cnpj": "11.222.333/0001-81"}
				},
				update: map[string]any{"name": "Gamma Serviços", "timezone": "America/Manaus"},
				changed: func(t *testing.T, m map[string]any) {
					require.Equal(t, "Gamma Serviços", m["name"])
					require.Equal(t, "America/Manaus", m["timezone"])
				},
				deleted: func(t *testing.T, m map[string]any) { require.Equal(t, false, m["active"]) },
				keys:    []string{"id", "name", "legal_name", "cnpj", "timezone", "active", "version", "created_at", "updated_at"},
			},
			{
				model: "contacts",
				as:    func() []string { return bearer(f.ta[tenant.RoleAdmin]) },
				create: func() map[string]any {
					return map[string]any{"name": "Ana Souza", "email": "Ana@Example.com", "phone": "(11) 98765-4321"}
				},
				update: map[string]any{"whatsapp_opt_in": true, "name": "Ana S."},
				changed: func(t *testing.T, m map[string]any) {
					require.Equal(t, true, m["whatsapp_opt_in"])
					require.Equal(t, "Ana S.", m["name"])
					require.Equal(t, "ana@example.com", m["email"], "fields absent from a PUT are kept")
					require.Equal(t, "+5511987654321", m["phone"])
				},
				deleted: func(t *testing.T, m map[string]any) { require.Equal(t, false, m["active"]) },
				keys:    []string{"id", "company_id", "name", "email", "phone", "whatsapp_opt_in", "active", "version", "created_at", "updated_at"},
			},
			{
				model:   "contacts",
				as:      func() []string { return f.rootIn(f.a) },
				create:  func() map[string]any { return map[string]any{"name": "Bruno"} },
				update:  map[string]any{"email": "bruno@example.com"},
				changed: func(t *testing.T, m map[string]any) { require.Equal(t, "bruno@example.com", m["email"]) },
				deleted: func(t *testing.T, m map[string]any) { require.Equal(t, false, m["active"]) },
				keys:    []string{"id", "company_id", "name", "email", "phone", "whatsapp_opt_in", "active", "version", "created_at", "updated_at"},
			},
			{
				model: "users",
				as:    func() []string { return bearer(f.ta[tenant.RoleAdmin]) },
				create: func() map[string]any {
					return map[string]any{"email": "carla@acme.test", "password": adminPassword, "role": "agent", "contact_id": f.newContact(f.a).ID}
				},
				update:  map[string]any{"role": "viewer", "password": "Adm1n-Changed-Passw0rd"},
				changed: func(t *testing.T, m map[string]any) { require.Equal(t, "viewer", m["role"]) },
				deleted: func(t *testing.T, m map[string]any) { require.Equal(t, false, m["active"]) },
				keys:    []string{"id", "company_id", "contact_id", "email", "role", "active", "version", "created_at", "updated_at"},
			},
			{
				model: "api_tokens",
				as:    func() []string { return bearer(f.ta[tenant.RoleAdmin]) },
				create: func() map[string]any {
					return map[string]any{"name": "ERP", "permissions": []string{"contacts.read", "company.read"}, "expires_at": "2027-01-01T00:00:00-03:00"}
				},
				update:  map[string]any{"name": "ERP sync"},
				changed: func(t *testing.T, m map[string]any) { require.Equal(t, "ERP sync", m["name"]) },
				deleted: func(t *testing.T, m map[string]any) {
					require.Equal(t, true, m["revoked"])
					requireUTC(t, m, "revoked_at")
				},
				keys: []string{"id", "company_id", "name", "prefix", "permissions", "created_by", "expires_at", "revoked", "version", "created_at", "updated_at"},
			},
		}
		for _, tc := range tests {
			t.Run(tc.model, func(t *testing.T) {
				as := tc.as()
				r := f.call("POST", "/admin/api/"+tc.model, tc.create(), as...)
				require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
				made := object(t, r)
				id := idOf(t, made)
				loc := itemPath(tc.model, id)
				require.Equal(t, loc, r.Header.Get("Location"))
				require.Equal(t, `"v1"`, r.Header.Get("ETag"))
				require.EqualValues(t, 1, made["version"])
				requireUTC(t, made, "created_at", "updated_at")
				delete(made, "token")
				require.ElementsMatch(t, tc.keys, slices.Collect(maps.Keys(made)))

				r = f.call("GET", loc, nil, as...)
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
				require.Equal(t, `"v1"`, r.Header.Get("ETag"))
				require.Equal(t, made, object(t, r))

				r = f.call("PUT", loc, tc.update, append(as, "If-Match", `"v1"`)...)
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
				require.Equal(t, `"v2"`, r.Header.Get("ETag"))
				updated := object(t, r)
				tc.changed(t, updated)

				// A stale If-Match changes nothing, for PUT and DELETE.
				r = f.call("PUT", loc, tc.update, append(as, "If-Match", `"v1"`)...)
				require.Equal(t, http.StatusPreconditionFailed, r.Status, "%s", r.Body)
				require.Contains(t, r.Problem(t).Type, "/stale")
				r = f.call("DELETE", loc, nil, append(as, "If-Match", `"v1"`)...)
				require.Equal(t, http.StatusPreconditionFailed, r.Status, "%s", r.Body)
				r = f.call("GET", loc, nil, as...)
				require.Equal(t, `"v2"`, r.Header.Get("ETag"))
				require.Equal(t, updated, object(t, r))

				r = f.call("PUT", loc, tc.update, append(as, "If-Match", "v2")...)
				require.Equal(t, http.StatusBadRequest, r.Status, "an If-Match that is not an ETag: %s", r.Body)

				ids, _ := listIDs(t, f.call("GET", "/admin/api/"+tc.model+"?limit=200", nil, as...))
				require.Contains(t, ids, id)

				r = f.call("DELETE", loc, nil, append(as, "If-Match", `"v2"`)...)
				require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
				require.Empty(t, r.Body)
				r = f.call("GET", loc, nil, as...)
				require.Equal(t, http.StatusOK, r.Status, "soft delete keeps the row: %s", r.Body)
				require.Equal(t, `"v3"`, r.Header.Get("ETag"))
				tc.deleted(t, object(t, r))

				// DELETE without If-Match is unconditional (and repeatable).
				r = f.call("DELETE", loc, nil, as...)
				require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
			})
		}
	})
}

func TestAdminIdempotentCreate(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newAdminFixture(e)
		tests := []struct {
			model string
			as    []string
			body  map[string]any
			other map[string]any
			// count counts the rows the body would create.
			count func() int
		}{
			{"companies", bearer(f.root), map[string]any{"name": "Idem Co"}, map[string]any{"name": "Idem Co 2"},
				func() int { return f.count("/admin/api/companies?q=Idem+Co", bearer(f.root)) }},
			{"contacts", bearer(f.ta[tenant.RoleAgent]), map[string]any{"name": "Idem Contact"}, map[string]any{"name": "Other"},
				func() int { return f.count("/admin/api/contacts?q=Idem+Contact", bearer(f.ta[tenant.RoleAdmin])) }},
			{"users", bearer(f.ta[tenant.RoleAdmin]),
				map[string]any{"email": "idem@acme.test", "password": adminPassword, "role": "viewer", "contact_id": f.newContact(f.a).ID},
				map[string]any{"email": "idem2@acme.test", "password": adminPassword, "role": "viewer", "contact_id": f.newContact(f.a).ID},
				func() int { return f.count("/admin/api/users?q=idem@acme.test", bearer(f.ta[tenant.RoleAdmin])) }},
			{"api_tokens", bearer(f.ta[tenant.RoleAdmin]), map[string]any{"name": "Idem token", "permissions": []string{"contacts.read"}},
				map[string]any{"name": "Idem token", "permissions": []string{"company.read"}},
				func() int { return f.count("/admin/api/api_tokens", bearer(f.ta[tenant.RoleAdmin])) }},
		}
		for _, tc := range tests {
			t.Run(tc.model, func(t *testing.T) {
				before := tc.count()
				hdr := append([]string{"Idempotency-Key", "create-" + tc.model}, tc.as...)
				first := f.call("POST", "/admin/api/"+tc.model, tc.body, hdr...)
				require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
				require.Empty(t, first.Header.Get("Idempotent-Replayed"))

				again := f.call("POST", "/admin/api/"+tc.model, tc.body, hdr...)
				require.Equal(t, http.StatusCreated, again.Status, "%s", again.Body)
				require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
				require.Equal(t, first.Header.Get("Location"), again.Header.Get("Location"))
				require.Equal(t, first.Header.Get("ETag"), again.Header.Get("ETag"))
				want, got := object(t, first), object(t, again)
				if tc.model == "api_tokens" {
					// The secret is shown once: it is not kept with the
					// idempotency key, so a replay answers without it.
					require.NotEmpty(t, want["token"])
					require.NotContains(t, got, "token")
					require.NotContains(t, string(again.Body), want["token"])
					delete(want, "token")
				}
				require.Equal(t, want, got)
				require.Equal(t, before+1, tc.count(), "a replay creates nothing")

				r := f.call("POST", "/admin/api/"+tc.model, tc.other, hdr...)
				require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
				require.Contains(t, r.Problem(t).Type, "/idempotency-key-reused")
				require.Equal(t, before+1, tc.count())
			})
		}
	})
}

// count walks a list and returns how many items it has.
func (f *adminFixture) count(path string, as []string) int {
	f.t.Helper()
	n := 0
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	cursor := ""
	for {
		p := path + sep + "limit=200"
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		ids, next := listIDs(f.t, f.call("GET", p, nil, as...))
		n += len(ids)
		if next == "" {
			return n
		}
		cursor = next
	}
}

func TestAdminAPITokenSecret(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newAdminFixture(e)
		admin := bearer(f.ta[tenant.RoleAdmin])
		r := f.call("POST", "/admin/api/api_tokens", map[string]any{"name": "CRM", "permissions": []string{"contacts.read"}}, admin...)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		made := object(t, r)
		id := idOf(t, made)
		secret, _ := made["token"].(string)
		prefix, _ := made["prefix"].(string)
		require.Regexp(t, `^bld_[a-z2-7]{8}_$`, prefix)
		require.True(t, strings.HasPrefix(secret, prefix), "token %q does not start with its prefix %q", secret, prefix)
		require.EqualValues(t, f.a.ID, made["company_id"])
		require.Equal(t, []any{"contacts.read"}, made["permissions"])
		require.Equal(t, false, made["revoked"])
		require.NotContains(t, made, "expires_at")
		require.NotContains(t, made, "last_used_at")
		require.NotContains(t, made, "revoked_at")

		// Never shown again.
		r = f.call("GET", itemPath("api_tokens", id), nil, admin...)
		require.Equal(t, http.StatusOK, r.Status)
		require.NotContains(t, string(r.Body), secret)
		require.NotContains(t, object(t, r), "token")
		r = f.call("GET", "/admin/api/api_tokens", nil, admin...)
		require.NotContains(t, string(r.Body), secret)

		// It works as a Bearer credential, with its permissions only.
		r = f.call("GET", "/auth/me", nil, bearer(secret)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		me := object(t, r)
		require.Equal(t, "token:"+strconv.FormatInt(id, 10), me["principal"])
		require.Equal(t, []any{"contacts.read"}, me["permissions"])
		r = f.call("GET", "/admin/api/contacts", nil, bearer(secret)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		r = f.call("POST", "/admin/api/contacts", map[string]any{"name": "Nope"}, bearer(secret)...)
		require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
		r = f.call("GET", "/admin/api/api_tokens", nil, bearer(secret)...)
		require.Equal(t, http.StatusForbidden, r.Status, "a token cannot manage tokens unless granted: %s", r.Body)

		r = f.call("GET", itemPath("api_tokens", id), nil, admin...)
		requireUTC(t, object(t, r), "last_used_at")

		// Revoked by DELETE, it stops authenticating at once.
		r = f.call("DELETE", itemPath("api_tokens", id), nil, admin...)
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
		r = f.call("GET", "/auth/me", nil, bearer(secret)...)
		require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Body)

		ids, _ := listIDs(t, f.call("GET", "/admin/api/api_tokens?revoked=true", nil, admin...))
		require.Equal(t, []int64{id}, ids)
		ids, _ = listIDs(t, f.call("GET", "/admin/api/api_tokens?revoked=false", nil, admin...))
		require.NotContains(t, ids, id)
	})
}

// The operations of the permission matrix, in the order of its columns.
var adminOps = [5]string{"list", "create", "get", "update", "delete"}

func TestAdminPermissionMatrix(t *testing.T) {
	t.Parallel()
	const (
		ok   = http.StatusOK
		made = http.StatusCreated
		del  = http.StatusNoContent
		no   = http.StatusForbidden
	)
	// role × model → status of list, create, get, update, delete. The
	// platform admin acts in Acme (X-Company-ID); the others are Acme's
	// users and work on Acme's rows (companies: Acme itself).
	matrix := []struct {
		role  tenant.Role
		model string
		want  [5]int
	}{
		{tenant.RolePlatformAdmin, "companies", [5]int{ok, made, ok, ok, del}},
		{tenant.RolePlatformAdmin, "contacts", [5]int{ok, made, ok, ok, del}},
		{tenant.RolePlatformAdmin, "users", [5]int{ok, made, ok, ok, del}},
		{tenant.RolePlatformAdmin, "api_tokens", [5]int{ok, made, ok, ok, del}},

		{tenant.RoleAdmin, "companies", [5]int{ok, no, ok, no, no}},
		{tenant.RoleAdmin, "contacts", [5]int{ok, made, ok, ok, del}},
		{tenant.RoleAdmin, "users", [5]int{ok, made, ok, ok, del}},
		{tenant.RoleAdmin, "api_tokens", [5]int{ok, made, ok, ok, del}},

		{tenant.RoleAgent, "companies", [5]int{ok, no, ok, no, no}},
		{tenant.RoleAgent, "contacts", [5]int{ok, made, ok, ok, del}},
		{tenant.RoleAgent, "users", [5]int{ok, no, ok, no, no}},
		{tenant.RoleAgent, "api_tokens", [5]int{no, no, no, no, no}},

		{tenant.RoleRequester, "companies", [5]int{ok, no, ok, no, no}},
		{tenant.RoleRequester, "contacts", [5]int{no, no, no, no, no}},
		{tenant.RoleRequester, "users", [5]int{no, no, no, no, no}},
		{tenant.RoleRequester, "api_tokens", [5]int{no, no, no, no, no}},

		{tenant.RoleViewer, "companies", [5]int{ok, no, ok, no, no}},
		{tenant.RoleViewer, "contacts", [5]int{ok, no, ok, no, no}},
		{tenant.RoleViewer, "users", [5]int{ok, no, ok, no, no}},
		{tenant.RoleViewer, "api_tokens", [5]int{no, no, no, no, no}},
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newAdminFixture(e)
		for _, tc := range matrix {
			t.Run(string(tc.role)+"/"+tc.model, func(t *testing.T) {
				as := bearer(f.ta[tc.role])
				if tc.role == tenant.RolePlatformAdmin {
					as = f.rootIn(f.a)
				}
				// A fresh target per case, so that updates and deletes do
				// not disturb the other cases.
				var target int64
				var body, patch map[string]any
				switch tc.model {
				case "companies":
					target = int64(f.a.ID)
					if tc.role == tenant.RolePlatformAdmin {
						target = int64(f.newCompany().ID)
					}
					body = map[string]any{"name": fmt.Sprintf("Matrix %d", f.next())}
					patch = map[string]any{"legal_name": "Matrix Ltda"}
				case "contacts":
					target = int64(f.newContact(f.a).ID)
					body = map[string]any{"name": "Matrix contact"}
					patch = map[string]any{"phone": "+5511987654321"}
				case "users":
					target = int64(f.newUser(f.a).ID)
					body = map[string]any{"email": fmt.Sprintf("matrix%d@acme.test", f.next()), "password": adminPassword,
						"role": "viewer", "contact_id": f.newContact(f.a).ID}
					patch = map[string]any{"role": "agent"}
				case "api_tokens":
					target = f.newToken(f.a).ID
					body = map[string]any{"name": "Matrix", "permissions": []string{"contacts.read"}}
					patch = map[string]any{"name": "Renamed"}
				}
				before := f.versionOf(tc.model, f.a, target)
				got := [5]int{
					f.call("GET", "/admin/api/"+tc.model, nil, as...).Status,
					f.call("POST", "/admin/api/"+tc.model, body, as...).Status,
					f.call("GET", itemPath(tc.model, target), nil, as...).Status,
					f.call("PUT", itemPath(tc.model, target), patch, as...).Status,
					f.call("DELETE", itemPath(tc.model, target), nil, as...).Status,
				}
				for i := range got {
					require.Equal(t, tc.want[i], got[i], "%s %s %s", tc.role, adminOps[i], tc.model)
				}
				if tc.want[3] == no && tc.want[4] == no {
					require.Equal(t, before, f.versionOf(tc.model, f.a, target), "a refused write changed the row")
				}
			})
		}
	})
}

func TestAdminCrossCompany(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newAdminFixture(e)
		const missing = 987654
		// Acme's rows, probed from Beta.
		rows := map[string]int64{
			"companies":  int64(f.a.ID),
			"contacts":   int64(f.newContact(f.a).ID),
			"users":      int64(f.newUser(f.a).ID),
			"api_tokens": f.newToken(f.a).ID,
		}
		patches := map[string]map[string]any{
			"companies":  {"name": "Hijacked"},
			"contacts":   {"name": "Hijacked"},
			"users":      {"email": "hijacked@beta.test"},
			"api_tokens": {"name": "Hijacked"},
		}
		probers := map[string][]string{
			"beta admin":              bearer(f.tb[tenant.RoleAdmin]),
			"platform admin, in beta": f.rootIn(f.b),
		}
		for who, as := range probers {
			for model, id := range rows {
				if model == "companies" && strings.HasPrefix(who, "platform") {
					continue // platform admins manage every company
				}
				t.Run(who+"/"+model, func(t *testing.T) {
					before := f.versionOf(model, f.a, id)
					for _, method := range []string{"GET", "PUT", "DELETE"} {
						var body any
						if method == "PUT" {
							body = patches[model]
						}
						other := f.call(method, itemPath(model, id), body, as...)
						none := f.call(method, itemPath(model, missing), body, as...)
						require.Equal(t, none.Status, other.Status, "%s %s: another company's id must look missing: %s", method, model, other.Body)
						require.Equal(t, none.Problem(t).Type, other.Problem(t).Type)
						if model != "companies" || method == "GET" {
							// Beta's admin may not change companies at
							// all: 403 for any ID, Beta's own included.
							require.Equal(t, http.StatusNotFound, other.Status, "%s %s: %s", method, model, other.Body)
						}
						// With If-Match too.
						other = f.call(method, itemPath(model, id), body, append(as, "If-Match", `"v1"`)...)
						none = f.call(method, itemPath(model, missing), body, append(as, "If-Match", `"v1"`)...)
						require.Equal(t, none.Status, other.Status, "%s %s with If-Match", method, model)
					}
					require.Equal(t, before, f.versionOf(model, f.a, id), "the probe changed Acme's row")
					if model != "companies" {
						r := f.call("GET", "/admin/api/"+model+"?limit=200", nil, as...)
						if r.Status == http.StatusOK {
							ids, _ := listIDs(t, r)
							require.NotContains(t, ids, id)
						}
					}
				})
			}
		}
		t.Run("company list", func(t *testing.T) {
			ids, _ := listIDs(t, f.call("GET", "/admin/api/companies", nil, bearer(f.tb[tenant.RoleAdmin])...))
			require.Equal(t, []int64{int64(f.b.ID)}, ids)
		})
		t.Run("contact of another company on a new user", func(t *testing.T) {
			r := f.call("POST", "/admin/api/users", map[string]any{"email": "x@beta.test", "password": adminPassword,
				"role": "viewer", "contact_id": rows["contacts"]}, bearer(f.tb[tenant.RoleAdmin])...)
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
			require.Equal(t, []string{"contact_id"}, r.Problem(t).Fields())
		})
	})
}

func TestAdminMassAssignment(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newAdminFixture(e)
		admin := bearer(f.ta[tenant.RoleAdmin])
		contact := int64(f.newContact(f.a).ID)
		user := int64(f.newUser(f.a).ID)
		token := f.newToken(f.a).ID
		tests := []struct {
			method, path string
			as           []string
			body         map[string]any
			field        string
		}{
			{"POST", "/admin/api/companies", bearer(f.root), map[string]any{"name": "X", "id": 7}, "id"},
			{"POST", "/admin/api/companies", bearer(f.root), map[string]any{"name": "X", "active": false}, "active"},
			{"POST", "/admin/api/contacts", admin, map[string]any{"name": "X", "company_id": f.b.ID}, "company_id"},
			{"POST", "/admin/api/contacts", admin, map[string]any{"name": "X", "role": "admin"}, "role"},
			{"POST", "/admin/api/contacts", admin, map[string]any{"name": "X", "created_at": "2020-01-01T00:00:00Z"}, "created_at"},
			{"POST", "/admin/api/users", admin, map[string]any{"email": "m@acme.test", "password": adminPassword, "role": "viewer",
				"contact_id": contact, "password_hash": "$2a$04$abcdefghijklmnopqrstuv"}, "password_hash"},
			{"POST", "/admin/api/users", admin, map[string]any{"email": "m@acme.test", "password": adminPassword, "role": "viewer",
				"contact_id": contact, "company_id": f.b.ID}, "company_id"},
			{"POST", "/admin/api/api_tokens", admin, map[string]any{"name": "X", "permissions": []string{"contacts.read"}, "token": "bld_x"}, "token"},
			{"POST", "/admin/api/api_tokens", admin, map[string]any{"name": "X", "permissions": []string{"contacts.read"}, "created_by": 1}, "created_by"},
			{"PUT", itemPath("companies", int64(f.a.ID)), bearer(f.root), map[string]any{"version": 9}, "version"},
			{"PUT", itemPath("contacts", contact), admin, map[string]any{"company_id": f.b.ID}, "company_id"},
			{"PUT", itemPath("users", user), admin, map[string]any{"password_hash": "x"}, "password_hash"},
			{"PUT", itemPath("users", user), admin, map[string]any{"contact_id": contact}, "contact_id"},
			{"PUT", itemPath("users", user), admin, map[string]any{"company_id": f.b.ID}, "company_id"},
			{"PUT", itemPath("api_tokens", token), admin, map[string]any{"permissions": []string{"users.manage"}}, "permissions"},
			{"PUT", itemPath("api_tokens", token), admin, map[string]any{"revoked_at": "2020-01-01T00:00:00Z"}, "revoked_at"},
		}
		for _, tc := range tests {
			t.Run(tc.method+" "+tc.path+" "+tc.field, func(t *testing.T) {
				r := f.call(tc.method, tc.path, tc.body, tc.as...)
				require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
				p := r.Problem(t)
				require.Equal(t, []string{tc.field}, p.Fields())
				require.Equal(t, "unknown field", p.Errors[0].Message)
			})
		}
		require.EqualValues(t, 1, f.versionOf("users", f.a, user))
		require.EqualValues(t, 1, f.versionOf("api_tokens", f.a, token))
	})
}

func TestAdminRouting(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := &adminFixture{env: e}
		tests := []struct {
			method, path string
			auth         bool
			want         int
			allow        string
		}{
			{"GET", "/admin/api/widgets", true, http.StatusNotFound, ""},
			{"POST", "/admin/api/widgets", true, http.StatusNotFound, ""},
			{"GET", "/admin/api/widgets/1", false, http.StatusNotFound, ""},
			{"DELETE", "/admin/api/tickets/1", true, http.StatusNotFound, ""},
			{"GET", "/admin/api/companies/1/extra", true, http.StatusNotFound, ""},
			{"GET", "/admin/api/companies/abc", true, http.StatusNotFound, ""},
			{"PUT", "/admin/api/companies", true, http.StatusMethodNotAllowed, "GET, HEAD, POST"},
			{"DELETE", "/admin/api/contacts", false, http.StatusMethodNotAllowed, "GET, HEAD, POST"},
			{"PATCH", "/admin/api/users/1", true, http.StatusMethodNotAllowed, "DELETE, GET, HEAD, PUT"},
			{"POST", "/admin/api/api_tokens/1", true, http.StatusMethodNotAllowed, "DELETE, GET, HEAD, PUT"},
			{"GET", "/admin/api/contacts", false, http.StatusUnauthorized, ""},
		}
		for _, tc := range tests {
			t.Run(tc.method+" "+tc.path, func(t *testing.T) {
				var as []string
				if tc.auth {
					as = bearer(f.root)
				}
				r := f.call(tc.method, tc.path, nil, as...)
				require.Equal(t, tc.want, r.Status, "%s", r.Body)
				p := r.Problem(t)
				require.Equal(t, tc.allow, r.Header.Get("Allow"))
				switch tc.want {
				case http.StatusNotFound:
					require.Contains(t, p.Type, "/not-found")
				case http.StatusMethodNotAllowed:
					require.Contains(t, p.Type, "/method-not-allowed")
				}
			})
		}
	})
}

func TestAdminValidation(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newAdminFixture(e)
		admin := bearer(f.ta[tenant.RoleAdmin])
		contact := int64(f.newContact(f.a).ID)
		user := int64(f.newUser(f.a).ID)
		tests := []struct {
			name         string
			method, path string
			as           []string
			body         any
			fields       []string
		}{
			{"company fields", "POST", "/admin/api/companies", bearer(f.root),
				map[string]any{"name": " ", "cnpj": "12.345.678/0001-00", "timezone": "Mars/Olympus"}, []string{"name", "cnpj", "timezone"}},
			{"company update", "PUT", itemPath("companies", int64(f.a.ID)), bearer(f.root),
				map[string]any{"name": "", "timezone": "Local"}, []string{"name", "timezone"}},
			{"contact fields", "POST", "/admin/api/contacts", admin,
				map[string]any{"name": "", "email": "not-an-email", "phone": "call me"}, []string{"name", "email", "phone"}},
			{"contact opt-in without phone", "PUT", itemPath("contacts", contact), admin,
				map[string]any{"whatsapp_opt_in": true}, []string{"whatsapp_opt_in"}},
			{"user fields", "POST", "/admin/api/users", admin,
				map[string]any{"email": "nope", "password": "short", "role": "god"}, []string{"email", "role", "contact_id"}},
			{"user platform role", "POST", "/admin/api/users", admin,
				map[string]any{"email": "p@acme.test", "password": adminPassword, "role": "platform_admin", "contact_id": contact}, []string{"role"}},
			{"user password", "POST", "/admin/api/users", admin,
				map[string]any{"email": "p@acme.test", "password": "short", "role": "viewer", "contact_id": contact}, []string{"password"}},
			{"user update", "PUT", itemPath("users", user), admin,
				map[string]any{"email": "x", "role": "owner", "password": "1234"}, []string{"email", "role", "password"}},
			{"user deactivates self", "DELETE", itemPath("users", f.userID(f.ta[tenant.RoleAdmin])), admin, nil, []string{"active"}},
			{"token fields", "POST", "/admin/api/api_tokens", admin,
				map[string]any{"name": "", "permissions": []string{}}, []string{"name", "permissions"}},
			{"token permission not held", "POST", "/admin/api/api_tokens", admin,
				map[string]any{"name": "x", "permissions": []string{"companies.manage", "no.such"}}, []string{"permissions", "permissions"}},
			{"token expiry in the past", "POST", "/admin/api/api_tokens", admin,
				map[string]any{"name": "x", "permissions": []string{"contacts.read"}, "expires_at": "2020-01-01T00:00:00Z"}, []string{"expires_at"}},
			{"token expiry format", "POST", "/admin/api/api_tokens", admin,
				map[string]any{"name": "x", "permissions": []string{"contacts.read"}, "expires_at": "tomorrow"}, []string{"expires_at"}},
			{"role filter", "GET", "/admin/api/users?role=owner", admin, nil, []string{"role"}},
			{"active filter", "GET", "/admin/api/contacts?active=maybe", admin, nil, []string{"active"}},
			{"revoked filter", "GET", "/admin/api/api_tokens?revoked=2", admin, nil, []string{"revoked"}},
			{"limit", "GET", "/admin/api/companies?limit=0", admin, nil, []string{"limit"}},
			{"limit too big", "GET", "/admin/api/contacts?limit=201", admin, nil, []string{"limit"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := f.call(tc.method, tc.path, tc.body, tc.as...)
				require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
				p := r.Problem(t)
				require.Contains(t, p.Type, "/validation")
				require.ElementsMatch(t, tc.fields, p.Fields(), "%s", r.Body)
			})
		}
		t.Run("bad cursor", func(t *testing.T) {
			r := f.call("GET", "/admin/api/contacts?cursor=%21%21", nil, admin...)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			require.Contains(t, r.Problem(t).Type, "/bad-cursor")
		})
		t.Run("not JSON", func(t *testing.T) {
			r := f.call("POST", "/admin/api/contacts", `{"name":`, admin...)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			r = f.call("PUT", itemPath("contacts", contact), `{"name": 5}`, admin...)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			require.Equal(t, []string{"name"}, r.Problem(t).Fields())
		})
		require.EqualValues(t, 1, f.versionOf("contacts", f.a, contact))
		require.EqualValues(t, 1, f.versionOf("users", f.a, user))
	})
}

// userID returns the user ID of an access token's bearer.
func (f *adminFixture) userID(token string) int64 {
	f.t.Helper()
	r := f.call("GET", "/auth/me", nil, bearer(token)...)
	require.Equal(f.t, http.StatusOK, r.Status, "%s", r.Body)
	m := object(f.t, r)
	return int64(m["user_id"].(float64))
}

func TestAdminDuplicateEmail(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newAdminFixture(e)
		admin := bearer(f.ta[tenant.RoleAdmin])
		user := int64(f.newUser(f.a).ID)
		tests := []struct {
			name         string
			method, path string
			as           []string
			body         map[string]any
		}{
			{"new user, same company", "POST", "/admin/api/users", admin,
				map[string]any{"email": "AGENT@acme.test", "password": adminPassword, "role": "viewer", "contact_id": f.newContact(f.a).ID}},
			{"new user, email of another company's user", "POST", "/admin/api/users", admin,
				map[string]any{"email": "agent@beta.test", "password": adminPassword, "role": "viewer", "contact_id": f.newContact(f.a).ID}},
			{"user update", "PUT", itemPath("users", user), admin, map[string]any{"email": "viewer@acme.test"}},
			{"platform admin", "PUT", itemPath("users", f.userID(f.root)), bearer(f.root), map[string]any{"email": "admin@acme.test"}},
			{"new contact", "POST", "/admin/api/contacts", admin, map[string]any{"name": "Twin", "email": "admin@acme.test"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := f.call(tc.method, tc.path, tc.body, tc.as...)
				require.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
				p := r.Problem(t)
				require.Contains(t, p.Type, "/field-conflict")
				require.Equal(t, []string{"email"}, p.Fields())
			})
		}
		require.EqualValues(t, 1, f.versionOf("users", f.a, user))
		// The same contact email in another company is fine.
		r := f.call("POST", "/admin/api/contacts", map[string]any{"name": "Twin", "email": "admin@beta.test"}, admin...)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	})
}

func TestAdminPaging(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newAdminFixture(e)
		for range 5 {
			f.newContact(f.a)
			f.newCompany()
			f.newToken(f.a)
		}
		f.newContact(f.b)
		tests := []struct {
			model string
			as    []string
			want  int
		}{
			{"contacts", bearer(f.ta[tenant.RoleViewer]), 4 + 5},
			{"companies", bearer(f.root), 2 + 5},
			{"users", bearer(f.ta[tenant.RoleAgent]), 4},
			{"api_tokens", f.rootIn(f.a), 5},
		}
		for _, tc := range tests {
			t.Run(tc.model, func(t *testing.T) {
				seen := map[int64]bool{}
				path := "/admin/api/" + tc.model + "?limit=2"
				pages := 0
				for {
					ids, next := listIDs(t, f.call("GET", path, nil, tc.as...))
					pages++
					require.LessOrEqual(t, len(ids), 2)
					for _, id := range ids {
						require.False(t, seen[id], "id %d seen twice", id)
						seen[id] = true
					}
					if next == "" {
						break
					}
					require.NotEmpty(t, ids)
					path = "/admin/api/" + tc.model + "?limit=2&cursor=" + next
				}
				require.Len(t, seen, tc.want)
				require.Equal(t, tc.want, f.count("/admin/api/"+tc.model, tc.as))
				require.GreaterOrEqual(t, pages, (tc.want+1)/2)
			})
		}
	})
}

func TestAdminFilters(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newAdminFixture(e)
		admin := bearer(f.ta[tenant.RoleAdmin])
		gone := f.newContact(f.a)
		_, err := f.desk.Directory.DeactivateContact(t.Context(), f.system(f.a), gone.ID)
		require.NoError(t, err)
		closed := f.newCompany()
		_, err = f.desk.Directory.DeactivateCompany(t.Context(), tenant.System(), closed.ID)
		require.NoError(t, err)
		tests := []struct {
			path string
			as   []string
			want []int64
		}{
			{"/admin/api/contacts?email=Agent@Acme.test", admin, nil},
			{"/admin/api/contacts?active=false", admin, []int64{int64(gone.ID)}},
			{"/admin/api/companies?active=false", bearer(f.root), []int64{int64(closed.ID)}},
			{"/admin/api/companies?q=bet", bearer(f.root), []int64{int64(f.b.ID)}},
			{"/admin/api/companies?q=bet", admin, []int64{}},
			{"/admin/api/users?role=requester", admin, nil},
			{"/admin/api/users?q=viewer@", admin, nil},
			{"/admin/api/users?active=false", admin, []int64{}},
		}
		for _, tc := range tests {
			t.Run(tc.path, func(t *testing.T) {
				r := f.call("GET", tc.path, nil, tc.as...)
				ids, _ := listIDs(t, r)
				if tc.want != nil {
					require.ElementsMatch(t, tc.want, ids)
					return
				}
				require.Len(t, ids, 1, "%s", r.Body)
				var page struct{ Items []map[string]any }
				r.JSON(t, &page)
				item := page.Items[0]
				switch {
				case strings.Contains(tc.path, "email="):
					require.Equal(t, "agent@acme.test", item["email"])
				case strings.Contains(tc.path, "role="):
					require.Equal(t, "requester", item["role"])
				default:
					require.Equal(t, "viewer@acme.test", item["email"])
				}
			})
		}
	})
}

func TestAdminPlatformScope(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newAdminFixture(e)
		root := bearer(f.root)

		// Without X-Company-ID, users are the platform admins.
		r := f.call("GET", "/admin/api/users", nil, root...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var page struct{ Items []map[string]any }
		r.JSON(t, &page)
		require.Len(t, page.Items, 1)
		require.Equal(t, rootEmail, page.Items[0]["email"])
		require.Equal(t, "platform_admin", page.Items[0]["role"])
		require.NotContains(t, page.Items[0], "company_id")
		require.NotContains(t, page.Items[0], "contact_id")
		rootID := idOf(t, page.Items[0])
		r = f.call("GET", itemPath("users", rootID), nil, root...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		// ... and a company user is not one of them.
		r = f.call("GET", itemPath("users", f.userID(f.ta[tenant.RoleAgent])), nil, root...)
		require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)

		// With it, Acme's users.
		ids, _ := listIDs(t, f.call("GET", "/admin/api/users", nil, f.rootIn(f.a)...))
		require.Len(t, ids, 4)
		require.NotContains(t, ids, rootID)

		// Company-scoped models need a company.
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/admin/api/contacts", nil},
			{"POST", "/admin/api/contacts", map[string]any{"name": "X"}},
			{"GET", "/admin/api/api_tokens", nil},
			{"POST", "/admin/api/api_tokens", map[string]any{"name": "X", "permissions": []string{"contacts.read"}}},
			{"POST", "/admin/api/users", map[string]any{"email": "x@y.test", "password": adminPassword, "role": "viewer", "contact_id": 1}},
		} {
			r := f.call(req.method, req.path, req.body, root...)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s %s: %s", req.method, req.path, r.Body)
			require.Contains(t, r.Problem(t).Type, "/no-company")
		}

		// Only platform admins may send X-Company-ID.
		r = f.call("GET", "/admin/api/contacts", nil, append(bearer(f.ta[tenant.RoleAdmin]), "X-Company-ID", strconv.FormatInt(int64(f.b.ID), 10))...)
		require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	})
}
