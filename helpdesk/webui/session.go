package webui

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
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
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// Cookies of the console.
const (
	sessionCookie = "boladao_session"
	companyCookie = "boladao_company"
)

// stampEvery is how stale the cookie's activity stamp may get before a
// request renews it (a renewal is a Set-Cookie header, not a write).
const stampEvery = time.Minute

func (c *console) authRoutes() {
	c.mux.HandleFunc("GET /signin", c.signInPage)
	c.mux.HandleFunc("POST /signin", c.signIn)
	c.mux.HandleFunc("POST /signout", c.signOut)
	c.mux.HandleFunc("POST /language", c.switchLanguage)
	c.page("POST /company", c.switchCompany)
}

// sessionValue is the cookie's content: the session's refresh token, when
// the browser was last seen, and a MAC over both under the console's key
// (so the stamp cannot be moved forward without the key).
func (c *console) sessionValue(token string, seen time.Time) string {
	stamp := strconv.FormatInt(seen.Unix(), 10)
	return token + "~" + stamp + "~" + c.mac(token, stamp)
}

func (c *console) mac(token, stamp string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(token))
	m.Write([]byte{0})
	m.Write([]byte(stamp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// readSession parses and authenticates the cookie's value.
func (c *console) readSession(r *http.Request) (token string, seen time.Time, ok bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", time.Time{}, false
	}
	parts := strings.Split(ck.Value, "~")
	if len(parts) != 3 || !hmac.Equal([]byte(parts[2]), []byte(c.mac(parts[0], parts[1]))) {
		return "", time.Time{}, false
	}
	unix, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", time.Time{}, false
	}
	return parts[0], time.Unix(unix, 0), true
}

func (c *console) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	p := c.cfg.Prefix
	if p == "" {
		p = "/"
	}
	return &http.Cookie{Name: name, Value: value, Path: p, MaxAge: maxAge, HttpOnly: true,
		Secure: r.TLS != nil || c.cfg.BehindTLS, SameSite: http.SameSiteLaxMode}
}

func (c *console) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, c.cookie(r, sessionCookie, "", -1))
}

// session authenticates the request's cookie: its stamp must be within the
// idle timeout, its server-side session live (not revoked, user and
// company active) and younger than the maximum age. An expired session is
// revoked and its cookie cleared.
func (c *console) session(w http.ResponseWriter, r *http.Request) (helpdesk.Session, bool) {
	token, seen, ok := c.readSession(r)
	if !ok {
		return helpdesk.Session{}, false
	}
	now := c.now()
	expired := now.Sub(seen) > c.cfg.IdleTimeout
	s, err := c.desk.CheckSession(r.Context(), token)
	if err != nil {
		if !errors.Is(err, directory.ErrRefreshTokenInvalid) && !errors.Is(err, directory.ErrAccountDisabled) {
			c.log.ErrorContext(r.Context(), "webui: checking a session", "error", err.Error())
		}
		c.clearSession(w, r)
		return helpdesk.Session{}, false
	}
	if expired || now.Sub(s.StartedAt) > c.cfg.MaxSessionAge {
		if err := c.desk.LogoutSession(r.Context(), s.Principal.SessionID); err != nil {
			c.log.ErrorContext(r.Context(), "webui: ending an expired session", "error", err.Error())
		}
		c.clearSession(w, r)
		return helpdesk.Session{}, false
	}
	if now.Sub(seen) >= stampEvery {
		http.SetCookie(w, c.cookie(r, sessionCookie, c.sessionValue(token, now), 0))
	}
	if err := c.desk.Directory.SessionSeen(r.Context(), s.Principal.SessionID, c.cfg.ClientIP(r)); err != nil {
		c.log.WarnContext(r.Context(), "webui: noting session activity", "error", err.Error())
	}
	return s, true
}

// signInForm is the view of the sign-in page.
type signInForm struct {
	Email string
	Next  string
	// SSOEmail is the single sign-on form's email (sso.go).
	SSOEmail string
	// Error is the message ID of a refusal; Wait how long to wait.
	Error  string
	Wait   string
	Errors map[string]string
}

func (c *console) signInPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.session(w, r); ok {
		http.Redirect(w, r, c.path("/dashboard"), http.StatusSeeOther)
		return
	}
	q := c.visitor(w, r)
	c.render(w, q, http.StatusOK, "signin", signInForm{Next: c.localNext(r.URL.Query().Get("next"))})
}

// localNext keeps a "next" path only when it is a path of this console
// (never another origin).
func (c *console) localNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" {
		return ""
	}
	if c.cfg.Prefix != "" && !strings.HasPrefix(u.Path, c.cfg.Prefix+"/") {
		return ""
	}
	return next
}

