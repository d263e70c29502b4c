package webui_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

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
