package events

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// LocalBusConfig configures the in-process bus. Zero fields take defaults.
type LocalBusConfig struct {
	// Attempts is how many times a handler is called for one event before
	// the event becomes a dead letter for that subscriber (default 5).
	Attempts int
	// Backoff is the wait after the first failure; it doubles after each
	// further failure, with up to 20% jitter, capped at MaxBackoff
	// (defaults 50 ms and 5 s). Failures for which IsUnavailable holds
	// follow a backoff of their own, as long as they last, and do not
	// count as attempts.
	Backoff, MaxBackoff time.Duration
	// Now is the clock dead letters are stamped with (default time.Now).
	Now func() time.Time
}

// Validate checks the configuration.
func (c LocalBusConfig) Validate() error {
	if c.Attempts < 0 || c.Backoff < 0 || c.MaxBackoff < 0 {
		return fmt.Errorf("events: local bus config %+v: attempts and backoffs must not be negative", c)
	}
	return nil
}

func (c *LocalBusConfig) defaults() {
	if c.Attempts == 0 {
		c.Attempts = 5
	}
	if c.Backoff == 0 {
		c.Backoff = 50 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 5 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// LocalBus is the in-process Bus. Publish calls every matching subscriber
// (different subscribers concurrently), retrying a failing handler with
// backoff, and returns when each has succeeded or given up; the events of a
// subscriber are therefore seen in the order they are published.
// Subscribers that share a name share the events, round-robin. Watch
// (events.Watcher) sees every event as well, without retries.
type LocalBus struct {
	cfg LocalBusConfig

	mu       sync.RWMutex
	groups   map[string]*localGroup
	watchers map[*localWatcher]struct{}
	closed   bool
	dead     []DeadLetter
}

// localWatcher is one Watch registration.
type localWatcher struct {
	ctx     context.Context
	pattern string
	fn      func(Event)
}

type localGroup struct {
	sub      Subscription
	handlers []*localHandler
	next     int
}

type localHandler struct {
	ctx context.Context // the subscription's: once done, h is not called again
	h   Handler
}

var (
	_ Bus     = (*LocalBus)(nil)
	_ Watcher = (*LocalBus)(nil)
)

// NewLocalBus returns an in-process bus.
func NewLocalBus(cfg LocalBusConfig) (*LocalBus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	return &LocalBus{cfg: cfg, groups: map[string]*localGroup{}, watchers: map[*localWatcher]struct{}{}}, nil
}

// Subscribe registers h for the events matching sub.Pattern until ctx is
// done or the bus is closed. Subscribing again under a name already in use
// needs the same pattern; the handlers then share the events.
func (b *LocalBus) Subscribe(ctx context.Context, sub Subscription, h Handler) error {
	if err := sub.Validate(); err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("events: subscription %s: handler is nil", sub.Name)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrBusClosed
	}
	g := b.groups[sub.Name]
	if g == nil {
		g = &localGroup{sub: sub}
		b.groups[sub.Name] = g
	} else if g.sub.Pattern != sub.Pattern {
		return fmt.Errorf("events: subscription %s already listens to %q, not %q: use another name", sub.Name, g.sub.Pattern, sub.Pattern)
	}
	lh := &localHandler{ctx: ctx, h: h}
	g.handlers = append(g.handlers, lh)
	context.AfterFunc(ctx, func() { b.remove(sub.Name, lh) })
	return nil
}

func (b *LocalBus) remove(name string, lh *localHandler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	g := b.groups[name]
	if g == nil {
		return
	}
	for i, x := range g.handlers {
		if x == lh {
			g.handlers = append(g.handlers[:i:i], g.handlers[i+1:]...)
			break
		}
	}
	if len(g.handlers) == 0 {
		delete(b.groups, name)
	}
}

// Watch calls fn for every event matching pattern that Publish receives from
// now on, before the subscribers get it, until ctx is done or the bus is
// closed (see events.Watcher). fn runs on the publishing goroutine, so it
// must not block; a panic in fn is recovered and ignored. Once ctx is done,
// fn is not called again.
func (b *LocalBus) Watch(ctx context.Context, pattern string, fn func(Event)) error {
	if err := ValidatePattern(pattern); err != nil {
		return err
	}
	if fn == nil {
		return fmt.Errorf("events: watching %q: fn is nil", pattern)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrBusClosed
	}
	w := &localWatcher{ctx: ctx, pattern: pattern, fn: fn}
	b.watchers[w] = struct{}{}
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.watchers, w)
	})
	return nil
}

