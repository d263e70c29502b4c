package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// OutboxRecord is an outbox row with its delivery state, as the relay and
// the "pending events" listing see it.
type OutboxRecord struct {
	Event
	// Attempts counts the failed attempts to hand the event to the bus.
	Attempts int `json:"attempts"`
	// NextAttemptAt is when the relay tries again (zero: as soon as it can).
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	// LastError is the last failure, empty when there was none.
	LastError string `json:"last_error,omitempty"`
	// DeliveredAt is when the bus took the event; zero while pending.
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	// DeadAt is set when the event reached the dead-letter state: some
	// subscriber gave up on it, or the relay did (see RelayConfig.Attempts).
	DeadAt time.Time `json:"dead_at,omitzero"`
}

// OutboxOutcome is what happened to one claimed event.
type OutboxOutcome struct {
	ID string
	// Delivered marks the event done (also when Dead is set).
	Delivered bool
	// Dead records the dead-letter state, with Err as the reason.
	Dead bool
	// Err is the failure; with Delivered false the event is retried at
	// RetryAt.
	Err     string
	RetryAt time.Time
}

// RelayStore is what the relay needs from a storage backend.
type RelayStore interface {
	// ClaimOutbox calls fn with up to limit committed, undelivered events
	// that are due at now, oldest first, leaving out every event whose
	// aggregate has an earlier undelivered event outside the batch (so
	// events of one aggregate are handed over in order). fn returns the
	// outcome of the events it handled; events without an outcome stay as
	// they were. It returns how many events fn was given. On PostgreSQL the
	// rows stay locked (FOR UPDATE SKIP LOCKED) while fn runs, so several
	// relays share the work without handling one event twice at a time.
	ClaimOutbox(ctx context.Context, now time.Time, limit int,
		fn func(ctx context.Context, recs []OutboxRecord) []OutboxOutcome) (int, error)
	// PendingOutbox lists undelivered and dead-lettered events, oldest
	// first, filtered by q.
	PendingOutbox(ctx context.Context, q OutboxQuery) ([]OutboxRecord, error)
	// PruneOutbox deletes delivered events (not dead letters) delivered
	// before the given time and returns how many it deleted.
	PruneOutbox(ctx context.Context, deliveredBefore time.Time) (int, error)
	// OutboxStats counts the undelivered events and the dead letters, for
	// monitoring; it must stay cheap on a large outbox (it is read at every
	// metrics scrape).
	OutboxStats(ctx context.Context) (OutboxStats, error)
}

// OutboxStats summarises the delivery state of the outbox.
type OutboxStats struct {
	// Pending counts the events not yet handed to the bus (dead letters
	// excluded).
	Pending int `json:"pending"`
	// OldestPendingAt is when the oldest pending event occurred; zero when
	// none is pending.
	OldestPendingAt time.Time `json:"oldest_pending_at,omitzero"`
	// DeadLetters counts the events in the dead-letter state.
	DeadLetters int `json:"dead_letters"`
}

// OutboxNotifier is implemented by stores that can wake a relay when events
// are committed (PostgreSQL's LISTEN/NOTIFY). ListenOutbox calls wake after
// commits until ctx is done or the connection fails; notifications are
// hints, the relay keeps polling.
type OutboxNotifier interface {
	ListenOutbox(ctx context.Context, wake func()) error
}

// RelayConfig configures a Relay. Zero fields take defaults.
type RelayConfig struct {
	// BatchSize is how many events one claim takes (default 200).
	BatchSize int
	// PollInterval is how often the relay looks for events when nothing
	// woke it (default 1 s; 5 s when the store notifies).
	PollInterval time.Duration
	// Backoff is the wait after a failed publish (default 1 s), doubled per
	// further failure of the same event up to MaxBackoff (default 1 min).
	Backoff, MaxBackoff time.Duration
	// Attempts is how many failed publishes make an event a dead letter
	// (default 0: retry forever; a bus that is down must not lose events).
	Attempts int
	// Concurrency is how many aggregates are published at once (default
	// 64). Subscribers that write what they receive, such as the
	// webhooks service, group the events that arrive together into one
	// statement: the more aggregates at once, the fewer statements a
	// batch costs.
	Concurrency int
	// Retention is how long delivered events are kept (default 7 days);
	// PruneInterval is how often they are pruned (default 1 h).
	Retention, PruneInterval time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives failures (default slog.Default()).
	Logger *slog.Logger
}

