package webui_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
)

// assetWorld is a company with a batch of assets (one assigned to the
// requester, one in repair) and a service order on the first.
type assetWorld struct {
	stock  inventory.StockItem
	assets []inventory.Asset
	order  serviceorders.Order
}

func newAssetWorld(t *testing.T, f *fixture, n int) assetWorld {
	t.Helper()
	ctx := t.Context()
	st, assets, err := f.desk.Inventory.Intake(ctx, f.agent.actor(), inventory.IntakeInput{Name: "Notebook Lenovo",
		Category: "Notebook", Manufacturer: "Lenovo", Model: "T14", Quantity: n, Location: "Sede", WarrantyMonths: 1,
		UnitCostCents: 520000})
	require.NoError(t, err)
	_, err = f.desk.Inventory.Assign(ctx, f.agent.actor(), assets[0].ID, f.requester.Contact.ID, 0)
	require.NoError(t, err)
	repair := inventory.StatusInRepair
	_, err = f.desk.Inventory.UpdateAsset(ctx, f.agent.actor(), assets[1].ID, inventory.AssetPatch{Status: &repair})
	require.NoError(t, err)
	o, err := f.desk.ServiceOrders.Create(ctx, f.agent.actor(), serviceorders.CreateInput{AssetID: assets[0].ID,
		Type: serviceorders.TypeRemote, Description: "Reinstalar o sistema"})
	require.NoError(t, err)
	return assetWorld{stock: st, assets: assets, order: o}
}

