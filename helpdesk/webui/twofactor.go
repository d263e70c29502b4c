package webui

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// challengeCookie carries the sign-in challenge between the password and
// the code, for directory.ChallengeTTL.
const challengeCookie = "boladao_2fa"

// restrictedPages are the patterns a session restricted to two-factor
// enrolment may reach; any other page sends it to the enrolment page.
var restrictedPages = map[string]bool{
	"GET /profile/two-factor":          true,
	"POST /profile/two-factor/begin":   true,
	"POST /profile/two-factor/confirm": true,
}

func (c *console) twoFactorRoutes() {
	c.mux.HandleFunc("GET /signin/2fa", c.secondFactorPage)
	c.mux.HandleFunc("POST /signin/2fa", c.secondFactor)
	c.page("GET /profile/two-factor", c.twoFactorPage)
	c.page("POST /profile/two-factor/begin", c.twoFactorBegin)
	c.page("POST /profile/two-factor/confirm", c.twoFactorConfirm)
	c.page("POST /profile/two-factor/disable", c.twoFactorDisable)
	c.page("POST /profile/sessions/revoke-others", c.sessionsRevokeOthers)
	c.page("POST /profile/sessions/{id}/revoke", c.sessionRevoke)
}

// clientInfo describes the browser of r for its session.
func (c *console) clientInfo(r *http.Request) helpdesk.ClientInfo {
	return helpdesk.ClientInfo{UserAgent: r.UserAgent(), IP: c.cfg.ClientIP(r)}
}

// secondFactorForm is the view of the second sign-in step.
type secondFactorForm struct {
	Next string
	// Error is the message ID of a refusal; Wait how long to wait.
	Error  string
	Wait   string
	Errors map[string]string
}

