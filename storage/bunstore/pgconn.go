package bunstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"

	"github.com/uptrace/bun/driver/pgdriver"
)

// withCommit holds the statements a PostgreSQL unit of work sends with its
// COMMIT, in the same round trip: the outbox rows it appends (see
// Tx.AppendEvents). inTx puts one in the context it begins the transaction
// with, where pgConn.BeginTx finds it.
type withCommit struct{ stmts []string }

type withCommitKey struct{}

// pgConnector makes the connections of the PostgreSQL pool: pgdriver's,
// whose transactions send the statements of their withCommit with COMMIT.
// Driver returns pgdriver's driver, so that pgdriver.Listener, which opens
// connections of its own, works on the pool as on a plain one.
type pgConnector struct{ *pgdriver.Connector }

// Connect implements driver.Connector.
func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: cn.(*pgdriver.Conn)}, nil
}

// pgConn is a pgdriver connection whose BeginTx honours withCommit.
type pgConn struct{ *pgdriver.Conn }

// BeginTx implements driver.ConnBeginTx.
func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if wc, _ := ctx.Value(withCommitKey{}).(*withCommit); wc != nil {
		return &pgTx{Tx: tx, cn: c, wc: wc}, nil
	}
	return tx, nil
}

// pgTx sends its withCommit's statements and COMMIT as one query. A simple
// query runs its statements in order and stops at the first that fails;
// the transaction is then aborted, and Commit rolls it back before it
// reports the error, so that the connection goes back to the pool clean.
type pgTx struct {
	driver.Tx
	cn *pgConn
	wc *withCommit
}

// errWithCommit marks the failure of a statement sent with COMMIT.
type errWithCommit struct{ err error }

func (e *errWithCommit) Error() string { return "committing: " + e.err.Error() }
func (e *errWithCommit) Unwrap() error { return e.err }

// Commit implements driver.Tx.
func (t *pgTx) Commit() error {
	if len(t.wc.stmts) == 0 {
		return t.Tx.Commit()
	}
	q := strings.Join(t.wc.stmts, ";\n") + ";\nCOMMIT"
	t.wc.stmts = nil
	if _, err := t.cn.ExecContext(context.Background(), q, nil); err != nil {
		if errors.Is(err, driver.ErrBadConn) {
			return err
		}
		// ROLLBACK ends the aborted transaction (after a failed COMMIT,
		// PostgreSQL answers it with a warning, not an error).
		return errors.Join(&errWithCommit{err}, t.Tx.Rollback())
	}
	return nil
}