// TestBrowserAssetPagesByRole visits the asset, stock and service order
// pages as each role: what each may do shows, the rest is hidden or
// refused; a requester sees only the asset they hold.
func TestBrowserAssetPagesByRole(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	w := newAssetWorld(t, f, 55)
	b := newBrowser(t)

	agent := b.tab("agent", f.srv.URL)
	agent.signIn(f.agent)
	agent.visit("/assets", "agent-assets")
	require.Contains(t, agent.see("caption"), "50 ativos nesta página")
	agent.submit("[data-testid=next-page]")
	agent.check("agent-assets-page-2")
	require.Contains(t, agent.see("caption"), "5 ativos nesta página")
	agent.visit("/assets?status=in_repair", "agent-assets-in-repair")
	require.Contains(t, agent.see("#asset-rows"), w.assets[1].Serial)
	require.Contains(t, agent.see("caption"), "1 ativo nesta página")
	agent.visit("/assets?assignee="+itoa(int64(f.requester.Contact.ID)), "agent-assets-assignee")
	require.Contains(t, agent.see("#asset-rows"), w.assets[0].Serial)
	agent.visit("/assets?warranty_days=abc", "agent-assets-bad-filter")
	require.Contains(t, agent.see("#warranty_days-error"), "entre 1 e 3660")
	require.Equal(t, "abc", agent.value("#f-warranty"))
	agent.visit("/stock", "agent-stock")
	require.Contains(t, agent.see("[data-testid=remaining-"+itoa(w.stock.ID)+"]"), "55 de 55")
	// A tab lives five minutes at most: each part of the visit has its own.
	agent = b.tab("agent-asset", f.srv.URL)
	agent.signIn(f.agent)
	agent.visit("/assets/"+itoa(w.assets[1].ID), "agent-asset-in-repair")
	require.True(t, agent.exists("button[data-action=return_to_stock]"))
	require.True(t, agent.exists("button[data-action=retire]"))
	// Retiring needs a reason: refused, then done.
	agent.submit("button[data-action=retire]")
	agent.check("agent-retire-refused")
	require.Contains(t, agent.see("#reason-error"), "obrigatório")
	agent.fill("#reason-retire", "Placa queimada, sem conserto")
	agent.submit("button[data-action=retire]")
	agent.check("agent-retired")
	require.Contains(t, agent.see("[data-testid=asset-status]"), "Baixado")
	require.Contains(t, agent.see("[data-testid=history]"), "Placa queimada")
	agent = b.tab("agent-orders", f.srv.URL)
	agent.signIn(f.agent)
	agent.visit("/service-orders", "agent-orders")
	require.Contains(t, agent.see("#order-rows"), w.order.Number)
	agent.visit("/service-orders?from=2026-12-10&to=2026-12-01", "agent-orders-bad-filter")
	require.Contains(t, agent.see("#scheduled_to-error"), "depois")
	require.Equal(t, "2026-12-10", agent.value("#o-from"))
	agent.visit("/service-orders/"+itoa(w.order.ID), "agent-order")
	require.True(t, agent.exists("button[data-action=schedule]"))
	agent.submit("button[data-action=schedule]")
	agent.check("agent-schedule-refused")
	require.Contains(t, agent.see("#technician_user_id-error"), "obrigatório")
	agent.submit("button[data-action=cancel]")
	agent.check("agent-cancel-refused")
	require.Contains(t, agent.see("#reason-error"), "obrigatório")
	agent.phone()
	agent.visit("/assets", "agent-phone-assets")
	// The filter form is a grid of fields, not Pico's one-line search
	// group: no field is drawn as half a pill, and the search hint shows
	// below its box instead of under it.
	require.True(t, get(agent, chromedp.Evaluate[bool](`(() => {
		const box = document.querySelector("#f-q").getBoundingClientRect();
		const hint = document.querySelector("#f-q-help").getBoundingClientRect();
		const cat = getComputedStyle(document.querySelector("#f-category"));
		return hint.top >= box.bottom && cat.borderTopLeftRadius === cat.borderTopRightRadius && parseFloat(cat.borderTopLeftRadius) < 10;
	})()`)), "the asset filters keep their own shape at phone width")
	agent.visit("/service-orders/"+itoa(w.order.ID), "agent-phone-order")

	viewer := b.tab("viewer", f.srv.URL)
	viewer.signIn(f.viewer)
	viewer.visit("/assets", "viewer-assets")
	require.False(t, viewer.exists("[data-testid=intake-link]"))
	viewer.visit("/assets/"+itoa(w.assets[2].ID), "viewer-asset")
	require.False(t, viewer.exists("button[data-action]"), "a viewer gets no lifecycle buttons")
	require.False(t, viewer.exists("[data-testid=new-order]"))
	viewer.visit("/assets/intake", "viewer-intake-refused")
	require.Contains(t, viewer.see("h1"), "Não permitido")
	viewer.visit("/service-orders/"+itoa(w.order.ID), "viewer-order")
	require.False(t, viewer.exists("button[data-action]"))
	require.False(t, viewer.exists("#activity-form"))
	viewer.visit("/service-orders/new?asset="+itoa(w.assets[2].ID), "viewer-new-order-refused")
	require.Contains(t, viewer.see("h1"), "Não permitido")

	requester := b.tab("requester", f.srv.URL)
	requester.signIn(f.requester)
	requester.visit("/assets", "requester-assets")
	require.Contains(t, requester.see("caption"), "1 ativo nesta página")
	require.Contains(t, requester.see("#asset-rows"), w.assets[0].Serial)
	requester.visit("/assets/"+itoa(w.assets[2].ID), "requester-other-asset")
	require.Contains(t, requester.see("h1"), "Página não encontrada")
	requester.visit("/service-orders", "requester-orders-refused")
	require.Contains(t, requester.see("h1"), "Não permitido")

	outsider := b.tab("outsider", f.srv.URL)
	outsider.signIn(f.outsider)
	outsider.visit("/assets/"+itoa(w.assets[2].ID), "outsider-asset")
	require.Contains(t, outsider.see("h1"), "Página não encontrada")
	outsider.visit("/service-orders/"+itoa(w.order.ID), "outsider-order")
	require.Contains(t, outsider.see("h1"), "Página não encontrada")
}

