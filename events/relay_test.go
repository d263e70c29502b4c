package events_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
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
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		pending, err := store.PendingOutbox(t.Context(), events.OutboxQuery{})
		if assert.NoError(c, err) && assert.Len(c, pending, 40) {
			assert.Positive(c, pending[0].Attempts, "the relay tried and failed")
			assert.Equal(c, "bus unreachable", pending[0].LastError)
		}
	}, 5*time.Second, 5*time.Millisecond)

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
	pending, err := store.PendingOutbox(t.Context(), events.OutboxQuery{})
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

// cutStore loses the outcomes of every claim with the connection, as a
// PostgreSQL claim whose connection is cut before its COMMIT does.
type cutStore struct{ *memory.Store }

func (s cutStore) ClaimOutbox(ctx context.Context, now time.Time, limit int,
	fn func(context.Context, []events.OutboxRecord) []events.OutboxOutcome) (int, error) {
	n, err := s.Store.ClaimOutbox(ctx, now, limit, func(ctx context.Context, recs []events.OutboxRecord) []events.OutboxOutcome {
		fn(ctx, recs)
		return nil
	})
	if err == nil && n > 0 {
		err = fmt.Errorf("claiming outbox events: committing: %w", storage.ErrUnavailable)
	}
	return n, err
}

// logLines collects the messages a logger received.
type logLines struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

func (l *logLines) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// A dead letter is logged only once the store has recorded it: when the
// outcome is lost with the connection, the event is still pending and will
// be handed over again, so nothing says it was dead-lettered.
func TestRelayLogsDeadLettersOnlyOnceStored(t *testing.T) {
	t.Parallel()
	store := memory.New()
	local, err := events.NewLocalBus(events.LocalBusConfig{Attempts: 1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = local.Close() })
	require.NoError(t, local.Subscribe(t.Context(), events.Subscription{Name: "broken", Pattern: ">"},
		func(context.Context, events.Event) error { return errors.New("always fails") }))
	evs := appendN(t, store, 1)
	const deadMsg = "outbox relay: event dead-lettered"

	logs := &logLines{}
	cut, err := events.NewRelay(cutStore{store}, local, events.RelayConfig{Logger: slog.New(logs)})
	require.NoError(t, err)
	_, err = cut.ProcessOnce(t.Context())
	require.ErrorIs(t, err, storage.ErrUnavailable)
	require.Zero(t, logs.count(deadMsg), "the dead letter was not stored")
	pending, err := store.PendingOutbox(t.Context(), events.OutboxQuery{})
	require.NoError(t, err)
	require.Len(t, pending, 1)
	require.True(t, pending[0].DeadAt.IsZero(), "still pending: it will be handed over again")

	relay, err := events.NewRelay(store, local, events.RelayConfig{Logger: slog.New(logs)})
	require.NoError(t, err)
	n, err := relay.Drain(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 1, logs.count(deadMsg), "logged once stored")
	pending, err = store.PendingOutbox(t.Context(), events.OutboxQuery{})
	require.NoError(t, err)
	require.Len(t, pending, 1)
	require.Equal(t, evs[0].ID, pending[0].ID)
	require.False(t, pending[0].DeadAt.IsZero())
}
