package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/idempotency"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/storage"
)

// ProblemTypeBase prefixes every problem type URI this API emits. The slug
// after it names the kind of problem and never changes once published, so
// clients may switch on the full URI:
//
//	validation           422 invalid fields; "errors" names each one (an unknown body field is "unknown field")
//	field-conflict       409 a unique field is taken (duplicate email); "errors" names it
//	conflict             409 the write conflicts with the current state
//	illegal-transition   409 workflow move not possible; "allowed_transitions" lists the moves that are
//	forbidden            403 the role lacks the permission (a workflow role refusal also carries "allowed_transitions")
//	account-disabled     403 the user or its company is deactivated
//	blocked              403 the client IP is temporarily blocked; see Retry-After
//	origin-not-allowed   403 CORS preflight from an origin outside the allow-list
//	not-found            404 missing, or another company's
//	stale                412 If-Match carries an outdated ETag
//	bad-cursor           400 the list cursor was not produced by this server
//	no-company           400 a platform admin must send X-Company-ID
//	malformed-json       400 the body is not the JSON expected (or breaks I-JSON: invalid UTF-8, lone surrogate, duplicate or miscased key); "detail" gives the byte offset
//	host-not-allowed     400 the Host header is not served here
//	unauthenticated      401 missing or unacceptable credentials
//	token-expired        401 the access token expired; use the refresh token
//	invalid-credentials  401 wrong email or password
//	invalid-refresh-token 401 the refresh token is unknown, expired or revoked
//	refresh-token-reused 401 a refresh token was presented twice; its session is revoked
//	second-factor-required 401 the account signs in with a second factor (POST /auth/login answers a challenge)
//	invalid-challenge    401 the sign-in challenge is unknown, expired, used or out of attempts: sign in again
//	invalid-code         401 the second-factor code is wrong or was already used
//	two-factor-locked    429 too many wrong second-factor codes in a row; see Retry-After
//	two-factor-enabled   409 two-factor sign-in is already enabled: disable it before enrolling again
//	two-factor-enrolment-required 403 the account must enrol in two-factor sign-in before anything else
//	idempotency-key-reused 422 the Idempotency-Key was used with a different request
//	idempotency-key-in-flight 409 the first request with this Idempotency-Key is still running
//	bad-idempotency-key  400 the Idempotency-Key is empty, too long or not printable ASCII
//	bad-company-header   400 X-Company-ID is not a company ID
//	bad-request          400 a malformed header (If-Match) or unreadable body
//	method-not-allowed   405 the path exists but not for this method; see Allow
//	non-canonical-path   301 (not an error) the path is not canonical; see Location
//	body-too-large       413 the body exceeds the size limit
//	unsupported-media-type 415 the body is not sent as application/json
//	rate-limited         429 too many requests; see Retry-After
//	unavailable          503 the request was canceled or timed out before it completed, or the database is unreachable (Retry-After)
//	not-configured       409 the integration (WhatsApp, AI provider) is not configured or not enabled
//	bad-signature        401 a webhook's signature (X-Hub-Signature-256) is missing or wrong
//	bad-verify-token     403 a webhook handshake with an unknown verify token
//	malformed-payload    400 a webhook body is not of the sender's documented shape
//	upstream-error       502 the WhatsApp Cloud API or the AI provider refused the request
//	internal             500 an unexpected error; quote request_id when reporting it
const ProblemTypeBase = "https://boladao.dev/problems/"

// Problem is an RFC 9457 problem details object, the body of every error
// response (media type application/problem+json).
type Problem struct {
	// Type is a URI naming the kind of problem: ProblemTypeBase + slug.
	Type string `json:"type"`
	// Title is the HTTP status text of Status.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence to the client, without internals.
	Detail string `json:"detail,omitempty"`
	// Instance is the request path the problem occurred on.
	Instance string `json:"instance,omitempty"`
	// Errors names each invalid or conflicting input field.
	Errors []validation.FieldError `json:"errors,omitempty"`
	// AllowedTransitions lists the workflow states the actor may move to.
	// It is present (possibly as []) on every workflow refusal and absent
	// otherwise: omitzero omits only a nil slice.
	AllowedTransitions []string `json:"allowed_transitions,omitzero"`
	// RequestID is the request's X-Request-ID, for support.
	RequestID string `json:"request_id,omitempty"`

	// retryAfter, when positive, is sent as the Retry-After header.
	retryAfter time.Duration
	// bearerError, when set on a 401, is the RFC 6750 error code sent in
	// WWW-Authenticate (for example "invalid_token").
	bearerError string
}

