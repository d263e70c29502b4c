package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
)

type status string

const (
	stNew        status = "new"
	stOpen       status = "open"
	stInProgress status = "in_progress"
	stPendCust   status = "pending_customer"
	stPendThird  status = "pending_third_party"
	stResolved   status = "resolved"
	stClosed     status = "closed"
	stCancelled  status = "cancelled"
)

var (
	platform  = tenant.Actor{Role: tenant.RolePlatformAdmin, CompanyID: 1}
	admin     = tenant.Actor{Role: tenant.RoleAdmin, CompanyID: 1, UserID: 1}
	agent     = tenant.Actor{Role: tenant.RoleAgent, CompanyID: 1, UserID: 2}
	requester = tenant.Actor{Role: tenant.RoleRequester, CompanyID: 1, UserID: 3}
	viewer    = tenant.Actor{Role: tenant.RoleViewer, CompanyID: 1, UserID: 4}
)

var errBadCSAT = errors.New("csat must be between 1 and 5")

func allStates() []status {
	return []status{stNew, stOpen, stInProgress, stPendCust, stPendThird, stResolved, stClosed, stCancelled}
}

// ticketMachine builds a fresh ticket-like machine for each test.
func ticketMachine(t *testing.T) *workflow.Machine[status] {
	t.Helper()
	staff := []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent}
	m, err := workflow.New("ticket", allStates(),
		workflow.Transition[status]{Name: "open", From: []status{stNew}, To: stOpen, Roles: staff},
		workflow.Transition[status]{Name: "start", From: []status{stNew, stOpen}, To: stInProgress, Roles: staff, Required: []string{"assignee_id"}},
		workflow.Transition[status]{Name: "wait_customer", From: []status{stInProgress}, To: stPendCust, Roles: staff, Required: []string{"reason"}},
		workflow.Transition[status]{Name: "wait_third_party", From: []status{stInProgress}, To: stPendThird, Roles: staff, Required: []string{"reason"}},
		workflow.Transition[status]{Name: "resume", From: []status{stPendCust, stPendThird}, To: stInProgress, Roles: staff},
		workflow.Transition[status]{Name: "resolve", From: []status{stInProgress}, To: stResolved, Roles: staff, Required: []string{"resolution_note"}},
		workflow.Transition[status]{Name: "reopen", From: []status{stResolved}, To: stOpen, Roles: []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent, tenant.RoleRequester}, Required: []string{"reason"}},
		workflow.Transition[status]{
			Name: "close", From: []status{stResolved}, To: stClosed, Roles: []tenant.Role{tenant.RoleAdmin},
			Guard: func(a workflow.Attempt[status]) error {
				if v, ok := a.Fields["csat"].(int); ok && (v < 1 || v > 5) {
					return errBadCSAT
				}
				return nil
			},
		},
		workflow.Transition[status]{Name: "cancel", From: []status{stNew, stOpen}, To: stCancelled, Roles: []tenant.Role{tenant.RoleAdmin, tenant.RoleRequester}, Required: []string{"reason"}},
	)
	require.NoError(t, err)
	return m
}

