package httpapi

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// ErrTwoFactorEnrolmentRequired refuses a restricted principal (its user
// must enrol in two-factor sign-in) anything but enrolment (403).
var ErrTwoFactorEnrolmentRequired = errors.New("two-factor sign-in is required for your account: enrol first (POST /auth/2fa/enrolment, then POST /auth/2fa/enrolment/confirm), then refresh your tokens")

// restrictedRoutes are the patterns a restricted principal may reach.
var restrictedRoutes = map[string]bool{
	"GET /auth/me":                      true,
	"GET /auth/2fa":                     true,
	"POST /auth/2fa/enrolment":          true,
	"POST /auth/2fa/enrolment/confirm":  true,
	"GET /auth/sessions":                true,
	"DELETE /auth/sessions/{id}":        true,
	"POST /auth/sessions/revoke-others": true,
}

// twoFactorRoutes registers the second sign-in step, enrolment, the
// sessions a person sees, and the admin and policy routes around them.
func (a *api) twoFactorRoutes() {
	a.mux.HandleFunc("POST /auth/login/2fa", a.loginSecondFactor)
	a.mux.HandleFunc("GET /auth/2fa", a.authed(a.twoFactorStatus))
	a.mux.HandleFunc("POST /auth/2fa/enrolment", a.authed(a.beginTwoFactor))
	a.mux.HandleFunc("POST /auth/2fa/enrolment/confirm", a.authed(a.confirmTwoFactor))
	a.mux.HandleFunc("POST /auth/2fa/recovery-codes", a.authed(a.regenerateRecoveryCodes))
	a.mux.HandleFunc("POST /auth/2fa/disable", a.authed(a.disableTwoFactor))
	a.mux.HandleFunc("GET /auth/sessions", a.authed(a.listSessions))
	a.mux.HandleFunc("DELETE /auth/sessions/{id}", a.authed(a.revokeSession))
	a.mux.HandleFunc("POST /auth/sessions/revoke-others", a.authed(a.revokeOtherSessions))
	a.mux.HandleFunc("GET "+adminBase+"users/{id}/sessions", a.authed(a.listUserSessions))
	a.mux.HandleFunc("DELETE "+adminBase+"users/{id}/sessions", a.authed(a.revokeUserSessions))
	a.mux.HandleFunc("DELETE "+adminBase+"users/{id}/sessions/{session_id}", a.authed(a.revokeUserSession))
	a.mux.HandleFunc("DELETE "+adminBase+"users/{id}/two-factor", a.authed(a.resetTwoFactor))
	a.mux.HandleFunc("GET /api/security/two-factor-policy", a.authed(a.getTwoFactorPolicy))
	a.mux.HandleFunc("PUT /api/security/two-factor-policy", a.authed(a.putTwoFactorPolicy))
}

// twoFactorProblem maps the errors of two-factor sign-in; ok is false for
// any other error.
func twoFactorProblem(err error) (p Problem, ok bool) {
	var lerr *directory.TwoFactorLockedError
	switch {
	case errors.Is(err, ErrTwoFactorEnrolmentRequired):
		return newProblem(http.StatusForbidden, "two-factor-enrolment-required", ErrTwoFactorEnrolmentRequired.Error()), true
	case errors.Is(err, helpdesk.ErrSecondFactorRequired):
		return newProblem(http.StatusUnauthorized, "second-factor-required", helpdesk.ErrSecondFactorRequired.Error()), true
	case errors.Is(err, directory.ErrChallengeInvalid):
		return newProblem(http.StatusUnauthorized, "invalid-challenge", directory.ErrChallengeInvalid.Error()), true
	case errors.Is(err, directory.ErrTwoFactorCode):
		return newProblem(http.StatusUnauthorized, "invalid-code", directory.ErrTwoFactorCode.Error()), true
	case errors.As(err, &lerr):
		p := newProblem(http.StatusTooManyRequests, "two-factor-locked", lerr.Error())
		p.retryAfter = lerr.RetryAfter
		return p, true
	case errors.Is(err, directory.ErrTwoFactorEnabled):
		return newProblem(http.StatusConflict, "two-factor-enabled", "two-factor sign-in is already enabled: disable it before enrolling again"), true
	case errors.Is(err, directory.ErrTwoFactorNotEnabled):
		return newProblem(http.StatusNotFound, "not-found", err.Error()), true
	}
	return Problem{}, false
}

// clientInfo describes the client of r for its session.
func (a *api) clientInfo(r *http.Request) helpdesk.ClientInfo {
	return helpdesk.ClientInfo{UserAgent: r.UserAgent(), IP: a.ip(r)}
}

// challengeResponse is the answer of POST /auth/login for a user with
// two-factor sign-in enabled.
type challengeResponse struct {
	Challenge     string `json:"challenge"`
	ChallengeType string `json:"challenge_type"`
	ExpiresIn     int64  `json:"expires_in"`
}

