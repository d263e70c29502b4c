package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sistemaboladao/boladao/events"
)

// Config configures a Bus. Zero fields take defaults.
type Config struct {
	// Stream is the JetStream stream (default "BOLADAO"), created or
	// updated by New to hold Prefix+".>".
	Stream string
	// Prefix starts every subject (default "boladao").
	Prefix string
	// Attempts is how many deliveries a failing handler gets before the
	// event becomes a dead letter for it (default 5). A failure for which
	// events.IsUnavailable holds is retried in place, with backoff, and
	// does not count.
	Attempts int
	// Backoff is the wait before the second delivery, doubled for each
	// further one up to MaxBackoff (defaults 1 s and 1 min).
	Backoff, MaxBackoff time.Duration
	// AckWait is how long a handler may take before the server redelivers
	// (default 30 s).
	AckWait time.Duration
	// Duplicates is the stream's de-duplication window (default 2 min).
	Duplicates time.Duration
	// MaxAge bounds how long the stream keeps events (default 7 days).
	MaxAge time.Duration
	// Now stamps dead letters (default time.Now); Logger receives
	// failures (default slog.Default()).
	Now    func() time.Time
	Logger *slog.Logger
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Attempts < 0 || c.Backoff < 0 || c.MaxBackoff < 0 || c.AckWait < 0 || c.Duplicates < 0 || c.MaxAge < 0 {
		return errors.New("natsbus: config: no setting may be negative")
	}
	if strings.ContainsAny(c.Prefix, " *>") || strings.ContainsAny(c.Stream, " .*>") {
		return fmt.Errorf("natsbus: stream %q / prefix %q: no spaces or wildcards (and no dots in the stream name)", c.Stream, c.Prefix)
	}
	return nil
}

