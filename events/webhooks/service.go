package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// DefaultSchedule is the Standard Webhooks retry schedule: the waits after
// the first, second, ... failed attempt (ten attempts in all).
var DefaultSchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}

// DefaultDisableAfter is how long an endpoint may fail without a success
// before the dispatcher disables it.
const DefaultDisableAfter = 5 * 24 * time.Hour

// Limits of an endpoint's fields.
const (
	MaxURL         = 2048
	MaxDescription = 500
	MaxEventTypes  = 50
)

// ParseSchedule parses a comma-separated list of durations ("5s,5m,30m"),
// as BOLADAO_WEBHOOK_RETRY_SCHEDULE holds.
func ParseSchedule(s string) ([]time.Duration, error) {
	var out []time.Duration
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("webhooks: retry schedule entry %q: want positive durations such as 5s,5m,30m", part)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, errors.New("webhooks: empty retry schedule: give at least one duration, such as 5s")
	}
	return out, nil
}

// Config configures the Service. Zero fields take defaults.
type Config struct {
	// Schedule is the wait after each failed attempt (default
	// DefaultSchedule); a delivery gets len(Schedule)+1 attempts.
	Schedule []time.Duration
	// Jitter adds up to this fraction of each wait at random (default 0.1).
	Jitter float64
	// Timeout bounds one request, connection included (default 15 s).
	Timeout time.Duration
	// AllowCIDRs are ranges that the address guard lets through.
	AllowCIDRs []netip.Prefix
	// DisableAfter disables an endpoint that has been failing that long:
	// every attempt failed since its first failure that long ago (default
	// 5 days, as Stripe and Svix do). A disabled endpoint keeps receiving
	// deliveries, held until it is enabled again.
	DisableAfter time.Duration
	// Lease is how long a dispatcher's claim on a delivery lasts; a live
	// dispatcher renews its claims every third of it, so the claims of one
	// that died lapse, and others send its deliveries, within a lease
	// (default 10 s).
	Lease time.Duration
	// SecretGrace is how long, after RotateSecret, requests are signed
	// with the old secret as well as the new one (default 24 h).
	SecretGrace time.Duration
	// MaxResponse is how many bytes of a response the log keeps (default
	// 1024).
	MaxResponse int
	// PerEndpoint is how many requests one endpoint gets at once, each for
	// a different aggregate (default 4).
	PerEndpoint int
	// BatchSize is how many due deliveries one pass claims (default 200).
	BatchSize int
	// PollInterval is how often Run looks for due deliveries when nothing
	// woke it (default 1 s).
	PollInterval time.Duration
	// Retention is how long finished deliveries and their attempts are
	// kept (default 30 days); Run prunes older ones every hour.
	Retention time.Duration
	// Now is the clock (default time.Now); Logger receives failures
	// (default slog.Default()).
	Now    func() time.Time
	Logger *slog.Logger
}

// Validate checks the configuration.
func (c Config) Validate() error {
	for _, d := range c.Schedule {
		if d <= 0 {
			return fmt.Errorf("webhooks: retry schedule %v: every wait must be positive", c.Schedule)
		}
	}
	if c.Jitter < 0 || c.Jitter > 1 || c.Timeout < 0 || c.DisableAfter < 0 || c.MaxResponse < 0 ||
		c.PerEndpoint < 0 || c.BatchSize < 0 || c.PollInterval < 0 || c.Retention < 0 || c.Lease < 0 || c.SecretGrace < 0 {
		return errors.New("webhooks: config: jitter must be within 0..1 and no setting may be negative")
	}
	return nil
}

