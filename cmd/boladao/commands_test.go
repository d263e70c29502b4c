package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
)

// server is a "serve" run in-process.
type server struct {
	base   string
	out    *syncBuffer
	client *http.Client
	stop   func() error
}

// launch runs "serve" with args and vars on a free port; it is stopped
// (and its clean exit checked) at the end of the test unless stopped
// before.
func launch(t *testing.T, vars map[string]string, args ...string) *server {
	t.Helper()
	cfg, err := parseConfig("serve", append([]string{"-addr", "127.0.0.1:0"}, args...), env(vars), os.Stderr)
	require.NoError(t, err)
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, out, ready) }()
	s := &server{out: out, client: &http.Client{Timeout: 10 * time.Second}}
	select {
	case addr := <-ready:
		s.base = "http://" + addr
		if cfg.TLSCert != "" {
			s.base = "https://" + addr
		}
	case err := <-done:
		cancel()
		t.Fatalf("server stopped before serving: %v\n%s", err, out.String())
	}
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			stopErr = <-done
		})
		return stopErr
	}
	t.Cleanup(func() {
		require.NoError(t, s.stop(), "the server stops cleanly on cancellation")
		require.Contains(t, out.String(), "boladao stopped")
	})
	return s
}

// call sends a request with an optional bearer token and JSON body.
func (s *server) call(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	return s.callWith(t, method, path, token, body)
}

// callWith is call with extra headers, given as name, value pairs.
func (s *server) callWith(t *testing.T, method, path, token string, body any, headers ...string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.base+path, r)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

// login returns an access token.
func (s *server) login(t *testing.T, email, password string) string {
	t.Helper()
	status, body := s.call(t, "POST", "/auth/login", "", map[string]string{"email": email, "password": password})
	require.Equal(t, http.StatusOK, status, "%s", body)
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal(body, &tk))
	require.NotEmpty(t, tk.AccessToken)
	return tk.AccessToken
}

func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	c, err := parseConfig("serve", nil, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	require.Equal(t, ":8080", c.Addr, "default")
	require.Equal(t, 10, c.BcryptCost)
	require.Equal(t, "sqlite:./data/boladao.db", c.DatabaseURL)
	require.Equal(t, "./data/backups", c.BackupDir)
	require.Equal(t, slog.LevelInfo, c.LogLevel)
	require.Nil(t, c.AllowedHosts)

	vars := map[string]string{
		"BOLADAO_ADDR": ":9000", "BOLADAO_LOG_LEVEL": "debug", "BOLADAO_ALLOWED_HOSTS": "a.example, b.example,,",
		"BOLADAO_CORS_ORIGINS": "https://app.example", "BOLADAO_BACKUP_DIR": "/var/backups/boladao",
	}
	c, err = parseConfig("serve", nil, env(vars), io.Discard)
	require.NoError(t, err)
	require.Equal(t, ":9000", c.Addr, "the environment overrides the default")
	require.Equal(t, slog.LevelDebug, c.LogLevel)
	require.Equal(t, []string{"a.example", "b.example"}, c.AllowedHosts)
	require.Equal(t, []string{"https://app.example"}, c.CORSOrigins)
	require.Equal(t, "/var/backups/boladao", c.BackupDir)

	c, err = parseConfig("serve", []string{"-addr", ":9100", "--log-level", "warn", "-allowed-hosts", "c.example"}, env(vars), io.Discard)
	require.NoError(t, err)
	require.Equal(t, ":9100", c.Addr, "a flag overrides the environment")
	require.Equal(t, slog.LevelWarn, c.LogLevel)
	require.Equal(t, []string{"c.example"}, c.AllowedHosts)
	require.Equal(t, "/var/backups/boladao", c.BackupDir, "unset flags keep the environment")

	_, err = parseConfig("serve", []string{"-tls-cert", "c.pem"}, env(nil), io.Discard)
	require.ErrorContains(t, err, "both BOLADAO_TLS_CERT and BOLADAO_TLS_KEY")
	_, err = parseConfig("serve", nil, env(map[string]string{"BOLADAO_JWT_SECRET": "short"}), io.Discard)
	require.ErrorContains(t, err, "at least 32")
	_, err = parseConfig("serve", []string{"-bcrypt-cost", "3"}, env(nil), io.Discard)
	require.ErrorContains(t, err, "from 10 to 14")

	// The NATS namespace: one stream and subject prefix per deployment.
	require.Equal(t, "BOLADAO", c.Events.NATSStream, "default stream")
	require.Equal(t, "boladao", c.Events.NATSPrefix, "default prefix")
	c, err = parseConfig("serve", []string{"-nats-subject-prefix", "acme.helpdesk"}, env(map[string]string{"BOLADAO_NATS_STREAM": "ACME_HELPDESK"}), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "ACME_HELPDESK", c.Events.NATSStream)
	require.Equal(t, "acme.helpdesk", c.Events.NATSPrefix)
	for _, bad := range [][]string{{"-nats-stream", "a.b"}, {"-nats-stream", "A B"}, {"-nats-stream", ""}, {"-nats-subject-prefix", "a.*"},
		{"-nats-subject-prefix", "a..b"}, {"-nats-subject-prefix", "a."}, {"-nats-subject-prefix", "a >"}} {
		_, err = parseConfig("serve", bad, env(nil), io.Discard)
		require.ErrorContains(t, err, "NATS", "%v", bad)
	}

	// Positional arguments may come before or after flags.
	_, rest, err := parseCommand("restore", []string{"b.db", "-database-url", "sqlite:x.db"}, env(nil), io.Discard, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"b.db"}, rest)

	// -h shows built-in defaults, never a secret from the environment.
	var help bytes.Buffer
	_, err = parseConfig("serve", []string{"-h"}, env(map[string]string{"BOLADAO_JWT_SECRET": strings.Repeat("k", 40)}), &help)
	require.Error(t, err)
	require.NotContains(t, help.String(), strings.Repeat("k", 40))
	require.Contains(t, help.String(), "BOLADAO_COVERAGE_FILE")
}

