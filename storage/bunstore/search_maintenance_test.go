package bunstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

// TestMergeSearchIndexes writes an FTS5 index in many small transactions,
// a segment each, and checks that merging leaves fewer segments and the
// same matches, in bounded steps, and that a merged index needs no work.
func TestMergeSearchIndexes(t *testing.T) {
	t.Parallel()
	s := openSQLiteWith(t)
	ctx := t.Context()
	for i := range 40 {
		require.NoError(t, s.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO assets_fts (rowid, name, serial, manufacturer_serial, model, company) VALUES (?, ?, ?, '', ?, 'c1')",
				i+1, fmt.Sprintf("Notebook %d", i), fmt.Sprintf("ACME-2026-%06d", i), []string{"Dell Latitude", "HP EliteBook"}[i%2])
			return err
		}))
	}
	segments := func() int {
		var n int
		require.NoError(t, s.DB().QueryRowContext(ctx, "SELECT count(DISTINCT segid) FROM assets_fts_idx").Scan(&n))
		return n
	}
	matches := func() []int64 {
		var ids []int64
		require.NoError(t, s.DB().NewSelect().TableExpr("assets_fts").Column("rowid").
			Where("assets_fts MATCH ?", `company : "c1" AND "dell"* AND "note"*`).OrderExpr("rowid").Scan(ctx, &ids))
		return ids
	}
	before, want := segments(), matches()
	require.Greater(t, before, 4, "a segment per transaction, some merged at commit")
	require.Len(t, want, 20)

	more, err := s.MergeSearchIndexes(ctx, 1)
	require.NoError(t, err)
	require.True(t, more, "one step per index is not enough here")
	for more {
		more, err = s.MergeSearchIndexes(ctx, 10)
		require.NoError(t, err)
	}
	require.Equal(t, 1, segments(), "merged into one segment, from %d", before)
	require.Equal(t, want, matches())

	more, err = s.MergeSearchIndexes(ctx, 1)
	require.NoError(t, err)
	require.False(t, more, "a merged index needs no work")
}
