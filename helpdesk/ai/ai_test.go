package ai_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// The synthetic history: phrases per category and modifiers per priority,
// in the Portuguese a requester writes.
var (
	phrases = map[string][]string{
		"network": {"internet caiu no escritório", "wifi não conecta", "vpn desconectando toda hora", "rede lenta no setor",
			"sem conexão com o servidor", "cabo de rede com problema", "roteador reiniciando sozinho"},
		"hardware": {"notebook não liga", "impressora atolando papel", "monitor piscando", "teclado com teclas falhando",
			"bateria do notebook não carrega", "mouse parou de responder", "computador desliga do nada"},
		"access": {"esqueci minha senha", "usuário bloqueado no sistema", "preciso de acesso à pasta do financeiro",
			"login não aceita minha senha", "permissão negada na pasta compartilhada", "senha expirada"},
		"email": {"outlook não abre", "não recebo e-mails de clientes", "caixa de entrada cheia", "email voltando com erro",
			"anexo não abre no outlook", "configurar assinatura de email"},
		"software": {"instalar o excel", "erro ao atualizar o erp", "programa fecha sozinho", "licença do office expirada",
			"aplicativo travando ao salvar", "atualização do sistema falhou"},
	}
	modifiers = map[sla.Priority][]string{
		sla.PriorityCritical: {"todo o setor está parado", "produção parada", "ninguém consegue trabalhar"},
		sla.PriorityHigh:     {"não consigo trabalhar", "preciso resolver hoje", "está impedindo meu trabalho"},
		sla.PriorityMedium:   {"pode verificar", "acontece de vez em quando", "desde ontem"},
		sla.PriorityLow:      {"quando possível", "é só uma dúvida", "sem pressa"},
	}
	noise = []string{"bom dia", "obrigado", "att", "por favor", "pessoal", "boa tarde", "segue print"}
)

// synthetic returns n labelled samples, deterministic for seed; noisy
// samples (one in ten) carry a random label, as real history does.
func synthetic(n int, seed uint64) []ai.Sample {
	r := rand.New(rand.NewPCG(seed, seed))
	cats := []string{"access", "email", "hardware", "network", "software"}
	prios := []sla.Priority{sla.PriorityLow, sla.PriorityMedium, sla.PriorityHigh, sla.PriorityCritical}
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	out := make([]ai.Sample, n)
	for i := range out {
		c, p := cats[r.IntN(len(cats))], prios[r.IntN(len(prios))]
		s := ai.Sample{Title: pick(phrases[c]), Description: pick(noise) + ", " + pick(modifiers[p]) + ". " + pick(noise),
			Category: c, Priority: p}
		if r.IntN(10) == 0 {
			s.Category, s.Priority = cats[r.IntN(len(cats))], prios[r.IntN(len(prios))]
		}
		out[i] = s
	}
	return out
}

func TestBuiltinLearnsFromHistory(t *testing.T) {
	t.Parallel()
	m := ai.Train(synthetic(500, 7), 0)
	require.Equal(t, "naive_bayes", m.Mode())
	require.Equal(t, 500, m.Samples())
	require.Equal(t, []string{"access", "email", "hardware", "network", "software"}, m.Categories())
	ev := m.Evaluation()
	t.Logf("held-out accuracy on %d synthetic tickets (%d trained, %d held out, 10%% label noise): category %.3f, priority %.3f",
		500, ev.Trained, ev.HeldOut, ev.CategoryAccuracy, ev.PriorityAccuracy)
	require.Equal(t, 400, ev.Trained)
	require.Equal(t, 100, ev.HeldOut)
	require.GreaterOrEqual(t, ev.CategoryAccuracy, 0.8)
	require.GreaterOrEqual(t, ev.PriorityAccuracy, 0.7)

	c, err := m.Classify(t.Context(), ai.Input{Title: "VPN não conecta", Description: "produção parada, ninguém consegue trabalhar"})
	require.NoError(t, err)
	require.Equal(t, "network", c.Category)
	require.Equal(t, sla.PriorityCritical, c.Priority)
	require.Equal(t, ai.UrgencyHigh, c.Urgency)
	require.Equal(t, "naive_bayes", c.Source)
	require.Greater(t, c.PriorityConfidence, 0.9)
	require.Equal(t, min(c.CategoryConfidence, c.PriorityConfidence), c.Confidence)
	require.NotEmpty(t, c.SuggestedReply)
	c, err = m.Classify(t.Context(), ai.Input{Title: "VPN desconectando toda hora"})
	require.NoError(t, err)
	require.Equal(t, "network", c.Category)
	require.Greater(t, c.CategoryConfidence, 0.9)
}

