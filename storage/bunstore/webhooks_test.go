package bunstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
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
)

// TestWebhookEndpointGetsEveryEventRelayedByAnotherInstance runs two
// instances on one PostgreSQL database, each with its own store (pool) and
// webhooks service: while the second one handles a stream of events, the
// first creates an endpoint. Every event handed to the second instance
// after the creation returned must get a delivery to the new endpoint.
func TestWebhookEndpointGetsEveryEventRelayedByAnotherInstance(t *testing.T) {
	t.Parallel()
	dsn := postgresDSN(t)
	schema := "t_" + randomHex(t)
	ctx := t.Context()
	open := func() *bunstore.Store {
		s, err := bunstore.Open(ctx, dsn, bunstore.WithSchema(schema))
		require.NoError(t, err)
		return s
	}
	first := open()
	second := open()
	t.Cleanup(func() {
		require.NoError(t, second.Close())
		_, err := first.DB().ExecContext(context.Background(), "DROP SCHEMA ? CASCADE", bun.Ident(schema))
		require.NoError(t, err)
		require.NoError(t, first.Close())
	})
	dir, err := directory.NewService(first.Directory(), directory.WithBcryptCost(4))
	require.NoError(t, err)
	co, err := dir.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	admin := tenant.Actor{CompanyID: co.ID, UserID: 1, Role: tenant.RoleAdmin}
	service := func(s *bunstore.Store) *webhooks.Service {
		svc, err := webhooks.NewService(s.Webhooks(), webhooks.Config{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		return svc
	}
	creator, relay := service(first), service(second)

	created, primed := make(chan struct{}), make(chan struct{})
	done := make(chan []string)
	go func() {
		var after []string
		for i := 0; ; i++ {
			if i == 5 {
				close(primed) // the relay has read the endpoints: none
			}
			select {
			case <-created:
				// Events handed over from now on were committed after
				// the endpoint.
				if after == nil {
					after = []string{}
				}
			default:
			}
			if len(after) >= 50 {
				done <- after
				return
			}
			isAfter := after != nil
			ev, err := events.New("ticket.created", co.ID, "ticket", i, admin, time.Now(), map[string]any{"n": i})
			if err == nil {
				err = relay.HandleEvent(ctx, ev)
			}
			if err != nil {
				t.Error(err)
				done <- nil
				return
			}
			if isAfter {
				after = append(after, ev.ID)
			}
		}
	}()
	<-primed
	ep, err := creator.CreateEndpoint(ctx, admin, webhooks.EndpointInput{URL: "http://127.0.0.1:1/hook", Events: []string{"ticket.*"}})
	require.NoError(t, err)
	close(created)
	after := <-done
	require.Len(t, after, 50)

	got := map[string]bool{}
	p := storage.PageRequest{Limit: 200}
	for {
		page, err := creator.ListDeliveries(ctx, admin, ep.ID, webhooks.DeliveryFilter{}, p)
		require.NoError(t, err)
		for _, d := range page.Items {
			got[d.EventID] = true
		}
		if page.NextCursor == "" {
			break
		}
		p.Cursor = page.NextCursor
	}
	var missing []string
	for _, id := range after {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	require.Empty(t, missing, fmt.Sprintf("%d of %d events handled after the creation have no delivery", len(missing), len(after)))
}
