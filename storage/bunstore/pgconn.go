package bunstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/schema"
)

// The PostgreSQL pool saves round trips on every transaction:
//
//   - BEGIN is not sent on its own: it travels with the transaction's first
//     statement ("BEGIN; SELECT ..."), or with its COMMIT.
//   - The statements of a withCommit travel with the COMMIT: the outbox
//     rows a unit of work appends (see Tx.AppendEvents).
//
// A unit of work that reads, writes a row and appends an event thus takes
// three round trips instead of five, and one that only appends events
// takes one. PostgreSQL runs the statements of one simple query in order
// and stops at the first that fails; the transaction is then open and
// aborted, and is rolled back as usual.

// withCommit holds the statements a unit of work sends with its COMMIT.
// Store.runTx puts one in the context it begins the transaction with,
// where pgConn.BeginTx finds it.
type withCommit struct{ stmts []string }

type withCommitKey struct{}

// runTx runs fn in a transaction on the writer. On PostgreSQL fn gets the
// transaction's withCommit (nil on SQLite), and a failure of its
// statements is reported as theirs, translated. A lost connection is
// reported as storage.ErrUnavailable, whichever statement met it.
func (s *Store) runTx(ctx context.Context, db *bun.DB, fn func(ctx context.Context, tx bun.Tx, wc *withCommit) error) error {
	var wc *withCommit
	if s.dialect == Postgres {
		wc = &withCommit{}
		ctx = context.WithValue(ctx, withCommitKey{}, wc)
	}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(ctx, tx, wc) })
	if ce := (*errWithCommit)(nil); errors.As(err, &ce) {
		return translate(ce.err, "committing")
	}
	return classify(err)
}

// execAtCommit sends q with wc's COMMIT, or runs it now when wc is nil.
func execAtCommit(ctx context.Context, wc *withCommit, q interface {
	schema.QueryAppender
	DB() *bun.DB
	Exec(ctx context.Context, dest ...any) (sql.Result, error)
}) error {
	if wc == nil {
		_, err := q.Exec(ctx)
		return err
	}
	b, err := q.AppendQuery(q.DB().QueryGen(), nil)
	if err == nil {
		wc.stmts = append(wc.stmts, string(b))
	}
	return err
}

// pgConnector makes the connections of the PostgreSQL pool: pgdriver's,
// with the transactions described above. Driver returns pgdriver's driver,
// so that pgdriver.Listener, which opens connections of its own, works on
// the pool as on a plain one.
type pgConnector struct{ *pgdriver.Connector }

// Connect implements driver.Connector.
func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: cn.(*pgdriver.Conn)}, nil
}

// pgConn is a pgdriver connection whose transactions begin with their
// first statement.
type pgConn struct {
	*pgdriver.Conn
	// begin is set while a transaction has begun here but not yet at the
	// server: the next statement carries BEGIN.
	begin bool
}

// BeginTx implements driver.ConnBeginTx. Transactions with an isolation
// level or read-only begin at once, as pgdriver begins them.
func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if opts.Isolation != driver.IsolationLevel(0) || opts.ReadOnly {
		return c.Conn.BeginTx(ctx, opts)
	}
	c.begin = true
	wc, _ := ctx.Value(withCommitKey{}).(*withCommit)
	return &pgTx{cn: c, wc: wc}, nil
}

// prefix returns query with the pending BEGIN in front, if any.
func (c *pgConn) prefix(query string) string {
	if !c.begin {
		return query
	}
	c.begin = false
	return "BEGIN;\n" + query
}

// ExecContext implements driver.ExecerContext.
func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, c.prefix(query), args)
}

// QueryContext implements driver.QueryerContext.
func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, c.prefix(query), args)
}

// PrepareContext implements driver.ConnPrepareContext: a statement is
// prepared inside the transaction, so a pending BEGIN is sent first.
func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if c.begin {
		c.begin = false
		if _, err := c.Conn.ExecContext(ctx, "BEGIN", nil); err != nil {
			return nil, err
		}
	}
	return c.Conn.PrepareContext(ctx, query)
}

// Prepare implements driver.Conn.
func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// pgTx ends a transaction of a pgConn.
type pgTx struct {
	cn *pgConn
	wc *withCommit
}

// errWithCommit marks the failure of a statement sent with COMMIT.
type errWithCommit struct{ err error }

func (e *errWithCommit) Error() string { return "committing: " + e.err.Error() }
func (e *errWithCommit) Unwrap() error { return e.err }

// Commit implements driver.Tx: the withCommit's statements and COMMIT in
// one query, after BEGIN if no statement has carried it; nothing at all
// for a transaction that sent nothing.
func (t *pgTx) Commit() error {
	var stmts []string
	if t.wc != nil {
		stmts, t.wc.stmts = t.wc.stmts, nil
	}
	if t.cn.begin && len(stmts) == 0 {
		t.cn.begin = false
		return nil
	}
	q := t.cn.prefix(strings.Join(append(stmts, "COMMIT"), ";\n"))
	_, err := t.cn.Conn.ExecContext(context.Background(), q, nil)
	if err == nil || len(stmts) == 0 || errors.Is(err, driver.ErrBadConn) {
		return err
	}
	// A statement failed and COMMIT did not run: end the aborted
	// transaction, so that the connection goes back to the pool clean.
	_, rerr := t.cn.Conn.ExecContext(context.Background(), "ROLLBACK", nil)
	return errors.Join(&errWithCommit{err}, rerr)
}

// Rollback implements driver.Tx. It leaves the withCommit alone: it belongs
// to the unit of work, whose goroutine may still be appending to it when
// database/sql rolls back on the cancellation of its context.
func (t *pgTx) Rollback() error {
	if t.cn.begin {
		t.cn.begin = false
		return nil
	}
	_, err := t.cn.Conn.ExecContext(context.Background(), "ROLLBACK", nil)
	return err
}