// TestAssetForgedPosts sends the posts a role's page does not offer: the
// services refuse them and nothing changes.
func TestAssetForgedPosts(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	w := newAssetWorld(t, f, 3)
	ctx := t.Context()
	a := w.assets[2]
	for _, tc := range []struct {
		name string
		who  person
		path string
		form url.Values
		want int
	}{
		{"viewer assigns", f.viewer, "/assets/" + itoa(a.ID) + "/transition",
			url.Values{"status": {"assigned"}, "assignee_contact_id": {itoa(int64(f.viewer.Contact.ID))}}, http.StatusForbidden},
		{"viewer retires", f.viewer, "/assets/" + itoa(a.ID) + "/transition", url.Values{"status": {"retired"}, "reason": {"x"}}, http.StatusForbidden},
		{"requester receives", f.requester, "/assets/intake", url.Values{"name": {"X"}, "category": {"Y"}, "quantity": {"2"}}, http.StatusForbidden},
		{"outsider moves", f.outsider, "/assets/" + itoa(a.ID) + "/transition", url.Values{"status": {"in_repair"}}, http.StatusNotFound},
		{"viewer opens an order", f.viewer, "/service-orders/new", url.Values{"asset": {itoa(a.ID)}, "type": {"remote"}}, http.StatusForbidden},
		{"agent invoices", f.agent, "/service-orders/" + itoa(w.order.ID) + "/transition", url.Values{"status": {"invoiced"}}, http.StatusConflict},
		{"viewer logs time", f.viewer, "/service-orders/" + itoa(w.order.ID) + "/activities", url.Values{"kind": {"labour"}, "minutes": {"30"}}, http.StatusForbidden},
		{"viewer uses a part", f.viewer, "/service-orders/" + itoa(w.order.ID) + "/parts", url.Values{"stock_item_id": {itoa(w.stock.ID)}, "quantity": {"1"}}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := f.client(t)
			cl.signIn(tc.who)
			resp := cl.post(tc.path, tc.form)
			require.Equal(t, tc.want, resp.StatusCode)
		})
	}
	after, err := f.desk.Inventory.GetAsset(ctx, f.admin.actor(), a.ID)
	require.NoError(t, err)
	require.Equal(t, a.Version, after.Version, "no refused post changed the asset")
	d, err := f.desk.ServiceOrders.Get(ctx, f.admin.actor(), w.order.ID)
	require.NoError(t, err)
	require.Equal(t, serviceorders.StatusDraft, d.Order.Status)
	require.Empty(t, d.Activities)
	require.Empty(t, d.Parts)
	all, err := f.desk.Inventory.ListStockItems(ctx, f.admin.actor(), inventory.StockItemFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, all.Items, 1, "the refused intake wrote nothing")

	// A cross-site post is refused before any handler.
	cl := f.client(t)
	cl.signIn(f.agent)
	resp := cl.post("/assets/"+itoa(a.ID)+"/transition", url.Values{"status": {"in_repair"}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

// TestAssetExportCSV downloads the filtered list as CSV: the header and
// exactly the rows the filters keep, over several pages.
func TestAssetExportCSV(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	w := newAssetWorld(t, f, 230)
	_, _, err := f.desk.Inventory.Intake(t.Context(), f.agent.actor(), inventory.IntakeInput{Name: "Cadeira", Category: "Móvel", Quantity: 4})
	require.NoError(t, err)
	cl := f.client(t)
	cl.signIn(f.viewer)
	for _, tc := range []struct {
		query string
		rows  int
	}{
		{"", 234},
		{"q=lenovo", 230},
		{"category=M%C3%B3vel", 4},
		{"status=in_repair", 1},
		{"warranty_days=60", 230},
		{"assignee=" + itoa(int64(f.requester.Contact.ID)), 1},
	} {
		t.Run(tc.query, func(t *testing.T) {
			resp := cl.get("/assets/export.csv?" + tc.query)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
			recs, err := csv.NewReader(resp.Body).ReadAll()
			require.NoError(t, err)
			require.Equal(t, "serial", recs[0][1])
			require.Len(t, recs, tc.rows+1, fmt.Sprint(tc.query))
		})
	}
	resp := cl.get("/assets/export.csv?q=lenovo")
	recs, err := csv.NewReader(resp.Body).ReadAll()
	require.NoError(t, err)
	require.Equal(t, w.assets[0].Serial, recs[1][1])
	require.True(t, strings.HasPrefix(recs[1][2], "Notebook Lenovo"))
	require.Equal(t, http.StatusUnprocessableEntity, cl.get("/assets?warranty_days=0").StatusCode)
}
