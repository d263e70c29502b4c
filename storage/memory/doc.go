// Package memory is the in-memory storage backend of Boladão.
//
// It keeps every table in maps guarded by one lock and implements the
// storage contracts the domain packages declare (directory.Store today; the
// inventory, tickets and service-order stores as they appear), plus the
// outbox reader, idempotency.Store (Idempotency) and audit.Store (Audit). It is meant for tests, examples and small embedded
// deployments: nothing is written to disk, and all data vanishes with the
// process.
//
// Use it like any other backend:
//
//	st := memory.New()
//	defer st.Close()
//	svc, err := directory.NewService(st.Directory())
//
// # Semantics
//
// The backend behaves like the SQL backends, so the shared conformance suite
// (storage/storagetest) runs against it unchanged:
//
//   - Units of work are serialised: InTx holds the store's write lock for the
//     whole callback, and reads outside a transaction take the read lock.
//     Inside a transaction, reads see the transaction's own writes.
//   - When the callback returns an error, panics or exits its goroutine
//     (t.FailNow), every write of the transaction is undone, outbox appends
//     included; a panic continues after the rollback.
//   - IDs come from per-table counters starting at 1 and are never reused,
//     even after a rollback.
//   - Inserts set Version to 1; updates match ID, company and Version, then
//     increment Version, failing with storage.ErrStale or storage.ErrNotFound.
//   - Unique constraints (company CNPJ, contact email per company, user email,
//     user contact, refresh token digest, API token lookup ID) are enforced on
//     insert and update and reported as storage.ErrConflict.
//   - Idempotency keys and security events live outside units of work: each
//     call takes the store's lock for one step, like the single statements
//     of the SQL backends.
//   - Rows are copied in and out: a caller can never mutate stored data
//     through a value it passed or received.
//
// Calling the root store (or starting another InTx) from inside a
// transaction callback deadlocks, exactly as it would exhaust a one-writer
// connection pool: use the Tx handed to the callback.
package memory
