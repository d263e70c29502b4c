package bunstore_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// TestOutboxNotifyWakesTheRelayOfAnotherProcess opens two stores on one
// PostgreSQL schema, as two server processes would: events committed
// through one reach the relay of the other, whose poll is an hour away, by
// NOTIFY alone.
func TestOutboxNotifyWakesTheRelayOfAnotherProcess(t *testing.T) {
	t.Parallel()
	dsn := postgresDSN(t)
	schema := "t_" + randomHex(t)
	open := func() *bunstore.Store {
		s, err := bunstore.Open(t.Context(), dsn, bunstore.WithSchema(schema), bunstore.WithMaxConns(2))
		require.NoError(t, err)
		return s
	}
	writer, other := open(), open()
	t.Cleanup(func() {
		require.NoError(t, other.Close())
		_, err := writer.DB().ExecContext(context.Background(), "DROP SCHEMA ? CASCADE", bun.Ident(schema))
		require.NoError(t, err)
		require.NoError(t, writer.Close())
	})

	bus, err := events.NewLocalBus(events.LocalBusConfig{})
	require.NoError(t, err)
	got := make(chan string, 100)
	require.NoError(t, bus.Subscribe(t.Context(), events.Subscription{Name: "test", Pattern: "thing.*"}, func(_ context.Context, ev events.Event) error {
		got <- ev.ID
		return nil
	}))
	claimed := &firstClaim{Store: other, done: make(chan struct{})}
	relay, err := events.NewRelay(claimed, bus, events.RelayConfig{PollInterval: time.Hour})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- relay.Run(ctx) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	// The relay's first claim found nothing; only a NOTIFY wakes it now.
	require.Eventually(t, func() bool { return closed(claimed.done) }, 10*time.Second, time.Millisecond,
		"the relay makes its first claim")

	// The relay starts listening on its own goroutine: commit, one event
	// per poll, until a commit's notification finds it listening.
	var (
		committed []string
		commitErr error
		id        string
	)
	require.Eventually(t, func() bool {
		select {
		case id = <-got:
			return true
		default:
		}
		ev, err := events.New("thing.happened", 1, "thing", len(committed), tenant.System(), time.Now(), map[string]int{"i": len(committed)})
		if err == nil {
			err = writer.Directory().InTx(t.Context(), func(ctx context.Context, tx directory.Tx) error { return tx.AppendEvents(ctx, ev) })
		}
		if err != nil {
			commitErr = err
			return true
		}
		committed = append(committed, ev.ID)
		return false
	}, 10*time.Second, 20*time.Millisecond, "a commit of the other store wakes the relay")
	require.NoError(t, commitErr)
	require.Contains(t, committed, id, "the event handed over is one the other store committed")
}

// closed reports whether ch is closed, without waiting.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// firstClaim is a store that tells when the relay's first claim returned.
type firstClaim struct {
	*bunstore.Store
	once sync.Once
	done chan struct{}
}

func (f *firstClaim) ClaimOutbox(ctx context.Context, now time.Time, limit int,
	fn func(context.Context, []events.OutboxRecord) []events.OutboxOutcome) (int, error) {
	defer f.once.Do(func() { close(f.done) })
	return f.Store.ClaimOutbox(ctx, now, limit, fn)
}

