package events_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// An event is built with New and handed to a bus; a subscriber that fails
// is called again with backoff, and one that keeps failing leaves the event
// as a dead letter. (Inside Boladão the Relay publishes the outbox's
// committed events; helpdesk.Desk.OnEvent subscribes for you.)
func Example() {
	ctx := context.Background()
	bus, err := events.NewLocalBus(events.LocalBusConfig{Attempts: 3, Backoff: time.Millisecond})
	if err != nil {
		panic(err)
	}
	defer bus.Close()

	calls := 0
	err = bus.Subscribe(ctx, events.Subscription{Name: "mailer", Pattern: "ticket.*"}, func(ctx context.Context, ev events.Event) error {
		calls++
		if calls == 1 {
			return errors.New("smtp: connection refused") // retried
		}
		fmt.Printf("mailer: %s on %s %s (attempt %d)\n", ev.Type, ev.AggregateType, ev.AggregateID, calls)
		return nil
	})
	if err != nil {
		panic(err)
	}
	_ = bus.Subscribe(ctx, events.Subscription{Name: "broken", Pattern: "ticket.created"}, func(context.Context, events.Event) error {
		return errors.New("always fails")
	})

	at := time.Date(2026, 7, 6, 13, 0, 0, 0, time.UTC)
	ev, err := events.New("ticket.created", 7, "ticket", 42, tenant.System(), at, map[string]any{"number": 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(ev.Type, ev.CompanyID, string(ev.Data))
	// Publish returns once every matching subscriber accepted the event or
	// gave up on it; the in-process bus reports the dead letters.
	fmt.Println("publish:", bus.Publish(ctx, ev))
	for _, dl := range bus.DeadLetters() {
		fmt.Println("dead letter:", dl.Subscriber, dl.Event.Type, dl.Attempts, dl.Err)
	}
	// Output:
	// ticket.created 7 {"number":1}
	// mailer: ticket.created on ticket 42 (attempt 2)
	// publish: events: dead letter: broken after 3 attempts: always fails
	// dead letter: broken ticket.created 3 always fails
}

// Patterns name event types with NATS-style wildcards: "*" matches one
// dot-separated token and ">" the rest; "*" or ">" alone match every type.
func ExampleMatch() {
	for _, p := range []string{"ticket.created", "ticket.*", "ticket.>", "*", ">"} {
		fmt.Println(p, events.Match(p, "ticket.created"), events.Match(p, "ticket.sla.breached"))
	}
	// Output:
	// ticket.created true false
	// ticket.* true false
	// ticket.> true true
	// * true true
	// > true true
}
