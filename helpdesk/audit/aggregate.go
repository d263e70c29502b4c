package audit

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Bulk reports whether events of kind k can come in floods that a client
// controls (refused requests, forged tokens, blocked addresses), so that
// an Aggregator counts them per source instead of writing each one. Login
// events are not bulk: each one is kept.
func (k Kind) Bulk() bool {
	switch k {
	case RateLimited, TokenInvalid, IPBlocked, HostRefused, CompanyRefused, PermissionError, RequestRejected:
		return true
	}
	return false
}

// DefaultAggregateInterval is how long an Aggregator gathers events before
// it writes them.
const DefaultAggregateInterval = 10 * time.Second

// DefaultAggregateSources bounds the runs an Aggregator holds: with that
// many distinct sources in one interval it writes them at once.
const DefaultAggregateSources = 10000

// runKey is what events of one run share.
type runKey struct {
	kind    Kind
	ip      string
	email   string
	user    int64
	company int64
}

// Aggregator is a Store that writes bulk events (Kind.Bulk) as runs: the
// events of one kind from one source (IP, user, company) within an
// interval become one row with their Count, first At and LastAt, written
// with the other runs in one batch by Run (every interval, and when it
// stops) or Flush. A flood of refused requests thus costs a few rows, not
// a write each. Other events, and every read, go straight to the Store
// underneath; a read first writes the runs gathered so far, so it sees
// every event recorded before it. It is safe for concurrent use.
type Aggregator struct {
	Store
	interval time.Duration
	sources  int
	// off writes every event at once (an interval of zero).
	off bool

	mu   sync.Mutex
	runs map[runKey]*Event
	full chan struct{}
	// flushing serialises flushes, so that runs are written in order.
	flushing sync.Mutex
}

// AggregatorOption configures an Aggregator.
type AggregatorOption func(*Aggregator)

// WithAggregateInterval sets how long runs gather before Run writes them
// (default DefaultAggregateInterval). Zero turns aggregation off: every
// event is written at once, as it comes.
func WithAggregateInterval(d time.Duration) AggregatorOption {
	return func(a *Aggregator) {
		a.interval, a.off = d, d <= 0
	}
}

// WithAggregateSources sets how many runs may gather before Run writes
// them early (default DefaultAggregateSources).
func WithAggregateSources(n int) AggregatorOption {
	return func(a *Aggregator) {
		if n > 0 {
			a.sources = n
		}
	}
}

// NewAggregator returns an Aggregator writing to store.
func NewAggregator(store Store, opts ...AggregatorOption) *Aggregator {
	a := &Aggregator{Store: store, interval: DefaultAggregateInterval, sources: DefaultAggregateSources,
		runs: map[runKey]*Event{}, full: make(chan struct{}, 1)}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Interval returns how long runs gather before Run writes them.
func (a *Aggregator) Interval() time.Duration { return a.interval }

// RecordSecurityEvent counts a bulk event in its run (e.ID stays zero: the
// run gets an ID when it is written) and writes any other event at once.
func (a *Aggregator) RecordSecurityEvent(ctx context.Context, e *Event) error {
	if a.off || !e.Kind.Bulk() {
		return a.Store.RecordSecurityEvent(ctx, e)
	}
	k := runKey{kind: e.Kind, ip: e.IP, email: e.Email, user: int64(e.UserID), company: int64(e.CompanyID)}
	n := e.Occurrences()
	a.mu.Lock()
	r, ok := a.runs[k]
	if !ok {
		run := *e
		run.ID, run.Count, run.LastAt = 0, n, e.Last()
		a.runs[k] = &run
		held := len(a.runs)
		a.mu.Unlock()
		switch {
		case held >= 2*a.sources:
			// Nothing drains the runs (Run is not running, or far
			// behind): write them here rather than hold more.
			return a.Flush(ctx)
		case held >= a.sources:
			select {
			case a.full <- struct{}{}:
			default:
			}
		}
		return nil
	}
	defer a.mu.Unlock()
	r.Count += n
	if e.At.Before(r.At) {
		r.At = e.At
	}
	if last := e.Last(); last.After(r.LastAt) {
		r.LastAt, r.Detail = last, e.Detail
	}
	return nil
}

// SecurityEvents writes the runs gathered so far, then reads.
func (a *Aggregator) SecurityEvents(ctx context.Context, q Query) ([]Event, error) {
	if err := a.Flush(ctx); err != nil {
		return nil, err
	}
	return a.Store.SecurityEvents(ctx, q)
}

// CountSecurityEvents writes the runs gathered so far, then counts.
func (a *Aggregator) CountSecurityEvents(ctx context.Context, since, until time.Time) (map[Kind]int, error) {
	if err := a.Flush(ctx); err != nil {
		return nil, err
	}
	return a.Store.CountSecurityEvents(ctx, since, until)
}

// Pending returns how many events wait in runs not yet written.
func (a *Aggregator) Pending() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var n int64
	for _, r := range a.runs {
		n += r.Count
	}
	return n
}

// Flush writes the runs gathered so far in one batch, oldest first. When
// the write fails the runs are kept for the next flush.
func (a *Aggregator) Flush(ctx context.Context) error {
	a.flushing.Lock()
	defer a.flushing.Unlock()
	a.mu.Lock()
	runs := a.runs
	a.runs = make(map[runKey]*Event, len(runs))
	a.mu.Unlock()
	if len(runs) == 0 {
		return nil
	}
	batch := make([]*Event, 0, len(runs))
	for _, r := range runs {
		batch = append(batch, r)
	}
	slices.SortFunc(batch, func(x, y *Event) int { return cmp.Compare(x.At.UnixNano(), y.At.UnixNano()) })
	err := a.Store.RecordSecurityEvents(ctx, batch)
	if err == nil {
		return nil
	}
	// Put the runs back, merged with what came in meanwhile.
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, r := range runs {
		r.ID = 0
		if cur, ok := a.runs[k]; ok {
			cur.Count += r.Count
			cur.At = r.At
			continue
		}
		a.runs[k] = r
	}
	return err
}

// Run writes the runs every interval (and at once when DefaultAggregateSources
// runs gather) until ctx is done, then writes what remains, with ctx's
// values but not its cancellation. A failed write is retried on the next
// tick; report, when not nil, learns of it.
func (a *Aggregator) Run(ctx context.Context, report func(error)) error {
	if a.off {
		<-ctx.Done()
		return nil
	}
	tick := time.NewTicker(a.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			err := a.Flush(context.WithoutCancel(ctx))
			if err != nil && report != nil {
				report(err)
			}
			return err
		case <-tick.C:
		case <-a.full:
		}
		if err := a.Flush(ctx); err != nil && report != nil && !errors.Is(err, context.Canceled) {
			report(err)
		}
	}
}