// HTTP-only problems. Each is a sentinel to test with errors.Is; problemFor
// maps them to their status.
var (
	// ErrBodyTooLarge means the request body exceeds the size limit (413).
	ErrBodyTooLarge = errors.New("request body too large")
	// ErrUnsupportedMediaType means the body is not sent as
	// "Content-Type: application/json" (415).
	ErrUnsupportedMediaType = errors.New(`unsupported media type: send the body as "Content-Type: application/json"`)
	// ErrMalformedJSON is matched by every *DecodeError: the body is not the
	// JSON the endpoint expects (400).
	ErrMalformedJSON = errors.New("malformed JSON body")
	// ErrRateLimited means the client sent too many requests (429). The
	// response carries Retry-After.
	ErrRateLimited = errors.New("rate limited: too many requests, retry after the delay in Retry-After")
	// ErrBlocked means the client IP is temporarily blocked after repeated
	// failed logins or forged credentials (403). The response carries
	// Retry-After.
	ErrBlocked = errors.New("temporarily blocked: too many failed attempts from this address, retry after the delay in Retry-After")
	// ErrHostNotAllowed means the Host header names a host this server does
	// not serve (400).
	ErrHostNotAllowed = errors.New("host not allowed")
	// ErrOriginNotAllowed means a CORS preflight came from an origin that
	// is not in the allow-list (403).
	ErrOriginNotAllowed = errors.New("origin not allowed: this API does not accept cross-origin requests from that origin")
)

// retryError carries the delay to send as Retry-After with an HTTP-only
// problem such as ErrRateLimited or ErrBlocked.
type retryError struct {
	err   error
	after time.Duration
}

func (e *retryError) Error() string {
	return fmt.Sprintf("%v (retry after %ds)", e.err, retryAfterSeconds(e.after))
}

func (e *retryError) Unwrap() error { return e.err }

// retryAfterSeconds rounds d up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int64 {
	s := int64(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}

// unavailableRetryAfter is the Retry-After of a 503 caused by an
// unreachable database.
const unavailableRetryAfter = 2 * time.Second

func newProblem(status int, slug, detail string) Problem {
	return Problem{Type: ProblemTypeBase + slug, Title: http.StatusText(status), Status: status, Detail: detail}
}

