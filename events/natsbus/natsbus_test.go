package natsbus_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/eventstest"
	"github.com/sistemaboladao/boladao/events/natsbus"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// URLVariable names the NATS server the tests use; without it they skip.
const URLVariable = "BOLADAO_TEST_NATS_URL"

// connect returns a connection to the test server, skipping the test when
// none is configured and failing it when the configured one is unreachable.
func connect(t *testing.T) *nats.Conn {
	t.Helper()
	url := os.Getenv(URLVariable)
	if url == "" {
		t.Skipf("NATS tests skipped: set %s=nats://127.0.0.1:4222 (a server with JetStream, nats-server -js) to run them", URLVariable)
	}
	nc, err := nats.Connect(url, nats.Timeout(3*time.Second))
	require.NoError(t, err, "%s=%s is set but the server is unreachable", URLVariable, url)
	t.Cleanup(nc.Close)
	return nc
}

// newBus returns a bus on a stream and subject prefix of its own, deleted
// after the test.
func newBus(t *testing.T, nc *nats.Conn) *natsbus.Bus {
	t.Helper()
	name := "T" + strings.ToUpper(rand.Text()[:12])
	return instance(t, nc, name)
}

// instance returns a bus on the stream name (and its prefix), as one server
// instance of a deployment would open it; the stream is deleted after the
// test.
func instance(t *testing.T, nc *nats.Conn, name string) *natsbus.Bus {
	t.Helper()
	b, err := natsbus.New(t.Context(), nc, natsbus.Config{Stream: name, Prefix: "test" + strings.ToLower(name),
		Attempts: eventstest.Attempts, Backoff: 20 * time.Millisecond, AckWait: 5 * time.Second,
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = b.Close()
		js, err := jetstream.New(nc)
		if err == nil {
			_ = js.DeleteStream(context.Background(), name)
		}
	})
	return b
}

func TestBusConformance(t *testing.T) {
	t.Parallel()
	nc := connect(t)
	eventstest.Run(t, func(t *testing.T) events.Bus { return newBus(t, nc) })
}

func TestSubjectsAndDeduplication(t *testing.T) {
	t.Parallel()
	nc := connect(t)
	b := newBus(t, nc)
	ev := eventstest.Event(t, "ticket.created", "1", 0)
	require.True(t, strings.HasSuffix(b.Subject(ev), ".7.ticket.created"), b.Subject(ev))

	got := make(chan events.Event, 10)
	require.NoError(t, b.Subscribe(t.Context(), events.Subscription{Name: "dedup", Pattern: "ticket.*"},
		func(_ context.Context, ev events.Event) error { got <- ev; return nil }))
	require.NoError(t, b.Publish(t.Context(), ev))
	require.NoError(t, b.Publish(t.Context(), ev), "a relay handing the event over again")
	select {
	case e := <-got:
		require.Equal(t, ev.ID, e.ID)
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery")
	}
	select {
	case e := <-got:
		t.Fatalf("duplicate delivered: %s", e.ID)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestSharedDurableConsumer(t *testing.T) {
	t.Parallel()
	nc := connect(t)
	b := newBus(t, nc)
	seen := make(chan string, 100)
	for range 2 { // two instances, one subscriber name
		require.NoError(t, b.Subscribe(t.Context(), events.Subscription{Name: "shared", Pattern: ">"},
			func(_ context.Context, ev events.Event) error { seen <- ev.ID; return nil }))
	}
	want := map[string]bool{}
	for i := range 20 {
		ev := eventstest.Event(t, "thing.changed", "1", i)
		want[ev.ID] = true
		require.NoError(t, b.Publish(t.Context(), ev))
	}
	got := map[string]int{}
	deadline := time.After(10 * time.Second)
	for len(got) < len(want) {
		select {
		case id := <-seen:
			got[id]++
		case <-deadline:
			t.Fatalf("got %d of %d", len(got), len(want))
		}
	}
	for id, n := range got {
		require.Equal(t, 1, n, "event %s handled once across instances", id)
	}
}

// The relay publishes committed outbox events to JetStream; a second relay
// over the same outbox (another instance) adds no duplicate.
func TestRelayThroughJetStream(t *testing.T) {
	t.Parallel()
	nc := connect(t)
	b := newBus(t, nc)
	store := memory.New()
	got := make(chan events.Event, 10)
	require.NoError(t, b.Subscribe(t.Context(), events.Subscription{Name: "relayed", Pattern: ">"},
		func(_ context.Context, ev events.Event) error { got <- ev; return nil }))
	ev := eventstest.Event(t, "ticket.created", "1", 0)
	require.NoError(t, store.Directory().InTx(t.Context(), func(ctx context.Context, tx directory.Tx) error {
		return tx.AppendEvents(ctx, ev)
	}))
	relay, err := events.NewRelay(store, b, events.RelayConfig{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	n, err := relay.Drain(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.NoError(t, b.Publish(t.Context(), ev), "an instance that died before marking publishes again")
	select {
	case e := <-got:
		require.Equal(t, ev.ID, e.ID)
	case <-time.After(5 * time.Second):
		t.Fatal("the relayed event never arrived")
	}
	select {
	case e := <-got:
		t.Fatalf("duplicate %s", e.ID)
	case <-time.After(300 * time.Millisecond):
	}
	pending, err := store.PendingOutbox(t.Context(), events.OutboxQuery{})
	require.NoError(t, err)
	require.Empty(t, pending)
}

// Two instances of one deployment (two connections, one stream) each see
// every event through Watch, while a durable subscription shared under one
// name hands each event to one of them only.
func TestWatchReachesEveryInstance(t *testing.T) {
	t.Parallel()
	name := "T" + strings.ToUpper(rand.Text()[:12])
	a, b := instance(t, connect(t), name), instance(t, connect(t), name)
	type seen struct {
		mu  sync.Mutex
		ids []string
	}
	var onA, onB seen
	watch := func(bus *natsbus.Bus, s *seen) {
		require.NoError(t, bus.Watch(t.Context(), "ticket.>", func(ev events.Event) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.ids = append(s.ids, ev.ID)
		}))
	}
	watch(a, &onA)
	watch(b, &onB)
	shared := make(chan string, 100)
	for _, bus := range []*natsbus.Bus{a, b} {
		require.NoError(t, bus.Subscribe(t.Context(), events.Subscription{Name: "shared", Pattern: ">"},
			func(_ context.Context, ev events.Event) error { shared <- ev.ID; return nil }))
	}
	var want []string
	for i := range 10 {
		ev := eventstest.Event(t, "ticket.updated", "1", i)
		want = append(want, ev.ID)
		publisher := a
		if i%2 == 1 {
			publisher = b
		}
		require.NoError(t, publisher.Publish(t.Context(), ev))
		require.NoError(t, publisher.Publish(t.Context(), ev), "a duplicate from a relay is not watched twice")
	}
	require.NoError(t, a.Publish(t.Context(), eventstest.Event(t, "asset.created", "1", 99)), "outside the pattern")
	for _, s := range []*seen{&onA, &onB} {
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			s.mu.Lock()
			defer s.mu.Unlock()
			assert.Equal(c, want, s.ids, "each instance sees every event once, in order")
		}, 10*time.Second, 10*time.Millisecond)
	}
	handled := map[string]int{}
	for len(handled) < len(want)+1 {
		select {
		case id := <-shared:
			handled[id]++
		case <-time.After(10 * time.Second):
			t.Fatalf("the shared subscription handled %d of %d events", len(handled), len(want)+1)
		}
	}
	for id, n := range handled {
		require.Equal(t, 1, n, "event %s handled by one instance of the shared subscription", id)
	}
}
