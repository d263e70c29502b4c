package workflow_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
)

func Example() {
	type Status string
	const (
		Open     Status = "open"
		Resolved Status = "resolved"
		Closed   Status = "closed"
	)
	staff := []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent}
	m, err := workflow.New("ticket", []Status{Open, Resolved, Closed},
		workflow.Transition[Status]{Name: "resolve", From: []Status{Open}, To: Resolved, Roles: staff, Required: []string{"resolution_note"}},
		workflow.Transition[Status]{Name: "reopen", From: []Status{Resolved}, To: Open, Required: []string{"reason"}},
		workflow.Transition[Status]{Name: "close", From: []Status{Resolved}, To: Closed, Roles: []tenant.Role{tenant.RoleAdmin}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	m.OnTransition(func(_ context.Context, a workflow.Attempt[Status]) error {
		t, _ := m.Lookup(a.From, a.To)
		fmt.Printf("event: ticket.%s\n", t.Name)
		return nil
	})

	agent := tenant.Actor{CompanyID: 1, UserID: 2, Role: tenant.RoleAgent}
	requester := tenant.Actor{CompanyID: 1, UserID: 3, Role: tenant.RoleRequester}
	fmt.Println("agent from resolved:", m.Allowed(agent, Resolved))
	fmt.Println("requester from open:", m.Allowed(requester, Open))

	// A requester may not resolve: refused for the role (HTTP 403).
	err = m.Check(workflow.Attempt[Status]{Actor: requester, From: Open, To: Resolved})
	var te *workflow.TransitionError
	if errors.As(err, &te) {
		fmt.Println(err)
		fmt.Println("forbidden:", errors.Is(err, tenant.ErrForbidden), "reason:", te.Reason)
	}

	// Nobody may go from closed back to open: not declared (HTTP 409).
	err = m.Check(workflow.Attempt[Status]{Actor: agent, From: Closed, To: Open})
	fmt.Println(err, "| forbidden:", errors.Is(err, tenant.ErrForbidden))

	// The agent may resolve, but must say how (HTTP 422).
	err = m.Apply(context.Background(), workflow.Attempt[Status]{Actor: agent, From: Open, To: Resolved})
	fmt.Println(err, "| invalid:", errors.Is(err, validation.ErrInvalid))

	err = m.Apply(context.Background(), workflow.Attempt[Status]{
		Actor: agent, From: Open, To: Resolved,
		Fields: map[string]any{"resolution_note": "replaced the toner"},
	})
	fmt.Println("resolved:", err == nil)

	// Output:
	// agent from resolved: [open]
	// requester from open: []
	// ticket: role "requester" may not move from "open" to "resolved" (no transition is allowed from there)
	// forbidden: true reason: role
	// ticket: cannot move from "closed" to "open" (no transition is allowed from there) | forbidden: false
	// invalid input: resolution_note: is required to move from open to resolved | invalid: true
	// event: ticket.resolve
	// resolved: true
}