// problemFor maps err to the problem to answer with. It is the single place
// where domain and HTTP errors become status codes; order matters where an
// error matches several sentinels (a *directory.FieldConflictError also
// matches storage.ErrConflict, a workflow role refusal matches both
// tenant.ErrForbidden and workflow.ErrIllegalTransition).
//
// Decisions worth knowing:
//   - A *directory.FieldConflictError (duplicate email) is 409 field-conflict,
//     not 422: the input is well-formed, it collides with existing data. The
//     "errors" member names the field so forms can highlight it.
//   - A workflow role refusal is 403 forbidden and still lists
//     allowed_transitions (what this actor may do instead).
//   - context.Canceled and context.DeadlineExceeded are 503 unavailable; when
//     the client went away the write is harmless and unseen.
//   - storage.ErrUnavailable (the database is unreachable) is 503 unavailable
//     with Retry-After: the request failed whole and may be sent again.
//   - Anything unrecognised is 500 with a generic detail: the real error
//     never reaches the client, and the caller must log it.
func problemFor(err error) Problem {
	if p, ok := integrationProblem(err); ok {
		return p
	}
	if p, ok := twoFactorProblem(err); ok {
		return p
	}
	if p, ok := ssoProblem(err); ok { // see sso.go
		return p
	}
	var (
		verr *validation.Error
		ferr *directory.FieldConflictError
		terr *workflow.TransitionError
		perr *tenant.ForbiddenError
		serr *ScopeError
		derr *DecodeError
		rerr *retryError
		merr *http.MaxBytesError
	)
	if p, ok := uploadProblem(err); ok {
		return p
	}
	switch {
	case err == nil:
		return newProblem(http.StatusInternalServerError, "internal", "an unexpected error occurred; quote the request_id when reporting it")
	case errors.Is(err, storage.ErrUnavailable):
		p := newProblem(http.StatusServiceUnavailable, "unavailable", "the database is unreachable at the moment; nothing was changed: retry shortly")
		p.retryAfter = unavailableRetryAfter
		return p
	case errors.As(err, &derr):
		p := newProblem(http.StatusBadRequest, "malformed-json", derr.Error())
		if derr.Field != "" {
			p.Errors = []validation.FieldError{{Field: derr.Field, Message: derr.Msg}}
		}
		return p
	case errors.As(err, &verr):
		p := newProblem(http.StatusUnprocessableEntity, "validation", "some fields are invalid: see errors")
		p.Errors = append([]validation.FieldError(nil), verr.Fields...)
		return p
	case errors.Is(err, validation.ErrInvalid):
		return newProblem(http.StatusUnprocessableEntity, "validation", "the input is invalid")
	case errors.As(err, &ferr):
		p := newProblem(http.StatusConflict, "field-conflict", "a unique field is already taken: see errors")
		p.Errors = ferr.Fields()
		return p
	case errors.Is(err, storage.ErrNotFound):
		return newProblem(http.StatusNotFound, "not-found", "the resource does not exist")
	case errors.Is(err, directory.ErrAccountDisabled):
		return newProblem(http.StatusForbidden, "account-disabled", directory.ErrAccountDisabled.Error())
	case errors.Is(err, ErrBlocked):
		p := newProblem(http.StatusForbidden, "blocked", ErrBlocked.Error())
		if errors.As(err, &rerr) {
			p.retryAfter = rerr.after
		}
		return p
	case errors.Is(err, ErrOriginNotAllowed):
		return newProblem(http.StatusForbidden, "origin-not-allowed", ErrOriginNotAllowed.Error())
	case errors.Is(err, tenant.ErrForbidden):
		p := newProblem(http.StatusForbidden, "forbidden", "your role does not allow this operation")
		switch {
		case errors.As(err, &terr):
			p.Detail = terr.Error()
			p.AllowedTransitions = allowed(terr.Allowed)
		case errors.As(err, &serr):
			p.Detail = serr.Error()
		case errors.As(err, &perr):
			p.Detail = perr.Error()
		}
		return p
	case errors.As(err, &terr):
		p := newProblem(http.StatusConflict, "illegal-transition", terr.Error())
		p.AllowedTransitions = allowed(terr.Allowed)
		return p
	case errors.Is(err, workflow.ErrIllegalTransition):
		return newProblem(http.StatusConflict, "illegal-transition", "the requested state change is not allowed")
	case errors.Is(err, storage.ErrConflict):
		return newProblem(http.StatusConflict, "conflict", "the request conflicts with the current state of the resource")
	case errors.Is(err, storage.ErrStale):
		return newProblem(http.StatusPreconditionFailed, "stale", "the resource changed since you read it: fetch it again and retry with the new ETag in If-Match")
	case errors.Is(err, storage.ErrBadCursor):
		return newProblem(http.StatusBadRequest, "bad-cursor", "the cursor is invalid: pass next_cursor exactly as received, or omit it to start from the first page")
	case errors.Is(err, tenant.ErrNoCompany):
		return newProblem(http.StatusBadRequest, "no-company", "no company selected: a platform admin must send the X-Company-ID header naming the company to act in")
	case errors.Is(err, ErrHostNotAllowed):
		return newProblem(http.StatusBadRequest, "host-not-allowed", "host not allowed: this server does not answer for the Host in the request")
	case errors.Is(err, directory.ErrRefreshTokenReused):
		return newProblem(http.StatusUnauthorized, "refresh-token-reused", directory.ErrRefreshTokenReused.Error()+": log in again")
	case errors.Is(err, directory.ErrRefreshTokenInvalid):
		return newProblem(http.StatusUnauthorized, "invalid-refresh-token", directory.ErrRefreshTokenInvalid.Error())
	case errors.Is(err, directory.ErrAPITokenInvalid):
		p := newProblem(http.StatusUnauthorized, "unauthenticated", directory.ErrAPITokenInvalid.Error())
		p.bearerError = "invalid_token"
		return p
	case errors.Is(err, errUnauthenticated):
		return newProblem(http.StatusUnauthorized, "unauthenticated", `authentication required: send "Authorization: Bearer <token>"`)
	case errors.Is(err, idempotency.ErrKeyReused):
		return newProblem(http.StatusUnprocessableEntity, "idempotency-key-reused", idempotency.ErrKeyReused.Error()+": use a new key for a different request")
	case errors.Is(err, idempotency.ErrInFlight):
		return newProblem(http.StatusConflict, "idempotency-key-in-flight", idempotency.ErrInFlight.Error()+": retry when it has finished")
	case errors.Is(err, idempotency.ErrBadKey):
		return newProblem(http.StatusBadRequest, "bad-idempotency-key", idempotency.ErrBadKey.Error())
	case errors.Is(err, errCompanyHeader):
		return newProblem(http.StatusForbidden, "forbidden", errCompanyHeader.Error())
	case errors.Is(err, errBadCompanyHeader):
		return newProblem(http.StatusBadRequest, "bad-company-header", errBadCompanyHeader.Error())
	case errors.As(err, new(badRequestError)):
		return newProblem(http.StatusBadRequest, "bad-request", err.Error())
	case errors.Is(err, errUnknownModel):
		return newProblem(http.StatusNotFound, "not-found", err.Error())
	case errors.Is(err, directory.ErrInvalidCredentials):
		return newProblem(http.StatusUnauthorized, "invalid-credentials", directory.ErrInvalidCredentials.Error())
	case errors.Is(err, auth.ErrTokenExpired):
		p := newProblem(http.StatusUnauthorized, "token-expired", "the access token has expired: get a new one with your refresh token")
		p.bearerError = "invalid_token"
		return p
	case errors.Is(err, helpdesk.ErrAccessChanged):
		p := newProblem(http.StatusUnauthorized, "unauthenticated", helpdesk.ErrAccessChanged.Error())
		p.bearerError = "invalid_token"
		return p
	case errors.Is(err, auth.ErrTokenInvalid):
		p := newProblem(http.StatusUnauthorized, "unauthenticated", "the credential is not valid: log in again or check the API token")
		p.bearerError = "invalid_token"
		return p
	case errors.Is(err, auth.ErrMalformedHeader):
		return newProblem(http.StatusUnauthorized, "unauthenticated", `authentication required: send "Authorization: Bearer <token>"`)
	case errors.Is(err, ErrBodyTooLarge) || errors.As(err, &merr):
		detail := "the request body is too large"
		if errors.As(err, &merr) {
			detail = fmt.Sprintf("the request body exceeds the limit of %d bytes", merr.Limit)
		}
		return newProblem(http.StatusRequestEntityTooLarge, "body-too-large", detail)
	case errors.Is(err, ErrUnsupportedMediaType):
		return newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", ErrUnsupportedMediaType.Error())
	case errors.Is(err, ErrMalformedJSON):
		return newProblem(http.StatusBadRequest, "malformed-json", "the request body is not valid JSON")
	case errors.Is(err, ErrRateLimited):
		p := newProblem(http.StatusTooManyRequests, "rate-limited", ErrRateLimited.Error())
		if errors.As(err, &rerr) {
			p.retryAfter = rerr.after
		}
		return p
	case errors.Is(err, context.Canceled):
		return newProblem(http.StatusServiceUnavailable, "unavailable", "the request was canceled before it completed")
	case errors.Is(err, context.DeadlineExceeded):
		return newProblem(http.StatusServiceUnavailable, "unavailable", "the request took too long and was abandoned: retry later")
	default:
		return newProblem(http.StatusInternalServerError, "internal", "an unexpected error occurred; quote the request_id when reporting it")
	}
}

