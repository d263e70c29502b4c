package webui_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// dashboardFixture is a desk on a clock with tickets created over three
// days: two of Rita's (one resolved), one of Otto's assigned to the agent,
// and one of another company.
func dashboardFixture(t *testing.T) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 4, 13, 0, 0, 0, time.UTC)}
	f := newFixture(t, fixtureOptions{clock: c})
	ctx := t.Context()
	mk := func(p person, title string, priority sla.Priority) tickets.Details {
		d, err := f.desk.Tickets.Create(ctx, p.actor(), tickets.CreateInput{Title: title, Description: "x", Priority: priority})
		require.NoError(t, err)
		return d
	}
	r1 := mk(f.requester, "Rita one", sla.PriorityHigh)
	c.Advance(24 * time.Hour)
	mk(f.requester, "Rita two", sla.PriorityLow)
	o := mk(f.requester2, "Otto <b>one</b>", sla.PriorityHigh)
	_, err := f.desk.Tickets.Assign(ctx, f.agent.actor(), o.Ticket.ID, f.agent.User.ID, 0)
	require.NoError(t, err)
	mk(f.outsider, "Other company", sla.PriorityCritical)
	c.Advance(24 * time.Hour)
	for _, s := range []tickets.Status{tickets.StatusInProgress, tickets.StatusResolved} {
		_, err := f.desk.Tickets.Update(ctx, f.agent.actor(), r1.Ticket.ID, tickets.Patch{Status: &s, ResolutionNote: "fixed"})
		require.NoError(t, err)
	}
	return f
}

// cells returns the text of the cells of the table with data-testid id,
// row by row, tags stripped.
func cells(t *testing.T, html, id string) [][]string {
	t.Helper()
	start := strings.Index(html, `data-testid="`+id+`"`)
	require.GreaterOrEqual(t, start, 0, "no table %s", id)
	table := html[start : start+strings.Index(html[start:], "</table>")]
	tags := regexp.MustCompile(`<[^>]+>`)
	var out [][]string
	for _, row := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(table, -1) {
		var cols []string
		for _, cell := range regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`).FindAllStringSubmatch(row[1], -1) {
			cols = append(cols, strings.TrimSpace(tags.ReplaceAllString(cell[1], "")))
		}
		out = append(out, cols)
	}
	return out
}

func TestDashboardFigures(t *testing.T) {
	t.Parallel()
	f := dashboardFixture(t)
	tests := []struct {
		name string
		who  person
		// open is the rows of the open-tickets table: status, low, medium,
		// high, critical, total.
		open [][]string
		// mine is the "my queue" list's titles; nil when not shown.
		mine []string
		// billable: the billable-hours card is shown.
		billable bool
	}{
		{name: "agent", who: f.agent, mine: []string{"Otto &lt;b&gt;one&lt;/b&gt;"}, billable: true, open: [][]string{
			{"Situação", "Baixa", "Média", "Alta", "Crítica", "Total"},
			{"Novo", "1", "0", "1", "0", "2"},
			{"Aberto", "0", "0", "0", "0", "0"},
			{"Em andamento", "0", "0", "0", "0", "0"},
			{"Aguardando cliente", "0", "0", "0", "0", "0"},
			{"Aguardando terceiros", "0", "0", "0", "0", "0"},
		}},
		{name: "viewer reads the same figures, with no queue of her own", who: f.viewer, billable: true, open: [][]string{
			{"Situação", "Baixa", "Média", "Alta", "Crítica", "Total"},
			{"Novo", "1", "0", "1", "0", "2"},
			{"Aberto", "0", "0", "0", "0", "0"},
			{"Em andamento", "0", "0", "0", "0", "0"},
			{"Aguardando cliente", "0", "0", "0", "0", "0"},
			{"Aguardando terceiros", "0", "0", "0", "0", "0"},
		}},
		{name: "requester sees her own tickets only", who: f.requester, mine: []string{"Rita two"}, open: [][]string{
			{"Situação", "Baixa", "Média", "Alta", "Crítica", "Total"},
			{"Novo", "1", "0", "0", "0", "1"},
			{"Aberto", "0", "0", "0", "0", "0"},
			{"Em andamento", "0", "0", "0", "0", "0"},
			{"Aguardando cliente", "0", "0", "0", "0", "0"},
			{"Aguardando terceiros", "0", "0", "0", "0", "0"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cl := f.client(t)
			cl.signIn(tt.who)
			resp := cl.get("/dashboard")
			require.Equal(t, http.StatusOK, resp.StatusCode)
			html := body(t, resp)
			require.NotContains(t, html, "⟦")
			require.Equal(t, tt.open, cells(t, html, "open-table"))
			require.Contains(t, html, `href="/tickets?sla=at_risk"`)
			require.Contains(t, html, `href="/tickets?sla=breached"`)
			require.Contains(t, html, `href="/tickets?status=new&amp;priority=low"`)
			require.Equal(t, tt.billable, strings.Contains(html, `data-testid="card-billable"`))
			require.Equal(t, !tt.billable, !strings.Contains(html, `data-testid="orders-today"`), "orders today go with the analytics readers")
			if tt.mine == nil {
				require.NotContains(t, html, `data-testid="mine"`)
			} else {
				for _, title := range tt.mine {
					require.Contains(t, html, title)
				}
			}
			require.NotContains(t, html, "Other company")
			require.NotContains(t, html, "<b>one</b>", "titles are escaped")

			// The chart's table: 14 days ending today (06/12 in São Paulo),
			// created and resolved per day.
			days := cells(t, html, "chart-table")
			require.Len(t, days, 15)
			require.Equal(t, []string{"23/11", "0", "0"}, days[1])
			last := days[12:]
			if tt.who.Email == f.requester.Email {
				require.Equal(t, [][]string{{"04/12", "1", "0"}, {"05/12", "1", "0"}, {"06/12", "0", "1"}}, last)
			} else {
				require.Equal(t, [][]string{{"04/12", "1", "0"}, {"05/12", "2", "0"}, {"06/12", "0", "1"}}, last)
			}
			require.Contains(t, html, `role="img" aria-labelledby="chart-svg-title chart-svg-desc"`)
		})
	}
}

func TestDashboardPlatformAdminChoosesACompany(t *testing.T) {
	t.Parallel()
	f := dashboardFixture(t)
	cl := f.client(t)
	cl.signIn(f.root)
	html := body(t, cl.get("/dashboard"))
	require.Contains(t, html, `data-testid="choose-company"`)
	require.NotContains(t, html, `data-testid="open-table"`)
}
