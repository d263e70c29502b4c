package webui_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
)

// roleColumns are the people of the page × role matrix, in the order of
// rolePage.want: a platform admin acting in Acme, then Acme's admin,
// agent, viewer and requester.
var roleColumns = []string{"platform admin", "admin", "agent", "viewer", "requester"}

// rolePage is one page of the matrix: who sees it, and the post its page
// offers, which the roles it is refused to must not be able to forge.
type rolePage struct {
	path string
	// want is the status each of roleColumns gets: 2 for 200, 3 for the
	// 403 page, 4 for the 404 page (a requester's view of an asset that
	// is not theirs).
	want string
	// post is the page's action; empty for none.
	post string
	form url.Values
}

// snapshot is what the forged posts could have changed.
type snapshot struct {
	asset    inventory.Asset
	order    serviceorders.Details
	stock    int
	endpoint webhooks.Endpoint
	ai       ai.View
	users    int
	tokens   int
	contacts int
	agent    directory.Contact
	company  directory.Company
	all      int
}

// TestBrowserPagesByRole visits every asset, service order, integrations,
// administration and operations page as every role in one browser: the
// roles that may see a page get it (checked with axe-core, with no
// untranslated text), the others the 403 page; and each page's action,
// posted by a role the page is refused to, is refused and writes nothing.
func TestBrowserPagesByRole(t *testing.T) {
	f := newFixture(t, fixtureOptions{desk: []helpdesk.Option{helpdesk.WithWebhookConfig(webhooks.Config{
		AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})}})
	ctx := t.Context()
	w := newAssetWorld(t, f, 3)
	ep, err := f.desk.Webhooks.CreateEndpoint(ctx, f.admin.actor(), webhooks.EndpointInput{URL: "http://127.0.0.1:9/hook", Events: []string{"*"}})
	require.NoError(t, err)
	own, other := itoa(w.assets[0].ID), itoa(w.assets[2].ID)
	order, stock, hook := itoa(w.order.ID), itoa(w.stock.ID), itoa(ep.ID)
	agentContact, agentUser := itoa(int64(f.agent.Contact.ID)), itoa(int64(f.agent.User.ID))
	pages := []rolePage{
		{path: "/assets", want: "22222"},
		{path: "/assets/" + own, want: "22222"},
		{path: "/assets/" + other, want: "22224", post: "/assets/" + other + "/transition", form: url.Values{"status": {"in_repair"}}},
		{path: "/assets/intake", want: "22233", post: "/assets/intake", form: url.Values{"name": {"Forjado"}, "category": {"X"}, "quantity": {"2"}}},
		{path: "/assets/labels?stock=" + stock, want: "22223"},
		{path: "/stock", want: "22223"},
		{path: "/stock/" + stock, want: "22223"},
		{path: "/service-orders", want: "22223"},
		{path: "/service-orders/calendar", want: "22223"},
		{path: "/service-orders/" + order, want: "22223", post: "/service-orders/" + order + "/activities",
			form: url.Values{"kind": {"labour"}, "minutes": {"30"}, "description": {"Forjado"}}},
		{path: "/service-orders/report", want: "22223"},
		{path: "/service-orders/new", want: "22233", post: "/service-orders/new", form: url.Values{"type": {"remote"}, "description": {"Forjada"}}},
		{path: "/integrations/webhooks", want: "22333", post: "/integrations/webhooks", form: url.Values{"url": {"http://127.0.0.1:9/evil"}, "events": {"*"}}},
		{path: "/integrations/webhooks/" + hook, want: "22333", post: "/integrations/webhooks/" + hook + "/rotate"},
		{path: "/integrations/whatsapp", want: "22333", post: "/integrations/whatsapp/settings", form: url.Values{"phone_number_id": {"1"}, "access_token": {"x"}}},
		{path: "/integrations/ai", want: "22223", post: "/integrations/ai/analyze", form: url.Values{"title": {"Impressora"}, "text": {"não imprime"}}},
		{path: "/admin/users", want: "22223", post: "/admin/users/" + agentUser + "/role", form: url.Values{"role": {"admin"}}},
		{path: "/admin/contacts", want: "22223", post: "/admin/contacts", form: url.Values{"name": {"Forjado"}}},
		{path: "/admin/contacts/" + agentContact, want: "22223", post: "/admin/contacts/" + agentContact,
			form: url.Values{"name": {"Forjado"}, "version": {itoa(f.agent.Contact.Version)}}},
		{path: "/admin/tokens", want: "22333", post: "/admin/tokens", form: url.Values{"name": {"t"}, "scope": {"tickets.read"}}},
		{path: "/admin/company", want: "22333", post: "/admin/company/serials", form: url.Values{"pattern": {"X-{SEQ:4}"}}},
		{path: "/admin/companies", want: "23333", post: "/admin/companies", form: url.Values{"name": {"Nova"}}},
		{path: "/ops", want: "23333", post: "/ops/unblock", form: url.Values{"ip": {"203.0.113.9"}}},
	}
	people := []person{f.root, f.admin, f.agent, f.viewer, f.requester}
	take := func() snapshot {
		t.Helper()
		var s snapshot
		var err error
		s.asset, err = f.desk.Inventory.GetAsset(ctx, f.admin.actor(), w.assets[2].ID)
		require.NoError(t, err)
		s.order, err = f.desk.ServiceOrders.Get(ctx, f.admin.actor(), w.order.ID)
		require.NoError(t, err)
		st, err := f.desk.Inventory.ListStockItems(ctx, f.admin.actor(), inventory.StockItemFilter{}, storage.PageRequest{})
		require.NoError(t, err)
		s.stock = len(st.Items)
		orders, err := f.desk.ServiceOrders.List(ctx, f.admin.actor(), serviceorders.Filter{}, storage.PageRequest{})
		require.NoError(t, err)
		s.all = len(orders.Items)
		s.endpoint, err = f.desk.Webhooks.GetEndpoint(ctx, f.admin.actor(), ep.ID)
		require.NoError(t, err)
		s.ai, err = f.desk.AI.Settings(ctx, f.admin.actor())
		require.NoError(t, err)
		users, err := f.desk.Directory.ListUsers(ctx, f.admin.actor(), directory.UserFilter{}, storage.PageRequest{})
		require.NoError(t, err)
		s.users = len(users.Items)
		for _, u := range users.Items {
			if u.ID == f.agent.User.ID {
				require.Equal(t, f.agent.User.Role, u.Role, "the agent's role is unchanged")
			}
		}
		tokens, err := f.desk.Directory.ListAPITokens(ctx, f.admin.actor(), directory.APITokenFilter{}, storage.PageRequest{})
		require.NoError(t, err)
		s.tokens = len(tokens.Items)
		contacts, err := f.desk.Directory.ListContacts(ctx, f.admin.actor(), directory.ContactFilter{}, storage.PageRequest{})
		require.NoError(t, err)
		s.contacts = len(contacts.Items)
		s.agent, err = f.desk.Directory.GetContact(ctx, f.admin.actor(), f.agent.Contact.ID)
		require.NoError(t, err)
		s.company, err = f.desk.Directory.GetCompany(ctx, f.admin.actor(), f.acme.ID)
		require.NoError(t, err)
		return s
	}
	before := take()

	b := newBrowser(t)
	for col, p := range people {
		t.Run(roleColumns[col], func(t *testing.T) {
			tb := b.tab(unsafeName.ReplaceAllString(roleColumns[col], "-"), f.srv.URL)
			tb.t = t
			tb.signIn(p)
			cl := f.client(t)
			cl.signIn(p)
			if p.User.Role == f.root.User.Role {
				tb.setValue("#company-switch", itoa(int64(f.acme.ID)))
				tb.submit("form.switcher button")
				require.Equal(t, http.StatusSeeOther, cl.post("/company", url.Values{"company": {itoa(int64(f.acme.ID))}}).StatusCode)
			}
			for _, pg := range pages {
				want := map[byte]int{'2': http.StatusOK, '3': http.StatusForbidden, '4': http.StatusNotFound}[pg.want[col]]
				require.Equal(t, want, cl.get(pg.path).StatusCode, "GET %s as %s", pg.path, roleColumns[col])
				tb.visit(pg.path, pg.path)
				h1 := tb.text("h1")
				switch want {
				case http.StatusOK:
					require.NotContains(t, h1, "Não permitido", pg.path)
					require.NotContains(t, h1, "Página não encontrada", pg.path)
				case http.StatusForbidden:
					require.Contains(t, h1, "Não permitido", pg.path)
				case http.StatusNotFound:
					require.Contains(t, h1, "Página não encontrada", pg.path)
				}
				if want != http.StatusOK && pg.post != "" {
					// The role may not act at all: refused before the asset
					// is looked up.
					require.Equal(t, http.StatusForbidden, cl.post(pg.post, pg.form).StatusCode, "forged POST %s as %s", pg.post, roleColumns[col])
				}
			}
		})
	}
	require.Equal(t, before, take(), "no forged post wrote anything")
}
