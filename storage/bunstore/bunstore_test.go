package bunstore_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/storagetest"
)

// newSQLite opens a migrated SQLite store in a temporary directory.
func newSQLite(t *testing.T) *bunstore.Store {
	t.Helper()
	s, err := bunstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "boladao.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// postgresDSN returns the DSN of the test PostgreSQL server, or skips the
// test when BOLADAO_TEST_POSTGRES_DSN is unset (CI always sets it).
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("BOLADAO_TEST_POSTGRES_DSN")
	if dsn == "" && os.Getenv("CI") != "" {
		t.Fatal("CI is set but BOLADAO_TEST_POSTGRES_DSN is not: the PostgreSQL tests must run in CI")
	}
	if dsn == "" {
		t.Skip("PostgreSQL tests skipped: set BOLADAO_TEST_POSTGRES_DSN (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them")
	}
	return dsn
}

// newPostgres opens a migrated PostgreSQL store in a schema of its own,
// dropped when the test ends.
func newPostgres(t testing.TB) *bunstore.Store {
	t.Helper()
	dsn := postgresDSN(t)
	schema := "t_" + randomHex(t)
	s, err := bunstore.Open(t.Context(), dsn, bunstore.WithSchema(schema), bunstore.WithMaxConns(4))
	require.NoError(t, err, "BOLADAO_TEST_POSTGRES_DSN is set but PostgreSQL is unreachable")
	t.Cleanup(func() {
		_, err := s.DB().Exec("DROP SCHEMA ? CASCADE", bunIdent(schema))
		require.NoError(t, err)
		require.NoError(t, s.Close())
	})
	return s
}

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
