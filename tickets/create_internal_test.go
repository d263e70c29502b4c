package tickets

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// unitsOfWork is a Store that counts the units of work begun and runs
// none: Create must refuse what it can without one.
type unitsOfWork struct {
	Store
	begun int
}

func (u *unitsOfWork) InTx(context.Context, func(context.Context, Tx) error) error {
	u.begun++
	return errors.New("no storage in this test")
}

// TestCreateRefusesBeforeTheUnitOfWork checks that a refused permission or
// invalid fields never begin a unit of work (on SQLite, never take the
// writer), and that a valid ticket does.
func TestCreateRefusesBeforeTheUnitOfWork(t *testing.T) {
	t.Parallel()
	store := &unitsOfWork{}
	svc, err := NewService(store)
	require.NoError(t, err)
	agent := tenant.Actor{CompanyID: 1, UserID: 2, Role: tenant.RoleAgent}
	tests := []struct {
		name  string
		actor tenant.Actor
		in    CreateInput
		want  func(error) bool
		begun int
	}{
		{"viewer", tenant.Actor{CompanyID: 1, UserID: 3, Role: tenant.RoleViewer},
			CreateInput{Title: "x", RequesterContactID: 1}, func(err error) bool { return errors.Is(err, tenant.ErrForbidden) }, 0},
		{"empty title", agent, CreateInput{RequesterContactID: 1}, isValidation, 0},
		{"bad priority", agent, CreateInput{Title: "x", Priority: "urgent", RequesterContactID: 1}, isValidation, 0},
		{"no requester", agent, CreateInput{Title: "x"}, isValidation, 0},
		{"valid", agent, CreateInput{Title: "x", RequesterContactID: 1}, func(err error) bool { return err != nil }, 1},
	}
	for _, tt := range tests {
		store.begun = 0
		_, err := svc.Create(t.Context(), tt.actor, tt.in)
		require.True(t, tt.want(err), "%s: %v", tt.name, err)
		require.Equal(t, tt.begun, store.begun, tt.name)
	}
}

func isValidation(err error) bool {
	var v *validation.Error
	return errors.As(err, &v)
}
