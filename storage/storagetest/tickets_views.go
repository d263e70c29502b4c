package storagetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

func viewNames(vs []tickets.SavedView) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}

// testTicketsSavedViews keeps each user's views apart, in order, with
// unique names and a bound; bad input changes nothing; another user's or
// company's view is not found.
func testTicketsSavedViews(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	views := func(actor tenant.Actor) []tickets.SavedView {
		t.Helper()
		vs, err := f.svc.Views(ctx(t), actor)
		require.NoError(t, err)
		return vs
	}
	crit, err := f.svc.SaveView(ctx(t), f.agent, " Críticos ", "priority=critical")
	require.NoError(t, err)
	require.Equal(t, tickets.SavedView{ID: crit.ID, CompanyID: f.co.ID, UserID: f.agent.UserID, Name: "Críticos",
		Query: "priority=critical", Position: 1, CreatedAt: at}, crit)
	mine, err := f.svc.SaveView(ctx(t), f.agent, "Meus", "assignee=me")
	require.NoError(t, err)
	// The same name replaces the query and keeps the place.
	again, err := f.svc.SaveView(ctx(t), f.agent, "Críticos", "priority=critical&status=open")
	require.NoError(t, err)
	require.Equal(t, crit.ID, again.ID)
	require.Equal(t, []tickets.SavedView{again, mine}, views(f.agent))
	require.Equal(t, "priority=critical&status=open", views(f.agent)[0].Query)

	// Bad input is refused, precisely, and changes nothing.
	for _, tc := range []struct{ name, query, field string }{
		{"", "x=1", "name"},
		{"   ", "x=1", "name"},
		{strings.Repeat("a", tickets.MaxViewNameLength+1), "", "name"},
		{"ok", strings.Repeat("q", tickets.MaxViewQueryLength+1), "query"},
		{"nul\x00", "", "name"},
	} {
		_, err := f.svc.SaveView(ctx(t), f.agent, tc.name, tc.query)
		requireField(t, err, tc.field)
	}
	_, err = f.svc.RenameView(ctx(t), f.agent, mine.ID, "Críticos")
	requireField(t, err, "name")
	_, err = f.svc.RenameView(ctx(t), f.agent, mine.ID, "")
	requireField(t, err, "name")
	require.Equal(t, []string{"Críticos", "Meus"}, viewNames(views(f.agent)))

	renamed, err := f.svc.RenameView(ctx(t), f.agent, mine.ID, "Meus chamados")
	require.NoError(t, err)
	require.Equal(t, mine.Position, renamed.Position)
	require.Equal(t, []string{"Críticos", "Meus chamados"}, viewNames(views(f.agent)))

	// Other people's and companies' views do not exist for the agent, and
	// the same names are theirs to use.
	_, err = f.svc.SaveView(ctx(t), f.agent2, "Críticos", "priority=critical")
	require.NoError(t, err)
	theirs, err := other.svc.SaveView(ctx(t), other.agent, "Críticos", "")
	require.NoError(t, err)
	require.Equal(t, []string{"Críticos"}, viewNames(views(f.agent2)))
	for name, err := range map[string]error{
		"rename another user's":    func() error { _, err := f.svc.RenameView(ctx(t), f.agent2, mine.ID, "x"); return err }(),
		"delete another user's":    f.svc.DeleteView(ctx(t), f.agent2, mine.ID),
		"delete another company's": f.svc.DeleteView(ctx(t), f.agent, theirs.ID),
		"rename a missing one":     func() error { _, err := f.svc.RenameView(ctx(t), f.agent, theirs.ID+100, "x"); return err }(),
	} {
		require.ErrorIs(t, err, storage.ErrNotFound, name)
	}
	require.Len(t, views(f.agent), 2)
	require.Len(t, func() []tickets.SavedView { vs, _ := other.svc.Views(ctx(t), other.agent); return vs }(), 1)

	// Requesters keep views of their own tickets; an actor without a user
	// (an API token) keeps none.
	_, err = f.svc.SaveView(ctx(t), f.req, "Abertos", "status=open")
	require.NoError(t, err)
	_, err = f.svc.Views(ctx(t), tenant.Actor{CompanyID: f.co.ID, Role: tenant.RoleAgent})
	require.ErrorIs(t, err, tenant.ErrForbidden)

	// The bound.
	for i := len(views(f.agent)); i < tickets.MaxSavedViews; i++ {
		_, err := f.svc.SaveView(ctx(t), f.agent, "v"+string(rune('a'+i)), "")
		require.NoError(t, err)
	}
	_, err = f.svc.SaveView(ctx(t), f.agent, "one too many", "")
	requireField(t, err, "name")
	_, err = f.svc.SaveView(ctx(t), f.agent, "Críticos", "priority=high")
	require.NoError(t, err, "replacing a view is no new view")
	require.NoError(t, f.svc.DeleteView(ctx(t), f.agent, crit.ID))
	vs := views(f.agent)
	require.Len(t, vs, tickets.MaxSavedViews-1)
	require.Equal(t, "Meus chamados", vs[0].Name)
	last, err := f.svc.SaveView(ctx(t), f.agent, "last", "")
	require.NoError(t, err)
	require.Equal(t, vs[len(vs)-1].Position+1, last.Position, "a new view goes last")

	// A duplicate name straight into the store is a conflict.
	dup := tickets.SavedView{CompanyID: f.co.ID, UserID: f.agent.UserID, Name: "last", Position: 99, CreatedAt: at}
	err = b.Tickets().InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error { return tx.InsertView(ctx, &dup) })
	require.ErrorIs(t, err, storage.ErrConflict)
}

