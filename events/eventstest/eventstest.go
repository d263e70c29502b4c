// Package eventstest is the conformance suite for events.Bus
// implementations: the in-process bus and the NATS JetStream bus both pass
// it, and so must any other.
//
//	func TestBus(t *testing.T) {
//		eventstest.Run(t, func(t *testing.T) events.Bus { return newBus(t) })
//	}
package eventstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// Attempts is how many times the buses under test must call a failing
// handler before the event becomes a dead letter; configure the bus with it
// and with a short backoff (tens of milliseconds).
const Attempts = 3

// Factory returns a fresh bus, isolated from the buses of other tests,
// configured with Attempts. It registers its cleanup with t.Cleanup.
type Factory func(t *testing.T) events.Bus

// DeadLetterer is implemented by buses that report their dead letters.
type DeadLetterer interface {
	DeadLetters() []events.DeadLetter
}

// Run runs every case against buses made by newBus.
func Run(t *testing.T, newBus Factory) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, b events.Bus)
	}{
		{"PublishSubscribe", testPublishSubscribe},
		{"Wildcards", testWildcards},
		{"FanOut", testFanOut},
		{"OrderPerSubscriber", testOrder},
		{"RetryUntilSuccess", testRetry},
		{"DeadLetter", testDeadLetter},
		{"UnavailableIsNoAttempt", testUnavailable},
		{"CancelledSubscriptionStops", testCancel},
		{"InvalidSubscription", testInvalid},
		{"Watch", testWatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, newBus(t))
		})
	}
}

// Event returns an event of the given type and aggregate with a fresh ID.
func Event(t testing.TB, typ, aggregate string, n int) events.Event {
	t.Helper()
	ev, err := events.New(typ, 7, "thing", aggregate, tenant.System(), time.Now(), map[string]any{"n": n})
	require.NoError(t, err)
	return ev
}

// recorder collects the events a handler saw.
type recorder struct {
	mu  sync.Mutex
	evs []events.Event
}

func (r *recorder) handle(_ context.Context, ev events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
	return nil
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.evs))
	for i, e := range r.evs {
		out[i] = e.ID
	}
	return out
}

func (r *recorder) waitFor(t *testing.T, want []string) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, want, r.ids())
	}, 10*time.Second, 10*time.Millisecond)
}

func subscribe(t *testing.T, b events.Bus, name, pattern string, h events.Handler) {
	t.Helper()
	require.NoError(t, b.Subscribe(t.Context(), events.Subscription{Name: name, Pattern: pattern}, h))
}

func publish(t *testing.T, b events.Bus, evs ...events.Event) {
	t.Helper()
	for _, ev := range evs {
		require.NoError(t, b.Publish(t.Context(), ev))
	}
}

func testPublishSubscribe(t *testing.T, b events.Bus) {
	var r recorder
	subscribe(t, b, "tickets", "ticket.created", r.handle)
	want := Event(t, "ticket.created", "1", 1)
	publish(t, b, Event(t, "asset.created", "1", 0), want, Event(t, "ticket.updated", "1", 2))
	r.waitFor(t, []string{want.ID})
	r.mu.Lock()
	got := r.evs[0]
	r.mu.Unlock()
	require.Equal(t, want.Type, got.Type)
	require.Equal(t, want.CompanyID, got.CompanyID)
	require.Equal(t, want.AggregateID, got.AggregateID)
	require.True(t, want.OccurredAt.Equal(got.OccurredAt))
	require.JSONEq(t, string(want.Data), string(got.Data))
}

func testWildcards(t *testing.T, b events.Bus) {
	var star, all, rest recorder
	subscribe(t, b, "star", "ticket.*", star.handle)
	subscribe(t, b, "all", ">", all.handle)
	subscribe(t, b, "rest", "ticket.>", rest.handle)
	a := Event(t, "ticket.created", "1", 0)
	c := Event(t, "asset.created", "1", 1)
	d := Event(t, "ticket.sla.breached", "1", 2)
	publish(t, b, a, c, d)
	all.waitFor(t, []string{a.ID, c.ID, d.ID})
	rest.waitFor(t, []string{a.ID, d.ID})
	star.waitFor(t, []string{a.ID})
}

