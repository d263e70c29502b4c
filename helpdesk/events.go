package helpdesk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/sistemaboladao/boladao/events"
)

type eventsConfig struct {
	bus   events.Bus
	relay events.RelayConfig
	// local configures the in-process bus New creates without WithBus.
	local events.LocalBusConfig
}

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
	relay, err := events.NewRelay(store, ev.bus, rc)
	if err != nil {
		return nil, err
	}
	ev.relay = relay
	// Subscriptions live as long as the desk, not one call: Close ends them.
	ev.subCtx, ev.subCancel = context.WithCancel(context.Background())
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

// PendingEvents lists the events the relay has not handed over yet and the
// dead letters, oldest first.
func (d *Desk) PendingEvents(ctx context.Context, q events.OutboxQuery) ([]events.OutboxRecord, error) {
	return d.store.PendingOutbox(ctx, q)
}

// runEvents starts the relay; the returned function waits for it to stop.
func (d *Desk) runEvents(ctx context.Context) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.relay.Run(ctx)
	}()
	return func() { <-done }
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
