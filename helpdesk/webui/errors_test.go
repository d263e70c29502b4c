package webui_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/storage"
)

// TestDomainRefusalsInPortuguese posts forms the domain refuses and reads
// the page a pt-BR person gets: the refusal in Portuguese, never the
// domain's English text, and nothing written.
func TestDomainRefusalsInPortuguese(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	w := newAssetWorld(t, f, 2)
	order := "/service-orders/" + itoa(w.order.ID)
	cl := f.client(t)
	cl.signIn(f.admin)
	require.Equal(t, http.StatusSeeOther, cl.post(order+"/activities", url.Values{"kind": {"labour"},
		"technician_user_id": {itoa(int64(f.agent.User.ID))}, "started_at": {"2026-03-02T09:00"}, "ended_at": {"2026-03-02T11:00"}}).StatusCode)
	for _, tc := range []struct {
		name, path string
		form       url.Values
		status     int
		want       string
		english    string
	}{
		{"a webhook to a private address", "/integrations/webhooks", url.Values{"url": {"http://10.0.0.1/hook"}, "events": {"*"}},
			http.StatusUnprocessableEntity, "rede interna", "webhook address refused"},
		{"time overlapping another entry of the technician", order + "/activities", url.Values{"kind": {"labour"},
			"technician_user_id": {itoa(int64(f.agent.User.ID))}, "started_at": {"2026-03-02T09:30"}, "ended_at": {"2026-03-02T10:00"}},
			http.StatusConflict, "sobrep", "overlaps"},
		{"a step the order does not offer", order + "/transition", url.Values{"action": {"invoice"}},
			http.StatusConflict, `data-testid="order-notice">este passo não é possível`, "cannot move"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := f.client(t)
			cl.signIn(f.admin)
			resp := cl.post(tc.path, tc.form, "Accept-Language", "pt-BR")
			html := body(t, resp)
			require.Equal(t, tc.status, resp.StatusCode)
			require.Contains(t, html, tc.want)
			require.NotContains(t, html, tc.english)
		})
	}
	eps, err := f.desk.Webhooks.ListEndpoints(t.Context(), f.admin.actor(), storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, eps.Items, "the refused endpoint was not written")
	d, err := f.desk.ServiceOrders.Get(t.Context(), f.admin.actor(), w.order.ID)
	require.NoError(t, err)
	require.Len(t, d.Activities, 1, "only the first entry was written")
}