var seedLine = regexp.MustCompile(`(?m)^(Boladão Demo|Acme Serviços)\s+(admin|agent|requester|viewer)\s+(\S+@\S+)\s+(\S+)\s*$`)

func TestSeedDemo(t *testing.T) {
	t.Parallel()
	url := "sqlite:" + filepath.Join(t.TempDir(), "seed.db")
	vars := map[string]string{"BOLADAO_DATABASE_URL": url}
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"seed", "--demo"}, env(vars), &out, io.Discard))
	lines := seedLine.FindAllStringSubmatch(out.String(), -1)
	require.Len(t, lines, 8, "a user of every role in both companies:\n%s", out.String())
	require.Contains(t, out.String(), "users and 24 assets")
	require.NotContains(t, out.String(), "Not seeded yet")

	// The printed credentials work, and the data went through the services.
	st, err := bunstore.Open(t.Context(), url)
	require.NoError(t, err)
	defer st.Close()
	desk, err := helpdesk.New(st)
	require.NoError(t, err)
	for _, l := range lines {
		u, err := desk.Directory.Authenticate(t.Context(), l[3], l[4])
		require.NoError(t, err, l[3])
		require.Equal(t, tenant.Role(l[2]), u.Role)
	}
	cos, err := desk.Directory.ListCompanies(t.Context(), tenant.System(), directory.CompanyFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, cos.Items, 2)
	cnpjs := []string{cos.Items[0].CNPJ, cos.Items[1].CNPJ}
	require.ElementsMatch(t, []string{"11222333000181", "11444777000161"}, cnpjs)
	for _, co := range cos.Items {
		admin, err := tenant.System().InCompany(co.ID)
		require.NoError(t, err)
		assets, err := desk.Inventory.ListAssets(t.Context(), admin, inventory.AssetFilter{}, storage.PageRequest{})
		require.NoError(t, err)
		require.Len(t, assets.Items, 12, "assets in more than one state")
		assigned, err := desk.Inventory.ListAssets(t.Context(), admin, inventory.AssetFilter{Status: inventory.StatusAssigned}, storage.PageRequest{})
		require.NoError(t, err)
		require.Len(t, assigned.Items, 1)
	}
	evs, err := desk.Outbox(t.Context(), eventsQuery("company.created"))
	require.NoError(t, err)
	require.Len(t, evs, 2, "created through the services: events were written")
	checkDemoWork(t, desk, time.Now())

	err = run(t.Context(), []string{"seed", "--demo"}, env(vars), io.Discard, io.Discard)
	require.ErrorIs(t, err, errDemoPresent, "seed refuses to run twice")
	require.ErrorContains(t, run(t.Context(), []string{"seed"}, env(vars), io.Discard, io.Discard), "seed --demo")
	require.ErrorContains(t, run(t.Context(), []string{"seed", "--demo"}, env(map[string]string{"BOLADAO_DATABASE_URL": "memory:"}), io.Discard, io.Discard), "in-memory")
}

func TestBackupAndRestoreCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "live.db")
	vars := map[string]string{"BOLADAO_DATABASE_URL": url, "BOLADAO_BACKUP_DIR": filepath.Join(dir, "backups")}
	require.NoError(t, run(t.Context(), []string{"seed", "--demo"}, env(vars), io.Discard, io.Discard))
	// A file in the default files directory, next to the database.
	blobs, err := attachments.OpenDir(filepath.Join(dir, "files"))
	require.NoError(t, err)
	photo := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte("pixels"), 1000)...)
	{
		st, err := bunstore.Open(t.Context(), url)
		require.NoError(t, err)
		desk, err := helpdesk.New(st, helpdesk.WithAttachments(blobs, attachments.Policy{}))
		require.NoError(t, err)
		cos, err := desk.Directory.ListCompanies(t.Context(), tenant.System(), directory.CompanyFilter{}, storage.PageRequest{})
		require.NoError(t, err)
		admin, _ := tenant.System().InCompany(cos.Items[0].ID)
		_, err = desk.Attachments.Stage(t.Context(), admin, "foto.png", bytes.NewReader(photo))
		require.NoError(t, err)
		require.NoError(t, st.Close())
		require.NoError(t, blobs.Bucket().Close())
	}
	photoKey := filepath.Join(dir, "files", filepath.FromSlash(attachments.BlobKey(fmt.Sprintf("%x", sha256.Sum256(photo)))))
	require.FileExists(t, photoKey)

	// Into the backup directory by default, to a file with --out.
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"backup"}, env(vars), &out, io.Discard))
	require.Regexp(t, `backup written: .*backups/boladao-\d{8}T\d{6}\.\d{3}Z\.db\n`, out.String())
	require.Regexp(t, `files backup written: .*backups/boladao-\d{8}T\d{6}\.\d{3}Z\.db\.files\.tar\nfiles: 1 blobs, \d+ bytes\n`, out.String())
	require.Regexp(t, `sha256: [0-9a-f]{64}\n`, out.String())
	file := filepath.Join(dir, "snap.db")
	out.Reset()
	require.NoError(t, run(t.Context(), []string{"backup", "--out", file}, env(vars), &out, io.Discard))
	require.Contains(t, out.String(), "backup written: "+file)
	require.FileExists(t, file+".sha256")
	require.ErrorContains(t, run(t.Context(), []string{"backup", "--out", file}, env(vars), io.Discard, io.Discard), "already exists")

	// Change the database, then restore the backup over it.
	st, err := bunstore.Open(t.Context(), url)
	require.NoError(t, err)
	desk, err := helpdesk.New(st)
	require.NoError(t, err)
	_, err = desk.Directory.CreateCompany(t.Context(), tenant.System(), directory.CompanyInput{Name: "After the backup"})
	require.NoError(t, err)
	require.NoError(t, st.Close())

	// The files are lost too; the restore puts them back.
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "files")))
	out.Reset()
	require.NoError(t, run(t.Context(), []string{"restore", file}, env(vars), &out, io.Discard))
	require.Contains(t, out.String(), "restored "+file)
	require.Contains(t, out.String(), "restored 1 files")
	got, err := os.ReadFile(photoKey)
	require.NoError(t, err)
	require.Equal(t, photo, got)
	st, err = bunstore.Open(t.Context(), url)
	require.NoError(t, err)
	defer st.Close()
	desk, err = helpdesk.New(st)
	require.NoError(t, err)
	cos, err := desk.Directory.ListCompanies(t.Context(), tenant.System(), directory.CompanyFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, cos.Items, 2, "the company created after the backup is gone")

	require.ErrorContains(t, run(t.Context(), []string{"restore"}, env(vars), io.Discard, io.Discard), "name one backup file")
	require.NoError(t, os.WriteFile(file, []byte("garbage"), 0o600))
	require.ErrorIs(t, run(t.Context(), []string{"restore", file}, env(vars), io.Discard, io.Discard), bunstore.ErrBackupChecksum)
	memory := map[string]string{"BOLADAO_DATABASE_URL": "memory:"}
	require.ErrorContains(t, run(t.Context(), []string{"backup"}, env(memory), io.Discard, io.Discard), "in-memory")
}

