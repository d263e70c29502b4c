package serviceorders

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

func TestMachineDeclaration(t *testing.T) {
	t.Parallel()
	m, err := newMachine()
	require.NoError(t, err)
	require.Equal(t, Statuses(), m.States())
	require.True(t, m.Final(StatusInvoiced))
	require.True(t, m.Final(StatusCancelled))
	agent := tenant.Actor{CompanyID: 1, Role: tenant.RoleAgent}
	admin := tenant.Actor{CompanyID: 1, Role: tenant.RoleAdmin}
	viewer := tenant.Actor{CompanyID: 1, Role: tenant.RoleViewer}
	require.Empty(t, m.Allowed(agent, StatusApproved), "only admins invoice")
	require.Equal(t, []Status{StatusInvoiced}, m.Allowed(admin, StatusApproved))
	require.Empty(t, m.Allowed(viewer, StatusDraft))
	require.Equal(t, []Status{StatusInProgress, StatusApproved}, m.Allowed(agent, StatusCompleted))
}

func TestNumbersMonthsAndTotals(t *testing.T) {
	t.Parallel()
	require.Equal(t, "OS-42-2026-000007", FormatNumber(42, 2026, 7))
	require.Equal(t, "OS-42-2027-1234567", FormatNumber(42, 2027, 1234567))
	for _, bad := range []string{"", "2026-13", "2026-7", "julho", "1999-12"} {
		_, err := ParseMonth(bad)
		require.Error(t, err, bad)
	}
	m, err := ParseMonth("2026-07")
	require.NoError(t, err)
	require.Equal(t, "2026-07", m)
	acts := []Activity{{Minutes: 30, Billable: true}, {Minutes: 15}, {Minutes: 99, Billable: true, DeletedAt: time.Unix(1, 0)}}
	parts := []Part{{Quantity: 2, UnitCostCents: 500}}
	require.Equal(t, Totals{BillableMinutes: 30, NonBillableMinutes: 15, PartsCostCents: 1000}, TotalsOf(acts, parts))
	require.False(t, TypeRemote.OnSite())
	require.True(t, TypeInspection.OnSite())
}
