package bunstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/driver/sqliteshim"
	"github.com/uptrace/bun/migrate"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/tickets"
)

//go:embed migrations
var migrationFiles embed.FS

// Dialect names the SQL engine behind a Store.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is a Bun-backed storage backend. It is safe for concurrent use.
type Store struct {
	dialect Dialect
	// read serves reads outside transactions; write runs units of work. On
	// PostgreSQL both are the same pool.
	read, write *bun.DB
	// delivery serves the outbox relay and the webhook dispatcher on
	// PostgreSQL: a small pool of their own (deliveryConns), so that an
	// application that keeps its pool busy does not keep event delivery
	// waiting for connections. It is nil on SQLite, whose single writer
	// serves everything (see deliveryDB).
	delivery *bun.DB
	queries
	relay relayHub // see outbox_relay.go
}

var _ directory.Store = directoryStore{}

type options struct {
	migrate  bool
	schema   string
	maxConns int
}

// Option configures Open.
type Option func(*options)

// WithoutMigrations opens the database without migrating it; call Migrate
// yourself (the reference server's "migrate" command does).
func WithoutMigrations() Option { return func(o *options) { o.migrate = false } }

// WithSchema makes a PostgreSQL store live in the named schema, created if
// missing (search_path is set on every connection). Tests use it to isolate
// each test; embedders use it to share a database with other applications.
// It is ignored on SQLite.
func WithSchema(name string) Option { return func(o *options) { o.schema = name } }

// WithMaxConns sets the size of the PostgreSQL pool or of the SQLite reader
// pool (default 8). On PostgreSQL the outbox relay and the webhook
// dispatcher use deliveryConns more connections, in a pool of their own.
func WithMaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

// Open opens the database named by rawURL and, unless WithoutMigrations is
// given, migrates it. Accepted URLs: "sqlite:PATH" (also "sqlite://PATH"
// and "sqlite:///ABSOLUTE/PATH"; the directory is created) and
// "postgres://..." or "postgresql://..." (pgdriver DSN syntax, including
// sslmode).
func Open(ctx context.Context, rawURL string, opts ...Option) (*Store, error) {
	o := options{migrate: true, maxConns: 8}
	for _, opt := range opts {
		opt(&o)
	}
	var (
		s   *Store
		err error
	)
	switch {
	case strings.HasPrefix(rawURL, "sqlite:"):
		s, err = openSQLite(rawURL, o)
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		s, err = openPostgres(ctx, rawURL, o)
	default:
		return nil, fmt.Errorf("bunstore: unsupported database URL %q: use sqlite:PATH or postgres://USER:PASSWORD@HOST/DB", redact(rawURL))
	}
	if err != nil {
		return nil, err
	}
	if err := s.read.PingContext(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("bunstore: connecting to %s: %w", redact(rawURL), err)
	}
	if o.migrate {
		if _, err := s.Migrate(ctx); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	return s, nil
}

// sqlitePath extracts the file path from a sqlite: URL.
func sqlitePath(rawURL string) (string, error) {
	p := strings.TrimPrefix(rawURL, "sqlite:")
	p = strings.TrimPrefix(p, "//")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if p == "" || p == ":memory:" || strings.HasPrefix(p, "file::memory:") {
		return "", errors.New("bunstore: sqlite needs a file path (sqlite:./data/boladao.db); use storage/memory for an in-memory store")
	}
	return p, nil
}

const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)"

// writerCache caps the writer's page cache at 512 KiB (SQLite's default is
// 2 MiB per connection). The writer stays open for the life of the store,
// so its cache is memory an idle server keeps, while the readers that serve
// the lists close after a minute idle; its units of work touch the
// right-hand pages of each index and the few rows they change. Measured
// with boladao-bench: the same creation rates, 1.1 MiB less idle memory
// after a bulk load.
const writerCache = "_pragma=cache_size(-512)"

func openSQLite(rawURL string, o options) (*Store, error) {
	path, err := sqlitePath(rawURL)
	if err != nil {
		return nil, err
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("bunstore: creating the database directory: %w", err)
		}
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + sqlitePragmas
	writeDB, err := sql.Open(sqliteshim.ShimName, dsn+"&_txlock=immediate&"+writerCache)
	if err != nil {
		return nil, fmt.Errorf("bunstore: opening sqlite: %w", err)
	}
	writeDB.SetMaxOpenConns(1)
	writeDB.SetMaxIdleConns(1)
	writeDB.SetConnMaxLifetime(0)
	readDB, err := sql.Open(sqliteshim.ShimName, dsn)
	if err != nil {
		_ = writeDB.Close()
		return nil, fmt.Errorf("bunstore: opening sqlite: %w", err)
	}
	readDB.SetMaxOpenConns(o.maxConns)
	// Each SQLite connection keeps its own page cache: an idle server keeps
	// two readers and lets the others go, to stay small.
	readDB.SetMaxIdleConns(min(2, o.maxConns))
	readDB.SetConnMaxIdleTime(time.Minute)
	w := bun.NewDB(writeDB, sqlitedialect.New())
	r := bun.NewDB(readDB, sqlitedialect.New())
	return &Store{dialect: SQLite, read: r, write: w, queries: queries{db: r, dialect: SQLite}}, nil
}

func openPostgres(ctx context.Context, rawURL string, o options) (*Store, error) {
	connOpts := []pgdriver.Option{pgdriver.WithDSN(rawURL)}
	if o.schema != "" {
		if err := createSchema(ctx, rawURL, o.schema); err != nil {
			return nil, err
		}
		connOpts = append(connOpts, pgdriver.WithConnParams(map[string]any{"search_path": o.schema}))
	}
	pool := func(n int) *bun.DB {
		sqldb := sql.OpenDB(pgConnector{pgdriver.NewConnector(connOpts...)})
		sqldb.SetMaxOpenConns(n)
		sqldb.SetMaxIdleConns(n)
		return bun.NewDB(sqldb, pgdialect.New())
	}
	db := pool(o.maxConns)
	s := &Store{dialect: Postgres, read: db, write: db, delivery: pool(deliveryConns), queries: queries{db: db, dialect: Postgres}}
	s.relay.channel = outboxChannel(o.schema)
	return s, nil
}

