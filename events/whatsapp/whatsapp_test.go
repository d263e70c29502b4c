package whatsapp_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
)

const (
	phoneNumberID = "106540352242922"
	token         = "EAAG-test-token"
	appSecret     = "app-secret-for-tests"
	verifyToken   = "verify-me-please"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return bytes.TrimSpace(b)
}

// cloudAPI is a local server that speaks the Cloud API's messages
// endpoint: it records each request and answers with the next queued
// response, or the success fixture.
type cloudAPI struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	got []map[string]any
	// replies are (status, body) answers to give, in order.
	replies []reply
	ok      []byte
}

type reply struct {
	status int
	body   []byte
}

func newCloudAPI(t *testing.T) *cloudAPI {
	c := &cloudAPI{t: t, ok: fixture(t, "send-response.json")}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *cloudAPI) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.URL.Path != "/v21.0/"+phoneNumberID+"/messages" {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"message":"Unknown path","type":"OAuthException","code":803}}`))
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}`))
		return
	}
	body, _ := io.ReadAll(r.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.got = append(c.got, m)
	rep := reply{status: http.StatusOK, body: c.ok}
	if n := len(c.got); n > 1 { // every accepted message gets an ID of its own
		rep.body = bytes.Replace(c.ok, []byte(`RTcA"`), []byte(fmt.Sprintf(`RTcA%d"`, n)), 1)
	}
	if len(c.replies) > 0 {
		rep, c.replies = c.replies[0], c.replies[1:]
	}
	c.mu.Unlock()
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

func (c *cloudAPI) requests() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.got...)
}

func (c *cloudAPI) queue(status int, body string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.replies = append(c.replies, reply{status, []byte(body)})
}

// world is a memory helpdesk with one company, its WhatsApp settings
// pointing at a local Cloud API, and a contact who opted in.
type world struct {
	store   *memory.Store
	dir     *directory.Service
	tk      *tickets.Service
	wa      *whatsapp.Service
	api     *cloudAPI
	company directory.Company
	admin   tenant.Actor
	contact directory.Contact
	clock   *testClock
}

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := t.Context()
	w := &world{store: memory.New(), api: newCloudAPI(t), clock: &testClock{t: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}}
	now := w.clock.Now
	var err error
	w.dir, err = directory.NewService(w.store.Directory(), directory.WithClock(now), directory.WithBcryptCost(4))
	require.NoError(t, err)
	w.tk, err = tickets.NewService(w.store.Tickets(), tickets.WithClock(now))
	require.NoError(t, err)
	w.wa, err = whatsapp.NewService(w.store.WhatsApp(), w.tk, whatsapp.WithClock(now))
	require.NoError(t, err)
	w.company, err = w.dir.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	w.admin, err = tenant.System().InCompany(w.company.ID)
	require.NoError(t, err)
	w.contact, err = w.dir.CreateContact(ctx, w.admin, directory.ContactInput{Name: "Sheena Nelson",
		Phone: "+16505551234", WhatsAppOptIn: true})
	require.NoError(t, err)
	w.configure(t)
	return w
}

func ptr[T any](v T) *T { return &v }

func (w *world) configure(t *testing.T) {
	t.Helper()
	v, err := w.wa.UpdateSettings(t.Context(), w.admin, whatsapp.SettingsInput{Enabled: ptr(true),
		BaseURL: ptr(w.api.srv.URL), PhoneNumberID: ptr(phoneNumberID), AccessToken: ptr(token),
		AppSecret: ptr(appSecret), VerifyToken: ptr(verifyToken)})
	require.NoError(t, err)
	require.True(t, v.Configured)
}

