// Package natsbus is an events.Bus on NATS JetStream, for deployments with
// several server instances: each event is published to the subject
// "<prefix>.<company_id>.<event type>" ("boladao.7.ticket.created") with its
// ID as the message ID, so that JetStream drops the duplicates an outbox
// relay may produce; subscribers are durable pull consumers named after
// the subscription, so that instances subscribing under one name share the
// events and a restarted instance resumes where the consumer stopped.
//
// A consumer has one message in flight at a time (MaxAckPending 1), so a
// subscriber sees the events in stream order; a failing handler's message
// is redelivered with backoff and, after Config.Attempts deliveries,
// terminated and recorded as a dead letter.
//
//	nc, err := nats.Connect("nats://127.0.0.1:4222")
//	bus, err := natsbus.New(ctx, nc, natsbus.Config{})
//	desk, err := helpdesk.New(store, helpdesk.WithBus(bus))
package natsbus
