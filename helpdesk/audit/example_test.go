package audit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// Diff lists the fields a change touched; a secret is marked as changed,
// never recorded.
func ExampleDiff() {
	before := audit.Values{"role": "agent", "password": "$2a$10$old", "email": "bob@acme.test"}
	after := audit.Values{"role": "admin", "password": "$2a$10$new", "email": "bob@acme.test"}
	for _, f := range audit.Diff(before, after, "password") {
		if f.Secret {
			fmt.Printf("%s: changed\n", f.Field)
			continue
		}
		fmt.Printf("%s: %s -> %s\n", f.Field, f.Old, f.New)
	}
	// Output:
	// password: changed
	// role: agent -> admin
}

// An Aggregator writes a flood of refused requests as one row per source.
func ExampleAggregator() {
	ctx := context.Background()
	a := audit.NewAggregator(memory.New())
	at := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	for i := range 500 {
		e := audit.Event{At: at.Add(time.Duration(i) * time.Millisecond), Kind: audit.RateLimited, IP: "203.0.113.9"}
		_ = a.RecordSecurityEvent(ctx, &e)
	}
	_ = a.Flush(ctx) // Run does it every interval
	evs, _ := a.SecurityEvents(ctx, audit.Query{})
	fmt.Println(len(evs), evs[0].Kind, evs[0].Count, evs[0].LastAt.Sub(evs[0].At))
	// Output: 1 rate_limited 500 499ms
}
