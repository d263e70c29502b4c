package tickets

import (
	"errors"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
)

// ErrReopenWindowPassed is the rule behind the refusal to reopen a ticket
// resolved longer ago than the reopen window (WithReopenWindow): the
// *workflow.TransitionError that Update returns wraps it, so
// errors.Is(err, ErrReopenWindowPassed) tells it from other refusals and
// its message reaches the caller.
var ErrReopenWindowPassed = errors.New("the reopen window has passed: open a new ticket")

// newMachine declares the ticket lifecycle. Agents and admins work tickets;
// requesters may cancel their own new or open ticket and close or reopen
// their resolved one. The reopen window is checked by the service.
func newMachine() (*workflow.Machine[Status], error) {
	staff := []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent}
	all := []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent, tenant.RoleRequester}
	working := []Status{StatusNew, StatusOpen, StatusInProgress, StatusPendingCustomer, StatusPendingThirdParty}
	type T = workflow.Transition[Status]
	return workflow.New("ticket", Statuses(),
		T{Name: "open", From: []Status{StatusNew, StatusInProgress, StatusPendingCustomer, StatusPendingThirdParty}, To: StatusOpen, Roles: staff},
		T{Name: "start", From: []Status{StatusNew, StatusOpen, StatusPendingCustomer, StatusPendingThirdParty}, To: StatusInProgress, Roles: staff},
		T{Name: "wait_for_customer", From: []Status{StatusOpen, StatusInProgress, StatusPendingThirdParty}, To: StatusPendingCustomer, Roles: staff},
		T{Name: "wait_for_third_party", From: []Status{StatusOpen, StatusInProgress, StatusPendingCustomer}, To: StatusPendingThirdParty, Roles: staff},
		T{Name: "resolve", From: working, To: StatusResolved, Roles: staff, Required: []string{"resolution_note"}},
		T{Name: "cancel", From: working, To: StatusCancelled, Roles: all, Required: []string{"reason"}},
		T{Name: "close", From: []Status{StatusResolved}, To: StatusClosed, Roles: all},
		T{Name: "reopen", From: []Status{StatusResolved}, To: StatusOpen, Roles: all},
	)
}
