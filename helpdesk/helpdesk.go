package helpdesk

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/idempotency"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

// Store is what the helpdesk needs from a storage backend: one adapter per
// domain and the outbox. storage/memory and storage/bunstore implement it.
type Store interface {
	Directory() directory.Store
	Inventory() inventory.Store
	Tickets() tickets.Store
	ServiceOrders() serviceorders.Store
	Idempotency() idempotency.Store
	Audit() audit.Store
	// Changes is the audit trail of changes (see changes.go); the
	// store's units of work write it (audit.ChangeWriter).
	Changes() audit.ChangeStore
	Webhooks() webhooks.Store
	Attachments() attachments.Store
	events.OutboxReader
	IntegrationsStore // see integrations.go
	// RelayStore lets Run move committed events to the bus (see events.go).
	events.RelayStore
}

// Desk is an assembled helpdesk: its services, sharing one store and clock.
type Desk struct {
	// Directory manages companies, contacts and users.
	Directory *directory.Service
	// Inventory manages stock items and assets.
	Inventory *inventory.Service
	// Tickets manages tickets, comments and their SLA clocks.
	Tickets *tickets.Service
	// Integrations are WhatsApp and the AI gateway (see integrations.go).
	Integrations
	// ServiceOrders manages service orders, their activities and parts.
	ServiceOrders *serviceorders.Service
	// Webhooks manages webhook endpoints and delivers events to them.
	Webhooks *webhooks.Service
	// Attachments stores and serves files (see attachments.go).
	Attachments *attachments.Service

	store  Store
	now    func() time.Time
	issuer *auth.Issuer
	// access checks that an access token still describes its user.
	access *accessCheck
	// verified remembers the access tokens already verified.
	verified   verifiedTokens
	accessTTL  time.Duration
	refreshTTL time.Duration
	// maintenance is how often Run purges expired records.
	maintenance time.Duration
	// slaCheck is how often Run checks the tickets' SLA clocks.
	slaCheck time.Duration
	// filesGrace is the age of the orphan blobs Run deletes.
	filesGrace time.Duration
	// log receives the failures of Run's loops; failures counts them per
	// loop (BackgroundFailures).
	log      *slog.Logger
	failures map[string]*atomic.Uint64
	// security writes the bulk security events as runs (see Audit).
	security *audit.Aggregator
	// auditRetention is how long the audit trail keeps changes.
	auditRetention time.Duration
	// eventing holds the bus, the relay and the OnEvent subscriptions (see
	// events.go).
	*eventing
}

type config struct {
	now         func() time.Time
	bcryptCost  int
	jwtSecret   []byte
	accessTTL   time.Duration
	refreshTTL  time.Duration
	maintenance time.Duration
	slaCheck    time.Duration
	logger      *slog.Logger
	// accessRecheck is how long the access check trusts what it read.
	accessRecheck time.Duration
	events        eventsConfig // see events.go
	// auditRetention is how long the audit trail keeps changes.
	auditRetention time.Duration
	// securityInterval is how long bulk security events gather.
	securityInterval time.Duration
	attachments      attachmentsConfig
}

// Option configures New.
type Option func(*config)

// WithClock sets the clock every service reads (default time.Now). Tests
// use it to control SLA, numbering and expiry.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithBcryptCost sets the bcrypt cost of new password hashes (default 10).
// Tests lower it for speed; production should not.
func WithBcryptCost(cost int) Option { return func(c *config) { c.bcryptCost = cost } }

// WithJWTSecret sets the HS256 key of access tokens (at least 32 bytes).
// Without it New generates a random key, so tokens do not survive a
// restart: the reference server persists its key with the data.
func WithJWTSecret(secret []byte) Option { return func(c *config) { c.jwtSecret = secret } }

// WithTokenTTLs sets the lifetime of access tokens (default 15 minutes) and
// of unused refresh tokens (default 30 days).
func WithTokenTTLs(access, refresh time.Duration) Option {
	return func(c *config) { c.accessTTL, c.refreshTTL = access, refresh }
}

// WithMaintenanceInterval sets how often Run purges expired records
// (default one hour).
func WithMaintenanceInterval(d time.Duration) Option { return func(c *config) { c.maintenance = d } }

