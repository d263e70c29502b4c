package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
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

// isMemory reports whether a database URL names the in-memory store.
func isMemory(url string) bool { return strings.HasPrefix(url, "memory:") }

// openBackend maps a database URL to a backend: "memory:" to the in-memory
// store, anything else to bunstore (sqlite: or postgres://). Migrations run
// only when migrate is true.
func openBackend(ctx context.Context, url string, migrate bool) (backend, error) {
	if isMemory(url) {
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

// jwtSettingName is the settings row holding the generated JWT secret.
const jwtSettingName = "jwt_secret"

// jwtSecret returns the key of access tokens: the configured one, else on
// a SQL database the one stored in its settings (generated on first use,
// so tokens survive restarts and every instance sharing the database
// agrees), else a random key for this process. generated says which of
// the last two happened; the secret itself is never logged.
func jwtSecret(ctx context.Context, b backend, configured string) (secret []byte, generated string, err error) {
	if configured != "" {
		return []byte(configured), "", nil
	}
	random := func() (string, error) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return "", err
		}
		return base64.RawURLEncoding.EncodeToString(k), nil
	}
	st, ok := b.(*bunstore.Store)
	if !ok {
		v, err := random()
		return []byte(v), "process", err
	}
	v, err := st.Setting(ctx, jwtSettingName, random)
	if err != nil {
		return nil, "", fmt.Errorf("reading the generated JWT secret: %w", err)
	}
	return []byte(v), "database", nil
}

// describe returns the database URL without its password, and the schema
// version, for the startup diagnostics.
func describe(ctx context.Context, b backend, url string) (db, schema string) {
	st, ok := b.(*bunstore.Store)
	if !ok {
		return "memory (data is lost when the process stops)", "n/a"
	}
	v, err := schemaVersion(ctx, st)
	if err != nil {
		return string(st.Dialect()), "unknown: " + err.Error()
	}
	if v == "" {
		v = "none"
	}
	return string(st.Dialect()) + " " + redactURL(url), v
}

// schemaVersion names the latest applied migration ("" when none).
func schemaVersion(ctx context.Context, st *bunstore.Store) (string, error) {
	ms, err := st.MigrationStatus(ctx)
	if err != nil {
		return "", err
	}
	applied := ""
	for _, m := range ms {
		if m.Applied {
			applied = m.Name
		}
	}
	return applied, nil
}