func TestBuiltinFallsBackToKeywords(t *testing.T) {
	t.Parallel()
	m := ai.Train(synthetic(10, 1), 0)
	require.Equal(t, "keywords", m.Mode())
	require.Equal(t, -1.0, m.Evaluation().CategoryAccuracy)
	for _, tc := range []struct {
		in       ai.Input
		category string
		priority sla.Priority
	}{
		{ai.Input{Title: "Impressora não funciona"}, "hardware", sla.PriorityHigh},
		{ai.Input{Title: "Senha bloqueada", Description: "Usuário bloqueado após trocar a senha"}, "access", sla.PriorityMedium},
		{ai.Input{Title: "Internet fora do ar", Description: "todo mundo sem rede"}, "network", sla.PriorityCritical},
		{ai.Input{Title: "Dúvida sobre o Outlook"}, "email", sla.PriorityLow},
		{ai.Input{Title: "Olá"}, "", sla.PriorityMedium},
	} {
		c, err := m.Classify(t.Context(), tc.in)
		require.NoError(t, err)
		require.Equal(t, tc.category, c.Category, tc.in.Title)
		require.Equal(t, tc.priority, c.Priority, tc.in.Title)
		require.Equal(t, "keywords", c.Source)
		require.LessOrEqual(t, c.Confidence, 0.6, "keywords never pass the default threshold")
	}
}

// chatServer speaks the chat-completions shape: it checks the request and
// answers with content, or with the queued error.
type chatServer struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	content string
	status  int
	body    string
	delay   time.Duration
	got     []map[string]any
}

