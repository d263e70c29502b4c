package bunstore

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// ftsTables are SQLite's full-text indexes (see the migrations).
var ftsTables = [...]string{"assets_fts", "tickets_fts", "service_orders_fts"}

// ftsMergePages is how many pages one merge step of an FTS5 index may
// write: on 1,000,000 assets a step holds the writer for about a tenth of
// a second.
const ftsMergePages = 500

// MergeSearchIndexes merges the segments of SQLite's full-text indexes, up
// to steps merge steps of ftsMergePages pages per index, each step a unit
// of work of its own so that writers interleave. It reports whether work
// remains. FTS5 writes a segment per transaction and merges them a little
// at each commit; after bulk writes (an import, many intakes) a search
// seeks dozens of segments per term: on 1,000,000 assets a page of a
// two-term search took 2.3 ms on page 1 and 2.5 ms on page 100 before
// merging, 1.2 and 1.1 ms after. Merging ends with one segment per index;
// new writes add segments, and the next merge folds them in, rewriting the
// index (5 s of writer time for 1,000,000 assets, in steps). On PostgreSQL
// it does nothing: its GIN and trigram indexes need no such care.
func (s *Store) MergeSearchIndexes(ctx context.Context, steps int) (more bool, err error) {
	if s.dialect != SQLite {
		return false, nil
	}
	for _, table := range ftsTables {
		for i := 0; ; i++ {
			if i == steps {
				more = true
				break
			}
			worked, err := s.mergeStep(ctx, table)
			if err != nil {
				return more, fmt.Errorf("bunstore: merging the segments of %s: %w", table, err)
			}
			if !worked {
				break
			}
		}
	}
	return more, nil
}

// mergeStep runs one FTS5 merge step on table and reports whether it
// wrote anything (FTS5's own test: fewer than two changes, no work).
func (s *Store) mergeStep(ctx context.Context, table string) (bool, error) {
	var before, after int64
	err := s.write.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT total_changes()").Scan(&before); err != nil {
			return err
		}
		// A negative page count merges every segment into one (FTS5's
		// incremental optimize); a positive one would stop at about one
		// segment per level, four on the data set above, and 1.8 ms a
		// page instead of 1.2.
		if _, err := tx.ExecContext(ctx, "INSERT INTO ? (?, rank) VALUES ('merge', ?)",
			bun.Ident(table), bun.Ident(table), -ftsMergePages); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT total_changes()").Scan(&after)
	})
	return after-before >= 2, err
}
