package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// backend is an opened storage backend.
type backend interface {
	helpdesk.Store
	Close() error
}

// openBackend maps a database URL to a backend: "memory:" to the in-memory
// store, anything else to bunstore (sqlite: or postgres://). Migrations run
// only when migrate is true.
func openBackend(ctx context.Context, url string, migrate bool) (backend, error) {
	if url == "memory:" || strings.HasPrefix(url, "memory:") {
		return memory.New(), nil
	}
	var opts []bunstore.Option
	if !migrate {
		opts = append(opts, bunstore.WithoutMigrations())
	}
	st, err := bunstore.Open(ctx, url, opts...)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	return st, nil
}

// describe returns the database URL without its password, and the schema
// version, for the startup diagnostics.
func describe(ctx context.Context, b backend, url string) (db, schema string) {
	st, ok := b.(*bunstore.Store)
	if !ok {
		return "memory (data is lost when the process stops)", "n/a"
	}
	ms, err := st.MigrationStatus(ctx)
	if err != nil {
		return string(st.Dialect()), "unknown: " + err.Error()
	}
	applied := "none"
	for _, m := range ms {
		if m.Applied {
			applied = m.Name
		}
	}
	return string(st.Dialect()) + " " + redactURL(url), applied
}
