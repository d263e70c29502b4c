package workflow

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// Transition declares one move (or several sharing a target) of a machine.
type Transition[S ~string] struct {
	// Name is an optional action name such as "resolve" or "reopen".
	// Several transitions may share a name.
	Name string
	// From lists the states the transition may start from (at least one).
	From []S
	// To is the state the transition ends in.
	To S
	// Roles lists the roles allowed to take the transition; empty allows
	// every role. tenant.RolePlatformAdmin is allowed wherever
	// tenant.RoleAdmin is.
	Roles []tenant.Role
	// Required lists the snake_case input fields that must be supplied, not
	// zero, with the transition (see Attempt.Fields).
	Required []string
	// Guard, when set, runs after the role and required-field checks and
	// refuses the move by returning an error.
	Guard func(Attempt[S]) error
}

// Permits reports whether role r may take the transition (ignoring its
// required fields and guard).
func (t Transition[S]) Permits(r tenant.Role) bool {
	if len(t.Roles) == 0 || slices.Contains(t.Roles, r) {
		return true
	}
	return r == tenant.RolePlatformAdmin && slices.Contains(t.Roles, tenant.RoleAdmin)
}

func (t Transition[S]) clone() Transition[S] {
	t.From = slices.Clone(t.From)
	t.Roles = slices.Clone(t.Roles)
	t.Required = slices.Clone(t.Required)
	return t
}

// Attempt is a requested move: who asks, from where to where, and the
// inputs supplied with it (keyed by snake_case field name).
type Attempt[S ~string] struct {
	Actor    tenant.Actor
	From, To S
	Fields   map[string]any
}

// Hook runs after a move passed Check, inside Apply. It gets the caller's
// context (typically the unit of work's), so it can write events that
// commit with the change.
type Hook[S ~string] func(ctx context.Context, a Attempt[S]) error

type edge[S ~string] struct{ from, to S }

// Machine is a validated state machine over states of type S. Build it with
// New. Its methods are safe for concurrent use.
type Machine[S ~string] struct {
	name        string
	states      []S
	valid       map[S]bool
	transitions []Transition[S]
	edges       map[edge[S]]int // index into transitions

	mu    sync.RWMutex
	hooks []Hook[S]
}

// New validates a declaration and builds its machine. name identifies the
// machine in errors ("ticket"); states lists every state once, in the order
// States reports them; transitions are the allowed moves, in the order
// Allowed reports them. Every problem found is reported in one error that
// matches ErrInvalidDeclaration.
func New[S ~string](name string, states []S, transitions ...Transition[S]) (*Machine[S], error) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if strings.TrimSpace(name) == "" {
		add("the machine needs a name")
	}
	if len(states) == 0 {
		add("declare at least one state")
	}
	m := &Machine[S]{
		name:   name,
		states: slices.Clone(states),
		valid:  make(map[S]bool, len(states)),
		edges:  make(map[edge[S]]int),
	}
	for _, s := range states {
		switch {
		case strings.TrimSpace(string(s)) == "":
			add("a state is empty: give every state a name")
		case m.valid[s]:
			add("state %q is declared twice", s)
		}
		m.valid[s] = true
	}
	if len(transitions) == 0 {
		add("declare at least one transition")
	}
	for i, t := range transitions {
		t = t.clone()
		label := fmt.Sprintf("transition %d", i)
		if t.Name != "" {
			label += fmt.Sprintf(" (%s)", t.Name)
		}
		if len(t.From) == 0 {
			add("%s has no From state", label)
		}
		if !m.valid[t.To] {
			add("%s goes to unknown state %q: add it to the states", label, t.To)
		}
		for _, r := range t.Roles {
			if !r.Valid() {
				add("%s allows unknown role %q", label, r)
			}
		}
		for j, f := range t.Required {
			switch {
			case strings.TrimSpace(f) == "":
				add("%s requires an empty field name", label)
			case slices.Contains(t.Required[:j], f):
				add("%s requires field %q twice", label, f)
			}
		}
		for _, from := range t.From {
			if !m.valid[from] {
				add("%s starts from unknown state %q: add it to the states", label, from)
				continue
			}
			e := edge[S]{from, t.To}
			if prev, dup := m.edges[e]; dup {
				add("%s repeats %q → %q, already declared by transition %d", label, from, t.To, prev)
				continue
			}
			m.edges[e] = i
		}
		m.transitions = append(m.transitions, t)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w %q: %s", ErrInvalidDeclaration, name, strings.Join(problems, "; "))
	}
	return m, nil
}

// Name returns the machine's name.
func (m *Machine[S]) Name() string { return m.name }

// States returns every state, in declaration order.
func (m *Machine[S]) States() []S { return slices.Clone(m.states) }

// Valid reports whether s is one of the machine's states.
func (m *Machine[S]) Valid(s S) bool { return m.valid[s] }

// Final reports whether s is a state of the machine with no outgoing
// transition.
func (m *Machine[S]) Final(s S) bool {
	if !m.valid[s] {
		return false
	}
	for e := range m.edges {
		if e.from == s {
			return false
		}
	}
	return true
}