func (c *Config) defaults() {
	if len(c.Schedule) == 0 {
		c.Schedule = DefaultSchedule
	}
	if c.Jitter == 0 {
		c.Jitter = 0.1
	}
	if c.Timeout == 0 {
		c.Timeout = 15 * time.Second
	}
	if c.DisableAfter == 0 {
		c.DisableAfter = DefaultDisableAfter
	}
	if c.Lease == 0 {
		c.Lease = 10 * time.Second
	}
	if c.SecretGrace == 0 {
		c.SecretGrace = 24 * time.Hour
	}
	if c.MaxResponse == 0 {
		c.MaxResponse = 1024
	}
	if c.PerEndpoint == 0 {
		c.PerEndpoint = 4
	}
	if c.BatchSize == 0 {
		c.BatchSize = 200
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.Retention == 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Service manages a company's endpoints and delivers their events.
type Service struct {
	store  Store
	cfg    Config
	guard  guard
	client *http.Client
	wake   chan struct{}

	endpoints endpointCache // endpoints, for HandleEvent

	// owner names this dispatcher in the claims it makes; claims holds
	// the deliveries it has claimed and not finished, whose claims it
	// renews.
	owner  string
	claims claimSet

	mu       sync.Mutex
	inflight map[int64]*endpointWork // endpoints being served
	runCtx   context.Context         // Run's, while it runs
	workers  sync.WaitGroup          // Run's workers

	// Group commit of HandleEvent (see dispatcher.go).
	gmu      sync.Mutex
	queue    []*enqueueReq
	flushing bool
}

// NewService returns a webhooks service over store.
func NewService(store Store, cfg Config) (*Service, error) {
	if store == nil {
		return nil, errors.New("webhooks: store is nil")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	g := guard{allow: slices.Clone(cfg.AllowCIDRs), resolver: net.DefaultResolver}
	dialer := &net.Dialer{Timeout: cfg.Timeout, Control: g.control}
	transport := &http.Transport{
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConnsPerHost:   cfg.PerEndpoint,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		// Redirects are answers, not successes: never followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Service{store: store, cfg: cfg, guard: g, client: client, wake: make(chan struct{}, 1),
		inflight: map[int64]*endpointWork{}, owner: newOwner(), claims: claimSet{ids: map[int64]time.Time{}}}, nil
}

// EndpointInput is a new endpoint.
type EndpointInput struct {
	URL         string
	Events      []string
	Description string
	// Active defaults to true.
	Active *bool
}

// EndpointPatch changes an endpoint; nil fields stay. Activating an
// endpoint clears its run of failures (FailingSince too) and the reason it
// was disabled.
type EndpointPatch struct {
	URL         *string
	Events      *[]string
	Description *string
	Active      *bool
}

func (s *Service) checkFields(ctx context.Context, b *validation.Builder, url string, evs []string, desc string) {
	url = strings.TrimSpace(url)
	switch {
	case url == "":
		b.Add("url", "is required")
	case len(url) > MaxURL:
		b.Add("url", "must be at most %d characters", MaxURL)
	default:
		if err := s.guard.checkURL(ctx, url); err != nil {
			b.Add("url", "%v", err)
		}
	}
	if len(evs) == 0 {
		b.Add("events", "must list at least one event type or pattern (ticket.created, ticket.*, *)")
	}
	if len(evs) > MaxEventTypes {
		b.Add("events", "must list at most %d patterns", MaxEventTypes)
	}
	for _, p := range evs {
		if err := events.ValidatePattern(p); err != nil {
			b.Add("events", "%v", err)
		}
	}
	if len(desc) > MaxDescription {
		b.Add("description", "must be at most %d characters", MaxDescription)
	}
}

// CreateEndpoint registers an endpoint for the actor's company. The result
// carries Secret: show it once, it is never returned again (RotateSecret
// makes a new one).
func (s *Service) CreateEndpoint(ctx context.Context, actor tenant.Actor, in EndpointInput) (Endpoint, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return Endpoint{}, err
	}
	var b validation.Builder
	s.checkFields(ctx, &b, in.URL, in.Events, in.Description)
	if err := b.Err(); err != nil {
		return Endpoint{}, err
	}
	now := s.cfg.Now().UTC().Truncate(time.Microsecond)
	ep := Endpoint{CompanyID: actor.CompanyID, URL: strings.TrimSpace(in.URL), Secret: NewSecret(),
		Events: slices.Compact(slices.Sorted(slices.Values(in.Events))), Description: in.Description, Active: true,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if in.Active != nil {
		ep.Active = *in.Active
	}
	if err := s.store.InsertEndpoint(ctx, &ep); err != nil {
		return Endpoint{}, fmt.Errorf("webhooks: creating endpoint: %w", err)
	}
	s.endpoints.forget(ep.CompanyID)
	return ep, nil
}

// GetEndpoint returns one endpoint, without its secret.
func (s *Service) GetEndpoint(ctx context.Context, actor tenant.Actor, id int64) (Endpoint, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return Endpoint{}, err
	}
	ep, err := s.store.EndpointByID(ctx, actor.CompanyID, id)
	ep.Secret, ep.PreviousSecret = "", ""
	return ep, err
}

// ListEndpoints lists the company's endpoints, without secrets.
func (s *Service) ListEndpoints(ctx context.Context, actor tenant.Actor, p storage.PageRequest) (storage.Page[Endpoint], error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return storage.Page[Endpoint]{}, err
	}
	page, err := s.store.ListEndpoints(ctx, actor.CompanyID, p)
	for i := range page.Items {
		page.Items[i].Secret, page.Items[i].PreviousSecret = "", ""
	}
	return page, err
}

// UpdateEndpoint applies patch. version, when non-zero, must be the
// endpoint's current version (storage.ErrStale otherwise).
func (s *Service) UpdateEndpoint(ctx context.Context, actor tenant.Actor, id, version int64, patch EndpointPatch) (Endpoint, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return Endpoint{}, err
	}
	ep, err := s.store.EndpointByID(ctx, actor.CompanyID, id)
	if err != nil {
		return Endpoint{}, err
	}
	if version != 0 && version != ep.Version {
		return Endpoint{}, fmt.Errorf("webhooks: endpoint %d is at version %d, not %d: %w", id, ep.Version, version, storage.ErrStale)
	}
	if patch.URL != nil {
		ep.URL = strings.TrimSpace(*patch.URL)
	}
	if patch.Events != nil {
		ep.Events = slices.Compact(slices.Sorted(slices.Values(*patch.Events)))
	}
	if patch.Description != nil {
		ep.Description = *patch.Description
	}
	if patch.Active != nil {
		if *patch.Active && !ep.Active {
			ep.ConsecutiveFailures, ep.DisabledReason, ep.FailingSince = 0, "", time.Time{}
		}
		ep.Active = *patch.Active
	}
	var b validation.Builder
	s.checkFields(ctx, &b, ep.URL, ep.Events, ep.Description)
	if err := b.Err(); err != nil {
		return Endpoint{}, err
	}
	ep.UpdatedAt = s.cfg.Now().UTC().Truncate(time.Microsecond)
	if err := s.store.UpdateEndpoint(ctx, &ep); err != nil {
		return Endpoint{}, err
	}
	s.endpoints.forget(ep.CompanyID)
	ep.Secret, ep.PreviousSecret = "", ""
	if ep.Active {
		s.Wake()
	}
	return ep, nil
}

