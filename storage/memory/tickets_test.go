package memory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// TestTicketsRollbackAndCopies checks the undo log of every ticket write
// and that reads never share slices with the store.
func TestTicketsRollbackAndCopies(t *testing.T) {
	t.Parallel()
	s := memory.New()
	at := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	co := directory.Company{Name: "Acme", Timezone: "UTC", Active: true, CreatedAt: at, UpdatedAt: at}
	ct := directory.Contact{Name: "Ana", Active: true, CreatedAt: at, UpdatedAt: at}
	require.NoError(t, s.Directory().InTx(t.Context(), func(ctx context.Context, tx directory.Tx) error {
		if err := tx.InsertCompany(ctx, &co); err != nil {
			return err
		}
		ct.CompanyID = co.ID
		return tx.InsertContact(ctx, &ct)
	}))
	newTicket := func(n int64) tickets.Ticket {
		return tickets.Ticket{CompanyID: co.ID, Number: n, Title: "x", Priority: sla.PriorityLow, Channel: tickets.ChannelWeb,
			Tags: []string{"a"}, RequesterContactID: ct.ID, Status: tickets.StatusNew, CreatedAt: at, UpdatedAt: at}
	}
	ts := s.Tickets()
	var kept tickets.Ticket
	require.NoError(t, ts.InTx(t.Context(), func(ctx context.Context, tx tickets.Tx) error {
		n, err := tx.NextTicketNumber(ctx, co.ID)
		if err != nil {
			return err
		}
		kept = newTicket(n)
		return tx.InsertTicket(ctx, &kept)
	}))
	boom := errors.New("boom")
	err := ts.InTx(t.Context(), func(ctx context.Context, tx tickets.Tx) error {
		n, err := tx.NextTicketNumber(ctx, co.ID)
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		tk := newTicket(n)
		require.NoError(t, tx.InsertTicket(ctx, &tk))
		up := kept
		up.Title = "changed"
		require.NoError(t, tx.UpdateTicket(ctx, &up))
		c := tickets.Comment{CompanyID: co.ID, TicketID: kept.ID, Body: "hi", CreatedAt: at}
		require.NoError(t, tx.InsertComment(ctx, &c))
		dup := newTicket(1)
		require.ErrorIs(t, tx.InsertTicket(ctx, &dup), storage.ErrConflict)
		return boom
	})
	require.ErrorIs(t, err, boom)
	got, err := ts.TicketByID(t.Context(), co.ID, kept.ID)
	require.NoError(t, err)
	kept.Pauses = []sla.Pause{}
	require.Equal(t, kept, got, "the update was undone")
	page, err := ts.ListTickets(t.Context(), co.ID, tickets.Filter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "the insert was undone")
	comments, err := ts.ListComments(t.Context(), co.ID, kept.ID, true, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, comments.Items, "the comment was undone")
	require.NoError(t, ts.InTx(t.Context(), func(ctx context.Context, tx tickets.Tx) error {
		n, err := tx.NextTicketNumber(ctx, co.ID)
		require.EqualValues(t, 2, n, "the number was given back")
		return err
	}))

	got.Tags[0] = "mutated"
	again, err := ts.TicketByID(t.Context(), co.ID, kept.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, again.Tags, "reads are copies")
}
