package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestServeMountsTheConsole checks that the server answers the API at its
// paths and the web console everywhere else, and that both share one
// account store: the bootstrap admin signs in through the console's form.
func TestServeMountsTheConsole(t *testing.T) {
	base, _ := startServer(t, map[string]string{"BOLADAO_DATABASE_URL": "memory:", "BOLADAO_ADMIN_PASSWORD": "console-password-1"})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		path     string
		status   int
		location string
		body     string
		ctype    string
	}{
		{path: "/", status: http.StatusSeeOther, location: "/signin"},
		{path: "/signin", status: http.StatusOK, body: `name="password"`, ctype: "text/html"},
		{path: "/no-such-page", status: http.StatusNotFound, ctype: "text/html"},
		{path: "/health", status: http.StatusOK, ctype: "application/json"},
		{path: "/api/helpdesk/no-such-thing", status: http.StatusNotFound, ctype: "application/problem+json"},
		{path: "/admin/api/users", status: http.StatusUnauthorized, ctype: "application/problem+json"},
		{path: "/admin/users", status: http.StatusSeeOther, location: "/signin?next=%2Fadmin%2Fusers"},
		{path: "/admin", status: http.StatusSeeOther, location: "/admin/users"},
		{path: "/integrations/", status: http.StatusSeeOther, location: "/integrations/webhooks"},
	}
	for _, tt := range tests {
		resp, err := noRedirect.Get(base + tt.path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, tt.status, resp.StatusCode, tt.path)
		require.Equal(t, tt.location, resp.Header.Get("Location"), tt.path)
		require.Contains(t, string(body), tt.body, tt.path)
		require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), tt.ctype), "%s: %s", tt.path, resp.Header.Get("Content-Type"))
	}

	req, err := http.NewRequest(http.MethodPost, base+"/signin",
		strings.NewReader(url.Values{"email": {"admin@boladao.local"}, "password": {"console-password-1"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := noRedirect.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/dashboard", resp.Header.Get("Location"))
	require.NotEmpty(t, resp.Cookies())

	// The console's pages are not shadowed by the API's paths.
	for _, path := range []string{"/dashboard", "/tickets", "/assets", "/service-orders", "/admin/users", "/admin/company",
		"/admin/companies", "/integrations/webhooks", "/ops", "/profile"} {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		require.NoError(t, err)
		for _, c := range resp.Cookies() {
			req.AddCookie(c)
		}
		page, err := noRedirect.Do(req)
		require.NoError(t, err)
		page.Body.Close()
		require.NotEqual(t, http.StatusNotFound, page.StatusCode, path)
		require.True(t, strings.HasPrefix(page.Header.Get("Content-Type"), "text/html"), "%s: %s", path, page.Header.Get("Content-Type"))
	}
}

// TestServeConsoleOperations signs the bootstrap admin in to the console
// and backs the SQLite database up from the operations page, which shows
// the schema version and the deployment's warnings the server found.
func TestServeConsoleOperations(t *testing.T) {
	dir := t.TempDir()
	backups := filepath.Join(dir, "backups")
	base, _ := startServer(t, map[string]string{"BOLADAO_DATABASE_URL": "sqlite:" + filepath.Join(dir, "boladao.db"),
		"BOLADAO_ADMIN_PASSWORD": "console-password-1", "BOLADAO_BACKUP_DIR": backups})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) *http.Response {
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := cl.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	require.Equal(t, http.StatusSeeOther, post("/signin", url.Values{"email": {"admin@boladao.local"}, "password": {"console-password-1"}}).StatusCode)

	resp, err := cl.Get(base + "/ops")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Regexp(t, `<code>\d{14}_`, string(page), "the schema version is shown")
	require.Contains(t, string(page), "no allowed hosts configured", "the API's warnings are shown")

	resp = post("/ops/backup", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	require.Contains(t, string(body), backups)
	files, err := filepath.Glob(filepath.Join(backups, "*.db"))
	require.NoError(t, err)
	require.Len(t, files, 1)
}