func testFanOut(t *testing.T, b events.Bus) {
	var one, two recorder
	subscribe(t, b, "one", "ticket.*", one.handle)
	subscribe(t, b, "two", "ticket.*", two.handle)
	ev := Event(t, "ticket.created", "1", 0)
	publish(t, b, ev)
	one.waitFor(t, []string{ev.ID})
	two.waitFor(t, []string{ev.ID})
}

func testOrder(t *testing.T, b events.Bus) {
	var r recorder
	subscribe(t, b, "ordered", "thing.*", r.handle)
	var want []string
	for i := range 50 {
		ev := Event(t, "thing.changed", "1", i)
		want = append(want, ev.ID)
		publish(t, b, ev)
	}
	r.waitFor(t, want)
}

func testRetry(t *testing.T, b events.Bus) {
	var (
		mu    sync.Mutex
		calls int
		r     recorder
	)
	subscribe(t, b, "flaky", "thing.*", func(ctx context.Context, ev events.Event) error {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n < Attempts {
			return fmt.Errorf("failure %d", n)
		}
		return r.handle(ctx, ev)
	})
	ev := Event(t, "thing.changed", "1", 0)
	publish(t, b, ev)
	r.waitFor(t, []string{ev.ID})
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, Attempts, calls)
}

func testDeadLetter(t *testing.T, b events.Bus) {
	var (
		mu    sync.Mutex
		calls int
		r     recorder
	)
	subscribe(t, b, "broken", "thing.*", func(ctx context.Context, ev events.Event) error {
		mu.Lock()
		calls++
		mu.Unlock()
		return errors.New("always fails")
	})
	subscribe(t, b, "healthy", "thing.*", r.handle)
	ev := Event(t, "thing.changed", "1", 0)
	err := b.Publish(t.Context(), ev)
	var dle *events.DeadLetterError
	if err != nil {
		require.ErrorAs(t, err, &dle, "Publish fails only with a dead letter")
		require.Len(t, dle.Letters, 1)
		require.Equal(t, "broken", dle.Letters[0].Subscriber)
	}
	r.waitFor(t, []string{ev.ID})
	if dl, ok := b.(DeadLetterer); ok {
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			letters := dl.DeadLetters()
			if !assert.Len(c, letters, 1) {
				return
			}
			assert.Equal(c, ev.ID, letters[0].Event.ID)
			assert.Equal(c, "broken", letters[0].Subscriber)
			assert.Equal(c, Attempts, letters[0].Attempts)
			assert.Contains(c, letters[0].Err, "always fails")
		}, 10*time.Second, 10*time.Millisecond)
	} else {
		require.NotNil(t, dle, "a bus that does not list dead letters must report them from Publish")
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, Attempts, calls, "no attempt after the last one")
}

// testUnavailable checks that failures of the infrastructure
// (storage.ErrUnavailable) do not spend a handler's attempts: a handler
// failing that way more often than Attempts, then once on its own, then
// succeeding, handles the event and leaves no dead letter.
func testUnavailable(t *testing.T, b events.Bus) {
	var (
		mu    sync.Mutex
		calls int
		r     recorder
	)
	const outage = Attempts + 2
	subscribe(t, b, "through_outage", "thing.*", func(ctx context.Context, ev events.Event) error {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		switch {
		case n <= outage:
			return fmt.Errorf("writing deliveries: %w", storage.ErrUnavailable)
		case n == outage+1:
			return errors.New("a failure of the handler's own")
		}
		return r.handle(ctx, ev)
	})
	ev := Event(t, "thing.changed", "1", 0)
	require.NoError(t, b.Publish(t.Context(), ev), "no dead letter")
	r.waitFor(t, []string{ev.ID})
	mu.Lock()
	require.Equal(t, outage+2, calls)
	mu.Unlock()
	if dl, ok := b.(DeadLetterer); ok {
		require.Empty(t, dl.DeadLetters())
	}
}

