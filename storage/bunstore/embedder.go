package bunstore

import (
	"fmt"

	"github.com/uptrace/bun"
)

// TxDB returns the transaction of a unit of work of this backend (the tx
// that Desk.InTx and the stores' InTx pass to their callback), for an
// embedder's own statements: they commit or roll back with Boladão's rows
// and events. Use it only inside the callback. On PostgreSQL the unit of
// work's outbox rows are sent with its COMMIT, so they are not visible to
// the embedder's statements within it.
func TxDB(tx any) (bun.IDB, error) {
	t, ok := tx.(*Tx)
	if !ok {
		return nil, fmt.Errorf("bunstore: %T is not a unit of work of this backend", tx)
	}
	return t.db, nil
}
