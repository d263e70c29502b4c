package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// Credentials of the platform admin every server of the harness creates.
const (
	rootEmail    = "root@chaos.test"
	rootPassword = "chaos-root-password-1"
)

// harness holds what every scenario shares.
type harness struct {
	cfg config
	bin string
	dir string
	out io.Writer
	log io.Writer
	seq int
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.log, "chaos: "+format+"\n", args...)
}

// name returns a new unique name with prefix, for files and databases.
func (h *harness) name(prefix string) string {
	h.seq++
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s_%d_%x", prefix, h.seq, b)
}

// database is a database a scenario's servers run on.
type database struct {
	kind string // "sqlite" or "postgres"
	url  string // BOLADAO_DATABASE_URL
	drop func() error
}

// newDatabase creates an empty database: a SQLite file in the harness's
// directory, or a PostgreSQL database chaos_* dropped by drop.
func (h *harness) newDatabase(ctx context.Context, kind string) (*database, error) {
	name := h.name("chaos")
	if kind == "sqlite" {
		return &database{kind: kind, url: "sqlite:" + filepath.Join(h.dir, name+".db"), drop: func() error { return nil }}, nil
	}
	admin, err := h.pgAdmin(ctx)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	if _, err := admin.DB().ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("creating PostgreSQL database %s on %s (the harness needs CREATEDB): %w", name, redact(h.cfg.dsn), err)
	}
	u, err := url.Parse(h.cfg.dsn)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + name
	db := &database{kind: kind, url: u.String()}
	db.drop = func() error {
		if h.cfg.keep {
			return nil
		}
		admin, err := h.pgAdmin(context.WithoutCancel(ctx))
		if err != nil {
			return err
		}
		defer admin.Close()
		_, err = admin.DB().ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return err
	}
	return db, nil
}

// pgAdmin opens the -dsn database, where the harness creates and drops its
// databases.
func (h *harness) pgAdmin(ctx context.Context) (*bunstore.Store, error) {
	dsn := h.cfg.dsn
	if u, err := url.Parse(dsn); err == nil && !u.Query().Has("read_timeout") {
		// Dropping a database a busy machine is still writing to can take
		// longer than the driver's default 10 s.
		q := u.Query()
		q.Set("read_timeout", "120s")
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	st, err := bunstore.Open(ctx, dsn, bunstore.WithoutMigrations())
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL at %s: %w", redact(h.cfg.dsn), err)
	}
	return st, nil
}

// name is the PostgreSQL database's name.
func (d *database) name() string {
	u, err := url.Parse(d.url)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// open opens the database for the checks, without migrating it.
func (d *database) open(ctx context.Context) (*bunstore.Store, error) {
	return bunstore.Open(ctx, d.url, bunstore.WithoutMigrations())
}

// redact hides a password in a URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// server is one process of the reference server.
type server struct {
	h       *harness
	addr    string
	env     []string
	logPath string
	cmd     *exec.Cmd
	exited  chan error
	// exitCode is the code of the last exit (-1 when killed).
	exitCode int
}

// newServer prepares a server on a free loopback port over db; extra are
// more BOLADAO_* settings. It does not start it.
func (h *harness) newServer(db *database, secret string, extra ...string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	name := h.name("server")
	s := &server{h: h, addr: addr, logPath: filepath.Join(h.dir, name+".log")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BOLADAO_") {
			s.env = append(s.env, kv)
		}
	}
	s.env = append(s.env,
		"BOLADAO_ADDR="+addr,
		"BOLADAO_DATABASE_URL="+db.url,
		"BOLADAO_JWT_SECRET="+secret,
		"BOLADAO_ADMIN_EMAIL="+rootEmail,
		"BOLADAO_ADMIN_PASSWORD="+rootPassword,
		"BOLADAO_BCRYPT_COST=4",
		"BOLADAO_LOG_LEVEL=warn",
		"BOLADAO_BACKUP_DIR="+filepath.Join(h.dir, name+"-backups"),
		"BOLADAO_WEBHOOK_ALLOW_CIDRS=127.0.0.0/8",
		// Enough attempts to outlast the outage: about 2.5 minutes.
		"BOLADAO_WEBHOOK_RETRY_SCHEDULE=1s,1s,2s,2s,5s,5s,10s,10s,10s,10s,10s,10s,10s,10s,10s,10s,10s,10s",
		"BOLADAO_WEBHOOK_TIMEOUT=2s",
	)
	s.env = append(s.env, extra...)
	return s, nil
}

// base is the server's URL.
func (s *server) base() string { return "http://" + s.addr }

// start starts the process and waits until /health answers 200. It
// returns how long that took.
func (s *server) start(ctx context.Context) (time.Duration, error) {
	f, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(f, "---- start %s\n", time.Now().UTC().Format(time.RFC3339Nano))
	begin := time.Now()
	cmd := exec.Command(s.h.bin, "serve")
	cmd.Env, cmd.Dir = s.env, s.h.dir
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return 0, err
	}
	s.cmd, s.exited = cmd, make(chan error, 1)
	go func() {
		err := cmd.Wait()
		f.Close()
		s.exited <- err
	}()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base()+"/health", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(begin), nil
			}
		}
		select {
		case err := <-s.exited:
			s.cmd = nil
			return 0, fmt.Errorf("the server exited before serving (%v); log: %s\n%s", err, s.logPath, s.tail())
		case <-ctx.Done():
			s.kill()
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond): // polling /health
		}
		if time.Now().After(deadline) {
			s.kill()
			return 0, fmt.Errorf("the server did not answer /health within 60s; log: %s\n%s", s.logPath, s.tail())
		}
	}
}

// kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (s *server) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd, s.exitCode = nil, -1
}

// term sends SIGTERM and waits up to 40 s for the exit, whose code it
// returns; on timeout it kills the process and returns an error.
func (s *server) term() (int, error) {
	if s.cmd == nil {
		return s.exitCode, nil
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, err
	}
	select {
	case err := <-s.exited:
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			return 0, err
		}
		s.cmd, s.exitCode = nil, code
		return code, nil
	case <-time.After(40 * time.Second):
		s.kill()
		return -1, errors.New("the server did not exit within 40s of SIGTERM (killed)")
	}
}

// rssKiB reads the process's resident memory from /proc.
func (s *server) rssKiB() int64 {
	if s.cmd == nil {
		return 0
	}
	f, err := os.Open("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// tail returns the end of the server's log.
func (s *server) tail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return ""
	}
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// newSecret returns a JWT secret shared by a scenario's servers, so that
// tokens survive restarts and work on every instance.
func newSecret() string { return strings.Repeat("x", 8) + rand.Text() + rand.Text() }
