package helpdesk_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
)

// messages records the messages a logger received.
type messages struct {
	mu   sync.Mutex
	msgs []string
}

func (m *messages) Enabled(context.Context, slog.Level) bool { return true }
func (m *messages) Handle(_ context.Context, r slog.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, r.Message)
	return nil
}
func (m *messages) WithAttrs([]slog.Attr) slog.Handler { return m }
func (m *messages) WithGroup(string) slog.Handler      { return m }

func (m *messages) count(msg string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, x := range m.msgs {
		if x == msg {
			n++
		}
	}
	return n
}

// TestReliabilityDatabaseOutageDeadLettersNothing cuts PostgreSQL (through
// a proxy) while a subscriber handles an event, and keeps it away for more
// failures than the bus allows a subscriber: the outage spends none of its
// attempts, nothing is dead-lettered or logged as such, and once the
// database is back the event reaches the subscriber and the webhook
// receiver.
func TestReliabilityDatabaseOutageDeadLettersNothing(t *testing.T) {
	t.Parallel()
	dsn := bunstoretest.PostgresDSN(t)
	proxy, via := bunstoretest.NewProxy(t, dsn)
	schema := "t_outage_" + strings.ToLower(rand.Text()[:10])
	store, err := bunstore.Open(t.Context(), via, bunstore.WithSchema(schema), bunstore.WithMaxConns(4))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = store.Close()
		admin, err := bunstore.Open(context.Background(), dsn, bunstore.WithoutMigrations())
		require.NoError(t, err)
		defer admin.Close()
		_, err = admin.DB().ExecContext(context.Background(), "DROP SCHEMA ? CASCADE", bun.Ident(schema))
		require.NoError(t, err)
	})

	const attempts = 2
	logs := &messages{}
	desk, err := helpdesk.New(store, helpdesk.WithBcryptCost(4),
		helpdesk.WithLocalBusConfig(events.LocalBusConfig{Attempts: attempts, Backoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond}),
		helpdesk.WithRelayConfig(events.RelayConfig{PollInterval: 20 * time.Millisecond, Backoff: 10 * time.Millisecond,
			MaxBackoff: 50 * time.Millisecond, Logger: slog.New(logs)}),
		helpdesk.WithWebhookConfig(webhooks.Config{Schedule: []time.Duration{time.Second}, PollInterval: 20 * time.Millisecond,
			AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Timeout: 5 * time.Second, Logger: quiet}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close() })
	admin := companyAdmin(t, desk)
	s := newSink(t)
	s.subscribe(t, desk, admin)

	var (
		cut      sync.Once
		failures atomic.Int32
		handled  = make(chan string, 10)
	)
	require.NoError(t, desk.OnEvent("custom.*", func(ctx context.Context, ev events.Event) error {
		cut.Do(proxy.Cut) // the database goes away while the event is being handled
		if _, err := desk.PendingEvents(ctx, events.OutboxQuery{Limit: 1}); err != nil {
			failures.Add(1)
			return err // storage.ErrUnavailable
		}
		handled <- ev.ID
		return nil
	}))
	runDesk(t, desk)
	ev := publish(t, desk, admin, "outage", 0)

	require.Eventually(t, func() bool { return failures.Load() >= attempts+3 }, 10*time.Second, time.Millisecond,
		"the subscriber keeps being retried through the outage")
	proxy.Restore(t)
	var id string
	require.Eventually(t, func() bool {
		select {
		case id = <-handled:
			return true
		default:
			return false
		}
	}, 15*time.Second, time.Millisecond, "the event reaches the subscriber after the outage")
	require.Equal(t, ev.ID, id)
	require.Eventually(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.ids[ev.ID] > 0 }, 15*time.Second, 10*time.Millisecond,
		"the webhook receiver gets the event")
	require.Eventually(t, func() bool {
		pending, err := desk.PendingEvents(t.Context(), events.OutboxQuery{})
		return err == nil && len(pending) == 0
	}, 10*time.Second, 10*time.Millisecond, "delivered, not dead-lettered")
	require.Zero(t, logs.count("outbox relay: event dead-lettered"))
}