// Transitions returns a copy of the declared transitions, in declaration
// order.
func (m *Machine[S]) Transitions() []Transition[S] {
	out := make([]Transition[S], len(m.transitions))
	for i, t := range m.transitions {
		out[i] = t.clone()
	}
	return out
}

// Lookup returns the transition declared from → to, if any, with From
// narrowed to from. Hooks use it to find the transition's Name.
func (m *Machine[S]) Lookup(from, to S) (Transition[S], bool) {
	i, ok := m.edges[edge[S]{from, to}]
	if !ok {
		return Transition[S]{}, false
	}
	t := m.transitions[i].clone()
	t.From = []S{from}
	return t, true
}

// AllowedTransitions returns the transitions the actor's role may take from
// from, in declaration order, each with From narrowed to from: the "next
// actions" with their names and required fields. Required fields and guards
// are not evaluated.
func (m *Machine[S]) AllowedTransitions(actor tenant.Actor, from S) []Transition[S] {
	var out []Transition[S]
	for _, t := range m.transitions {
		if slices.Contains(t.From, from) && t.Permits(actor.Role) {
			t = t.clone()
			t.From = []S{from}
			out = append(out, t)
		}
	}
	return out
}

// Allowed returns the states the actor's role may move to from from, in
// declaration order. Required fields and guards are not evaluated.
func (m *Machine[S]) Allowed(actor tenant.Actor, from S) []S {
	var out []S
	for _, t := range m.transitions {
		if slices.Contains(t.From, from) && t.Permits(actor.Role) {
			out = append(out, t.To)
		}
	}
	return out
}

func (m *Machine[S]) allowedStrings(actor tenant.Actor, from S) []string {
	out := []string{}
	for _, s := range m.Allowed(actor, from) {
		out = append(out, string(s))
	}
	return out
}

// Check reports whether the attempt is allowed. It returns nil, or:
//   - a *TransitionError with Reason ReasonNotDeclared when no transition
//     is declared from a.From to a.To (a same-state move is illegal unless
//     declared);
//   - a *TransitionError with Reason ReasonRole, also matching
//     tenant.ErrForbidden, when the actor's role may not take it;
//   - a *validation.Error naming every required field missing from
//     a.Fields (absent, nil, or a zero value: blank string, 0, false, zero
//     time.Time, empty slice or map; pointers are followed);
//   - the Guard's error, wrapped.
func (m *Machine[S]) Check(a Attempt[S]) error {
	i, ok := m.edges[edge[S]{a.From, a.To}]
	if !ok {
		return m.refuse(a, ReasonNotDeclared, "")
	}
	t := m.transitions[i]
	if !t.Permits(a.Actor.Role) {
		return m.refuse(a, ReasonRole, t.Name)
	}
	var b validation.Builder
	for _, f := range t.Required {
		if v, ok := a.Fields[f]; !ok || isZero(v) {
			b.Add(f, "is required to move from %s to %s", a.From, a.To)
		}
	}
	if err := b.Err(); err != nil {
		return err
	}
	if t.Guard != nil {
		if err := t.Guard(a); err != nil {
			return fmt.Errorf("%s: moving from %q to %q: %w", m.name, a.From, a.To, err)
		}
	}
	return nil
}

func (m *Machine[S]) refuse(a Attempt[S], r Reason, name string) error {
	return &TransitionError{
		Machine: m.name,
		From:    string(a.From),
		To:      string(a.To),
		Name:    name,
		Reason:  r,
		Role:    a.Actor.Role,
		Allowed: m.allowedStrings(a.Actor, a.From),
	}
}

// OnTransition registers a hook that Apply runs, in registration order,
// after every allowed move. Register hooks while setting up the service
// that owns the machine; registering is safe concurrently with Apply, but a
// hook added while Apply runs only applies to later calls.
func (m *Machine[S]) OnTransition(h Hook[S]) {
	if h == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hooks = append(m.hooks, h)
}

// Apply checks the attempt (see Check) and then runs the hooks in order,
// stopping at the first one that fails and returning its error wrapped.
// Apply changes nothing by itself: the caller stores the new state, in the
// same unit of work as ctx.
func (m *Machine[S]) Apply(ctx context.Context, a Attempt[S]) error {
	if err := m.Check(a); err != nil {
		return err
	}
	m.mu.RLock()
	hooks := slices.Clone(m.hooks)
	m.mu.RUnlock()
	for i, h := range hooks {
		if err := h(ctx, a); err != nil {
			return fmt.Errorf("%s: hook %d after moving from %q to %q: %w", m.name, i, a.From, a.To, err)
		}
	}
	return nil
}

// isZero reports whether a supplied field value counts as missing.
func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case time.Time:
		return x.IsZero()
	case interface{ IsZero() bool }:
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return true
		}
		return x.IsZero()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return strings.TrimSpace(rv.String()) == ""
	case reflect.Slice, reflect.Map, reflect.Chan:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return true
		}
		return isZero(rv.Elem().Interface())
	default:
		return rv.IsZero()
	}
}
