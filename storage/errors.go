package storage

import "errors"

// Sentinel errors every backend returns, wrapped with context. Test them with
// errors.Is.
var (
	// ErrNotFound means the row does not exist in the acting company. A row
	// that belongs to another company is reported exactly like a missing one.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a uniqueness rule was violated (for example a
	// duplicate email) or the write conflicts with the current state.
	ErrConflict = errors.New("conflict")
	// ErrStale means an update carried a version that is no longer current:
	// someone else changed the row first. Reload and retry.
	ErrStale = errors.New("stale version")
	// ErrUnavailable means the database could not be reached: the
	// connection was refused, reset or closed (a restart, a network cut,
	// pg_terminate_backend). Nothing was written by the failed call, or its
	// transaction was rolled back. It is transient: retry later, with
	// backoff. Callers that count failures (a bus's delivery attempts) must
	// not count it against the work itself.
	ErrUnavailable = errors.New("database unavailable")
)
