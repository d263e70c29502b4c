package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

const webhooksPath = "/api/integrations/webhooks"

func webhookPath(id int64, rest string) string {
	return webhooksPath + "/" + strconv.FormatInt(id, 10) + rest
}

// hookReceiver records webhook requests and checks their signatures with
// the Standard Webhooks reference library (ignoring the timestamp's age:
// the tests' clock is fixed in 2026).
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	ids    []string
	types  []string
	errs   []error
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		wh, err := standardwebhooks.NewWebhook(h.secret)
		if err == nil {
			err = wh.VerifyIgnoringTimestamp(body, r.Header)
		}
		h.ids = append(h.ids, r.Header.Get("webhook-id"))
		var ev struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(body, &ev)
		h.types = append(h.types, ev.Type)
		h.errs = append(h.errs, err)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) seen() ([]string, []string, []error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.ids...), append([]string(nil), h.types...), append([]error(nil), h.errs...)
}

type webhookResp struct {
	ID             int64    `json:"id"`
	URL            string   `json:"url"`
	Events         []string `json:"events"`
	Description    string   `json:"description"`
	Active         bool     `json:"active"`
	Secret         string   `json:"secret"`
	Version        int64    `json:"version"`
	DisabledReason string   `json:"disabled_reason"`
}

type deliveryResp struct {
	ID         int64  `json:"id"`
	EventID    string `json:"event_id"`
	EventType  string `json:"event_type"`
	Status     string `json:"status"`
	Attempts   int    `json:"attempts"`
	AttemptLog []struct {
		StatusCode int `json:"status_code"`
	} `json:"attempt_log"`
}

func TestWebhooksAndEventsEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b.open(t), httpapi.Config{}, helpdesk.WithWebhookConfig(webhooks.Config{
				AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}))
			testWebhooksEndToEnd(t, e)
		})
	}
}