func TestNewRejectsBadDeclarations(t *testing.T) {
	t.Parallel()
	ok := workflow.Transition[status]{From: []status{stNew}, To: stOpen}
	tests := []struct {
		name        string
		machine     string
		states      []status
		transitions []workflow.Transition[status]
		want        string
	}{
		{"no name", "", []status{stNew, stOpen}, []workflow.Transition[status]{ok}, "needs a name"},
		{"no states", "t", nil, nil, "at least one state"},
		{"no transitions", "t", []status{stNew}, nil, "at least one transition"},
		{"empty state", "t", []status{stNew, stOpen, " "}, []workflow.Transition[status]{ok}, "a state is empty"},
		{"duplicate state", "t", []status{stNew, stOpen, stNew}, []workflow.Transition[status]{ok}, `state "new" is declared twice`},
		{"unknown from", "t", []status{stNew, stOpen}, []workflow.Transition[status]{{From: []status{"bogus"}, To: stOpen}}, `starts from unknown state "bogus"`},
		{"unknown to", "t", []status{stNew, stOpen}, []workflow.Transition[status]{{Name: "x", From: []status{stNew}, To: "bogus"}}, `transition 0 (x) goes to unknown state "bogus"`},
		{"no from", "t", []status{stNew, stOpen}, []workflow.Transition[status]{{To: stOpen}}, "has no From state"},
		{"duplicate pair", "t", []status{stNew, stOpen, stClosed}, []workflow.Transition[status]{ok, {From: []status{stClosed, stNew}, To: stOpen}}, `transition 1 repeats "new" → "open", already declared by transition 0`},
		{"duplicate within from", "t", []status{stNew, stOpen}, []workflow.Transition[status]{{From: []status{stNew, stNew}, To: stOpen}}, `repeats "new" → "open"`},
		{"unknown role", "t", []status{stNew, stOpen}, []workflow.Transition[status]{{From: []status{stNew}, To: stOpen, Roles: []tenant.Role{"janitor"}}}, `unknown role "janitor"`},
		{"empty field", "t", []status{stNew, stOpen}, []workflow.Transition[status]{{From: []status{stNew}, To: stOpen, Required: []string{""}}}, "empty field name"},
		{"duplicate field", "t", []status{stNew, stOpen}, []workflow.Transition[status]{{From: []status{stNew}, To: stOpen, Required: []string{"reason", "reason"}}}, `field "reason" twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := workflow.New(tc.machine, tc.states, tc.transitions...)
			require.Nil(t, m)
			require.ErrorIs(t, err, workflow.ErrInvalidDeclaration)
			require.ErrorContains(t, err, tc.want)
		})
	}

	t.Run("reports every problem", func(t *testing.T) {
		t.Parallel()
		_, err := workflow.New("t", []status{stNew, stNew},
			workflow.Transition[status]{From: []status{"x"}, To: "y"})
		require.ErrorContains(t, err, "declared twice")
		require.ErrorContains(t, err, `unknown state "x"`)
		require.ErrorContains(t, err, `unknown state "y"`)
	})

	t.Run("same-state transition may be declared", func(t *testing.T) {
		t.Parallel()
		m, err := workflow.New("t", []status{stOpen}, workflow.Transition[status]{Name: "touch", From: []status{stOpen}, To: stOpen})
		require.NoError(t, err)
		require.NoError(t, m.Check(workflow.Attempt[status]{Actor: viewer, From: stOpen, To: stOpen}))
		require.False(t, m.Final(stOpen))
	})
}

func TestCheckIllegalTransitions(t *testing.T) {
	t.Parallel()
	m := ticketMachine(t)
	declared := map[[2]status]bool{}
	for _, tr := range m.Transitions() {
		for _, f := range tr.From {
			declared[[2]status{f, tr.To}] = true
		}
	}
	// Every pair not in the table is refused, for every role, same-state included.
	for _, from := range allStates() {
		for _, to := range allStates() {
			if declared[[2]status{from, to}] {
				continue
			}
			t.Run(fmt.Sprintf("%s→%s", from, to), func(t *testing.T) {
				t.Parallel()
				err := m.Check(workflow.Attempt[status]{Actor: platform, From: from, To: to})
				require.ErrorIs(t, err, workflow.ErrIllegalTransition)
				require.NotErrorIs(t, err, tenant.ErrForbidden)
				require.NotErrorIs(t, err, validation.ErrInvalid)
				var te *workflow.TransitionError
				require.ErrorAs(t, err, &te)
				require.Equal(t, workflow.ReasonNotDeclared, te.Reason)
				require.Equal(t, "ticket", te.Machine)
				require.Equal(t, string(from), te.From)
				require.Equal(t, string(to), te.To)
				require.NotNil(t, te.Allowed)
				want := []string{}
				for _, s := range m.Allowed(platform, from) {
					want = append(want, string(s))
				}
				require.Equal(t, want, te.Allowed)
			})
		}
	}

	t.Run("unknown states", func(t *testing.T) {
		t.Parallel()
		err := m.Check(workflow.Attempt[status]{Actor: admin, From: "bogus", To: stOpen})
		var te *workflow.TransitionError
		require.ErrorAs(t, err, &te)
		require.Equal(t, []string{}, te.Allowed)
		require.EqualError(t, err, `ticket: cannot move from "bogus" to "open" (no transition is allowed from there)`)
		require.ErrorIs(t, m.Check(workflow.Attempt[status]{Actor: admin, From: stOpen, To: "bogus"}), workflow.ErrIllegalTransition)
	})

	t.Run("message lists allowed targets", func(t *testing.T) {
		t.Parallel()
		err := m.Check(workflow.Attempt[status]{Actor: agent, From: stResolved, To: stNew})
		require.EqualError(t, err, `ticket: cannot move from "resolved" to "new" (allowed: open)`)
	})

	t.Run("a service's own rule is named and wrapped", func(t *testing.T) {
		t.Parallel()
		rule := errors.New("the reopen window has passed: open a new ticket")
		err := fmt.Errorf("update: %w", &workflow.TransitionError{Machine: "ticket", From: "resolved", To: "open",
			Reason: workflow.ReasonNotDeclared, Allowed: []string{"closed"}, Err: rule})
		require.EqualError(t, err, `update: ticket: cannot move from "resolved" to "open": the reopen window has passed: open a new ticket (allowed: closed)`)
		require.ErrorIs(t, err, rule)
		require.ErrorIs(t, err, workflow.ErrIllegalTransition)
		require.NotErrorIs(t, err, tenant.ErrForbidden)
	})
}

func TestCheckRoles(t *testing.T) {
	t.Parallel()
	m := ticketMachine(t)
	fields := map[string]any{"reason": "r", "resolution_note": "n", "assignee_id": 7}
	tests := []struct {
		actor    tenant.Actor
		from, to status
		allowed  bool
		want     []string // Allowed on refusal
	}{
		{admin, stResolved, stClosed, true, nil},
		{platform, stResolved, stClosed, true, nil}, // platform admin wherever admin is
		{agent, stResolved, stClosed, false, []string{"open"}},
		{requester, stResolved, stClosed, false, []string{"open"}},
		{viewer, stResolved, stClosed, false, []string{}},
		{requester, stNew, stOpen, false, []string{"cancelled"}},
		{requester, stNew, stCancelled, true, nil},
		{agent, stNew, stCancelled, false, []string{"open", "in_progress"}},
		{requester, stInProgress, stResolved, false, []string{}},
		{requester, stResolved, stOpen, true, nil},
		{viewer, stResolved, stOpen, false, []string{}},
		{platform, stInProgress, stResolved, true, nil}, // admin is listed, so platform admin is allowed too
		{agent, stInProgress, stResolved, true, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %s→%s", tc.actor.Role, tc.from, tc.to), func(t *testing.T) {
			t.Parallel()
			err := m.Check(workflow.Attempt[status]{Actor: tc.actor, From: tc.from, To: tc.to, Fields: fields})
			if tc.allowed {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, workflow.ErrIllegalTransition)
			require.ErrorIs(t, err, tenant.ErrForbidden)
			var te *workflow.TransitionError
			require.ErrorAs(t, err, &te)
			require.Equal(t, workflow.ReasonRole, te.Reason)
			require.Equal(t, tc.actor.Role, te.Role)
			require.Equal(t, tc.want, te.Allowed)
			require.NotEmpty(t, te.Name)
		})
	}

	t.Run("message", func(t *testing.T) {
		t.Parallel()
		err := m.Check(workflow.Attempt[status]{Actor: agent, From: stResolved, To: stClosed})
		require.EqualError(t, err, `ticket: role "agent" may not move from "resolved" to "closed" (allowed: open)`)
	})

	t.Run("empty roles allow everyone", func(t *testing.T) {
		t.Parallel()
		m, err := workflow.New("t", []status{stNew, stOpen}, workflow.Transition[status]{From: []status{stNew}, To: stOpen})
		require.NoError(t, err)
		for _, r := range tenant.Roles() {
			require.NoError(t, m.Check(workflow.Attempt[status]{Actor: tenant.Actor{Role: r}, From: stNew, To: stOpen}))
		}
	})
}

type stamp struct{ t time.Time }

func (s stamp) IsZero() bool { return s.t.IsZero() }

func TestCheckRequiredFields(t *testing.T) {
	t.Parallel()
	m := ticketMachine(t)
	blank := "   "
	note := "fixed"
	tests := []struct {
		name    string
		value   any
		absent  bool
		missing bool
	}{
		{"absent", nil, true, true},
		{"nil", nil, false, true},
		{"empty string", "", false, true},
		{"whitespace string", " \t\n", false, true},
		{"string", "fixed the printer", false, false},
		{"zero int", 0, false, true},
		{"int", 42, false, false},
		{"zero int64", int64(0), false, true},
		{"zero float", 0.0, false, true},
		{"false", false, false, true},
		{"zero time", time.Time{}, false, true},
		{"time", time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), false, false},
		{"empty slice", []string{}, false, true},
		{"nil slice", []int(nil), false, true},
		{"slice", []string{"a"}, false, false},
		{"empty map", map[string]any{}, false, true},
		{"nil pointer", (*string)(nil), false, true},
		{"pointer to blank", &blank, false, true},
		{"pointer to text", &note, false, false},
		{"named string type", status(" "), false, true},
		{"named int type", tenant.ContactID(0), false, true},
		{"named int type set", tenant.ContactID(9), false, false},
		{"IsZero method zero", stamp{}, false, true},
		{"IsZero method set", stamp{time.Now()}, false, false},
		{"nil IsZero pointer", (*time.Time)(nil), false, true},
		{"zero struct", struct{ A int }{}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fields := map[string]any{"other": "x"}
			if !tc.absent {
				fields["resolution_note"] = tc.value
			}
			err := m.Check(workflow.Attempt[status]{Actor: agent, From: stInProgress, To: stResolved, Fields: fields})
			if !tc.missing {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, validation.ErrInvalid)
			require.NotErrorIs(t, err, workflow.ErrIllegalTransition)
			var ve *validation.Error
			require.ErrorAs(t, err, &ve)
			require.Equal(t, []validation.FieldError{
				{Field: "resolution_note", Message: "is required to move from in_progress to resolved"},
			}, ve.Fields)
		})
	}

	t.Run("names every missing field", func(t *testing.T) {
		t.Parallel()
		m, err := workflow.New("order", []status{"scheduled", "in_progress"},
			workflow.Transition[status]{From: []status{"scheduled"}, To: "in_progress", Required: []string{"technician_id", "apr_number", "started_at"}})
		require.NoError(t, err)
		err = m.Check(workflow.Attempt[status]{Actor: agent, From: "scheduled", To: "in_progress", Fields: map[string]any{"apr_number": "APR-1"}})
		var ve *validation.Error
		require.ErrorAs(t, err, &ve)
		require.Len(t, ve.Fields, 2)
		require.True(t, ve.Has("technician_id"))
		require.True(t, ve.Has("started_at"))
		require.False(t, ve.Has("apr_number"))
	})

	t.Run("role is checked before fields", func(t *testing.T) {
		t.Parallel()
		err := m.Check(workflow.Attempt[status]{Actor: requester, From: stInProgress, To: stResolved})
		require.ErrorIs(t, err, tenant.ErrForbidden)
	})
}

func TestCheckGuard(t *testing.T) {
	t.Parallel()
	m := ticketMachine(t)
	tests := []struct {
		name   string
		fields map[string]any
		err    error
	}{
		{"no csat", nil, nil},
		{"good csat", map[string]any{"csat": 5}, nil},
		{"bad csat", map[string]any{"csat": 9}, errBadCSAT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := m.Check(workflow.Attempt[status]{Actor: admin, From: stResolved, To: stClosed, Fields: tc.fields})
			if tc.err == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.err)
			require.NotErrorIs(t, err, workflow.ErrIllegalTransition)
			require.EqualError(t, err, `ticket: moving from "resolved" to "closed": csat must be between 1 and 5`)
		})
	}

	t.Run("guard runs after required fields", func(t *testing.T) {
		t.Parallel()
		called := false
		m, err := workflow.New("t", []status{stNew, stOpen}, workflow.Transition[status]{
			From: []status{stNew}, To: stOpen, Required: []string{"reason"},
			Guard: func(workflow.Attempt[status]) error { called = true; return nil },
		})
		require.NoError(t, err)
		require.ErrorIs(t, m.Check(workflow.Attempt[status]{Actor: admin, From: stNew, To: stOpen}), validation.ErrInvalid)
		require.False(t, called)
		require.NoError(t, m.Check(workflow.Attempt[status]{Actor: admin, From: stNew, To: stOpen, Fields: map[string]any{"reason": "x"}}))
		require.True(t, called)
	})
}

func TestAllowed(t *testing.T) {
	t.Parallel()
	m := ticketMachine(t)
	staff := map[status][]status{
		stNew:        {stOpen, stInProgress},
		stOpen:       {stInProgress},
		stInProgress: {stPendCust, stPendThird, stResolved},
		stPendCust:   {stInProgress},
		stPendThird:  {stInProgress},
		stResolved:   {stOpen},
	}
	adminWant := map[status][]status{
		stNew:        {stOpen, stInProgress, stCancelled},
		stOpen:       {stInProgress, stCancelled},
		stInProgress: {stPendCust, stPendThird, stResolved},
		stPendCust:   {stInProgress},
		stPendThird:  {stInProgress},
		stResolved:   {stOpen, stClosed},
	}
	tests := []struct {
		actor tenant.Actor
		want  map[status][]status
	}{
		{platform, adminWant},
		{admin, adminWant},
		{agent, staff},
		{requester, map[status][]status{stNew: {stCancelled}, stOpen: {stCancelled}, stResolved: {stOpen}}},
		{viewer, map[status][]status{}},
	}
	for _, tc := range tests {
		t.Run(string(tc.actor.Role), func(t *testing.T) {
			t.Parallel()
			for _, from := range append(allStates(), "bogus") {
				require.Equal(t, tc.want[from], m.Allowed(tc.actor, from), "from %s", from)
				var got []status
				for _, tr := range m.AllowedTransitions(tc.actor, from) {
					require.Equal(t, []status{from}, tr.From)
					got = append(got, tr.To)
				}
				require.Equal(t, tc.want[from], got, "from %s", from)
			}
		})
	}

	t.Run("next actions carry names and required fields", func(t *testing.T) {
		t.Parallel()
		got := m.AllowedTransitions(agent, stInProgress)
		require.Len(t, got, 3)
		require.Equal(t, "wait_customer", got[0].Name)
		require.Equal(t, []string{"reason"}, got[0].Required)
		require.Equal(t, "resolve", got[2].Name)
		require.Equal(t, []string{"resolution_note"}, got[2].Required)
		// The result is a copy.
		got[2].Required[0] = "changed"
		require.Equal(t, []string{"resolution_note"}, m.AllowedTransitions(agent, stInProgress)[2].Required)
	})
}

func TestApplyHooks(t *testing.T) {
	t.Parallel()
	type ctxKey struct{}
	ok := workflow.Attempt[status]{Actor: agent, From: stInProgress, To: stResolved, Fields: map[string]any{"resolution_note": "done"}}
	errHook := errors.New("outbox full")

	t.Run("run in order with the caller's context", func(t *testing.T) {
		t.Parallel()
		m := ticketMachine(t)
		var calls []string
		for _, name := range []string{"first", "second", "third"} {
			m.OnTransition(func(ctx context.Context, a workflow.Attempt[status]) error {
				require.Equal(t, "tx", ctx.Value(ctxKey{}))
				require.Equal(t, ok.To, a.To)
				calls = append(calls, name)
				return nil
			})
		}
		m.OnTransition(nil) // ignored
		ctx := context.WithValue(t.Context(), ctxKey{}, "tx")
		require.NoError(t, m.Apply(ctx, ok))
		require.Equal(t, []string{"first", "second", "third"}, calls)
	})

	t.Run("stop at the first error", func(t *testing.T) {
		t.Parallel()
		m := ticketMachine(t)
		var calls []string
		m.OnTransition(func(context.Context, workflow.Attempt[status]) error { calls = append(calls, "a"); return nil })
		m.OnTransition(func(context.Context, workflow.Attempt[status]) error { calls = append(calls, "b"); return errHook })
		m.OnTransition(func(context.Context, workflow.Attempt[status]) error { calls = append(calls, "c"); return nil })
		err := m.Apply(t.Context(), ok)
		require.ErrorIs(t, err, errHook)
		require.EqualError(t, err, `ticket: hook 1 after moving from "in_progress" to "resolved": outbox full`)
		require.Equal(t, []string{"a", "b"}, calls)
	})

	t.Run("refused attempts run no hook", func(t *testing.T) {
		t.Parallel()
		m := ticketMachine(t)
		called := false
		m.OnTransition(func(context.Context, workflow.Attempt[status]) error { called = true; return nil })
		for _, a := range []workflow.Attempt[status]{
			{Actor: agent, From: stClosed, To: stOpen},
			{Actor: requester, From: stInProgress, To: stResolved},
			{Actor: agent, From: stInProgress, To: stResolved},
			{Actor: admin, From: stResolved, To: stClosed, Fields: map[string]any{"csat": 0}},
		} {
			require.Error(t, m.Apply(t.Context(), a))
		}
		require.False(t, called)
	})

	t.Run("registration is safe alongside Apply", func(t *testing.T) {
		t.Parallel()
		m := ticketMachine(t)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				m.OnTransition(func(context.Context, workflow.Attempt[status]) error { return nil })
				errs[i] = m.Apply(t.Context(), ok)
			})
		}
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
	})
}

func TestMachineInfo(t *testing.T) {
	t.Parallel()
	m := ticketMachine(t)
	require.Equal(t, "ticket", m.Name())
	require.Equal(t, allStates(), m.States())
	m.States()[0] = "changed"
	require.Equal(t, stNew, m.States()[0])

	for _, s := range allStates() {
		require.True(t, m.Valid(s))
		require.Equal(t, s == stClosed || s == stCancelled, m.Final(s), "state %s", s)
	}
	require.False(t, m.Valid("bogus"))
	require.False(t, m.Final("bogus"))

	tr, ok := m.Lookup(stPendThird, stInProgress)
	require.True(t, ok)
	require.Equal(t, "resume", tr.Name)
	require.Equal(t, []status{stPendThird}, tr.From)
	_, ok = m.Lookup(stClosed, stOpen)
	require.False(t, ok)
	require.Len(t, m.Transitions(), 9)
}

func TestDeclarationIsCopied(t *testing.T) {
	t.Parallel()
	states := []status{stNew, stOpen}
	tr := workflow.Transition[status]{From: []status{stNew}, To: stOpen, Roles: []tenant.Role{tenant.RoleAgent}, Required: []string{"reason"}}
	m, err := workflow.New("t", states, tr)
	require.NoError(t, err)
	states[0] = "changed"
	tr.From[0] = stOpen
	tr.Roles[0] = tenant.RoleViewer
	tr.Required[0] = "other"
	require.Equal(t, []status{stNew, stOpen}, m.States())
	require.Equal(t, []status{stOpen}, m.Allowed(agent, stNew))
	require.Empty(t, m.Allowed(viewer, stNew))
	err = m.Check(workflow.Attempt[status]{Actor: agent, From: stNew, To: stOpen})
	var ve *validation.Error
	require.ErrorAs(t, err, &ve)
	require.True(t, ve.Has("reason"))
}