func TestBackupRestoreCommandsPostgres(t *testing.T) {
	t.Parallel()
	src := bunstoreTestPostgres(t)
	dst := bunstoreTestPostgres(t)
	vars := map[string]string{"BOLADAO_DATABASE_URL": src}
	require.NoError(t, run(t.Context(), []string{"seed", "--demo"}, env(vars), io.Discard, io.Discard))
	file := filepath.Join(t.TempDir(), "pg.jsonl.gz")
	require.NoError(t, run(t.Context(), []string{"backup", "--out", file}, env(vars), io.Discard, io.Discard))
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"restore", file}, env(map[string]string{"BOLADAO_DATABASE_URL": dst}), &out, io.Discard))
	require.NotContains(t, out.String(), "password")
	st, err := bunstore.Open(t.Context(), dst)
	require.NoError(t, err)
	defer st.Close()
	var n int
	require.NoError(t, st.DB().QueryRowContext(t.Context(), "SELECT count(*) FROM users").Scan(&n))
	require.Equal(t, 8, n)
}

func TestLogFileAndStartupBlock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "logs", "boladao.log")
	secret := strings.Repeat("s", 40)
	vars := map[string]string{
		"BOLADAO_DATABASE_URL": "sqlite:" + filepath.Join(dir, "l.db"), "BOLADAO_LOG_FILE": logFile,
		"BOLADAO_JWT_SECRET": secret, "BOLADAO_ADMIN_PASSWORD": "admin-password-1", "BOLADAO_CORS_ORIGINS": "*",
	}
	s := launch(t, vars)
	status, _ := s.call(t, "GET", "/health", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, s.stop())

	raw, err := os.ReadFile(logFile)
	require.NoError(t, err)
	var records []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "every line of the log file is JSON: %s", line)
		records = append(records, rec)
	}
	require.Equal(t, "boladao starting", records[0]["msg"])
	require.Equal(t, false, records[0]["tls"])
	require.Equal(t, "dev", records[0]["version"])
	require.Contains(t, records[0]["database"], "sqlite")
	warnings, _ := json.Marshal(records[0]["warnings"])
	require.Contains(t, string(warnings), "CORS allows any origin")
	require.Contains(t, string(warnings), "TLS is off")
	require.NotContains(t, string(warnings), "JWT", "a configured secret is no warning")
	require.Equal(t, "boladao stopped", records[len(records)-1]["msg"])
	require.Contains(t, string(raw), `"route":"GET /health"`)
	require.Contains(t, s.out.String(), "boladao stopped", "stdout gets the log too")
	require.NotContains(t, string(raw), secret, "secrets are never logged")
	require.NotContains(t, string(raw), "admin-password-1")
}

func TestGeneratedJWTSecretPersistsWithTheData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vars := map[string]string{"BOLADAO_DATABASE_URL": "sqlite:" + filepath.Join(dir, "j.db"), "BOLADAO_ADMIN_PASSWORD": "admin-password-1"}
	first := launch(t, vars)
	token := first.login(t, "admin@boladao.local", "admin-password-1")
	require.NoError(t, first.stop())
	require.Contains(t, first.out.String(), "BOLADAO_JWT_SECRET is unset")

	st, err := bunstore.Open(t.Context(), vars["BOLADAO_DATABASE_URL"])
	require.NoError(t, err)
	stored, err := st.Setting(t.Context(), jwtSettingName, func() (string, error) { return "", io.EOF })
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(stored), 32)
	require.NoError(t, st.Close())
	require.NotContains(t, first.out.String(), stored, "the generated secret is never logged")

	second := launch(t, vars)
	status, body := second.call(t, "GET", "/auth/me", token, nil)
	require.Equal(t, http.StatusOK, status, "a token survives a restart: %s", body)
}

