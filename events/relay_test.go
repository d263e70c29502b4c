package events_test

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
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// flakyBus fails every publish while down is set, then forwards to a
// local bus.
type flakyBus struct {
	*events.LocalBus
	mu   sync.Mutex
	down bool
}

func (b *flakyBus) Publish(ctx context.Context, ev events.Event) error {
	b.mu.Lock()
	down := b.down
	b.mu.Unlock()
	if down {
		return errors.New("bus unreachable")
	}
	return b.LocalBus.Publish(ctx, ev)
}

func appendN(t *testing.T, s *memory.Store, n int) []events.Event {
	t.Helper()
	var all []events.Event
	require.NoError(t, s.Directory().InTx(t.Context(), func(ctx context.Context, tx directory.Tx) error {
		for i := range n {
			ev, err := events.New("thing.changed", 1, "thing", fmt.Sprint(i%4), tenant.System(), time.Now(), map[string]any{"i": i})
			if err != nil {
				return err
			}
			all = append(all, ev)
		}
		return tx.AppendEvents(ctx, all...)
	}))
	return all
}

func TestRelayRetriesAFailingBusInOrderPerAggregate(t *testing.T) {
	t.Parallel()
	store := memory.New()
	local, err := events.NewLocalBus(events.LocalBusConfig{})
	require.NoError(t, err)
	bus := &flakyBus{LocalBus: local, down: true}
	var (
		mu  sync.Mutex
		got = map[string][]string{}
	)
	require.NoError(t, bus.Subscribe(t.Context(), events.Subscription{Name: "rec", Pattern: ">"}, func(_ context.Context, ev events.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got[ev.AggregateID] = append(got[ev.AggregateID], ev.ID)
		return nil
	}))
	relay, err := events.NewRelay(store, bus, events.RelayConfig{BatchSize: 5, PollInterval: 5 * time.Millisecond,
		Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- relay.Run(ctx) }()

	evs := appendN(t, store, 40)
	time.Sleep(50 * time.Millisecond)
	pending, err := store.PendingOutbox(t.Context(), events.OutboxQuery{})
	require.NoError(t, err)
	require.Len(t, pending, 40)
	require.Positive(t, pending[0].Attempts)
	require.Equal(t, "bus unreachable", pending[0].LastError)

	bus.mu.Lock()
	bus.down = false
	bus.mu.Unlock()
	want := map[string][]string{}
	for _, ev := range evs {
		want[ev.AggregateID] = append(want[ev.AggregateID], ev.ID)
	}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(c, want, got)
	}, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	pending, err = store.PendingOutbox(t.Context(), events.OutboxQuery{})
	require.NoError(t, err)
	require.Empty(t, pending)
}

func TestRelayDrainAndDeadLetterAfterAttempts(t *testing.T) {
	t.Parallel()
	store := memory.New()
	local, err := events.NewLocalBus(events.LocalBusConfig{})
	require.NoError(t, err)
	bus := &flakyBus{LocalBus: local, down: true}
	relay, err := events.NewRelay(store, bus, events.RelayConfig{Attempts: 1})
	require.NoError(t, err)
	appendN(t, store, 3)
	n, err := relay.Drain(t.Context())
	require.NoError(t, err)
	require.Equal(t, 3, n)
	pending, err := store.PendingOutbox(t.Context(), events.OutboxQuery{})
	require.NoError(t, err)
	require.Len(t, pending, 3)
	for _, p := range pending {
		require.False(t, p.DeadAt.IsZero(), "one attempt allowed: dead letter")
	}
	_, err = events.NewRelay(nil, bus, events.RelayConfig{})
	require.Error(t, err)
	_, err = events.NewRelay(store, bus, events.RelayConfig{BatchSize: -1})
	require.Error(t, err)
}

// forgetfulStore hands the same events over again and again: it drops the
// outcomes, as a store would whose process died before marking them.
type forgetfulStore struct{ *memory.Store }

func (s forgetfulStore) ClaimOutbox(ctx context.Context, now time.Time, limit int,
	fn func(context.Context, []events.OutboxRecord) []events.OutboxOutcome) (int, error) {
	return s.Store.ClaimOutbox(ctx, now, limit, func(ctx context.Context, recs []events.OutboxRecord) []events.OutboxOutcome {
		fn(ctx, recs)
		return nil
	})
}

func TestRelayDrainEndsWhenNothingNewIsHandedOver(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		forgetful bool
		batch     int
		want      int
	}{
		{name: "short batches drain everything", batch: 3, want: 10},
		{name: "a store that loses the outcomes stops the drain", forgetful: true, batch: 200, want: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := memory.New()
			local, err := events.NewLocalBus(events.LocalBusConfig{})
			require.NoError(t, err)
			var rs events.RelayStore = store
			if tt.forgetful {
				rs = forgetfulStore{store}
			}
			relay, err := events.NewRelay(rs, local, events.RelayConfig{BatchSize: tt.batch})
			require.NoError(t, err)
			appendN(t, store, 10)
			n, err := relay.Drain(t.Context())
			require.NoError(t, err)
			require.Equal(t, tt.want, n, "events handed over, counting repeats")
			pending, err := store.PendingOutbox(t.Context(), events.OutboxQuery{})
			require.NoError(t, err)
			if tt.forgetful {
				require.Len(t, pending, 10)
			} else {
				require.Empty(t, pending)
			}
		})
	}
}