func createSchema(ctx context.Context, rawURL, schema string) error {
	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(rawURL)))
	defer sqldb.Close()
	db := bun.NewDB(sqldb, pgdialect.New())
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS ?", bun.Ident(schema)); err != nil {
		return fmt.Errorf("bunstore: creating schema %q: %w", schema, err)
	}
	return nil
}

// redact hides the password of a database URL for messages and logs.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	return u.Redacted()
}

// Dialect reports the SQL engine behind the store.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB returns the Bun handle that runs units of work, for embedders that add
// their own tables; the domain packages never see it.
func (s *Store) DB() *bun.DB { return s.write }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return classify(s.read.PingContext(ctx)) }

// Close closes every connection.
func (s *Store) Close() error {
	s.relay.closeAnnouncer()
	err := s.read.Close()
	if s.write != s.read {
		err = errors.Join(err, s.write.Close())
	}
	if s.delivery != nil {
		err = errors.Join(err, s.delivery.Close())
	}
	return err
}

// deliveryConns is the size of the PostgreSQL pool of event delivery: the
// relay's claim, the webhook service's group of deliveries and two more
// for the endpoints' workers, which each use a connection for a moment
// between requests.
const deliveryConns = 4

// deliveryDB is the pool that the outbox relay and the webhook dispatcher
// use for reads (write false) or for writes: the delivery pool on
// PostgreSQL, the reader pool or the single writer on SQLite.
func (s *Store) deliveryDB(write bool) *bun.DB {
	switch {
	case s.delivery != nil:
		return s.delivery
	case write:
		return s.write
	}
	return s.read
}

// migrator returns a bun migrator over the first n migrations of the store's
// dialect (all of them when n < 0).
func (s *Store) migrator(n int) (*migrate.Migrator, error) {
	sub, err := fs.Sub(migrationFiles, "migrations/"+string(s.dialect))
	if err != nil {
		return nil, err
	}
	all := migrate.NewMigrations()
	if err := all.Discover(sub); err != nil {
		return nil, fmt.Errorf("bunstore: reading embedded migrations: %w", err)
	}
	ms := all
	if n >= 0 {
		ms = migrate.NewMigrations()
		for i, m := range all.Sorted() {
			if i < n {
				ms.Add(m)
			}
		}
	}
	return migrate.NewMigrator(s.write, ms, migrate.WithMarkAppliedOnSuccess(true)), nil
}

// Migrate applies every migration not yet applied and returns the names of
// those it applied (empty when the schema was current).
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	return s.migrateFirst(ctx, -1)
}

func (s *Store) migrateFirst(ctx context.Context, n int) ([]string, error) {
	m, err := s.migrator(n)
	if err != nil {
		return nil, err
	}
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("bunstore: preparing the migrations table: %w", err)
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("bunstore: migrating: %w", err)
	}
	var names []string
	for _, mg := range group.Migrations {
		names = append(names, mg.Name+"_"+mg.Comment)
	}
	return names, nil
}

// Migration is one schema migration and whether it has been applied.
type Migration struct {
	Name    string
	Applied bool
}

// MigrationStatus lists every known migration, oldest first, with whether
// it has been applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]Migration, error) {
	m, err := s.migrator(-1)
	if err != nil {
		return nil, err
	}
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("bunstore: preparing the migrations table: %w", err)
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("bunstore: reading migration status: %w", err)
	}
	out := make([]Migration, len(ms))
	for i, mg := range ms {
		out[i] = Migration{Name: mg.Name + "_" + mg.Comment, Applied: mg.IsApplied()}
	}
	return out, nil
}

// inTx runs fn in a transaction on the writer.
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	return s.inTxOn(ctx, s.write, fn)
}

// inTxOn is inTx on the pool db.
func (s *Store) inTxOn(ctx context.Context, db *bun.DB, fn func(ctx context.Context, tx *Tx) error) error {
	appended := false
	err := s.runTx(ctx, db, func(ctx context.Context, btx bun.Tx, wc *withCommit) error {
		return fn(ctx, &Tx{queries: queries{db: btx, dialect: s.dialect}, withCommit: wc, appended: &appended})
	})
	if err == nil && appended {
		s.relay.notify()
		if s.dialect == Postgres {
			s.relay.announce(s.delivery)
		}
	}
	return err
}

// Tx is a unit of work: the transaction-scoped view of the store that the
// domain packages receive inside InTx.
type Tx struct {
	queries
	// appended is set when the unit of work wrote events, so that its
	// commit wakes the outbox relay.
	appended *bool
	// withCommit, on PostgreSQL, takes the statements sent with COMMIT
	// (see execAtCommit).
	withCommit *withCommit
}

// Directory returns the store as the directory package sees it.
func (s *Store) Directory() directory.Store { return directoryStore{s} }

// Inventory returns the store as the inventory package sees it.
func (s *Store) Inventory() inventory.Store { return inventoryStore{s} }

// Tickets returns the store as the tickets package sees it.
func (s *Store) Tickets() tickets.Store { return ticketsStore{s} }

type directoryStore struct{ *Store }

func (d directoryStore) InTx(ctx context.Context, fn func(ctx context.Context, tx directory.Tx) error) error {
	return d.inTx(ctx, func(ctx context.Context, tx *Tx) error { return fn(ctx, tx) })
}