// TestOutboxNotifyIsThrottled checks what the NOTIFY sender guarantees,
// with the interval between NOTIFYs in the test's hands (a gate) rather
// than the clock's: the first commit of a burst is announced at once, the
// others of the interval share one NOTIFY at its end, and that NOTIFY
// was taken after the last commit, so that no commit goes unannounced.
func TestOutboxNotifyIsThrottled(t *testing.T) {
	t.Parallel()
	s := newPostgres(t)
	var (
		committed atomic.Int64 // commits returned so far
		mu        sync.Mutex
		drains    []int64 // committed, when the sender took each announcement
		gate      = make(chan struct{})
	)
	s.SetAnnounceHooks(func() {
		mu.Lock()
		defer mu.Unlock()
		drains = append(drains, committed.Load())
	}, func(ctx context.Context) bool {
		select {
		case <-gate:
			return true
		case <-ctx.Done():
			return false
		}
	})
	taken := func() []int64 {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(drains)
	}
	ln := pgdriver.NewListener(s.DB())
	t.Cleanup(func() { _ = ln.Close() })
	require.NoError(t, ln.Listen(t.Context(), s.OutboxChannel()))
	notes := ln.Channel()
	received := func() {
		t.Helper()
		require.Eventually(t, func() bool {
			select {
			case <-notes:
				return true
			default:
				return false
			}
		}, 10*time.Second, time.Millisecond, "a NOTIFY arrives")
	}

	const commits = 200
	for i := range commits {
		ev, err := events.New("thing.happened", 1, "thing", i, tenant.System(), time.Now(), map[string]int{"i": i})
		require.NoError(t, err)
		require.NoError(t, s.Directory().InTx(t.Context(), func(ctx context.Context, tx directory.Tx) error {
			return tx.AppendEvents(ctx, ev)
		}))
		committed.Add(1)
	}
	// The first announcement went at once; the sender then waits for the
	// interval to end (the gate), so it has taken exactly one.
	require.Eventually(t, func() bool { return len(taken()) > 0 }, 10*time.Second, time.Millisecond, "the first commit is announced at once")
	require.Len(t, taken(), 1, "one NOTIFY per interval: %d commits", commits)
	received()

	if first := taken()[0]; first < commits {
		// Commits came after the sender took the first announcement: the
		// end of the interval sends one NOTIFY for all of them.
		gate <- struct{}{}
		require.Eventually(t, func() bool { return len(taken()) == 2 }, 10*time.Second, time.Millisecond)
		require.Equal(t, int64(commits), taken()[1], "the NOTIFY after the interval is taken after the last commit")
		received()
	}
	gate <- struct{}{} // nothing is pending now: the sender waits for the next commit
	require.LessOrEqual(t, len(taken()), 2)
}

// TestEventDeliveryHasAPoolOfItsOwn holds every connection of the
// application's pool in open transactions, as a busy server would, and
// checks that the relay and the webhook dispatcher still reach the
// database: on PostgreSQL they use a pool of their own.
func TestEventDeliveryHasAPoolOfItsOwn(t *testing.T) {
	t.Parallel()
	s := openPostgresWith(t, bunstore.WithMaxConns(2))
	ev, err := events.New("thing.happened", 1, "thing", 1, tenant.System(), time.Now(), map[string]int{"i": 1})
	require.NoError(t, err)
	require.NoError(t, s.Directory().InTx(t.Context(), func(ctx context.Context, tx directory.Tx) error {
		return tx.AppendEvents(ctx, ev)
	}))
	for range 2 {
		tx, err := s.DB().BeginTx(t.Context(), nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(t.Context(), "SELECT 1")
		require.NoError(t, err)
		t.Cleanup(func() { _ = tx.Rollback() })
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	var got []string
	n, err := s.ClaimOutbox(ctx, time.Now(), 10, func(_ context.Context, recs []events.OutboxRecord) []events.OutboxOutcome {
		var out []events.OutboxOutcome
		for _, r := range recs {
			got = append(got, r.ID)
			out = append(out, events.OutboxOutcome{ID: r.ID, Delivered: true})
		}
		return out
	})
	require.NoError(t, err, "the relay claims while the application's pool is busy")
	require.Equal(t, 1, n)
	require.Equal(t, []string{ev.ID}, got)
	_, err = s.Webhooks().ActiveEndpoints(ctx, 1)
	require.NoError(t, err)
	_, err = s.Webhooks().ClaimDeliveries(ctx, webhooks.Claim{Now: time.Now(), Lease: time.Minute, Limit: 10})
	require.NoError(t, err, "the dispatcher claims while the application's pool is busy")
}