// allowed returns a non-nil copy of states, so it encodes as [] when empty.
func allowed(states []string) []string {
	return append(make([]string, 0, len(states)), states...)
}

// writeProblem writes p as application/problem+json with p.Status. It fills
// Title, Instance (the request path, never the query) and RequestID when
// they are empty, sets Retry-After when the problem carries a delay and
// WWW-Authenticate on 401. Responses are never cached.
func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Status < 400 || p.Status > 599 {
		p.Status = http.StatusInternalServerError
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if r != nil {
		if p.Instance == "" && r.URL != nil {
			p.Instance = r.URL.EscapedPath()
		}
		if p.RequestID == "" {
			p.RequestID = requestIDFrom(r.Context())
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	h.Del("ETag")
	if p.retryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(retryAfterSeconds(p.retryAfter), 10))
	}
	if p.Status == http.StatusUnauthorized {
		v := `Bearer realm="boladao"`
		if p.bearerError != "" {
			v += `, error="` + p.bearerError + `"`
		}
		h.Set("WWW-Authenticate", v)
	}
	body, err := json.Marshal(p)
	if err != nil { // unreachable: Problem holds only strings and ints
		body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
		p.Status = http.StatusInternalServerError
	}
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}

// writeError answers err as a problem. It is a shorthand for
// writeProblem(w, r, problemFor(err)); the caller logs err when the status
// is 500.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, r, problemFor(err))
}