// WithAccessRecheck sets how long the check of credentials trusts what it
// read about a user, a company, a session or an API token (default
// DefaultAccessRecheck): a demotion, deactivation, revoked session or
// revoked API token made through another server instance takes effect here
// within this time.
func WithAccessRecheck(d time.Duration) Option { return func(c *config) { c.accessRecheck = d } }

// WithSLACheckInterval sets how often Run looks for tickets whose SLA
// became at risk or breached (default 30 seconds).
func WithSLACheckInterval(d time.Duration) Option { return func(c *config) { c.slaCheck = d } }

// WithLogger sets the logger of the desk's background work (default
// slog.Default()): the failures of Run's loops, and of the outbox relay and
// the webhook dispatcher unless WithRelayConfig or WithWebhookConfig give
// them a logger of their own.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// The background loops of Run, as BackgroundFailures and the
// boladao_background_failures_total metric name them.
const (
	// LoopSLA is the SLA check (ticket.sla_at_risk, ticket.sla_breached).
	LoopSLA = "sla"
	// LoopPurge forgets expired idempotency keys.
	LoopPurge = "purge"
	// LoopSearchIndexMerge merges the store's text indexes (SQLite FTS5).
	LoopSearchIndexMerge = "search_index_merge"
	// LoopRelay is the outbox relay, counted when its Run fails.
	LoopRelay = "relay"
	// LoopWebhooks is the webhook dispatcher, counted when its Run fails.
	LoopWebhooks = "webhooks"
	// LoopUses writes the last uses of API tokens and sessions
	// (directory.Service.FlushUses).
	LoopUses = "uses"
	// LoopSecurityEvents writes the runs of bulk security events.
	LoopSecurityEvents = "security_events"
)

// usesEvery is how often Run writes the last uses of API tokens and
// sessions.
const usesEvery = 5 * time.Second

// backgroundLoops lists the loops in the order metrics report them.
func backgroundLoops() []string {
	return []string{LoopSLA, LoopPurge, LoopSearchIndexMerge, LoopRelay, LoopWebhooks, LoopUses, LoopSecurityEvents}
}

// New assembles a helpdesk over store.
func New(store Store, opts ...Option) (*Desk, error) {
	if store == nil {
		return nil, errors.New("helpdesk: store is nil: pass memory.New() or a bunstore.Store")
	}
	cfg := config{now: time.Now, bcryptCost: 10, accessTTL: auth.DefaultAccessTTL, refreshTTL: directory.DefaultRefreshTTL,
		maintenance: time.Hour, slaCheck: 30 * time.Second, auditRetention: DefaultAuditRetention,
		securityInterval: audit.DefaultAggregateInterval}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	if cfg.jwtSecret == nil {
		cfg.jwtSecret = make([]byte, 32)
		_, _ = rand.Read(cfg.jwtSecret)
	}
	if cfg.slaCheck <= 0 {
		return nil, fmt.Errorf("helpdesk: SLA check interval %v: give WithSLACheckInterval a positive duration", cfg.slaCheck)
	}
	if len(cfg.jwtSecret) < auth.MinSecretBytes {
		return nil, errNoSecret
	}
	issuer, err := auth.NewIssuer(auth.Config{Secret: cfg.jwtSecret, AccessTTL: cfg.accessTTL, Now: cfg.now})
	if err != nil {
		return nil, fmt.Errorf("helpdesk: %w", err)
	}
	if cfg.accessRecheck <= 0 {
		cfg.accessRecheck = DefaultAccessRecheck
	}
	access := newAccessCheck(store.Directory(), cfg.accessRecheck)
	audited := auditedStore{Store: store, now: cfg.now}
	dir, err := directory.NewService(audited.Directory(), directory.WithClock(cfg.now), directory.WithBcryptCost(cfg.bcryptCost),
		directory.WithAccessObserver(access), directory.WithAccessRecheck(cfg.accessRecheck))
	if err != nil {
		return nil, fmt.Errorf("helpdesk: %w", err)
	}
	inv, err := inventory.NewService(audited.Inventory(), inventory.WithClock(cfg.now))
	if err != nil {
		return nil, fmt.Errorf("helpdesk: %w", err)
	}
	tk, err := tickets.NewService(store.Tickets(), tickets.WithClock(cfg.now))
	if err != nil {
		return nil, fmt.Errorf("helpdesk: %w", err)
	}
	files := newAttachments(audited, cfg)
	integrations, err := newIntegrations(audited, tk, files, cfg.now, ssoKey(cfg.jwtSecret))
	if err != nil {
		return nil, err
	}
	so, err := serviceorders.NewService(store.ServiceOrders(), tk, inv, serviceorders.WithClock(cfg.now))
	if err != nil {
		return nil, fmt.Errorf("helpdesk: %w", err)
	}
	ev, err := newEventing(audited, cfg)
	if err != nil {
		return nil, fmt.Errorf("helpdesk: %w", err)
	}
	d := &Desk{Directory: dir, Inventory: inv, Tickets: tk, ServiceOrders: so, Integrations: integrations,
		Webhooks: ev.webhooks, store: store, now: cfg.now, issuer: issuer,
		accessTTL: cfg.accessTTL, refreshTTL: cfg.refreshTTL, maintenance: cfg.maintenance, slaCheck: cfg.slaCheck,
		log: cfg.logger, failures: map[string]*atomic.Uint64{}, eventing: ev, access: access,
		security: audit.NewAggregator(store.Audit(), audit.WithAggregateInterval(cfg.securityInterval)), auditRetention: cfg.auditRetention,
		Attachments: files, filesGrace: cfg.attachments.grace}
	for _, loop := range backgroundLoops() {
		d.failures[loop] = new(atomic.Uint64)
	}
	// The integrations react to committed events through the bus, under
	// names of their own (durable consumers on NATS).
	for _, h := range d.EventHandlers() {
		sub := events.Subscription{Name: strings.ReplaceAll(h.Name, ".", "_"), Pattern: h.Type}
		if err := ev.bus.Subscribe(ev.subCtx, sub, h.Handle); err != nil {
			ev.subCancel()
			return nil, fmt.Errorf("helpdesk: subscribing %s to the bus: %w", h.Name, err)
		}
	}
	return d, nil
}