func TestClientSendsTheCloudAPIShapes(t *testing.T) {
	t.Parallel()
	api := newCloudAPI(t)
	c, err := whatsapp.NewClient(whatsapp.ClientConfig{BaseURL: api.srv.URL + "/", Token: token, PhoneNumberID: phoneNumberID})
	require.NoError(t, err)

	res, err := c.SendTemplate(t.Context(), "+15551234567", whatsapp.Template{Name: "order_update", Language: "en_US",
		Parameters: []string{"Asha", "ORD-9271"}})
	require.NoError(t, err)
	require.Equal(t, "wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", res.MessageID)
	require.Equal(t, "15551234567", res.WAID)
	var want map[string]any
	require.NoError(t, json.Unmarshal(fixture(t, "send-template-request.json"), &want))
	require.Equal(t, want, api.requests()[0], "the template request has the Cloud API's shape")

	_, err = c.SendText(t.Context(), "15551234567", "Olá!")
	require.NoError(t, err)
	text := api.requests()[1]
	require.Equal(t, "text", text["type"])
	require.Equal(t, "Olá!", text["text"].(map[string]any)["body"])

	api.queue(http.StatusBadRequest, string(fixture(t, "send-error-window.json")))
	_, err = c.SendText(t.Context(), "15551234567", "late")
	var apiErr *whatsapp.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, whatsapp.CodeReEngagement, apiErr.Code)
	require.Equal(t, "OAuthException", apiErr.Type)
	require.Equal(t, "AbCdEfGhIjKl", apiErr.FBTraceID)
	require.Contains(t, apiErr.Details, "24 hours")
	require.False(t, apiErr.Temporary())

	api.queue(http.StatusBadRequest, `{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429}}`)
	_, err = c.SendText(t.Context(), "15551234567", "busy")
	require.ErrorAs(t, err, &apiErr)
	require.True(t, apiErr.Temporary())

	api.queue(http.StatusBadGateway, `<html>bad gateway</html>`)
	_, err = c.SendText(t.Context(), "15551234567", "down")
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusBadGateway, apiErr.StatusCode)
	require.True(t, apiErr.Temporary())

	bad, err := whatsapp.NewClient(whatsapp.ClientConfig{BaseURL: api.srv.URL, Token: "wrong-token", PhoneNumberID: phoneNumberID})
	require.NoError(t, err)
	_, err = bad.SendText(t.Context(), "15551234567", "x")
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 190, apiErr.Code)

	for _, cfg := range []whatsapp.ClientConfig{
		{PhoneNumberID: phoneNumberID},
		{Token: token, PhoneNumberID: "abc"},
		{Token: token, PhoneNumberID: phoneNumberID, APIVersion: "21"},
		{Token: token, PhoneNumberID: phoneNumberID, BaseURL: "ftp://x"},
	} {
		_, err := whatsapp.NewClient(cfg)
		require.Error(t, err, "%+v", cfg)
	}
}

func TestSignature(t *testing.T) {
	t.Parallel()
	body := fixture(t, "inbound-text.json")
	sig := whatsapp.Sign(appSecret, body)
	require.True(t, strings.HasPrefix(sig, "sha256="))
	require.NoError(t, whatsapp.VerifySignature(appSecret, body, sig))
	for _, bad := range []string{"", "sha256=", "sha1=" + sig[7:], "sha256=zz", whatsapp.Sign("other", body),
		"sha256=" + strings.Repeat("0", 64)} {
		require.ErrorIs(t, whatsapp.VerifySignature(appSecret, body, bad), whatsapp.ErrBadSignature, bad)
	}
	require.ErrorIs(t, whatsapp.VerifySignature("", body, sig), whatsapp.ErrBadSignature)
	require.ErrorIs(t, whatsapp.VerifySignature(appSecret, append(body, ' '), sig), whatsapp.ErrBadSignature)
}

// inbound builds a notification of one text message from "from".
func inbound(id, from, body string) []byte {
	n := map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{
		"id": "102290129340398", "changes": []any{map[string]any{"field": "messages", "value": map[string]any{
			"messaging_product": "whatsapp",
			"metadata":          map[string]any{"display_phone_number": "15550783881", "phone_number_id": phoneNumberID},
			"contacts":          []any{map[string]any{"profile": map[string]any{"name": "X"}, "wa_id": from}},
			"messages": []any{map[string]any{"from": from, "id": id, "timestamp": "1739321024", "type": "text",
				"text": map[string]any{"body": body}}},
		}}}}}}
	b, _ := json.Marshal(n)
	return b
}

