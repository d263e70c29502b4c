package events

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Event is the envelope of one domain event, as stored in the outbox and as
// delivered to subscribers.
type Event struct {
	// ID is unique and time-ordered ("evt_" + a UUIDv7 in hex); receivers use
	// it for idempotency.
	ID string `json:"id"`
	// Type names what happened, "<aggregate>.<verb>" in snake_case, for
	// example "ticket.created".
	Type string `json:"type"`
	// CompanyID is the company the event belongs to.
	CompanyID tenant.CompanyID `json:"company_id"`
	// AggregateType and AggregateID name the changed entity ("user", "42").
	AggregateType string `json:"aggregate_type"`
	AggregateID   string `json:"aggregate_id"`
	// OccurredAt is when the change happened, in UTC.
	OccurredAt time.Time `json:"occurred_at"`
	// ActorUserID is the user who caused the change; zero for the system.
	ActorUserID tenant.UserID `json:"actor_user_id,omitempty"`
	// Data is the event's payload, a JSON object.
	Data json.RawMessage `json:"data"`
}

// New builds an event with a fresh ID. data is marshalled to JSON; it must be
// a value that encoding/json accepts (a struct or map), or New returns an
// error.
func New(typ string, company tenant.CompanyID, aggregateType string, aggregateID any,
	actor tenant.Actor, at time.Time, data any) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("event %s: encoding data: %w", typ, err)
	}
	if len(raw) == 0 || raw[0] != '{' {
		return Event{}, fmt.Errorf("event %s: data must encode to a JSON object, got %s", typ, raw)
	}
	return Event{
		ID:            NewID(at),
		Type:          typ,
		CompanyID:     company,
		AggregateType: aggregateType,
		AggregateID:   fmt.Sprint(aggregateID),
		OccurredAt:    at.UTC(),
		ActorUserID:   actor.UserID,
		Data:          raw,
	}, nil
}

// NewID returns "evt_" followed by a UUIDv7 (RFC 9562) in lower-case hex,
// whose first 48 bits are the Unix milliseconds of t.
func NewID(t time.Time) string {
	var u [16]byte
	binary.BigEndian.PutUint64(u[:8], uint64(t.UnixMilli())<<16)
	_, _ = rand.Read(u[6:]) // crypto/rand.Read never fails on supported platforms.
	u[6] = 0x70 | u[6]&0x0f // version 7
	u[8] = 0x80 | u[8]&0x3f // variant RFC 9562
	return "evt_" + hex.EncodeToString(u[:])
}

// Appender writes events into the outbox. Domain transactions (directory.Tx
// and the like) embed it, so events are written by the same transaction as
// the rows they describe.
type Appender interface {
	AppendEvents(ctx context.Context, evs ...Event) error
}

// OutboxQuery selects outbox rows. Zero fields do not filter.
type OutboxQuery struct {
	CompanyID tenant.CompanyID
	Type      string
	Limit     int
}

// OutboxReader reads the outbox in the order events were appended.
type OutboxReader interface {
	OutboxEvents(ctx context.Context, q OutboxQuery) ([]Event, error)
}
