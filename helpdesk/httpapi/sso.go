package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Single sign-on (OpenID Connect) for API clients, and the companies'
// settings:
//
//	GET|PUT /api/integrations/sso/settings  company settings; the client secret is write-only
//	GET     /auth/sso/{company}/start       redirect to the company's provider ({company}: ID, email or domain)
//	GET     /auth/sso/callback              the provider's redirect back: tokens as POST /auth/login gives them
//
// The redirect URI to register with the provider for API clients is
// Config.PublicURL (or the request's scheme and host) + "/auth/sso/callback";
// the web console has its own (webui).
const (
	ssoBase = "/api/integrations/sso"
	// ssoFlowCookie carries the sealed flow from start to callback.
	ssoFlowCookie = "boladao_sso_flow"
	ssoCallback   = "/auth/sso/callback"
)

func (a *api) ssoRoutes() {
	a.mux.Handle("GET "+ssoBase+"/settings", a.authed(a.ssoSettings))
	a.mux.Handle("PUT "+ssoBase+"/settings", a.authed(a.updateSSOSettings))
	a.mux.HandleFunc("GET /auth/sso/{company}/start", a.ssoStart)
	a.mux.HandleFunc("GET "+ssoCallback, a.ssoCallbackHandler)
}

// ssoProblem maps single sign-on's errors; ok is false for any other.
func ssoProblem(err error) (p Problem, ok bool) {
	var ferr *sso.FlowError
	switch {
	case errors.Is(err, sso.ErrPasswordSignInDisabled):
		return newProblem(http.StatusForbidden, "password-sign-in-disabled", sso.ErrPasswordSignInDisabled.Error()+
			": open GET /auth/sso/{company}/start"), true
	case errors.Is(err, sso.ErrNotConfigured):
		return newProblem(http.StatusNotFound, "sso-not-configured", sso.ErrNotConfigured.Error()), true
	case errors.As(err, &ferr):
		status := http.StatusUnauthorized
		switch ferr.Reason {
		case sso.ReasonProviderUnavailable:
			status = http.StatusBadGateway
		case sso.ReasonDomain, sso.ReasonUnknownUser, sso.ReasonOtherCompany, sso.ReasonDisabled:
			status = http.StatusForbidden
		}
		return newProblem(status, "sso-"+strings.ReplaceAll(string(ferr.Reason), "_", "-"), ferr.Error()), true
	}
	return Problem{}, false
}

// ssoSettingsJSON is a company's single sign-on settings: the client
// secret is only reported as set.
type ssoSettingsJSON struct {
	CompanyID       int64    `json:"company_id"`
	Enabled         bool     `json:"enabled"`
	Issuer          string   `json:"issuer"`
	ClientID        string   `json:"client_id"`
	ClientSecretSet bool     `json:"client_secret_set"`
	AllowedDomains  []string `json:"allowed_domains"`
	DefaultRole     string   `json:"default_role"`
	CreateUsers     bool     `json:"create_users"`
	PasswordSignIn  bool     `json:"password_sign_in"`
	Version         int64    `json:"version"`
	UpdatedAt       timeJSON `json:"updated_at,omitzero"`
}

func (s ssoSettingsJSON) idAndVersion() (id, version int64) { return s.CompanyID, s.Version }

func ssoSettingsOf(v sso.View) ssoSettingsJSON {
	return ssoSettingsJSON{CompanyID: int64(v.CompanyID), Enabled: v.Enabled, Issuer: v.Issuer, ClientID: v.ClientID,
		ClientSecretSet: v.ClientSecretSet, AllowedDomains: v.AllowedDomains, DefaultRole: string(v.DefaultRole),
		CreateUsers: v.CreateUsers, PasswordSignIn: v.PasswordSignIn, Version: v.Version, UpdatedAt: adminTime(v.UpdatedAt)}
}

// ssoSettingsRequest is the body of PUT .../sso/settings: absent fields
// are kept.
type ssoSettingsRequest struct {
	Enabled        *bool     `json:"enabled"`
	Issuer         *string   `json:"issuer"`
	ClientID       *string   `json:"client_id"`
	ClientSecret   *string   `json:"client_secret"`
	AllowedDomains *[]string `json:"allowed_domains"`
	DefaultRole    *string   `json:"default_role"`
	CreateUsers    *bool     `json:"create_users"`
	PasswordSignIn *bool     `json:"password_sign_in"`
}

func (a *api) ssoSettings(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	v, err := a.desk.SSO.Settings(r.Context(), p.Actor)
	if err != nil {
		return err
	}
	writeOne(w, ssoSettingsOf(v))
	return nil
}

func (a *api) updateSSOSettings(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in ssoSettingsRequest
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	si := sso.SettingsInput{Enabled: in.Enabled, Issuer: in.Issuer, ClientID: in.ClientID, ClientSecret: in.ClientSecret,
		AllowedDomains: in.AllowedDomains, CreateUsers: in.CreateUsers, PasswordSignIn: in.PasswordSignIn, Version: version}
	if in.DefaultRole != nil {
		role := tenant.Role(*in.DefaultRole)
		si.DefaultRole = &role
	}
	v, err := a.desk.SSO.UpdateSettings(r.Context(), p.Actor, si)
	if err != nil {
		return err
	}
	writeOne(w, ssoSettingsOf(v))
	return nil
}