// statusNote builds a status callback for message id.
func statusNote(id, status string, extra map[string]any) []byte {
	st := map[string]any{"id": id, "status": status, "timestamp": "1739321100", "recipient_id": "16505551234"}
	for k, v := range extra {
		st[k] = v
	}
	n := map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{
		"id": "102290129340398", "changes": []any{map[string]any{"field": "messages", "value": map[string]any{
			"messaging_product": "whatsapp",
			"metadata":          map[string]any{"display_phone_number": "15550783881", "phone_number_id": phoneNumberID},
			"statuses":          []any{st},
		}}}}}}
	b, _ := json.Marshal(n)
	return b
}

func (w *world) messages(t *testing.T) []whatsapp.Message {
	t.Helper()
	p, err := w.store.WhatsApp().ListWhatsAppMessages(t.Context(), w.company.ID, storage.PageRequest{Limit: 200})
	require.NoError(t, err)
	return p.Items
}

func (w *world) tickets(t *testing.T) []tickets.Ticket {
	t.Helper()
	p, err := w.tk.List(t.Context(), w.admin, tickets.Filter{}, storage.PageRequest{Limit: 200})
	require.NoError(t, err)
	return p.Items
}

func TestInboundOpensATicketThenComments(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	body := fixture(t, "inbound-text.json")

	res, err := w.wa.Inbound(ctx, body, whatsapp.Sign(appSecret, body))
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	require.Equal(t, whatsapp.OutcomeTicketOpened, res.Items[0].Outcome)
	ts := w.tickets(t)
	require.Len(t, ts, 1)
	require.Equal(t, tickets.ChannelWhatsApp, ts[0].Channel)
	require.Equal(t, w.contact.ID, ts[0].RequesterContactID)
	require.Equal(t, "WhatsApp: Hi", ts[0].Title)
	require.Equal(t, ts[0].ID, res.Items[0].TicketID)

	// The Cloud API retries: the same message ID changes nothing.
	res, err = w.wa.Inbound(ctx, body, whatsapp.Sign(appSecret, body))
	require.NoError(t, err)
	require.Equal(t, whatsapp.OutcomeDuplicate, res.Items[0].Outcome)
	require.Equal(t, ts[0].ID, res.Items[0].TicketID)
	require.Len(t, w.tickets(t), 1)

	// A second message comments publicly on the open ticket, as the contact.
	next := inbound("wamid.second", "16505551234", "Still broken\nsecond line")
	res, err = w.wa.Inbound(ctx, next, whatsapp.Sign(appSecret, next))
	require.NoError(t, err)
	require.Equal(t, whatsapp.OutcomeCommented, res.Items[0].Outcome)
	cs, err := w.tk.Comments(ctx, w.admin, ts[0].ID, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, cs.Items, 1)
	require.Equal(t, "Still broken\nsecond line", cs.Items[0].Body)
	require.False(t, cs.Items[0].Internal)
	got, err := w.tk.Get(ctx, w.admin, ts[0].ID)
	require.NoError(t, err)
	require.True(t, got.Ticket.FirstResponseAt.IsZero(), "the customer's message is no first response")

	msgs := w.messages(t)
	require.Len(t, msgs, 2)
	for _, m := range msgs {
		require.Equal(t, whatsapp.Inbound, m.Direction)
		require.Equal(t, whatsapp.StatusReceived, m.Status)
		require.Equal(t, ts[0].ID, m.TicketID)
	}

	// Once resolved, a new message opens a new ticket.
	_, err = w.tk.Update(ctx, w.admin, ts[0].ID, tickets.Patch{Status: ptr(tickets.StatusResolved), ResolutionNote: "fixed"})
	require.NoError(t, err)
	third := inbound("wamid.third", "16505551234", "New problem")
	res, err = w.wa.Inbound(ctx, third, whatsapp.Sign(appSecret, third))
	require.NoError(t, err)
	require.Equal(t, whatsapp.OutcomeTicketOpened, res.Items[0].Outcome)
	require.Len(t, w.tickets(t), 2)
}

func TestInboundRefusesBadInputWritingNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	body := fixture(t, "inbound-text.json")

	_, err := w.wa.Inbound(ctx, body, whatsapp.Sign("forged", body))
	require.ErrorIs(t, err, whatsapp.ErrBadSignature)
	_, err = w.wa.Inbound(ctx, body, "")
	require.ErrorIs(t, err, whatsapp.ErrBadSignature)

	other := bytes.ReplaceAll(body, []byte(phoneNumberID), []byte("999999"))
	_, err = w.wa.Inbound(ctx, other, whatsapp.Sign(appSecret, other))
	require.ErrorIs(t, err, whatsapp.ErrNotConfigured)

	for _, bad := range []string{`{`, `[]`, `{"object":"page","entry":[{}]}`, `{"object":"whatsapp_business_account","entry":[]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{}}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},"messages":[{"id":"x","from":"1","timestamp":"soon"}]}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},"statuses":[{"id":"x","status":"exploded","timestamp":"1"}]}}]}]}`,
	} {
		_, err = w.wa.Inbound(ctx, []byte(bad), whatsapp.Sign(appSecret, []byte(bad)))
		require.ErrorIs(t, err, whatsapp.ErrMalformedPayload, bad)
	}
	huge := make([]byte, whatsapp.MaxWebhookBytes+1)
	_, err = w.wa.Inbound(ctx, huge, whatsapp.Sign(appSecret, huge))
	require.ErrorIs(t, err, whatsapp.ErrMalformedPayload)

	// An unknown number is reported and ignored.
	stranger := inbound("wamid.stranger", "5511999990000", "who am I")
	res, err := w.wa.Inbound(ctx, stranger, whatsapp.Sign(appSecret, stranger))
	require.NoError(t, err)
	require.Equal(t, whatsapp.OutcomeIgnored, res.Items[0].Outcome)

	// Disabled settings refuse inbound notifications.
	_, err = w.wa.UpdateSettings(ctx, w.admin, whatsapp.SettingsInput{Enabled: ptr(false)})
	require.NoError(t, err)
	_, err = w.wa.Inbound(ctx, body, whatsapp.Sign(appSecret, body))
	require.ErrorIs(t, err, whatsapp.ErrNotConfigured)

	require.Empty(t, w.tickets(t))
	require.Empty(t, w.messages(t))
}

func TestHandshake(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	got, err := w.wa.VerifyHandshake(t.Context(), "subscribe", verifyToken, "1158201444")
	require.NoError(t, err)
	require.Equal(t, "1158201444", got)
	for _, c := range [][3]string{{"unsubscribe", verifyToken, "1"}, {"subscribe", "wrong-token", "1"}, {"subscribe", "", "1"}, {"subscribe", verifyToken, ""}} {
		_, err := w.wa.VerifyHandshake(t.Context(), c[0], c[1], c[2])
		require.ErrorIs(t, err, whatsapp.ErrBadVerifyToken, c)
	}
}

// ticketCreated opens a ticket for the contact and returns its event.
func (w *world) ticketCreated(t *testing.T, title string) events.Event {
	t.Helper()
	created, err := w.tk.Create(t.Context(), w.admin, tickets.CreateInput{Title: title, RequesterContactID: w.contact.ID})
	require.NoError(t, err)
	tk := created.Ticket
	evs, err := w.store.OutboxEvents(t.Context(), events.OutboxQuery{CompanyID: w.company.ID, Type: "ticket.created"})
	require.NoError(t, err)
	for _, e := range evs {
		if e.AggregateID == strings.TrimSpace(jsonNumber(tk.ID)) {
			return e
		}
	}
	t.Fatalf("no ticket.created event for ticket %d", tk.ID)
	return events.Event{}
}

func jsonNumber(v int64) string { b, _ := json.Marshal(v); return string(b) }

