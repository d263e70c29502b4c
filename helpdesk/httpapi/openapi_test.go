package httpapi_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// TestOpenAPIDocument checks the document itself: it loads and validates,
// every operation it lists is served, it names its security schemes and
// problem responses, and /openapi.json and /docs serve it.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	c := openAPI(t)
	doc := c.doc
	require.Equal(t, "3.1.0", doc.OpenAPI)
	require.NoError(t, doc.Validate(t.Context()))
	require.Contains(t, doc.Components.SecuritySchemes, "bearerJWT")
	require.Contains(t, doc.Components.SecuritySchemes, "apiToken")

	type route struct{ method, path string }
	var all []route
	ids := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			all = append(all, route{method, path})
			require.NotEmpty(t, op.OperationID, "%s %s", method, path)
			require.False(t, ids[op.OperationID], "duplicate operationId %s", op.OperationID)
			ids[op.OperationID] = true
			require.NotEmpty(t, op.Summary, "%s %s", method, path)
			require.Len(t, op.Tags, 1, "%s %s", method, path)
			// Every error response is a problem.
			for status, ref := range op.Responses.Map() {
				if status >= "400" {
					require.NotNil(t, ref.Value.Content.Get("application/problem+json"), "%s %s %s", method, path, status)
					require.Nil(t, ref.Value.Content.Get("application/json"), "%s %s %s", method, path, status)
				}
			}
			for _, status := range []string{"400", "403", "500"} {
				require.NotNil(t, op.Responses.Value(status), "%s %s lacks %s", method, path, status)
			}
			if op.Security == nil || len(*op.Security) > 0 {
				require.NotNil(t, op.Responses.Value("401"), "%s %s is secured but lacks 401", method, path)
				require.NotNil(t, op.Responses.Value("429"), "%s %s is secured but lacks 429", method, path)
			}
			if op.RequestBody != nil {
				for _, status := range []string{"413", "415", "422"} {
					require.NotNil(t, op.Responses.Value(status), "%s %s takes a body but lacks %s", method, path, status)
				}
			}
		}
	}
	slices.SortFunc(all, func(a, b route) int { return strings.Compare(a.path+" "+a.method, b.path+" "+b.method) })
	for _, want := range []string{
		"GET /health", "GET /ready", "GET /metrics", "GET /openapi.json", "GET /docs",
		"POST /auth/login", "POST /auth/refresh", "POST /auth/logout", "GET /auth/me",
		"GET /api/performance/metrics", "GET /api/security/audit", "DELETE /api/security/blocks/{ip}",
		"GET /api/deployment/status", "POST /api/deployment/trigger-backup", "GET /api/monitoring/status", "GET /api/test/coverage",
	} {
		method, path, _ := strings.Cut(want, " ")
		require.Contains(t, all, route{method, path}, "the document lists %s", want)
	}
	for _, model := range []string{"companies", "contacts", "users", "api_tokens"} {
		for _, r := range []route{
			{"GET", "/admin/api/" + model}, {"POST", "/admin/api/" + model},
			{"GET", "/admin/api/" + model + "/{id}"}, {"PUT", "/admin/api/" + model + "/{id}"}, {"DELETE", "/admin/api/" + model + "/{id}"},
		} {
			require.Contains(t, all, r, "the document lists %s %s", r.method, r.path)
		}
	}

	// Every documented operation is served: none falls through to the
	// "no such endpoint" catch-all. Each exchange is also validated by
	// checkExchange. Writes target IDs that do not exist.
	e := newEnv(t, memory.New(), httpapi.Config{APIRate: 1000, APIBurst: 1000})
	for _, r := range all {
		path := strings.NewReplacer("{id}", "999999", "{comment_id}", "999999", "{ip}", "192.0.2.77").Replace(r.path)
		var body any
		if r.method == "POST" || r.method == "PUT" {
			body = "{}"
		}
		resp := e.do(r.method, path, body, "Authorization", e.root)
		require.NotEqual(t, http.StatusMethodNotAllowed, resp.Status, "%s %s", r.method, path)
		if resp.Status == http.StatusNotFound {
			require.NotContains(t, resp.Problem(t).Detail, "no such endpoint", "%s %s is documented but not served", r.method, path)
		}
	}

	// The document and the page are served with their content types.
	r := e.do("GET", "/openapi.json", nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	var served map[string]any
	r.JSON(t, &served)
	require.Equal(t, "3.1.0", served["openapi"])
	require.JSONEq(t, string(httpapi.OpenAPI()), string(r.Body))

	r = e.do("GET", "/docs", nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "text/html; charset=utf-8", r.Header.Get("Content-Type"))
	page := string(r.Body)
	require.NotContains(t, page, "<script", "the page runs no scripts")
	require.NotContains(t, page, "http://", "the page loads nothing from elsewhere")
	require.Contains(t, r.Header.Get("Content-Security-Policy"), "default-src 'self'")
	for _, r := range all {
		op := doc.Paths.Find(r.path).GetOperation(r.method)
		require.Contains(t, page, `id="op-`+op.OperationID+`"`, "the page lists %s %s", r.method, r.path)
	}
	for name := range doc.Components.Schemas {
		require.Contains(t, page, `id="schema-`+name+`"`, "the page shows schema %s", name)
	}
}

