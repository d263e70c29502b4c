package bunstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/storagetest"
)

// notes is an embedder's own table beside the store's.
type notes struct{ s *bunstore.Store }

func newNotes(t *testing.T, b storagetest.Backend) storagetest.Own {
	s := b.(*bunstore.Store)
	_, err := s.DB().ExecContext(t.Context(), "CREATE TABLE IF NOT EXISTS embedder_notes (key TEXT PRIMARY KEY)")
	require.NoError(t, err)
	return notes{s}
}

func (n notes) Write(ctx context.Context, tx any, key string) error {
	db, err := bunstore.TxDB(tx)
	if err != nil {
		return err
	}
	_, err = db.NewRaw("INSERT INTO embedder_notes (key) VALUES (?)", key).Exec(ctx)
	return err
}

func (n notes) Has(ctx context.Context, key string) (bool, error) {
	return n.s.DB().NewSelect().Table("embedder_notes").Where("key = ?", key).Exists(ctx)
}

func TestUnitOfWorkSQLite(t *testing.T) {
	t.Parallel()
	storagetest.RunUnitOfWork(t, func(t *testing.T) storagetest.Backend { return newSQLite(t) }, newNotes)
}

func TestUnitOfWorkPostgres(t *testing.T) {
	t.Parallel()
	postgresDSN(t)
	storagetest.RunUnitOfWork(t, func(t *testing.T) storagetest.Backend { return newPostgres(t) }, newNotes)
}

func TestTxDBRefusesOtherValues(t *testing.T) {
	_, err := bunstore.TxDB(struct{}{})
	require.ErrorContains(t, err, "not a unit of work")
}