func TestNotifierSendsOnceAndRecordsStatuses(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	n := w.wa.Notifier()

	// Without a rule nothing is sent.
	e := w.ticketCreated(t, "Printer on fire")
	require.NoError(t, n.Handle(ctx, e))
	require.Empty(t, w.api.requests())

	rule, err := w.wa.CreateRule(ctx, w.admin, whatsapp.RuleInput{EventType: "ticket.created", TemplateName: "ticket_opened",
		Language: "pt_BR", Parameters: []string{"contact_name", "number", "title", "missing"}})
	require.NoError(t, err)
	require.True(t, rule.Active)
	require.NoError(t, n.Handle(ctx, e))
	require.NoError(t, n.Handle(ctx, e), "a redelivered event sends nothing more")
	reqs := w.api.requests()
	require.Len(t, reqs, 1)
	tpl := reqs[0]["template"].(map[string]any)
	require.Equal(t, "ticket_opened", tpl["name"])
	require.Equal(t, "16505551234", reqs[0]["to"])
	params := tpl["components"].([]any)[0].(map[string]any)["parameters"].([]any)
	var texts []string
	for _, p := range params {
		texts = append(texts, p.(map[string]any)["text"].(string))
	}
	require.Equal(t, []string{"Sheena Nelson", "1", "Printer on fire", "-"}, texts)

	msgs := w.messages(t)
	require.Len(t, msgs, 1)
	m := msgs[0]
	require.Equal(t, whatsapp.StatusAccepted, m.Status)
	require.Equal(t, "wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", m.WAMessageID)
	require.Equal(t, e.ID, m.EventID)
	require.Equal(t, rule.ID, m.RuleID)
	st, err := w.wa.Status(ctx, w.admin)
	require.NoError(t, err)
	require.False(t, st.LastSuccessAt.IsZero())

	// Status callbacks move the message forward, never back.
	for _, s := range []string{"delivered", "sent", "read"} {
		body := statusNote(m.WAMessageID, s, nil)
		res, err := w.wa.Inbound(ctx, body, whatsapp.Sign(appSecret, body))
		require.NoError(t, err)
		require.Equal(t, whatsapp.OutcomeStatus, res.Items[0].Outcome)
	}
	m = w.messages(t)[0]
	require.Equal(t, whatsapp.StatusRead, m.Status)
	require.False(t, m.DeliveredAt.IsZero())
	require.False(t, m.ReadAt.IsZero())

	// The fixture's status names an unknown message: ignored.
	body := fixture(t, "inbound-status.json")
	res, err := w.wa.Inbound(ctx, body, whatsapp.Sign(appSecret, body))
	require.NoError(t, err)
	require.Equal(t, whatsapp.OutcomeIgnored, res.Items[0].Outcome)

	// A permanent refusal is recorded as failed and not retried.
	w.api.queue(http.StatusBadRequest, `{"error":{"message":"(#132001) Template name does not exist in the translation","type":"OAuthException","code":132001}}`)
	e2 := w.ticketCreated(t, "Second")
	require.NoError(t, n.Handle(ctx, e2))
	failed := w.messages(t)[1]
	require.Equal(t, whatsapp.StatusFailed, failed.Status)
	require.Contains(t, failed.Error, "132001")
	st, err = w.wa.Status(ctx, w.admin)
	require.NoError(t, err)
	require.Contains(t, st.LastError, "132001")

	// A temporary failure is returned for the bus to retry, and the retry
	// sends.
	w.api.queue(http.StatusTooManyRequests, `{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429}}`)
	e3 := w.ticketCreated(t, "Third")
	require.Error(t, n.Handle(ctx, e3))
	require.Len(t, w.messages(t), 2, "the claim is given back")
	require.NoError(t, n.Handle(ctx, e3))
	require.Equal(t, whatsapp.StatusAccepted, w.messages(t)[2].Status)

	// A failed status callback carries Meta's error.
	fail := statusNote(w.messages(t)[2].WAMessageID, "failed", map[string]any{"errors": []any{map[string]any{
		"code": 131026, "title": "Message undeliverable", "error_data": map[string]any{"details": "not on WhatsApp"}}}})
	_, err = w.wa.Inbound(ctx, fail, whatsapp.Sign(appSecret, fail))
	require.NoError(t, err)
	require.Equal(t, whatsapp.StatusFailed, w.messages(t)[2].Status)
	require.Contains(t, w.messages(t)[2].Error, "131026")
}

