// Package bunstoretest opens throwaway bunstore databases for tests: SQLite
// in a temporary directory, and PostgreSQL in a schema of its own that is
// dropped when the test ends. Proxy and TerminateBackends make a
// PostgreSQL server go away under a store (a closed listener, ended
// sessions), for tests of outages.
//
// PostgreSQL tests read their server from BOLADAO_TEST_POSTGRES_DSN. When it
// is unset they skip with a message saying how to run them, unless the CI
// variable is set, in which case they fail: in CI the PostgreSQL tests must
// run.
package bunstoretest
