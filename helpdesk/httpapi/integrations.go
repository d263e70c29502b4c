package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// The integrations API: WhatsApp and the AI gateway.
//
//	GET|PUT    /api/integrations/whatsapp/settings     company settings; secrets write-only (If-Match on PUT)
//	GET|POST   /api/integrations/whatsapp/rules        notification rules (201; Idempotency-Key)
//	GET|PUT|DELETE /api/integrations/whatsapp/rules/{id}
//	GET        /api/integrations/whatsapp/messages     recorded messages, sent and received
//	POST       /api/integrations/whatsapp/send         send a text or template to a contact (201)
//	GET        /api/integrations/whatsapp/status       configured, last success, last error
//	GET|POST   /api/integrations/whatsapp/webhook      the Cloud API's callback: handshake and signed notifications (public)
//	POST       /api/integrations/ai/analyze            classify a text or a ticket
//	GET        /api/integrations/ai/status             provider, last outcome, builtin model and its accuracy
//	GET|PUT    /api/integrations/ai/settings           company settings; the key is write-only
//
// The webhook is the one unauthenticated write of the API: the Cloud API
// signs each notification with the app secret (X-Hub-Signature-256), and
// the business number in the payload tells the company. A forged
// signature counts as a strike against the client IP, like a forged token.

const (
	whatsappBase = "/api/integrations/whatsapp"
	aiBase       = "/api/integrations/ai"
)

// integrationRoutes registers the integrations API on the mux.
func (a *api) integrationRoutes() {
	a.mux.Handle("GET "+whatsappBase+"/settings", a.authed(a.whatsAppSettings))
	a.mux.Handle("PUT "+whatsappBase+"/settings", a.authed(a.updateWhatsAppSettings))
	a.mux.Handle("GET "+whatsappBase+"/rules", a.authed(a.listWhatsAppRules))
	a.mux.Handle("POST "+whatsappBase+"/rules", a.authed(a.idempotent(a.createWhatsAppRule)))
	a.mux.Handle("GET "+whatsappBase+"/rules/{id}", a.authed(getOne(a.desk.WhatsApp.Rule, ruleOf)))
	a.mux.Handle("PUT "+whatsappBase+"/rules/{id}", a.authed(updateOne(a, a.desk.WhatsApp.UpdateRule, ruleRequest.input, ruleOf)))
	a.mux.Handle("DELETE "+whatsappBase+"/rules/{id}", a.authed(a.deleteWhatsAppRule))
	a.mux.Handle("GET "+whatsappBase+"/messages", a.authed(a.listWhatsAppMessages))
	a.mux.Handle("POST "+whatsappBase+"/send", a.authed(a.idempotent(a.sendWhatsApp)))
	a.mux.Handle("GET "+whatsappBase+"/status", a.authed(a.whatsAppStatus))
	a.mux.HandleFunc("GET "+whatsappBase+"/webhook", a.whatsAppHandshake)
	a.mux.HandleFunc("POST "+whatsappBase+"/webhook", a.whatsAppWebhook)
	a.mux.Handle("POST "+aiBase+"/analyze", a.authed(a.analyze))
	a.mux.Handle("GET "+aiBase+"/status", a.authed(a.aiStatus))
	a.mux.Handle("GET "+aiBase+"/settings", a.authed(a.aiSettings))
	a.mux.Handle("PUT "+aiBase+"/settings", a.authed(a.updateAISettings))
}

// integrationProblem maps the integrations' errors; ok is false for any
// other error.
func integrationProblem(err error) (p Problem, ok bool) {
	var (
		waErr *whatsapp.APIError
		aiErr *ai.APIError
	)
	switch {
	case errors.Is(err, whatsapp.ErrNotConfigured):
		return newProblem(http.StatusConflict, "not-configured", whatsapp.ErrNotConfigured.Error()), true
	case errors.Is(err, ai.ErrNotConfigured):
		return newProblem(http.StatusConflict, "not-configured", ai.ErrNotConfigured.Error()), true
	case errors.Is(err, whatsapp.ErrBadSignature):
		return newProblem(http.StatusUnauthorized, "bad-signature", whatsapp.ErrBadSignature.Error()), true
	case errors.Is(err, whatsapp.ErrBadVerifyToken):
		return newProblem(http.StatusForbidden, "bad-verify-token", whatsapp.ErrBadVerifyToken.Error()), true
	case errors.Is(err, whatsapp.ErrMalformedPayload):
		return newProblem(http.StatusBadRequest, "malformed-payload", err.Error()), true
	case errors.As(err, &waErr):
		return newProblem(http.StatusBadGateway, "upstream-error", "the WhatsApp Cloud API refused the message: "+waErr.Error()), true
	case errors.As(err, &aiErr):
		return newProblem(http.StatusBadGateway, "upstream-error", "the AI provider refused the request: "+aiErr.Error()), true
	case errors.Is(err, ai.ErrBadResponse):
		return newProblem(http.StatusBadGateway, "upstream-error", ai.ErrBadResponse.Error()), true
	}
	return Problem{}, false
}

