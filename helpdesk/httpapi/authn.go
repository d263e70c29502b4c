package httpapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

var (
	errUnauthenticated  = errors.New("authentication required")
	errCompanyHeader    = errors.New("X-Company-ID is only accepted from platform admins")
	errBadCompanyHeader = errors.New("X-Company-ID must be a positive company ID")
	errUnknownModel     = errors.New("unknown admin model: use companies, contacts, users or api_tokens")
)

// badRequestError marks an error as the client's fault (400).
type badRequestError struct{ err error }

func (e badRequestError) Error() string { return e.err.Error() }
func (e badRequestError) Unwrap() error { return e.err }

func badRequest(err error) error { return badRequestError{err} }

// fieldError is a 422 naming one field.
func fieldError(field, msg string) error { return validation.Field(field, "%s", msg) }

type principalKey struct{}

// principalFrom returns the principal of an authenticated request.
func principalFrom(ctx context.Context) (helpdesk.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(helpdesk.Principal)
	return p, ok
}

// authedHandler is a handler of an authenticated request: it receives the
// principal, whose Actor is already resolved to the company it acts in, and
// returns an error that becomes a problem response.
type authedHandler func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error

// authed authenticates the request (Bearer JWT or API token), applies the
// per-principal rate limit, resolves X-Company-ID for platform admins and
// runs h. Forged or invalid credentials count as strikes against the IP.
func (a *api) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// Authenticated answers hold tenant data: no cache may keep them,
		// and they depend on who asks.
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Add("Vary", "Authorization")
		p, err := a.authenticate(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if ok, retry := a.limiter(p).Allow(p.Key()); !ok {
			a.record(r, audit.Event{Kind: audit.RateLimited, UserID: p.Actor.UserID, CompanyID: p.Actor.CompanyID, Detail: "API rate limit"})
			a.fail(w, r, rateLimited(retry))
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		if err := permitted(a.perms, r, p.Actor); err != nil {
			a.fail(w, r, err)
			return
		}
		if err := checkQuery(r); err != nil {
			a.fail(w, r, err)
			return
		}
		if err := h(w, r, p); err != nil {
			a.fail(w, r, err)
		}
	}
}

// authenticate reads the Authorization header and X-Company-ID.
func (a *api) authenticate(r *http.Request) (helpdesk.Principal, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return helpdesk.Principal{}, errUnauthenticated
	}
	token, err := auth.ParseBearer(header)
	if err != nil {
		a.strike(r, audit.TokenInvalid, "malformed Authorization header")
		return helpdesk.Principal{}, err
	}
	p, err := a.desk.Authenticate(r.Context(), token)
	switch {
	case errors.Is(err, auth.ErrTokenExpired):
		return helpdesk.Principal{}, err
	case errors.Is(err, auth.ErrTokenInvalid), errors.Is(err, directory.ErrAPITokenInvalid):
		a.strike(r, audit.TokenInvalid, "invalid bearer credential")
		return helpdesk.Principal{}, err
	case err != nil:
		return helpdesk.Principal{}, err
	}
	if c := r.Header.Get("X-Company-ID"); c != "" {
		if !p.Actor.IsPlatformAdmin() {
			a.record(r, audit.Event{Kind: audit.CompanyRefused, UserID: p.Actor.UserID, CompanyID: p.Actor.CompanyID,
				Detail: "X-Company-ID sent by a " + string(p.Actor.Role)})
			return helpdesk.Principal{}, errCompanyHeader
		}
		id, err := strconv.ParseInt(strings.TrimSpace(c), 10, 64)
		if err != nil || id <= 0 {
			return helpdesk.Principal{}, errBadCompanyHeader
		}
		if p.Actor, err = p.Actor.InCompany(tenant.CompanyID(id)); err != nil {
			return helpdesk.Principal{}, err
		}
	}
	return p, nil
}

// strike records a security event and counts it against the client IP.
func (a *api) strike(r *http.Request, kind audit.Kind, detail string) {
	ip := a.ip(r)
	a.blocks.strike(ip, detail)
	a.record(r, audit.Event{Kind: kind, Detail: detail})
	if blocked, until := a.blocks.blocked(ip); blocked {
		a.record(r, audit.Event{Kind: audit.IPBlocked, Detail: "blocked until " + until.UTC().Format("2006-01-02T15:04:05Z")})
	}
}

// record writes a security event; a failure to record is logged, never
// surfaced to the client.
func (a *api) record(r *http.Request, e audit.Event) {
	e.At = a.now().UTC()
	if e.IP == "" {
		e.IP = a.ip(r)
	}
	if err := a.desk.Audit().RecordSecurityEvent(context.WithoutCancel(r.Context()), &e); err != nil {
		a.log.ErrorContext(r.Context(), "recording security event", "kind", string(e.Kind), "error", err.Error())
	}
}

// auditHosts wraps the trusted-hosts middleware so that refusals reach the
// security audit: a request the middleware does not pass on was refused.
func (a *api) auditHosts(mw func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			passed := false
			mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				passed = true
				next.ServeHTTP(w, r)
			})).ServeHTTP(w, r)
			if !passed {
				a.record(r, audit.Event{Kind: audit.HostRefused, Detail: "host " + r.Host})
			}
		})
	}
}

// rateLimited is the error of a request over its rate limit.
func rateLimited(retry time.Duration) error { return &retryError{err: ErrRateLimited, after: retry} }

// checkQuery refuses a query whose parameters hold invalid UTF-8 or a
// control character (a NUL byte included): no filter, ID or cursor needs
// one, and a NUL must never reach a statement. It names each bad
// parameter (422). The services check their filters again, for
// embedders that call them directly.
func checkQuery(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	var b validation.Builder
	for name, values := range r.URL.Query() {
		field := name
		if !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			field = strconv.QuoteToASCII(name)
			b.Add(field, "is not a parameter name: remove it")
			continue
		}
		for _, v := range values {
			if !utf8.ValidString(v) {
				b.Add(field, "must be valid UTF-8")
				break
			}
			if c, found := validation.Control(v, false); found {
				if c == 0 {
					b.Add(field, "must not contain a NUL byte")
				} else {
					b.Add(field, "must not contain control characters (found U+%04X)", c)
				}
				break
			}
		}
	}
	if err := b.Err(); err != nil {
		var verr *validation.Error
		if errors.As(err, &verr) {
			slices.SortFunc(verr.Fields, func(x, y validation.FieldError) int { return strings.Compare(x.Field, y.Field) })
		}
		return err
	}
	return nil
}