// testTicketsPresence records, refreshes, expires and removes the viewers
// of a ticket, per company.
func testTicketsPresence(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	tk := f.create(t, tickets.CreateInput{Title: "Aberto por muitos"})
	names := func() []string {
		t.Helper()
		vs, err := f.svc.Viewers(ctx(t), f.agent, tk.ID)
		require.NoError(t, err)
		out := []string{}
		for _, v := range vs {
			out = append(out, v.Name)
		}
		return out
	}
	require.Empty(t, names())
	require.NoError(t, f.svc.Viewing(ctx(t), f.agent, tk.ID, "s1", "Beto", 30*time.Second))
	require.NoError(t, f.svc.Viewing(ctx(t), f.agent2, tk.ID, "s2", "Ana", 10*time.Second))
	require.NoError(t, f.svc.Viewing(ctx(t), f.req, tk.ID, "s3", "Rita", 10*time.Second), "a requester on their own ticket")
	require.Equal(t, []string{"Ana", "Beto", "Rita"}, names())
	vs, err := f.svc.Viewers(ctx(t), f.agent, tk.ID)
	require.NoError(t, err)
	require.Equal(t, tickets.Viewer{CompanyID: f.co.ID, TicketID: tk.ID, Session: "s2", UserID: f.agent2.UserID, Name: "Ana",
		ExpiresAt: at.Add(10 * time.Second).Truncate(time.Millisecond)}, vs[0])

	f.clock.Advance(10 * time.Second) // Ana and Rita expire
	require.Equal(t, []string{"Beto"}, names())
	require.NoError(t, f.svc.Viewing(ctx(t), f.agent2, tk.ID, "s2", "Ana", 10*time.Second), "a refresh brings Ana back")
	require.NoError(t, f.svc.Viewing(ctx(t), f.agent, tk.ID, "s1", "Beto B.", 30*time.Second), "a refresh replaces")
	require.Equal(t, []string{"Ana", "Beto B."}, names())
	require.NoError(t, f.svc.StopViewing(ctx(t), f.agent, tk.ID, "s1"))
	require.NoError(t, f.svc.StopViewing(ctx(t), f.agent, tk.ID, "s1"), "removing twice is no error")
	require.Equal(t, []string{"Ana"}, names())

	// Another company sees nothing and records nothing on this ticket;
	// requesters see no one; bad input is refused.
	vs, err = b.Tickets().TicketViewers(ctx(t), other.co.ID, tk.ID, f.clock.Now())
	require.NoError(t, err)
	require.Empty(t, vs)
	require.ErrorIs(t, other.svc.Viewing(ctx(t), other.agent, tk.ID, "x", "X", time.Minute), storage.ErrNotFound)
	require.ErrorIs(t, f.svc.Viewing(ctx(t), f.req2, tk.ID, "x", "X", time.Minute), storage.ErrNotFound)
	_, err = f.svc.Viewers(ctx(t), f.req, tk.ID)
	require.ErrorIs(t, err, tenant.ErrForbidden)
	requireField(t, f.svc.Viewing(ctx(t), f.agent, tk.ID, "", "X", time.Minute), "session")
	requireField(t, f.svc.Viewing(ctx(t), f.agent, tk.ID, "s", "X", 0), "ttl")
	require.Equal(t, []string{"Ana"}, names())
}
