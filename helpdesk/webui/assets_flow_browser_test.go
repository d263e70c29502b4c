package webui_test

import (
	"context"

	"github.com/chromedp/chromedp"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
)

// TestBrowserAssetFlow runs the whole asset and service order flow through
// the browser on each backend: intake → assign the asset → open a ticket on
// it → create a service order from the ticket → schedule and start it → log
// activities (an overlap refused) and a part (insufficient stock refused) →
// complete → approve → invoice → the billable-hours report and its CSV.
func TestBrowserAssetFlow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) helpdesk.Store
	}{
		{"memory", func(*testing.T) helpdesk.Store { return nil }},
		{"sqlite", func(t *testing.T) helpdesk.Store { return bunstoretest.SQLite(t) }},
		{"postgres", func(t *testing.T) helpdesk.Store { return bunstoretest.Postgres(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assetFlow(t, newFixture(t, fixtureOptions{store: tc.store(t)}))
		})
	}
}

func assetFlow(t *testing.T, f *fixture) {
	ctx := t.Context()
	b := newBrowser(t)
	agent := b.tab("agent", f.srv.URL)
	agent.signIn(f.agent)

	// Intake refused for two fields: the values stay, nothing is written.
	agent.visit("/assets", "assets-empty")
	agent.submit("[data-testid=intake-link]")
	agent.check("intake-form")
	agent.fill("#in-name", "Notebook Dell Latitude")
	agent.setValue("#in-category", "")
	agent.fill("#in-quantity", "três")
	agent.fill("#in-supplier", "Distribuidora Sul")
	agent.fill("#in-unit_cost", "4.500,00")
	agent.submit("#intake-form button[type=submit]")
	agent.check("intake-refused")
	require.Contains(t, agent.see("#category-error"), "obrigatório")
	require.Contains(t, agent.see("#quantity-error"), "entre 1 e 1000")
	require.Equal(t, "Notebook Dell Latitude", agent.value("#in-name"))
	require.Equal(t, "Distribuidora Sul", agent.value("#in-supplier"))
	require.Equal(t, "4.500,00", agent.value("#in-unit_cost"))
	none, err := f.desk.Inventory.ListAssets(ctx, f.agent.actor(), inventory.AssetFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, none.Items, "a refused intake creates no asset")
	stock, err := f.desk.Inventory.ListStockItems(ctx, f.agent.actor(), inventory.StockItemFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, stock.Items, "a refused intake creates no stock item")

	agent.fill("#in-category", "Notebook")
	agent.fill("#in-quantity", "3")
	agent.fill("#in-manufacturer", "Dell")
	agent.fill("#in-model", "Latitude 5440")
	agent.fill("#in-location", "Sede")
	agent.fill("#in-invoice_number", "NF 123456")
	agent.fill("#in-warranty_months", "12")
	agent.submit("#intake-form button[type=submit]")
	agent.check("intake-received")
	require.Contains(t, agent.see("[data-testid=received]"), "3 ativos")
	serials := agent.see("[data-testid=serials]")
	assets, err := f.desk.Inventory.ListAssets(ctx, f.agent.actor(), inventory.AssetFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, assets.Items, 3)
	for _, a := range assets.Items {
		require.Contains(t, serials, a.Serial, "the generated serials are shown after the intake")
		require.Equal(t, int64(450000), func() int64 {
			st, err := f.desk.Inventory.GetStockItem(ctx, f.agent.actor(), a.StockItemID)
			require.NoError(t, err)
			return st.UnitCostCents
		}())
	}
	notebook := assets.Items[0]

	// A second batch: the parts the service order uses.
	agent.visit("/assets/intake", "intake-parts")
	agent.fill("#in-name", "Toner HP 85A")
	agent.fill("#in-category", "Suprimento")
	agent.fill("#in-quantity", "2")
	agent.fill("#in-unit_cost", "80")
	agent.submit("#intake-form button[type=submit]")
	agent.check("intake-parts-received")

	// Search and filter the list, then assign the notebook (refused
	// without a contact first).
	agent.visit("/assets?q=latitude&warranty_days=400", "assets-search")
	require.Contains(t, agent.see("caption"), "3 ativos")
	agent.visit("/assets?q=latitude&warranty_days=30", "assets-warranty-30")
	require.Contains(t, agent.see("caption"), "0 ativo nesta")
	agent.visit("/assets/"+itoa(notebook.ID), "asset")
	agent.submit("button[data-action=assign]")
	agent.check("assign-refused")
	require.Contains(t, agent.see("#assignee_contact_id-error"), "obrigatório")
	agent.setValue("#contact-assign", itoa(int64(f.requester.Contact.ID)))
	agent.submit("button[data-action=assign]")
	agent.check("assigned")
	require.Contains(t, agent.see("[data-testid=asset-status]"), "Atribuído")
	require.Contains(t, agent.see("[data-testid=asset-assignee]"), "Rita Solicitante")
	require.Contains(t, agent.see("[data-testid=history]"), "Rita Solicitante")

	// Open a ticket on it.
	agent.submit("[data-testid=open-ticket]")
	agent.check("new-ticket-for-asset")
	agent.setValue("#requester", itoa(int64(f.requester.Contact.ID)))
	agent.fill("#title", "Notebook não liga")
	agent.submit("form[method=post][action$='/tickets/new'] button[type=submit]")
	agent.check("ticket-on-asset")
	require.Contains(t, agent.see("#ticket-header"), notebook.Serial)

	// Create the service order from the ticket, in a second tab (a tab
	// lives five minutes at most).
	ticketPath := agent.path()
	agent = b.tab("agent-orders", f.srv.URL)
	agent.signIn(f.agent)
	agent.visit(ticketPath, "ticket-again")
	agent.submit("[data-testid=create-order]")
	agent.check("order-form")
	require.Contains(t, agent.see("[data-testid=for-ticket]"), "Notebook não liga")
	agent.setValue("#n-type", "corrective")
	agent.fill("#n-address", "Rua das Flores, 10 — São Paulo")
	agent.submit("#order-form button[type=submit]")
	agent.check("order-created")
	require.Contains(t, agent.see("[data-testid=order-status]"), "Rascunho")
	require.Contains(t, agent.see("[data-testid=order-ticket]"), "Notebook não liga")
	orderPath := agent.path()

	// Schedule it for today with the agent as technician.
	today := f.desk.Now().In(saoPaulo(t))
	day := today.Format("2006-01-02")
	agent.setValue("#schedule-tech", itoa(int64(f.agent.User.ID)))
	agent.setValue("#schedule-start", day+"T08:00")
	agent.setValue("#schedule-end", day+"T12:00")
	agent.submit("button[data-action=schedule]")
	agent.check("scheduled")
	require.Contains(t, agent.see("[data-testid=order-status]"), "Agendada")
	agent.visit("/service-orders/calendar?week="+day, "calendar")
	require.Contains(t, agent.see("[data-testid=calendar]"), "beto@acme.test")
	require.Contains(t, agent.see("[data-testid=calendar]"), "08:00–12:00")
	agent.visit(orderPath, "order-scheduled")

	// Starting on site needs the APR number.
	agent.submit("button[data-action=start]")
	agent.check("start-refused")
	require.Contains(t, agent.see("#apr_number-error"), "APR")
	agent.fill("#start-apr", "APR-2026-77")
	agent.submit("button[data-action=start]")
	agent.check("started")
	require.Contains(t, agent.see("[data-testid=order-status]"), "Em execução")

	// Activities: a billable timed entry, an overlapping one refused, a
	// non-billable one in minutes.
	agent.setValue("#a-kind", "labour")
	agent.setValue("#a-start", day+"T09:00")
	agent.setValue("#a-end", day+"T11:00")
	agent.fill("#a-description", "Troca da placa-mãe")
	agent.submit("[data-testid=add-activity]")
	agent.check("activity-logged")
	agent.setValue("#a-start", day+"T10:00")
	agent.setValue("#a-end", day+"T10:30")
	agent.fill("#a-description", "Teste sobreposto")
	agent.submit("[data-testid=add-activity]")
	agent.check("activity-overlap")
	require.Contains(t, agent.see("#activity-form [data-testid=form-error]"), "sobrepõe")
	require.Equal(t, "Teste sobreposto", agent.value("#a-description"), "the refused entry keeps its values")
	require.Equal(t, day+"T10:00", agent.value("#a-start"))
	agent.setValue("#a-kind", "travel")
	agent.setValue("#a-start", "")
	agent.setValue("#a-end", "")
	agent.fill("#a-minutes", "30")
	agent.fill("#a-description", "Deslocamento")
	agent.click("#a-billable")
	agent.submit("[data-testid=add-activity]")
	agent.check("activity-minutes")

	// Parts: more than the stock has is explained; one toner is used.
	agent = b.tab("agent-parts", f.srv.URL)
	agent.signIn(f.agent)
	agent.visit(orderPath, "order-in-progress")
	toner := stockNamed(t, f, "Toner HP 85A")
	agent.setValue("#p-stock", itoa(toner.ID))
	agent.fill("#p-qty", "5")
	agent.submit("[data-testid=add-part]")
	agent.check("part-refused")
	require.Contains(t, agent.see("#part-form [data-testid=form-error]"), "Restam só 2")
	require.Equal(t, 2, stockNamed(t, f, "Toner HP 85A").Available, "a refused part consumes nothing")
	agent.fill("#p-qty", "1")
	agent.submit("[data-testid=add-part]")
	agent.check("part-used")
	require.Equal(t, 1, stockNamed(t, f, "Toner HP 85A").Available)
	require.Equal(t, "2h 00m", agent.see("[data-testid=total-billable]"))
	require.Equal(t, "30m", agent.see("[data-testid=total-non-billable]"))
	require.Contains(t, agent.see("[data-testid=total-parts]"), "80,00")

	// Complete, then approve (the sign-off name is required).
	agent.click("#complete-resolve")
	agent.submit("button[data-action=complete]")
	agent.check("completed")
	require.Contains(t, agent.see("[data-testid=order-status]"), "Concluída")
	agent.submit("button[data-action=approve]")
	agent.check("approve-refused")
	require.Contains(t, agent.see("#sign_off_name-error"), "obrigatório")
	agent.fill("#approve-signoff", "Rita Solicitante")
	agent.submit("button[data-action=approve]")
	agent.check("approved")
	require.Contains(t, agent.see("[data-testid=order-status]"), "Aprovada")
	require.False(t, agent.exists("button[data-action=invoice]"), "only admins invoice")

	// The admin invoices and reads the month's billable hours.
	admin := b.tab("admin", f.srv.URL)
	admin.signIn(f.admin)
	admin.visit(orderPath, "admin-order")
	admin.submit("button[data-action=invoice]")
	admin.check("invoiced")
	require.Contains(t, admin.see("[data-testid=order-status]"), "Faturada")
	number := admin.see("[data-testid=order-number]")
	month := today.Format("2006-01")
	admin.visit("/service-orders/report?month="+month, "report")
	require.Contains(t, admin.see("[data-testid=report]"), number)
	require.Equal(t, "2h 00m", admin.see("[data-testid=report-total]"))

	cl := f.client(t)
	cl.signIn(f.admin)
	resp := cl.get("/service-orders/report.csv?month=" + month)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), number+",")
	require.Contains(t, string(body), ",120,2.00")

	// The asset's page names the ticket and the order.
	admin.visit("/assets/"+itoa(notebook.ID), "asset-after")
	require.Contains(t, admin.see("[data-testid=asset-tickets]"), "Notebook não liga")
	require.Contains(t, admin.see("[data-testid=asset-orders]"), number)
	require.True(t, strings.HasPrefix(number, "OS-"))
}

func saoPaulo(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/Sao_Paulo")
	require.NoError(t, err)
	return loc
}

// stockNamed reads the fixture company's stock item named name.
func stockNamed(t *testing.T, f *fixture, name string) inventory.StockItem {
	t.Helper()
	page, err := f.desk.Inventory.ListStockItems(t.Context(), f.admin.actor(), inventory.StockItemFilter{}, storage.PageRequest{Limit: storage.MaxLimit})
	require.NoError(t, err)
	for _, st := range page.Items {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no stock item %q", name)
	return inventory.StockItem{}
}

// see returns the visible text of the first element matching sel, failing
// the test when none shows within ten seconds.
func (tb *tab) see(sel string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(tb.t, err, "no %s on the page", sel)
	return s
}