func testWebhooksEndToEnd(t *testing.T, e *env) {
	_, a := e.company("Acme Events")
	_, other := e.company("Beta Events")
	admin := a[tenant.RoleAdmin]
	auth := func(tok string) []string { return []string{"Authorization", tok} }
	rcv := newHookReceiver(t)

	// Refusals write nothing.
	r := e.do("POST", webhooksPath, map[string]any{"url": "http://10.0.0.1/hook", "events": []string{"*"}}, auth(admin)...)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	require.Contains(t, r.Problem(t).Fields(), "url")
	r = e.do("POST", webhooksPath, map[string]any{"url": rcv.srv.URL, "events": []string{"ticket..x"}}, auth(admin)...)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	r = e.do("POST", webhooksPath, map[string]any{"url": rcv.srv.URL, "events": []string{"*"}}, auth(a[tenant.RoleAgent])...)
	require.Equal(t, http.StatusForbidden, r.Status)
	r = e.do("GET", webhooksPath, nil, auth(admin)...)
	require.Equal(t, http.StatusOK, r.Status)
	var list struct{ Items []webhookResp }
	r.JSON(t, &list)
	require.Empty(t, list.Items)

	r = e.do("POST", webhooksPath, map[string]any{"url": rcv.srv.URL + "/hook", "events": []string{"custom.*", "webhook.test"},
		"description": "billing"}, auth(admin)...)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var created webhookResp
	r.JSON(t, &created)
	require.Contains(t, created.Secret, "whsec_")
	require.Equal(t, webhookPath(created.ID, ""), r.Header.Get("Location"))
	require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	rcv.mu.Lock()
	rcv.secret = created.Secret
	rcv.mu.Unlock()

	r = e.do("GET", webhookPath(created.ID, ""), nil, auth(admin)...)
	require.Equal(t, http.StatusOK, r.Status)
	var got webhookResp
	r.JSON(t, &got)
	require.Empty(t, got.Secret, "the secret is shown once")
	require.Equal(t, []string{"custom.*", "webhook.test"}, got.Events)
	for _, path := range []string{"", "/stats", "/deliveries"} {
		r = e.do("GET", webhookPath(created.ID, path), nil, auth(other[tenant.RoleAdmin])...)
		require.Equal(t, http.StatusNotFound, r.Status, "another company's webhook%s is missing", path)
	}
	r = e.do("POST", webhookPath(created.ID, "/rotate-secret"), nil, auth(other[tenant.RoleAdmin])...)
	require.Equal(t, http.StatusNotFound, r.Status)

	// A custom event goes through the outbox to the endpoint.
	r = e.do("POST", "/api/integrations/events/publish", map[string]any{"type": "ticket.created", "data": map[string]any{}}, auth(admin)...)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	r = e.do("POST", "/api/integrations/events/publish", map[string]any{"type": "custom.invoice_paid", "data": []int{1}}, auth(admin)...)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	r = e.do("POST", "/api/integrations/events/publish", map[string]any{"type": "custom.invoice_paid",
		"aggregate_id": "inv-1", "data": map[string]any{"amount_cents": 1500}}, auth(admin)...)
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	var ev struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	r.JSON(t, &ev)
	r = e.do("GET", "/api/integrations/events/pending?type=custom.invoice_paid", nil, auth(admin)...)
	require.Equal(t, http.StatusOK, r.Status)
	var pending struct {
		Items []struct {
			ID string `json:"id"`
		}
	}
	r.JSON(t, &pending)
	require.Len(t, pending.Items, 1)
	require.Equal(t, ev.ID, pending.Items[0].ID)
	r = e.do("GET", "/api/integrations/events/pending", nil, auth(other[tenant.RoleAdmin])...)
	require.Equal(t, http.StatusOK, r.Status)
	r.JSON(t, &pending)
	for _, p := range pending.Items {
		require.NotEqual(t, ev.ID, p.ID, "another company's events are not listed")
	}

	r = e.do("POST", webhooksPath+"/process", nil, auth(admin)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var processed struct{ Relayed, Attempted int }
	r.JSON(t, &processed)
	require.Positive(t, processed.Relayed)
	require.Equal(t, 1, processed.Attempted)
	ids, types, errs := rcv.seen()
	require.Equal(t, []string{ev.ID}, ids)
	require.Equal(t, []string{"custom.invoice_paid"}, types)
	require.NoError(t, errs[0])
	r = e.do("GET", "/api/integrations/events/pending", nil, auth(admin)...)
	r.JSON(t, &pending)
	require.Empty(t, pending.Items)

	r = e.do("GET", webhookPath(created.ID, "/deliveries"), nil, auth(admin)...)
	require.Equal(t, http.StatusOK, r.Status)
	var deliveries struct{ Items []deliveryResp }
	r.JSON(t, &deliveries)
	require.Len(t, deliveries.Items, 1)
	d := deliveries.Items[0]
	require.Equal(t, "succeeded", d.Status)
	require.Equal(t, ev.ID, d.EventID)
	require.Len(t, d.AttemptLog, 1)
	require.Equal(t, 204, d.AttemptLog[0].StatusCode)
	r = e.do("GET", webhookPath(created.ID, "/deliveries?status=bogus"), nil, auth(admin)...)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)

	// Test delivery, redelivery, statistics.
	r = e.do("POST", webhookPath(created.ID, "/test"), nil, auth(admin)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var test deliveryResp
	r.JSON(t, &test)
	require.Equal(t, "succeeded", test.Status)
	require.Equal(t, "webhook.test", test.EventType)
	r = e.do("POST", webhookPath(created.ID, "/deliveries/"+strconv.FormatInt(d.ID, 10)+"/redeliver"), nil, auth(other[tenant.RoleAdmin])...)
	require.Equal(t, http.StatusNotFound, r.Status)
	r = e.do("POST", webhookPath(created.ID, "/deliveries/"+strconv.FormatInt(d.ID, 10)+"/redeliver"), nil, auth(admin)...)
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	r = e.do("POST", webhooksPath+"/process", nil, auth(admin)...)
	require.Equal(t, http.StatusOK, r.Status)
	ids, _, errs = rcv.seen()
	require.Len(t, ids, 3)
	require.Equal(t, ev.ID, ids[2], "redelivered with the same webhook-id")
	for _, err := range errs {
		require.NoError(t, err)
	}
	skip := webhookPath(created.ID, "/deliveries/"+strconv.FormatInt(d.ID, 10)+"/skip")
	r = e.do("POST", skip, nil, auth(other[tenant.RoleAdmin])...)
	require.Equal(t, http.StatusNotFound, r.Status)
	r = e.do("POST", skip, nil, auth(admin)...)
	require.Equal(t, http.StatusConflict, r.Status, "only failed deliveries are skipped: %s", r.Body)
	r = e.do("GET", webhookPath(created.ID, ""), nil, auth(admin)...)
	require.Equal(t, http.StatusOK, r.Status)
	var held struct {
		HeldDeliveries *int `json:"held_deliveries"`
	}
	r.JSON(t, &held)
	require.NotNil(t, held.HeldDeliveries)
	require.Zero(t, *held.HeldDeliveries)
	r = e.do("GET", webhookPath(created.ID, "/stats"), nil, auth(admin)...)
	require.Equal(t, http.StatusOK, r.Status)
	var stats struct {
		Deliveries, Succeeded, Attempts int
		SuccessRate                     float64 `json:"success_rate"`
	}
	r.JSON(t, &stats)
	require.Equal(t, 2, stats.Deliveries)
	require.Equal(t, 2, stats.Succeeded)
	require.Equal(t, 3, stats.Attempts)
	require.InDelta(t, 1.0, stats.SuccessRate, 1e-9)

	// Rotation, update with If-Match, delete.
	r = e.do("POST", webhookPath(created.ID, "/rotate-secret"), nil, auth(admin)...)
	require.Equal(t, http.StatusOK, r.Status)
	var rotated webhookResp
	r.JSON(t, &rotated)
	require.NotEqual(t, created.Secret, rotated.Secret)
	r = e.do("PUT", webhookPath(created.ID, ""), map[string]any{"description": "stale"}, append(auth(admin), "If-Match", `"v1"`)...)
	require.Equal(t, http.StatusPreconditionFailed, r.Status)
	r = e.do("PUT", webhookPath(created.ID, ""), map[string]any{"description": "orders", "active": false},
		append(auth(admin), "If-Match", `"v`+strconv.FormatInt(rotated.Version, 10)+`"`)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r.JSON(t, &got)
	require.Equal(t, "orders", got.Description)
	require.False(t, got.Active)
	r = e.do("PUT", webhookPath(created.ID, ""), map[string]any{"url": "http://169.254.169.254/"}, auth(admin)...)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	r = e.do("DELETE", webhookPath(created.ID, ""), nil, auth(other[tenant.RoleAdmin])...)
	require.Equal(t, http.StatusNotFound, r.Status)
	r = e.do("DELETE", webhookPath(created.ID, ""), nil, auth(admin)...)
	require.Equal(t, http.StatusNoContent, r.Status)
	r = e.do("GET", webhookPath(created.ID, ""), nil, auth(admin)...)
	require.Equal(t, http.StatusNotFound, r.Status)
}