// Validate checks the configuration.
func (c RelayConfig) Validate() error {
	if c.BatchSize < 0 || c.PollInterval < 0 || c.Backoff < 0 || c.MaxBackoff < 0 || c.Attempts < 0 ||
		c.Concurrency < 0 || c.Retention < 0 || c.PruneInterval < 0 {
		return fmt.Errorf("events: relay config %+v: no setting may be negative", c)
	}
	return nil
}

func (c *RelayConfig) defaults(notifies bool) {
	if c.BatchSize == 0 {
		c.BatchSize = 200
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
		if notifies {
			c.PollInterval = 5 * time.Second
		}
	}
	if c.Backoff == 0 {
		c.Backoff = time.Second
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = time.Minute
	}
	if c.Concurrency == 0 {
		c.Concurrency = 64
	}
	if c.Retention == 0 {
		c.Retention = 7 * 24 * time.Hour
	}
	if c.PruneInterval == 0 {
		c.PruneInterval = time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Relay moves committed outbox events to a Bus, at least once and in order
// per aggregate. Delivered events are marked, and pruned after the
// retention. Several relays may run against one PostgreSQL database.
type Relay struct {
	store RelayStore
	bus   Bus
	cfg   RelayConfig
	wake  chan struct{}
}

// NewRelay returns a relay from store to bus.
func NewRelay(store RelayStore, bus Bus, cfg RelayConfig) (*Relay, error) {
	if store == nil || bus == nil {
		return nil, errors.New("events: relay needs a store and a bus")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	_, notifies := store.(OutboxNotifier)
	cfg.defaults(notifies)
	return &Relay{store: store, bus: bus, cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

// Wake makes a running relay look for events now.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays events until ctx is done and returns nil then.
func (r *Relay) Run(ctx context.Context) error {
	if n, ok := r.store.(OutboxNotifier); ok {
		go r.listen(ctx, n)
	}
	poll := time.NewTicker(r.cfg.PollInterval)
	defer poll.Stop()
	prune := time.NewTicker(r.cfg.PruneInterval)
	defer prune.Stop()
	r.prune(ctx)
	for {
		n, err := r.ProcessOnce(ctx)
		if err != nil && ctx.Err() == nil {
			r.cfg.Logger.WarnContext(ctx, "outbox relay: claiming events failed", "error", err)
		}
		if n > 0 && err == nil && ctx.Err() == nil {
			continue // more may be waiting: a batch can come back short while events remain
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-poll.C:
		case <-prune.C:
			r.prune(ctx)
		}
	}
}

func (r *Relay) listen(ctx context.Context, n OutboxNotifier) {
	wait := r.cfg.Backoff
	for ctx.Err() == nil {
		err := n.ListenOutbox(ctx, r.Wake)
		if ctx.Err() != nil {
			return
		}
		r.cfg.Logger.WarnContext(ctx, "outbox relay: listening for notifications failed; polling meanwhile", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, r.cfg.MaxBackoff)
	}
}

func (r *Relay) prune(ctx context.Context) {
	if _, err := r.store.PruneOutbox(ctx, r.cfg.Now().Add(-r.cfg.Retention)); err != nil && ctx.Err() == nil {
		r.cfg.Logger.WarnContext(ctx, "outbox relay: pruning failed", "error", err)
	}
}

// Drain relays every event that is due now and returns how many it handed
// to the bus. Tests and the "process now" endpoint use it. It stops when a
// claim hands over nothing it has not just handed over (a store that lost
// the outcomes gives the same events back).
func (r *Relay) Drain(ctx context.Context) (int, error) {
	total := 0
	var last map[string]bool
	for {
		fresh := 0
		batch := make(map[string]bool, r.cfg.BatchSize)
		n, err := r.claim(ctx, func(recs []OutboxRecord) {
			for _, rec := range recs {
				batch[rec.ID] = true
				if !last[rec.ID] {
					fresh++
				}
			}
		})
		total += n
		if err != nil || fresh == 0 || ctx.Err() != nil {
			return total, err
		}
		last = batch
	}
}

// ProcessOnce claims one batch and publishes it. It returns the size of the
// batch.
func (r *Relay) ProcessOnce(ctx context.Context) (int, error) {
	return r.claim(ctx, nil)
}

// claim claims one batch, shows it to seen (when not nil) and publishes it.
// Dead letters are logged once the store has recorded them: an outcome
// lost with the connection is no dead letter (the event is claimed and
// published again).
func (r *Relay) claim(ctx context.Context, seen func([]OutboxRecord)) (int, error) {
	var dead []deadOutcome
	n, err := r.store.ClaimOutbox(ctx, r.cfg.Now(), r.cfg.BatchSize, func(ctx context.Context, recs []OutboxRecord) []OutboxOutcome {
		if seen != nil {
			seen(recs)
		}
		dead = dead[:0] // a store may call fn again after a failed attempt
		outcomes := r.publishBatch(ctx, recs)
		byID := make(map[string]OutboxRecord, len(recs))
		for _, rec := range recs {
			byID[rec.ID] = rec
		}
		for _, o := range outcomes {
			if o.Dead {
				dead = append(dead, deadOutcome{byID[o.ID].Event, o.Err})
			}
		}
		return outcomes
	})
	if err != nil {
		if len(dead) > 0 && ctx.Err() == nil {
			r.cfg.Logger.WarnContext(ctx, "outbox relay: recording outcomes failed; the events will be handed over again",
				"events", len(dead), "error", err)
		}
		return n, err
	}
	for _, d := range dead {
		r.cfg.Logger.WarnContext(ctx, "outbox relay: event dead-lettered", "event_id", d.ev.ID, "type", d.ev.Type, "error", d.err)
	}
	return n, nil
}

// deadOutcome is a dead letter waiting for its outcome to be stored.
type deadOutcome struct {
	ev  Event
	err string
}

// publishBatch publishes the events of each aggregate in order, aggregates
// concurrently; after a failure the aggregate's later events wait.
func (r *Relay) publishBatch(ctx context.Context, recs []OutboxRecord) []OutboxOutcome {
	type aggKey struct{ company, typ, id string }
	var order []aggKey
	groups := map[aggKey][]OutboxRecord{}
	for _, rec := range recs {
		k := aggKey{fmt.Sprint(rec.CompanyID), rec.AggregateType, rec.AggregateID}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], rec)
	}
	var (
		mu       sync.Mutex
		outcomes = make([]OutboxOutcome, 0, len(recs))
		sem      = make(chan struct{}, r.cfg.Concurrency)
		wg       sync.WaitGroup
	)
	for _, k := range order {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, rec := range groups[k] {
				o := r.publishOne(ctx, rec.Event, rec.Attempts)
				if ctx.Err() != nil && !o.Delivered {
					return // shutting down: leave the event as it was
				}
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
				if !o.Delivered {
					return
				}
			}
		})
	}
	wg.Wait()
	return outcomes
}

func (r *Relay) publishOne(ctx context.Context, ev Event, failed int) OutboxOutcome {
	err := r.bus.Publish(ctx, ev)
	if err == nil {
		return OutboxOutcome{ID: ev.ID, Delivered: true}
	}
	var dle *DeadLetterError
	if errors.As(err, &dle) {
		return OutboxOutcome{ID: ev.ID, Delivered: true, Dead: true, Err: err.Error()} // logged once stored
	}
	failed++
	if r.cfg.Attempts > 0 && failed >= r.cfg.Attempts {
		return OutboxOutcome{ID: ev.ID, Delivered: true, Dead: true, Err: err.Error()}
	}
	wait := r.cfg.Backoff
	for i := 1; i < failed && wait < r.cfg.MaxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, r.cfg.MaxBackoff)
	r.cfg.Logger.WarnContext(ctx, "outbox relay: publish failed; will retry", "event_id", ev.ID, "retry_in", wait, "error", err)
	return OutboxOutcome{ID: ev.ID, Err: err.Error(), RetryAt: r.cfg.Now().Add(wait)}
}
