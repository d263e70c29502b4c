package webui_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// TestAdminPagesByRole checks who may open each administration page: the
// services' own permission checks decide, and no page shows an
// untranslated text.
func TestAdminPagesByRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	pages := []string{"/admin/users", "/admin/contacts", "/admin/tokens", "/admin/company", "/admin/companies"}
	for _, tc := range []struct {
		who  func() person
		name string
		want []int
	}{
		{func() person { return f.admin }, "admin", []int{200, 200, 200, 200, 403}},
		{func() person { return f.agent }, "agent", []int{200, 200, 403, 403, 403}},
		{func() person { return f.viewer }, "viewer", []int{200, 200, 403, 403, 403}},
		{func() person { return f.requester }, "requester", []int{403, 403, 403, 403, 403}},
		{func() person { return f.root }, "platform admin", []int{200, 409, 409, 409, 200}}, // no company chosen: platform admins are listed,
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := f.client(t)
			cl.signIn(tc.who())
			for i, p := range pages {
				resp := cl.get(p)
				html := body(t, resp)
				require.Equal(t, tc.want[i], resp.StatusCode, p)
				require.False(t, strings.Contains(html, "⟦"), "untranslated text on %s", p)
			}
		})
	}
}

// TestAdminForgedPostsAreRefused posts every administration action as
// roles whose pages do not show it: the services refuse and nothing
// changes.
func TestAdminForgedPostsAreRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	agentID := strconv.FormatInt(int64(f.agent.User.ID), 10)
	contactID := strconv.FormatInt(int64(f.agent.Contact.ID), 10)
	acmeID := strconv.FormatInt(int64(f.acme.ID), 10)
	posts := []struct {
		path string
		form url.Values
	}{
		{"/admin/users", url.Values{"contact": {contactID}, "email": {"new@acme.test"}, "role": {"admin"}}},
		{"/admin/users/" + agentID + "/role", url.Values{"role": {"admin"}}},
		{"/admin/users/" + agentID + "/active", url.Values{"active": {"false"}}},
		{"/admin/users/" + agentID + "/password", nil},
		{"/admin/tokens", url.Values{"name": {"t"}, "scope": {"tickets.read"}}},
		{"/admin/company", url.Values{"name": {"Renamed"}}},
		{"/admin/company/serials", url.Values{"pattern": {"X-{SEQ:4}"}}},
		{"/admin/companies", url.Values{"name": {"New Co"}}},
		{"/admin/companies/" + acmeID + "/active", url.Values{"active": {"false"}}},
	}
	for _, who := range []person{f.agent, f.viewer, f.requester} {
		cl := f.client(t)
		cl.signIn(who)
		for _, p := range posts {
			require.Equal(t, http.StatusForbidden, cl.post(p.path, p.form).StatusCode, "%s %s", who.Email, p.path)
		}
		if who.User.Role != tenant.RoleAgent { // agents manage contacts
			require.Equal(t, http.StatusForbidden, cl.post("/admin/contacts", url.Values{"name": {"X"}}).StatusCode, who.Email)
		}
	}
	// A company admin may not act on platform matters either.
	cl := f.client(t)
	cl.signIn(f.admin)
	for _, p := range posts[5:] {
		if p.path == "/admin/company/serials" {
			continue
		}
		require.Equal(t, http.StatusForbidden, cl.post(p.path, p.form).StatusCode, p.path)
	}
	u, err := f.desk.Directory.GetUser(t.Context(), f.admin.actor(), f.agent.User.ID)
	require.NoError(t, err)
	require.Equal(t, f.agent.User.Version, u.Version, "nothing was written")
	cos, err := f.desk.Directory.ListCompanies(t.Context(), f.root.actor(), directory.CompanyFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, cos.Items, 2)
	for _, co := range cos.Items {
		require.True(t, co.Active)
	}
}