func newChatServer(t *testing.T) *chatServer {
	c := &chatServer{t: t, content: `{"category":"network","priority":"high","urgency":"high","suggested_reply":"Estamos verificando a VPN.","confidence":0.92}`}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		content, status, body, delay := c.content, c.status, c.body, c.delay
		c.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-test" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)
			return
		}
		var req map[string]any
		raw, _ := io.ReadAll(r.Body)
		if json.Unmarshal(raw, &req) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		c.got = append(c.got, req)
		c.mu.Unlock()
		if status != 0 {
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
			return
		}
		resp := map[string]any{"id": "chatcmpl-1", "object": "chat.completion", "created": 1739321024, "model": req["model"],
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": content}}},
			"usage": map[string]any{"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160}}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *chatServer) set(f func(c *chatServer)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.content, c.status, c.body, c.delay = "", 0, "", 0
	f(c)
}

func TestChatClient(t *testing.T) {
	t.Parallel()
	srv := newChatServer(t)
	c, err := ai.NewChatClient(ai.ChatConfig{BaseURL: srv.srv.URL + "/v1/", Model: "gpt-4o-mini", APIKey: "sk-test",
		Categories: []string{"network", "access"}, Timeout: 2 * time.Second})
	require.NoError(t, err)
	in := ai.Input{Title: "VPN caiu", Description: "não consigo acessar o ERP"}
	got, err := c.Classify(t.Context(), in)
	require.NoError(t, err)
	require.Equal(t, ai.Classification{Category: "network", Priority: sla.PriorityHigh, Urgency: ai.UrgencyHigh,
		SuggestedReply: "Estamos verificando a VPN.", Confidence: 0.92, CategoryConfidence: 0.92, PriorityConfidence: 0.92,
		Source: "openai:gpt-4o-mini"}, got)
	req := srv.got[0]
	require.Equal(t, "gpt-4o-mini", req["model"])
	require.Equal(t, map[string]any{"type": "json_object"}, req["response_format"])
	msgs := req["messages"].([]any)
	require.Equal(t, "system", msgs[0].(map[string]any)["role"])
	require.Contains(t, msgs[0].(map[string]any)["content"], "network, access")
	require.Equal(t, "Title: VPN caiu\nDescription: não consigo acessar o ERP", msgs[1].(map[string]any)["content"])

	srv.set(func(c *chatServer) {
		c.content = "```json\n{\"category\":\"Access\",\"priority\":\"CRITICAL\",\"confidence\":7}\n```"
	})
	got, err = c.Classify(t.Context(), in)
	require.NoError(t, err)
	require.Equal(t, "access", got.Category)
	require.Equal(t, sla.PriorityCritical, got.Priority)
	require.Equal(t, 1.0, got.Confidence, "confidence is clamped")
	require.Equal(t, ai.UrgencyHigh, got.Urgency)
	require.NotEmpty(t, got.SuggestedReply)

	for _, bad := range []string{"not json", `{"category":"x","priority":"whenever"}`, `[]`} {
		srv.set(func(c *chatServer) { c.content = bad })
		_, err = c.Classify(t.Context(), in)
		require.ErrorIs(t, err, ai.ErrBadResponse, bad)
	}

	srv.set(func(c *chatServer) {
		c.status, c.body = http.StatusTooManyRequests, `{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`
	})
	_, err = c.Classify(t.Context(), in)
	var apiErr *ai.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, "rate_limit_exceeded", apiErr.Code)
	require.True(t, apiErr.Temporary())

	wrongKey, err := ai.NewChatClient(ai.ChatConfig{BaseURL: srv.srv.URL + "/v1", Model: "m", APIKey: "sk-wrong"})
	require.NoError(t, err)
	_, err = wrongKey.Classify(t.Context(), in)
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	require.Equal(t, "invalid_api_key", apiErr.Code)
	require.False(t, apiErr.Temporary())

	slow, err := ai.NewChatClient(ai.ChatConfig{BaseURL: srv.srv.URL + "/v1", Model: "m", APIKey: "sk-test", Timeout: 50 * time.Millisecond})
	require.NoError(t, err)
	srv.set(func(c *chatServer) { c.delay = 2 * time.Second })
	_, err = slow.Classify(t.Context(), in)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	for _, cfg := range []ai.ChatConfig{{Model: "m", APIKey: "k"}, {BaseURL: "http://x", APIKey: "k"}, {BaseURL: "http://x", Model: "m"},
		{BaseURL: "ftp://x", Model: "m", APIKey: "k"}} {
		_, err := ai.NewChatClient(cfg)
		require.Error(t, err, "%+v", cfg)
	}
}

// desk is a memory helpdesk with one company, a requester contact, a
// history of resolved tickets and the AI service.
type desk struct {
	store   *memory.Store
	tk      *tickets.Service
	svc     *ai.Service
	admin   tenant.Actor
	contact tenant.ContactID
}

func newDesk(t *testing.T, history int) *desk {
	t.Helper()
	ctx := t.Context()
	d := &desk{store: memory.New()}
	now := func() time.Time { return time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC) }
	dir, err := directory.NewService(d.store.Directory(), directory.WithClock(now))
	require.NoError(t, err)
	d.tk, err = tickets.NewService(d.store.Tickets(), tickets.WithClock(now))
	require.NoError(t, err)
	d.svc, err = ai.NewService(d.store.AI(), d.tk, ai.WithClock(now))
	require.NoError(t, err)
	co, err := dir.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	d.admin, _ = tenant.System().InCompany(co.ID)
	ct, err := dir.CreateContact(ctx, d.admin, directory.ContactInput{Name: "Ana", Email: "ana@acme.test"})
	require.NoError(t, err)
	d.contact = ct.ID
	for _, s := range synthetic(history, 3) {
		tk, err := d.tk.Create(ctx, d.admin, tickets.CreateInput{Title: s.Title, Description: s.Description,
			Category: s.Category, Priority: s.Priority, RequesterContactID: d.contact})
		require.NoError(t, err)
		_, err = d.tk.Update(ctx, d.admin, tk.Ticket.ID, tickets.Patch{Status: ptr(tickets.StatusResolved), ResolutionNote: "ok"})
		require.NoError(t, err)
	}
	return d
}

func ptr[T any](v T) *T { return &v }

