package main

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
)

// freePort returns a loopback address nobody listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// TestBinaryEndToEnd builds the real binary once and, on a temporary
// SQLite database and on a PostgreSQL schema of its own, runs it as a
// process, walks the API (bootstrap login, a company with an agent, the
// agent's login and /auth/me, a permission refusal, refresh reuse, another
// company's rows answering 404) and stops it with SIGTERM.
func TestBinaryEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "boladao")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "-ldflags", "-X main.version=e2e-test", ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run(), "go build")

	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		runBinary(t, bin, "sqlite:"+filepath.Join(t.TempDir(), "e2e.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		runBinary(t, bin, postgresURL(t))
	})
}

// postgresURL returns a DSN whose connections live in a fresh schema,
// dropped when the test ends.
func postgresURL(t *testing.T) string {
	dsn := bunstoretest.PostgresDSN(t)
	st := bunstoretest.Postgres(t) // creates, migrates and later drops a schema
	var schema string
	require.NoError(t, st.DB().QueryRowContext(t.Context(), "SELECT current_schema()").Scan(&schema))
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

func runBinary(t *testing.T, bin, dbURL string) {
	dir := t.TempDir()
	addr := freePort(t)
	stdout := &syncBuffer{}
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"BOLADAO_ADDR="+addr,
		"BOLADAO_DATABASE_URL="+dbURL,
		"BOLADAO_ADMIN_EMAIL=root@e2e.test",
		"BOLADAO_ADMIN_PASSWORD=e2e-password-1",
		"BOLADAO_BCRYPT_COST=4",
		"BOLADAO_BACKUP_DIR="+filepath.Join(dir, "backups"),
	)
	cmd.Stdout, cmd.Stderr = stdout, stdout
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false // set once the test has received from exited
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	s := &server{base: "http://" + addr, out: stdout, client: &http.Client{Timeout: 5 * time.Second}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := s.client.Get(s.base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("boladao exited before serving: %v\n%s", err, stdout.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "boladao did not answer /health within 30s:\n%s", stdout.String())
		time.Sleep(50 * time.Millisecond)
	}

	walk(t, s)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		stopped = true
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			t.Fatalf("boladao exited with code %d:\n%s", exitErr.ExitCode(), stdout.String())
		}
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("boladao did not stop within 30s of SIGTERM:\n%s", stdout.String())
	}
	require.Equal(t, 0, cmd.ProcessState.ExitCode())
	out := stdout.String()
	require.Contains(t, out, `"msg":"boladao starting","version":"e2e-test"`)
	require.Contains(t, out, "boladao stopped")
	require.NotContains(t, out, "e2e-password-1", "the configured password is never printed")
	require.True(t, strings.Index(out, "boladao stopping") < strings.Index(out, "boladao stopped"))
}

// walk exercises the running server as a new installation would.
func walk(t *testing.T, s *server) {
	root := s.login(t, "root@e2e.test", "e2e-password-1")
	status, body := s.call(t, "GET", "/auth/me", root, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.Contains(t, string(body), "root@e2e.test")

	id := func(status int, body []byte) string {
		require.Equal(t, http.StatusCreated, status, "%s", body)
		var v struct{ ID int64 }
		require.NoError(t, json.Unmarshal(body, &v))
		return strconv.FormatInt(v.ID, 10)
	}
	acme := id(s.call(t, "POST", "/admin/api/companies", root, map[string]string{"name": "Acme", "cnpj": "11.222.333/0001-81"}))
	other := id(s.call(t, "POST", "/admin/api/companies", root, map[string]string{"name": "Other"}))
	contact := id(s.callIn(t, "POST", "/admin/api/contacts", root, acme, map[string]string{"name": "Ana", "email": "ana@acme.test"}))
	cid, err := strconv.ParseInt(contact, 10, 64)
	require.NoError(t, err)
	id(s.callIn(t, "POST", "/admin/api/users", root, acme,
		map[string]any{"email": "ana@acme.test", "password": "agent-password", "role": "agent", "contact_id": cid}))
	foreign := id(s.callIn(t, "POST", "/admin/api/contacts", root, other, map[string]string{"name": "Someone else"}))

	agent := s.login(t, "ana@acme.test", "agent-password")
	status, body = s.call(t, "GET", "/auth/me", agent, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(body), `"role":"agent"`)
	status, _ = s.call(t, "POST", "/admin/api/companies", agent, map[string]string{"name": "Mine"})
	require.Equal(t, http.StatusForbidden, status)
	status, _ = s.call(t, "GET", "/admin/api/contacts/"+foreign, agent, nil)
	require.Equal(t, http.StatusNotFound, status, "another company's contact does not exist for the agent")

	status, body = s.call(t, "POST", "/auth/login", "", map[string]string{"email": "ana@acme.test", "password": "agent-password"})
	require.Equal(t, http.StatusOK, status)
	var tk struct {
		RefreshToken string `json:"refresh_token"`
	}
	require.NoError(t, json.Unmarshal(body, &tk))
	refresh := map[string]string{"refresh_token": tk.RefreshToken}
	status, _ = s.call(t, "POST", "/auth/refresh", "", refresh)
	require.Equal(t, http.StatusOK, status)
	status, _ = s.call(t, "POST", "/auth/refresh", "", refresh)
	require.Equal(t, http.StatusUnauthorized, status, "a reused refresh token is refused")
}

// callIn is call as a platform admin acting in company.
func (s *server) callIn(t *testing.T, method, path, token, company string, body any) (int, []byte) {
	t.Helper()
	return s.callWith(t, method, path, token, body, "X-Company-ID", company)
}
