package inventory_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/memory"
)

func TestAssignAndUnassignHistory(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := memory.New()
	now := func() time.Time { return time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC) }
	dir, err := directory.NewService(store.Directory(), directory.WithClock(now), directory.WithBcryptCost(bcrypt.MinCost))
	require.NoError(t, err)
	inv, err := inventory.NewService(store.Inventory(), inventory.WithClock(now))
	require.NoError(t, err)
	co, err := dir.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	agent := tenant.Actor{CompanyID: co.ID, UserID: 5, Role: tenant.RoleAgent}
	ct, err := dir.CreateContact(ctx, agent, directory.ContactInput{Name: "Ana"})
	require.NoError(t, err)
	_, assets, err := inv.Intake(ctx, agent, inventory.IntakeInput{Name: "Notebook", Category: "Notebook", Quantity: 1})
	require.NoError(t, err)
	id := assets[0].ID
	require.Equal(t, "ACME-2026-000001", assets[0].Serial)

	a, err := inv.Assign(ctx, agent, id, ct.ID, 0)
	require.NoError(t, err)
	require.Equal(t, inventory.StatusAssigned, a.Status)
	a, err = inv.Unassign(ctx, agent, id, a.Version)
	require.NoError(t, err)
	require.Equal(t, inventory.StatusInStock, a.Status)
	require.Zero(t, a.AssigneeContactID)

	h, err := inv.History(ctx, agent, id, storage.PageRequest{})
	require.NoError(t, err)
	type step struct{ action, from, to string }
	var got []step
	for _, e := range h.Items {
		got = append(got, step{e.Action, e.From, e.To})
	}
	require.Equal(t, []step{
		{"created", "", "in_stock"},
		{"status_changed", "in_stock", "assigned"},
		{"assigned", "", "1"},
		{"status_changed", "assigned", "in_stock"},
		{"unassigned", "1", ""},
	}, got)
}
