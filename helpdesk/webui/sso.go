package webui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Single sign-on in the console: the sign-in page's "Sign in with single
// sign-on" form starts a flow with the company of the email typed, the
// provider sends the browser back to /signin/sso/callback (the redirect
// URI to register: Config.PublicURL + prefix + "/signin/sso/callback"),
// and the console opens the same session as the password form. Company
// admins edit the settings at /admin/sso.

// ssoCookie carries the sealed flow from the start to the callback.
const ssoCookie = "boladao_sso"

func (c *console) ssoRoutes() {
	c.mux.HandleFunc("POST /signin/sso", c.ssoStart)
	c.mux.HandleFunc("GET /signin/sso/callback", c.ssoCallback)
	c.page("GET /admin/sso", c.ssoAdmin)
	c.page("POST /admin/sso", c.ssoAdminSave)
}

// publicBase is the scheme and host people reach the console at.
func (c *console) publicBase(r *http.Request) string {
	if c.cfg.PublicURL != "" {
		return c.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil || c.cfg.BehindTLS {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (c *console) ssoFlowCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	ck := c.cookie(r, ssoCookie, value, maxAge)
	ck.Path = c.path("/signin/sso")
	return ck
}

// ssoStart sends the browser to the provider of the company that allows
// the typed email's domain.
func (c *console) ssoStart(w http.ResponseWriter, r *http.Request) {
	q := c.visitor(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, q, http.StatusBadRequest)
		return
	}
	form := signInForm{SSOEmail: strings.TrimSpace(r.PostForm.Get("sso_email")), Next: c.localNext(r.PostForm.Get("next"))}
	if form.SSOEmail == "" {
		form.Errors = map[string]string{"sso_email": q.T("field.required")}
		c.render(w, q, http.StatusUnprocessableEntity, "signin", form)
		return
	}
	ip := c.cfg.ClientIP(r)
	if blocked, left := c.guard.Blocked(ip); blocked {
		form.Error, form.Wait = "signin.blocked", q.Duration(left)
		c.render(w, q, http.StatusForbidden, "signin", form)
		return
	}
	if ok, retry := c.guard.IPs().Allow(ip); !ok {
		c.record(r, audit.Event{Kind: audit.RateLimited, Detail: "single sign-on rate limit per client IP"})
		w.Header().Set("Retry-After", strconv.FormatInt(int64((retry+time.Second-1)/time.Second), 10))
		form.Error, form.Wait = "signin.rate_limited", q.Duration(max(retry, time.Minute))
		c.render(w, q, http.StatusTooManyRequests, "signin", form)
		return
	}
	email := strings.ToLower(form.SSOEmail)
	company, err := c.desk.SSO.CompanyForEmail(r.Context(), email)
	var authURL, sealed string
	if err == nil {
		hint := ""
		if strings.Contains(email, "@") && len(email) <= 254 {
			hint = email
		}
		authURL, sealed, err = c.desk.SSO.Begin(r.Context(), sso.Start{Company: company,
			RedirectURL: c.publicBase(r) + c.path("/signin/sso/callback"), Next: form.Next, LoginHint: hint})
	}
	if err != nil {
		c.ssoRefused(w, r, q, form, sso.Identity{Email: email}, company, err)
		return
	}
	http.SetCookie(w, c.ssoFlowCookie(r, sealed, int(sso.DefaultFlowTTL/time.Second)))
	// Not a redirect: the sign-in page's CSP (form-action 'self') also
	// covers the redirects that follow a form post. The Refresh header (and
	// the link, without it) leave for the provider in a navigation of
	// their own.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Refresh", "0; url="+authURL)
	c.render(w, q, http.StatusOK, "sso_redirect", authURL)
}

// ssoCallback finishes the sign-in: the session cookie, then the local
// page the person asked for.
func (c *console) ssoCallback(w http.ResponseWriter, r *http.Request) {
	q := c.visitor(w, r)
	w.Header().Set("Cache-Control", "no-store")
	var sealed string
	if ck, err := r.Cookie(ssoCookie); err == nil {
		sealed = ck.Value
	}
	http.SetCookie(w, c.ssoFlowCookie(r, "", -1)) // single use
	if blocked, left := c.guard.Blocked(c.cfg.ClientIP(r)); blocked {
		c.render(w, q, http.StatusForbidden, "signin", signInForm{Error: "signin.blocked", Wait: q.Duration(left)})
		return
	}
	id, err := c.desk.SSO.Finish(r.Context(), sealed, r.URL.Query())
	var tokens helpdesk.Tokens
	var u directory.User
	var created bool
	if err == nil {
		tokens, u, created, err = c.desk.SignInSSO(r.Context(), id)
	}
	if err != nil {
		c.ssoRefused(w, r, q, signInForm{}, id, c.desk.SSO.FlowCompany(sealed), err)
		return
	}
	detail := "web console, single sign-on"
	if created {
		detail += "; user created on first sign-in"
	}
	c.record(r, audit.Event{Kind: audit.LoginSucceeded, Email: id.Email, UserID: u.ID, CompanyID: u.CompanyID, Detail: detail})
	http.SetCookie(w, c.cookie(r, sessionCookie, c.sessionValue(tokens.RefreshToken, c.now()), 0))
	next := c.localNext(id.Next)
	if next == "" {
		next = c.path("/dashboard")
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// ssoRefused records a refused single sign-on and shows the sign-in page
// with the reason in the person's language.
func (c *console) ssoRefused(w http.ResponseWriter, r *http.Request, q *request, form signInForm, id sso.Identity,
	company tenant.CompanyID, err error) {
	var ferr *sso.FlowError
	status := http.StatusUnauthorized
	e := audit.Event{Kind: audit.LoginFailed, Email: id.Email, CompanyID: company, Detail: "web console: " + err.Error()}
	switch {
	case errors.Is(err, sso.ErrNotConfigured):
		form.Error, status = "signin.sso_not_configured", http.StatusNotFound
		form.Errors = map[string]string{"sso_email": q.T("signin.sso_not_configured")}
		c.render(w, q, status, "signin", form)
		return
	case errors.As(err, &ferr):
		form.Error = "sso.reason." + string(ferr.Reason)
		switch ferr.Reason {
		case sso.ReasonProviderUnavailable:
			status = http.StatusBadGateway
		case sso.ReasonDomain, sso.ReasonUnknownUser, sso.ReasonOtherCompany:
			status = http.StatusForbidden
		case sso.ReasonDisabled:
			status, e.Kind = http.StatusForbidden, audit.LoginDisabled
		case sso.ReasonState, sso.ReasonNonce, sso.ReasonIDToken, sso.ReasonIDTokenExpired:
			c.strike(r, audit.LoginFailed, e.Detail)
			c.render(w, q, status, "signin", form)
			return
		}
	default:
		c.fail(w, r, q, err)
		return
	}
	c.record(r, e)
	c.render(w, q, status, "signin", form)
}

// ssoForm holds the settings form's values as entered; the client
// secret is never shown, only whether it is set.
type ssoForm struct {
	Enabled, CreateUsers, PasswordSignIn bool
	Issuer, ClientID, Domains, Role      string
	Version                              int64
	Errors                               map[string]string
}

// ssoPage is the view model of the single sign-on settings page.
type ssoPage struct {
	View   sso.View
	Form   ssoForm
	Notice string
	// Redirect is the console's redirect URI to register with the
	// provider; APIRedirect the JSON API's.
	Redirect, APIRedirect string
	Roles                 []tenant.Role
}

func (c *console) ssoRender(w http.ResponseWriter, r *http.Request, q *request, status int, p ssoPage) error {
	v, err := c.desk.SSO.Settings(q.Context(), q.actor)
	if err != nil {
		return err
	}
	p.View = v
	if p.Form.Errors == nil {
		p.Form = ssoForm{Enabled: v.Enabled, CreateUsers: v.CreateUsers, PasswordSignIn: v.PasswordSignIn, Issuer: v.Issuer,
			ClientID: v.ClientID, Domains: strings.Join(v.AllowedDomains, ", "), Role: string(v.DefaultRole), Version: v.Version}
	}
	p.Redirect = c.publicBase(r) + c.path("/signin/sso/callback")
	p.APIRedirect = c.publicBase(r) + "/auth/sso/callback"
	p.Roles = []tenant.Role{tenant.RoleAgent, tenant.RoleRequester, tenant.RoleViewer}
	c.render(w, q, status, "admin_sso", p)
	return nil
}

func (c *console) ssoAdmin(w http.ResponseWriter, r *http.Request, q *request) error {
	return c.ssoRender(w, r, q, http.StatusOK, ssoPage{Notice: notice(q)})
}

// ssoAdminSave saves the settings in one write; an empty secret keeps
// the one set.
func (c *console) ssoAdminSave(w http.ResponseWriter, r *http.Request, q *request) error {
	f := ssoForm{Enabled: r.PostForm.Get("enabled") == "on", CreateUsers: r.PostForm.Get("create_users") == "on",
		PasswordSignIn: r.PostForm.Get("password_sign_in") == "on", Issuer: strings.TrimSpace(r.PostForm.Get("issuer")),
		ClientID: strings.TrimSpace(r.PostForm.Get("client_id")), Domains: r.PostForm.Get("allowed_domains"),
		Role: r.PostForm.Get("default_role"), Version: formVersion(r)}
	domains := strings.FieldsFunc(f.Domains, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	role := tenant.Role(f.Role)
	_, err := c.desk.SSO.UpdateSettings(q.Context(), q.actor, sso.SettingsInput{Enabled: &f.Enabled, Issuer: &f.Issuer,
		ClientID: &f.ClientID, ClientSecret: optional(r, "client_secret"), AllowedDomains: &domains, DefaultRole: &role,
		CreateUsers: &f.CreateUsers, PasswordSignIn: &f.PasswordSignIn, Version: f.Version})
	if err != nil {
		if !refused(err) {
			return err
		}
		f.Errors = fieldErrors(q, err)
		return c.ssoRender(w, r, q, http.StatusUnprocessableEntity, ssoPage{Form: f})
	}
	c.done(w, r, "/admin/sso", "sso_saved")
	return nil
}