// open creates a ticket and returns it with its ticket.created event.
func (d *desk) open(t *testing.T, title, description string) (tickets.Ticket, events.Event) {
	t.Helper()
	created, err := d.tk.Create(t.Context(), d.admin, tickets.CreateInput{Title: title, Description: description, RequesterContactID: d.contact})
	require.NoError(t, err)
	tk := created.Ticket
	evs, err := d.store.OutboxEvents(t.Context(), events.OutboxQuery{CompanyID: tk.CompanyID, Type: "ticket.created"})
	require.NoError(t, err)
	for _, e := range evs {
		if e.AggregateID == fmt.Sprint(tk.ID) {
			return tk, e
		}
	}
	t.Fatalf("no event for ticket %d", tk.ID)
	return tk, events.Event{}
}

func (d *desk) notes(t *testing.T, id int64) []tickets.Comment {
	t.Helper()
	p, err := d.tk.Comments(t.Context(), d.admin, id, storage.PageRequest{})
	require.NoError(t, err)
	return p.Items
}

func TestApplierSetsConfidentFieldsAndNotes(t *testing.T) {
	t.Parallel()
	d := newDesk(t, 120)
	ctx := t.Context()
	a := d.svc.Applier()

	// Disabled (the default): nothing happens.
	tk, e := d.open(t, "VPN desconectando toda hora", "")
	require.NoError(t, a.Handle(ctx, e))
	require.Empty(t, d.notes(t, tk.ID))

	_, err := d.svc.UpdateSettings(ctx, d.admin, ai.SettingsInput{Enabled: ptr(true), Threshold: ptr(0.6)})
	require.NoError(t, err)
	want, err := d.svc.Analyze(ctx, d.admin, ai.Input{Title: tk.Title, Description: tk.Description})
	require.NoError(t, err)
	require.Equal(t, "network", want.Category)
	require.GreaterOrEqual(t, want.CategoryConfidence, 0.6, "%+v", want)
	require.NoError(t, a.Handle(ctx, e))
	require.NoError(t, a.Handle(ctx, e), "a redelivered event notes once")
	got, err := d.tk.Get(ctx, d.admin, tk.ID)
	require.NoError(t, err)
	require.Equal(t, "network", got.Ticket.Category)
	if want.PriorityConfidence >= 0.6 {
		require.Equal(t, want.Priority, got.Ticket.Priority)
	} else {
		require.Equal(t, sla.PriorityMedium, got.Ticket.Priority)
	}
	notes := d.notes(t, tk.ID)
	require.Len(t, notes, 1)
	require.True(t, notes[0].Internal)
	require.True(t, strings.HasPrefix(notes[0].Body, ai.NotePrefix))
	require.Contains(t, notes[0].Body, "Aplicado: categoria")

	// Below the threshold: the note only.
	_, err = d.svc.UpdateSettings(ctx, d.admin, ai.SettingsInput{Threshold: ptr(1.0)})
	require.NoError(t, err)
	tk2, e2 := d.open(t, "Outlook não abre", "")
	require.NoError(t, a.Handle(ctx, e2))
	got, err = d.tk.Get(ctx, d.admin, tk2.ID)
	require.NoError(t, err)
	require.Empty(t, got.Ticket.Category)
	require.Equal(t, sla.PriorityMedium, got.Ticket.Priority)
	require.Contains(t, d.notes(t, tk2.ID)[0].Body, "Nada aplicado")

	// Other events are no-ops.
	other := e2
	other.Type = "ticket.updated"
	require.NoError(t, a.Handle(ctx, other))
	require.Len(t, d.notes(t, tk2.ID), 1)

	st, err := d.svc.Status(ctx, d.admin)
	require.NoError(t, err)
	require.Equal(t, "naive_bayes", st.BuiltinMode)
	require.Equal(t, 120, st.BuiltinSamples)
	require.False(t, st.LastSuccessAt.IsZero())
	require.Greater(t, st.Evaluation.CategoryAccuracy, 0.7)
}

