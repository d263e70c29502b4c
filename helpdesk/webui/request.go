package webui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/storage"
)

// errNotFound renders the friendly 404 page.
var errNotFound = errors.New("not found")

// request is what a handler and its templates know about a request: the
// person (nil session for visitors), the company they act in, and the
// locale texts, dates and numbers are formatted in.
type request struct {
	*locale
	c       *console
	r       *http.Request
	session *helpdesk.Session
	actor   tenant.Actor
	company directory.Company
	// companies are the companies a platform admin may switch to.
	companies []directory.Company
}

// pageFunc handles a request of a signed-in person. A returned error
// renders the matching error page (404 for missing and foreign IDs).
type pageFunc func(w http.ResponseWriter, r *http.Request, q *request) error

// page registers a route for signed-in people; visitors are sent to the
// sign-in page and come back after it.
func (c *console) page(pattern string, h pageFunc) {
	c.mux.HandleFunc(pattern, c.authed(h))
}

func (c *console) authed(h pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.session(w, r)
		if !ok {
			to := c.path("/signin")
			if r.Method == http.MethodGet {
				to += "?next=" + url.QueryEscape(c.path(r.URL.RequestURI()))
			}
			if r.Header.Get("HX-Request") != "" {
				w.Header().Set("HX-Redirect", to)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		if s.Restricted && !restrictedPages[r.Pattern] {
			// The person must enrol in two-factor sign-in first.
			to := c.path("/profile/two-factor")
			if r.Header.Get("HX-Request") != "" {
				w.Header().Set("HX-Redirect", to)
				w.WriteHeader(http.StatusForbidden)
				return
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			limit := int64(1 << 20)
			if isMultipart(r) {
				limit = c.uploadLimit() // streamed by the handler, part by part
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if err := r.ParseForm(); err != nil {
				c.renderError(w, r, c.visitor(w, r), http.StatusBadRequest)
				return
			}
		}
		// The changes the person makes record who made them and from where.
		r = r.WithContext(audit.WithOrigin(r.Context(), s.Principal.Origin(c.cfg.ClientIP(r), "")))
		q := c.member(w, r, s)
		if err := h(w, r, q); err != nil {
			c.fail(w, r, q, err)
		}
	}
}

// visitor is the request of someone not signed in.
func (c *console) visitor(w http.ResponseWriter, r *http.Request) *request {
	return &request{locale: c.locale(c.chooseLanguage(r), c.timezone("")), c: c, r: r}
}

// member is the request of a signed-in person, acting in their company or,
// for a platform admin, in the company chosen with the switcher.
func (c *console) member(w http.ResponseWriter, r *http.Request, s helpdesk.Session) *request {
	ctx := r.Context()
	q := &request{c: c, r: r, session: &s, actor: s.Principal.Actor}
	if q.actor.IsPlatformAdmin() {
		if ck, err := r.Cookie(companyCookie); err == nil {
			if id, err := strconv.ParseInt(ck.Value, 10, 64); err == nil && id > 0 {
				q.actor.CompanyID = tenant.CompanyID(id)
			}
		}
		if page, err := c.desk.Directory.ListCompanies(ctx, q.actor, directory.CompanyFilter{}, storage.PageRequest{Limit: storage.MaxLimit}); err == nil {
			q.companies = page.Items
		}
	}
	if q.actor.CompanyID != 0 {
		co, err := c.desk.Directory.GetCompany(ctx, q.actor, q.actor.CompanyID)
		switch {
		case err == nil:
			q.company = co
		case q.actor.IsPlatformAdmin():
			q.actor.CompanyID = 0 // the chosen company is gone
			http.SetCookie(w, c.cookie(r, companyCookie, "", -1))
		default:
			c.log.ErrorContext(ctx, "webui: reading the company", "company", int64(q.actor.CompanyID), "error", err.Error())
		}
	}
	q.locale = c.locale(c.userLanguage(r, s), c.timezone(q.company.Timezone))
	return q
}

// timezone returns the location of an IANA name (America/Sao_Paulo when
// empty or unknown), loading each once.
func (c *console) timezone(name string) *time.Location {
	if name == "" {
		name = "America/Sao_Paulo"
	}
	if loc, ok := c.zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	c.zones.Store(name, loc)
	return loc
}

// Context is the request's context.
func (q *request) Context() context.Context { return q.r.Context() }

// Actor is who the person acts as: their role in the company they act in.
func (q *request) Actor() tenant.Actor { return q.actor }

// SignedIn reports whether a person is signed in.
func (q *request) SignedIn() bool { return q.session != nil }

// Email is the signed-in person's login.
func (q *request) Email() string {
	if q.session == nil {
		return ""
	}
	return q.session.Principal.Email
}

// UserID is the signed-in person's user ID.
func (q *request) UserID() int64 { return int64(q.actor.UserID) }

// Role is the signed-in person's role.
func (q *request) Role() string { return string(q.actor.Role) }

// IsPlatformAdmin reports whether the person may switch companies.
func (q *request) IsPlatformAdmin() bool { return q.actor.IsPlatformAdmin() }

// Company is the company the person acts in (zero when a platform admin
// has not chosen one).
func (q *request) Company() directory.Company { return q.company }

// Companies are the companies a platform admin may switch to.
func (q *request) Companies() []directory.Company { return q.companies }

// Can reports whether the person's role grants a permission, to hide
// controls they may not use (the services refuse them anyway).
func (q *request) Can(p string) bool { return q.actor.Can(tenant.Permission(p)) }

// URL returns a console path under the mount prefix.
func (q *request) URL(p string) string { return q.c.path(p) }

// Asset returns the content-hashed URL of a static file.
func (q *request) Asset(name string) string { return q.c.path(q.c.static.url(name)) }

// Here is the current page's path and query, to come back to after a
// switch.
func (q *request) Here() string { return q.c.path(q.r.URL.RequestURI()) }

// Active reports whether the current path is under prefix, for the
// navigation's aria-current.
func (q *request) Active(prefix string) bool {
	p := q.r.URL.Path
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}

// fieldErrors returns the translated message of each field of a
// validation error.
func fieldErrors(q *request, err error) map[string]string {
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return nil
	}
	out := make(map[string]string, len(ve.Fields))
	for _, f := range ve.Fields {
		if _, dup := out[f.Field]; dup {
			continue
		}
		if s, ok := q.domainMessage(f.Err); ok { // by the error's kind
			out[f.Field] = s
			continue
		}
		out[f.Field] = q.fieldMessage(f.Message)
	}
	return out
}

// numbers finds the numbers of a field message, to look up its
// translation by shape ("must have at most 200 characters" → "must have
// at most N characters").
var numbers = regexp.MustCompile(`[0-9]+`)

// fieldMessage translates a domain validation message when the console
// knows its shape, else shows it as the domain wrote it.
func (q *request) fieldMessage(msg string) string {
	nums := numbers.FindAllString(msg, -1)
	id := "field." + numbers.ReplaceAllString(msg, "N")
	args := []any{}
	if len(nums) > 0 {
		args = append(args, "N", nums[0])
	}
	if len(nums) > 1 {
		args = append(args, "M", nums[1])
	}
	if s := q.T(id, args...); !strings.HasPrefix(s, missingMessage) {
		return s
	}
	if strings.HasPrefix(msg, "is required") { // "is required to move from x to y"
		return q.T("field.is required")
	}
	return msg
}

// fail renders the error page matching err.
func (c *console) fail(w http.ResponseWriter, r *http.Request, q *request, err error) {
	var te *workflow.TransitionError
	switch {
	case errors.Is(err, errNotFound), errors.Is(err, storage.ErrNotFound):
		c.renderError(w, r, q, http.StatusNotFound)
	case errors.Is(err, tenant.ErrForbidden):
		c.renderError(w, r, q, http.StatusForbidden)
	case errors.Is(err, tenant.ErrNoCompany):
		// A platform admin has not chosen a company yet: the page says so
		// and the switcher is at the top.
		c.render(w, q, http.StatusConflict, "error", errorPage{Status: http.StatusConflict,
			Title: q.T("error.no_company.title"), Text: q.T("error.no_company.text")})
	case errors.As(err, &te), errors.Is(err, storage.ErrConflict), errors.Is(err, storage.ErrStale):
		c.renderError(w, r, q, http.StatusConflict)
	case errors.Is(err, validation.ErrInvalid), errors.Is(err, storage.ErrBadCursor):
		c.renderError(w, r, q, http.StatusBadRequest)
	default:
		c.log.ErrorContext(r.Context(), "webui: request failed", "path", r.URL.Path, "error", err.Error())
		c.renderError(w, r, q, http.StatusInternalServerError)
	}
}