func (c *Config) defaults() {
	if c.Stream == "" {
		c.Stream = "BOLADAO"
	}
	if c.Prefix == "" {
		c.Prefix = "boladao"
	}
	if c.Attempts == 0 {
		c.Attempts = 5
	}
	if c.Backoff == 0 {
		c.Backoff = time.Second
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = time.Minute
	}
	if c.AckWait == 0 {
		c.AckWait = 30 * time.Second
	}
	if c.Duplicates == 0 {
		c.Duplicates = 2 * time.Minute
	}
	if c.MaxAge == 0 {
		c.MaxAge = 7 * 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Bus is the JetStream events.Bus. Create it with New.
type Bus struct {
	cfg Config
	js  jetstream.JetStream

	mu       sync.Mutex
	closed   bool
	consumes map[*jetstream.ConsumeContext]struct{}
	dead     []events.DeadLetter
}

var (
	_ events.Bus     = (*Bus)(nil)
	_ events.Watcher = (*Bus)(nil)
)

// New returns a bus on nc, creating or updating its stream. The connection
// stays the caller's: Close does not close it.
func New(ctx context.Context, nc *nats.Conn, cfg Config) (*Bus, error) {
	if nc == nil {
		return nil, errors.New("natsbus: connection is nil: pass nats.Connect(url)")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: cfg.Stream, Subjects: []string{cfg.Prefix + ".>"}, Storage: jetstream.FileStorage,
		Duplicates: cfg.Duplicates, MaxAge: cfg.MaxAge, Retention: jetstream.LimitsPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("natsbus: creating stream %s (is JetStream enabled on the server, nats-server -js?): %w", cfg.Stream, err)
	}
	return &Bus{cfg: cfg, js: js, consumes: map[*jetstream.ConsumeContext]struct{}{}}, nil
}

// Subject returns the subject an event is published to.
func (b *Bus) Subject(ev events.Event) string {
	return fmt.Sprintf("%s.%d.%s", b.cfg.Prefix, ev.CompanyID, ev.Type)
}

// Publish stores ev in the stream, with its ID as the message ID, and
// returns once JetStream acknowledged it.
func (b *Bus) Publish(ctx context.Context, ev events.Event) error {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return events.ErrBusClosed
	}
	if ev.Type == "" || events.ValidatePattern(ev.Type) != nil || strings.ContainsAny(ev.Type, "*>") {
		return fmt.Errorf("natsbus: event %s: type %q is not a valid subject suffix", ev.ID, ev.Type)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("natsbus: encoding event %s: %w", ev.ID, err)
	}
	if _, err := b.js.Publish(ctx, b.Subject(ev), data, jetstream.WithMsgID(ev.ID)); err != nil {
		return fmt.Errorf("natsbus: publishing event %s: %w", ev.ID, err)
	}
	return nil
}

// filterSubject turns an event-type pattern into a subject filter across
// companies.
func (b *Bus) filterSubject(pattern string) string {
	if pattern == "*" || pattern == ">" {
		return b.cfg.Prefix + ".*.>"
	}
	return b.cfg.Prefix + ".*." + pattern
}

// Subscribe consumes the events matching sub.Pattern through the durable
// consumer sub.Name until ctx is done or the bus is closed.
func (b *Bus) Subscribe(ctx context.Context, sub events.Subscription, h events.Handler) error {
	if err := sub.Validate(); err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("natsbus: subscription %s: handler is nil", sub.Name)
	}
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return events.ErrBusClosed
	}
	cons, err := b.js.CreateOrUpdateConsumer(ctx, b.cfg.Stream, jetstream.ConsumerConfig{
		Durable: sub.Name, FilterSubject: b.filterSubject(sub.Pattern), AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: b.cfg.AckWait, MaxDeliver: b.cfg.Attempts, MaxAckPending: 1, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("natsbus: consumer %s: %w", sub.Name, err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) { b.handle(ctx, sub.Name, h, msg) }, jetstream.PullMaxMessages(16))
	if err != nil {
		return fmt.Errorf("natsbus: consuming %s: %w", sub.Name, err)
	}
	b.mu.Lock()
	b.consumes[&cc] = struct{}{}
	b.mu.Unlock()
	context.AfterFunc(ctx, func() {
		cc.Stop()
		b.mu.Lock()
		delete(b.consumes, &cc)
		b.mu.Unlock()
	})
	return nil
}

// Watch calls fn for every event matching pattern stored in the stream from
// now on, through an ephemeral ordered consumer of this instance: every
// instance that watches sees every event (unlike Subscribe, whose durable
// consumer shares the events between instances), once, in stream order,
// with the duplicates a relay may publish already dropped by JetStream.
// Nothing is acknowledged or retried; the ordered consumer recreates
// itself after a reconnect and resumes after the last event it delivered.
// fn runs on the consumer's goroutine and must not block; a panic in fn is
// recovered and logged. Once ctx is done, fn is not called again and the
// consumer stops; the server removes it. See events.Watcher.
func (b *Bus) Watch(ctx context.Context, pattern string, fn func(events.Event)) error {
	if err := events.ValidatePattern(pattern); err != nil {
		return err
	}
	if fn == nil {
		return fmt.Errorf("natsbus: watching %q: fn is nil", pattern)
	}
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return events.ErrBusClosed
	}
	cons, err := b.js.OrderedConsumer(ctx, b.cfg.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{b.filterSubject(pattern)}, DeliverPolicy: jetstream.DeliverNewPolicy,
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return fmt.Errorf("natsbus: watching %q on stream %s: %w", pattern, b.cfg.Stream, err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		if ctx.Err() != nil {
			return
		}
		var ev events.Event
		if err := json.Unmarshal(msg.Data(), &ev); err != nil {
			b.cfg.Logger.WarnContext(ctx, "natsbus: undecodable message skipped by a watcher", "subject", msg.Subject(), "error", err)
			return
		}
		defer func() {
			if r := recover(); r != nil {
				b.cfg.Logger.ErrorContext(ctx, "natsbus: watcher panicked", "event_id", ev.ID, "panic", r)
			}
		}()
		fn(ev)
	})
	if err != nil {
		return fmt.Errorf("natsbus: watching %q: %w", pattern, err)
	}
	b.mu.Lock()
	if b.closed { // closed while the consumer was being created
		b.mu.Unlock()
		cc.Stop()
		return events.ErrBusClosed
	}
	b.consumes[&cc] = struct{}{}
	b.mu.Unlock()
	context.AfterFunc(ctx, func() {
		cc.Stop()
		b.mu.Lock()
		delete(b.consumes, &cc)
		b.mu.Unlock()
	})
	return nil
}