// startSecondFactor keeps the challenge in a short cookie and sends the
// browser to the code page.
func (c *console) startSecondFactor(w http.ResponseWriter, r *http.Request, challenge, next string) {
	http.SetCookie(w, c.cookie(r, challengeCookie, challenge, int(directory.ChallengeTTL/time.Second)))
	to := c.path("/signin/2fa")
	if next != "" {
		to += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (c *console) secondFactorPage(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(challengeCookie); err != nil {
		http.Redirect(w, r, c.path("/signin"), http.StatusSeeOther)
		return
	}
	c.render(w, c.visitor(w, r), http.StatusOK, "signin_2fa", secondFactorForm{Next: c.localNext(r.URL.Query().Get("next"))})
}

// secondFactor completes the sign-in with a code, under the shared
// sign-in limits of the client IP.
func (c *console) secondFactor(w http.ResponseWriter, r *http.Request) {
	q := c.visitor(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, q, http.StatusBadRequest)
		return
	}
	form := secondFactorForm{Next: c.localNext(r.PostForm.Get("next"))}
	ck, err := r.Cookie(challengeCookie)
	if err != nil {
		http.Redirect(w, r, c.path("/signin"), http.StatusSeeOther)
		return
	}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	if code == "" {
		form.Errors = fieldErrors(q, validation.Field("code", "is required"))
		c.render(w, q, http.StatusUnprocessableEntity, "signin_2fa", form)
		return
	}
	ip := c.cfg.ClientIP(r)
	if blocked, left := c.guard.Blocked(ip); blocked {
		form.Error, form.Wait = "signin.blocked", q.Duration(left)
		c.render(w, q, http.StatusForbidden, "signin_2fa", form)
		return
	}
	if ok, retry := c.guard.IPs().Allow(ip); !ok {
		c.record(r, audit.Event{Kind: audit.RateLimited, Detail: "second sign-in step rate limit per client IP"})
		form.Error, form.Wait = "signin.rate_limited", q.Duration(max(retry, time.Minute))
		c.render(w, q, http.StatusTooManyRequests, "signin_2fa", form)
		return
	}
	tokens, u, err := c.desk.CompleteSignIn(r.Context(), ck.Value, code, c.clientInfo(r))
	var locked *directory.TwoFactorLockedError
	switch {
	case errors.Is(err, directory.ErrTwoFactorCode):
		c.strike(r, audit.LoginFailed, "wrong second-factor code (web console)")
		form.Error = "twofactor.wrong_code"
		c.render(w, q, http.StatusUnauthorized, "signin_2fa", form)
		return
	case errors.As(err, &locked):
		c.record(r, audit.Event{Kind: audit.RateLimited, Detail: "second-factor codes locked after repeated wrong codes"})
		form.Error, form.Wait = "twofactor.locked", q.Duration(locked.RetryAfter)
		c.render(w, q, http.StatusTooManyRequests, "signin_2fa", form)
		return
	case errors.Is(err, directory.ErrChallengeInvalid), errors.Is(err, directory.ErrAccountDisabled):
		c.strike(r, audit.LoginFailed, "invalid sign-in challenge (web console)")
		http.SetCookie(w, c.cookie(r, challengeCookie, "", -1))
		c.render(w, q, http.StatusUnauthorized, "signin", signInForm{Next: form.Next, Error: "twofactor.expired"})
		return
	case err != nil:
		c.fail(w, r, q, err)
		return
	}
	c.record(r, audit.Event{Kind: audit.LoginSucceeded, Email: u.Email, UserID: u.ID, CompanyID: u.CompanyID, Detail: "web console, with a second factor"})
	http.SetCookie(w, c.cookie(r, challengeCookie, "", -1))
	http.SetCookie(w, c.cookie(r, sessionCookie, c.sessionValue(tokens.RefreshToken, c.now()), 0))
	next := form.Next
	if next == "" {
		next = c.path("/dashboard")
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// twoFactorView is the enrolment page.
type twoFactorView struct {
	Status directory.TwoFactorStatus
	// Restricted is true when the session may do nothing else.
	Restricted bool
	// Secret and QR are those of a pending enrolment.
	Secret string
	QR     template.URL
	// RecoveryCodes are shown once, right after confirmation.
	RecoveryCodes []string
	Errors        map[string]string
	Wait          string
}

func (c *console) loadTwoFactor(q *request) (twoFactorView, error) {
	st, err := c.desk.Directory.TwoFactorStatusOf(q.Context(), q.session.Principal.Actor)
	if err != nil {
		return twoFactorView{}, err
	}
	v := twoFactorView{Status: st, Restricted: q.session.Restricted}
	if st.Pending {
		e, err := c.desk.Directory.PendingTwoFactor(q.Context(), q.session.Principal.Actor)
		if err != nil {
			return twoFactorView{}, err
		}
		png, err := e.QRCodePNG(240)
		if err != nil {
			return twoFactorView{}, err
		}
		v.Secret = e.Secret
		// A data: URL of a PNG the server drew: the CSP allows data:
		// images, and html/template needs to be told it is one.
		v.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	}
	return v, nil
}

// twoFactorPage shows the person's two-factor sign-in: how to start, the
// QR code and secret of a pending enrolment with its confirm field, or
// the state of an enabled one.
func (c *console) twoFactorPage(w http.ResponseWriter, r *http.Request, q *request) error {
	v, err := c.loadTwoFactor(q)
	if err != nil {
		return err
	}
	c.render(w, q, http.StatusOK, "twofactor", v)
	return nil
}

func (c *console) twoFactorBegin(w http.ResponseWriter, r *http.Request, q *request) error {
	if _, err := c.desk.Directory.BeginTwoFactor(q.Context(), q.session.Principal.Actor); err != nil && !errors.Is(err, directory.ErrTwoFactorEnabled) {
		return err
	}
	http.Redirect(w, r, c.path("/profile/two-factor"), http.StatusSeeOther)
	return nil
}

// twoFactorConfirm confirms the enrolment and shows the recovery codes
// once (the answer is the page itself: they are never shown again).
func (c *console) twoFactorConfirm(w http.ResponseWriter, r *http.Request, q *request) error {
	codes, err := c.desk.Directory.ConfirmTwoFactor(q.Context(), q.session.Principal.Actor, r.PostForm.Get("code"))
	var locked *directory.TwoFactorLockedError
	switch {
	case errors.Is(err, validation.ErrInvalid), errors.As(err, &locked):
		v, lerr := c.loadTwoFactor(q)
		if lerr != nil {
			return lerr
		}
		status := http.StatusUnprocessableEntity
		if locked != nil {
			v.Wait, status = q.Duration(locked.RetryAfter), http.StatusTooManyRequests
		} else {
			v.Errors = fieldErrors(q, err)
		}
		c.render(w, q, status, "twofactor", v)
		return nil
	case errors.Is(err, directory.ErrTwoFactorNotEnabled), errors.Is(err, directory.ErrTwoFactorEnabled):
		http.Redirect(w, r, c.path("/profile/two-factor"), http.StatusSeeOther)
		return nil
	case err != nil:
		return err
	}
	v, err := c.loadTwoFactor(q)
	if err != nil {
		return err
	}
	v.RecoveryCodes, v.Restricted = codes, false
	c.render(w, q, http.StatusOK, "twofactor", v)
	return nil
}

// twoFactorDisable turns two-factor sign-in off with the password,
// counted against the sign-in limits like a sign-in.
func (c *console) twoFactorDisable(w http.ResponseWriter, r *http.Request, q *request) error {
	ip, email := c.cfg.ClientIP(r), q.Email()
	if ok, _, retry := c.guard.AllowLogin(ip, email); !ok {
		v, err := c.loadTwoFactor(q)
		if err != nil {
			return err
		}
		v.Wait = q.Duration(max(retry, time.Minute))
		c.render(w, q, http.StatusTooManyRequests, "twofactor", v)
		return nil
	}
	password := r.PostForm.Get("password")
	err := c.desk.Directory.DisableTwoFactor(q.Context(), q.session.Principal.Actor, password, "")
	if errors.Is(err, validation.ErrInvalid) {
		if password != "" {
			c.strike(r, audit.LoginFailed, "wrong password turning two-factor sign-in off for "+email)
		}
		v, lerr := c.loadTwoFactor(q)
		if lerr != nil {
			return lerr
		}
		v.Errors = fieldErrors(q, err)
		c.render(w, q, http.StatusUnprocessableEntity, "twofactor", v)
		return nil
	}
	if err != nil && !errors.Is(err, directory.ErrTwoFactorNotEnabled) {
		return err
	}
	http.Redirect(w, r, c.path("/profile?saved=two_factor_off"), http.StatusSeeOther)
	return nil
}

// sessionView is one line of the profile's sessions.
type sessionView struct {
	ID         string
	Device     directory.Device
	IP         string
	CreatedAt  time.Time
	LastSeenAt time.Time
	Current    bool
}

func (c *console) loadSessions(q *request) ([]sessionView, error) {
	list, err := c.desk.Directory.ListSessions(q.Context(), q.session.Principal.Actor)
	if err != nil {
		return nil, err
	}
	out := make([]sessionView, len(list))
	for i, s := range list {
		out[i] = sessionView{ID: s.ID, Device: directory.ParseDevice(s.UserAgent), IP: s.IP, CreatedAt: s.CreatedAt,
			LastSeenAt: s.LastSeenAt, Current: s.ID == q.session.Principal.SessionID}
	}
	return out, nil
}

func (c *console) sessionRevoke(w http.ResponseWriter, r *http.Request, q *request) error {
	id := r.PathValue("id")
	if id == q.session.Principal.SessionID {
		return errNotFound // the current session signs out with the sign-out button
	}
	if err := c.desk.Directory.RevokeOwnSession(q.Context(), q.session.Principal.Actor, id); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return errNotFound
		}
		return err
	}
	http.Redirect(w, r, c.path("/profile?saved=session_revoked#sessions-title"), http.StatusSeeOther)
	return nil
}

func (c *console) sessionsRevokeOthers(w http.ResponseWriter, r *http.Request, q *request) error {
	n, err := c.desk.Directory.RevokeOtherSessions(q.Context(), q.session.Principal.Actor, q.session.Principal.SessionID)
	if err != nil {
		return err
	}
	http.Redirect(w, r, c.path("/profile?saved=sessions_revoked&revoked="+strconv.Itoa(n)+"#sessions-title"), http.StatusSeeOther)
	return nil
}
