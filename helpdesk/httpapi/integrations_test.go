package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

const (
	waPath        = "/api/integrations/whatsapp"
	aiPath        = "/api/integrations/ai"
	waPhoneID     = "106540352242922"
	waToken       = "EAAG-e2e-token"
	waAppSecret   = "e2e-app-secret"
	waVerifyToken = "e2e-verify-token"
)

// fakeCloudAPI answers POST /v21.0/{phone-number-id}/messages in the
// Cloud API's shapes, each accepted message with an ID of its own, and the
// media endpoints: GET /v21.0/{media-id} (the medium's URL and type) and
// GET of that URL, both with the bearer token.
type fakeCloudAPI struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sent []map[string]any
	fail string // when set, the error body to answer with 400
	// media are the media the API serves, by ID; downloads counts their
	// downloads.
	media     map[string]fakeMedia
	downloads int
}

// fakeMedia is one medium a contact sent.
type fakeMedia struct {
	mimeType string
	data     []byte
}

func newFakeCloudAPI(t *testing.T) *fakeCloudAPI {
	f := &fakeCloudAPI{media: map[string]fakeMedia{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.Header.Get("Authorization") == "Bearer "+waToken && f.serveMedia(w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/v21.0/"+waPhoneID+"/messages" || r.Header.Get("Authorization") != "Bearer "+waToken {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}`)
			return
		}
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.fail != "" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, f.fail)
			return
		}
		f.sent = append(f.sent, m)
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":"wamid.e2e%d"}]}`,
			m["to"], m["to"], len(f.sent))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// serveMedia answers the media endpoints; false when r is for neither.
func (f *fakeCloudAPI) serveMedia(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := strings.CutPrefix(r.URL.Path, "/v21.0/"); ok {
		m, found := f.media[id]
		if !found {
			return false
		}
		sum := sha256.Sum256(m.data)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"messaging_product": "whatsapp", "url": f.srv.URL + "/whatsapp_business/attachments/?mid=" + id,
			"mime_type": m.mimeType, "sha256": hex.EncodeToString(sum[:]), "file_size": len(m.data), "id": id})
		return true
	}
	if r.URL.Path == "/whatsapp_business/attachments/" {
		m, found := f.media[r.URL.Query().Get("mid")]
		if !found {
			http.NotFound(w, r)
			return true
		}
		f.downloads++
		w.Header().Set("Content-Type", m.mimeType)
		_, _ = w.Write(m.data)
		return true
	}
	return false
}

func (f *fakeCloudAPI) requests() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.sent...)
}

type waMessageResp struct {
	ID          int64  `json:"id"`
	Direction   string `json:"direction"`
	WAMessageID string `json:"wa_message_id"`
	ContactID   int64  `json:"contact_id"`
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	TicketID    int64  `json:"ticket_id"`
	Error       string `json:"error"`
}

type inboundResp struct {
	Items []struct {
		WAMessageID string `json:"wa_message_id"`
		Outcome     string `json:"outcome"`
		TicketID    int64  `json:"ticket_id"`
		Reason      string `json:"reason"`
	} `json:"items"`
}

// signed posts body to the webhook with its signature under secret.
func (f *invFixture) webhook(body []byte, secret string) response {
	f.t.Helper()
	return f.do("POST", waPath+"/webhook", body, whatsapp.SignatureHeader, whatsapp.Sign(secret, body))
}