// Now returns the desk's clock reading.
func (d *Desk) Now() time.Time { return d.now() }

// Run runs the desk's background workers until ctx is done: the
// maintenance loop that forgets expired idempotency keys and merges the
// store's text indexes (SQLite's FTS5 segments), the SLA check
// that emits ticket.sla_at_risk and ticket.sla_breached, the writer of
// the last uses of API tokens and sessions (every 5 seconds and once more
// on stop), and the outbox relay that hands committed events to the bus (and so to
// OnEvent handlers). A failed pass of a loop is logged (WithLogger), counted
// (BackgroundFailures) and retried on the loop's next tick. It returns nil
// on a clean stop.
func (d *Desk) Run(ctx context.Context) error {
	stopEvents := d.runEvents(ctx)
	defer stopEvents()
	security := make(chan struct{})
	go func() {
		defer close(security)
		_ = d.security.Run(ctx, func(err error) { d.loopFailed(ctx, LoopSecurityEvents, err) })
	}()
	defer func() { <-security }()
	tick := time.NewTicker(d.maintenance)
	defer tick.Stop()
	sla := time.NewTicker(d.slaCheck)
	defer sla.Stop()
	uses := time.NewTicker(usesEvery)
	defer uses.Stop()
	d.purge(ctx)
	for {
		select {
		case <-ctx.Done():
			// The uses noted since the last pass are written before the
			// desk stops, on a context of their own.
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			d.flushUses(stop)
			cancel()
			return nil
		case <-uses.C:
			d.flushUses(ctx)
		case <-tick.C:
			d.purge(ctx)
			d.mergeSearchIndexes(ctx)
			d.collectFiles(ctx)
		case <-sla.C:
			d.checkSLA(ctx)
		}
	}
}

// BackgroundFailures counts, per loop of Run (LoopSLA, LoopPurge, ...),
// the passes that failed since New; every loop is present, from zero.
func (d *Desk) BackgroundFailures() map[string]uint64 {
	out := make(map[string]uint64, len(d.failures))
	for loop, n := range d.failures {
		out[loop] = n.Load()
	}
	return out
}

// loopFailed logs and counts a failed pass of a background loop. A failure
// caused by the end of ctx is the loop stopping, not failing.
func (d *Desk) loopFailed(ctx context.Context, loop string, err error) {
	if err == nil || ctx.Err() != nil {
		return
	}
	d.failures[loop].Add(1)
	d.log.WarnContext(ctx, "helpdesk: background loop failed; it runs again on its next tick", "loop", loop, "error", err)
}

