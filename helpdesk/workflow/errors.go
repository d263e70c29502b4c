package workflow

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// ErrIllegalTransition is the sentinel every *TransitionError matches with
// errors.Is: the requested move is not declared, or not for this actor.
var ErrIllegalTransition = errors.New("illegal transition")

// ErrInvalidDeclaration is the sentinel New's errors match with errors.Is:
// the states or transitions given to New are inconsistent.
var ErrInvalidDeclaration = errors.New("invalid workflow declaration")

// Reason says why a *TransitionError refused a move.
type Reason string

// The reasons a transition is refused.
const (
	// ReasonNotDeclared: no transition is declared from From to To
	// (including From == To, and unknown states).
	ReasonNotDeclared Reason = "not_declared"
	// ReasonRole: the transition is declared, but not for the actor's role.
	ReasonRole Reason = "role"
)

// TransitionError is the refusal of a move the machine does not allow for
// the actor. States are plain strings so callers (the HTTP layer) can use
// them without knowing the machine's state type.
//
// It matches ErrIllegalTransition with errors.Is and, when Reason is
// ReasonRole, tenant.ErrForbidden as well: test for tenant.ErrForbidden
// first to tell "not for your role" (403) from "not possible" (409).
type TransitionError struct {
	// Machine is the name of the machine that refused the move.
	Machine string
	// From and To are the requested move.
	From, To string
	// Name is the declared transition's name, when Reason is ReasonRole.
	Name string
	// Reason says why the move was refused.
	Reason Reason
	// Role is the actor's role.
	Role tenant.Role
	// Allowed lists the states this actor may move to from From, in
	// declaration order. It is never nil, so it encodes as [] in JSON.
	Allowed []string
	// Err, when set, is the rule beyond the table that refused the move
	// (tickets.ErrReopenWindowPassed); Error includes its message and
	// errors.Is finds it.
	Err error
}

// Error says which move was refused, why, and which moves are allowed.
func (e *TransitionError) Error() string {
	var b strings.Builder
	switch e.Reason {
	case ReasonRole:
		fmt.Fprintf(&b, "%s: role %q may not move from %q to %q", e.Machine, e.Role, e.From, e.To)
	default:
		fmt.Fprintf(&b, "%s: cannot move from %q to %q", e.Machine, e.From, e.To)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if len(e.Allowed) == 0 {
		b.WriteString(" (no transition is allowed from there)")
	} else {
		fmt.Fprintf(&b, " (allowed: %s)", strings.Join(e.Allowed, ", "))
	}
	return b.String()
}

// Is makes errors.Is(err, ErrIllegalTransition) true, and
// errors.Is(err, tenant.ErrForbidden) true for a role refusal.
func (e *TransitionError) Is(target error) bool {
	return target == ErrIllegalTransition || (e.Reason == ReasonRole && target == tenant.ErrForbidden)
}

// Unwrap returns Err, the rule that refused the move, if any.
func (e *TransitionError) Unwrap() error { return e.Err }
