package bunstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
)

// openThroughProxy opens a PostgreSQL store, in a schema of its own, whose
// connections go through a proxy the test can cut, and that carry a unique
// application_name the test can terminate.
func openThroughProxy(t *testing.T) (*bunstore.Store, *bunstoretest.Proxy, string) {
	t.Helper()
	dsn := postgresDSN(t)
	proxy, via := bunstoretest.NewProxy(t, dsn)
	app := "unavail_" + randomHex(t)
	schema := "t_" + randomHex(t)
	s, err := bunstore.Open(t.Context(), via+"&application_name="+app, bunstore.WithSchema(schema), bunstore.WithMaxConns(2))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = s.Close()
		admin, err := bunstore.Open(context.Background(), dsn, bunstore.WithoutMigrations())
		require.NoError(t, err)
		defer admin.Close()
		_, err = admin.DB().ExecContext(context.Background(), "DROP SCHEMA ? CASCADE", bun.Ident(schema))
		require.NoError(t, err)
	})
	return s, proxy, app
}

func appendEvent(ctx context.Context, s *bunstore.Store, n int) error {
	ev, err := events.New("thing.happened", 1, "thing", n, tenant.System(), time.Now(), map[string]int{"n": n})
	if err != nil {
		return err
	}
	return s.Directory().InTx(ctx, func(ctx context.Context, tx directory.Tx) error { return tx.AppendEvents(ctx, ev) })
}

// A database that goes away makes calls fail at once with
// storage.ErrUnavailable (not a hang, not an unclassified error), and the
// store recovers by itself when it comes back.
func TestConnectionLossIsUnavailable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cut  func(t *testing.T, proxy *bunstoretest.Proxy, app string)
	}{
		{"server unreachable", func(t *testing.T, proxy *bunstoretest.Proxy, _ string) { proxy.Cut() }},
		{"sessions terminated", func(t *testing.T, _ *bunstoretest.Proxy, app string) {
			admin, err := bunstore.Open(t.Context(), postgresDSN(t), bunstore.WithoutMigrations())
			require.NoError(t, err)
			defer admin.Close()
			n, err := bunstoretest.TerminateBackends(t.Context(), admin.DB(), app)
			require.NoError(t, err)
			require.Positive(t, n)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, proxy, app := openThroughProxy(t)
			require.NoError(t, appendEvent(t.Context(), s, 0))
			require.NoError(t, s.Ping(t.Context()))
			c.cut(t, proxy, app)

			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second) // fail fast: well within pgdriver's timeouts
			defer cancel()
			var failures []error
			for i := range 3 { // the pool may have kept a connection that still works; one call must fail
				if err := appendEvent(ctx, s, i+1); err != nil {
					failures = append(failures, err)
				}
				if _, err := s.PendingOutbox(ctx, events.OutboxQuery{}); err != nil {
					failures = append(failures, err)
				}
				if c.name != "server unreachable" {
					continue // the webhooks calls below fail on their own (no endpoint 1) once the pool reconnects
				}
				// What the webhooks subscriber does with an event: the bus
				// must see these failures as the database's.
				if _, err := s.Webhooks().CompanyEndpoints(ctx, 1); err != nil {
					failures = append(failures, err)
				}
				if _, err := s.Webhooks().EnqueueDeliveries(ctx, []webhooks.Delivery{{CompanyID: 1, EndpointID: 1, EventID: "evt_x",
					EventType: "thing.happened", AggregateKey: "thing:1", Payload: []byte("{}"), Status: webhooks.StatusPending,
					NextAttemptAt: time.Now(), CreatedAt: time.Now(), UpdatedAt: time.Now()}}, 0, ""); err != nil {
					failures = append(failures, err)
				}
				if _, err := s.OutboxStats(ctx); err != nil {
					failures = append(failures, err)
				}
			}
			if c.name == "server unreachable" {
				require.Len(t, failures, 15, "nothing works without the server")
				require.ErrorIs(t, s.Ping(ctx), storage.ErrUnavailable)
			}
			require.NotEmpty(t, failures)
			for _, err := range failures {
				require.ErrorIs(t, err, storage.ErrUnavailable)
			}
			require.NoError(t, ctx.Err(), "the calls failed fast")

			if c.name == "server unreachable" {
				proxy.Restore(t)
			}
			require.Eventually(t, func() bool { return appendEvent(t.Context(), s, 99) == nil }, 10*time.Second, 20*time.Millisecond,
				"the store recovers by itself")
			require.NoError(t, s.Ping(t.Context()))
		})
	}
}