// DeleteEndpoint deletes an endpoint with its deliveries and log.
func (s *Service) DeleteEndpoint(ctx context.Context, actor tenant.Actor, id int64) error {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return err
	}
	if err := s.store.DeleteEndpoint(ctx, actor.CompanyID, id); err != nil {
		return err
	}
	s.endpoints.forget(actor.CompanyID)
	return nil
}

// RotateSecret gives the endpoint a new secret and returns the endpoint
// with it. Requests are signed with both secrets (two signatures in
// webhook-signature) for Config.SecretGrace, so that receivers can switch
// without rejecting a request; then with the new one only.
func (s *Service) RotateSecret(ctx context.Context, actor tenant.Actor, id int64) (Endpoint, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return Endpoint{}, err
	}
	ep, err := s.store.EndpointByID(ctx, actor.CompanyID, id)
	if err != nil {
		return Endpoint{}, err
	}
	now := s.cfg.Now().UTC().Truncate(time.Microsecond)
	ep.PreviousSecret, ep.PreviousSecretUntil = ep.Secret, now.Add(s.cfg.SecretGrace)
	ep.Secret = NewSecret()
	ep.UpdatedAt = now
	if err := s.store.UpdateEndpoint(ctx, &ep); err != nil {
		return Endpoint{}, err
	}
	s.endpoints.forget(ep.CompanyID) // the workers sign with the new secret
	ep.PreviousSecret = ""
	return ep, nil
}

// Stats sums up an endpoint's deliveries and attempts.
func (s *Service) Stats(ctx context.Context, actor tenant.Actor, id int64) (Stats, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return Stats{}, err
	}
	ep, err := s.store.EndpointByID(ctx, actor.CompanyID, id)
	if err != nil {
		return Stats{}, err
	}
	st, err := s.store.EndpointStats(ctx, actor.CompanyID, id, s.cfg.Now().UTC())
	st.ConsecutiveFail = ep.ConsecutiveFailures
	return st, err
}

