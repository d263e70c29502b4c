package bunstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// TestTicketColumns pins the stored shape of a ticket: JSON arrays for tags
// and pauses (RFC 3339 times, "to" left out of an open pause), NULL for the
// zero references and times.
func TestTicketColumns(t *testing.T) {
	t.Parallel()
	for _, be := range benchBackends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			s := be.open(t)
			company := insertCompany(t, s, "Acme")
			contact := insertContact(t, s, company, "Ana")
			at := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
			tk := tickets.Ticket{CompanyID: company, Number: 1, Title: "x", Priority: sla.PriorityLow, Channel: tickets.ChannelWeb,
				Tags: []string{"printer", "urgent"}, RequesterContactID: contact, Status: tickets.StatusPendingCustomer,
				Pauses: []sla.Pause{{From: at, To: at.Add(time.Hour)}, {From: at.Add(2 * time.Hour)}}, CreatedAt: at, UpdatedAt: at}
			require.NoError(t, s.Tickets().InTx(t.Context(), func(ctx context.Context, tx tickets.Tx) error {
				return tx.InsertTicket(ctx, &tk)
			}))
			tagsExpr := "tags"
			if s.Dialect() == bunstore.Postgres {
				tagsExpr = "tags::text"
			}
			row := queryRows(t, s.DB(), "SELECT "+tagsExpr+", pauses, assignee_user_id, asset_id, next_sla_check_at, resolved_at FROM tickets")
			want := `["printer","urgent"] | [{"from":"2026-07-01T12:00:00Z","to":"2026-07-01T13:00:00Z"},{"from":"2026-07-01T14:00:00Z"}] | <null> | <null> | <null> | <null>`
			if s.Dialect() == bunstore.Postgres {
				want = `["printer", "urgent"]` + want[len(`["printer","urgent"]`):]
			}
			require.Equal(t, []string{want}, row)
			got, err := s.Tickets().TicketByID(t.Context(), company, tk.ID)
			require.NoError(t, err)
			require.Equal(t, tk, got)
			_, err = s.Tickets().TicketByID(t.Context(), tenant.CompanyID(int64(company)+1), tk.ID)
			require.Error(t, err)
		})
	}
}
