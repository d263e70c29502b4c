package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
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
	// PreviousSecret is the secret RotateSecret replaced; until
	// PreviousSecretUntil every request is signed with both. JSON never
	// carries it.
	PreviousSecret      string    `json:"-"`
	PreviousSecretUntil time.Time `json:"previous_secret_until,omitzero"`
	// DisabledReason says why the endpoint was disabled by the dispatcher
	// (410 Gone, failing for too long); empty otherwise.
	DisabledReason      string `json:"disabled_reason,omitempty"`
	ConsecutiveFailures int    `json:"consecutive_failures"`
	// FailingSince is the first failed attempt since the last success
	// (zero while the endpoint is not failing); the dispatcher disables an
	// endpoint that has been failing for Config.DisableAfter.
	FailingSince time.Time `json:"failing_since,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Version      int64     `json:"version"`
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
	// refused address. A failed delivery holds back the later deliveries
	// of its aggregate to the same endpoint until Redeliver sends it again
	// or Skip gives it up.
	StatusFailed Status = "failed"
	// StatusSkipped deliveries were failed ones that an admin gave up
	// (Skip): they are never sent again, and the later deliveries of their
	// aggregate go on. The gap shows in the receiver's sequence numbers.
	StatusSkipped Status = "skipped"
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
	// Sequence numbers the deliveries of one aggregate to one endpoint
	// 1, 2, 3... with no gap; the store assigns it. It is sent in the body
	// ("sequence"), so that a receiver can tell a missing event.
	Sequence int64 `json:"sequence"`
	// Payload is the event's JSON; Body adds the sequence number to it
	// and is the exact body that is signed and sent.
	Payload  []byte `json:"-"`
	Status   Status `json:"status"`
	Attempts int    `json:"attempts"`
	// NextAttemptAt is when a pending delivery is sent (again); zero for
	// finished ones.
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	// ClaimedUntil is set while a dispatcher holds the delivery to send
	// it: should the dispatcher die, another one takes it at that time.
	ClaimedUntil time.Time `json:"claimed_until,omitzero"`
	// BlockedBy is the failed delivery of the same aggregate that this
	// pending one waits for (listings only; 0 when none).
	BlockedBy      int64     `json:"blocked_by,omitempty"`
	LastStatusCode int       `json:"last_status_code,omitempty"`
	LastError      string    `json:"last_error,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	DeliveredAt    time.Time `json:"delivered_at,omitzero"`
}

