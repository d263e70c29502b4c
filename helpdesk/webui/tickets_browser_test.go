package webui_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// TestBrowserTicketLifecycle opens a ticket as an agent on behalf of a
// requester, replies, adds an internal note, and moves it through
// new → in_progress → pending_customer → in_progress → resolved → closed
// with the buttons; the requester sees the reply and never the note.
func TestBrowserTicketLifecycle(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := newBrowser(t)
	agent := b.tab("agent", f.srv.URL)
	agent.signIn(f.agent)

	agent.visit("/tickets/new", "new-ticket")
	agent.submit("form[method=post][action$='/tickets/new'] button[type=submit]")
	agent.check("new-ticket-refused")
	require.Contains(t, agent.text("#title-error"), "obrigatório")
	agent.setValue("#requester", itoa(int64(f.requester.Contact.ID)))
	agent.fill("#title", "Impressora do financeiro não imprime")
	agent.fill("#description", "Desde ontem a impressora do 2º andar mostra erro.")
	agent.setValue("#priority", "high")
	agent.fill("#tags", "impressora, financeiro")
	agent.submit("form[method=post][action$='/tickets/new'] button[type=submit]")
	agent.check("ticket-opened")
	require.Regexp(t, `^/tickets/\d+$`, agent.path())
	require.Contains(t, agent.text("h1"), "Impressora do financeiro")
	require.Contains(t, agent.text("[data-testid=requester]"), "Rita Solicitante")
	require.Contains(t, agent.text("[data-testid='ticket.sla.response']"), "No prazo")
	agent.keyboardReachable("ticket")

	agent.fill("#reply-body", "Olá Rita, vamos verificar hoje.")
	agent.submit("[data-testid=send-reply]")
	agent.fill("#reply-body", "Toner provavelmente no fim; checar estoque.")
	agent.submit("[data-testid=send-note]")
	agent.check("replied")
	require.Contains(t, agent.text("[data-testid=reply]"), "vamos verificar hoje")
	require.Contains(t, agent.text("[data-testid=note]"), "Toner")

	for _, step := range []struct{ action, want string }{
		{"start", "Em andamento"},
		{"wait_for_customer", "Aguardando cliente"},
		{"start", "Em andamento"},
	} {
		agent.submit("button[data-action=" + step.action + "]")
		agent.check("action-" + step.action)
		require.Contains(t, agent.text("#ticket-header"), step.want)
	}
	// Resolving asks for the resolution note: an empty one is refused and
	// nothing changes.
	agent.submit("button[data-action=resolve]")
	agent.check("resolve-refused")
	require.Contains(t, agent.text("#ticket-header"), "Em andamento")
	require.Contains(t, agent.text("#resolution_note-error"), "obrigatório")
	agent.fill("#note-resolve", "Toner trocado.")
	agent.submit("button[data-action=resolve]")
	agent.check("resolved")
	require.Contains(t, agent.text("#ticket-header"), "Resolvido")
	require.Contains(t, agent.text("#ticket-header"), "Toner trocado.")
	// The history lists the status changes, the resolution note included.
	history := agent.text("[data-testid=history]")
	require.Contains(t, history, "Situação: Em andamento → Aguardando cliente")
	require.Contains(t, history, "Situação: Em andamento → Resolvido: Toner trocado.")
	require.Contains(t, history, "Nota interna")
	ticketPath := agent.path()

	requester := b.tab("requester", f.srv.URL)
	requester.signIn(f.requester)
	requester.visit("/tickets", "requester-queue")
	require.Contains(t, requester.text("#queue-rows"), "Impressora do financeiro")
	requester.visit(ticketPath, "requester-ticket")
	require.Contains(t, requester.text("#conversation"), "vamos verificar hoje")
	require.NotContains(t, requester.text("#conversation"), "Toner provavelmente", "requesters never see internal notes")
	require.False(t, requester.exists("[data-testid=send-note]"))
	require.Contains(t, requester.text("[data-testid=history]"), "Resolvido: Toner trocado.")
	require.NotContains(t, requester.text("[data-testid=history]"), "Nota interna", "nor their entries in the history")

	agent.submit("button[data-action=close]")
	agent.check("closed")
	require.Contains(t, agent.text("#ticket-header"), "Fechado")
	require.False(t, agent.exists("#reply-form"), "a closed ticket takes no more messages")

	agent.phone()
	agent.visit(ticketPath, "phone-ticket")
	agent.visit("/tickets", "phone-queue")
}