type secondFactorRequest struct {
	Challenge string `json:"challenge"`
	Code      string `json:"code"`
}

// loginSecondFactor completes a sign-in with the challenge and a code.
func (a *api) loginSecondFactor(w http.ResponseWriter, r *http.Request) {
	var in secondFactorRequest
	if err := decodeJSON(w, r, &in, 16<<10); err != nil {
		a.fail(w, r, err)
		return
	}
	var b validation.Builder
	if in.Challenge == "" {
		b.Add("challenge", "is required")
	}
	if strings.TrimSpace(in.Code) == "" {
		b.Add("code", "is required")
	}
	if err := b.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	if ok, retry := a.loginIP.Allow(a.ip(r)); !ok {
		a.record(r, audit.Event{Kind: audit.RateLimited, Detail: "second sign-in step rate limit per client IP"})
		a.fail(w, r, rateLimited(retry))
		return
	}
	tokens, u, err := a.desk.CompleteSignIn(r.Context(), in.Challenge, in.Code, a.clientInfo(r))
	switch {
	case errors.Is(err, directory.ErrChallengeInvalid):
		a.strike(r, audit.LoginFailed, "invalid sign-in challenge")
		a.fail(w, r, err)
		return
	case errors.Is(err, directory.ErrTwoFactorCode):
		a.strike(r, audit.LoginFailed, "wrong second-factor code")
		a.fail(w, r, err)
		return
	case errors.Is(err, directory.ErrTwoFactorLocked):
		a.record(r, audit.Event{Kind: audit.RateLimited, Detail: "second-factor codes locked after repeated wrong codes"})
		a.fail(w, r, err)
		return
	case errors.Is(err, directory.ErrAccountDisabled):
		a.record(r, audit.Event{Kind: audit.LoginDisabled})
		a.fail(w, r, err)
		return
	case err != nil:
		a.fail(w, r, err)
		return
	}
	a.record(r, audit.Event{Kind: audit.LoginSucceeded, Email: u.Email, UserID: u.ID, CompanyID: u.CompanyID, Detail: "with a second factor"})
	a.writeTokens(w, tokens)
}

type twoFactorStatusJSON struct {
	Enabled           bool     `json:"enabled"`
	Pending           bool     `json:"pending"`
	Required          bool     `json:"required"`
	RecoveryCodesLeft int      `json:"recovery_codes_left"`
	ConfirmedAt       timeJSON `json:"confirmed_at,omitzero"`
}

func (a *api) twoFactorStatus(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	if err := userOnly(p); err != nil {
		return err
	}
	st, err := a.desk.Directory.TwoFactorStatusOf(r.Context(), p.Actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, twoFactorStatusJSON{Enabled: st.Enabled, Pending: st.Pending, Required: st.Required,
		RecoveryCodesLeft: st.RecoveryCodesLeft, ConfirmedAt: adminTime(st.ConfirmedAt)})
	return nil
}

// userOnly refuses API tokens: two-factor sign-in and sessions are a
// person's.
func userOnly(p helpdesk.Principal) error {
	if p.Kind != helpdesk.PrincipalUser {
		return &tenant.ForbiddenError{Role: p.Actor.Role, Permission: "sessions (people only, not API tokens)"}
	}
	return nil
}

type enrolmentJSON struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRCode     string `json:"qr_code"`
}

// beginTwoFactor starts an enrolment and answers the secret, its
// otpauth URL and a QR code (a data: URL of a PNG).
func (a *api) beginTwoFactor(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	if err := userOnly(p); err != nil {
		return err
	}
	e, err := a.desk.Directory.BeginTwoFactor(r.Context(), p.Actor)
	if err != nil {
		return err
	}
	png, err := e.QRCodePNG(240)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, enrolmentJSON{Secret: e.Secret, OTPAuthURL: e.URL,
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)})
	return nil
}

type codeRequest struct {
	Code string `json:"code"`
}

type recoveryCodesJSON struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

func (a *api) confirmTwoFactor(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	if err := userOnly(p); err != nil {
		return err
	}
	var in codeRequest
	if err := decodeJSON(w, r, &in, 4<<10); err != nil {
		return err
	}
	codes, err := a.desk.Directory.ConfirmTwoFactor(r.Context(), p.Actor, in.Code)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, recoveryCodesJSON{RecoveryCodes: codes})
	return nil
}

func (a *api) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	if err := userOnly(p); err != nil {
		return err
	}
	var in codeRequest
	if err := decodeJSON(w, r, &in, 4<<10); err != nil {
		return err
	}
	codes, err := a.desk.Directory.RegenerateRecoveryCodes(r.Context(), p.Actor, in.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recoveryCodesJSON{RecoveryCodes: codes})
	return nil
}

type disableRequest struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

