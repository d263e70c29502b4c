package helpdesk_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
)

// TestDeskInTx shows the services' ...Tx methods joining one unit of work
// with the embedder's code: an error after the ticket was created rolls
// back the ticket and its event; nil commits both. The services' checks
// still run inside it.
func TestDeskInTx(t *testing.T) {
	for _, bk := range []struct {
		name string
		open func(t *testing.T) helpdesk.Store
	}{
		{"memory", func(*testing.T) helpdesk.Store { return memory.New() }},
		{"sqlite", func(t *testing.T) helpdesk.Store { return bunstoretest.SQLite(t) }},
	} {
		t.Run(bk.name, func(t *testing.T) {
			desk, err := helpdesk.New(bk.open(t), helpdesk.WithBcryptCost(4))
			require.NoError(t, err)
			t.Cleanup(func() { _ = desk.Close() })
			ctx := t.Context()
			admin := companyAdmin(t, desk)
			bruno, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: "Bruno"})
			require.NoError(t, err)
			create := func(ctx context.Context, tx helpdesk.Tx) (tickets.Ticket, error) {
				return desk.Tickets.CreateTx(ctx, tx, admin, tickets.CreateInput{Title: "Sem rede", RequesterContactID: bruno.ID})
			}
			count := func() (int, int) {
				page, err := desk.Tickets.List(ctx, admin, tickets.Filter{}, storage.PageRequest{})
				require.NoError(t, err)
				evs, err := desk.Outbox(ctx, events.OutboxQuery{})
				require.NoError(t, err)
				n := 0
				for _, ev := range evs {
					if ev.Type == "ticket.created" {
						n++
					}
				}
				return len(page.Items), n
			}

			mine := errors.New("the embedder's statement failed")
			err = desk.InTx(ctx, func(ctx context.Context, tx helpdesk.Tx) error {
				if _, err := create(ctx, tx); err != nil {
					return err
				}
				return mine
			})
			require.ErrorIs(t, err, mine)
			ts, evs := count()
			require.Zero(t, ts, "the ticket was rolled back")
			require.Zero(t, evs, "its event was rolled back")

			err = desk.InTx(ctx, func(ctx context.Context, tx helpdesk.Tx) error {
				_, err := desk.Tickets.CreateTx(ctx, tx, admin, tickets.CreateInput{Title: "", RequesterContactID: bruno.ID})
				return err
			})
			require.Error(t, err, "validation runs inside a unit of work too")

			require.NoError(t, desk.InTx(ctx, func(ctx context.Context, tx helpdesk.Tx) error {
				_, err := create(ctx, tx)
				return err
			}))
			ts, evs = count()
			require.Equal(t, 1, ts)
			require.Equal(t, 1, evs)
		})
	}
}
