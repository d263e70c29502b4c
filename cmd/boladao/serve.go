package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/loginguard"
	"github.com/sistemaboladao/boladao/helpdesk/webui"
)

// newLogger returns the JSON logger writing to stdout and, when file is
// set, appending to that file as well. close closes the file.
func newLogger(stdout io.Writer, level slog.Level, file string) (log *slog.Logger, close func() error, err error) {
	w, close := stdout, func() error { return nil }
	if file != "" {
		if dir := filepath.Dir(file); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, nil, fmt.Errorf("log file: %w", err)
			}
		}
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		// slog's JSON handler writes each record in one Write call, so
		// records never interleave between the two outputs.
		w, close = io.MultiWriter(stdout, f), f.Close
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})), close, nil
}

// serve migrates, bootstraps and serves until ctx is done, then drains
// in-flight requests. When ready is not nil it receives the listening
// address once the server accepts connections.
func serve(ctx context.Context, cfg config, stdout io.Writer, ready chan<- string) (err error) {
	log, closeLog, err := newLogger(stdout, cfg.LogLevel, cfg.LogFile)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, closeLog()) }()

	var tlsCfg *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("loading the TLS certificate: %w", err)
		}
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}

	b, err := openBackend(ctx, cfg.DatabaseURL, true)
	if err != nil {
		return err
	}
	defer b.Close()
	secret, generated, err := jwtSecret(ctx, b, cfg.JWTSecret)
	if err != nil {
		return err
	}
	eventOpts, closeEvents, err := cfg.Events.options(ctx, log)
	if err != nil {
		return err
	}
	defer closeEvents()
	eventOpts = append(eventOpts, auditOptions(cfg.Audit)...)
	fileOpts, closeFiles, err := cfg.Files.options(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer closeFiles()
	eventOpts = append(eventOpts, fileOpts...)
	desk, err := helpdesk.New(b, append(eventOpts, helpdesk.WithJWTSecret(secret), helpdesk.WithBcryptCost(cfg.BcryptCost),
		helpdesk.WithLogger(log))...)
	if err != nil {
		return err
	}
	defer desk.Close()

	password, err := desk.Bootstrap(ctx, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return err
	}
	if password != "" && cfg.AdminPassword == "" {
		// Printed once, on the terminal only: the log never carries secrets.
		fmt.Fprintf(stdout, "\nCreated platform admin %s with password %s\nKeep it now: it is not shown again.\n\n", cfg.AdminEmail, password)
	}

	// Opening, migrating and bootstrapping are the most work the process
	// does until traffic arrives: give what they used back to the operating
	// system, so that an idle server holds only what serving needs.
	debug.FreeOSMemory()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	// One guard holds the sign-in limits of both edges: the API's
	// POST /auth/login and the console's sign-in form.
	lim := cfg.Limits
	guard, err := loginguard.New(loginguard.Config{AccountRate: lim.LoginRate / 60, AccountBurst: lim.LoginBurst,
		IPRate: lim.LoginIPRate, IPBurst: lim.LoginIPBurst, BlockThreshold: lim.BlockThreshold,
		BlockWindow: lim.BlockWindow, BlockFor: lim.BlockFor, Now: desk.Now})
	if err != nil {
		ln.Close()
		return err
	}
	apiCfg := httpapi.Config{Version: version, Logger: log, AllowedHosts: cfg.AllowedHosts, CORSOrigins: cfg.CORSOrigins,
		LoginGuard: guard, APIRate: cfg.APIRate, APIBurst: cfg.APIBurst, MaxBodyBytes: lim.MaxBodyBytes, MaxPageSize: lim.MaxPageSize,
		PublicURL: cfg.PublicURL}
	ownWarnings := warnings(cfg, generated)
	apiCfg.Ops = newOps(b, cfg, ownWarnings)
	api, err := httpapi.New(desk, apiCfg)
	if err != nil {
		ln.Close()
		return err
	}
	console, err := webui.New(desk, webui.Config{Logger: log, LoginGuard: guard, SessionKey: consoleKey(secret), PublicURL: cfg.PublicURL,
		Operations: consoleOps{apiCfg.Ops, apiCfg.Warnings()}, Version: version, Context: ctx})
	if err != nil {
		ln.Close()
		return err
	}
	handler := withConsole(api, console)

	db, schema := describe(ctx, b, cfg.DatabaseURL)
	log.Info("boladao starting", "version", version, "database", db, "schema", schema,
		"addr", ln.Addr().String(), "tls", tlsCfg != nil, "warnings", append(apiCfg.Warnings(), ownWarnings...))

	srv := &http.Server{
		Handler:           handler,
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	workers := make(chan error, 1)
	runCtx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers()
	go func() { workers <- desk.Run(runCtx) }()

	served := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			served <- srv.ServeTLS(ln, "", "") // certificates come from TLSConfig
			return
		}
		served <- srv.Serve(ln)
	}()
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-served:
		stopWorkers()
		<-workers
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("boladao stopping: draining in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	stopWorkers()
	if werr := <-workers; werr != nil && !errors.Is(werr, context.Canceled) {
		err = errors.Join(err, werr)
	}
	log.Info("boladao stopped")
	return err
}

// apiPaths lists the paths the JSON API answers; the web console answers
// every other path.
func apiPaths() []string {
	return []string{"/api/", "/auth/", "/admin/api/", "/health", "/ready", "/metrics", "/openapi.json", "/docs"}
}

// withConsole serves the API at its paths and the web console at every
// other path ("/" included).
func withConsole(api, console http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", console)
	for _, p := range apiPaths() {
		mux.Handle(p, api)
	}
	return mux
}

// consoleKey derives the key of the console's session cookies from the
// JWT secret, so that every instance sharing the secret shares the key.
func consoleKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("boladao webui session cookie"))
	return m.Sum(nil)
}

// warnings lists the risky settings the server itself knows about; the
// API adds its own (httpapi.Config.Warnings).
func warnings(cfg config, generatedSecret string) []string {
	var w []string
	switch generatedSecret {
	case "database":
		w = append(w, "BOLADAO_JWT_SECRET is unset: access tokens are signed with a key generated once and stored in the database (settings.jwt_secret), so anyone holding a copy of the database or a backup can forge tokens; set BOLADAO_JWT_SECRET to keep the key out of the data")
	case "process":
		w = append(w, "BOLADAO_JWT_SECRET is unset: access tokens are signed with a random key of this process and stop working when it restarts")
	}
	if isMemory(cfg.DatabaseURL) {
		w = append(w, "the database is in memory: every change is lost when the process stops; set BOLADAO_DATABASE_URL to sqlite:PATH or postgres://...")
	}
	if cfg.TLSCert == "" {
		w = append(w, "TLS is off: serve behind a TLS-terminating proxy, or set BOLADAO_TLS_CERT and BOLADAO_TLS_KEY")
	}
	return w
}

// redactURL hides a password in a database URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
