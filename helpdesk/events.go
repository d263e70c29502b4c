package helpdesk

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

type eventsConfig struct {
	webhooks webhooks.Config
	bus      events.Bus
	relay    events.RelayConfig
	// local configures the in-process bus New creates without WithBus.
	local events.LocalBusConfig
}

// WithWebhookConfig configures webhook delivery (retry schedule, allowed
// address ranges, timeouts).
func WithWebhookConfig(wc webhooks.Config) Option { return func(c *config) { c.events.webhooks = wc } }

// WithBus makes the desk publish its events to bus (a natsbus.Bus, for
// several server instances) instead of an in-process bus. The caller keeps
// ownership: Close does not close it.
func WithBus(bus events.Bus) Option { return func(c *config) { c.events.bus = bus } }

// WithRelayConfig configures the outbox relay that Run runs.
func WithRelayConfig(rc events.RelayConfig) Option { return func(c *config) { c.events.relay = rc } }

// WithLocalBusConfig configures the in-process bus (retries and backoff of
// OnEvent handlers) used when no WithBus is given.
func WithLocalBusConfig(lc events.LocalBusConfig) Option {
	return func(c *config) { c.events.local = lc }
}

// eventing is the desk's part of event delivery.
type eventing struct {
	bus     events.Bus
	ownsBus bool
	relay   *events.Relay
	// webhooks is subscribed to the bus for the desk's lifetime.
	webhooks *webhooks.Service
	// subCtx bounds the OnEvent subscriptions; Close cancels it.
	subCtx    context.Context
	subCancel context.CancelFunc
	mu        sync.Mutex
	names     map[string]int
}

func newEventing(store Store, cfg config) (*eventing, error) {
	ev := &eventing{bus: cfg.events.bus, names: map[string]int{}}
	if ev.bus == nil {
		lc := cfg.events.local
		if lc.Now == nil {
			lc.Now = cfg.now
		}
		b, err := events.NewLocalBus(lc)
		if err != nil {
			return nil, err
		}
		ev.bus, ev.ownsBus = b, true
	}
	rc := cfg.events.relay
	if rc.Now == nil {
		rc.Now = cfg.now
	}
	if rc.Logger == nil {
		rc.Logger = cfg.logger
	}
	relay, err := events.NewRelay(store, ev.bus, rc)
	if err != nil {
		return nil, err
	}
	ev.relay = relay
	wc := cfg.events.webhooks
	if wc.Now == nil {
		wc.Now = cfg.now
	}
	if wc.Logger == nil {
		wc.Logger = cfg.logger
	}
	if ev.webhooks, err = webhooks.NewService(store.Webhooks(), wc); err != nil {
		return nil, err
	}
	// Subscriptions live as long as the desk, not one call: Close ends them.
	ev.subCtx, ev.subCancel = context.WithCancel(context.Background())
	if err := ev.bus.Subscribe(ev.subCtx, webhooks.Subscription, ev.webhooks.HandleEvent); err != nil {
		ev.subCancel()
		return nil, fmt.Errorf("subscribing webhooks to the bus: %w", err)
	}
	return ev, nil
}

// Bus returns the bus the desk's relay publishes to.
func (d *Desk) Bus() events.Bus { return d.bus }

// Relay returns the desk's outbox relay; Run runs it. Relay().Drain hands
// over everything that is due now (tests and the "process now" endpoint).
func (d *Desk) Relay() *events.Relay { return d.relay }

// OnEvent calls fn for every committed event whose type matches pattern
// ("ticket.created", "ticket.*", ">" for all), once Run is running. fn runs
// at least once per event, in order per aggregate; an error makes the bus
// retry it with backoff, and after the last attempt the event is recorded
// as a dead letter (PendingEvents lists it). fn must be idempotent: use
// Event.ID.
//
// The subscription is named after the pattern and the order of the call,
// so that a durable bus resumes it after a restart: register handlers in a
// fixed order.
func (d *Desk) OnEvent(pattern string, fn events.Handler) error {
	d.mu.Lock()
	base := "desk_" + strings.NewReplacer(".", "_", "*", "star", ">", "all").Replace(pattern)
	d.names[base]++
	name := fmt.Sprintf("%s_%d", base, d.names[base])
	d.mu.Unlock()
	if err := d.bus.Subscribe(d.subCtx, events.Subscription{Name: name, Pattern: pattern}, fn); err != nil {
		return fmt.Errorf("helpdesk: OnEvent(%q): %w", pattern, err)
	}
	return nil
}

