package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
)

// serve migrates, bootstraps and serves until ctx is done, then drains
// in-flight requests. When ready is not nil it receives the listening
// address once the server accepts connections.
func serve(ctx context.Context, cfg config, stdout io.Writer, ready chan<- string) error {
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	b, err := openBackend(ctx, cfg.DatabaseURL, true)
	if err != nil {
		return err
	}
	defer b.Close()
	desk, err := helpdesk.New(b)
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

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	db, schema := describe(ctx, b, cfg.DatabaseURL)
	log.Info("boladao starting", "version", version, "database", db, "schema", schema, "addr", ln.Addr().String())

	handler, err := httpapi.New(desk, httpapi.Config{Version: version, Logger: log})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
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
	go func() { served <- srv.Serve(ln) }()
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-served:
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

// redactURL hides a password in a database URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
