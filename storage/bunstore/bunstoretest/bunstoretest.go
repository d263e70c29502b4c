package bunstoretest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// DSNVariable names the environment variable holding the PostgreSQL DSN.
const DSNVariable = "BOLADAO_TEST_POSTGRES_DSN"

// SQLite opens a migrated SQLite store in t.TempDir(), closed at cleanup.
func SQLite(t testing.TB, opts ...bunstore.Option) *bunstore.Store {
	t.Helper()
	s, err := bunstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "boladao.db"), opts...)
	if err != nil {
		t.Fatalf("opening SQLite: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing SQLite: %v", err)
		}
	})
	return s
}

// PostgresDSN returns the DSN of the test PostgreSQL server, skipping the
// test when none is configured (failing instead when CI is set).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(DSNVariable)
	if dsn == "" && os.Getenv("CI") != "" {
		t.Fatalf("CI is set but %s is not: the PostgreSQL tests must run in CI", DSNVariable)
	}
	if dsn == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them", DSNVariable)
	}
	return dsn
}

// Postgres opens a migrated PostgreSQL store in a fresh schema, dropped
// and closed at cleanup. An unreachable server fails the test.
func Postgres(t testing.TB, opts ...bunstore.Option) *bunstore.Store {
	t.Helper()
	dsn := PostgresDSN(t)
	schema := "t_" + randomHex(t)
	opts = append([]bunstore.Option{bunstore.WithSchema(schema), bunstore.WithMaxConns(4)}, opts...)
	s, err := bunstore.Open(t.Context(), dsn, opts...)
	if err != nil {
		t.Fatalf("%s is set but PostgreSQL is unusable: %v", DSNVariable, err)
	}
	t.Cleanup(func() {
		if _, err := s.DB().Exec("DROP SCHEMA ? CASCADE", bun.Ident(schema)); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("closing PostgreSQL: %v", err)
		}
	})
	return s
}

func randomHex(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// settle does after a bulk load what a running server's maintenance does
// within its first ticks: the planner's statistics (VACUUM ANALYZE table on
// PostgreSQL, ANALYZE on SQLite) and, on SQLite, the merge of the
// full-text indexes' segments (Store.MergeSearchIndexes).
func settle(ctx context.Context, s *bunstore.Store, table string) error {
	analyze := "ANALYZE"
	if s.Dialect() == bunstore.Postgres {
		analyze = "VACUUM ANALYZE " + table
	}
	if _, err := s.DB().ExecContext(ctx, analyze); err != nil {
		return fmt.Errorf("analyzing: %w", err)
	}
	for more := true; more; {
		var err error
		if more, err = s.MergeSearchIndexes(ctx, 100); err != nil {
			return err
		}
	}
	return nil
}