func TestServeOpsEndpoints(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	profile := filepath.Join(dir, "cover.out")
	require.NoError(t, os.WriteFile(profile, []byte("mode: set\nexample.com/m/a.go:1.1,2.2 4 1\nexample.com/m/a.go:3.1,4.2 1 0\n"), 0o600))
	vars := map[string]string{
		"BOLADAO_DATABASE_URL": "sqlite:" + filepath.Join(dir, "o.db"), "BOLADAO_ADMIN_PASSWORD": "admin-password-1",
		"BOLADAO_BACKUP_DIR": filepath.Join(dir, "backups"), "BOLADAO_COVERAGE_FILE": profile,
	}
	s := launch(t, vars)
	root := s.login(t, "admin@boladao.local", "admin-password-1")

	status, body := s.call(t, "GET", "/ready", "", nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.JSONEq(t, `{"status":"ready","checks":{"database":"ok","migrations":"ok"}}`, string(body))

	status, body = s.call(t, "GET", "/api/deployment/status", root, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var dep struct {
		SchemaVersion string   `json:"schema_version"`
		Warnings      []string `json:"warnings"`
	}
	require.NoError(t, json.Unmarshal(body, &dep))
	require.GreaterOrEqual(t, dep.SchemaVersion, "20260701000004_settings")
	require.Contains(t, strings.Join(dep.Warnings, "\n"), "BOLADAO_JWT_SECRET is unset")

	status, body = s.call(t, "POST", "/api/deployment/trigger-backup", root, nil)
	require.Equal(t, http.StatusCreated, status, "%s", body)
	var info struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256"`
	}
	require.NoError(t, json.Unmarshal(body, &info))
	require.Equal(t, filepath.Join(dir, "backups"), filepath.Dir(info.Path))
	require.FileExists(t, info.Path)
	require.Len(t, info.SHA256, 64)

	status, body = s.call(t, "GET", "/api/test/coverage", root, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.Contains(t, string(body), `"percent":80`)

	status, body = s.call(t, "GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(body), `go_sql_max_open_connections{db_name="write"} 1`)
	require.Contains(t, string(body), `http_requests_total{method="POST",route="POST /auth/login",status="200"} 1`)
	require.Regexp(t, `(?m)^boladao_outbox_pending_events \d+$`, string(body), "the reference server reports the outbox lag")
	require.Regexp(t, `(?m)^boladao_outbox_oldest_pending_age_seconds [0-9.e+-]+$`, string(body))
	require.Contains(t, string(body), "\nboladao_outbox_dead_letters 0\n")
	require.Regexp(t, `(?m)^boladao_background_failures_total\{loop="sla"\} 0$`, string(body), "the desk's loops are counted")

	status, body = s.call(t, "GET", "/api/performance/metrics", root, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(body), `"database_pools"`)
}

func TestServeMemoryBackupNotSupported(t *testing.T) {
	t.Parallel()
	s := launch(t, map[string]string{"BOLADAO_DATABASE_URL": "memory:", "BOLADAO_ADMIN_PASSWORD": "admin-password-1"})
	root := s.login(t, "admin@boladao.local", "admin-password-1")
	status, body := s.call(t, "POST", "/api/deployment/trigger-backup", root, nil)
	require.Equal(t, http.StatusNotFound, status, "%s", body)
	require.Contains(t, string(body), "in-memory database cannot be backed up")
	require.Contains(t, s.out.String(), "random key of this process")
	require.Contains(t, s.out.String(), "the database is in memory")
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and returns
// the PEM files and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "boladao test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestServeTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	vars := map[string]string{"BOLADAO_DATABASE_URL": "memory:", "BOLADAO_TLS_CERT": certFile, "BOLADAO_TLS_KEY": keyFile,
		"BOLADAO_ADMIN_PASSWORD": "admin-password-1"}
	s := launch(t, vars)
	require.True(t, strings.HasPrefix(s.base, "https://"))
	s.client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}

	resp, err := s.client.Get(s.base + "/health")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotNil(t, resp.TLS)
	require.NotEmpty(t, resp.Header.Get("Strict-Transport-Security"), "HSTS over TLS")
	token := s.login(t, "admin@boladao.local", "admin-password-1")
	status, _ := s.call(t, "GET", "/auth/me", token, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, s.out.String(), `"tls":true`)
	require.NotContains(t, s.out.String(), "TLS is off")

	// Plain HTTP to the TLS port is refused.
	plain := &http.Client{Timeout: 5 * time.Second}
	resp, err = plain.Get("http://" + strings.TrimPrefix(s.base, "https://") + "/health")
	if err == nil {
		resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	}

	// A bad key pair fails at startup with a clear message.
	cfg, err := parseConfig("serve", []string{"-addr", "127.0.0.1:0", "-tls-cert", keyFile, "-tls-key", keyFile}, env(map[string]string{"BOLADAO_DATABASE_URL": "memory:"}), io.Discard)
	require.NoError(t, err)
	require.ErrorContains(t, serve(t.Context(), cfg, io.Discard, nil), "loading the TLS certificate")
}

func eventsQuery(typ string) events.OutboxQuery { return events.OutboxQuery{Type: typ} }

// bunstoreTestPostgres returns a database URL whose search_path is a fresh,
// migrated schema dropped at the end of the test; it skips without
// BOLADAO_TEST_POSTGRES_DSN.
func bunstoreTestPostgres(t *testing.T) string {
	t.Helper()
	dsn := bunstoretest.PostgresDSN(t)
	st := bunstoretest.Postgres(t)
	var schema string
	require.NoError(t, st.DB().QueryRowContext(t.Context(), "SELECT current_schema()").Scan(&schema))
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}
