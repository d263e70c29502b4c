package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
)

// operation is one operation of the OpenAPI document.
type operation struct {
	method, path string
	permissions  []tenant.Permission
	authed       bool
	query        []string // the names of its query parameters
}

// documentOperations lists the operations of the OpenAPI document.
func documentOperations(t *testing.T) []operation {
	t.Helper()
	doc := openAPI(t).doc
	var ops []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := operation{method: method, path: path, authed: op.Security != nil && len(*op.Security) > 0}
			if raw, ok := op.Extensions["x-permissions"]; ok {
				b, err := json.Marshal(raw)
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(b, &o.permissions))
			}
			for _, p := range append(item.Parameters, op.Parameters...) {
				if p.Value != nil && p.Value.In == "query" {
					o.query = append(o.query, p.Value.Name)
				}
			}
			ops = append(ops, o)
		}
	}
	slices.SortFunc(ops, func(a, b operation) int { return strings.Compare(a.method+" "+a.path, b.method+" "+b.path) })
	return ops
}

// concrete fills the path parameters of path with 1.
func concrete(path string) string {
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			return path
		}
		j := strings.IndexByte(path[i:], '}')
		path = path[:i] + "1" + path[i+j+1:]
	}
}

// send sends a request and checks only its response against the OpenAPI
// document: the requests of these tests break the contract on purpose
// (missing required parameters, no body).
func send(t *testing.T, e *env, method, target string, body []byte, headers ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+target, bytes.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: out}
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := openAPI(t).router.FindRoute(vreq)
	require.NoError(t, err, "%s %s", method, target)
	require.NoError(t, validateResponse(validationInput(route, params, vreq), r.Status, r.Header, r.Body),
		"%s %s: the response %d does not match the OpenAPI document: %s", method, target, r.Status, truncateBody(r.Body))
	return r
}

// TestPermissionBeforeValidation walks every operation of the OpenAPI
// document as each company role, with no body and no parameters, and
// requires 403 wherever the role holds none of the operation's
// x-permissions: a principal learns nothing about the shape of a request
// it may not make (no 422 for a missing parameter, no 415 for a missing
// body).
func TestPermissionBeforeValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), httpapi.Config{APIBurst: 10_000, APIRate: 10_000})
	_, tokens := e.company("Acme")
	table := tenant.Permissions()
	refused := 0
	for _, op := range documentOperations(t) {
		if len(op.permissions) == 0 {
			continue
		}
		for _, role := range []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent, tenant.RoleRequester, tenant.RoleViewer} {
			holds := false
			for _, p := range op.permissions {
				holds = holds || slices.Contains(table[role], p)
			}
			if holds {
				continue
			}
			r := send(t, e, op.method, concrete(op.path), nil, "Authorization", "Bearer "+tokens[role])
			require.Equal(t, http.StatusForbidden, r.Status, "%s %s as %s: %s", op.method, op.path, role, r.Body)
			p := r.Problem(t)
			require.Equal(t, httpapi.ProblemTypeBase+"forbidden", p.Type)
			require.Contains(t, p.Detail, string(role))
			refused++
		}
	}
	require.Greater(t, refused, 100, "the walk refused the operations roles lack")

	// The two the outside run found: by-serial and the billable hours
	// answered 422 for a missing parameter before checking permission.
	for _, path := range []string{"/api/helpdesk/assets/by-serial", "/api/helpdesk/service-orders/billable-hours.csv"} {
		r := send(t, e, "GET", path, nil, "Authorization", "Bearer "+tokens[tenant.RoleRequester])
		if path == "/api/helpdesk/assets/by-serial" {
			// A requester may read its own assets: the missing serial is
			// its to fix.
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
			continue
		}
		require.Equal(t, http.StatusForbidden, r.Status, "%s: %s", path, r.Body)
	}
}