// ---- WhatsApp ----

// whatsAppSettingsJSON is a company's WhatsApp settings: secrets are only
// reported as set.
type whatsAppSettingsJSON struct {
	CompanyID      int64    `json:"company_id"`
	Enabled        bool     `json:"enabled"`
	Configured     bool     `json:"configured"`
	BaseURL        string   `json:"base_url"`
	APIVersion     string   `json:"api_version"`
	PhoneNumberID  string   `json:"phone_number_id"`
	AccessTokenSet bool     `json:"access_token_set"`
	AppSecretSet   bool     `json:"app_secret_set"`
	VerifyTokenSet bool     `json:"verify_token_set"`
	LastSuccessAt  timeJSON `json:"last_success_at,omitzero"`
	LastError      string   `json:"last_error,omitempty"`
	LastErrorAt    timeJSON `json:"last_error_at,omitzero"`
	Version        int64    `json:"version"`
	UpdatedAt      timeJSON `json:"updated_at,omitzero"`
}

func (s whatsAppSettingsJSON) idAndVersion() (id, version int64) { return s.CompanyID, s.Version }

func whatsAppSettingsOf(v whatsapp.View) whatsAppSettingsJSON {
	return whatsAppSettingsJSON{CompanyID: int64(v.CompanyID), Enabled: v.Enabled, Configured: v.Configured,
		BaseURL: v.BaseURL, APIVersion: v.APIVersion, PhoneNumberID: v.PhoneNumberID, AccessTokenSet: v.AccessTokenSet,
		AppSecretSet: v.AppSecretSet, VerifyTokenSet: v.VerifyTokenSet, LastSuccessAt: adminTime(v.LastSuccessAt),
		LastError: v.LastError, LastErrorAt: adminTime(v.LastErrorAt), Version: v.Version, UpdatedAt: adminTime(v.UpdatedAt)}
}

// whatsAppSettingsRequest is the body of PUT .../whatsapp/settings:
// absent fields are kept.
type whatsAppSettingsRequest struct {
	Enabled       *bool   `json:"enabled"`
	BaseURL       *string `json:"base_url"`
	APIVersion    *string `json:"api_version"`
	PhoneNumberID *string `json:"phone_number_id"`
	AccessToken   *string `json:"access_token"`
	AppSecret     *string `json:"app_secret"`
	VerifyToken   *string `json:"verify_token"`
}

func (a *api) whatsAppSettings(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	v, err := a.desk.WhatsApp.Settings(r.Context(), p.Actor)
	if err != nil {
		return err
	}
	writeOne(w, whatsAppSettingsOf(v))
	return nil
}

func (a *api) updateWhatsAppSettings(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in whatsAppSettingsRequest
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	v, err := a.desk.WhatsApp.UpdateSettings(r.Context(), p.Actor, whatsapp.SettingsInput{Enabled: in.Enabled,
		BaseURL: in.BaseURL, APIVersion: in.APIVersion, PhoneNumberID: in.PhoneNumberID, AccessToken: in.AccessToken,
		AppSecret: in.AppSecret, VerifyToken: in.VerifyToken, Version: version})
	if err != nil {
		return err
	}
	writeOne(w, whatsAppSettingsOf(v))
	return nil
}

// ruleJSON is a notification rule.
type ruleJSON struct {
	ID           int64    `json:"id"`
	EventType    string   `json:"event_type"`
	TemplateName string   `json:"template_name"`
	Language     string   `json:"language"`
	Parameters   []string `json:"parameters"`
	Active       bool     `json:"active"`
	Version      int64    `json:"version"`
	CreatedAt    timeJSON `json:"created_at"`
	UpdatedAt    timeJSON `json:"updated_at"`
}

func (r ruleJSON) idAndVersion() (id, version int64) { return r.ID, r.Version }

func ruleOf(r whatsapp.Rule) ruleJSON {
	params := r.Parameters
	if params == nil {
		params = []string{}
	}
	return ruleJSON{ID: r.ID, EventType: r.EventType, TemplateName: r.TemplateName, Language: r.Language,
		Parameters: params, Active: r.Active, Version: r.Version, CreatedAt: adminTime(r.CreatedAt), UpdatedAt: adminTime(r.UpdatedAt)}
}

