package webui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

func (c *console) adminTokenRoutes() {
	c.page("GET /admin/tokens", c.adminTokens)
	c.page("POST /admin/tokens", c.adminTokenCreate)
	c.page("POST /admin/tokens/{id}/revoke", c.adminTokenRevoke)
}

// tokensPage is the view model of the API tokens page.
type tokensPage struct {
	Tokens     []directory.APIToken
	NextCursor string
	Notice     string
	// Scopes are the permissions the person may grant.
	Scopes []string
	// Form holds the create form's values.
	Form struct {
		Name    string
		Expires string
		Rate    string
		Scopes  []string
	}
	Errors map[string]string
	// Secret is the new token, shown once.
	Secret string
}

// Chosen reports whether the create form had scope s ticked.
func (p tokensPage) Chosen(s string) bool { return slices.Contains(p.Form.Scopes, s) }

func (c *console) tokensRender(w http.ResponseWriter, q *request, status int, p tokensPage) error {
	if err := q.actor.RequireIn(tenant.PermTokensManage); err != nil {
		return err
	}
	page, err := c.desk.Directory.ListAPITokens(q.Context(), q.actor, directory.APITokenFilter{}, pageRequest(q.r, 50))
	if err != nil {
		return err
	}
	p.Tokens, p.NextCursor = page.Items, string(page.NextCursor)
	for _, perm := range tenant.PermissionsOf(q.actor.Role) {
		if perm != tenant.PermCompaniesManage {
			p.Scopes = append(p.Scopes, string(perm))
		}
	}
	c.render(w, q, status, "admin_tokens", p)
	return nil
}

func (c *console) adminTokens(w http.ResponseWriter, r *http.Request, q *request) error {
	return c.tokensRender(w, q, http.StatusOK, tokensPage{Notice: notice(q)})
}

// adminTokenCreate creates a token with the ticked scopes and shows its
// secret once.
func (c *console) adminTokenCreate(w http.ResponseWriter, r *http.Request, q *request) error {
	var p tokensPage
	p.Form.Name, p.Form.Expires, p.Form.Scopes = r.PostForm.Get("name"), r.PostForm.Get("expires"), r.PostForm["scope"]
	p.Form.Rate = strings.TrimSpace(r.PostForm.Get("rate"))
	in := directory.APITokenInput{Name: p.Form.Name}
	for _, s := range p.Form.Scopes {
		in.Permissions = append(in.Permissions, tenant.Permission(s))
	}
	var b validation.Builder
	if p.Form.Expires != "" {
		d, err := time.ParseInLocation("2006-01-02", p.Form.Expires, q.tz)
		if err != nil {
			b.Add("expires_at", "must be a date")
		}
		in.ExpiresAt = d.AddDate(0, 0, 1) // through the end of that day
	}
	if p.Form.Rate != "" {
		rate, err := strconv.ParseFloat(strings.Replace(p.Form.Rate, ",", ".", 1), 64)
		if err != nil {
			b.Add("rate", "must be a number")
		}
		in.Rate = rate
	}
	err := b.Err()
	var secret string
	if err == nil {
		_, secret, err = c.desk.Directory.CreateAPIToken(q.Context(), q.actor, in)
	}
	status := http.StatusOK
	if err != nil {
		if !refused(err) {
			return err
		}
		p.Errors, status = fieldErrors(q, err), http.StatusUnprocessableEntity
	} else {
		p.Secret = secret
		p.Form.Name, p.Form.Expires, p.Form.Rate, p.Form.Scopes = "", "", "", nil
	}
	return c.tokensRender(w, q, status, p)
}

func (c *console) adminTokenRevoke(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := c.desk.Directory.RevokeAPIToken(q.Context(), q.actor, id); err != nil {
		return err
	}
	c.done(w, r, "/admin/tokens", "token_revoked")
	return nil
}