// TestOpenAPICoversRegisteredRoutes reads the patterns the package
// registers on its mux ("GET /health", "DELETE /api/security/blocks/{ip}")
// and requires each to be documented, so that a new endpoint cannot ship
// without its contract. The admin models are registered in a loop; the
// document lists each of them explicitly (checked in TestOpenAPIDocument).
func TestOpenAPICoversRegisteredRoutes(t *testing.T) {
	t.Parallel()
	doc := openAPI(t).doc
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	pattern := regexp.MustCompile(`a\.mux\.Handle(?:Func)?\("([A-Z]+) (/[^"]*)"`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range pattern.FindAllStringSubmatch(string(src), -1) {
			found++
			method, path := m[1], m[2]
			item := doc.Paths.Find(path)
			require.NotNil(t, item, "%s registers %s %s, which the OpenAPI document does not list", f, method, path)
			require.NotNil(t, item.GetOperation(method), "%s registers %s %s, which the OpenAPI document does not list", f, method, path)
		}
	}
	require.Greater(t, found, 10, "the route scan found the registrations")
}

// TestOpenAPIRejectsDrift makes sure the validation catches a response
// that breaks the contract, so a green run means something.
func TestOpenAPIRejectsDrift(t *testing.T) {
	t.Parallel()
	c := openAPI(t)
	req, err := http.NewRequestWithContext(t.Context(), "GET", "http://api.test/health", nil)
	require.NoError(t, err)
	route, params, err := c.router.FindRoute(req)
	require.NoError(t, err)
	body, _ := json.Marshal(map[string]any{"status": "ok"}) // no version
	in := validationInput(route, params, req)
	require.Error(t, validateResponse(in, http.StatusOK, jsonHeader("application/json"), body), "a missing required field is caught")
	body, _ = json.Marshal(map[string]any{"status": "ok", "version": "dev"})
	require.NoError(t, validateResponse(in, http.StatusOK, jsonHeader("application/json"), body))
	require.Error(t, validateResponse(in, http.StatusTeapot, jsonHeader("application/problem+json"),
		[]byte(`{"type":"about:blank","title":"x","status":418}`)), "an undocumented status is caught")
	require.Error(t, validateResponse(in, http.StatusForbidden, jsonHeader("application/json"),
		[]byte(`{"type":"about:blank","title":"x","status":403}`)), "an error without problem+json is caught")
}

func jsonHeader(contentType string) http.Header { return http.Header{"Content-Type": {contentType}} }