// TestIntegrationsForgedPostsAreRefused posts the integrations' actions
// as roles that may not manage them: refused, nothing written.
func TestIntegrationsForgedPostsAreRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{desk: []helpdesk.Option{helpdesk.WithWebhookConfig(webhooks.Config{
		AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})}})
	ctx := t.Context()
	ep, err := f.desk.Webhooks.CreateEndpoint(ctx, f.admin.actor(), webhooks.EndpointInput{URL: "http://127.0.0.1:9/x", Events: []string{"*"}})
	require.NoError(t, err)
	id := strconv.FormatInt(ep.ID, 10)
	posts := []struct {
		path string
		form url.Values
	}{
		{"/integrations/webhooks", url.Values{"url": {"http://127.0.0.1:9/evil"}, "events": {"*"}}},
		{"/integrations/webhooks/" + id, url.Values{"url": {"http://127.0.0.1:9/evil"}, "events": {"*"}}},
		{"/integrations/webhooks/" + id + "/active", url.Values{"active": {"false"}}},
		{"/integrations/webhooks/" + id + "/rotate", nil},
		{"/integrations/webhooks/" + id + "/test", nil},
		{"/integrations/webhooks/" + id + "/deliveries/1/redeliver", nil},
		{"/integrations/webhooks/" + id + "/deliveries/1/skip", nil},
		{"/integrations/whatsapp/settings", url.Values{"phone_number_id": {"1"}, "access_token": {"x"}}},
		{"/integrations/whatsapp/rules", url.Values{"event_type": {"ticket.created"}, "template_name": {"t"}, "language": {"pt_BR"}}},
		{"/integrations/ai/settings", url.Values{"provider": {"openai"}, "threshold": {"0.5"}}},
	}
	for _, who := range []person{f.agent, f.viewer, f.requester} {
		cl := f.client(t)
		cl.signIn(who)
		for _, p := range posts {
			require.Equal(t, http.StatusForbidden, cl.post(p.path, p.form).StatusCode, "%s %s", who.Email, p.path)
		}
	}
	// Another company's admin sees another company's endpoint as missing.
	sys, err := tenant.System().InCompany(f.other.ID)
	require.NoError(t, err)
	role := tenant.RoleAdmin
	_, err = f.desk.Directory.UpdateUser(ctx, sys, f.outsider.User.ID, directory.UserPatch{Role: &role})
	require.NoError(t, err)
	cl := f.client(t)
	cl.signIn(f.outsider)
	require.Equal(t, http.StatusNotFound, cl.get("/integrations/webhooks/"+id).StatusCode)
	after, err := f.desk.Webhooks.GetEndpoint(ctx, f.admin.actor(), ep.ID)
	require.NoError(t, err)
	require.Equal(t, ep.Version, after.Version, "nothing was written")
	rules, err := f.desk.WhatsApp.Rules(ctx, f.admin.actor())
	require.NoError(t, err)
	require.Empty(t, rules)
	view, err := f.desk.AI.Settings(ctx, f.admin.actor())
	require.NoError(t, err)
	require.NotEqual(t, "openai", string(view.Provider))
}

// TestAdminTokenOwnRateLimit: an admin grants a new token a request limit
// of its own from the tokens page; a bad value is a field error that keeps
// what was typed and creates nothing.
func TestAdminTokenOwnRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	cl := f.client(t)
	cl.signIn(f.admin)
	count := func() int {
		page, err := f.desk.Directory.ListAPITokens(t.Context(), f.admin.actor(), directory.APITokenFilter{}, storage.PageRequest{})
		require.NoError(t, err)
		return len(page.Items)
	}
	for _, tc := range []struct{ rate, want string }{
		{"-1", "deve ser de 0 (o limite do servidor) a 100000 requisições por segundo"},
		{"muito", "deve ser um número"},
	} {
		resp := cl.post("/admin/tokens", url.Values{"name": {"ERP"}, "scope": {"tickets.read"}, "rate": {tc.rate}})
		html := body(t, resp)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, tc.rate)
		require.Contains(t, html, tc.want)
		require.Contains(t, html, `value="`+tc.rate+`"`, "the typed value is kept")
		require.Zero(t, count(), "nothing is created")
	}
	resp := cl.post("/admin/tokens", url.Values{"name": {"ERP"}, "scope": {"tickets.read"}, "rate": {"2,5"}})
	html := body(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, html, "2.5/s, rajada 5")
	require.Equal(t, 1, count())
}
