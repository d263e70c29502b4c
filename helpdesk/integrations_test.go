package helpdesk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
)

// TestRunAppliesAIToNewTickets checks the wiring of the integrations to
// the bus: with Run relaying, a ticket created in a company whose AI
// gateway is enabled receives the classifier's internal note, once.
func TestRunAppliesAIToNewTickets(t *testing.T) {
	t.Parallel()
	desk, err := helpdesk.New(memory.New(), helpdesk.WithBcryptCost(4))
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close() })
	ctx := t.Context()
	co, err := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	admin, err := tenant.System().InCompany(co.ID)
	require.NoError(t, err)
	ana, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: "Ana"})
	require.NoError(t, err)
	enabled := true
	_, err = desk.AI.UpdateSettings(ctx, admin, ai.SettingsInput{Enabled: &enabled})
	require.NoError(t, err)

	done := make(chan error, 1)
	runCtx, cancel := context.WithCancel(ctx)
	go func() { done <- desk.Run(runCtx) }()

	created, err := desk.Tickets.Create(ctx, admin, tickets.CreateInput{Title: "Impressora não imprime",
		Description: "A impressora do financeiro parou de imprimir", RequesterContactID: ana.ID})
	require.NoError(t, err)
	tk := created.Ticket
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		page, err := desk.Tickets.Comments(ctx, admin, tk.ID, storage.PageRequest{})
		assert.NoError(c, err)
		notes := 0
		for _, cm := range page.Items {
			if cm.Internal && strings.HasPrefix(cm.Body, ai.NotePrefix) {
				notes++
			}
		}
		assert.Equal(c, 1, notes, "the applier's internal note")
	}, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}
