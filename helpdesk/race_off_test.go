//go:build !race

package helpdesk_test

// loadEvents is the size of the load reliability case (see race_on_test.go).
const loadEvents = 10_000
