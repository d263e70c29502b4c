// Package idempotency makes create requests safe to retry: a client sends an
// Idempotency-Key with a create, and a retry with the same key gets the
// stored response instead of creating twice.
//
// Keys are scoped to the company and the principal (user or API token) that
// sent them and kept for 24 hours. A replay with a different request body is
// refused (ErrKeyReused), and a key whose first request is still running is
// refused (ErrInFlight). The records live in the storage backend (Store), so
// they survive restarts and are shared by every instance of the server.
package idempotency
