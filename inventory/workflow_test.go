package inventory

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
)

func TestAssetTransitions(t *testing.T) {
	t.Parallel()
	m, err := newMachine()
	require.NoError(t, err)
	agent := tenant.Actor{CompanyID: 1, Role: tenant.RoleAgent}
	viewer := tenant.Actor{CompanyID: 1, Role: tenant.RoleViewer}
	tests := []struct {
		actor    tenant.Actor
		from, to Status
		fields   map[string]any
		ok       bool
	}{
		{agent, StatusInStock, StatusAssigned, map[string]any{"assignee_contact_id": int64(3)}, true},
		{agent, StatusInStock, StatusAssigned, nil, false},
		{agent, StatusAssigned, StatusInUse, nil, true},
		{agent, StatusInUse, StatusInRepair, nil, true},
		{agent, StatusInRepair, StatusRetired, map[string]any{"reason": "broken screen"}, true},
		{agent, StatusInRepair, StatusRetired, map[string]any{"reason": "  "}, false},
		{agent, StatusAssigned, StatusRetired, map[string]any{"reason": "x"}, false},
		{agent, StatusRetired, StatusInStock, nil, false},
		{agent, StatusLost, StatusInStock, nil, true},
		{viewer, StatusInStock, StatusInRepair, nil, false},
	}
	for _, tc := range tests {
		err := m.Check(workflow.Attempt[Status]{Actor: tc.actor, From: tc.from, To: tc.to, Fields: tc.fields})
		if tc.ok {
			require.NoError(t, err, "%s → %s", tc.from, tc.to)
		} else {
			require.Error(t, err, "%s → %s", tc.from, tc.to)
		}
	}
	require.Empty(t, m.Allowed(agent, StatusRetired))
	require.ElementsMatch(t, []Status{StatusInStock, StatusInRepair, StatusLost, StatusInUse},
		m.Allowed(agent, StatusAssigned))
}

func TestReadScope(t *testing.T) {
	t.Parallel()
	own, err := readScope(tenant.Actor{CompanyID: 1, Role: tenant.RoleRequester, ContactID: 3})
	require.NoError(t, err)
	require.True(t, own)
	own, err = readScope(tenant.Actor{CompanyID: 1, Role: tenant.RoleViewer})
	require.NoError(t, err)
	require.False(t, own)
	_, err = readScope(tenant.System())
	require.ErrorIs(t, err, tenant.ErrNoCompany, "a platform admin must choose a company")
}