func TestApplierWithChatProvider(t *testing.T) {
	t.Parallel()
	d := newDesk(t, 0)
	ctx := t.Context()
	srv := newChatServer(t)
	_, err := d.svc.UpdateSettings(ctx, d.admin, ai.SettingsInput{Enabled: ptr(true), Provider: ptr(ai.ProviderOpenAI),
		BaseURL: ptr(srv.srv.URL + "/v1"), Model: ptr("gpt-4o-mini"), APIKey: ptr("sk-test")})
	require.NoError(t, err)
	a := d.svc.Applier()

	tk, e := d.open(t, "VPN caiu", "")
	require.NoError(t, a.Handle(ctx, e))
	got, err := d.tk.Get(ctx, d.admin, tk.ID)
	require.NoError(t, err)
	require.Equal(t, "network", got.Ticket.Category)
	require.Equal(t, sla.PriorityHigh, got.Ticket.Priority)
	require.Contains(t, d.notes(t, tk.ID)[0].Body, "Estamos verificando a VPN.")

	// A provider outage is returned for the bus to retry; nothing written.
	srv.set(func(c *chatServer) {
		c.status, c.body = http.StatusServiceUnavailable, `{"error":{"message":"overloaded","type":"server_error","code":null}}`
	})
	tk2, e2 := d.open(t, "Impressora", "")
	require.Error(t, a.Handle(ctx, e2))
	require.Empty(t, d.notes(t, tk2.ID))
	st, err := d.svc.Status(ctx, d.admin)
	require.NoError(t, err)
	require.Contains(t, st.LastError, "503")

	// A permanent refusal is recorded and not retried.
	srv.set(func(c *chatServer) {
		c.status, c.body = http.StatusBadRequest, `{"error":{"message":"bad model","type":"invalid_request_error","code":"model_not_found"}}`
	})
	require.NoError(t, a.Handle(ctx, e2))
	require.Empty(t, d.notes(t, tk2.ID))

	_, err = d.svc.Analyze(ctx, d.admin, ai.Input{Title: "x"})
	require.Error(t, err)
}

func TestSettingsAndAnalyze(t *testing.T) {
	t.Parallel()
	d := newDesk(t, 0)
	ctx := t.Context()
	v, err := d.svc.Settings(ctx, d.admin)
	require.NoError(t, err)
	require.Equal(t, ai.ProviderBuiltin, v.Provider)
	require.Equal(t, ai.DefaultThreshold, v.Threshold)
	require.False(t, v.Enabled)

	for _, in := range []ai.SettingsInput{
		{Provider: ptr(ai.Provider("skynet"))},
		{Provider: ptr(ai.ProviderOpenAI)},
		{Threshold: ptr(1.5)},
		{BaseURL: ptr("not a url")},
	} {
		_, err := d.svc.UpdateSettings(ctx, d.admin, in)
		require.ErrorIs(t, err, validation.ErrInvalid, "%+v", in)
	}
	v, err = d.svc.UpdateSettings(ctx, d.admin, ai.SettingsInput{Provider: ptr(ai.ProviderOpenAI), BaseURL: ptr("http://127.0.0.1:1/v1"),
		Model: ptr("m"), APIKey: ptr("sk-secret-key")})
	require.NoError(t, err)
	require.True(t, v.APIKeySet)
	raw, _ := json.Marshal(v)
	require.NotContains(t, string(raw), "sk-secret-key")
	_, err = d.svc.UpdateSettings(ctx, d.admin, ai.SettingsInput{Provider: ptr(ai.ProviderBuiltin), Version: v.Version + 5})
	require.ErrorIs(t, err, storage.ErrStale)
	_, err = d.svc.UpdateSettings(ctx, d.admin, ai.SettingsInput{Provider: ptr(ai.ProviderBuiltin), Version: v.Version})
	require.NoError(t, err)

	c, err := d.svc.Analyze(ctx, d.admin, ai.Input{Title: "Senha expirada", Description: "não consigo fazer login"})
	require.NoError(t, err)
	require.Equal(t, "access", c.Category)
	_, err = d.svc.Analyze(ctx, d.admin, ai.Input{})
	require.ErrorIs(t, err, validation.ErrInvalid)
	_, err = d.svc.Analyze(ctx, tenant.Actor{CompanyID: d.admin.CompanyID, Role: tenant.RoleRequester}, ai.Input{Title: "x"})
	require.ErrorIs(t, err, tenant.ErrForbidden)
	_, err = d.svc.Settings(ctx, tenant.Actor{CompanyID: d.admin.CompanyID, Role: tenant.RoleAgent})
	require.ErrorIs(t, err, tenant.ErrForbidden)
}
