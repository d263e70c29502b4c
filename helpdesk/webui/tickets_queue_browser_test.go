package webui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// TestBrowserQueueSortAndRequester finds a requester by typing part of her
// name (the picker's select is re-fetched as one types), chooses her and
// the most urgent first order, and reads the queue those put in the URL.
func TestBrowserQueueSortAndRequester(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := t.Context()
	for _, c := range []struct {
		title     string
		prio      sla.Priority
		requester person
	}{
		{"Alpha baixa", sla.PriorityLow, f.requester},
		{"Bravo crítica", sla.PriorityCritical, f.requester2},
		{"Charlie alta", sla.PriorityHigh, f.requester},
	} {
		_, err := f.desk.Tickets.Create(ctx, f.agent.actor(), tickets.CreateInput{Title: c.title, Priority: c.prio,
			RequesterContactID: c.requester.Contact.ID})
		require.NoError(t, err)
	}
	rita := itoa(int64(f.requester.Contact.ID))

	b := newBrowser(t)
	tb := b.tab("agent", f.srv.URL)
	tb.signIn(f.agent)
	tb.visit("/tickets", "queue")
	tb.click("details summary")
	tb.fill("#f-requester-q", "rit")
	tb.do(chromedp.WaitVisible(chromedp.CSS("[data-testid=f-requester-found]")))
	tb.waitSettled()
	require.Contains(t, tb.text("#f-requester"), "Rita Solicitante")
	require.NotContains(t, tb.text("#f-requester"), "Otto")
	tb.check("requester-found")
	tb.setValue("#f-requester", rita)
	tb.setValue("#f-sort", "priority")
	tb.submit("form.filters .actions button[type=submit]")
	tb.check("queue-by-requester-and-priority")
	require.Contains(t, tb.path(), "requester="+rita)
	require.Contains(t, tb.path(), "sort=priority")
	require.Equal(t, rita, tb.value("#f-requester"), "the chosen requester stays chosen")
	require.Equal(t, "priority", tb.value("#f-sort"))
	rows := tb.text("#queue-rows")
	require.NotContains(t, rows, "Bravo")
	require.Less(t, strings.Index(rows, "Charlie"), strings.Index(rows, "Alpha"), "high before low")
	require.Contains(t, rows, "Rita Solicitante", "the requester shows by name")
}