// TestAPITokenNamesMissingScope: a token whose role has the permission
// but whose scopes leave it out is told which scope it lacks, not that
// its role lacks a permission.
func TestAPITokenNamesMissingScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), httpapi.Config{})
	co, _ := e.company("Acme")
	admin, err := tenant.System().InCompany(co.ID)
	require.NoError(t, err)
	_, token, err := e.desk.Directory.CreateAPIToken(t.Context(), admin, directory.APITokenInput{
		Name: "contacts only", Permissions: []tenant.Permission{tenant.PermContactsRead}})
	require.NoError(t, err)
	for path, scope := range map[string]string{
		"/api/helpdesk/assets":                  "assets.read",
		"/api/helpdesk/tickets":                 "tickets.read",
		"/api/helpdesk/service-orders":          "service_orders.read",
		"/api/integrations/webhooks":            "integrations.manage",
		"/api/helpdesk/inventory/stock-items/1": "assets.read",
	} {
		r := e.do("GET", path, nil, "Authorization", token)
		require.Equal(t, http.StatusForbidden, r.Status, "%s: %s", path, r.Body)
		p := r.Problem(t)
		require.Contains(t, p.Detail, `API token lacks scope "`+scope+`"`, path)
		require.Contains(t, p.Detail, "contacts.read", "the detail lists the token's scopes")
		require.NotContains(t, p.Detail, "role", path)
	}
	// The check comes before the missing serial.
	r := send(t, e, "GET", "/api/helpdesk/assets/by-serial", nil, "Authorization", "Bearer "+token)
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	require.Contains(t, r.Problem(t).Detail, `API token lacks scope "assets.read"`)
	require.Equal(t, http.StatusOK, e.do("GET", "/admin/api/contacts", nil, "Authorization", token).Status)
}

// nulFilters are the query parameters the outside run found answering
// 500 on SQLite with a NUL byte, and the searches beside them.
var nulFilters = []struct {
	path, param string
	root        bool // platform admin without a company
}{
	{"/api/helpdesk/inventory/stock-items", "q", false},
	{"/api/helpdesk/inventory/stock-items", "category", false},
	{"/admin/api/contacts", "q", false},
	{"/admin/api/contacts", "email", false},
	{"/admin/api/users", "q", false},
	{"/admin/api/companies", "q", true},
	{"/api/helpdesk/tickets", "category", false},
	{"/api/helpdesk/tickets", "tag", false},
	{"/api/helpdesk/tickets", "q", false},
	{"/api/helpdesk/assets", "location", false},
	{"/api/helpdesk/assets", "category", false},
	{"/api/helpdesk/assets", "q", false},
	{"/api/helpdesk/assets/by-serial", "serial", false},
	{"/api/helpdesk/service-orders", "apr_number", false},
	{"/api/helpdesk/service-orders", "q", false},
	{"/api/security/audit", "kind", false},
}

// TestNULInQueryFilters: a NUL byte (or another control character) in a
// filter is 422 naming the parameter on every backend, never a 500.
func TestNULInQueryFilters(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		_, tokens := e.company("Acme")
		for _, f := range nulFilters {
			for _, value := range []string{"\x00", "a\x00' OR 1=1 --", "x\x1b[2J", "\u0085"} {
				token := tokens[tenant.RoleAdmin]
				if f.root {
					token = e.root
				}
				r := e.do("GET", f.path+"?"+url.Values{f.param: {value}}.Encode(), nil, "Authorization", token)
				requireProblem(t, r, http.StatusUnprocessableEntity, f.param)
			}
		}
		// The same query parameters on an operation that takes none are
		// refused alike.
		r := e.do("GET", "/api/helpdesk/tickets/1?note=%00", nil, "Authorization", tokens[tenant.RoleAdmin])
		requireProblem(t, r, http.StatusUnprocessableEntity, "note")
	})
}

