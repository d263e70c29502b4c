package helpdesk_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/idempotency"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
	"github.com/sistemaboladao/boladao/storage/memory"
)

func TestRunPurgesExpiredIdempotencyKeys(t *testing.T) {
	t.Parallel()
	store := memory.New()
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	desk, err := helpdesk.New(store, helpdesk.WithClock(func() time.Time { return now }),
		helpdesk.WithBcryptCost(bcrypt.MinCost), helpdesk.WithMaintenanceInterval(time.Millisecond))
	require.NoError(t, err)
	old := idempotency.Record{Key: idempotency.Key{CompanyID: 1, Principal: "user:1", Key: "old"},
		RequestHash: "h", CreatedAt: now.Add(-48 * time.Hour), ExpiresAt: now.Add(-24 * time.Hour)}
	_, claimed, err := store.Idempotency().ClaimIdempotencyKey(t.Context(), old)
	require.NoError(t, err)
	require.True(t, claimed)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- desk.Run(ctx) }()
	require.Eventually(t, func() bool { return purged(t, store, old) }, 5*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done, "Run stops cleanly")
}

// purged reports whether the old record is gone: a claim dated before its
// expiry (which would never replace it) succeeds only once it was deleted.
func purged(t *testing.T, store *memory.Store, old idempotency.Record) bool {
	probe := old
	probe.RequestHash = "probe"
	_, claimed, err := store.Idempotency().ClaimIdempotencyKey(t.Context(), probe)
	require.NoError(t, err)
	return claimed
}

func TestNewRefusesShortSecret(t *testing.T) {
	t.Parallel()
	_, err := helpdesk.New(memory.New(), helpdesk.WithJWTSecret([]byte("short")))
	require.Error(t, err)
	_, err = helpdesk.New(nil)
	require.Error(t, err)
}

func TestRunMergesSQLiteSearchIndexes(t *testing.T) {
	t.Parallel()
	store := bunstoretest.SQLite(t)
	ctx := t.Context()
	for i := range 20 { // a segment per transaction
		require.NoError(t, store.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO tickets_fts (rowid, title, description) VALUES (?, ?, '')", i+1, "Impressora")
			return err
		}))
	}
	segments := func() int {
		var n int
		require.NoError(t, store.DB().QueryRowContext(ctx, "SELECT count(DISTINCT segid) FROM tickets_fts_idx").Scan(&n))
		return n
	}
	require.Greater(t, segments(), 1)
	desk, err := helpdesk.New(store, helpdesk.WithBcryptCost(bcrypt.MinCost), helpdesk.WithMaintenanceInterval(10*time.Millisecond))
	require.NoError(t, err)
	runDesk(t, desk)
	require.Eventually(t, func() bool { return segments() == 1 }, 5*time.Second, 10*time.Millisecond,
		"the maintenance tick merges the segments")
}
