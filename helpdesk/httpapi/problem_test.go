package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/storage"
)

func TestProblemFor(t *testing.T) {
	t.Parallel()
	illegal := &workflow.TransitionError{Machine: "ticket", From: "closed", To: "open", Reason: workflow.ReasonNotDeclared, Allowed: []string{}}
	roleRefusal := &workflow.TransitionError{Machine: "ticket", From: "resolved", To: "closed", Name: "close", Reason: workflow.ReasonRole, Role: "requester", Allowed: []string{"open"}}
	tests := []struct {
		name        string
		err         error
		status      int
		slug        string
		fields      []validation.FieldError
		allowed     []string
		detailHas   string
		retryAfter  time.Duration
		bearerError string
	}{
		{name: "validation", err: fmt.Errorf("tickets: create: %w", &validation.Error{Fields: []validation.FieldError{{Field: "title", Message: "is required"}, {Field: "priority", Message: "must be one of low, medium"}}}),
			status: 422, slug: "validation", fields: []validation.FieldError{{Field: "title", Message: "is required"}, {Field: "priority", Message: "must be one of low, medium"}}},
		{name: "bare ErrInvalid", err: fmt.Errorf("x: %w", validation.ErrInvalid), status: 422, slug: "validation"},
		{name: "field conflict is 409 with errors", err: fmt.Errorf("directory: create user: %w", &directory.FieldConflictError{Field: "email", Message: "is already in use", Err: storage.ErrConflict}),
			status: 409, slug: "field-conflict", fields: []validation.FieldError{{Field: "email", Message: "is already in use"}}},
		{name: "not found", err: fmt.Errorf("tickets: get 42 in company 7: %w", storage.ErrNotFound), status: 404, slug: "not-found"},
		{name: "forbidden", err: fmt.Errorf("tickets: delete: %w", &tenant.ForbiddenError{Role: "viewer", Permission: tenant.PermTicketsManage}),
			status: 403, slug: "forbidden", detailHas: `lacks permission "tickets.manage"`},
		{name: "bare forbidden", err: tenant.ErrForbidden, status: 403, slug: "forbidden"},
		{name: "workflow role refusal is 403 with allowed transitions", err: fmt.Errorf("tickets: transition: %w", roleRefusal),
			status: 403, slug: "forbidden", allowed: []string{"open"}, detailHas: "may not move"},
		{name: "illegal transition", err: fmt.Errorf("tickets: transition: %w", illegal), status: 409, slug: "illegal-transition", allowed: []string{}},
		{name: "bare illegal transition", err: workflow.ErrIllegalTransition, status: 409, slug: "illegal-transition"},
		{name: "conflict", err: fmt.Errorf("orders: %w", storage.ErrConflict), status: 409, slug: "conflict"},
		{name: "database unavailable is 503 with Retry-After", err: fmt.Errorf("tickets: create: committing: %w", storage.ErrUnavailable),
			status: 503, slug: "unavailable", detailHas: "database is unreachable", retryAfter: unavailableRetryAfter},
		{name: "stale", err: fmt.Errorf("tickets: update: %w", storage.ErrStale), status: 412, slug: "stale", detailHas: "If-Match"},
		{name: "bad cursor", err: fmt.Errorf("page: %w", storage.ErrBadCursor), status: 400, slug: "bad-cursor"},
		{name: "no company", err: fmt.Errorf("tickets: list: %w", tenant.ErrNoCompany), status: 400, slug: "no-company", detailHas: "X-Company-ID"},
		{name: "invalid credentials", err: fmt.Errorf("login: %w", directory.ErrInvalidCredentials), status: 401, slug: "invalid-credentials"},
		{name: "token expired", err: fmt.Errorf("auth: %w", auth.ErrTokenExpired), status: 401, slug: "token-expired", bearerError: "invalid_token"},
		{name: "token invalid", err: fmt.Errorf("auth: %w", auth.ErrTokenInvalid), status: 401, slug: "unauthenticated", bearerError: "invalid_token"},
		{name: "malformed header", err: fmt.Errorf("auth: %w", auth.ErrMalformedHeader), status: 401, slug: "unauthenticated"},
		{name: "account disabled", err: fmt.Errorf("login: %w", directory.ErrAccountDisabled), status: 403, slug: "account-disabled"},
		{name: "canceled", err: fmt.Errorf("store: %w", context.Canceled), status: 503, slug: "unavailable"},
		{name: "deadline", err: fmt.Errorf("store: %w", context.DeadlineExceeded), status: 503, slug: "unavailable"},
		{name: "body too large sentinel", err: ErrBodyTooLarge, status: 413, slug: "body-too-large"},
		{name: "max bytes error", err: fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 1024}), status: 413, slug: "body-too-large", detailHas: "1024 bytes"},
		{name: "tooLarge", err: tooLarge(&http.MaxBytesError{Limit: 99}), status: 413, slug: "body-too-large", detailHas: "99 bytes"},
		{name: "unsupported media type", err: fmt.Errorf("%w (got text/plain)", ErrUnsupportedMediaType), status: 415, slug: "unsupported-media-type"},
		{name: "decode error", err: &DecodeError{Offset: 12, Field: "name", Msg: "field \"name\" must be a string, not number"},
			status: 400, slug: "malformed-json", detailHas: "at byte 12", fields: []validation.FieldError{{Field: "name", Message: "field \"name\" must be a string, not number"}}},
		{name: "bare malformed", err: ErrMalformedJSON, status: 400, slug: "malformed-json"},
		{name: "rate limited", err: &retryError{err: ErrRateLimited, after: 1500 * time.Millisecond}, status: 429, slug: "rate-limited", retryAfter: 1500 * time.Millisecond},
		{name: "blocked", err: &retryError{err: ErrBlocked, after: time.Minute}, status: 403, slug: "blocked", retryAfter: time.Minute},
		{name: "host not allowed", err: ErrHostNotAllowed, status: 400, slug: "host-not-allowed"},
		{name: "origin not allowed", err: ErrOriginNotAllowed, status: 403, slug: "origin-not-allowed"},
		{name: "unknown error never leaks", err: errors.New(`pq: password authentication failed for user "boladao" at 10.0.0.5`), status: 500, slug: "internal"},
		{name: "nil", err: nil, status: 500, slug: "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := problemFor(tt.err)
			require.Equal(t, tt.status, p.Status)
			require.Equal(t, ProblemTypeBase+tt.slug, p.Type)
			require.Equal(t, http.StatusText(tt.status), p.Title)
			require.NotEmpty(t, p.Detail)
			require.Equal(t, tt.fields, p.Errors)
			require.Equal(t, tt.allowed, p.AllowedTransitions)
			require.Equal(t, tt.retryAfter, p.retryAfter)
			require.Equal(t, tt.bearerError, p.bearerError)
			if tt.detailHas != "" {
				require.Contains(t, p.Detail, tt.detailHas)
			}
			if tt.status == 500 {
				require.NotContains(t, p.Detail, "password")
				require.NotContains(t, p.Detail, "10.0.0.5")
			}
		})
	}
}

func TestWriteProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		status     int
		header     map[string]string
		noHeader   []string
		bodyChecks func(t *testing.T, body map[string]any)
	}{
		{name: "401 sets WWW-Authenticate", err: auth.ErrMalformedHeader, status: 401,
			header: map[string]string{"WWW-Authenticate": `Bearer realm="boladao"`}, noHeader: []string{"Retry-After"}},
		{name: "expired token says invalid_token", err: auth.ErrTokenExpired, status: 401,
			header: map[string]string{"WWW-Authenticate": `Bearer realm="boladao", error="invalid_token"`}},
		{name: "429 Retry-After rounds up", err: &retryError{err: ErrRateLimited, after: 1001 * time.Millisecond}, status: 429,
			header: map[string]string{"Retry-After": "2"}, noHeader: []string{"WWW-Authenticate"}},
		{name: "Retry-After at least 1", err: &retryError{err: ErrRateLimited, after: time.Nanosecond}, status: 429,
			header: map[string]string{"Retry-After": "1"}},
		{name: "illegal transition encodes empty allowed list", err: &workflow.TransitionError{Machine: "ticket", From: "closed", To: "open", Allowed: []string{}}, status: 409,
			bodyChecks: func(t *testing.T, body map[string]any) {
				require.Equal(t, []any{}, body["allowed_transitions"])
			}},
		{name: "validation lists errors", err: validation.Field("email", "must be a valid email address"), status: 422,
			bodyChecks: func(t *testing.T, body map[string]any) {
				require.Equal(t, []any{map[string]any{"field": "email", "message": "must be a valid email address"}}, body["errors"])
				require.NotContains(t, body, "allowed_transitions")
			}},
		{name: "500 omits optional members", err: errors.New("boom"), status: 500,
			bodyChecks: func(t *testing.T, body map[string]any) {
				require.NotContains(t, body, "errors")
				require.NotContains(t, body, "allowed_transitions")
				require.NotContains(t, body["detail"], "boom")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/api/helpdesk/tickets?access_token=secret", nil)
			r = r.WithContext(withRequestID(r.Context(), "req-1"))
			w := httptest.NewRecorder()
			w.Header().Set("ETag", `"v1"`)
			writeError(w, r, tt.err)
			require.Equal(t, tt.status, w.Code)
			require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
			require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			require.Empty(t, w.Header().Get("ETag"))
			for k, v := range tt.header {
				require.Equal(t, v, w.Header().Get(k), k)
			}
			for _, k := range tt.noHeader {
				require.Empty(t, w.Header().Get(k), k)
			}
			var body map[string]any
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			require.Equal(t, float64(tt.status), body["status"])
			require.Equal(t, http.StatusText(tt.status), body["title"])
			require.True(t, strings.HasPrefix(body["type"].(string), ProblemTypeBase))
			require.Equal(t, "/api/helpdesk/tickets", body["instance"], "instance never carries the query")
			require.Equal(t, "req-1", body["request_id"])
			require.NotContains(t, w.Body.String(), "secret")
			if tt.bodyChecks != nil {
				tt.bodyChecks(t, body)
			}
		})
	}
}

func TestWriteProblemDefaults(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	writeProblem(w, httptest.NewRequest(http.MethodGet, "/x", nil), Problem{Status: 200, Detail: "not an error status"})
	require.Equal(t, 500, w.Code)
	var p Problem
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
	require.Equal(t, "about:blank", p.Type)
	require.Equal(t, "Internal Server Error", p.Title)
	require.Empty(t, p.RequestID)
}
