package webui_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/storage"
)

// TestBrowserWebhooks creates an endpoint (a refused URL first, kept in
// place), shows its secret once, sends a test event to a real receiver
// that fails and then accepts, shows the statistics and the delivery log
// with each attempt's status and latency, redelivers, rotates the secret
// and disables the endpoint; an agent gets the 403 page.
func TestBrowserWebhooks(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	var got atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got.Add(1)
		if fail.Load() {
			http.Error(w, "receiver is down", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "thanks")
	}))
	t.Cleanup(receiver.Close)
	f := newFixture(t, fixtureOptions{desk: []helpdesk.Option{helpdesk.WithWebhookConfig(webhooks.Config{
		AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})}})
	b := newBrowser(t)
	admin := b.tab("admin", f.srv.URL)
	admin.signIn(f.admin)
	admin.visit("/integrations/webhooks", "webhooks")

	admin.fill("#url", "ftp://example")
	admin.submit("form[action$='/integrations/webhooks'] button[type=submit]")
	admin.check("endpoint-refused")
	require.NotEmpty(t, admin.text("#url-error"))
	require.Equal(t, "ftp://example", admin.value("#url"))
	page, err := f.desk.Webhooks.ListEndpoints(t.Context(), f.admin.actor(), storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, page.Items, "nothing was written")

	admin.fill("#url", receiver.URL+"/hook")
	admin.fill("#events", "ticket.*, service_order.completed")
	admin.fill("#description", "ERP")
	admin.submit("form[action$='/integrations/webhooks'] button[type=submit]")
	admin.check("endpoint-created")
	secret := admin.text("[data-testid=secret-value]")
	require.Regexp(t, `^whsec_`, secret)
	page, err = f.desk.Webhooks.ListEndpoints(t.Context(), f.admin.actor(), storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	ep := page.Items[0]
	require.ElementsMatch(t, []string{"ticket.*", "service_order.completed"}, ep.Events)
	base := "/integrations/webhooks/" + itoa(ep.ID)

	admin.submit("[data-testid=endpoint-" + itoa(ep.ID) + "] a")
	admin.check("endpoint")
	require.False(t, admin.exists("[data-testid=secret]"), "the secret is shown once")
	admin.submit("form[action$='/test'] button")
	admin.check("test-failed")
	require.Contains(t, admin.text("[data-testid=notice]"), "não foi aceito")
	require.Contains(t, admin.text("[data-testid=stats]"), "0%")
	admin.submit("[data-testid^=delivery-] a")
	admin.check("delivery-failed")
	require.Contains(t, admin.text("table"), "503")
	require.Contains(t, admin.text("table"), "ms")

	fail.Store(false)
	admin.submit("form[action$='/redeliver'] button")
	admin.check("redelivery-queued")
	_, err = f.desk.Webhooks.ProcessDue(t.Context())
	require.NoError(t, err)
	admin.visit(admin.path(), "redelivered")
	require.Contains(t, admin.text("[data-testid=delivery-status]"), "entregue")
	require.Contains(t, admin.text("table"), "200")
	require.Contains(t, admin.text("table"), "thanks")
	require.Equal(t, int32(2), got.Load())

	admin.visit(base, "endpoint-stats")
	require.Equal(t, "1", admin.text("[data-testid=stat-succeeded]"))
	admin.submit("form[action$='/rotate'] button")
	admin.check("rotated")
	rotated := admin.text("[data-testid=secret-value]")
	require.Regexp(t, `^whsec_`, rotated)
	require.NotEqual(t, secret, rotated)

	admin.submit("form[action$='/active'] button")
	admin.check("disabled")
	require.Contains(t, admin.text("main"), "desativado")
	got2, err := f.desk.Webhooks.GetEndpoint(t.Context(), f.admin.actor(), ep.ID)
	require.NoError(t, err)
	require.False(t, got2.Active)

	admin.fill("#events", "")
	admin.fill("#url", "")
	admin.submit("form[method=post][action$='" + base + "'] button[type=submit]")
	admin.check("edit-refused")
	require.NotEmpty(t, admin.text("#url-error"))
	admin.phone()
	admin.visit(base, "endpoint-phone")

	agent := b.tab("agent", f.srv.URL)
	agent.signIn(f.agent)
	agent.visit("/integrations/webhooks", "webhooks-agent")
	require.Contains(t, agent.text("main"), "Não permitido")
	agent.visit(base, "endpoint-agent")
	require.Contains(t, agent.text("main"), "Não permitido")
}