// Watch calls fn for every event whose type matches pattern ("ticket.*",
// ">" for all) that the relay publishes from now on, until ctx is done or
// the desk is closed; it delegates to the bus (events.Watcher: the
// in-process bus and natsbus both implement it). Unlike OnEvent, every
// instance of a deployment sees every event, and nothing is durable,
// retried or acknowledged: Watch is for live views (the web console), not
// for work that must happen. fn must not block: hand the event off to a
// channel. Events reach the bus once Run is running. A bus given with
// WithBus that is no events.Watcher makes Watch fail with an error
// wrapping errors.ErrUnsupported.
func (d *Desk) Watch(ctx context.Context, pattern string, fn func(events.Event)) error {
	w, ok := d.bus.(events.Watcher)
	if !ok {
		return fmt.Errorf("helpdesk: Watch(%q): the bus %T does not implement events.Watcher: %w", pattern, d.bus, errors.ErrUnsupported)
	}
	if err := w.Watch(ctx, pattern, fn); err != nil {
		return fmt.Errorf("helpdesk: Watch(%q): %w", pattern, err)
	}
	return nil
}

// PendingEvents lists the events the relay has not handed over yet and the
// dead letters, oldest first.
func (d *Desk) PendingEvents(ctx context.Context, q events.OutboxQuery) ([]events.OutboxRecord, error) {
	return d.store.PendingOutbox(ctx, q)
}

// runEvents starts the relay and the webhook dispatcher; the returned
// function waits for them to stop.
func (d *Desk) runEvents(ctx context.Context) func() {
	var wg sync.WaitGroup
	wg.Go(func() { d.loopFailed(ctx, LoopRelay, d.relay.Run(ctx)) })
	wg.Go(func() { d.loopFailed(ctx, LoopWebhooks, d.webhooks.Run(ctx)) })
	return wg.Wait
}

// CustomEvent is an event an integration publishes for its company.
type CustomEvent struct {
	// Type must start with "custom." ("custom.invoice_paid").
	Type string
	// AggregateType and AggregateID order the events of one thing; they
	// default to "custom" and the type.
	AggregateType, AggregateID string
	// Data is a JSON object.
	Data json.RawMessage
}

// PublishCustom writes a custom event into the actor's company's outbox;
// the relay delivers it like any other event (OnEvent, webhooks, NATS).
func (d *Desk) PublishCustom(ctx context.Context, actor tenant.Actor, in CustomEvent) (events.Event, error) {
	if err := actor.RequireIn(tenant.PermIntegrationsManage); err != nil {
		return events.Event{}, err
	}
	var b validation.Builder
	typ := strings.TrimSpace(in.Type)
	if !strings.HasPrefix(typ, "custom.") || strings.ContainsAny(typ, "*>") || events.ValidatePattern(typ) != nil || len(typ) > 100 {
		b.Add("type", "must be custom.<name> in letters, digits, '_' or '-' (dot-separated, up to 100 characters)")
	}
	aggType := cmp.Or(strings.TrimSpace(in.AggregateType), "custom")
	aggID := cmp.Or(strings.TrimSpace(in.AggregateID), typ)
	if len(aggType) > 100 || len(aggID) > 200 {
		b.Add("aggregate_id", "aggregate_type is limited to 100 and aggregate_id to 200 characters")
	}
	data := bytes.TrimSpace(in.Data)
	if len(data) == 0 {
		data = []byte("{}")
	}
	if data[0] != '{' || !json.Valid(data) {
		b.Add("data", "must be a JSON object")
	}
	if err := b.Err(); err != nil {
		return events.Event{}, err
	}
	ev := events.Event{ID: events.NewID(d.now()), Type: typ, CompanyID: actor.CompanyID, AggregateType: aggType,
		AggregateID: aggID, OccurredAt: d.now().UTC(), ActorUserID: actor.UserID, Data: json.RawMessage(data)}
	err := d.store.Directory().InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		return tx.AppendEvents(ctx, ev)
	})
	if err != nil {
		return events.Event{}, fmt.Errorf("publishing %s: %w", typ, err)
	}
	return ev, nil
}

func (d *Desk) closeEvents() error {
	d.subCancel()
	if d.ownsBus {
		if err := d.bus.Close(); err != nil && !errors.Is(err, events.ErrBusClosed) {
			return fmt.Errorf("helpdesk: closing the bus: %w", err)
		}
	}
	return nil
}
