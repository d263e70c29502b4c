package main

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// checkDemoWork checks, through the services of desk, that every demo
// company has a living desk at now: tickets in every state, with SLA
// clocks met, at risk, paused and breached, assigned and not, public
// comments and internal notes, several priorities, categories and
// channels; and service orders in every state with billable and
// non-billable activities and a part.
func checkDemoWork(t *testing.T, desk *helpdesk.Desk, now time.Time) {
	t.Helper()
	ctx := t.Context()
	cos, err := desk.Directory.ListCompanies(ctx, tenant.System(), directory.CompanyFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, cos.Items, 2)
	for _, co := range cos.Items {
		admin, err := tenant.System().InCompany(co.ID)
		require.NoError(t, err)
		ts, err := desk.Tickets.List(ctx, admin, tickets.Filter{}, storage.PageRequest{Limit: 200})
		require.NoError(t, err)
		statuses := map[tickets.Status]int{}
		slaStates := map[sla.State]int{}
		priorities, categories, channels := map[sla.Priority]bool{}, map[string]bool{}, map[tickets.Channel]bool{}
		assigned, unassigned, public, internal, tagged := 0, 0, 0, 0, 0
		for _, tk := range ts.Items {
			require.False(t, tk.CreatedAt.After(now), "nothing is dated in the future")
			statuses[tk.Status]++
			priorities[tk.Priority], categories[tk.Category], channels[tk.Channel] = true, true, true
			if tk.AssigneeUserID != 0 {
				assigned++
			} else {
				unassigned++
			}
			if len(tk.Tags) > 0 {
				tagged++
			}
			d, err := desk.Tickets.Get(ctx, admin, tk.ID)
			require.NoError(t, err)
			slaStates[d.SLA.Worst()]++
			cs, err := desk.Tickets.Comments(ctx, admin, tk.ID, storage.PageRequest{Limit: 200})
			require.NoError(t, err)
			for _, c := range cs.Items {
				if c.Internal {
					internal++
				} else {
					public++
				}
			}
		}
		for _, st := range tickets.Statuses() {
			require.Positive(t, statuses[st], "%s: a ticket in state %s", co.Name, st)
		}
		for _, st := range []sla.State{sla.StateOnTrack, sla.StateAtRisk, sla.StateBreached, sla.StatePaused, sla.StateMet} {
			require.Positive(t, slaStates[st], "%s: a ticket whose SLA is %s (have %v)", co.Name, st, slaStates)
		}
		require.Positive(t, assigned)
		require.Positive(t, unassigned)
		require.Positive(t, public)
		require.Positive(t, internal)
		require.Positive(t, tagged)
		require.Len(t, priorities, 4, "every priority")
		require.Len(t, channels, 4, "every channel")
		require.Greater(t, len(categories), 3)

		os, err := desk.ServiceOrders.List(ctx, admin, serviceorders.Filter{}, storage.PageRequest{Limit: 200})
		require.NoError(t, err)
		orderStates := map[serviceorders.Status]int{}
		billable, nonBillable, parts, withTicket := 0, 0, 0, 0
		for _, o := range os.Items {
			orderStates[o.Status]++
			if o.TicketID != 0 {
				withTicket++
			}
			d, err := desk.ServiceOrders.Get(ctx, admin, o.ID)
			require.NoError(t, err)
			billable += d.Totals.BillableMinutes
			nonBillable += d.Totals.NonBillableMinutes
			parts += len(d.Parts)
		}
		for _, st := range serviceorders.Statuses() {
			require.Positive(t, orderStates[st], "%s: a service order in state %s", co.Name, st)
		}
		require.Positive(t, billable)
		require.Positive(t, nonBillable)
		require.Positive(t, parts)
		require.Positive(t, withTicket)
	}
}

// TestSeedDemoWorkMemory seeds an in-memory store at fixed instants (a
// weekday afternoon, a Saturday night, a Monday morning just after
// opening) and checks the living desk each time.
func TestSeedDemoWorkMemory(t *testing.T) {
	t.Parallel()
	for _, at := range []string{"2026-12-07T16:40:00Z", "2026-12-12T23:30:00Z", "2026-12-14T11:05:00Z", "2027-01-04T11:30:00Z"} {
		t.Run(at, func(t *testing.T) {
			t.Parallel()
			now, err := time.Parse(time.RFC3339, at)
			require.NoError(t, err)
			st := memory.New()
			var out bytes.Buffer
			sum, err := seedDemo(t.Context(), st, 4, now, &out)
			require.NoError(t, err, out.String())
			require.Equal(t, 22, sum.Tickets)
			require.Equal(t, 16, sum.Orders)
			require.Contains(t, out.String(), "22 tickets in every state")
			desk, err := helpdesk.New(st, helpdesk.WithClock(func() time.Time { return now }))
			require.NoError(t, err)
			defer desk.Close()
			checkDemoWork(t, desk, now)

			_, err = seedDemo(t.Context(), st, 4, now, io.Discard)
			require.ErrorIs(t, err, errDemoPresent)
		})
	}
}

// TestSeedDemoPostgres runs "seed --demo" on PostgreSQL and checks the
// desk it leaves.
func TestSeedDemoPostgres(t *testing.T) {
	t.Parallel()
	url := bunstoreTestPostgres(t)
	vars := map[string]string{"BOLADAO_DATABASE_URL": url, "BOLADAO_BCRYPT_COST": "4"}
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"seed", "--demo"}, env(vars), &out, io.Discard))
	require.Len(t, seedLine.FindAllString(out.String(), -1), 8)
	st, err := bunstore.Open(t.Context(), url)
	require.NoError(t, err)
	defer st.Close()
	desk, err := helpdesk.New(st)
	require.NoError(t, err)
	defer desk.Close()
	checkDemoWork(t, desk, time.Now())
	require.ErrorIs(t, run(t.Context(), []string{"seed", "--demo"}, env(vars), io.Discard, io.Discard), errDemoPresent)
}
