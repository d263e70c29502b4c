package tickets

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

func TestTicketTransitions(t *testing.T) {
	t.Parallel()
	m, err := newMachine()
	require.NoError(t, err)
	agent := tenant.Actor{CompanyID: 1, Role: tenant.RoleAgent}
	requester := tenant.Actor{CompanyID: 1, Role: tenant.RoleRequester, ContactID: 3}
	viewer := tenant.Actor{CompanyID: 1, Role: tenant.RoleViewer}
	note := map[string]any{"resolution_note": "replaced the toner"}
	reason := map[string]any{"reason": "duplicate"}
	tests := []struct {
		actor    tenant.Actor
		from, to Status
		fields   map[string]any
		ok       bool
	}{
		{agent, StatusNew, StatusOpen, nil, true},
		{agent, StatusOpen, StatusInProgress, nil, true},
		{agent, StatusInProgress, StatusPendingCustomer, nil, true},
		{agent, StatusPendingCustomer, StatusPendingThirdParty, nil, true},
		{agent, StatusInProgress, StatusResolved, note, true},
		{agent, StatusInProgress, StatusResolved, nil, false},
		{agent, StatusOpen, StatusCancelled, reason, true},
		{agent, StatusOpen, StatusCancelled, nil, false},
		{agent, StatusResolved, StatusClosed, nil, true},
		{agent, StatusResolved, StatusOpen, nil, true},
		{agent, StatusClosed, StatusOpen, nil, false},
		{agent, StatusCancelled, StatusOpen, nil, false},
		{agent, StatusNew, StatusClosed, nil, false},
		{requester, StatusNew, StatusCancelled, reason, true},
		{requester, StatusNew, StatusOpen, nil, false},
		{requester, StatusInProgress, StatusResolved, note, false},
		{requester, StatusResolved, StatusClosed, nil, true},
		{requester, StatusResolved, StatusOpen, nil, true},
		{viewer, StatusResolved, StatusClosed, nil, false},
	}
	for _, tc := range tests {
		err := m.Check(workflow.Attempt[Status]{Actor: tc.actor, From: tc.from, To: tc.to, Fields: tc.fields})
		if tc.ok {
			require.NoError(t, err, "%s %s → %s", tc.actor.Role, tc.from, tc.to)
		} else {
			require.Error(t, err, "%s %s → %s", tc.actor.Role, tc.from, tc.to)
		}
	}
	require.True(t, m.Final(StatusClosed))
	require.True(t, m.Final(StatusCancelled))
	require.Empty(t, m.Allowed(agent, StatusClosed))
}

