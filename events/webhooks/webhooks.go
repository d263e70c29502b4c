package webhooks

import (
	"context"
	"errors"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// Endpoint is a company's webhook receiver.
type Endpoint struct {
	ID        int64            `json:"id"`
	CompanyID tenant.CompanyID `json:"company_id"`
	URL       string           `json:"url"`
	// Secret is the whsec_ signing secret. Services return it only from
	// CreateEndpoint and RotateSecret; JSON never carries it.
	Secret string `json:"-"`
	// Events are type patterns (see events.Match); empty means none.
	Events      []string `json:"events"`
	Description string   `json:"description"`
	Active      bool     `json:"active"`
	// DisabledReason says why the endpoint was disabled by the dispatcher
	// (410 Gone, too many failures); empty otherwise.
	DisabledReason      string    `json:"disabled_reason,omitempty"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
	Version             int64     `json:"version"`
}

// Status is a delivery's state.
type Status string

// Delivery states.
const (
	// StatusPending deliveries are waiting for their next attempt.
	StatusPending Status = "pending"
	// StatusSucceeded deliveries got a 2xx answer.
	StatusSucceeded Status = "succeeded"
	// StatusFailed deliveries ran out of attempts, hit 410 Gone or a
	// refused address; Redeliver sends them again.
	StatusFailed Status = "failed"
)

// Delivery is one event to be sent to one endpoint.
type Delivery struct {
	ID         int64            `json:"id"`
	CompanyID  tenant.CompanyID `json:"company_id"`
	EndpointID int64            `json:"endpoint_id"`
	// EventID is sent as webhook-id on every attempt.
	EventID   string `json:"event_id"`
	EventType string `json:"event_type"`
	// AggregateKey orders the deliveries of one aggregate.
	AggregateKey string `json:"-"`
	// Payload is the exact body that is signed and sent.
	Payload        []byte    `json:"-"`
	Status         Status    `json:"status"`
	Attempts       int       `json:"attempts"`
	NextAttemptAt  time.Time `json:"next_attempt_at"`
	LastStatusCode int       `json:"last_status_code,omitempty"`
	LastError      string    `json:"last_error,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	DeliveredAt    time.Time `json:"delivered_at,omitzero"`
}

// Attempt is one HTTP request of a delivery: the delivery log.
type Attempt struct {
	ID         int64            `json:"id"`
	CompanyID  tenant.CompanyID `json:"-"`
	EndpointID int64            `json:"-"`
	DeliveryID int64            `json:"delivery_id"`
	At         time.Time        `json:"at"`
	// StatusCode is 0 when no response arrived.
	StatusCode int `json:"status_code"`
	// LatencyMS is the time to the response (or the failure).
	LatencyMS int `json:"latency_ms"`
	// Response is the start of the response body.
	Response string `json:"response,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Stats sums up an endpoint's deliveries and attempts.
type Stats struct {
	Deliveries      int       `json:"deliveries"`
	Pending         int       `json:"pending"`
	Succeeded       int       `json:"succeeded"`
	Failed          int       `json:"failed"`
	Attempts        int       `json:"attempts"`
	FailedAttempts  int       `json:"failed_attempts"`
	SuccessRate     float64   `json:"success_rate"`
	AvgLatencyMS    float64   `json:"avg_latency_ms"`
	LastAttemptAt   time.Time `json:"last_attempt_at,omitzero"`
	LastSuccessAt   time.Time `json:"last_success_at,omitzero"`
	ConsecutiveFail int       `json:"consecutive_failures"`
}

// DeliveryFilter narrows ListDeliveries. Zero fields do not filter.
type DeliveryFilter struct {
	Status Status
}

// AttemptRecord is what the dispatcher writes after one attempt, in one
// unit of work.
type AttemptRecord struct {
	// Delivery is the delivery's new state.
	Delivery Delivery
	Attempt  Attempt
	// Succeeded resets the endpoint's run of failures; otherwise it grows
	// by one.
	Succeeded bool
	// DisableAfter disables the endpoint when its run of failures reaches
	// it (0: never); Disable disables it now with that reason.
	DisableAfter int
	Disable      string
	// Disabled is appended to the outbox when this record disables the
	// endpoint; its data gets the reason.
	Disabled events.Event
	Now      time.Time
}

// Claim says which deliveries Store.ClaimDeliveries takes.
type Claim struct {
	Now   time.Time
	Lease time.Duration
	Limit int
	// Endpoint, when not zero, limits the claim to that endpoint;
	// Exclude skips the endpoints it lists.
	Endpoint int64
	Exclude  []int64
}

// Store is what the webhooks service needs from a storage backend.
// Company-scoped methods treat another company's rows as missing
// (storage.ErrNotFound).
type Store interface {
	InsertEndpoint(ctx context.Context, ep *Endpoint) error
	// UpdateEndpoint writes ep if its Version is current (storage.ErrStale
	// otherwise) and increments it.
	UpdateEndpoint(ctx context.Context, ep *Endpoint) error
	// DeleteEndpoint deletes the endpoint with its deliveries and log.
	DeleteEndpoint(ctx context.Context, company tenant.CompanyID, id int64) error
	EndpointByID(ctx context.Context, company tenant.CompanyID, id int64) (Endpoint, error)
	ListEndpoints(ctx context.Context, company tenant.CompanyID, p storage.PageRequest) (storage.Page[Endpoint], error)
	// ActiveEndpoints lists the company's active endpoints.
	ActiveEndpoints(ctx context.Context, company tenant.CompanyID) ([]Endpoint, error)

	// EnqueueDeliveries inserts deliveries, skipping those whose endpoint
	// already has a delivery of the same event, and returns how many it
	// inserted. IDs are assigned in order and set in ds (zero for the
	// skipped ones).
	//
	// With lease > 0 it also claims, for the caller to send at once, each
	// inserted delivery whose endpoint had no pending delivery of the same
	// aggregate before the call: its next attempt moves on by lease (in ds
	// too), as ClaimDeliveries would have moved it. Deliveries of the same
	// endpoint and aggregate within ds are claimed alike, and the caller
	// sends them in order.
	EnqueueDeliveries(ctx context.Context, ds []Delivery, lease time.Duration) (int, error)
	// ClaimDeliveries takes up to c.Limit pending deliveries of active
	// endpoints that are due at c.Now, oldest first, skipping deliveries
	// that have an earlier pending delivery of the same endpoint and
	// aggregate that is not due; the claimed deliveries' next attempt
	// moves to Now+Lease, so that no other dispatcher takes them
	// meanwhile, and they are returned with that new time.
	ClaimDeliveries(ctx context.Context, c Claim) ([]Delivery, error)
	// ReleaseDeliveries makes claimed deliveries due at the given time.
	ReleaseDeliveries(ctx context.Context, ids []int64, at time.Time) error
	// RecordAttempts writes attempts, in order and in one unit of work:
	// each one's attempt row, the delivery's new state and the endpoint's
	// run of failures. It reports, per record, whether it disabled the
	// endpoint.
	RecordAttempts(ctx context.Context, recs []AttemptRecord) ([]bool, error)
	DeliveryByID(ctx context.Context, company tenant.CompanyID, endpoint, id int64) (Delivery, error)
	// ListDeliveries lists an endpoint's deliveries, newest first.
	ListDeliveries(ctx context.Context, company tenant.CompanyID, endpoint int64, f DeliveryFilter, p storage.PageRequest) (storage.Page[Delivery], error)
	// ListAttempts lists a delivery's attempts, oldest first.
	ListAttempts(ctx context.Context, company tenant.CompanyID, delivery int64) ([]Attempt, error)
	// ResetDelivery makes a delivery pending and due at now.
	ResetDelivery(ctx context.Context, company tenant.CompanyID, endpoint, id int64, now time.Time) (Delivery, error)
	EndpointStats(ctx context.Context, company tenant.CompanyID, endpoint int64) (Stats, error)
	// PruneDeliveries deletes finished (succeeded or failed) deliveries
	// last changed before the given time, with their attempts, and returns
	// how many deliveries it deleted.
	PruneDeliveries(ctx context.Context, before time.Time) (int, error)
}

// ErrAddressRefused is wrapped by errors for URLs that resolve to an
// address the guard refuses.
var ErrAddressRefused = errors.New("webhook address refused")

// FinishStats fills the derived fields of st from its counts and the sum of
// the attempts' latencies; storage backends call it.
func FinishStats(st *Stats, latencySumMS int64) {
	if st.Attempts > 0 {
		st.SuccessRate = float64(st.Attempts-st.FailedAttempts) / float64(st.Attempts)
		st.AvgLatencyMS = float64(latencySumMS) / float64(st.Attempts)
	}
}