// TestBrowserWebhookHeldAndSkipped shows a failed delivery holding the
// later one of its aggregate (held count on the list and the endpoint,
// "held by" in the log), and skips it from its page so that the held one
// goes on.
func TestBrowserWebhookHeldAndSkipped(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if fail.Load() {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	f := newFixture(t, fixtureOptions{desk: []helpdesk.Option{helpdesk.WithWebhookConfig(webhooks.Config{
		Schedule: []time.Duration{time.Millisecond}, Jitter: 0.01,
		AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})}})
	ctx := t.Context()
	ep, err := f.desk.Webhooks.CreateEndpoint(ctx, f.admin.actor(), webhooks.EndpointInput{URL: receiver.URL, Events: []string{"ticket.*"}})
	require.NoError(t, err)
	for _, typ := range []string{"ticket.created", "ticket.updated"} {
		ev, err := events.New(typ, f.acme.ID, "ticket", 7, f.agent.actor(), f.desk.Now(), map[string]any{"id": 7})
		require.NoError(t, err)
		require.NoError(t, f.desk.Webhooks.HandleEvent(ctx, ev))
	}
	// Send until the first delivery has used its two attempts.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := f.desk.Webhooks.ProcessDue(ctx)
		require.NoError(t, err)
		st, err := f.desk.Webhooks.Stats(ctx, f.admin.actor(), ep.ID)
		require.NoError(t, err)
		if st.Failed == 1 {
			require.Equal(t, 1, st.Held)
			break
		}
		require.True(t, time.Now().Before(deadline), "the first delivery never failed: %+v", st)
		runtime.Gosched()
	}

	b := newBrowser(t)
	admin := b.tab("admin", f.srv.URL)
	admin.signIn(f.admin)
	admin.visit("/integrations/webhooks", "held-list")
	require.Equal(t, "1", admin.text("[data-testid=endpoint-"+itoa(ep.ID)+"] [data-testid=held]"))
	admin.visit("/integrations/webhooks/"+itoa(ep.ID), "held-endpoint")
	require.Contains(t, admin.text("[data-testid=stat-held]"), "1")
	require.Contains(t, admin.text("main table"), "retida por")
	admin.visit("/integrations/webhooks/"+itoa(ep.ID)+"?status=failed", "failed-only")
	admin.submit("[data-testid^=delivery-] a")
	admin.check("failed-delivery")
	require.Contains(t, admin.text("[data-testid=delivery-status]"), "falhou")

	fail.Store(false)
	admin.submit("form[action$='/skip'] button")
	admin.check("skipped")
	require.Contains(t, admin.text("[data-testid=delivery-status]"), "pulada")
	require.False(t, admin.exists("form[action$='/redeliver']"), "a skipped delivery cannot be redelivered")
	_, err = f.desk.Webhooks.ProcessDue(ctx)
	require.NoError(t, err)
	admin.visit("/integrations/webhooks/"+itoa(ep.ID), "after-skip")
	require.Equal(t, "0", admin.text("[data-testid=stat-held]"))
	require.Equal(t, "1", admin.text("[data-testid=stat-succeeded]"))
}