func TestTransitionSideEffects(t *testing.T) {
	t.Parallel()
	s, err := NewService(nil)
	require.NoError(t, err)
	t0 := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	agent := tenant.Actor{CompanyID: 1, Role: tenant.RoleAgent}
	tk := Ticket{Status: StatusInProgress, CreatedAt: t0}

	require.NoError(t, s.transition(&tk, agent, StatusPendingCustomer, Patch{}, t0.Add(time.Hour)))
	require.Equal(t, []sla.Pause{{From: t0.Add(time.Hour)}}, tk.Pauses)
	require.NoError(t, s.transition(&tk, agent, StatusInProgress, Patch{}, t0.Add(3*time.Hour)))
	require.Equal(t, t0.Add(3*time.Hour), tk.Pauses[0].To, "leaving pending closes the pause")

	err = s.transition(&tk, agent, StatusResolved, Patch{ResolutionNote: " "}, t0.Add(4*time.Hour))
	var ve *validation.Error
	require.ErrorAs(t, err, &ve)
	require.True(t, ve.Has("resolution_note"))
	require.NoError(t, s.transition(&tk, agent, StatusResolved, Patch{ResolutionNote: "done"}, t0.Add(4*time.Hour)))
	require.Equal(t, t0.Add(4*time.Hour), tk.ResolvedAt)

	s.now = func() time.Time { return t0.Add(5 * time.Hour) }
	require.NoError(t, s.transition(&tk, agent, StatusOpen, Patch{}, t0.Add(5*time.Hour)))
	require.Equal(t, 1, tk.ReopenCount)
	require.True(t, tk.ResolvedAt.IsZero())
	require.Equal(t, t0.Add(4*time.Hour), tk.FirstResponseAt, "the resolution counted as the first response")
	require.Equal(t, sla.Pause{From: t0.Add(4 * time.Hour), To: t0.Add(5 * time.Hour)}, tk.Pauses[1], "time spent resolved is a pause")

	// Outside the reopen window a resolved ticket only closes.
	require.NoError(t, s.transition(&tk, agent, StatusResolved, Patch{ResolutionNote: "again"}, t0.Add(6*time.Hour)))
	s.now = func() time.Time { return t0.Add(6*time.Hour + DefaultReopenWindow + time.Minute) }
	err = s.transition(&tk, agent, StatusOpen, Patch{}, s.now())
	require.ErrorIs(t, err, workflow.ErrIllegalTransition)
	require.ErrorIs(t, err, ErrReopenWindowPassed)
	require.ErrorContains(t, err, "the reopen window has passed: open a new ticket", "the refusal says why and what to do")

	// Requesters act on their own tickets only.
	other := tenant.Actor{CompanyID: 1, Role: tenant.RoleRequester, ContactID: 99}
	tk2 := Ticket{Status: StatusNew, RequesterContactID: 3}
	require.ErrorIs(t, s.transition(&tk2, other, StatusCancelled, Patch{Reason: "x"}, t0), tenant.ErrForbidden)
}

func TestWorstState(t *testing.T) {
	t.Parallel()
	r := func(a, b sla.State) sla.Result {
		return sla.Result{FirstResponse: sla.Status{State: a}, Resolution: sla.Status{State: b}}
	}
	require.Equal(t, sla.StateBreached, r(sla.StateMet, sla.StateBreached).Worst())
	require.Equal(t, sla.StateAtRisk, r(sla.StateAtRisk, sla.StateOnTrack).Worst())
	require.Equal(t, sla.StatePaused, r(sla.StateMet, sla.StatePaused).Worst())
	require.Equal(t, sla.StateMet, r(sla.StateMet, sla.StateMet).Worst())
}

func TestBusinessHoursAgo(t *testing.T) {
	t.Parallel()
	cal, _ := DefaultSLAConfig()(directoryCompany("America/Sao_Paulo"))
	// Monday 2026-07-06 10:00 in São Paulo: 8 business hours back is the
	// previous Friday 12:00 (Friday 12–18 is 6 h, Monday 08–10 is 2 h).
	loc := cal.Location()
	now := time.Date(2026, 7, 6, 10, 0, 0, 0, loc)
	got := businessHoursAgo(cal, now, 8*time.Hour)
	require.WithinDuration(t, time.Date(2026, 7, 3, 12, 0, 0, 0, loc), got, time.Minute)
}

func TestCleanTags(t *testing.T) {
	t.Parallel()
	var b validation.Builder
	require.Equal(t, []string{"printer", "urgent"}, cleanTags(&b, []string{" Printer", "urgent", "PRINTER", ""}))
	require.NoError(t, b.Err())
	many := make([]string, MaxTags+1)
	for i := range many {
		many[i] = string(rune('a' + i))
	}
	cleanTags(&b, many)
	require.Error(t, b.Err())
}

func BenchmarkDefaultSLAConfig(b *testing.B) {
	cfg := DefaultSLAConfig()
	c := directoryCompany("America/Sao_Paulo")
	for b.Loop() {
		cfg(c)
	}
}

func TestCleanTagsRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	for _, tag := range []string{"a\x00b", "x\x1b", "bad\xff"} {
		var b validation.Builder
		cleanTags(&b, []string{"ok", tag})
		var verr *validation.Error
		require.ErrorAs(t, b.Err(), &verr, "%q", tag)
		require.True(t, verr.Has("tags"))
	}
}