// notifyWatchers calls the watchers matching ev.
func notifyWatchers(ws []*localWatcher, ev Event) {
	for _, w := range ws {
		if w.ctx.Err() != nil {
			continue
		}
		func() {
			defer func() { _ = recover() }()
			w.fn(ev)
		}()
	}
}

// Publish delivers ev to every matching subscriber and waits for them. It
// returns a *DeadLetterError naming the subscribers that gave up, or the
// context's error when ctx ends first (the event should then be published
// again).
func (b *LocalBus) Publish(ctx context.Context, ev Event) error {
	type target struct {
		name string
		h    Handler
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrBusClosed
	}
	var watchers []*localWatcher
	for w := range b.watchers {
		if Match(w.pattern, ev.Type) {
			watchers = append(watchers, w)
		}
	}
	var targets []target
	for name, g := range b.groups {
		if len(g.handlers) == 0 || !Match(g.sub.Pattern, ev.Type) {
			continue
		}
		// The next handler whose subscription is live: a cancelled one is
		// removed asynchronously, but never called again.
		for range len(g.handlers) {
			lh := g.handlers[g.next%len(g.handlers)]
			g.next++
			if lh.ctx.Err() == nil {
				targets = append(targets, target{name, lh.h})
				break
			}
		}
	}
	b.mu.Unlock()
	notifyWatchers(watchers, ev)
	if len(targets) == 0 {
		return nil
	}
	letters := make([]*DeadLetter, len(targets))
	if len(targets) == 1 {
		letters[0] = b.deliver(ctx, targets[0].name, targets[0].h, ev)
	} else {
		var wg sync.WaitGroup
		for i, t := range targets {
			wg.Go(func() { letters[i] = b.deliver(ctx, t.name, t.h, ev) })
		}
		wg.Wait()
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("events: publishing %s: %w", ev.ID, err)
	}
	var dle DeadLetterError
	for _, l := range letters {
		if l != nil {
			dle.Letters = append(dle.Letters, *l)
		}
	}
	if len(dle.Letters) == 0 {
		return nil
	}
	b.mu.Lock()
	b.dead = append(b.dead, dle.Letters...)
	b.mu.Unlock()
	return &dle
}

// deliver calls h until it succeeds, the attempts run out (a dead letter is
// returned) or ctx ends (nil: the caller reports ctx's error). A failure
// for which IsUnavailable holds is retried with its own backoff and does
// not count as an attempt.
func (b *LocalBus) deliver(ctx context.Context, name string, h Handler, ev Event) *DeadLetter {
	wait, outage := b.cfg.Backoff, b.cfg.Backoff
	attempt := 0
	for {
		err := callHandler(ctx, h, ev)
		if err == nil || ctx.Err() != nil {
			return nil
		}
		d := &outage
		if !IsUnavailable(err) {
			attempt++
			if attempt >= b.cfg.Attempts {
				return &DeadLetter{Subscriber: name, Event: ev, Attempts: attempt, Err: err.Error(), At: b.cfg.Now().UTC()}
			}
			d = &wait
		}
		pause := *d + time.Duration(rand.Int64N(int64(*d)/5+1))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		*d = min(2**d, b.cfg.MaxBackoff)
	}
}

// callHandler turns a handler's panic into an error, so one bad subscriber
// cannot take the relay down.
func callHandler(ctx context.Context, h Handler, ev Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return h(ctx, ev)
}

// DeadLetters returns the dead letters this bus has seen since it started,
// oldest first. The relay also records them in the outbox, where they
// survive a restart.
func (b *LocalBus) DeadLetters() []DeadLetter {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return append([]DeadLetter(nil), b.dead...)
}

// Close stops the bus: Publish, Subscribe and Watch fail afterwards.
func (b *LocalBus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.groups = map[string]*localGroup{}
	b.watchers = map[*localWatcher]struct{}{}
	return nil
}
