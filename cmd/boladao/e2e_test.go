package main

import (
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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

// TestBinaryEndToEnd builds the real binary, runs it as a process on a
// temporary SQLite database, logs in, and stops it with SIGTERM.
func TestBinaryEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "boladao")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "-ldflags", "-X main.version=e2e-test", ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run(), "go build")

	addr := freePort(t)
	stdout := &syncBuffer{}
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"BOLADAO_ADDR="+addr,
		"BOLADAO_DATABASE_URL=sqlite:"+filepath.Join(dir, "e2e.db"),
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

	token := s.login(t, "root@e2e.test", "e2e-password-1")
	status, body := s.call(t, "GET", "/auth/me", token, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.Contains(t, string(body), "root@e2e.test")

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
