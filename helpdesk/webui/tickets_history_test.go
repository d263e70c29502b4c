package webui_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/tickets"
)

// TestTicketDetailShowsHistory shows the recorded changes of a ticket on
// its page, in the person's language and the company's timezone, with
// internal notes for staff only.
func TestTicketDetailShowsHistory(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 7, 1, 15, 4, 0, 0, time.UTC)} // 12:04 in São Paulo
	f := newFixture(t, fixtureOptions{clock: clk})
	ctx := t.Context()
	d, err := f.desk.Tickets.Create(ctx, f.requester.actor(), tickets.CreateInput{Title: "Impressora"})
	require.NoError(t, err)
	id := strconv.FormatInt(d.Ticket.ID, 10)
	_, err = f.desk.Tickets.AddComment(ctx, f.agent.actor(), d.Ticket.ID, "olhar o toner", true)
	require.NoError(t, err)
	clk.Advance(time.Hour)

	cl := f.client(t)
	cl.signIn(f.agent)
	resp := cl.post("/tickets/"+id+"/transition", url.Values{"status": {"open"}, "version": {strconv.FormatInt(d.Ticket.Version, 10)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	got, err := f.desk.Tickets.Get(ctx, f.agent.actor(), d.Ticket.ID)
	require.NoError(t, err)
	resp = cl.post("/tickets/"+id+"/edit", url.Values{"title": {"Impressora"}, "priority": {"high"},
		"version": {strconv.FormatInt(got.Ticket.Version, 10)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	html := body(t, cl.get("/tickets/"+id))
	for _, want := range []string{
		"<strong>Aberto</strong>",
		"01/07/2026 12:04",
		"<strong>Situação: Novo → Aberto</strong>",
		"01/07/2026 13:04",
		"<strong>Campo alterado: Prioridade</strong>: <span>Média → Alta</span>",
		"Nota interna</strong>",
	} {
		require.Contains(t, html, want)
	}
	requester := f.client(t)
	requester.signIn(f.requester)
	html = body(t, requester.get("/tickets/"+id))
	require.Contains(t, html, "<strong>Situação: Novo → Aberto</strong>")
	require.NotContains(t, html, "Nota interna</strong>", "requesters never see internal notes")
}
