package bunstore

import (
	"context"
	"io/fs"

	"github.com/uptrace/bun/migrate"
)

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
