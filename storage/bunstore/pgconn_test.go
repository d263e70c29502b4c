package bunstore_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// TestAppendedEventsCommitWithTheUnitOfWork covers the outbox rows that a
// PostgreSQL unit of work sends with its COMMIT (and SQLite writes at once):
// they commit with the rest, a unit of work that fails after appending
// writes none, and a duplicate event ID fails the whole unit of work with
// storage.ErrConflict and leaves the connection usable. The pool has one
// connection, so every unit of work reuses it.
func TestAppendedEventsCommitWithTheUnitOfWork(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, s *bunstore.Store) {
		ctx := t.Context()
		event := func(i int) events.Event {
			ev, err := events.New("thing.happened", 1, "thing", i, tenant.System(), time.Now(), map[string]int{"i": i})
			require.NoError(t, err)
			return ev
		}
		companyWithEvent := func(name string, evs ...events.Event) (tenant.CompanyID, error) {
			now := time.Now().UTC()
			c := directory.Company{Name: name, Timezone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}
			err := s.Directory().InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
				if err := tx.InsertCompany(ctx, &c); err != nil {
					return err
				}
				return tx.AppendEvents(ctx, evs...)
			})
			return c.ID, err
		}
		count := func(table string) string { return queryRows(t, s.DB(), "SELECT count(*) FROM "+table)[0] }

		first, second := event(1), event(2)
		_, err := companyWithEvent("Acme", first, second)
		require.NoError(t, err)
		got, err := s.OutboxEvents(ctx, events.OutboxQuery{})
		require.NoError(t, err)
		require.Equal(t, []string{first.ID, second.ID}, []string{got[0].ID, got[1].ID})

		boom := errors.New("boom")
		err = s.Directory().InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
			require.NoError(t, tx.AppendEvents(ctx, event(3)))
			return boom
		})
		require.ErrorIs(t, err, boom)

		_, err = companyWithEvent("Dup", event(4), first)
		require.ErrorIs(t, err, storage.ErrConflict)
		require.Equal(t, "1", count("companies"), "the company of the failed unit of work was rolled back")
		require.Equal(t, "2", count("outbox"))

		// The connection went back to the pool clean.
		_, err = companyWithEvent("Globex", event(5))
		require.NoError(t, err)
		require.Equal(t, "2", count("companies"))
		require.Equal(t, "3", count("outbox"))
	}, bunstore.WithMaxConns(1))
}

// TestPostgresTransactionsBeginWithTheirFirstStatement checks the pool's
// transactions: BEGIN travels with the first statement (whose statement
// and transaction start times are then the same message's), a transaction
// that sends nothing commits and rolls back without a word, one with an
// isolation level begins at once with it, and a failed first statement
// aborts the transaction, which is rolled back so that the pool's one
// connection serves the next unit of work.
func TestPostgresTransactionsBeginWithTheirFirstStatement(t *testing.T) {
	t.Parallel()
	s := openPostgresWith(t, bunstore.WithMaxConns(1))
	ctx := t.Context()
	db := s.DB()

	var sameMessage bool
	require.NoError(t, db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, "SELECT statement_timestamp() = transaction_timestamp()").Scan(&sameMessage)
	}))
	require.True(t, sameMessage, "BEGIN and the first statement came in one message")

	var inBlock, later bool
	require.NoError(t, db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "CREATE TEMP TABLE probe (n int)"); err != nil {
			return err
		}
		time.Sleep(2 * time.Millisecond)
		// A second statement runs in the same transaction: now() stays at
		// its start.
		return tx.QueryRowContext(ctx, "SELECT now() < statement_timestamp(), now() = transaction_timestamp()").Scan(&later, &inBlock)
	}))
	require.True(t, later)
	require.True(t, inBlock)

	require.NoError(t, db.RunInTx(ctx, nil, func(context.Context, bun.Tx) error { return nil }))
	require.ErrorIs(t, db.RunInTx(ctx, nil, func(context.Context, bun.Tx) error { return errBoom }), errBoom)

	var level string
	require.NoError(t, db.RunInTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable}, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, "SHOW transaction_isolation").Scan(&level)
	}))
	require.Equal(t, "serializable", level)

	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, "SELECT 1/0")
		require.Error(t, err)
		_, err = tx.ExecContext(ctx, "SELECT 1")
		require.ErrorContains(t, err, "current transaction is aborted")
		return err
	})
	require.Error(t, err)
	var one int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT 1").Scan(&one), "the connection went back to the pool clean")
	var status string
	require.NoError(t, db.QueryRowContext(ctx, "SELECT CASE WHEN now() = statement_timestamp() THEN 'autocommit' ELSE 'in a transaction' END").Scan(&status))
	require.Equal(t, "autocommit", status)
}

var errBoom = errors.New("boom")
