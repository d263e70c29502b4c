// Package storagetest is the conformance suite every Boladão storage backend
// must pass. A backend's test calls Run with a factory that returns a fresh,
// empty backend for each subtest:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storagetest.Backend { return memory.New() })
//	}
//
// The suite checks round trips, unique violations mapped to
// storage.ErrConflict, stale versions mapped to storage.ErrStale, rollbacks
// that leave no row and no outbox event behind, tenant isolation (every
// method called with another company's IDs behaves exactly like a missing
// row), keyset pagination under concurrent inserts, and concurrent writers.
// It drives the backend both directly and through the domain services, so a
// backend that passes behaves the same as every other one.
package storagetest