func (b *Bus) handle(ctx context.Context, name string, h events.Handler, msg jetstream.Msg) {
	if ctx.Err() != nil {
		_ = msg.Nak()
		return
	}
	var ev events.Event
	if err := json.Unmarshal(msg.Data(), &ev); err != nil {
		b.cfg.Logger.ErrorContext(ctx, "natsbus: undecodable message terminated", "subject", msg.Subject(), "error", err)
		_ = msg.Term()
		return
	}
	err := b.callThroughOutages(ctx, h, ev, msg)
	if ctx.Err() != nil {
		return // stopping: the server redelivers the message after AckWait
	}
	if err == nil {
		if err := msg.DoubleAck(ctx); err != nil && ctx.Err() == nil {
			b.cfg.Logger.WarnContext(ctx, "natsbus: ack failed; the event will be redelivered", "event_id", ev.ID, "error", err)
		}
		return
	}
	delivered := 1
	if md, mdErr := msg.Metadata(); mdErr == nil {
		delivered = int(md.NumDelivered)
	}
	if delivered >= b.cfg.Attempts {
		b.mu.Lock()
		b.dead = append(b.dead, events.DeadLetter{Subscriber: name, Event: ev, Attempts: delivered, Err: err.Error(), At: b.cfg.Now().UTC()})
		b.mu.Unlock()
		b.cfg.Logger.WarnContext(ctx, "natsbus: event dead-lettered", "subscriber", name, "event_id", ev.ID, "error", err)
		_ = msg.Term()
		return
	}
	wait := b.cfg.Backoff
	for i := 1; i < delivered && wait < b.cfg.MaxBackoff; i++ {
		wait *= 2
	}
	_ = msg.NakWithDelay(min(wait, b.cfg.MaxBackoff))
}

// callThroughOutages calls h until it returns something other than an
// infrastructure failure (events.IsUnavailable), or ctx ends. Those
// failures are retried here, with backoff, while the message is kept in
// progress: JetStream counts deliveries, and a database outage must not
// spend the subscriber's attempts.
func (b *Bus) callThroughOutages(ctx context.Context, h events.Handler, ev events.Event, msg jetstream.Msg) error {
	wait := b.cfg.Backoff
	for {
		err := callHandler(ctx, h, ev)
		if err == nil || !events.IsUnavailable(err) || ctx.Err() != nil {
			return err
		}
		if err := msg.InProgress(); err != nil && ctx.Err() == nil {
			b.cfg.Logger.WarnContext(ctx, "natsbus: extending the ack wait failed", "event_id", ev.ID, "error", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, b.cfg.MaxBackoff, b.cfg.AckWait/2)
	}
}

func callHandler(ctx context.Context, h events.Handler, ev events.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return h(ctx, ev)
}

// DeadLetters returns the dead letters this process recorded, oldest
// first.
func (b *Bus) DeadLetters() []events.DeadLetter {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]events.DeadLetter(nil), b.dead...)
}

// Close stops every consumer of this bus; durable consumers stay on the
// server for the next start. The NATS connection stays open.
func (b *Bus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for cc := range b.consumes {
		(*cc).Stop()
	}
	clear(b.consumes)
	return nil
}