// TestServicesRefuseNULFilters: an embedder calling the services directly
// with a NUL byte in a filter gets a validation error naming the field,
// not an SQL error, on every backend.
func TestServicesRefuseNULFilters(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		co, _ := e.company("Acme")
		actor := mustIn(t, co)
		const nul = "a\x00b"
		pg := storage.PageRequest{}
		d, inv, tk, so := e.desk.Directory, e.desk.Inventory, e.desk.Tickets, e.desk.ServiceOrders
		calls := []struct {
			field string
			call  func() error
		}{
			{"q", func() error {
				_, err := d.ListContacts(ctx, actor, directory.ContactFilter{Search: nul}, pg)
				return err
			}},
			{"email", func() error {
				_, err := d.ListContacts(ctx, actor, directory.ContactFilter{Email: nul}, pg)
				return err
			}},
			{"q", func() error { _, err := d.ListUsers(ctx, actor, directory.UserFilter{Search: nul}, pg); return err }},
			{"q", func() error {
				_, err := d.ListCompanies(ctx, tenant.System(), directory.CompanyFilter{Search: nul}, pg)
				return err
			}},
			{"q", func() error {
				_, err := inv.ListStockItems(ctx, actor, inventory.StockItemFilter{Search: nul}, pg)
				return err
			}},
			{"category", func() error {
				_, err := inv.ListStockItems(ctx, actor, inventory.StockItemFilter{Category: nul}, pg)
				return err
			}},
			{"location", func() error {
				_, err := inv.ListAssets(ctx, actor, inventory.AssetFilter{Location: nul}, pg)
				return err
			}},
			{"category", func() error {
				_, err := inv.ListAssets(ctx, actor, inventory.AssetFilter{Category: nul}, pg)
				return err
			}},
			{"q", func() error { _, err := inv.ListAssets(ctx, actor, inventory.AssetFilter{Search: nul}, pg); return err }},
			{"serial", func() error { _, err := inv.GetAssetBySerial(ctx, actor, nul); return err }},
			{"category", func() error { _, err := tk.List(ctx, actor, tickets.Filter{Category: nul}, pg); return err }},
			{"tag", func() error { _, err := tk.List(ctx, actor, tickets.Filter{Tag: nul}, pg); return err }},
			{"q", func() error { _, err := tk.List(ctx, actor, tickets.Filter{Search: nul}, pg); return err }},
			{"apr_number", func() error { _, err := so.List(ctx, actor, serviceorders.Filter{APRNumber: nul}, pg); return err }},
			{"q", func() error { _, err := so.List(ctx, actor, serviceorders.Filter{Search: nul}, pg); return err }},
			// Inputs too.
			{"title", func() error { _, err := tk.Create(ctx, actor, tickets.CreateInput{Title: nul}); return err }},
			{"tags", func() error {
				_, err := tk.Create(ctx, actor, tickets.CreateInput{Title: "ok", Tags: []string{nul}})
				return err
			}},
			{"name", func() error {
				_, err := d.CreateContact(ctx, actor, directory.ContactInput{Name: nul, Email: "n@acme.test"})
				return err
			}},
			{"manufacturer_serials", func() error {
				_, _, err := inv.Intake(ctx, actor, inventory.IntakeInput{Name: "Notebook", Category: "notebook", Quantity: 1,
					ManufacturerSerials: []string{nul}})
				return err
			}},
		}
		for i, c := range calls {
			err := c.call()
			var verr *validation.Error
			require.ErrorAs(t, err, &verr, "call %d (%s): %v", i, c.field, err)
			require.True(t, verr.Has(c.field), "call %d: %v", i, err)
		}
	})
}

// TestSearchLengthCap: q holds at most validation.MaxSearchLength
// characters; one more is 422.
func TestSearchLengthCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, bunstoretest.SQLite(t), httpapi.Config{})
	_, tokens := e.company("Acme")
	for _, path := range []string{"/api/helpdesk/tickets", "/api/helpdesk/assets", "/api/helpdesk/inventory/stock-items",
		"/api/helpdesk/service-orders", "/admin/api/contacts", "/admin/api/users", "/admin/api/companies"} {
		atCap := strings.Repeat("ç", validation.MaxSearchLength)
		r := e.do("GET", path+"?"+url.Values{"q": {atCap}}.Encode(), nil, "Authorization", tokens[tenant.RoleAdmin])
		require.Equal(t, http.StatusOK, r.Status, "%s: %s", path, r.Body)
		r = e.do("GET", path+"?"+url.Values{"q": {atCap + "x"}}.Encode(), nil, "Authorization", tokens[tenant.RoleAdmin])
		p := requireProblem(t, r, http.StatusUnprocessableEntity, "q")
		require.Contains(t, p.Errors[0].Message, "at most 200 characters", path)
	}
}

