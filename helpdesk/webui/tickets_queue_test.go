package webui_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// TestQueueSortsAndNames checks the queue's orders, kept in the URL and in
// the next page's link, and that requesters and assignees show by name.
func TestQueueSortsAndNames(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	ctx := t.Context()
	mk := func(title string, prio sla.Priority, assign bool) {
		d, err := f.desk.Tickets.Create(ctx, f.agent.actor(), tickets.CreateInput{Title: title, Priority: prio,
			RequesterContactID: f.requester.Contact.ID})
		require.NoError(t, err)
		if assign {
			_, err = f.desk.Tickets.Assign(ctx, f.agent.actor(), d.Ticket.ID, f.admin.User.ID, 0)
			require.NoError(t, err)
		}
	}
	mk("Alpha VPN caiu", sla.PriorityLow, true)
	mk("Bravo impressora", sla.PriorityCritical, false)
	mk("Charlie VPN lenta", sla.PriorityHigh, false)
	cl := f.client(t)
	cl.signIn(f.agent)
	for _, c := range []struct {
		sort string
		want []string
	}{
		{"", []string{"Alpha", "Bravo", "Charlie"}},
		{"newest", []string{"Charlie", "Bravo", "Alpha"}},
		{"priority", []string{"Bravo", "Charlie", "Alpha"}},
		{"updated", []string{"Charlie", "Bravo", "Alpha"}},
		{"due", []string{"Bravo", "Charlie", "Alpha"}},
	} {
		resp := cl.get("/tickets?sort=" + c.sort)
		require.Equal(t, http.StatusOK, resp.StatusCode, c.sort)
		html := body(t, resp)
		var at []int
		for _, name := range c.want {
			i := strings.Index(html, name+" ")
			require.Positive(t, i, "%s: %s", c.sort, name)
			at = append(at, i)
		}
		require.IsIncreasing(t, at, "sort=%s lists %v", c.sort, c.want)
		if c.sort != "" {
			require.Contains(t, html, `<option value="`+c.sort+`" selected>`, "the form shows the order")
		}
	}
	// The order travels with the next page's link, and pages follow it.
	html := body(t, cl.get("/tickets?sort=priority&limit=1"))
	require.Contains(t, html, "Bravo ")
	first := body(t, cl.get("/tickets/rows?sort=priority"))
	require.Less(t, strings.Index(first, "Bravo "), strings.Index(first, "Alpha "))
	require.Equal(t, http.StatusUnprocessableEntity, cl.get("/tickets?sort=sideways").StatusCode)

	// Names, not addresses: the requester's and the assignee's.
	html = body(t, cl.get("/tickets?q=alpha"))
	require.Contains(t, html, "<td>Rita Solicitante</td>")
	require.Contains(t, html, "<td>Ana Admin</td>")
	require.NotContains(t, html, "<td>ana@acme.test</td>")
	require.Contains(t, html, "Ana Admin &lt;ana@acme.test&gt;", "the assignee filter names the agents")
}

// TestRequesterPicker checks the requester picker of the queue and of the
// new-ticket form: with and without JavaScript, the choice kept, and
// nobody outside what the person may read.
func TestRequesterPicker(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	cl := f.client(t)
	cl.signIn(f.agent)
	rita := strconv.FormatInt(int64(f.requester.Contact.ID), 10)
	ritaOption := `<option value="` + rita + `"`

	// Without JavaScript: the search comes back with the page.
	html := body(t, cl.get("/tickets?requester_q=solicitante"))
	require.Contains(t, html, "Rita Solicitante &lt;rita@acme.test&gt;")
	require.Contains(t, html, "Otto Solicitante &lt;otto@acme.test&gt;")
	require.NotContains(t, html, "Oscar Outro", "another company's contacts do not exist")
	require.Contains(t, html, "2 contatos encontrados")
	require.Contains(t, html, `name="requester_q" type="search" value="solicitante"`)

	// The chosen requester filters, stays chosen and shows by name, beside
	// the matches of a new search.
	resp := cl.get("/tickets?requester=" + rita + "&requester_q=otto")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	html = body(t, resp)
	require.Contains(t, html, ritaOption+` selected>Rita Solicitante &lt;rita@acme.test&gt;`)
	require.Contains(t, html, "Otto Solicitante")

	// The fragment htmx swaps in as the person types.
	for _, c := range []struct {
		query  string
		status int
		has    []string
		hasNot []string
	}{
		{"for=queue&requester_q=rita", 200, []string{`id="f-requester-choices"`, "Rita Solicitante", "1 contato encontrado"}, []string{"<html", "Otto"}},
		{"for=new&requester_q=OTTO", 200, []string{`id="requester-choices"`, "Otto Solicitante"}, []string{"Rita"}},
		{"for=queue&requester_q=oscar", 200, []string{"0 contato encontrado"}, []string{"Oscar"}},
		{"for=queue&requester=" + rita + "&requester_q=zzz", 200, []string{ritaOption + " selected>"}, nil},
		{"for=elsewhere", 404, nil, nil},
	} {
		resp := cl.get("/tickets/requester-picker?" + c.query)
		require.Equal(t, c.status, resp.StatusCode, c.query)
		html := body(t, resp)
		for _, s := range c.has {
			require.Contains(t, html, s, c.query)
		}
		for _, s := range c.hasNot {
			require.NotContains(t, html, s, c.query)
		}
	}

	// The new-ticket form: a search without JavaScript keeps what was typed.
	html = body(t, cl.get("/tickets/new?title=Impressora+parada&requester_q=rita"))
	require.Contains(t, html, `value="Impressora parada"`)
	require.Contains(t, html, "Rita Solicitante &lt;rita@acme.test&gt;")
	require.NotContains(t, html, "Otto Solicitante")

	// A requester has no picker and may not search contacts.
	rq := f.client(t)
	rq.signIn(f.requester)
	resp = rq.get("/tickets/requester-picker?for=queue&requester_q=otto")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.NotContains(t, body(t, resp), "Otto")
}
