package webui

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

func (c *console) profileRoutes() {
	c.page("GET /profile", c.profile)
	c.page("POST /profile/language", c.profileLanguage)
	c.page("POST /profile/password", c.profilePassword)
}

// userLanguage is the language of a signed-in person: the one stored on
// their account, else the switch's cookie, else Accept-Language, else
// pt-BR (chooseLanguage).
func (c *console) userLanguage(r *http.Request, s helpdesk.Session) string {
	if s.Language == langPT || s.Language == langEN {
		return s.Language
	}
	return c.chooseLanguage(r)
}

// storeLanguage keeps the language switch's choice on the account of a
// signed-in person, so that it follows them to other browsers.
func (c *console) storeLanguage(w http.ResponseWriter, r *http.Request, lang string) {
	s, ok := c.session(w, r)
	if !ok {
		return
	}
	if _, err := c.desk.Directory.UpdateProfile(r.Context(), s.Principal.Actor, directory.ProfilePatch{Language: &lang}); err != nil {
		c.log.ErrorContext(r.Context(), "webui: storing the language", "error", err.Error())
	}
}

// profilePage is the view model of the profile page.
type profilePage struct {
	User directory.User
	// Language is the stored choice ("" for automatic).
	Language string
	// Timezone is the zone dates are shown in, Now the time there.
	Timezone string
	Now      time.Time
	// Saved names what was just saved ("language", "password").
	Saved string
	// Revoked counts the other sessions a password change ended.
	Revoked string
	Errors  map[string]string
	// Wait is how long a person refused by the sign-in limits waits.
	Wait string
	// TwoFactor is the state of two-factor sign-in; Sessions the
	// person's live sessions, newest first.
	TwoFactor directory.TwoFactorStatus
	Sessions  []sessionView
}

func (c *console) loadProfile(q *request) (profilePage, error) {
	u, err := c.desk.Directory.Profile(q.Context(), q.session.Principal.Actor)
	if err != nil {
		return profilePage{}, err
	}
	tz := q.company.Timezone
	if tz == "" {
		tz = q.tz.String()
	}
	st, err := c.desk.Directory.TwoFactorStatusOf(q.Context(), q.session.Principal.Actor)
	if err != nil {
		return profilePage{}, err
	}
	sessions, err := c.loadSessions(q)
	if err != nil {
		return profilePage{}, err
	}
	return profilePage{User: u, Language: u.Language, Timezone: tz, Now: c.now(), TwoFactor: st, Sessions: sessions}, nil
}

// profile shows the person's account: language, the timezone dates are
// shown in, and the password form.
func (c *console) profile(w http.ResponseWriter, r *http.Request, q *request) error {
	p, err := c.loadProfile(q)
	if err != nil {
		return err
	}
	p.Saved, p.Revoked = r.URL.Query().Get("saved"), r.URL.Query().Get("revoked")
	c.render(w, q, http.StatusOK, "profile", p)
	return nil
}

// profileLanguage stores the person's language ("" follows the browser).
func (c *console) profileLanguage(w http.ResponseWriter, r *http.Request, q *request) error {
	lang := r.PostForm.Get("language")
	if lang != "" && lang != langPT && lang != langEN {
		return c.refuseProfile(w, q, http.StatusUnprocessableEntity, validation.Field("language", "is required"))
	}
	if _, err := c.desk.Directory.UpdateProfile(q.Context(), q.session.Principal.Actor, directory.ProfilePatch{Language: &lang}); err != nil {
		if errors.Is(err, validation.ErrInvalid) {
			return c.refuseProfile(w, q, http.StatusUnprocessableEntity, err)
		}
		return err
	}
	if lang != "" {
		http.SetCookie(w, c.cookie(r, langCookie, lang, 365*24*3600))
	} else {
		http.SetCookie(w, c.cookie(r, langCookie, "", -1))
	}
	http.Redirect(w, r, c.path("/profile?saved=language"), http.StatusSeeOther)
	return nil
}

// profilePassword changes the person's password: the current one is
// required and counted against the sign-in limits like a sign-in, and
// every other session of the person is signed out.
func (c *console) profilePassword(w http.ResponseWriter, r *http.Request, q *request) error {
	current, next := r.PostForm.Get("current_password"), r.PostForm.Get("password")
	if next != r.PostForm.Get("password_confirm") {
		return c.refuseProfile(w, q, http.StatusUnprocessableEntity,
			validation.Field("password_confirm", "does not match the new password"))
	}
	ip, email := c.cfg.ClientIP(r), q.Email()
	if blocked, left := c.guard.Blocked(ip); blocked {
		return c.refuseLimited(w, q, http.StatusForbidden, left)
	}
	if ok, scope, retry := c.guard.AllowLogin(ip, email); !ok {
		c.record(r, audit.Event{Kind: audit.RateLimited, Email: email, UserID: q.actor.UserID, Detail: "password change rate limit per " + string(scope)})
		return c.refuseLimited(w, q, http.StatusTooManyRequests, max(retry, time.Minute))
	}
	n, err := c.desk.Directory.ChangePassword(q.Context(), q.session.Principal.Actor, current, next, q.session.Principal.SessionID)
	if err != nil {
		var ve *validation.Error
		if errors.As(err, &ve) {
			for _, f := range ve.Fields {
				if f.Field == "current_password" && current != "" {
					c.strike(r, audit.LoginFailed, "wrong current password in a password change for "+email)
				}
			}
			return c.refuseProfile(w, q, http.StatusUnprocessableEntity, err)
		}
		return err
	}
	http.Redirect(w, r, c.path("/profile?saved=password&revoked="+strconv.Itoa(n)), http.StatusSeeOther)
	return nil
}

// refuseProfile re-renders the profile with the field errors of err.
func (c *console) refuseProfile(w http.ResponseWriter, q *request, status int, err error) error {
	p, lerr := c.loadProfile(q)
	if lerr != nil {
		return lerr
	}
	p.Errors = fieldErrors(q, err)
	c.render(w, q, status, "profile", p)
	return nil
}

// refuseLimited re-renders the profile saying how long to wait.
func (c *console) refuseLimited(w http.ResponseWriter, q *request, status int, wait time.Duration) error {
	p, err := c.loadProfile(q)
	if err != nil {
		return err
	}
	p.Wait = q.Duration(wait)
	c.render(w, q, status, "profile", p)
	return nil
}