// publicBase is the scheme and host people reach the API at.
func (a *api) publicBase(r *http.Request) string {
	if a.cfg.PublicURL != "" {
		return a.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil || a.cfg.BehindTLS {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// ssoCookiePath is the path of the flow cookie: /auth/sso/ under the
// path of Config.PublicURL (the prefix the API is mounted under).
func (a *api) ssoCookiePath() string {
	if u, err := url.Parse(a.cfg.PublicURL); err == nil {
		return strings.TrimRight(u.Path, "/") + "/auth/sso/"
	}
	return "/auth/sso/"
}

// ssoCompany reads {company}: a company ID, an email or an email domain.
func (a *api) ssoCompany(r *http.Request) (tenant.CompanyID, error) {
	v := r.PathValue("company")
	if id, err := strconv.ParseInt(v, 10, 64); err == nil {
		if id <= 0 {
			return 0, sso.ErrNotConfigured
		}
		return tenant.CompanyID(id), nil
	}
	return a.desk.SSO.CompanyForEmail(r.Context(), v)
}

// ssoStart sends the client to its company's provider, with the flow in a
// short-lived cookie for the callback.
func (a *api) ssoStart(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if ok, retry := a.loginIP.Allow(a.ip(r)); !ok {
		a.record(r, audit.Event{Kind: audit.RateLimited, Detail: "single sign-on rate limit per client IP"})
		a.fail(w, r, rateLimited(retry))
		return
	}
	company, err := a.ssoCompany(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	hint := strings.TrimSpace(r.URL.Query().Get("login_hint"))
	if len(hint) > 254 {
		hint = ""
	}
	authURL, sealed, err := a.desk.SSO.Begin(r.Context(), sso.Start{Company: company,
		RedirectURL: a.publicBase(r) + ssoCallback, LoginHint: hint})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: ssoFlowCookie, Value: sealed, Path: a.ssoCookiePath(), HttpOnly: true,
		Secure: r.TLS != nil || a.cfg.BehindTLS, SameSite: http.SameSiteLaxMode, MaxAge: int(sso.DefaultFlowTTL / time.Second)})
	http.Redirect(w, r, authURL, http.StatusFound)
}

// ssoCallbackHandler finishes the sign-in and answers the tokens.
func (a *api) ssoCallbackHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if ok, retry := a.loginIP.Allow(a.ip(r)); !ok {
		a.record(r, audit.Event{Kind: audit.RateLimited, Detail: "single sign-on rate limit per client IP"})
		a.fail(w, r, rateLimited(retry))
		return
	}
	var sealed string
	if c, err := r.Cookie(ssoFlowCookie); err == nil {
		sealed = c.Value
	}
	// The flow is single use, whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: ssoFlowCookie, Value: "", Path: a.ssoCookiePath(), HttpOnly: true,
		Secure: r.TLS != nil || a.cfg.BehindTLS, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	id, err := a.desk.SSO.Finish(r.Context(), sealed, r.URL.Query())
	var tokens helpdesk.Tokens
	var u directory.User
	var created bool
	if err == nil {
		tokens, u, created, err = a.desk.SignInSSO(r.Context(), id)
	}
	if err != nil {
		a.ssoRefused(r, id, a.desk.SSO.FlowCompany(sealed), err)
		a.fail(w, r, err)
		return
	}
	detail := "single sign-on"
	if created {
		detail += "; user created on first sign-in"
	}
	a.record(r, audit.Event{Kind: audit.LoginSucceeded, Email: id.Email, UserID: u.ID, CompanyID: u.CompanyID, Detail: detail})
	a.writeTokens(w, tokens)
}

// ssoRefused records a refused single sign-on in the security audit; the
// refusals an attacker provokes (forged state, foreign tokens) count
// towards blocking the client IP.
func (a *api) ssoRefused(r *http.Request, id sso.Identity, company tenant.CompanyID, err error) {
	e := audit.Event{Kind: audit.LoginFailed, Email: id.Email, CompanyID: company, Detail: truncate(err.Error(), 300)}
	var ferr *sso.FlowError
	if !errors.As(err, &ferr) {
		if errors.Is(err, sso.ErrNotConfigured) {
			a.record(r, e)
		}
		return
	}
	switch ferr.Reason {
	case sso.ReasonDisabled:
		e.Kind = audit.LoginDisabled
	case sso.ReasonState, sso.ReasonNonce, sso.ReasonIDToken, sso.ReasonIDTokenExpired:
		ip := a.ip(r)
		a.blocks.strike(ip, e.Detail)
		a.record(r, e)
		if blocked, until := a.blocks.blocked(ip); blocked {
			a.record(r, audit.Event{Kind: audit.IPBlocked, Detail: "blocked until " + until.UTC().Format(time.RFC3339)})
		}
		return
	}
	a.record(r, e)
}
