package webui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/ai"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

func (c *console) aiRoutes() {
	c.page("GET /integrations/ai", c.aiPage)
	c.page("POST /integrations/ai/settings", c.aiSettings)
	c.page("POST /integrations/ai/analyze", c.aiAnalyze)
}

// aiSettingsForm holds the AI settings form's values as entered; the key
// is never shown, only whether it is set.
type aiSettingsForm struct {
	Enabled                  bool
	Provider, BaseURL, Model string
	Threshold                string
	Version                  int64
	Errors                   map[string]string
}

// aiView is the view model of the AI page.
type aiView struct {
	Status ai.Report
	// View is nil for people who may not see the settings.
	View     *ai.View
	Settings aiSettingsForm
	Notice   string
	// Analyze holds the analyze box's text and its result.
	Title, Text   string
	Result        *ai.Classification
	AnalyzeErrors map[string]string
	// AnalyzeFailed is the provider's failure, when it had one.
	AnalyzeFailed string
}

func (c *console) aiRender(w http.ResponseWriter, q *request, status int, p aiView) error {
	ctx := q.Context()
	var err error
	if p.Status, err = c.desk.AI.Status(ctx, q.actor); err != nil {
		return err
	}
	if q.actor.Can(tenant.PermIntegrationsManage) {
		v, err := c.desk.AI.Settings(ctx, q.actor)
		if err != nil {
			return err
		}
		p.View = &v
		if p.Settings.Errors == nil {
			p.Settings = aiSettingsForm{Enabled: v.Enabled, Provider: string(v.Provider), BaseURL: v.BaseURL, Model: v.Model,
				Threshold: strconv.FormatFloat(v.Threshold, 'f', -1, 64), Version: v.Version}
		}
	}
	c.render(w, q, status, "integrations_ai", p)
	return nil
}

func (c *console) aiPage(w http.ResponseWriter, r *http.Request, q *request) error {
	return c.aiRender(w, q, http.StatusOK, aiView{Notice: notice(q)})
}

// aiSettings saves the settings in one write; an empty key keeps the one
// set.
func (c *console) aiSettings(w http.ResponseWriter, r *http.Request, q *request) error {
	f := aiSettingsForm{Enabled: r.PostForm.Get("enabled") == "on", Provider: r.PostForm.Get("provider"),
		BaseURL: strings.TrimSpace(r.PostForm.Get("base_url")), Model: strings.TrimSpace(r.PostForm.Get("model")),
		Threshold: strings.TrimSpace(r.PostForm.Get("threshold")), Version: formVersion(r)}
	provider := ai.Provider(f.Provider)
	in := ai.SettingsInput{Enabled: &f.Enabled, Provider: &provider, BaseURL: &f.BaseURL, Model: &f.Model,
		APIKey: optional(r, "api_key"), Version: f.Version}
	var b validation.Builder
	if f.Threshold != "" {
		t, err := strconv.ParseFloat(strings.Replace(f.Threshold, ",", ".", 1), 64)
		if err != nil {
			b.Add("threshold", "must be a number from 0 to 1")
		}
		in.Threshold = &t
	}
	err := b.Err()
	if err == nil {
		_, err = c.desk.AI.UpdateSettings(q.Context(), q.actor, in)
	}
	if err != nil {
		if !refused(err) {
			return err
		}
		f.Errors = fieldErrors(q, err)
		return c.aiRender(w, q, http.StatusUnprocessableEntity, aiView{Settings: f})
	}
	c.done(w, r, "/integrations/ai", "ai_saved")
	return nil
}

// aiAnalyze classifies the entered text with the company's provider.
func (c *console) aiAnalyze(w http.ResponseWriter, r *http.Request, q *request) error {
	p := aiView{Title: r.PostForm.Get("title"), Text: r.PostForm.Get("text")}
	res, err := c.desk.AI.Analyze(q.Context(), q.actor, ai.Input{Title: p.Title, Description: p.Text})
	status := http.StatusOK
	switch {
	case err == nil:
	case errors.Is(err, tenant.ErrForbidden), errors.Is(err, tenant.ErrNoCompany):
		return err
	case refused(err):
		p.AnalyzeErrors, status = fieldErrors(q, err), http.StatusUnprocessableEntity
	default: // the provider failed: say so beside the box
		p.AnalyzeFailed, status = c.explain(q, err), http.StatusBadGateway
	}
	if err == nil {
		p.Result = &res
	}
	return c.aiRender(w, q, status, p)
}
