package httpapi

import (
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/loginguard"
	"github.com/sistemaboladao/boladao/helpdesk/sso"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

func (a *api) authRoutes() {
	a.mux.HandleFunc("POST /auth/login", a.loginHandler)
	a.mux.HandleFunc("POST /auth/refresh", a.refreshHandler)
	a.mux.HandleFunc("POST /auth/logout", a.logoutHandler)
	a.mux.HandleFunc("GET /auth/me", a.authed(a.me))
	a.twoFactorRoutes()
}

// tokenResponse is the OAuth2-style body of a login or refresh.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

func (a *api) writeTokens(w http.ResponseWriter, t helpdesk.Tokens) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		TokenType: "bearer", ExpiresIn: int64(t.ExpiresAt.Sub(a.now()).Round(time.Second) / time.Second)})
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// readLogin accepts JSON {"email","password"} or the OAuth2 password grant
// form (username, password).
func (a *api) readLogin(w http.ResponseWriter, r *http.Request) (loginRequest, error) {
	var in loginRequest
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			return in, badRequest(err)
		}
		if gt := r.PostForm.Get("grant_type"); gt != "" && gt != "password" {
			return in, fieldError("grant_type", `must be "password"`)
		}
		in.Email, in.Password = r.PostForm.Get("username"), r.PostForm.Get("password")
	} else if err := decodeJSON(w, r, &in, 64<<10); err != nil {
		return in, err
	}
	var b validation.Builder
	if strings.TrimSpace(in.Email) == "" {
		b.Add("email", "is required")
	}
	if in.Password == "" {
		b.Add("password", "is required")
	}
	return in, b.Err()
}

func (a *api) loginHandler(w http.ResponseWriter, r *http.Request) {
	in, err := a.readLogin(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	for _, l := range []struct {
		lim       *loginguard.Limiter
		key, what string
	}{{a.loginIP, a.ip(r), "client IP"}, {a.account, email, "account"}} {
		if ok, retry := l.lim.Allow(l.key); !ok {
			a.record(r, audit.Event{Kind: audit.RateLimited, Email: email, Detail: "login rate limit per " + l.what})
			a.fail(w, r, rateLimited(retry))
			return
		}
	}
	res, err := a.desk.SignIn(r.Context(), email, in.Password, a.clientInfo(r))
	tokens, u := res.Tokens, res.User
	switch {
	case errors.Is(err, directory.ErrInvalidCredentials):
		a.strike(r, audit.LoginFailed, "failed login for "+email)
		a.fail(w, r, err)
		return
	case errors.Is(err, directory.ErrAccountDisabled):
		a.record(r, audit.Event{Kind: audit.LoginDisabled, Email: email})
		a.fail(w, r, err)
		return
	case errors.Is(err, sso.ErrPasswordSignInDisabled):
		a.record(r, audit.Event{Kind: audit.LoginFailed, Email: email, Detail: "password sign-in is turned off for the company: single sign-on only"})
		a.fail(w, r, err)
		return
	case err != nil:
		a.fail(w, r, err)
		return
	}
	if res.Challenge != "" {
		// The password was right; the session waits for the second factor.
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, challengeResponse{Challenge: res.Challenge, ChallengeType: "totp",
			ExpiresIn: challengeExpiresIn(res.ChallengeExpiresAt, a.now())})
		return
	}
	a.record(r, audit.Event{Kind: audit.LoginSucceeded, Email: email, UserID: u.ID, CompanyID: u.CompanyID})
	a.writeTokens(w, tokens)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (a *api) readRefresh(w http.ResponseWriter, r *http.Request) (string, error) {
	var in refreshRequest
	if err := decodeJSON(w, r, &in, 16<<10); err != nil {
		return "", err
	}
	if in.RefreshToken == "" {
		return "", fieldError("refresh_token", "is required")
	}
	return in.RefreshToken, nil
}

func (a *api) refreshHandler(w http.ResponseWriter, r *http.Request) {
	token, err := a.readRefresh(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if ok, retry := a.loginIP.Allow(a.ip(r)); !ok {
		a.fail(w, r, rateLimited(retry))
		return
	}
	tokens, _, err := a.desk.Refresh(r.Context(), token)
	switch {
	case errors.Is(err, directory.ErrRefreshTokenReused):
		a.strike(r, audit.TokenReuse, "refresh token reused: session revoked")
		a.fail(w, r, err)
		return
	case errors.Is(err, directory.ErrRefreshTokenInvalid):
		a.strike(r, audit.TokenInvalid, "invalid refresh token")
		a.fail(w, r, err)
		return
	case err != nil:
		a.fail(w, r, err)
		return
	}
	a.writeTokens(w, tokens)
}

// logoutHandler revokes the session of the refresh token in the body.
func (a *api) logoutHandler(w http.ResponseWriter, r *http.Request) {
	token, err := a.readRefresh(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.desk.Logout(r.Context(), token); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type meResponse struct {
	UserID      int64               `json:"user_id"`
	Email       string              `json:"email,omitempty"`
	Role        tenant.Role         `json:"role"`
	CompanyID   int64               `json:"company_id,omitempty"`
	ContactID   int64               `json:"contact_id,omitempty"`
	Principal   string              `json:"principal"`
	Permissions []tenant.Permission `json:"permissions"`
}

// me describes the caller: user, role, company and effective permissions.
// It answers from the credential alone, without a database read: like every
// other endpoint, it trusts an access token until it expires.
func (a *api) me(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	out := meResponse{UserID: int64(p.Actor.UserID), Email: p.Email, Role: p.Actor.Role, CompanyID: int64(p.Actor.CompanyID),
		ContactID: int64(p.Actor.ContactID), Principal: p.Key(), Permissions: []tenant.Permission{}}
	for _, perm := range tenant.PermissionsOf(p.Actor.Role) {
		if p.Actor.Can(perm) {
			out.Permissions = append(out.Permissions, perm)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