func TestNotifierSkipsContactsWithoutOptIn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	_, err := w.wa.CreateRule(ctx, w.admin, whatsapp.RuleInput{EventType: "ticket.created", TemplateName: "ticket_opened", Language: "pt_BR"})
	require.NoError(t, err)
	_, err = w.dir.UpdateContact(ctx, w.admin, w.contact.ID, directory.ContactPatch{WhatsAppOptIn: ptr(false)})
	require.NoError(t, err)
	require.NoError(t, w.wa.Notifier().Handle(ctx, w.ticketCreated(t, "quiet")))
	require.Empty(t, w.api.requests())
	require.Empty(t, w.messages(t))
}

func TestSendAndSettings(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	m, err := w.wa.Send(ctx, w.admin, whatsapp.SendInput{ContactID: w.contact.ID, Text: "Seu chamado foi atualizado"})
	require.NoError(t, err)
	require.Equal(t, whatsapp.StatusAccepted, m.Status)
	require.Equal(t, "text", m.Kind)

	for _, in := range []whatsapp.SendInput{
		{ContactID: w.contact.ID},
		{ContactID: w.contact.ID + 100, Text: "x"},
		{ContactID: w.contact.ID, Text: "x", Template: &whatsapp.Template{Name: "a", Language: "pt_BR"}},
		{ContactID: w.contact.ID, Template: &whatsapp.Template{Name: "Bad Name", Language: "pt_BR"}},
	} {
		_, err := w.wa.Send(ctx, w.admin, in)
		require.ErrorIs(t, err, validation.ErrInvalid, "%+v", in)
	}
	viewer := tenant.Actor{CompanyID: w.company.ID, Role: tenant.RoleViewer}
	_, err = w.wa.Send(ctx, viewer, whatsapp.SendInput{ContactID: w.contact.ID, Text: "x"})
	require.ErrorIs(t, err, tenant.ErrForbidden)
	_, err = w.wa.Settings(ctx, tenant.Actor{CompanyID: w.company.ID, Role: tenant.RoleAgent})
	require.ErrorIs(t, err, tenant.ErrForbidden)

	v, err := w.wa.Settings(ctx, w.admin)
	require.NoError(t, err)
	require.True(t, v.AccessTokenSet && v.AppSecretSet && v.VerifyTokenSet)
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	for _, secret := range []string{token, appSecret, verifyToken} {
		require.NotContains(t, string(raw), secret, "secrets are write-only")
	}
	_, err = w.wa.UpdateSettings(ctx, w.admin, whatsapp.SettingsInput{AccessToken: ptr(""), Version: v.Version})
	require.ErrorIs(t, err, validation.ErrInvalid, "enabled settings need a token")
	_, err = w.wa.UpdateSettings(ctx, w.admin, whatsapp.SettingsInput{APIVersion: ptr("v21"), Version: v.Version})
	require.ErrorIs(t, err, validation.ErrInvalid)
	_, err = w.wa.UpdateSettings(ctx, w.admin, whatsapp.SettingsInput{Enabled: ptr(true), Version: v.Version + 1})
	require.ErrorIs(t, err, storage.ErrStale)

	// Another company cannot take the same business number.
	other, err := w.dir.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Other"})
	require.NoError(t, err)
	oa, _ := tenant.System().InCompany(other.ID)
	_, err = w.wa.UpdateSettings(ctx, oa, whatsapp.SettingsInput{PhoneNumberID: ptr(phoneNumberID)})
	require.ErrorIs(t, err, validation.ErrInvalid)
	_, err = w.wa.Send(ctx, oa, whatsapp.SendInput{ContactID: w.contact.ID, Text: "x"})
	require.ErrorIs(t, err, validation.ErrInvalid, "another company's contact is unknown")

	// Unconfigured: typed error, nothing recorded.
	ct, err := w.dir.CreateContact(ctx, oa, directory.ContactInput{Name: "O", Phone: "+5511987654321", WhatsAppOptIn: true})
	require.NoError(t, err)
	_, err = w.wa.Send(ctx, oa, whatsapp.SendInput{ContactID: ct.ID, Text: "x"})
	require.ErrorIs(t, err, whatsapp.ErrNotConfigured)
	p, err := w.store.WhatsApp().ListWhatsAppMessages(ctx, other.ID, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, p.Items)
}