// Body is what is signed and sent: the payload with "sequence" first.
func (d Delivery) Body() []byte {
	if len(d.Payload) < 2 || d.Payload[0] != '{' {
		return d.Payload
	}
	b := make([]byte, 0, len(d.Payload)+24)
	b = append(b, `{"sequence":`...)
	b = strconv.AppendInt(b, d.Sequence, 10)
	if len(bytes.TrimSpace(d.Payload[1:])) > 1 { // not {}
		b = append(b, ',')
	}
	return append(b, d.Payload[1:]...)
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
	Deliveries int `json:"deliveries"`
	// Pending counts the deliveries not sent yet: Held of them wait
	// (the endpoint is disabled or paused, or a failed delivery of their
	// aggregate holds them back), Claimed of them are with a dispatcher
	// until ClaimedUntil at the latest.
	Pending         int       `json:"pending"`
	Held            int       `json:"held"`
	Claimed         int       `json:"claimed"`
	ClaimedUntil    time.Time `json:"claimed_until,omitzero"`
	Succeeded       int       `json:"succeeded"`
	Failed          int       `json:"failed"`
	Skipped         int       `json:"skipped"`
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
	// by one, and FailingSince is set to Now if it was zero.
	Succeeded bool
	// DisableAfter disables the endpoint when it has been failing (no
	// success since FailingSince) for that long at Now (0: never);
	// Disable disables it now with that reason.
	DisableAfter time.Duration
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
	// Owner names the claiming dispatcher (RenewClaims renews only its
	// own claims).
	Owner string
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
	// CompanyEndpoints lists all the company's endpoints, active or not,
	// oldest first.
	CompanyEndpoints(ctx context.Context, company tenant.CompanyID) ([]Endpoint, error)

	// EnqueueDeliveries inserts deliveries, skipping those whose endpoint
	// already has a delivery of the same event, and returns how many it
	// inserted. IDs and sequence numbers (1 + the last of the endpoint
	// and aggregate) are assigned in order and set in ds (zero for the
	// skipped ones).
	//
	// With lease > 0 it also claims for owner, for the caller to send at
	// once, each inserted delivery whose endpoint is active and had no
	// pending or failed delivery of the same aggregate before the call:
	// its next attempt moves on by lease (in ds too, with ClaimedUntil),
	// as ClaimDeliveries would have moved it. Deliveries of the same
	// endpoint and aggregate within ds are claimed alike, and the caller
	// sends them in order.
	EnqueueDeliveries(ctx context.Context, ds []Delivery, lease time.Duration, owner string) (int, error)
	// ClaimDeliveries takes up to c.Limit pending deliveries of active
	// endpoints that are due at c.Now, oldest first, skipping deliveries
	// that have an earlier delivery of the same endpoint and aggregate
	// that is failed, or pending and not due; the claimed deliveries' next
	// attempt moves to Now+Lease and they are marked as c.Owner's, so
	// that no other dispatcher takes them meanwhile, and they are returned
	// with that new time.
	ClaimDeliveries(ctx context.Context, c Claim) ([]Delivery, error)
	// RenewClaims moves the next attempt of the listed deliveries that are
	// still pending and claimed by owner to until: a live dispatcher keeps
	// its claims, a dead one's lapse within one lease.
	RenewClaims(ctx context.Context, owner string, ids []int64, until time.Time) error
	// ReleaseDeliveries makes claimed deliveries due at the given time and
	// unclaimed.
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
	// ResetDelivery makes a delivery pending, unclaimed and due at now. A
	// skipped delivery is refused (storage.ErrConflict): the later
	// deliveries of its aggregate went on without it.
	ResetDelivery(ctx context.Context, company tenant.CompanyID, endpoint, id int64, now time.Time) (Delivery, error)
	// SkipDelivery gives up a failed delivery (status skipped), letting
	// the later deliveries of its aggregate go; other states are refused
	// (storage.ErrConflict).
	SkipDelivery(ctx context.Context, company tenant.CompanyID, endpoint, id int64, now time.Time) (Delivery, error)
	// EndpointStats sums up an endpoint's deliveries and attempts; claims
	// that lapsed before now do not count.
	EndpointStats(ctx context.Context, company tenant.CompanyID, endpoint int64, now time.Time) (Stats, error)
	// DeliveryGauges reports, for every endpoint of every company, its
	// state and its unfinished deliveries (for metrics).
	DeliveryGauges(ctx context.Context, now time.Time) ([]Gauge, error)
	// PruneDeliveries deletes, with their attempts, finished (succeeded,
	// failed, skipped) deliveries last changed before the given time,
	// except the last delivery of each endpoint and aggregate (it carries
	// the aggregate's sequence on), and returns how many it deleted.
	// Pending deliveries stay, held ones included.
	PruneDeliveries(ctx context.Context, before time.Time) (int, error)
}

// Gauge is one endpoint's line in Store.DeliveryGauges.
type Gauge struct {
	CompanyID  tenant.CompanyID
	EndpointID int64
	Active     bool
	// Pending, Held, Claimed and Failed count deliveries as in Stats;
	// ClaimedUntil is the latest claim's end.
	Pending, Held, Claimed, Failed int
	ClaimedUntil                   time.Time
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

// FailingReason is why rec disables its endpoint by the time rule, given
// the endpoint's run of failures after rec and the first of them; "" when
// it does not (DisableAfter is 0, or the endpoint has not been failing for
// that long). Storage backends call it.
func FailingReason(rec AttemptRecord, failures int, since time.Time) string {
	if rec.DisableAfter <= 0 || since.IsZero() || rec.Now.Sub(since) < rec.DisableAfter {
		return ""
	}
	return fmt.Sprintf("failing since %s without a success (%d failed attempts; the limit is %v)",
		since.UTC().Format(time.RFC3339), failures, rec.DisableAfter)
}
