package bunstore

import (
	"context"
	"io/fs"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// SetQueryHook makes the store's connections call hook around every query
// (the benchmarks capture their statements to log the query plans). Call
// it before the store is used: bun's WithQueryHook returns a copy of a
// handle, so the store swaps its handles for hooked copies.
func (s *Store) SetQueryHook(hook bun.QueryHook) {
	hooked := s.write.WithQueryHook(hook)
	if s.read == s.write {
		s.read = hooked
	} else {
		s.read = s.read.WithQueryHook(hook)
	}
	s.write = hooked
	s.queries.db = s.read
}

// OutboxChannel is the store's NOTIFY channel, for the external tests.
func (s *Store) OutboxChannel() string { return s.relay.channel }

// SetAnnounceHooks sets the test hooks of the NOTIFY sender (see
// relayHub.drained and relayHub.pause); call it before the first commit.
func (s *Store) SetAnnounceHooks(drained func(), pause func(ctx context.Context) bool) {
	s.relay.drained, s.relay.pause = drained, pause
}

// MigrateFirst exposes migrateFirst to the external tests.
func (s *Store) MigrateFirst(ctx context.Context, n int) ([]string, error) {
	return s.migrateFirst(ctx, n)
}

// EmbeddedMigrationCount counts the embedded migrations of the store's
// dialect straight from the files, independently of MigrationStatus.
func (s *Store) EmbeddedMigrationCount() (int, error) {
	sub, err := fs.Sub(migrationFiles, "migrations/"+string(s.dialect))
	if err != nil {
		return 0, err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return 0, err
	}
	return len(ms.Sorted()), nil
}