// ruleRequest is the body of POST and PUT on rules.
type ruleRequest struct {
	EventType    string   `json:"event_type"`
	TemplateName string   `json:"template_name"`
	Language     string   `json:"language"`
	Parameters   []string `json:"parameters"`
	Active       *bool    `json:"active"`
}

func (in ruleRequest) input(version int64) whatsapp.RuleInput {
	return whatsapp.RuleInput{EventType: in.EventType, TemplateName: in.TemplateName, Language: in.Language,
		Parameters: in.Parameters, Active: in.Active, Version: version}
}

func ruleLocation(id int64) string { return whatsappBase + "/rules/" + strconv.FormatInt(id, 10) }

func (a *api) listWhatsAppRules(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	rules, err := a.desk.WhatsApp.Rules(r.Context(), p.Actor)
	if err != nil {
		return err
	}
	out := listPage[ruleJSON]{Items: make([]ruleJSON, len(rules))}
	for i, rl := range rules {
		out.Items[i] = ruleOf(rl)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *api) createWhatsAppRule(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in ruleRequest
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	rule, err := a.desk.WhatsApp.CreateRule(r.Context(), p.Actor, in.input(0))
	if err != nil {
		return err
	}
	w.Header().Set("Location", ruleLocation(rule.ID))
	writeResource(w, http.StatusCreated, rule.Version, ruleOf(rule))
	return nil
}

func (a *api) deleteWhatsAppRule(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if err := a.desk.WhatsApp.DeleteRule(r.Context(), p.Actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// messageJSON is a recorded WhatsApp message.
type messageJSON struct {
	ID          int64    `json:"id"`
	Direction   string   `json:"direction"`
	WAMessageID string   `json:"wa_message_id,omitempty"`
	ContactID   int64    `json:"contact_id"`
	Phone       string   `json:"phone"`
	Kind        string   `json:"kind"`
	Body        string   `json:"body"`
	EventID     string   `json:"event_id,omitempty"`
	RuleID      int64    `json:"rule_id,omitempty"`
	TicketID    int64    `json:"ticket_id,omitempty"`
	Status      string   `json:"status"`
	Error       string   `json:"error,omitempty"`
	CreatedAt   timeJSON `json:"created_at"`
	UpdatedAt   timeJSON `json:"updated_at"`
	SentAt      timeJSON `json:"sent_at,omitzero"`
	DeliveredAt timeJSON `json:"delivered_at,omitzero"`
	ReadAt      timeJSON `json:"read_at,omitzero"`
	FailedAt    timeJSON `json:"failed_at,omitzero"`
}

func messageOf(m whatsapp.Message) messageJSON {
	return messageJSON{ID: m.ID, Direction: string(m.Direction), WAMessageID: m.WAMessageID, ContactID: int64(m.ContactID),
		Phone: m.Phone, Kind: m.Kind, Body: m.Body, EventID: m.EventID, RuleID: m.RuleID, TicketID: m.TicketID,
		Status: string(m.Status), Error: m.Error, CreatedAt: adminTime(m.CreatedAt), UpdatedAt: adminTime(m.UpdatedAt),
		SentAt: adminTime(m.SentAt), DeliveredAt: adminTime(m.DeliveredAt), ReadAt: adminTime(m.ReadAt),
		FailedAt: adminTime(m.FailedAt)}
}

func (a *api) listWhatsAppMessages(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	pg, err := a.pageRequest(r)
	if err != nil {
		return err
	}
	page, err := a.desk.WhatsApp.Messages(r.Context(), p.Actor, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(page, messageOf))
	return nil
}

// sendRequest is the body of POST .../whatsapp/send: text, or template.
type sendRequest struct {
	ContactID int64  `json:"contact_id"`
	Text      string `json:"text"`
	Template  *struct {
		Name       string   `json:"name"`
		Language   string   `json:"language"`
		Parameters []string `json:"parameters"`
	} `json:"template"`
}

// sendWhatsApp sends a message and answers 201 with its record; a refusal
// by the Cloud API is 502 (the failed message is recorded).
func (a *api) sendWhatsApp(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in sendRequest
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	si := whatsapp.SendInput{ContactID: tenant.ContactID(in.ContactID), Text: in.Text}
	if in.Template != nil {
		si.Template = &whatsapp.Template{Name: in.Template.Name, Language: in.Template.Language, Parameters: in.Template.Parameters}
	}
	m, err := a.desk.WhatsApp.Send(r.Context(), p.Actor, si)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, messageOf(m))
	return nil
}

// whatsAppStatusJSON reports the integration.
type whatsAppStatusJSON struct {
	Configured    bool     `json:"configured"`
	Enabled       bool     `json:"enabled"`
	PhoneNumberID string   `json:"phone_number_id"`
	LastSuccessAt timeJSON `json:"last_success_at,omitzero"`
	LastError     string   `json:"last_error,omitempty"`
	LastErrorAt   timeJSON `json:"last_error_at,omitzero"`
}

func (a *api) whatsAppStatus(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	st, err := a.desk.WhatsApp.Status(r.Context(), p.Actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, whatsAppStatusJSON{Configured: st.Configured, Enabled: st.Enabled,
		PhoneNumberID: st.PhoneNumberID, LastSuccessAt: adminTime(st.LastSuccessAt), LastError: st.LastError,
		LastErrorAt: adminTime(st.LastErrorAt)})
	return nil
}

// whatsAppHandshake answers the subscription handshake with the challenge
// as text/plain.
func (a *api) whatsAppHandshake(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	challenge, err := a.desk.WhatsApp.VerifyHandshake(r.Context(), q.Get("hub.mode"), q.Get("hub.verify_token"), q.Get("hub.challenge"))
	if err != nil {
		if errors.Is(err, whatsapp.ErrBadVerifyToken) {
			a.strike(r, audit.TokenInvalid, "WhatsApp handshake with an unknown verify token")
		}
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, challenge)
}

// webhookItemJSON is what became of one message or status.
type webhookItemJSON struct {
	WAMessageID string `json:"wa_message_id"`
	Outcome     string `json:"outcome"`
	TicketID    int64  `json:"ticket_id,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// whatsAppWebhook receives a signed notification. The raw body is what
// the signature covers, so it is read as bytes, up to
// whatsapp.MaxWebhookBytes, before anything is parsed.
func (a *api) whatsAppWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, min(a.cfg.MaxBodyBytes, whatsapp.MaxWebhookBytes)))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			err = tooLarge(mb)
		} else {
			err = badRequest(fmt.Errorf("reading the body: %w", err))
		}
		a.fail(w, r, err)
		return
	}
	res, err := a.desk.WhatsApp.Inbound(r.Context(), body, r.Header.Get(whatsapp.SignatureHeader))
	if err != nil {
		if errors.Is(err, whatsapp.ErrBadSignature) {
			a.strike(r, audit.TokenInvalid, "WhatsApp notification with a forged signature")
		}
		a.fail(w, r, err)
		return
	}
	out := listPage[webhookItemJSON]{Items: make([]webhookItemJSON, len(res.Items))}
	for i, it := range res.Items {
		out.Items[i] = webhookItemJSON{WAMessageID: it.WAMessageID, Outcome: string(it.Outcome), TicketID: it.TicketID, Reason: it.Reason}
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- AI ----

// aiSettingsJSON is a company's AI settings: the key is only reported as
// set.
type aiSettingsJSON struct {
	CompanyID int64    `json:"company_id"`
	Enabled   bool     `json:"enabled"`
	Provider  string   `json:"provider"`
	BaseURL   string   `json:"base_url"`
	Model     string   `json:"model"`
	APIKeySet bool     `json:"api_key_set"`
	Threshold float64  `json:"threshold"`
	Version   int64    `json:"version"`
	UpdatedAt timeJSON `json:"updated_at,omitzero"`
}

func (s aiSettingsJSON) idAndVersion() (id, version int64) { return s.CompanyID, s.Version }

func aiSettingsOf(v ai.View) aiSettingsJSON {
	return aiSettingsJSON{CompanyID: int64(v.CompanyID), Enabled: v.Enabled, Provider: string(v.Provider),
		BaseURL: v.BaseURL, Model: v.Model, APIKeySet: v.APIKeySet, Threshold: v.Threshold, Version: v.Version,
		UpdatedAt: adminTime(v.UpdatedAt)}
}

// aiSettingsRequest is the body of PUT .../ai/settings: absent fields are
// kept.
type aiSettingsRequest struct {
	Enabled   *bool    `json:"enabled"`
	Provider  *string  `json:"provider"`
	BaseURL   *string  `json:"base_url"`
	Model     *string  `json:"model"`
	APIKey    *string  `json:"api_key"`
	Threshold *float64 `json:"threshold"`
}

func (a *api) aiSettings(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	v, err := a.desk.AI.Settings(r.Context(), p.Actor)
	if err != nil {
		return err
	}
	writeOne(w, aiSettingsOf(v))
	return nil
}

func (a *api) updateAISettings(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in aiSettingsRequest
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	si := ai.SettingsInput{Enabled: in.Enabled, BaseURL: in.BaseURL, Model: in.Model, APIKey: in.APIKey,
		Threshold: in.Threshold, Version: version}
	if in.Provider != nil {
		pr := ai.Provider(*in.Provider)
		si.Provider = &pr
	}
	v, err := a.desk.AI.UpdateSettings(r.Context(), p.Actor, si)
	if err != nil {
		return err
	}
	writeOne(w, aiSettingsOf(v))
	return nil
}

// classificationJSON is a classifier's suggestion.
type classificationJSON struct {
	Category           string  `json:"category"`
	Priority           string  `json:"priority"`
	Urgency            string  `json:"urgency"`
	SuggestedReply     string  `json:"suggested_reply"`
	Confidence         float64 `json:"confidence"`
	CategoryConfidence float64 `json:"category_confidence"`
	PriorityConfidence float64 `json:"priority_confidence"`
	Source             string  `json:"source"`
}

// analyzeRequest is the body of POST .../ai/analyze: a ticket, or a text.
type analyzeRequest struct {
	TicketID    int64  `json:"ticket_id"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

func (a *api) analyze(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in analyzeRequest
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	var (
		c   ai.Classification
		err error
	)
	switch {
	case in.TicketID < 0:
		return fieldError("ticket_id", "must be a ticket ID")
	case in.TicketID > 0 && (in.Title != "" || in.Description != ""):
		return fieldError("ticket_id", "send a ticket_id or a title and description, not both")
	case in.TicketID > 0:
		c, err = a.desk.AI.AnalyzeTicket(r.Context(), p.Actor, in.TicketID)
	default:
		c, err = a.desk.AI.Analyze(r.Context(), p.Actor, ai.Input{Title: in.Title, Description: in.Description})
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, classificationJSON{Category: c.Category, Priority: string(c.Priority),
		Urgency: string(c.Urgency), SuggestedReply: c.SuggestedReply, Confidence: c.Confidence,
		CategoryConfidence: c.CategoryConfidence, PriorityConfidence: c.PriorityConfidence, Source: c.Source})
	return nil
}

// evaluationJSON is the builtin classifier's held-out accuracy; null
// accuracies could not be measured.
type evaluationJSON struct {
	Trained          int      `json:"trained"`
	HeldOut          int      `json:"held_out"`
	CategoryAccuracy *float64 `json:"category_accuracy"`
	PriorityAccuracy *float64 `json:"priority_accuracy"`
}

// aiStatusJSON reports the gateway.
type aiStatusJSON struct {
	Enabled       bool     `json:"enabled"`
	Provider      string   `json:"provider"`
	Model         string   `json:"model"`
	Configured    bool     `json:"configured"`
	Threshold     float64  `json:"threshold"`
	LastSuccessAt timeJSON `json:"last_success_at,omitzero"`
	LastError     string   `json:"last_error,omitempty"`
	LastErrorAt   timeJSON `json:"last_error_at,omitzero"`
	Builtin       struct {
		Mode       string         `json:"mode"`
		Samples    int            `json:"samples"`
		Categories []string       `json:"categories"`
		Evaluation evaluationJSON `json:"evaluation"`
	} `json:"builtin"`
}

func accuracy(f float64) *float64 {
	if f < 0 {
		return nil
	}
	return &f
}

func (a *api) aiStatus(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	st, err := a.desk.AI.Status(r.Context(), p.Actor)
	if err != nil {
		return err
	}
	out := aiStatusJSON{Enabled: st.Enabled, Provider: string(st.Provider), Model: st.Model, Configured: st.Configured,
		Threshold: st.Threshold, LastSuccessAt: adminTime(st.LastSuccessAt), LastError: st.LastError,
		LastErrorAt: adminTime(st.LastErrorAt)}
	out.Builtin.Mode, out.Builtin.Samples, out.Builtin.Categories = st.BuiltinMode, st.BuiltinSamples, st.BuiltinCategories
	out.Builtin.Evaluation = evaluationJSON{Trained: st.Evaluation.Trained, HeldOut: st.Evaluation.HeldOut,
		CategoryAccuracy: accuracy(st.Evaluation.CategoryAccuracy), PriorityAccuracy: accuracy(st.Evaluation.PriorityAccuracy)}
	writeJSON(w, http.StatusOK, out)
	return nil
}
