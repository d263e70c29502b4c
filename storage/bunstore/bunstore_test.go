package bunstore_test

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
	"github.com/sistemaboladao/boladao/storage/storagetest"
)

// newSQLite opens a migrated SQLite store in a temporary directory.
func newSQLite(t *testing.T) *bunstore.Store { return bunstoretest.SQLite(t) }

// postgresDSN returns the test PostgreSQL DSN or skips (fails in CI).
func postgresDSN(t testing.TB) string { return bunstoretest.PostgresDSN(t) }

// newPostgres opens a migrated PostgreSQL store in a schema of its own.
func newPostgres(t testing.TB) *bunstore.Store { return bunstoretest.Postgres(t) }

func randomHex(t testing.TB) string {
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

func TestConformanceSQLite(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storagetest.Backend { return newSQLite(t) })
}

func TestConformancePostgres(t *testing.T) {
	t.Parallel()
	postgresDSN(t)
	storagetest.Run(t, func(t *testing.T) storagetest.Backend { return newPostgres(t) })
}