// ListDeliveries lists an endpoint's deliveries, newest first.
func (s *Service) ListDeliveries(ctx context.Context, actor tenant.Actor, endpoint int64, f DeliveryFilter, p storage.PageRequest) (storage.Page[Delivery], error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return storage.Page[Delivery]{}, err
	}
	switch f.Status {
	case "", StatusPending, StatusSucceeded, StatusFailed, StatusSkipped:
	default:
		return storage.Page[Delivery]{}, validation.Field("status", "must be pending, succeeded, failed or skipped")
	}
	if _, err := s.store.EndpointByID(ctx, actor.CompanyID, endpoint); err != nil {
		return storage.Page[Delivery]{}, err
	}
	return s.store.ListDeliveries(ctx, actor.CompanyID, endpoint, f, p)
}

// Attempts returns the log of one delivery.
func (s *Service) Attempts(ctx context.Context, actor tenant.Actor, endpoint, delivery int64) ([]Attempt, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return nil, err
	}
	if _, err := s.store.DeliveryByID(ctx, actor.CompanyID, endpoint, delivery); err != nil {
		return nil, err
	}
	return s.store.ListAttempts(ctx, actor.CompanyID, delivery)
}

// Redeliver sends a delivery again: it becomes pending and due now, with
// the same webhook-id and sequence number. Redelivering a failed delivery
// releases the later deliveries of its aggregate, which it held back, after
// it. A skipped delivery cannot be redelivered (storage.ErrConflict): its
// aggregate went on without it.
func (s *Service) Redeliver(ctx context.Context, actor tenant.Actor, endpoint, delivery int64) (Delivery, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return Delivery{}, err
	}
	d, err := s.store.ResetDelivery(ctx, actor.CompanyID, endpoint, delivery, s.cfg.Now().UTC())
	if err != nil {
		return Delivery{}, err
	}
	s.Wake()
	return d, nil
}

// Skip gives up a failed delivery: it is never sent again, and the later
// deliveries of its aggregate, which it held back, go on (the receiver sees
// the gap in the sequence numbers). Other states are refused
// (storage.ErrConflict).
func (s *Service) Skip(ctx context.Context, actor tenant.Actor, endpoint, delivery int64) (Delivery, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return Delivery{}, err
	}
	d, err := s.store.SkipDelivery(ctx, actor.CompanyID, endpoint, delivery, s.cfg.Now().UTC())
	if err != nil {
		return Delivery{}, err
	}
	s.Wake()
	return d, nil
}

// Gauges reports every endpoint's state and unfinished deliveries, across
// companies, for metrics; it is not scoped to an actor and must not be
// exposed per company.
func (s *Service) Gauges(ctx context.Context) ([]Gauge, error) {
	return s.store.DeliveryGauges(ctx, s.cfg.Now().UTC())
}

// SendTest sends a webhook.test event to the endpoint now, whether it is
// active or not, and returns the delivery after that attempt (retries, if
// it failed, follow the schedule while the endpoint is active).
func (s *Service) SendTest(ctx context.Context, actor tenant.Actor, id int64) (Delivery, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return Delivery{}, err
	}
	ep, err := s.store.EndpointByID(ctx, actor.CompanyID, id)
	if err != nil {
		return Delivery{}, err
	}
	now := s.cfg.Now().UTC()
	ev, err := events.New("webhook.test", actor.CompanyID, "webhook_endpoint", ep.ID, actor, now,
		map[string]any{"endpoint_id": ep.ID, "message": "test delivery from Boladão"})
	if err != nil {
		return Delivery{}, err
	}
	// Not due before this request is over: no dispatcher sends it too.
	d, err := newDelivery(ep, ev, now.Add(s.cfg.Timeout+s.lease()))
	if err != nil {
		return Delivery{}, err
	}
	ds := []Delivery{d}
	if _, err := s.store.EnqueueDeliveries(ctx, ds, 0, ""); err != nil {
		return Delivery{}, err
	}
	return s.attemptAndRecord(ctx, ep, ds[0])
}

// lease is how long a claim lasts unless renewed.
func (s *Service) lease() time.Duration { return s.cfg.Lease }