func (a *api) disableTwoFactor(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	if err := userOnly(p); err != nil {
		return err
	}
	var in disableRequest
	if err := decodeJSON(w, r, &in, 4<<10); err != nil {
		return err
	}
	if ok, retry := a.account.Allow(p.Email); !ok {
		return rateLimited(retry)
	}
	err := a.desk.Directory.DisableTwoFactor(r.Context(), p.Actor, in.Password, in.Code)
	var verr *validation.Error
	if errors.As(err, &verr) && verr.Has("password") && in.Password != "" {
		a.strike(r, audit.LoginFailed, "wrong password turning two-factor sign-in off")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type sessionJSON struct {
	ID         string   `json:"id"`
	Device     string   `json:"device"`
	UserAgent  string   `json:"user_agent"`
	IP         string   `json:"ip"`
	CreatedAt  timeJSON `json:"created_at"`
	LastSeenAt timeJSON `json:"last_seen_at"`
	Current    bool     `json:"current"`
}

type sessionsJSON struct {
	Items []sessionJSON `json:"items"`
}

func sessionsOf(list []directory.SessionInfo, current string) sessionsJSON {
	out := sessionsJSON{Items: make([]sessionJSON, len(list))}
	for i, s := range list {
		out.Items[i] = sessionJSON{ID: s.ID, Device: directory.DeviceOf(s.UserAgent), UserAgent: s.UserAgent, IP: s.IP,
			CreatedAt: adminTime(s.CreatedAt), LastSeenAt: adminTime(s.LastSeenAt), Current: s.ID == current}
	}
	return out
}

func (a *api) listSessions(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	if err := userOnly(p); err != nil {
		return err
	}
	list, err := a.desk.Directory.ListSessions(r.Context(), p.Actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sessionsOf(list, p.SessionID))
	return nil
}

func (a *api) revokeSession(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	if err := userOnly(p); err != nil {
		return err
	}
	if err := a.desk.Directory.RevokeOwnSession(r.Context(), p.Actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type revokedJSON struct {
	Revoked int `json:"revoked"`
}

func (a *api) revokeOtherSessions(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	if err := userOnly(p); err != nil {
		return err
	}
	n, err := a.desk.Directory.RevokeOtherSessions(r.Context(), p.Actor, p.SessionID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, revokedJSON{Revoked: n})
	return nil
}

func (a *api) listUserSessions(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	list, err := a.desk.Directory.ListUserSessions(r.Context(), p.Actor, tenant.UserID(id))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sessionsOf(list, p.SessionID))
	return nil
}

func (a *api) revokeUserSessions(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	n, err := a.desk.Directory.RevokeAllUserSessions(r.Context(), p.Actor, tenant.UserID(id))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, revokedJSON{Revoked: n})
	return nil
}

func (a *api) revokeUserSession(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if err := a.desk.Directory.RevokeUserSession(r.Context(), p.Actor, tenant.UserID(id), r.PathValue("session_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *api) resetTwoFactor(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if err := a.desk.Directory.ResetTwoFactor(r.Context(), p.Actor, tenant.UserID(id)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type twoFactorPolicyJSON struct {
	RequireStaff bool `json:"require_staff"`
	RequireAll   bool `json:"require_all"`
}

func (a *api) getTwoFactorPolicy(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	c, pl, err := a.desk.Directory.TwoFactorPolicies(r.Context(), p.Actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, twoFactorPolicyJSON{RequireStaff: c.RequireStaff, RequireAll: pl.RequireAll})
	return nil
}

type twoFactorPolicyUpdate struct {
	RequireStaff *bool `json:"require_staff"`
	RequireAll   *bool `json:"require_all"`
}

// putTwoFactorPolicy sets the company's requirement (require_staff:
// company admins) and the platform's (require_all: platform admins).
func (a *api) putTwoFactorPolicy(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in twoFactorPolicyUpdate
	if err := decodeJSON(w, r, &in, 4<<10); err != nil {
		return err
	}
	if in.RequireStaff == nil && in.RequireAll == nil {
		return fieldError("require_staff", "give require_staff, require_all or both")
	}
	if in.RequireAll != nil && !p.Actor.IsPlatformAdmin() {
		return &tenant.ForbiddenError{Role: p.Actor.Role, Permission: tenant.PermCompaniesManage}
	}
	if in.RequireStaff != nil {
		if _, err := a.desk.Directory.SetCompanyTwoFactorPolicy(r.Context(), p.Actor, *in.RequireStaff); err != nil {
			return err
		}
	}
	if in.RequireAll != nil {
		if _, err := a.desk.Directory.SetPlatformTwoFactorPolicy(r.Context(), p.Actor, *in.RequireAll); err != nil {
			return err
		}
	}
	return a.getTwoFactorPolicy(w, r, p)
}

// challengeExpiresIn is the whole seconds until t, at least 1.
func challengeExpiresIn(t, now time.Time) int64 {
	s := int64(t.Sub(now).Round(time.Second) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}