func statusCallback(waID, status string) []byte {
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q},"statuses":[{"id":%q,"status":%q,"timestamp":"1739321100","recipient_id":"16505551234"}]}}]}]}`,
		waPhoneID, waID, status))
}

func TestWhatsAppEndToEnd(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		api := newFakeCloudAPI(t)
		admin, agent := f.ta[tenant.RoleAdmin], f.ta[tenant.RoleAgent]
		ctx := t.Context()

		// Settings: admins only, defaults at version 0, secrets write-only.
		r := f.call(agent, "GET", waPath+"/settings", nil)
		require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
		r = f.call(admin, "GET", waPath+"/settings", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.Contains(t, string(r.Body), `"version":0`)
		r = f.call(admin, "PUT", waPath+"/settings", map[string]any{"api_version": "21"})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
		require.Equal(t, []string{"api_version"}, r.Problem(t).Fields())
		r = f.call(admin, "PUT", waPath+"/settings", map[string]any{"enabled": true})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "enabling needs credentials: %s", r.Body)
		r = f.call(admin, "PUT", waPath+"/settings", map[string]any{"enabled": true, "base_url": api.srv.URL,
			"phone_number_id": waPhoneID, "access_token": waToken, "app_secret": waAppSecret, "verify_token": waVerifyToken})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.Equal(t, etagOf(1), r.Header.Get("ETag"))
		for _, secret := range []string{waToken, waAppSecret, waVerifyToken} {
			require.NotContains(t, string(r.Body), secret)
		}
		var st struct {
			Configured     bool `json:"configured"`
			AccessTokenSet bool `json:"access_token_set"`
		}
		r.JSON(t, &st)
		require.True(t, st.Configured && st.AccessTokenSet)
		r = f.call(admin, "PUT", waPath+"/settings", map[string]any{"enabled": true}, "If-Match", etagOf(7))
		require.Equal(t, http.StatusPreconditionFailed, r.Status, "%s", r.Body)
		// Beta cannot take Acme's business number.
		r = f.call(f.tb[tenant.RoleAdmin], "PUT", waPath+"/settings", map[string]any{"phone_number_id": waPhoneID})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)

		// A contact who opted in.
		acme, _ := tenant.System().InCompany(f.a.ID)
		sheena, err := e.desk.Directory.CreateContact(ctx, acme, directory.ContactInput{Name: "Sheena Nelson",
			Phone: "+16505551234", WhatsAppOptIn: true})
		require.NoError(t, err)

		// Rules.
		r = f.call(admin, "POST", waPath+"/rules", map[string]any{"event_type": "ticket.created", "template_name": "ticket_opened",
			"language": "pt_BR", "parameters": []string{"contact_name", "number"}})
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		var rule struct {
			ID      int64 `json:"id"`
			Version int64 `json:"version"`
			Active  bool  `json:"active"`
		}
		r.JSON(t, &rule)
		require.True(t, rule.Active)
		require.Equal(t, waPath+"/rules/"+strconv.FormatInt(rule.ID, 10), r.Header.Get("Location"))
		r = f.call(admin, "POST", waPath+"/rules", map[string]any{"event_type": "Ticket Created", "template_name": "x", "language": "pt_BR"})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
		r = f.call(admin, "PUT", waPath+"/rules/"+strconv.FormatInt(rule.ID, 10), map[string]any{"event_type": "ticket.created",
			"template_name": "ticket_opened", "language": "pt_BR", "parameters": []string{"contact_name", "number", "title"}},
			"If-Match", etagOf(rule.Version))
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		r = f.call(f.tb[tenant.RoleAdmin], "GET", waPath+"/rules/"+strconv.FormatInt(rule.ID, 10), nil)
		require.Equal(t, http.StatusNotFound, r.Status, "another company's rule is missing")
		r = f.call(f.tb[tenant.RoleAdmin], "DELETE", waPath+"/rules/"+strconv.FormatInt(rule.ID, 10), nil)
		require.Equal(t, http.StatusNotFound, r.Status)
		r = f.call(admin, "GET", waPath+"/rules", nil)
		require.Equal(t, http.StatusOK, r.Status)
		require.Contains(t, string(r.Body), `"title"`)

		// Sending.
		r = f.call(agent, "POST", waPath+"/send", map[string]any{"contact_id": sheena.ID, "text": "Olá!"})
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		var sent waMessageResp
		r.JSON(t, &sent)
		require.Equal(t, "accepted", sent.Status)
		require.Equal(t, "wamid.e2e1", sent.WAMessageID)
		require.Equal(t, "16505551234", api.requests()[0]["to"])
		for _, bad := range []map[string]any{{"contact_id": sheena.ID}, {"contact_id": sheena.ID + 999, "text": "x"},
			{"contact_id": sheena.ID, "template": map[string]any{"name": "Bad Name", "language": "pt_BR"}}} {
			r = f.call(agent, "POST", waPath+"/send", bad)
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%v: %s", bad, r.Body)
		}
		r = f.call(f.ta[tenant.RoleViewer], "POST", waPath+"/send", map[string]any{"contact_id": sheena.ID, "text": "x"})
		require.Equal(t, http.StatusForbidden, r.Status)
		beta, _ := tenant.System().InCompany(f.b.ID)
		betaContact, err := e.desk.Directory.CreateContact(ctx, beta, directory.ContactInput{Name: "B", Phone: "+5511987654321", WhatsAppOptIn: true})
		require.NoError(t, err)
		r = f.call(f.tb[tenant.RoleAgent], "POST", waPath+"/send", map[string]any{"contact_id": betaContact.ID, "text": "x"})
		require.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
		require.Equal(t, httpProblemType("not-configured"), r.Problem(t).Type)
		api.mu.Lock()
		api.fail = `{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},"fbtrace_id":"AbCdEfGhIjKl"}}`
		api.mu.Unlock()
		r = f.call(agent, "POST", waPath+"/send", map[string]any{"contact_id": sheena.ID, "text": "late"})
		require.Equal(t, http.StatusBadGateway, r.Status, "%s", r.Body)
		require.Contains(t, r.Problem(t).Detail, "131047")
		api.mu.Lock()
		api.fail = ""
		api.mu.Unlock()

		r = f.call(agent, "GET", waPath+"/status", nil)
		require.Equal(t, http.StatusOK, r.Status)
		var status struct {
			Configured    bool   `json:"configured"`
			LastSuccessAt string `json:"last_success_at"`
			LastError     string `json:"last_error"`
		}
		r.JSON(t, &status)
		require.True(t, status.Configured)
		require.NotEmpty(t, status.LastSuccessAt)
		require.Contains(t, status.LastError, "131047")

		// The handshake.
		q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {waVerifyToken}, "hub.challenge": {"1158201444"}}
		r = f.do("GET", waPath+"/webhook?"+q.Encode(), nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.Equal(t, "1158201444", string(r.Body))
		q.Set("hub.verify_token", "wrong")
		r = f.do("GET", waPath+"/webhook?"+q.Encode(), nil)
		require.Equal(t, http.StatusForbidden, r.Status)

		// Inbound: refusals write nothing.
		inbound, err := os.ReadFile("testdata/whatsapp-inbound-text.json")
		require.NoError(t, err)
		inbound = bytes.TrimSpace(inbound)
		r = f.webhook(inbound, "forged-secret")
		require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Body)
		require.Equal(t, httpProblemType("bad-signature"), r.Problem(t).Type)
		r = f.do("POST", waPath+"/webhook", inbound)
		require.Equal(t, http.StatusUnauthorized, r.Status, "no signature")
		other := bytes.ReplaceAll(inbound, []byte(waPhoneID), []byte("999"))
		r = f.webhook(other, waAppSecret)
		require.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
		r = f.webhook([]byte(`{"object":"whatsapp_business_account","entry":[]}`), waAppSecret)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
		require.Equal(t, httpProblemType("malformed-payload"), r.Problem(t).Type)
		r = f.webhook(bytes.Repeat([]byte(" "), 1<<20+1), waAppSecret)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
		r = f.call(admin, "GET", ticketsPath, nil)
		require.Equal(t, http.StatusOK, r.Status)
		require.Contains(t, string(r.Body), `"items":[]`, "no ticket was opened")

		// Inbound: a known contact's message opens a WhatsApp ticket, once.
		r = f.webhook(inbound, waAppSecret)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var wh inboundResp
		r.JSON(t, &wh)
		require.Len(t, wh.Items, 1)
		require.Equal(t, "ticket_opened", wh.Items[0].Outcome)
		tk := f.ticket(admin, wh.Items[0].TicketID)
		require.Equal(t, "whatsapp", tk.Channel)
		require.Equal(t, sheena.ID, tenant.ContactID(tk.RequesterContactID))
		r = f.webhook(inbound, waAppSecret)
		require.Equal(t, http.StatusOK, r.Status)
		r.JSON(t, &wh)
		require.Equal(t, "duplicate", wh.Items[0].Outcome)
		r = f.call(f.tb[tenant.RoleAdmin], "GET", ticketPath(tk.ID), nil)
		require.Equal(t, http.StatusNotFound, r.Status, "the ticket belongs to Acme only")

		// Status callbacks update the sent message.
		r = f.webhook(statusCallback(sent.WAMessageID, "delivered"), waAppSecret)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		r.JSON(t, &wh)
		require.Equal(t, "status_updated", wh.Items[0].Outcome)
		r = f.call(agent, "GET", waPath+"/messages?limit=10", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var msgs struct {
			Items []waMessageResp `json:"items"`
		}
		r.JSON(t, &msgs)
		require.Len(t, msgs.Items, 3, "the text, the refused text, the inbound message")
		require.Equal(t, "delivered", msgs.Items[0].Status)
		require.Equal(t, "failed", msgs.Items[1].Status)
		require.Equal(t, "inbound", msgs.Items[2].Direction)
		require.Equal(t, tk.ID, msgs.Items[2].TicketID)

		// The notifier, as the event bus will call it, sends the rule's
		// template for the ticket the message opened.
		evs, err := e.desk.Outbox(ctx, events.OutboxQuery{CompanyID: f.a.ID, Type: "ticket.created"})
		require.NoError(t, err)
		require.Len(t, evs, 1)
		for _, h := range e.desk.EventHandlers() {
			if h.Type == "*" || h.Type == evs[0].Type {
				require.NoError(t, h.Handle(ctx, evs[0]), h.Name)
			}
		}
		reqs := api.requests()
		require.Len(t, reqs, 2)
		tpl := reqs[1]["template"].(map[string]any)
		require.Equal(t, "ticket_opened", tpl["name"])
		require.Contains(t, fmt.Sprint(tpl["components"]), "Sheena Nelson")
		require.Contains(t, fmt.Sprint(tpl["components"]), "WhatsApp: Hi")
	})
}

// httpProblemType is the full problem type URI of slug.
func httpProblemType(slug string) string { return "https://boladao.dev/problems/" + slug }

// fakeChat speaks the chat-completions shape with a fixed answer, or 401
// for any other key.
func fakeChat(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-e2e" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`)
			return
		}
		content := `{"category":"network","priority":"critical","urgency":"high","suggested_reply":"Já estamos verificando a rede.","confidence":0.9}`
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "chatcmpl-e2e", "object": "chat.completion", "model": "m",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": content}}}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAIEndToEnd(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		chat := fakeChat(t)
		admin, agent := f.ta[tenant.RoleAdmin], f.ta[tenant.RoleAgent]

		r := f.call(admin, "GET", aiPath+"/settings", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.Contains(t, string(r.Body), `"provider":"builtin"`)
		r = f.call(agent, "PUT", aiPath+"/settings", map[string]any{"enabled": true})
		require.Equal(t, http.StatusForbidden, r.Status)
		for _, bad := range []map[string]any{{"provider": "skynet"}, {"provider": "openai"}, {"threshold": 2}} {
			r = f.call(admin, "PUT", aiPath+"/settings", bad)
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%v: %s", bad, r.Body)
		}

		// The builtin classifier answers with keywords while history is short.
		r = f.call(agent, "POST", aiPath+"/analyze", map[string]any{"title": "Impressora não funciona"})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var c struct {
			Category string  `json:"category"`
			Priority string  `json:"priority"`
			Source   string  `json:"source"`
			Conf     float64 `json:"confidence"`
		}
		r.JSON(t, &c)
		require.Equal(t, "hardware", c.Category)
		require.Equal(t, "keywords", c.Source)

		r = f.call(admin, "PUT", aiPath+"/settings", map[string]any{"enabled": true, "provider": "openai",
			"base_url": chat.URL + "/v1", "model": "gpt-4o-mini", "api_key": "sk-e2e", "threshold": 0.8})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.NotContains(t, string(r.Body), "sk-e2e")
		require.Contains(t, string(r.Body), `"api_key_set":true`)

		tk := f.createTicket(agent, map[string]any{"title": "Rede caiu", "description": "todo mundo sem internet",
			"requester_contact_id": f.contactOf(f.ta[tenant.RoleRequester])})
		r = f.call(agent, "POST", aiPath+"/analyze", map[string]any{"ticket_id": tk.ID})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		r.JSON(t, &c)
		require.Equal(t, "network", c.Category)
		require.Equal(t, "critical", c.Priority)
		require.Equal(t, "openai:gpt-4o-mini", c.Source)
		r = f.call(f.tb[tenant.RoleAgent], "POST", aiPath+"/analyze", map[string]any{"ticket_id": tk.ID})
		require.Equal(t, http.StatusNotFound, r.Status, "another company's ticket is missing")
		r = f.call(agent, "POST", aiPath+"/analyze", map[string]any{})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status)
		r = f.call(agent, "POST", aiPath+"/analyze", map[string]any{"ticket_id": tk.ID, "title": "x"})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status)
		r = f.call(f.ta[tenant.RoleRequester], "POST", aiPath+"/analyze", map[string]any{"title": "x"})
		require.Equal(t, http.StatusForbidden, r.Status)

		// The applier, as the event bus will call it on ticket.created.
		evs, err := e.desk.Outbox(t.Context(), events.OutboxQuery{CompanyID: f.a.ID, Type: "ticket.created"})
		require.NoError(t, err)
		for _, h := range e.desk.EventHandlers() {
			if h.Type == "ticket.created" {
				require.NoError(t, h.Handle(t.Context(), evs[len(evs)-1]))
			}
		}
		got := f.ticket(agent, tk.ID)
		require.Equal(t, "network", got.Category)
		require.Equal(t, "critical", got.Priority)
		r = f.call(agent, "GET", ticketPath(tk.ID)+"/comments", nil)
		require.Equal(t, http.StatusOK, r.Status)
		require.Contains(t, string(r.Body), "Já estamos verificando a rede.")
		r = f.call(f.ta[tenant.RoleRequester], "GET", ticketPath(tk.ID)+"/comments", nil)
		require.Equal(t, http.StatusOK, r.Status)
		require.NotContains(t, string(r.Body), "[AI]", "requesters never see the note")

		r = f.call(agent, "GET", aiPath+"/status", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var st struct {
			Provider      string `json:"provider"`
			LastSuccessAt string `json:"last_success_at"`
			Builtin       struct {
				Mode string `json:"mode"`
			} `json:"builtin"`
		}
		r.JSON(t, &st)
		require.Equal(t, "openai", st.Provider)
		require.NotEmpty(t, st.LastSuccessAt)
		require.Equal(t, "keywords", st.Builtin.Mode)

		// A provider that refuses is 502.
		r = f.call(admin, "PUT", aiPath+"/settings", map[string]any{"api_key": "sk-wrong"})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		r = f.call(agent, "POST", aiPath+"/analyze", map[string]any{"title": "x"})
		require.Equal(t, http.StatusBadGateway, r.Status, "%s", r.Body)
		require.True(t, strings.Contains(r.Problem(t).Detail, "invalid_api_key"))
	})
}
