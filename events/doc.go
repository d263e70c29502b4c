// Package events holds Boladão's domain events: the Event envelope, the
// Appender through which domain code writes events into the transactional
// outbox inside its unit of work, and the OutboxReader that reads them back.
//
// A domain operation appends its events with the same transaction that writes
// its rows, so an event exists if and only if the change it describes was
// committed. Each event carries a unique, time-ordered ID that receivers use
// to ignore duplicates; delivery (relay, bus, webhooks) builds on the outbox
// rows and never on in-memory callbacks.
//
// The Relay hands committed outbox events to a Bus: LocalBus in one
// process, natsbus for several. Subscribe is durable and shared between the
// instances that use one name, with retries and dead letters (failures for
// which IsUnavailable holds, a database outage, are retried without
// counting); Watch (Watcher) shows every event to every instance, without
// durability, for live views.
package events