// TestBrowserWhatsApp saves the settings with write-only secrets (shown
// as set), refuses enabling without a phone number ID in place, adds,
// toggles and deletes a rule, and shows the message log and connection
// status after a message to a fake Cloud API; a viewer gets the 403 page.
func TestBrowserWhatsApp(t *testing.T) {
	cloud := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"messaging_product":"whatsapp","contacts":[{"input":"5511987654321","wa_id":"5511987654321"}],"messages":[{"id":"wamid.TEST1"}]}`)
	}))
	t.Cleanup(cloud.Close)
	f := newFixture(t, fixtureOptions{})
	b := newBrowser(t)
	admin := b.tab("admin", f.srv.URL)
	admin.signIn(f.admin)
	admin.visit("/integrations/whatsapp", "whatsapp")
	require.Contains(t, admin.text("[data-testid=access_token-state]"), "não definido")

	admin.click("#enabled")
	admin.fill("#base_url", cloud.URL)
	admin.submit("form[action$='/whatsapp/settings'] button[type=submit]")
	admin.check("settings-refused")
	require.NotEmpty(t, admin.text("[data-testid=form-errors]"))
	require.Equal(t, cloud.URL, admin.value("#base_url"))

	admin.fill("#phone_number_id", "106540352242922")
	admin.fill("#access_token", "EAAG-secret-token")
	admin.fill("#app_secret", "app-secret")
	admin.submit("form[action$='/whatsapp/settings'] button[type=submit]")
	admin.check("settings-saved")
	require.Contains(t, admin.text("[data-testid=access_token-state]"), "definido")
	require.NotContains(t, admin.text("[data-testid=access_token-state]"), "não")
	require.Empty(t, admin.value("#access_token"), "secrets are never shown")
	require.Contains(t, admin.text("[data-testid=wa-status]"), "ativo e configurado")

	admin.fill("#event_type", "ticket.created")
	admin.submit("form[action$='/whatsapp/rules'] button[type=submit]")
	admin.check("rule-refused")
	require.NotEmpty(t, admin.text("#template_name-error"))
	require.Equal(t, "ticket.created", admin.value("#event_type"))
	admin.fill("#template_name", "chamado_aberto")
	admin.fill("#parameters", "ticket.number, contact_name")
	admin.submit("form[action$='/whatsapp/rules'] button[type=submit]")
	admin.check("rule-created")
	rules, err := f.desk.WhatsApp.Rules(t.Context(), f.admin.actor())
	require.NoError(t, err)
	require.Len(t, rules, 1)
	require.Equal(t, []string{"ticket.number", "contact_name"}, rules[0].Parameters)
	row := "[data-testid=rule-" + itoa(rules[0].ID) + "]"
	admin.submit(row + " form[action$='/active'] button")
	admin.check("rule-off")
	require.Contains(t, admin.text(row), "Inativo")

	optIn := true
	phone := "+5511987654321"
	_, err = f.desk.Directory.UpdateContact(t.Context(), f.admin.actor(), f.requester.Contact.ID, directory.ContactPatch{Phone: &phone, WhatsAppOptIn: &optIn})
	require.NoError(t, err)
	_, err = f.desk.WhatsApp.Send(t.Context(), f.agent.actor(), whatsapp.SendInput{ContactID: f.requester.Contact.ID, Text: "Seu chamado foi aberto."})
	require.NoError(t, err)
	admin.visit("/integrations/whatsapp", "message-log")
	require.Contains(t, admin.text("[aria-labelledby=wa-log-h] table"), "Seu chamado foi aberto.")
	require.Contains(t, admin.text("[aria-labelledby=wa-log-h] table"), "+5511987654321")
	require.NotContains(t, admin.text("[data-testid=wa-status]"), "—\nÚltimo erro")

	admin.submit(row + " form[action$='/delete'] button")
	admin.check("rule-deleted")
	require.False(t, admin.exists(row))
	admin.phone()
	admin.visit("/integrations/whatsapp", "whatsapp-phone")

	viewer := b.tab("viewer", f.srv.URL)
	viewer.signIn(f.viewer)
	viewer.visit("/integrations/whatsapp", "whatsapp-viewer")
	require.Contains(t, viewer.text("main"), "Não permitido")
}

// TestBrowserAI shows the gateway's status with the built-in model's
// accuracy, analyzes a text (a refusal first), and lets only an admin
// change the settings (a refused threshold first); a requester gets the
// 403 page.
func TestBrowserAI(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := newBrowser(t)
	agent := b.tab("agent", f.srv.URL)
	agent.signIn(f.agent)
	agent.visit("/integrations/ai", "ai-agent")
	require.Contains(t, agent.text("[data-testid=ai-status]"), "Modelo embutido")
	require.NotEmpty(t, agent.text("[data-testid=category-accuracy]"))
	require.False(t, agent.exists("#ai-settings-h"), "agents do not see the settings")

	agent.fill("#text", "A impressora não liga")
	agent.submit("form[action$='/ai/analyze'] button")
	agent.check("analyze-refused")
	require.NotEmpty(t, agent.text("#title-error"))
	require.Equal(t, "A impressora não liga", agent.value("#text"))
	agent.fill("#title", "Impressora quebrada urgente")
	agent.submit("form[action$='/ai/analyze'] button")
	agent.check("analyzed")
	require.NotEmpty(t, agent.text("[data-testid=analysis-priority]"))
	require.Equal(t, "Impressora quebrada urgente", agent.value("#title"))

	admin := b.tab("admin", f.srv.URL)
	admin.signIn(f.admin)
	admin.visit("/integrations/ai", "ai-admin")
	admin.fill("#threshold", "2")
	admin.submit("form[action$='/ai/settings'] button[type=submit]")
	admin.check("settings-refused")
	require.NotEmpty(t, admin.text("#threshold-error"))
	require.Equal(t, "2", admin.value("#threshold"))
	admin.fill("#threshold", "0,85")
	admin.click("input[name=enabled]")
	admin.submit("form[action$='/ai/settings'] button[type=submit]")
	admin.check("settings-saved")
	require.Contains(t, admin.text("[data-testid=ai-status]"), "85%")
	require.Contains(t, admin.text("[data-testid=ai-status]"), "classifica chamados novos")
	admin.phone()
	admin.visit("/integrations/ai", "ai-phone")

	requester := b.tab("requester", f.srv.URL)
	requester.signIn(f.requester)
	requester.visit("/integrations/ai", "ai-requester")
	require.Contains(t, requester.text("main"), "Não permitido")
}
