//go:build race

package helpdesk_test

// loadEvents is the size of the load reliability case. The race detector
// slows every memory access several times over, so race builds run a fifth
// of the load; the plain `go test ./...` runs all 10,000 events.
const loadEvents = 2_000
