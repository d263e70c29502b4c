package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// histStep is the part of a history entry a case compares.
type histStep struct {
	action, field, from, to, note string
	actor                         tenant.UserID
	internal                      bool
}

func histSteps(es []tickets.HistoryEntry) []histStep {
	out := make([]histStep, len(es))
	for i, e := range es {
		out[i] = histStep{e.Action, e.Field, e.From, e.To, e.Note, e.ActorUserID, e.Internal}
	}
	return out
}

// walkHistory reads a ticket's whole history as actor, limit entries a page.
func (f tkFixture) walkHistory(t *testing.T, actor tenant.Actor, id int64, limit int) []tickets.HistoryEntry {
	t.Helper()
	var out []tickets.HistoryEntry
	p := storage.PageRequest{Limit: limit}
	for {
		page, err := f.svc.History(ctx(t), actor, id, p)
		require.NoError(t, err)
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		require.Len(t, page.Items, limit, "pages are full except the last")
		p.Cursor = page.NextCursor
	}
}

// testTicketsHistory records one entry per change, in the change's unit of
// work, with its actor and time; a refused change records nothing;
// requesters see their own tickets' history without internal notes; other
// companies' tickets do not exist.
func testTicketsHistory(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	asset := f.asset(t)
	tk := f.create(t, tickets.CreateInput{Title: "Impressora", Priority: sla.PriorityCritical, Tags: []string{"b", "a"}})
	f.clock.Advance(time.Minute)
	f.update(t, f.agent, tk.ID, tickets.Patch{Title: ptr("Impressora parada"), Priority: ptr(sla.PriorityHigh),
		Category: ptr("hardware"), Tags: ptr([]string{"a"}), AssetID: ptr(asset.ID), Status: ptr(tickets.StatusInProgress)})
	// Refusals record nothing.
	_, err := f.svc.Update(ctx(t), f.agent, tk.ID, tickets.Patch{Title: ptr("")})
	requireField(t, err, "title")
	_, err = f.svc.Update(ctx(t), f.agent, tk.ID, tickets.Patch{Status: ptr(tickets.StatusResolved)})
	require.Error(t, err)
	// No change, no entry.
	f.update(t, f.agent, tk.ID, tickets.Patch{Title: ptr("Impressora parada")})
	_, err = f.svc.Assign(ctx(t), f.agent, tk.ID, f.agent2.UserID, 0)
	require.NoError(t, err)
	_, err = f.svc.Assign(ctx(t), f.admin, tk.ID, 0, 0)
	require.NoError(t, err)
	note, err := f.svc.AddComment(ctx(t), f.agent, tk.ID, "toner vazio", true)
	require.NoError(t, err)
	reply, err := f.svc.AddComment(ctx(t), f.agent, tk.ID, "trocando o toner", false)
	require.NoError(t, err)
	f.clock.Advance(30 * time.Hour) // resolution (24h for high) breached
	_, err = f.svc.CheckSLA(ctx(t))
	require.NoError(t, err)
	f.update(t, f.agent, tk.ID, tickets.Patch{Status: ptr(tickets.StatusResolved), ResolutionNote: "toner trocado"})
	f.update(t, f.req, tk.ID, tickets.Patch{Status: ptr(tickets.StatusClosed)})

	resolutionDue := f.stored(t, tk.ID).ResolutionDueAt.Format(time.RFC3339)
	agent, agent2, req := f.agent.UserID, f.agent2.UserID, f.req.UserID
	all := []histStep{
		{action: "created", field: "status", to: "new", actor: agent},
		{action: "updated", field: "title", from: "Impressora", to: "Impressora parada", actor: agent},
		{action: "updated", field: "priority", from: "critical", to: "high", actor: agent},
		{action: "updated", field: "category", to: "hardware", actor: agent},
		{action: "updated", field: "tags", from: "b, a", to: "a", actor: agent},
		{action: "updated", field: "asset_id", to: fmt.Sprint(asset.ID), actor: agent},
		{action: "status_changed", field: "status", from: "new", to: "in_progress", actor: agent},
		{action: "assigned", field: "assignee_user_id", to: fmt.Sprint(agent2), actor: agent},
		{action: "unassigned", field: "assignee_user_id", from: fmt.Sprint(agent2), actor: f.admin.UserID},
		{action: "commented", field: "comment", to: fmt.Sprint(note.ID), actor: agent, internal: true},
		{action: "commented", field: "comment", to: fmt.Sprint(reply.ID), actor: agent},
		{action: "sla_breached", field: "resolution", to: resolutionDue},
		{action: "status_changed", field: "status", from: "in_progress", to: "resolved", note: "toner trocado", actor: agent},
		{action: "status_changed", field: "status", from: "resolved", to: "closed", actor: req},
	}
	got := f.walkHistory(t, f.agent, tk.ID, 3)
	require.Equal(t, all, histSteps(got))
	require.Equal(t, at, got[0].At, "entries carry the time of the change")
	require.Equal(t, at.Add(time.Minute), got[1].At)
	for _, e := range got {
		require.Equal(t, f.co.ID, e.CompanyID)
		require.Equal(t, tk.ID, e.TicketID)
	}
	viewer := f.person(t, "viewer", tenant.RoleViewer)
	require.Equal(t, all, histSteps(f.walkHistory(t, viewer, tk.ID, 50)), "staff who read see internal entries")

	var public []histStep
	for _, s := range all {
		if !s.internal {
			public = append(public, s)
		}
	}
	require.Equal(t, public, histSteps(f.walkHistory(t, f.req, tk.ID, 2)), "requesters never see internal entries")

	for name, try := range map[string]func() error{
		"another requester": func() error { _, err := f.svc.History(ctx(t), f.req2, tk.ID, storage.PageRequest{}); return err },
		"another company": func() error {
			_, err := other.svc.History(ctx(t), other.admin, tk.ID, storage.PageRequest{})
			return err
		},
		"a missing ticket": func() error { _, err := f.svc.History(ctx(t), f.admin, tk.ID+1000, storage.PageRequest{}); return err },
		"the store, another company": func() error {
			_, err := b.Tickets().TicketHistory(ctx(t), other.co.ID, tk.ID, true, storage.PageRequest{})
			return err
		},
	} {
		require.ErrorIs(t, try(), storage.ErrNotFound, name)
	}
	_, err = f.svc.History(ctx(t), f.agent, tk.ID, storage.PageRequest{Cursor: "%%%"})
	require.ErrorIs(t, err, storage.ErrBadCursor)
	_, err = f.svc.History(ctx(t), tenant.Actor{Role: tenant.RoleAgent}, tk.ID, storage.PageRequest{})
	require.ErrorIs(t, err, tenant.ErrNoCompany)

	// Another company's ticket has its own history only.
	theirs := other.create(t, tickets.CreateInput{Title: "Deles"})
	require.Len(t, other.walkHistory(t, other.agent, theirs.ID, 50), 1)
}