// TestBrowserQueueAndBulk filters the queue by URL, pages through it and
// assigns tickets in bulk, one of them refused.
func TestBrowserQueueAndBulk(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := t.Context()
	var ids []int64
	for i := range 55 {
		prio := "low"
		if i%5 == 0 {
			prio = "critical"
		}
		d, err := f.desk.Tickets.Create(ctx, f.agent.actor(), tickets.CreateInput{Title: fmt.Sprintf("Chamado %02d", i),
			Priority: prioOf(prio), RequesterContactID: f.requester.Contact.ID, Tags: []string{"lote"}})
		require.NoError(t, err)
		ids = append(ids, d.Ticket.ID)
	}
	cancelled := tickets.StatusCancelled
	_, err := f.desk.Tickets.Update(ctx, f.agent.actor(), ids[1], tickets.Patch{Status: &cancelled, Reason: "duplicado"})
	require.NoError(t, err)

	b := newBrowser(t)
	tb := b.tab("agent", f.srv.URL)
	tb.signIn(f.agent)
	tb.visit("/tickets?tag=lote", "queue")
	require.Contains(t, tb.text("caption"), "50 chamados nesta página")
	tb.submit("[data-testid=next-page]")
	tb.check("queue-page-2")
	require.Contains(t, tb.text("caption"), "5 chamados nesta página")
	require.Contains(t, tb.path(), "tag=lote", "the next page keeps the filters")

	tb.keyboardReachable("queue")
	tb.visit("/tickets?priority=critical", "queue-critical")
	require.Contains(t, tb.text("caption"), "11 chamados nesta página")
	require.Equal(t, "critical", tb.value("#f-priority"), "the filters come from the URL")
	tb.fill("#view-name", "Críticos")
	tb.submit("form.save-view button")
	tb.check("view-saved")
	tb.visit("/tickets", "queue-with-views")
	require.Contains(t, tb.text("[data-testid=views]"), "Críticos")
	tb.submit("[data-testid=views] a")
	tb.check("view-opened")
	require.Equal(t, "/tickets?priority=critical", tb.path())

	tb.visit("/tickets?tag=lote", "queue-bulk")
	for _, id := range []int64{ids[0], ids[1], ids[2]} {
		tb.click("input[name=id][value='" + itoa(id) + "']")
	}
	tb.setValue("#bulk-assignee", itoa(int64(f.agent.User.ID)))
	tb.submit("button[name=action][value=assign]")
	tb.check("bulk-results")
	results := tb.text("[data-testid=bulk-results]")
	require.Contains(t, results, "Chamado #1: feito")
	require.Contains(t, results, "Chamado #3: feito")
	require.Contains(t, results, "Chamado "+itoa(ids[1])+":", "the cancelled ticket is refused on its own")
	tb.visit("/tickets?assignee=me", "queue-mine")
	require.Contains(t, tb.text("caption"), "2 chamados nesta página")
	tb.visit("/tickets?assignee=none&tag=lote", "queue-unassigned")
	require.Contains(t, tb.text("caption"), "50 chamados nesta página", "53 unassigned: a first page of 50")
}

func prioOf(s string) sla.Priority { return sla.Priority(s) }

func contactName(name string) directory.ContactPatch { return directory.ContactPatch{Name: &name} }

// TestBrowserMarkupIsInert renders titles, descriptions, comments, names
// and tags full of markup: nothing runs (no dialog, no console error).
func TestBrowserMarkupIsInert(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := t.Context()
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">x</a>`
	d, err := f.desk.Tickets.Create(ctx, f.agent.actor(), tickets.CreateInput{Title: "T " + evil, Description: "D " + evil,
		Category: "<b>cat</b>", Tags: []string{"<i>tag</i>"}, RequesterContactID: f.requester.Contact.ID})
	require.NoError(t, err)
	_, err = f.desk.Tickets.AddComment(ctx, f.agent.actor(), d.Ticket.ID, "C "+evil, false)
	require.NoError(t, err)
	name := "Eva " + evil
	_, err = f.desk.Directory.UpdateContact(ctx, f.admin.actor(), f.requester.Contact.ID, contactName(name))
	require.NoError(t, err)
	b := newBrowser(t)
	tb := b.tab("xss", f.srv.URL)
	tb.signIn(f.agent)
	tb.visit("/tickets", "queue")
	tb.visit("/tickets/"+itoa(d.Ticket.ID), "ticket")
	require.Contains(t, tb.text("h1"), "<script>alert(1)</script>", "the markup shows as text")
	require.False(t, tb.exists("main img"), "no element was injected")
	require.False(t, tb.exists("main a[href^='javascript']"))
	require.Contains(t, tb.text("[data-testid=requester]"), "Eva <script>")
}

// TestBrowserRefusals checks what a person sees when a change is refused:
// a stale edit shows the other person's change, and a form posted from
// another site is refused.
func TestBrowserRefusals(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	d, err := f.desk.Tickets.Create(t.Context(), f.agent.actor(), tickets.CreateInput{Title: "Título original", RequesterContactID: f.requester.Contact.ID})
	require.NoError(t, err)
	b := newBrowser(t)
	beto := b.tab("beto", f.srv.URL)
	beto.signIn(f.agent)
	ana := b.tab("ana", f.srv.URL)
	ana.signIn(f.admin)
	path := "/tickets/" + itoa(d.Ticket.ID)
	beto.visit(path, "beto-opens")
	ana.visit(path, "ana-opens")
	ana.fill("#edit-title-input", "Título da Ana")
	ana.submit("#edit-form button[type=submit]")
	ana.check("ana-saved")
	beto.fill("#edit-title-input", "Título do Beto")
	beto.submit("#edit-form button[type=submit]")
	beto.check("beto-stale")
	require.Contains(t, beto.text("[data-testid=conflict]"), "Título da Ana")
	require.Equal(t, "Título do Beto", beto.value("#edit-title-input"), "Beto's values are kept")
	require.Contains(t, beto.text("h1"), "Título da Ana", "nothing was overwritten")

	// A page of another origin (localhost instead of 127.0.0.1) posting to
	// the console with Beto's cookies.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Win a prize</title></head><body><main>
<form method="post" action="%s/tickets/%d/comments"><input type="hidden" name="body" value="forged">
<button type="submit">Claim</button></form></main></body></html>`, f.srv.URL, d.Ticket.ID)
	}))
	t.Cleanup(evil.Close)
	beto.base = strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
	beto.visit("/", "evil-page")
	beto.submit("button")
	beto.base = f.srv.URL
	beto.check("csrf-refused")
	require.Contains(t, beto.text("h1"), "Não permitido")
	comments, err := f.desk.Tickets.Comments(t.Context(), f.agent.actor(), d.Ticket.ID, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, comments.Items, "the forged post wrote nothing")
}
