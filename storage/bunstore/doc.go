// Package bunstore is Boladão's SQL storage backend, built on Bun. It runs on
// SQLite (the embedded default, pure Go through modernc.org/sqlite) and on
// PostgreSQL (through pgdriver), with the same schema, behaviour and
// conformance suite (storage/storagetest).
//
//	st, err := bunstore.Open(ctx, "sqlite:./data/boladao.db")
//	st, err := bunstore.Open(ctx, "postgres://user@localhost:5432/boladao?sslmode=disable")
//
// Open migrates the schema to the latest version unless WithoutMigrations is
// given; Migrate and MigrationStatus run and report migrations explicitly.
// Migrations are embedded SQL files, one directory per dialect, applied
// forward only with bun/migrate.
//
// On SQLite the store keeps two connection pools on one file: a single
// writer connection that begins every transaction IMMEDIATE, so concurrent
// units of work queue fairly in Go instead of failing with SQLITE_BUSY, and
// a pool of readers that WAL lets run beside the writer. Every connection has
// foreign keys on, synchronous=FULL and a 5 s busy timeout. An in-memory
// SQLite database is not supported (the two pools would see two databases):
// use storage/memory instead.
//
// Besides the domain stores (Directory), the store serves idempotency keys
// (Idempotency) and security events (Audit); those run as single statements
// or short transactions on the writer, outside any unit of work.
//
// Driver errors are translated into the storage sentinels: no rows into
// storage.ErrNotFound, unique violations into storage.ErrConflict, and a
// lost connection (refused, reset, closed, or a session PostgreSQL ended or
// would not start: any FATAL error, SQLSTATE 08xxx, 53300, 57P01-57P03) into
// storage.ErrUnavailable, whichever call met it.
package bunstore
