package webui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sistemaboladao/boladao/events/whatsapp"
)

func (c *console) whatsappRoutes() {
	c.page("GET /integrations/whatsapp", c.whatsapp)
	c.page("POST /integrations/whatsapp/settings", c.whatsappSettings)
	c.page("POST /integrations/whatsapp/rules", c.whatsappRuleCreate)
	c.page("POST /integrations/whatsapp/rules/{id}/active", c.whatsappRuleActive)
	c.page("POST /integrations/whatsapp/rules/{id}/delete", c.whatsappRuleDelete)
}

// whatsappSettingsForm holds the settings form's values as entered; the
// secrets are never shown, only whether they are set.
type whatsappSettingsForm struct {
	Enabled                            bool
	BaseURL, APIVersion, PhoneNumberID string
	Version                            int64
	Errors                             map[string]string
}

// ruleForm holds the new-rule form's values as entered.
type ruleForm struct {
	EventType, TemplateName, Language, Parameters string
	Errors                                        map[string]string
}

// whatsappPage is the view model of the WhatsApp page.
type whatsappPage struct {
	Status     whatsapp.Report
	View       whatsapp.View
	Settings   whatsappSettingsForm
	Rules      []whatsapp.Rule
	RuleForm   ruleForm
	Messages   []whatsapp.Message
	NextCursor string
	Notice     string
}

func (c *console) whatsappRender(w http.ResponseWriter, q *request, status int, p whatsappPage) error {
	ctx := q.Context()
	wa := c.desk.WhatsApp
	var err error
	if p.View, err = wa.Settings(ctx, q.actor); err != nil {
		return err
	}
	if p.Status, err = wa.Status(ctx, q.actor); err != nil {
		return err
	}
	if p.Rules, err = wa.Rules(ctx, q.actor); err != nil {
		return err
	}
	msgs, err := wa.Messages(ctx, q.actor, pageRequest(q.r, 25))
	if err != nil {
		return err
	}
	p.Messages, p.NextCursor = msgs.Items, string(msgs.NextCursor)
	if p.Settings.Errors == nil {
		v := p.View
		p.Settings = whatsappSettingsForm{Enabled: v.Enabled, BaseURL: v.BaseURL, APIVersion: v.APIVersion, PhoneNumberID: v.PhoneNumberID, Version: v.Version}
	}
	if p.RuleForm.Errors == nil {
		p.RuleForm = ruleForm{Language: "pt_BR"}
	}
	c.render(w, q, status, "integrations_whatsapp", p)
	return nil
}

func (c *console) whatsapp(w http.ResponseWriter, r *http.Request, q *request) error {
	return c.whatsappRender(w, q, http.StatusOK, whatsappPage{Notice: notice(q)})
}

// optional returns a pointer to the trimmed form value, nil when it was
// left empty (a write-only secret that stays as it is).
func optional(r *http.Request, name string) *string {
	v := strings.TrimSpace(r.PostForm.Get(name))
	if v == "" {
		return nil
	}
	return &v
}

// whatsappSettings saves the settings in one write; secret fields left
// empty keep their values.
func (c *console) whatsappSettings(w http.ResponseWriter, r *http.Request, q *request) error {
	f := whatsappSettingsForm{Enabled: r.PostForm.Get("enabled") == "on", BaseURL: strings.TrimSpace(r.PostForm.Get("base_url")),
		APIVersion: strings.TrimSpace(r.PostForm.Get("api_version")), PhoneNumberID: strings.TrimSpace(r.PostForm.Get("phone_number_id")),
		Version: formVersion(r)}
	in := whatsapp.SettingsInput{Enabled: &f.Enabled, BaseURL: &f.BaseURL, APIVersion: &f.APIVersion, PhoneNumberID: &f.PhoneNumberID,
		AccessToken: optional(r, "access_token"), AppSecret: optional(r, "app_secret"), VerifyToken: optional(r, "verify_token"), Version: f.Version}
	if _, err := c.desk.WhatsApp.UpdateSettings(q.Context(), q.actor, in); err != nil {
		if !refused(err) && !errors.Is(err, whatsapp.ErrNotConfigured) {
			return err
		}
		f.Errors = fieldErrors(q, err)
		if f.Errors == nil {
			f.Errors = map[string]string{"enabled": q.T("whatsapp.enable_needs")}
		}
		return c.whatsappRender(w, q, http.StatusUnprocessableEntity, whatsappPage{Settings: f})
	}
	c.done(w, r, "/integrations/whatsapp", "whatsapp_saved")
	return nil
}

func (c *console) whatsappRuleCreate(w http.ResponseWriter, r *http.Request, q *request) error {
	f := ruleForm{EventType: strings.TrimSpace(r.PostForm.Get("event_type")), TemplateName: strings.TrimSpace(r.PostForm.Get("template_name")),
		Language: strings.TrimSpace(r.PostForm.Get("language")), Parameters: r.PostForm.Get("parameters")}
	_, err := c.desk.WhatsApp.CreateRule(q.Context(), q.actor, whatsapp.RuleInput{EventType: f.EventType, TemplateName: f.TemplateName,
		Language: f.Language, Parameters: splitPatterns(f.Parameters)})
	if err != nil {
		if !refused(err) {
			return err
		}
		f.Errors = fieldErrors(q, err)
		return c.whatsappRender(w, q, http.StatusUnprocessableEntity, whatsappPage{RuleForm: f})
	}
	c.done(w, r, "/integrations/whatsapp", "rule_created")
	return nil
}

func (c *console) whatsappRuleActive(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rule, err := c.desk.WhatsApp.Rule(q.Context(), q.actor, id)
	if err != nil {
		return err
	}
	active := r.PostForm.Get("active") == "true"
	if _, err := c.desk.WhatsApp.UpdateRule(q.Context(), q.actor, id, whatsapp.RuleInput{EventType: rule.EventType,
		TemplateName: rule.TemplateName, Language: rule.Language, Parameters: rule.Parameters, Active: &active,
		Version: formVersion(r)}); err != nil {
		return err
	}
	c.done(w, r, "/integrations/whatsapp", "rule_saved")
	return nil
}

func (c *console) whatsappRuleDelete(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := c.desk.WhatsApp.DeleteRule(q.Context(), q.actor, id); err != nil {
		return err
	}
	c.done(w, r, "/integrations/whatsapp", "rule_deleted")
	return nil
}
