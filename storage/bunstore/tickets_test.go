package bunstore_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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
	forEachDialect(t, func(t *testing.T, s *bunstore.Store) {
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

// TestTicketNumbers pins how each dialect numbers tickets: SQLite from a
// counter row in the unit of work, gapless; PostgreSQL from the company's
// sequence, so that a company's creations commit in parallel, with a gap
// where a unit of work failed after drawing. On both, numbers are unique
// and none is skipped by successful creations.
func TestTicketNumbers(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, s *bunstore.Store) {
		company := insertCompany(t, s, "Acme")
		contact := insertContact(t, s, company, "Ana")
		newTicket := func() tickets.Ticket {
			now := time.Now().UTC()
			return tickets.Ticket{CompanyID: company, Title: "x", Priority: sla.PriorityLow, Channel: tickets.ChannelWeb,
				RequesterContactID: contact, Status: tickets.StatusNew, SLAState: sla.StateOnTrack, CreatedAt: now, UpdatedAt: now}
		}
		create := func(ctx context.Context) (tickets.Ticket, error) {
			tk := newTicket()
			err := s.Tickets().InTx(ctx, func(ctx context.Context, tx tickets.Tx) error { return tx.InsertTicket(ctx, &tk) })
			return tk, err
		}

		boom := errors.New("boom")
		require.ErrorIs(t, s.Tickets().InTx(t.Context(), func(ctx context.Context, tx tickets.Tx) error {
			n, err := tx.NextTicketNumber(ctx, company)
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
			return boom
		}), boom)
		require.ErrorIs(t, s.Tickets().InTx(t.Context(), func(ctx context.Context, tx tickets.Tx) error {
			tk := newTicket()
			require.NoError(t, tx.InsertTicket(ctx, &tk))
			return boom
		}), boom)
		first, err := create(t.Context())
		require.NoError(t, err)
		want := map[bunstore.Dialect]int64{bunstore.SQLite: 1, bunstore.Postgres: 3}[s.Dialect()]
		require.Equal(t, want, first.Number, "the failed units of work's numbers")

		if s.Dialect() == bunstore.Postgres {
			// A unit of work that has drawn its number and not yet
			// committed does not hold up the company's next creation.
			drawn, release := make(chan int64), make(chan struct{})
			slow := make(chan error, 1)
			go func() {
				slow <- s.Tickets().InTx(t.Context(), func(ctx context.Context, tx tickets.Tx) error {
					tk := newTicket()
					if err := tx.InsertTicket(ctx, &tk); err != nil {
						return err
					}
					drawn <- tk.Number
					<-release
					return nil
				})
			}()
			require.Equal(t, first.Number+1, <-drawn)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			next, err := create(ctx)
			cancel()
			close(release)
			require.NoError(t, err, "a creation waited for another unit of work of the company")
			require.Equal(t, first.Number+2, next.Number)
			require.NoError(t, <-slow)
		}

		// Concurrent creations: unique numbers, none skipped.
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 25 {
					_, err := create(t.Context())
					assert.NoError(t, err)
				}
			})
		}
		wg.Wait()
		got := queryRows(t, s.DB(), "SELECT number FROM tickets ORDER BY number")
		require.Len(t, got, map[bunstore.Dialect]int{bunstore.SQLite: 201, bunstore.Postgres: 203}[s.Dialect()])
		for i := range got {
			require.Equal(t, strconv.FormatInt(first.Number+int64(i), 10), got[i], "the %d-th number", i)
		}
	})
}

// TestTicketNumberSequencesMigration migrates a PostgreSQL schema that
// numbered tickets with counter rows: each company's sequence continues
// its counter, and a company without one starts at 1.
func TestTicketNumberSequencesMigration(t *testing.T) {
	t.Parallel()
	s := openPostgresWith(t, bunstore.WithoutMigrations(), bunstore.WithMaxConns(2))
	ctx := t.Context()
	_, err := s.MigrateFirst(ctx, 10)
	require.NoError(t, err)
	now := time.Now().UTC()
	for _, name := range []string{"Acme", "Globex"} {
		_, err := s.DB().ExecContext(ctx, "INSERT INTO companies (name, legal_name, cnpj, timezone, active, version, created_at, updated_at) VALUES (?, '', '', 'UTC', true, 1, ?, ?)", name, now, now)
		require.NoError(t, err)
	}
	_, err = s.DB().ExecContext(ctx, "INSERT INTO ticket_counters (company_id, next_number) VALUES (1, 42)")
	require.NoError(t, err)
	applied, err := s.Migrate(ctx)
	require.NoError(t, err)
	require.Equal(t, "20260701000011_ticket_number_sequences", applied[0], "the migrations after the 10th, in order")

	var next []int64
	for _, company := range []tenant.CompanyID{1, 2} {
		require.NoError(t, s.Tickets().InTx(ctx, func(ctx context.Context, tx tickets.Tx) error {
			n, err := tx.NextTicketNumber(ctx, company)
			next = append(next, n)
			return err
		}))
	}
	require.Equal(t, []int64{42, 1}, next)
	require.Empty(t, queryRows(t, s.DB(), "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'ticket_counters'"))
}