// TestStrictJSONBodies: bodies that encoding/json alone would read
// leniently are refused, and nothing is written.
func TestStrictJSONBodies(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		_, tokens := e.company("Acme")
		agent := tokens[tenant.RoleAgent]
		tests := []struct {
			name   string
			body   string
			status int
			field  string
			detail string
		}{
			{"case variant", `{"title":"a","Title":"b"}`, 400, "Title", `key "Title" must be spelled "title"`},
			{"case variant alone", `{"TITLE":"b"}`, 400, "TITLE", "case-sensitive"},
			{"duplicate key", `{"title":"a","title":"b"}`, 400, "title", `duplicate key "title"`},
			{"invalid UTF-8", "{\"title\":\"caf\xe9\"}", 400, "title", "invalid UTF-8"},
			{"lone surrogate", `{"title":"\ud800"}`, 400, "title", "lone surrogate"},
			{"unknown field", `{"title":"a","urgency":"high"}`, 422, "urgency", ""},
			{"NUL in a string", `{"title":"a\u0000b"}`, 422, "title", ""},
			{"NUL in a tag", `{"title":"a","tags":["ok","x\u0000"]}`, 422, "tags[1]", ""},
			{"escape sequence", `{"title":"a","description":"\u001b[2Jcleared"}`, 422, "description", ""},
		}
		for _, tc := range tests {
			r := e.do("POST", "/api/helpdesk/tickets", tc.body, "Authorization", agent)
			p := requireProblem(t, r, tc.status, tc.field)
			if tc.status == 400 {
				require.Equal(t, httpapi.ProblemTypeBase+"malformed-json", p.Type, tc.name)
				require.Contains(t, p.Detail, tc.detail, tc.name)
			} else {
				require.Equal(t, httpapi.ProblemTypeBase+"validation", p.Type, tc.name)
			}
		}
		r := e.do("GET", "/api/helpdesk/tickets", nil, "Authorization", agent)
		require.Equal(t, http.StatusOK, r.Status)
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		r.JSON(t, &page)
		require.Empty(t, page.Items, "nothing was written")
		// Line breaks and tabs are text.
		r = e.do("POST", "/api/helpdesk/tickets", `{"title":"ok","description":"linha 1\r\nlinha 2\tfim"}`, "Authorization", agent)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	})
}

// TestSecurityAuditBlockedIPsNote: blocked addresses are platform-wide;
// the audit lists them to platform admins with or without X-Company-ID and
// says why a company admin sees none.
func TestSecurityAuditBlockedIPsNote(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), httpapi.Config{BlockThreshold: 2, TrustedProxies: []string{"127.0.0.0/8", "::1/128"}})
	co, tokens := e.company("Acme")
	for range 2 {
		r := e.do("POST", "/auth/login", map[string]string{"email": "ghost@acme.test", "password": "wrong-password"},
			"X-Forwarded-For", "203.0.113.7")
		require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Body)
	}
	type audit struct {
		BlockedIPs []httpapi.BlockedIP `json:"blocked_ips"`
		Note       string              `json:"blocked_ips_note"`
	}
	read := func(headers ...string) audit {
		r := e.do("GET", "/api/security/audit", nil, headers...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var a audit
		r.JSON(t, &a)
		return a
	}
	all := read("Authorization", e.root)
	require.Len(t, all.BlockedIPs, 1)
	require.Contains(t, all.Note, "platform-wide")
	inCompany := read("Authorization", e.root, "X-Company-ID", strconv.FormatInt(int64(co.ID), 10))
	require.Equal(t, all.BlockedIPs, inCompany.BlockedIPs, "X-Company-ID does not hide the platform's blocks")
	require.Contains(t, inCompany.Note, "not narrowed to the company in X-Company-ID")
	companyAdmin := read("Authorization", tokens[tenant.RoleAdmin])
	require.Empty(t, companyAdmin.BlockedIPs)
	require.Contains(t, companyAdmin.Note, "listed only to platform admins")
}