func testCancel(t *testing.T, b events.Bus) {
	var r recorder
	ctx, cancel := context.WithCancel(t.Context())
	require.NoError(t, b.Subscribe(ctx, events.Subscription{Name: "short", Pattern: ">"}, r.handle))
	var keep recorder
	subscribe(t, b, "keep", ">", keep.handle)
	first := Event(t, "thing.changed", "1", 0)
	publish(t, b, first)
	r.waitFor(t, []string{first.ID})
	cancel() // from now on the handler is not called: no wait needed
	second := Event(t, "thing.changed", "1", 1)
	publish(t, b, second)
	keep.waitFor(t, []string{first.ID, second.ID})
	time.Sleep(100 * time.Millisecond)
	require.Equal(t, []string{first.ID}, r.ids(), "a cancelled subscription receives nothing more")
}

func testInvalid(t *testing.T, b events.Bus) {
	h := func(context.Context, events.Event) error { return nil }
	for _, sub := range []events.Subscription{
		{Name: "", Pattern: ">"},
		{Name: "has space", Pattern: ">"},
		{Name: "ok", Pattern: ""},
		{Name: "ok", Pattern: "ticket.>.x"},
		{Name: "ok", Pattern: "ticket..x"},
	} {
		require.Error(t, b.Subscribe(t.Context(), sub, h), "%+v", sub)
	}
	require.Error(t, b.Subscribe(t.Context(), events.Subscription{Name: "ok", Pattern: ">"}, nil))
}

// watchRecorder collects the events a Watch function saw.
type watchRecorder struct{ recorder }

func (r *watchRecorder) fn(ev events.Event) { _ = r.handle(context.Background(), ev) }

func (r *watchRecorder) has(id string) bool {
	for _, x := range r.ids() {
		if x == id {
			return true
		}
	}
	return false
}

// testWatch checks events.Watcher on buses that implement it: a watcher
// sees every matching event, alongside subscribers and without any, and
// nothing once its context is done.
func testWatch(t *testing.T, b events.Bus) {
	w, ok := b.(events.Watcher)
	if !ok {
		t.Skipf("%T does not implement events.Watcher", b)
	}
	var tickets, all, short watchRecorder
	require.NoError(t, w.Watch(t.Context(), "ticket.*", tickets.fn))
	require.NoError(t, w.Watch(t.Context(), ">", all.fn))
	ctx, cancel := context.WithCancel(t.Context())
	require.NoError(t, w.Watch(ctx, ">", short.fn))
	require.Error(t, w.Watch(t.Context(), "ticket..x", tickets.fn), "invalid pattern")
	require.Error(t, w.Watch(t.Context(), ">", nil), "nil function")

	a := Event(t, "ticket.created", "1", 0)
	c := Event(t, "asset.created", "1", 1)
	publish(t, b, a, c) // no subscriber yet: watchers see the events anyway
	var sub recorder
	subscribe(t, b, "beside_watchers", "ticket.updated", sub.handle)
	d := Event(t, "ticket.updated", "1", 2)
	publish(t, b, d)
	all.waitFor(t, []string{a.ID, c.ID, d.ID})
	tickets.waitFor(t, []string{a.ID, d.ID})
	short.waitFor(t, []string{a.ID, c.ID, d.ID})
	sub.waitFor(t, []string{d.ID})

	cancel()
	e := Event(t, "ticket.closed", "1", 3)
	publish(t, b, e)
	all.waitFor(t, []string{a.ID, c.ID, d.ID, e.ID})
	require.False(t, short.has(e.ID), "a watcher whose context is done is not called again")
}