// signIn checks the form under the shared sign-in limits: the same
// accounts, rate limits, IP blocks and security audit as POST /auth/login.
func (c *console) signIn(w http.ResponseWriter, r *http.Request) {
	q := c.visitor(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, q, http.StatusBadRequest)
		return
	}
	form := signInForm{Email: strings.TrimSpace(r.PostForm.Get("email")), Next: c.localNext(r.PostForm.Get("next"))}
	password := r.PostForm.Get("password")
	var b validation.Builder
	if form.Email == "" {
		b.Add("email", "required")
	}
	if password == "" {
		b.Add("password", "required")
	}
	if err := b.Err(); err != nil {
		form.Errors = fieldErrors(q, err)
		c.render(w, q, http.StatusUnprocessableEntity, "signin", form)
		return
	}
	ip := c.cfg.ClientIP(r)
	email := strings.ToLower(form.Email)
	if blocked, left := c.guard.Blocked(ip); blocked {
		form.Error, form.Wait = "signin.blocked", q.Duration(left)
		c.render(w, q, http.StatusForbidden, "signin", form)
		return
	}
	if ok, scope, retry := c.guard.AllowLogin(ip, email); !ok {
		c.record(r, audit.Event{Kind: audit.RateLimited, Email: email, Detail: "login rate limit per " + string(scope)})
		w.Header().Set("Retry-After", strconv.FormatInt(int64((retry+time.Second-1)/time.Second), 10))
		form.Error, form.Wait = "signin.rate_limited", q.Duration(max(retry, time.Minute))
		c.render(w, q, http.StatusTooManyRequests, "signin", form)
		return
	}
	res, err := c.desk.SignIn(r.Context(), email, password, c.clientInfo(r))
	tokens, u := res.Tokens, res.User
	switch {
	case errors.Is(err, directory.ErrInvalidCredentials):
		c.strike(r, audit.LoginFailed, "failed login for "+email)
		form.Error = "signin.invalid"
		c.render(w, q, http.StatusUnauthorized, "signin", form)
		return
	case errors.Is(err, directory.ErrAccountDisabled):
		c.record(r, audit.Event{Kind: audit.LoginDisabled, Email: email})
		form.Error = "signin.disabled"
		c.render(w, q, http.StatusForbidden, "signin", form)
		return
	case errors.Is(err, sso.ErrPasswordSignInDisabled):
		c.record(r, audit.Event{Kind: audit.LoginFailed, Email: email, Detail: "web console: password sign-in is turned off for the company: single sign-on only"})
		form.Error, form.SSOEmail = "signin.password_disabled", form.Email
		c.render(w, q, http.StatusForbidden, "signin", form)
		return
	case err != nil:
		c.fail(w, r, q, err)
		return
	}
	if res.Challenge != "" {
		c.startSecondFactor(w, r, res.Challenge, form.Next)
		return
	}
	c.record(r, audit.Event{Kind: audit.LoginSucceeded, Email: email, UserID: u.ID, CompanyID: u.CompanyID, Detail: "web console"})
	http.SetCookie(w, c.cookie(r, sessionCookie, c.sessionValue(tokens.RefreshToken, c.now()), 0))
	if tokens.Restricted {
		http.Redirect(w, r, c.path("/profile/two-factor"), http.StatusSeeOther)
		return
	}
	next := form.Next
	if next == "" {
		next = c.path("/dashboard")
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signOut revokes the session and clears the cookie.
func (c *console) signOut(w http.ResponseWriter, r *http.Request) {
	if token, _, ok := c.readSession(r); ok {
		if err := c.desk.Logout(r.Context(), token); err != nil && !errors.Is(err, directory.ErrRefreshTokenInvalid) {
			c.log.ErrorContext(r.Context(), "webui: signing out", "error", err.Error())
		}
	}
	c.clearSession(w, r)
	http.SetCookie(w, c.cookie(r, companyCookie, "", -1))
	http.Redirect(w, r, c.path("/signin"), http.StatusSeeOther)
}

// switchLanguage stores the chosen language for a year and returns to the
// page the switch was on.
func (c *console) switchLanguage(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	_ = r.ParseForm()
	lang := r.PostForm.Get("lang")
	if lang != langPT && lang != langEN {
		c.renderError(w, r, c.visitor(w, r), http.StatusBadRequest)
		return
	}
	http.SetCookie(w, c.cookie(r, langCookie, lang, 365*24*3600))
	c.storeLanguage(w, r, lang)
	back := c.localNext(r.PostForm.Get("back"))
	if back == "" {
		back = c.path("/")
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// switchCompany sets the company a platform admin acts in. The company
// must exist; anyone else may only "switch" to their own.
func (c *console) switchCompany(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := strconv.ParseInt(r.PostFormValue("company"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	actor, err := q.session.Principal.Actor.InCompany(tenant.CompanyID(id))
	if err != nil {
		return errNotFound
	}
	if _, err := c.desk.Directory.GetCompany(r.Context(), actor, tenant.CompanyID(id)); err != nil {
		return err
	}
	http.SetCookie(w, c.cookie(r, companyCookie, strconv.FormatInt(id, 10), 0))
	back := c.localNext(r.PostFormValue("back"))
	if back == "" {
		back = c.path("/dashboard")
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// strike records a failed sign-in and counts it against the client IP.
func (c *console) strike(r *http.Request, kind audit.Kind, detail string) {
	c.record(r, audit.Event{Kind: kind, Detail: detail})
	if blocked, until := c.guard.Strike(c.cfg.ClientIP(r), detail); blocked {
		c.record(r, audit.Event{Kind: audit.IPBlocked, Detail: "blocked until " + until.UTC().Format(time.RFC3339)})
	}
}

// record writes a security event; a failure is logged, never shown.
func (c *console) record(r *http.Request, e audit.Event) {
	e.At = c.now().UTC()
	if e.IP == "" {
		e.IP = c.cfg.ClientIP(r)
	}
	if err := c.desk.Audit().RecordSecurityEvent(context.WithoutCancel(r.Context()), &e); err != nil {
		c.log.ErrorContext(r.Context(), "webui: recording a security event", "kind", string(e.Kind), "error", err.Error())
	}
}
