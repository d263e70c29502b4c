// Package storage is the storage contract shared by every domain package and
// every backend: the sentinel errors a backend returns (ErrNotFound,
// ErrConflict, ErrStale, ErrUnavailable), and the keyset pagination types
// (PageRequest, Page, Cursor).
//
// It is a leaf: it imports no backend and no domain package, so domain
// packages can depend on it for its errors while backends
// (storage/memory, storage/bunstore) depend on the domain packages for their
// types. The unit of work itself (InTx) is declared by each domain package
// with the transaction-scoped methods it needs; see directory.Store for an
// example.
package storage
