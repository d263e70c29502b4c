package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine to write while
// the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a getenv over m. Unless m sets it, BOLADAO_BCRYPT_COST is 4: the
// tests hash passwords fast; and files of PostgreSQL runs live under the
// system's temporary directory (content-addressed, so runs may share it),
// not in the package's directory.
func env(m map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := m[k]; ok {
			return v
		}
		switch k {
		case "BOLADAO_BCRYPT_COST":
			return "4"
		case "BOLADAO_FILES_URL":
			if strings.HasPrefix(m["BOLADAO_DATABASE_URL"], "postgres") {
				return "file://" + filepath.ToSlash(filepath.Join(os.TempDir(), "boladao-cmd-test-files"))
			}
		}
		return ""
	}
}

// startServer runs "serve" on a free port and returns its base URL; the
// server stops, and its clean exit is checked, when the test ends.
func startServer(t *testing.T, vars map[string]string) (string, *syncBuffer) {
	t.Helper()
	cfg, err := parseConfig("serve", []string{"-addr", "127.0.0.1:0"}, env(vars), os.Stderr)
	require.NoError(t, err)
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, out, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("server stopped before serving: %v\n%s", err, out.String())
	}
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done, "the server stops cleanly on cancellation")
		require.Contains(t, out.String(), "boladao stopped")
	})
	return "http://" + addr, out
}

func TestServeZeroConfigOnSQLite(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	base, out := startServer(t, nil)

	resp, err := http.Get(base + "/health")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var body map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, "ok", body["status"])

	_, err = os.Stat(filepath.Join(dir, "data", "boladao.db"))
	require.NoError(t, err, "the default database lives under ./data")
	log := out.String()
	require.Contains(t, log, "Created platform admin admin@boladao.local with password ")
	st, err := bunstore.Open(t.Context(), "sqlite:"+filepath.Join(dir, "data", "boladao.db"), bunstore.WithoutMigrations())
	require.NoError(t, err)
	defer st.Close()
	latest, err := schemaVersion(t.Context(), st)
	require.NoError(t, err)
	require.GreaterOrEqual(t, latest, "20260701000004_settings")
	require.Contains(t, log, `"schema":"`+latest+`"`, "the startup block names the migration version")
}

func TestServeBootstrapsOnlyOnce(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "b.db")
	vars := map[string]string{"BOLADAO_DATABASE_URL": url, "BOLADAO_ADMIN_PASSWORD": "s3cret-password"}
	_, out := startServer(t, vars)
	require.NotContains(t, out.String(), "s3cret-password", "a configured password is never printed")
}

func TestServeMemory(t *testing.T) {
	base, out := startServer(t, map[string]string{"BOLADAO_DATABASE_URL": "memory:"})
	resp, err := http.Get(base + "/health")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, out.String(), "memory (data is lost")
}

func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"BOLADAO_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "m.db")}
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"migrate", "status"}, env(vars), &out, os.Stderr))
	require.Contains(t, out.String(), "pending  20260701000001_directory")
	out.Reset()
	require.NoError(t, run(t.Context(), []string{"migrate", "up"}, env(vars), &out, os.Stderr))
	require.Contains(t, out.String(), "applied 20260701000001_directory")
	require.Contains(t, out.String(), "applied  20260701000002_outbox")
	out.Reset()
	require.NoError(t, run(t.Context(), []string{"migrate", "up"}, env(vars), &out, os.Stderr))
	require.Contains(t, out.String(), "nothing to apply")
}

func TestCommandErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		vars map[string]string
		want string
	}{
		{[]string{"frobnicate"}, nil, `unknown command "frobnicate"`},
		{[]string{"migrate", "down"}, nil, `use status or up`},
		{[]string{"serve", "-log-level", "loud"}, nil, "use debug, info, warn or error"},
		{[]string{"serve", "extra"}, nil, "unexpected arguments"},
		{[]string{"serve", "-api-rate", "0"}, nil, `-api-rate / BOLADAO_API_RATE: API rate "0": use a positive number`},
		{[]string{"serve"}, map[string]string{"BOLADAO_API_BURST": "lots"}, `API burst "lots": use a whole number from 1`},
		{[]string{"serve", "-login-rate", "-1"}, nil, `login rate "-1": use a positive number`},
		{[]string{"serve"}, map[string]string{"BOLADAO_BLOCK_FOR": "forever"}, `block duration "forever": use a positive duration`},
		{[]string{"serve", "-max-body", "12"}, nil, `body size "12": use a number of bytes from 1024`},
		{[]string{"serve", "-max-page-size", "500"}, nil, `page size "500": use a whole number from 1 to 200`},
		{[]string{"serve", "-addr", "127.0.0.1:0"}, map[string]string{"BOLADAO_DATABASE_URL": "mysql://x"}, "use sqlite:PATH or postgres://"},
	}
	for _, tc := range tests {
		err := run(t.Context(), tc.args, env(tc.vars), &bytes.Buffer{}, &bytes.Buffer{})
		require.Error(t, err, strings.Join(tc.args, " "))
		require.Contains(t, err.Error(), tc.want)
	}
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"version"}, env(nil), &out, &out))
	require.Equal(t, "boladao dev\n", out.String())
}

// TestSettingsDocumented: every setting has its row in the README's table,
// with its variable and its flag.
func TestSettingsDocumented(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	rows := map[string]string{}
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| `BOLADAO_") {
			for _, f := range strings.Split(line, "`") {
				if strings.HasPrefix(f, "BOLADAO_") {
					rows[f] = line
				}
			}
		}
	}
	for _, s := range settings() {
		row, ok := rows[s.env]
		require.True(t, ok, "the README's configuration table has no row for %s", s.env)
		require.Contains(t, row, "`-"+s.flag+"`", "the README's row of %s names its flag", s.env)
	}
}

// TestServeAppliesLimits: the limits set by variables reach the API and
// the sign-in guard.
func TestServeAppliesLimits(t *testing.T) {
	base, _ := startServer(t, map[string]string{"BOLADAO_DATABASE_URL": "memory:", "BOLADAO_ADMIN_PASSWORD": "admin-password-1",
		"BOLADAO_MAX_PAGE_SIZE": "5", "BOLADAO_LOGIN_BURST": "2", "BOLADAO_MAX_BODY": "2KiB"})
	login := func(password string) *http.Response {
		body := `{"email":"admin@boladao.local","password":"` + password + `"}`
		resp, err := http.Post(base+"/auth/login", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	ok := login("admin-password-1")
	require.Equal(t, http.StatusOK, ok.StatusCode)
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(ok.Body).Decode(&tokens))
	get := func(path string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	require.Equal(t, http.StatusOK, get("/admin/api/companies?limit=5").StatusCode)
	tooMany := get("/admin/api/companies?limit=6")
	require.Equal(t, http.StatusUnprocessableEntity, tooMany.StatusCode)
	var problem map[string]any
	require.NoError(t, json.NewDecoder(tooMany.Body).Decode(&problem))
	require.Contains(t, fmt.Sprint(problem), "from 1 to 5")

	big := `{"email":"admin@boladao.local","password":"` + strings.Repeat("x", 4096) + `"}`
	resp, err := http.Post(base+"/auth/login", "application/json", strings.NewReader(big))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "a body above BOLADAO_MAX_BODY")

	// One attempt used by the successful login: the burst of 2 leaves one.
	require.Equal(t, http.StatusUnauthorized, login("wrong-password").StatusCode)
	require.Equal(t, http.StatusTooManyRequests, login("wrong-password").StatusCode, "the account's burst is BOLADAO_LOGIN_BURST")
}
