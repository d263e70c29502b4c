package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
)

// FuzzListFilters sends random bytes as the value of every query
// parameter of every GET operation of the OpenAPI document without path
// parameters (the lists, by-serial, the analytics and the audit), as a
// company admin and as the platform admin, on SQLite, where a NUL byte once
// cut a statement short; no answer may be a 5xx. The seeds run with every
// go test; go test -fuzz FuzzListFilters explores further.
func FuzzListFilters(f *testing.F) {
	for _, seed := range []string{
		"\x00", "a\x00b", "%", "_", "'", "''; DROP TABLE tickets; --", "\\", "\\'", "\"", "?", "?!", "$1", ":name",
		"\xff\xfe", "\xed\xa0\x80", "\u0085", "\x1b[2J", "\u202e", "é", "\t", " ", "", strings.Repeat("ab ", 100),
		"2026-13-45", "2026-07", "-1", "0", "99999999999999999999", "true", "in_stock", "*", "[", "{", "\r\n",
	} {
		f.Add([]byte(seed))
	}
	store := bunstoretest.SQLite(f)
	desk, err := helpdesk.New(store, helpdesk.WithBcryptCost(bcrypt.MinCost))
	require.NoError(f, err)
	_, err = desk.Bootstrap(f.Context(), rootEmail, rootPassword)
	require.NoError(f, err)
	h, err := httpapi.New(desk, httpapi.Config{APIRate: 1e6, APIBurst: 1e6})
	require.NoError(f, err)
	srv := httptest.NewServer(h)
	f.Cleanup(srv.Close)

	ctx := f.Context()
	co, err := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(f, err)
	in, err := tenant.System().InCompany(co.ID)
	require.NoError(f, err)
	ct, err := desk.Directory.CreateContact(ctx, in, directory.ContactInput{Name: "Ana", Email: "ana@acme.test"})
	require.NoError(f, err)
	_, err = desk.Directory.CreateUser(ctx, in, directory.UserInput{Email: "ana@acme.test", Password: "password-admin",
		Role: tenant.RoleAdmin, ContactID: ct.ID})
	require.NoError(f, err)
	login := func(email, password string) string {
		tk, _, err := desk.Login(ctx, email, password)
		require.NoError(f, err)
		return tk.AccessToken
	}
	tokens := []string{login("ana@acme.test", "password-admin"), login(rootEmail, rootPassword)}

	type target struct{ path, param string }
	var targets []target
	c, err := loadContract()
	require.NoError(f, err)
	doc := c.doc
	for path, item := range doc.Paths.Map() {
		op := item.Get
		if op == nil || strings.Contains(path, "{") {
			continue
		}
		for _, p := range append(item.Parameters, op.Parameters...) {
			if p.Value != nil && p.Value.In == "query" {
				targets = append(targets, target{path, p.Value.Name})
			}
		}
	}
	slices.SortFunc(targets, func(a, b target) int { return strings.Compare(a.path+"?"+a.param, b.path+"?"+b.param) })
	require.Greater(f, len(targets), 30, "the document's list filters were found")

	f.Fuzz(func(t *testing.T, value []byte) {
		for _, tg := range targets {
			for _, token := range tokens {
				req, err := http.NewRequestWithContext(t.Context(), "GET",
					srv.URL+tg.path+"?"+url.Values{tg.param: {string(value)}}.Encode(), nil)
				require.NoError(t, err)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := srv.Client().Do(req)
				require.NoError(t, err)
				body, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				require.Less(t, resp.StatusCode, 500, "GET %s?%s=%q: %s", tg.path, tg.param, value, body)
			}
		}
	})
}
