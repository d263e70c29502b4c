package helpdesk_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

func TestRunChecksSLA(t *testing.T) {
	t.Parallel()
	store := memory.New()
	var (
		mu  sync.Mutex
		now = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC) // a Wednesday, 09:00 in São Paulo
	)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	desk, err := helpdesk.New(store, helpdesk.WithClock(clock), helpdesk.WithBcryptCost(bcrypt.MinCost),
		helpdesk.WithSLACheckInterval(time.Millisecond))
	require.NoError(t, err)
	co, err := desk.Directory.CreateCompany(t.Context(), tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	admin := tenant.Actor{CompanyID: co.ID, UserID: 1, Role: tenant.RoleAdmin}
	c, err := desk.Directory.CreateContact(t.Context(), admin, directory.ContactInput{Name: "Ana"})
	require.NoError(t, err)
	_, err = desk.Tickets.Create(t.Context(), admin, tickets.CreateInput{Title: "Servidor fora", Priority: sla.PriorityCritical,
		RequesterContactID: c.ID})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- desk.Run(ctx) }()
	mu.Lock()
	now = now.Add(2 * time.Hour) // past the 1h first-response target, in business hours
	mu.Unlock()
	require.Eventually(t, func() bool {
		evs, err := desk.Outbox(t.Context(), events.OutboxQuery{CompanyID: co.ID, Type: "ticket.sla_breached"})
		require.NoError(t, err)
		return len(evs) == 1
	}, 5*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done, "Run stops cleanly")

	_, err = helpdesk.New(memory.New(), helpdesk.WithSLACheckInterval(0))
	require.Error(t, err)
}
