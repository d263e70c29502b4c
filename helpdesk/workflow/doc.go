// Package workflow is a small, generic, declarative state machine. The
// domain packages declare their lifecycles on it: assets (in_stock,
// assigned, in_use, ...), tickets (new, open, in_progress, ...) and service
// orders (draft, scheduled, in_progress, ...).
//
// A Machine is built once from the list of states and a table of
// Transition values. Each transition names where it may start (From), where
// it ends (To), which roles may take it (Roles, empty meaning every role),
// which input fields must be supplied with it (Required) and, optionally, a
// Guard for rules a table can't express. New validates the declaration and
// returns an error that says what to fix.
//
// A domain package declares its machine in a constructor, not in a
// package-level variable, so that each service owns its machine and its
// hooks:
//
//	type Status string
//
//	const (
//		StatusOpen     Status = "open"
//		StatusResolved Status = "resolved"
//		StatusClosed   Status = "closed"
//	)
//
//	func newMachine() (*workflow.Machine[Status], error) {
//		return workflow.New("ticket",
//			[]Status{StatusOpen, StatusResolved, StatusClosed},
//			workflow.Transition[Status]{
//				Name: "resolve", From: []Status{StatusOpen}, To: StatusResolved,
//				Roles:    []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent},
//				Required: []string{"resolution_note"},
//			},
//			workflow.Transition[Status]{
//				Name: "close", From: []Status{StatusResolved}, To: StatusClosed,
//			},
//		)
//	}
//
// The service then calls Machine.Check (or Machine.Apply, which also runs
// the hooks registered with Machine.OnTransition) inside its unit of work,
// before writing the new status. Hooks receive the transaction's context, so
// they can append outbox events that commit or roll back with the change.
// Machine.Allowed and Machine.AllowedTransitions report the "next actions"
// an actor may take, for the API and the UI.
//
// Refusals are typed so the HTTP layer can map them without knowing the
// state type: a *TransitionError (errors.Is ErrIllegalTransition, and also
// tenant.ErrForbidden when the actor's role is the reason) carries the
// allowed targets as plain strings; missing required fields come back as a
// *validation.Error naming each field; a Guard's error is returned wrapped.
package workflow