func TestNotifierReadsTheTicketAndSkipsInternalNotes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	_, err := w.wa.CreateRule(ctx, w.admin, whatsapp.RuleInput{EventType: "ticket.commented", TemplateName: "ticket_reply",
		Language: "pt_BR", Parameters: []string{"ticket.number", "ticket.status", "body"}})
	require.NoError(t, err)
	created, err := w.tk.Create(ctx, w.admin, tickets.CreateInput{Title: "Mouse", RequesterContactID: w.contact.ID})
	require.NoError(t, err)
	tk := created.Ticket
	_, err = w.tk.AddComment(ctx, w.admin, tk.ID, "nota interna", true)
	require.NoError(t, err)
	_, err = w.tk.AddComment(ctx, w.admin, tk.ID, "Trocamos o mouse", false)
	require.NoError(t, err)
	evs, err := w.store.OutboxEvents(ctx, events.OutboxQuery{CompanyID: w.company.ID, Type: "ticket.commented"})
	require.NoError(t, err)
	require.Len(t, evs, 2)
	for _, e := range evs {
		require.NoError(t, w.wa.Notifier().Handle(ctx, e))
	}
	reqs := w.api.requests()
	require.Len(t, reqs, 1, "the internal note is not announced")
	params := reqs[0]["template"].(map[string]any)["components"].([]any)[0].(map[string]any)["parameters"].([]any)
	var texts []string
	for _, p := range params {
		texts = append(texts, p.(map[string]any)["text"].(string))
	}
	require.Equal(t, []string{"1", "new", "Trocamos o mouse"}, texts)
}

func TestInboundForADeactivatedCompanyIsIgnored(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	co, err := w.dir.GetCompany(ctx, tenant.System(), w.company.ID)
	require.NoError(t, err)
	_, err = w.dir.UpdateCompany(ctx, tenant.System(), co.ID, directory.CompanyPatch{Active: ptr(false), Version: co.Version})
	require.NoError(t, err)
	body := fixture(t, "inbound-text.json")
	res, err := w.wa.Inbound(ctx, body, whatsapp.Sign(appSecret, body))
	require.NoError(t, err)
	require.Equal(t, whatsapp.OutcomeIgnored, res.Items[0].Outcome)
	require.Contains(t, res.Items[0].Reason, "deactivated")
	require.Empty(t, w.messages(t))
}

func TestNotifierTakesOverAStalePendingClaim(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	rule, err := w.wa.CreateRule(ctx, w.admin, whatsapp.RuleInput{EventType: "ticket.created", TemplateName: "ticket_opened", Language: "pt_BR"})
	require.NoError(t, err)
	e := w.ticketCreated(t, "Crash")
	// A worker claimed the notification and stopped before sending.
	claim := whatsapp.Message{CompanyID: w.company.ID, Direction: whatsapp.Outbound, ContactID: w.contact.ID,
		Phone: w.contact.Phone, Kind: "template", Body: "ticket_opened", EventID: e.ID, RuleID: rule.ID,
		Status: whatsapp.StatusPending, CreatedAt: w.clock.Now(), UpdatedAt: w.clock.Now()}
	require.NoError(t, w.store.WhatsApp().InsertWhatsAppMessage(ctx, &claim))

	require.NoError(t, w.wa.Notifier().Handle(ctx, e))
	require.Empty(t, w.api.requests(), "a fresh claim belongs to the worker sending it")

	w.clock.Advance(whatsapp.ClaimTimeout + time.Second)
	require.NoError(t, w.wa.Notifier().Handle(ctx, e))
	require.Len(t, w.api.requests(), 1, "a stale claim is sent by the redelivery")
	msgs := w.messages(t)
	require.Len(t, msgs, 1)
	require.Equal(t, claim.ID, msgs[0].ID)
	require.Equal(t, whatsapp.StatusAccepted, msgs[0].Status)
	require.NoError(t, w.wa.Notifier().Handle(ctx, e))
	require.Len(t, w.api.requests(), 1)
}