// flushUses writes the last uses of API tokens and sessions; a failure
// keeps them for the next pass.
func (d *Desk) flushUses(ctx context.Context) {
	_, err := d.Directory.FlushUses(ctx)
	d.loopFailed(ctx, LoopUses, err)
}

// checkSLA runs one pass of the tickets' SLA check. A failure is retried on
// the next tick: the check finds every ticket whose state is due, however
// late.
func (d *Desk) checkSLA(ctx context.Context) {
	_, err := d.Tickets.CheckSLA(ctx)
	d.loopFailed(ctx, LoopSLA, err)
}

// searchIndexMerger is implemented by stores whose text indexes need
// merging now and then (bunstore on SQLite, whose FTS5 indexes gather a
// segment per transaction).
type searchIndexMerger interface {
	MergeSearchIndexes(ctx context.Context, steps int) (more bool, err error)
}

// mergeStepsPerTick bounds the index merging of one maintenance tick: a
// step holds the writer up to about a tenth of a second, other writers
// run between steps, and what remains is merged on the next tick.
const mergeStepsPerTick = 200

// mergeSearchIndexes merges the store's text indexes a bounded amount. A
// failure is retried on the next tick: searches stay correct meanwhile,
// only slower.
func (d *Desk) mergeSearchIndexes(ctx context.Context) {
	if m, ok := d.store.(searchIndexMerger); ok {
		_, err := m.MergeSearchIndexes(ctx, mergeStepsPerTick)
		d.loopFailed(ctx, LoopSearchIndexMerge, err)
	}
}

// purge deletes expired idempotency keys and the changes of the audit
// trail older than its retention. A failure is retried on the next tick:
// stale keys are harmless until then, since a claim replaces an expired
// key, and old changes only take room.
func (d *Desk) purge(ctx context.Context) {
	_, err := d.store.Idempotency().PurgeIdempotencyKeys(ctx, d.now())
	d.loopFailed(ctx, LoopPurge, errors.Join(err, d.purgeChanges(ctx)))
}

// Close releases what the desk holds: its OnEvent subscriptions and the bus
// it created (a bus given with WithBus belongs to the caller). It does not
// close the store, which belongs to the caller.
func (d *Desk) Close() error { return d.closeEvents() }

// Idempotency returns the store of idempotency keys, for the HTTP layer.
func (d *Desk) Idempotency() idempotency.Store { return d.store.Idempotency() }

// Audit returns the store of security events. Bulk events (see
// audit.Kind.Bulk: refused requests, invalid tokens, blocked addresses)
// are counted in memory per kind and source and written as runs, one row
// per run, every WithSecurityEventInterval by Run (and when it stops, and
// before each read); other events are written at once.
func (d *Desk) Audit() audit.Store { return d.security }

// FlushSecurityEvents writes the runs of bulk security events gathered so
// far, as Run does every interval.
func (d *Desk) FlushSecurityEvents(ctx context.Context) error { return d.security.Flush(ctx) }

// WithSecurityEventInterval sets how long bulk security events gather
// before Run writes them as runs (default audit.DefaultAggregateInterval);
// zero writes every event at once, one row each.
func WithSecurityEventInterval(d time.Duration) Option {
	return func(c *config) { c.securityInterval = d }
}

// Outbox returns the events of the outbox (oldest first) matching q.
func (d *Desk) Outbox(ctx context.Context, q events.OutboxQuery) ([]events.Event, error) {
	return d.store.OutboxEvents(ctx, q)
}

// Bootstrap makes sure the installation has a platform admin. On a database
// without one it creates email with password; when password is empty it
// generates one. It returns the password it set ("" when an admin already
// existed, in which case nothing changes).
func (d *Desk) Bootstrap(ctx context.Context, email, password string) (string, error) {
	admins, err := d.Directory.ListUsers(ctx, tenant.System(), directory.UserFilter{}, storage.PageRequest{Limit: 1})
	if err != nil {
		return "", fmt.Errorf("bootstrap: %w", err)
	}
	if len(admins.Items) > 0 {
		return "", nil
	}
	if password == "" {
		password = rand.Text()
	}
	if _, err := d.Directory.CreatePlatformAdmin(ctx, tenant.System(), email, password); err != nil {
		return "", fmt.Errorf("bootstrap: creating the platform admin: %w", err)
	}
	return password, nil
}
