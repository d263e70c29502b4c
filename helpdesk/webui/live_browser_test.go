package webui_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/tickets"
)

// waitFor polls a JavaScript condition on the tab's page until it holds.
func (tb *tab) waitFor(cond, what string) {
	tb.t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		state, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`"live=" + document.body.getAttribute("data-live") +
			" updates=" + document.body.getAttribute("data-live-updates") + " " + location.pathname + " " +
			(document.getElementById("presence") || {outerHTML: "no presence element"}).outerHTML`))
		tb.t.Fatalf("waiting for %s on %s: %v (page: %s)", what, tb.name, err, state)
	}
}

// waitLive waits until the page's live stream is connected: changes made
// from now on reach it.
func (tb *tab) waitLive() {
	tb.t.Helper()
	tb.waitFor(`document.body.getAttribute("data-live") === "open"`, "the live stream")
}

// TestBrowserLiveUpdates opens a ticket and the queue in two browser
// contexts, connected before a third person replies and moves the ticket:
// both pages show the change without a reload, and the ticket's page shows
// who else has it open. (Which changes reach whom is checked stream by
// stream in TestLiveStreamScopesChangesToWhoMaySeeThem.)
func TestBrowserLiveUpdates(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	runDesk(t, f.desk)
	d, err := f.desk.Tickets.Create(t.Context(), f.requester.actor(), tickets.CreateInput{
		Title: "Impressora <img src=x onerror=alert(1)>", Description: "Não imprime"})
	require.NoError(t, err)
	ticketPath := fmt.Sprintf("/tickets/%d", d.Ticket.ID)
	b := newBrowser(t)

	watcher := b.tab("watcher", f.srv.URL)
	watcher.signIn(f.admin)
	watcher.visit(ticketPath, "ticket-before")
	watcher.waitLive()
	require.Equal(t, "", watcher.text("[data-testid=presence]"), "no one else has the ticket open")

	rita := b.tab("requester-queue", f.srv.URL)
	rita.signIn(f.requester)
	rita.visit("/tickets", "queue-before")
	rita.waitLive()
	require.Contains(t, rita.text("#queue-rows"), "Novo")

	agent := b.tab("agent", f.srv.URL)
	agent.signIn(f.agent)
	agent.visit(ticketPath, "agent-ticket")
	watcher.waitFor(`document.querySelector("[data-testid=presence]").textContent.includes("beto@acme.test")`, "presence")
	watcher.check("presence")
	require.Contains(t, watcher.text("[data-testid=presence]"), "Também com este chamado aberto")

	agent.setValue("#reply-body", "Estamos verificando a impressora")
	agent.submit("[data-testid=send-reply]")
	watcher.waitFor(`document.getElementById("conversation").textContent.includes("Estamos verificando")`, "the reply on the watcher's page")
	watcher.check("ticket-after-reply")

	agent.submit("button[data-action=start]")
	watcher.waitFor(`document.getElementById("ticket-header").textContent.includes("Em andamento")`, "the new status in the header")
	rita.waitFor(`document.getElementById("queue-rows").textContent.includes("Em andamento")`, "the new status in the queue")
	rita.check("queue-after-start")
	require.Equal(t, "/tickets", rita.path(), "the queue was not reloaded")
	require.Equal(t, ticketPath, watcher.path(), "the ticket was not reloaded")
}
